"""``hostcheck``: not a runtime but our WASI host (``harness.engine.wasi``) executed by wasmtime's Python
API, which checks the host on its own in the WASI runner.  It is deliberately not in the registry (no
spec, no perf, not a reference runtime); ``harness.wasi.drivers`` accepts it by name."""

from __future__ import annotations

from .base import WASI, PythonEngineAdapter


class HostcheckAdapter(PythonEngineAdapter):
    def __init__(self) -> None:
        super().__init__(
            runtime="hostcheck", tiers=("",), default_tier="",
            description="our WASI host under wasmtime's Python API",
            install_hint="pip install wasmtime",
            capabilities_by_tier={"": frozenset({WASI})},
            package="wasmtime",
        )
