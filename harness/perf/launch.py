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
    """An engine:tier plus how it is run: ``jit`` (compile at load, no cache) or ``aot`` (precompiled)."""

    engine: EngineSpec
    mode: str = "jit"

    @property
    def label(self) -> str:
        return f"{self.engine.name}{' (precompiled)' if self.mode == 'aot' else ''}"

    @property
    def target(self) -> str:
        """The build target of the program it runs (``harness.perf.targets``)."""
        return get_adapter(self.engine.runtime).program_target

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
    inv = base.Invocation(program, list(args), precompiled=variant.mode == "aot", phases_file=phases)
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
