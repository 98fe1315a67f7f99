"""Per-runtime drivers; which runtime uses which is its adapter's ``spec_driver``.

In-process drivers (Python APIs: wasmtime, wasm3, pywasm, our engine; V8 through a node child) implement
``base.Driver`` and run inside ``python -m harness.spec.worker``; out-of-process runtimes (wabt's
spectest-interp) have a ``run_file`` function of their own that produces the same outcomes.
"""

from __future__ import annotations

import os

from .base import Driver, features_off

EXTRA_ENV = "HARNESS_SPEC_DRIVERS"


def _declared(in_worker: bool) -> dict[str, str]:
    from ...adapters.container import spec_drivers
    from ...adapters.registry import adapters

    return {**{a.runtime: a.spec_driver for a in adapters().values()
               if a.spec_driver and a.spec_in_worker == in_worker}, **(spec_drivers() if in_worker else {})}


def in_process_drivers() -> dict[str, str]:
    """The adapters' in-process drivers plus ``$HARNESS_SPEC_DRIVERS`` (``name=module:Class;...``), which
    lets tests plug in fake engines (a crashing one, a hanging one) that run in real worker processes."""
    drivers = _declared(in_worker=True)
    for item in os.environ.get(EXTRA_ENV, "").split(";"):
        name, sep, target = item.partition("=")
        if sep and name.strip() and ":" in target:
            drivers[name.strip()] = target.strip()
    return drivers


def out_of_process_drivers() -> dict[str, str]:
    """``runtime -> module:function`` for runtimes driven from outside the worker."""
    return _declared(in_worker=False)


def load_driver(runtime: str, tier: str) -> Driver:
    """Instantiate the in-process driver of ``runtime:tier`` (imports the runtime's Python package)."""
    import importlib

    target = in_process_drivers().get(runtime)
    if target is None:
        raise KeyError(f"no in-process spec driver for {runtime}")
    modname, _, cls = target.partition(":")
    driver = getattr(importlib.import_module(modname), cls)(tier)
    driver.features_off = features_off(runtime, tier)
    return driver


def supports_spec(runtime: str) -> bool:
    return runtime in in_process_drivers() or runtime in out_of_process_drivers()
