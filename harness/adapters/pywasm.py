"""pywasm, a pure-Python interpreter: spec conformance in-process, WASI programs with its own preview1
host under ``python -m harness.wasi.child``."""

from __future__ import annotations

from pathlib import Path

from .base import (
    ALL,
    EXTENDED_CONST,
    WASM3_FEATURES,
    Adapter,
    Availability,
    EngineSpec,
    Invocation,
    child_command,
    has_module,
    supported,
    unsupported,
)

# pywasm 2.2 implements WebAssembly 2.0; of 3.0 it decodes extended constant expressions only (a module of
# each proposal, 2026-12-07: the others fail to decode).
FEATURES = {**{f: unsupported("pywasm 2.2 implements WebAssembly 2.0") for f in WASM3_FEATURES},
            EXTENDED_CONST: supported()}


class PywasmAdapter(Adapter):
    def __init__(self) -> None:
        super().__init__(
            runtime="pywasm", tiers=("interp",), default_tier="interp",
            description="pywasm, a pure-Python interpreter",
            install_hint="pip install pywasm",
            capabilities_by_tier={"interp": ALL},
            spec_driver="harness.spec.drivers.pywasm_py:PywasmDriver",
            slow_tiers=frozenset({"interp"}),
            features_by_tier={"interp": FEATURES},
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
