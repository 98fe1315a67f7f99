"""Per-runtime drivers.

In-process drivers (Python APIs: wasmtime, wasm3, pywasm, our engine) implement ``base.Driver`` and run
inside ``python -m harness.spec.worker``; out-of-process runtimes (V8 through node, wabt's
spectest-interp) have a ``run_file`` function of their own that produces the same outcomes.
"""

from __future__ import annotations

from .base import Driver

IN_PROCESS = {
    "wasmtime": "harness.spec.drivers.wasmtime_py:WasmtimeDriver",
    "wasm3": "harness.spec.drivers.wasm3_py:Wasm3Driver",
    "pywasm": "harness.spec.drivers.pywasm_py:PywasmDriver",
    "ours": "harness.spec.drivers.ours:OursDriver",
    "v8": "harness.spec.drivers.node:NodeDriver",  # executor in the worker, V8 in a node child
}
OUT_OF_PROCESS = {
    "wabt": "harness.spec.drivers.wabt:run_file",
}


EXTRA_ENV = "HARNESS_SPEC_DRIVERS"


def in_process_drivers() -> dict[str, str]:
    """Built-in in-process drivers plus ``$HARNESS_SPEC_DRIVERS`` (``name=module:Class;...``), which lets
    tests plug in fake engines (a crashing one, a hanging one) that run in real worker processes."""
    import os

    drivers = dict(IN_PROCESS)
    for item in os.environ.get(EXTRA_ENV, "").split(";"):
        name, sep, target = item.partition("=")
        if sep and name.strip() and ":" in target:
            drivers[name.strip()] = target.strip()
    return drivers


def load_driver(runtime: str, tier: str) -> Driver:
    """Instantiate the in-process driver of ``runtime:tier`` (imports the runtime's Python package)."""
    import importlib

    target = in_process_drivers().get(runtime)
    if target is None:
        raise KeyError(f"no in-process spec driver for {runtime}")
    modname, _, cls = target.partition(":")
    return getattr(importlib.import_module(modname), cls)(tier)


def supports_spec(runtime: str) -> bool:
    return runtime in in_process_drivers() or runtime in OUT_OF_PROCESS
