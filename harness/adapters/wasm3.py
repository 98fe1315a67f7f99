"""wasm3 through pywasm3: spec conformance in-process; WASI programs on our WASI host
(``harness.wasi.wasm3_host``, pywasm3 itself exposes no WASI) under ``python -m harness.wasi.child``."""

from __future__ import annotations

from pathlib import Path

from .base import ALL, Adapter, Availability, EngineSpec, Invocation, child_command, has_module


class Wasm3Adapter(Adapter):
    def __init__(self) -> None:
        super().__init__(
            runtime="wasm3", tiers=("interp",), default_tier="interp",
            description="wasm3 interpreter via pywasm3 (WASI through the harness's host)",
            install_hint="pip install pywasm3",
            capabilities_by_tier={"interp": ALL},
            spec_driver="harness.spec.drivers.wasm3_py:Wasm3Driver",
            slow_tiers=frozenset({"interp"}),
        )

    def _probe(self, tier: str) -> Availability:
        if not has_module("wasm3"):
            return Availability(False, "pywasm3 is not installed", self.install_hint)
        return Availability(True)

    def version(self) -> str | None:
        try:
            import wasm3

            return f"wasm3 {wasm3.M3_VERSION}"
        except Exception:
            return None

    def wasi_command(self, tier: str, inv: Invocation, scratch: Path) -> list[str]:
        return child_command(EngineSpec(self.runtime, tier).name, inv)
