"""WAMR's ``iwasm``: the classic interpreter, the fast interpreter and the fast JIT, each its own build.

WAMR chooses its interpreter when it is compiled (classic or fast, never both in one build), so each tier
is a binary of its own: ``iwasm-interp``, ``iwasm-fast-interp``, ``iwasm-fast-jit`` on PATH (a real iwasm
named ``iwasm`` serves the classic tier), or inside the ``wamr`` image (``containers/wamr``: built from the
WAMR sources crates.io's wamrx-sys carries, with the harness's command line, ``wamr@docker:TIER``).  Both
take iwasm's spelling of preopens and environment (``--map-dir=GUEST::HOST``, ``--env=K=V``).
"""

from __future__ import annotations

import shutil
from pathlib import Path

from .base import Availability, Invocation, RunnerUnavailable
from .cargo_runtimes import CargoRuntimeAdapter

TIERS = ("interp", "fast-interp", "fast-jit")


class WamrAdapter(CargoRuntimeAdapter):
    def __init__(self) -> None:
        super().__init__("wamr", "iwasm-interp", TIERS,
                         "WAMR iwasm: classic interpreter, fast interpreter, fast JIT (one build each)",
                         install_hint="harness images build wamr   (then wamr@docker:TIER), or put iwasm-TIER on PATH")
        # 25-60x native CPU time for the interpreters (2026-12-07): perf gives them the small size class
        self.slow_tiers = frozenset({"interp", "fast-interp"})

    def binary(self, tier: str = "interp") -> Path | None:
        names = [f"iwasm-{tier}", *(["iwasm"] if tier == "interp" else [])]
        found = next((shutil.which(n) for n in names if shutil.which(n)), None)
        return Path(found) if found else None

    def _probe(self, tier: str) -> Availability:
        if self.binary(tier) is None:
            return Availability(False, f"no iwasm-{tier} on PATH", self.install_hint)
        return Availability(True)

    def wasi_command(self, tier: str, inv: Invocation, scratch: Path) -> list[str]:
        binary = self.binary(tier)
        if binary is None:
            raise RunnerUnavailable(f"no iwasm-{tier} here", self.install_hint)
        return [str(binary), *[f"--map-dir={guest}::{Path(host).resolve()}" for host, guest in inv.dirs],
                *[f"--env={k}={v}" for k, v in inv.env.items()], str(inv.wasm.resolve()), *inv.args]
