"""V8 through the installed node: spec conformance by a node child driven from the spec worker, WASI
programs by ``node_wasi_driver.js`` (node:wasi), which also records the phases for perf."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from .base import (
    ALL,
    EXCEPTIONS,
    EXTENDED_CONST,
    FUNCTION_REFERENCES,
    GC,
    MEMORY64,
    MULTI_MEMORY,
    PHASES,
    RELAXED_SIMD,
    TAIL_CALL,
    Adapter,
    Availability,
    Invocation,
    RunnerUnavailable,
    env_flags,
    supported,
    unsupported,
)

NODE_WASI_DRIVER = Path(__file__).with_name("node_wasi_driver.js")
TIERS = ("liftoff", "turbofan")

# WebAssembly 3.0 in node 20's V8 (11.3), from ``node --v8-options`` and a module of each proposal
# (measured on node 20.20, 2026-12-07): the flags the spec driver passes to node.
FEATURES = {
    GC: unsupported("V8 11.3 has a pre-standard GC draft only: --experimental-wasm-gc rejects the final "
                    "opcodes (invalid gc opcode: fb00)"),
    FUNCTION_REFERENCES: unsupported("V8 11.3's --experimental-wasm-typed-funcref is a pre-standard draft: it reads "
                                     "the final (ref $t) encoding as a stringref"),
    EXCEPTIONS: unsupported("V8 11.3 has the legacy try/catch only, no exnref or try_table"),
    TAIL_CALL: supported(),
    MEMORY64: supported("--experimental-wasm-memory64", note="memories only: no 64-bit tables", partial=True),
    MULTI_MEMORY: unsupported("V8 11.3: memory count exceeds internal limit of 1"),
    RELAXED_SIMD: supported("--experimental-wasm-relaxed-simd"),
    EXTENDED_CONST: supported("--experimental-wasm-extended-const"),
}


class V8Adapter(Adapter):
    def __init__(self) -> None:
        super().__init__(
            runtime="v8",
            tiers=TIERS,
            default_tier="turbofan",
            description="V8 via node (liftoff = --liftoff-only, turbofan = --no-liftoff --no-concurrent-marking)",
            install_hint="apt-get install nodejs (node >= 18)",
            capabilities_by_tier={t: ALL | {PHASES} for t in TIERS},
            spec_driver="harness.spec.drivers.node:NodeDriver",  # executor in the worker, V8 in a node child
            writes_phases=True,
            stdio_to_files=True,  # node:wasi writes stdio non-blocking: EAGAIN on a full pipe loses output
            features_by_tier=dict.fromkeys(TIERS, FEATURES),
        )

    def binary(self) -> Path | None:
        found = shutil.which("node")
        return Path(found) if found else None

    def _probe(self, tier: str) -> Availability:
        if self.binary() is None:
            return Availability(False, "node is not on PATH", self.install_hint)
        return Availability(True)

    def version(self) -> str | None:
        b = self.binary()
        if not b:
            return None
        try:
            out = subprocess.run([str(b), "-p", "process.version + ' v8 ' + process.versions.v8"],
                                 capture_output=True, text=True, timeout=20)
            return f"node {out.stdout.strip()}"
        except (OSError, subprocess.TimeoutExpired):
            return None

    @staticmethod
    def node_flags(tier: str) -> list[str]:
        # node 20: --liftoff --no-wasm-tier-up still tiers up; only --liftoff-only measures Liftoff.
        # --no-concurrent-marking: with --no-liftoff, node 20 (V8 11.3) died of SIGSEGV after 40% of runs of
        # the perf suite's membw (64 MiB buffers), once the program had finished; without concurrent
        # marking, 0 of 20 (measured 2026-11-27).  It changes how V8 collects the JS heap, not wasm code.
        return ["--liftoff-only"] if tier == "liftoff" else ["--no-liftoff", "--no-concurrent-marking"]

    def wasi_command(self, tier: str, inv: Invocation, scratch: Path) -> list[str]:
        node = self.binary()
        if node is None:
            raise RunnerUnavailable("node is not on PATH", self.install_hint)
        # node flags of the proposals the program needs (V8 11.3 gates memory64 behind one)
        wanted = [flag for f in inv.features if f in FEATURES for flag in FEATURES[f].enable]
        argv = [str(node), "--no-warnings", *self.node_flags(tier), *wanted, str(NODE_WASI_DRIVER)]
        if inv.phases_file is not None:
            argv += ["--phases", str(inv.phases_file)]
        for host, guest in inv.dirs:
            argv += ["--dir", f"{Path(host).resolve()}::{guest}"]
        argv += [*env_flags(inv.env), "--argv0", inv.argv0, str(inv.wasm.resolve())]
        return [*argv, *inv.args]
