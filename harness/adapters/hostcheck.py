"""``hostcheck``: not a runtime but our WASI host (``harness.engine.wasi``) executed by wasmtime's Python
API, which checks the host on its own in the WASI runner.  It is deliberately not in the registry (no
spec, no perf, not a reference runtime); ``harness.wasi.drivers`` accepts it by name."""

from __future__ import annotations

from pathlib import Path

from .base import WASI, Adapter, Availability, Invocation, child_command, has_module


class HostcheckAdapter(Adapter):
    def __init__(self) -> None:
        super().__init__(
            runtime="hostcheck", tiers=("",), default_tier="",
            description="our WASI host under wasmtime's Python API",
            install_hint="pip install wasmtime",
            capabilities_by_tier={"": frozenset({WASI})},
        )

    def _probe(self, tier: str) -> Availability:
        if not has_module("wasmtime"):
            return Availability(False, "hostcheck needs the wasmtime Python package", self.install_hint)
        return Availability(True)

    def wasi_command(self, tier: str, inv: Invocation, scratch: Path) -> list[str]:
        return child_command(self.runtime, inv)
