"""pywasm, a pure-Python interpreter: spec conformance in-process, WASI programs with its own preview1
host under ``python -m harness.wasi.child``."""

from __future__ import annotations

from pathlib import Path

from .base import ALL, Adapter, Availability, EngineSpec, Invocation, child_command, has_module


class PywasmAdapter(Adapter):
    def __init__(self) -> None:
        super().__init__(
            runtime="pywasm", tiers=("interp",), default_tier="interp",
            description="pywasm, a pure-Python interpreter",
            install_hint="pip install pywasm",
            capabilities_by_tier={"interp": ALL},
            spec_driver="harness.spec.drivers.pywasm_py:PywasmDriver",
            slow_tiers=frozenset({"interp"}),
        )

    def _probe(self, tier: str) -> Availability:
        if not has_module("pywasm"):
            return Availability(False, "pywasm is not installed", self.install_hint)
        return Availability(True)

    def version(self) -> str | None:
        try:
            from importlib.metadata import version

            return f"pywasm {version('pywasm')}"
        except Exception:
            return None

    def wasi_command(self, tier: str, inv: Invocation, scratch: Path) -> list[str]:
        return child_command(EngineSpec(self.runtime, tier).name, inv)
