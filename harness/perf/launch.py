"""Command lines that run one built program on one engine:tier, exactly as a user would type them.

The command line is the engine's adapter's (``Adapter.run_command``: the WASI command line that the WASI
runner and ``harness run`` use too, or the native executable itself), so what is timed here is what the
conformance runs ran.  Every row of the perf results keeps that argv, so any figure can be reproduced by
hand (or cross-checked with hyperfine) with ``ARGV < stdin > stdout``.
"""

from __future__ import annotations

import compileall
import functools
import shlex
import sys
from dataclasses import dataclass
from pathlib import Path

from ..adapters import base
from ..adapters.base import PERF, EngineSpec
from ..adapters.registry import get_adapter


@dataclass(frozen=True)
class Variant:
    """An engine:tier plus how it is run: ``jit`` (compile at load, no cache) or ``aot`` (precompiled), and
    which build it runs: ``build`` names a wasm target other than the engine's own (``wasm32-free``,
    ``wasm64``: the pointer study's freestanding pair), shown in its label as ``[wasm64]``."""

    engine: EngineSpec
    mode: str = "jit"
    build: str | None = None

    @property
    def base_label(self) -> str:
        """The label without the build: what a wasm32 and a wasm64 line of one engine have in common."""
        return f"{self.engine.name}{' (precompiled)' if self.mode == 'aot' else ''}"

    @property
    def label(self) -> str:
        return f"{self.base_label} [{self.build}]" if self.build else self.base_label

    @property
    def target(self) -> str:
        """The build target of the program it runs (``harness.perf.targets``)."""
        return self.build or get_adapter(self.engine.runtime).program_target

    @property
    def features(self) -> tuple[str, ...]:
        """The proposals its build needs: memory64 for a 64-bit wasm target."""
        from .targets import TARGETS

        t = TARGETS.get(self.target)
        return (base.MEMORY64,) if t is not None and t.wasm and t.pointer_bits == 64 else ()

    def missing_feature(self) -> str | None:
        """Why the engine cannot run this build (a needed proposal it declares unsupported, or does not
        declare at all), or None: such a unit is ``unsupported``, not a failure."""
        have = get_adapter(self.engine.runtime).features(self.engine.tier)
        for f in self.features:
            if f not in have:
                return f"{self.engine.name} does not declare {f}, which the {self.target} build needs"
            if not have[f].supported:
                return f"{self.engine.name} has no {f} ({have[f].describe()}), which the {self.target} build needs"
        return None

    @property
    def slow(self) -> bool:
        """Too slow for the full-size inputs: it runs the "small" size class, and the table says so (the
        baseline is re-measured at the same size for its ratios)."""
        return get_adapter(self.engine.runtime).slow(self.engine.tier)


@dataclass
class Invocation:
    """A timed command line, and where the engine writes its phase timings (when it does)."""

    argv: list[str]
    phases_file: Path | None = None

    def shell(self, stdin: Path | None, stdout: Path | None) -> str:
        s = shlex.join(self.argv)
        if stdin:
            s += f" < {shlex.quote(str(stdin))}"
        if stdout:
            s += f" > {shlex.quote(str(stdout))}"
        return s


def invocation(variant: Variant, program: Path, args: list[str], scratch: Path) -> Invocation:
    """The argv that runs ``program`` (a native executable or a .wasm) with ``args`` on ``variant``."""
    e = variant.engine
    adapter = get_adapter(e.runtime)
    adapter.check(e.tier, PERF)
    phases = scratch / "phases.json" if adapter.writes_phases else None
    inv = base.Invocation(program, list(args), precompiled=variant.mode == "aot", phases_file=phases,
                          features=variant.features)
    argv = adapter.run_command(e.tier, inv, scratch)
    if argv[0] == sys.executable:
        compile_bytecode()
    return Invocation(argv, phases_file=phases)


@functools.cache
def compile_bytecode() -> None:
    """Byte-compile the harness package once per perf run before an engine running in Python is timed: with
    ``PYTHONDONTWRITEBYTECODE`` set (as in some CI images) every run would otherwise recompile ~100 modules
    from source (~50 ms here), a cost of that environment rather than of the engine."""
    compileall.compile_dir(str(Path(__file__).resolve().parents[1]), quiet=2, workers=1)
