"""How the WASI runner and ``harness run`` get an engine's command line: from its adapter
(``Adapter.wasi_command``), so they run exactly what ``harness perf`` times.

Every engine runs in a child process, so a program that never exits can be killed at its timeout and a
crashing engine cannot take the harness down.  Besides the registry's runtimes this accepts ``hostcheck``
(our WASI host under wasmtime's Python API, ``harness.adapters.hostcheck``).
"""

from __future__ import annotations

from pathlib import Path

from ..adapters.base import WASI, Adapter, EngineSpec, Invocation, UnknownEngineError
from ..adapters.hostcheck import HostcheckAdapter
from ..adapters.registry import get_adapter
from .testsuite import PREVIEW1

__all__ = ["HOSTCHECK", "Invocation", "adapter_for", "check_available", "command",
           "parse_engine", "supported_versions"]

HOSTCHECK = EngineSpec("hostcheck", "")
_HOSTCHECK_ADAPTER = HostcheckAdapter()


def adapter_for(engine: EngineSpec) -> Adapter:
    return _HOSTCHECK_ADAPTER if engine == HOSTCHECK else get_adapter(engine.runtime)


def parse_engine(name: str) -> EngineSpec:
    """``runtime[:tier]`` -> EngineSpec, with ``hostcheck`` accepted besides the registry's engines."""
    if name == HOSTCHECK.runtime:
        return HOSTCHECK
    runtime, _, tier = name.partition(":")
    adapter = get_adapter(runtime)  # raises UnknownEngineError with the known names
    tier = tier or adapter.default_tier
    if tier not in adapter.tiers:
        raise UnknownEngineError(f"unknown tier {tier!r} for {runtime}; tiers: {', '.join(adapter.tiers)}")
    return EngineSpec(runtime, tier)


def supported_versions(engine: EngineSpec) -> set[str]:
    """WASI versions an engine can run here: only preview1 commands (components need a component host)."""
    return {PREVIEW1}


def check_available(engine: EngineSpec) -> None:
    """Raise RunnerUnavailable with the reason and the fix when the engine cannot run WASI here."""
    adapter_for(engine).check(engine.tier, WASI)


def command(engine: EngineSpec, inv: Invocation, scratch: Path) -> list[str]:
    """The argv that runs ``inv`` on ``engine``; ``scratch`` is a per-run directory for driver files."""
    return adapter_for(engine).wasi_command(engine.tier, inv, scratch)
