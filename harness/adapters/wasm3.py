"""wasm3 through pywasm3: spec conformance in-process; WASI programs on our WASI host
(``harness.wasi.wasm3_host``, pywasm3 itself exposes no WASI) under ``python -m harness.wasi.child``."""

from __future__ import annotations

from .base import (
    ALL,
    MEMORY64,
    TAIL_CALL,
    WASM3_FEATURES,
    PythonEngineAdapter,
    supported,
    unsupported,
)

# wasm3 0.5 is a 2.0-era interpreter: of 3.0 it runs return_call (a module of each proposal, 2026-12-07);
# it reads an i64 memory's limits without complaint, but documents no memory64, so that stays unsupported.
FEATURES = {**{f: unsupported("wasm3 0.5 predates it") for f in WASM3_FEATURES}, TAIL_CALL: supported(),
            MEMORY64: unsupported("not in wasm3's documented features")}


class Wasm3Adapter(PythonEngineAdapter):
    def __init__(self) -> None:
        super().__init__(
            runtime="wasm3", tiers=("interp",), default_tier="interp",
            description="wasm3 interpreter via pywasm3 (WASI through the harness's host)",
            install_hint="pip install pywasm3",
            capabilities_by_tier={"interp": ALL},
            package="wasm3",
            spec_driver="harness.spec.drivers.wasm3_py:Wasm3Driver",
            slow_tiers=frozenset({"interp"}),
            features_by_tier={"interp": FEATURES},
        )

    def version(self) -> str | None:
        try:
            import wasm3

            return f"wasm3 {wasm3.M3_VERSION}"
        except Exception:
            return None
