"""pywasm, a pure-Python interpreter: spec conformance in-process, WASI programs with its own preview1
host under ``python -m harness.wasi.child``."""

from __future__ import annotations

from .base import (
    ALL,
    EXTENDED_CONST,
    WASM3_FEATURES,
    PythonEngineAdapter,
    supported,
    unsupported,
)

# pywasm 2.2 implements WebAssembly 2.0; of 3.0 it decodes extended constant expressions only (a module of
# each proposal, 2026-12-07: the others fail to decode).
FEATURES = {**{f: unsupported("pywasm 2.2 implements WebAssembly 2.0") for f in WASM3_FEATURES},
            EXTENDED_CONST: supported()}


class PywasmAdapter(PythonEngineAdapter):
    def __init__(self) -> None:
        super().__init__(
            runtime="pywasm", tiers=("interp",), default_tier="interp",
            description="pywasm, a pure-Python interpreter",
            install_hint="pip install pywasm",
            capabilities_by_tier={"interp": ALL},
            package="pywasm",
            spec_driver="harness.spec.drivers.pywasm_py:PywasmDriver",
            slow_tiers=frozenset({"interp"}),
            features_by_tier={"interp": FEATURES},
        )

    def version(self) -> str | None:
        try:
            from importlib.metadata import version

            return f"pywasm {version('pywasm')}"
        except Exception:
            return None
