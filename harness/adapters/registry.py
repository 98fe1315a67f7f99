"""Every runtime the harness knows, and parsing of ``--engines`` lists.

Adding a runtime: write its adapter module in this package (see ``base.Adapter``), plus its spec driver in
``harness/spec/drivers/`` if it has one, and add one line to ``BUILTIN``.  ``$HARNESS_ADAPTERS`` names extra
adapter modules (``pkg.module,other.module``, each with a module-level ``ADAPTER``), which is how tests
add a fake runtime that every stage, in every process, then sees.

Runtimes can also live outside the harness: packages ship adapters through the entry-point group
``harness.adapters`` (``plugins``), and users declare engines by their command lines in TOML
(``declared``).  Each adapter's source (built-in, plugin, declared) and every one that could not be loaded
are kept for ``harness runtimes``.
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache

from . import declared, plugins
from .base import Adapter, EngineSpec, UnknownEngineError
from .cargo_runtimes import WasmerAdapter, WasmiAdapter
from .container import MARK as CONTAINER_MARK
from .container import container_adapter
from .native import NativeAdapter, QemuUserAdapter
from .ours import OursAdapter
from .pywasm import PywasmAdapter
from .v8 import V8Adapter
from .wabt import WabtAdapter
from .wamr import WamrAdapter
from .wasm3 import Wasm3Adapter
from .wasm3_cli import Wasm3CliAdapter
from .wasmtime import WasmtimeAdapter

# In the order reports list them.
BUILTIN: list[Callable[[], Adapter]] = [
    OursAdapter,
    WasmtimeAdapter,
    V8Adapter,
    Wasm3Adapter,
    WabtAdapter,
    PywasmAdapter,
    WasmerAdapter,
    WasmiAdapter,
    WamrAdapter,
    Wasm3CliAdapter,
    lambda: NativeAdapter("native64", "native code for the host, 64-bit pointers"),
    lambda: NativeAdapter("native32", "native code for the host, 32-bit pointers (i386 on x86-64, Arm on aarch64)"),
    QemuUserAdapter,
]

EXTRA_ENV = "HARNESS_ADAPTERS"


BUILT_IN = "built-in"


@dataclass
class Known:
    """Every runtime this process knows, where each came from, and what could not be loaded."""

    adapters: dict[str, Adapter] = field(default_factory=dict)
    sources: dict[str, str] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)

    def add(self, adapter: Adapter, source: str) -> None:
        if adapter.runtime in self.adapters:
            self.errors.append(f"{source}: runtime {adapter.runtime!r} is already defined "
                               f"({self.sources[adapter.runtime]}); it is ignored (fix: rename it)")
            return
        self.adapters[adapter.runtime] = adapter
        self.sources[adapter.runtime] = source


@cache
def known() -> Known:
    """The built-in runtimes, then those of ``$HARNESS_ADAPTERS``, of plugins, and of the declarations file."""
    out = Known()
    for make in BUILTIN:
        out.add(make(), BUILT_IN)
    for name in [m.strip() for m in os.environ.get(EXTRA_ENV, "").split(",") if m.strip()]:
        out.add(importlib.import_module(name).ADAPTER, f"${EXTRA_ENV} module {name}")
    found, errors = plugins.load_plugins()
    out.errors += errors
    for plugin in found:
        out.add(plugin.adapter, plugin.source)
    path = declared.declarations_file()
    if path is not None:
        adapters_, mistakes = declared.load(path, set(out.adapters))
        out.errors += [str(e) for e in mistakes]
        for adapter in adapters_:
            out.add(adapter, f"declared in {path}")
    # ci/confirm measures an old build of an engine, kept in the build store: $HARNESS_ENGINE_BINARIES
    from ..results.buildstore import apply_overrides

    apply_overrides(out.adapters)
    return out


def adapters() -> dict[str, Adapter]:
    """All known runtimes by name (see ``known``)."""
    return known().adapters


def get_adapter(runtime: str) -> Adapter:
    """The adapter of ``runtime``; ``RUNTIME@docker[-ARCH]`` is that runtime in its container image."""
    if CONTAINER_MARK in runtime:
        return container_adapter(runtime, get_adapter(runtime.partition(CONTAINER_MARK)[0]))
    try:
        return adapters()[runtime]
    except KeyError:
        errors = "".join(f"; {e}" for e in known().errors)
        raise UnknownEngineError(
            f"unknown runtime {runtime!r}; known: {', '.join(adapters())} (see 'harness runtimes'){errors}"
        ) from None


def parse_engines(text: str, capability: str | None = None, only_available: bool = False) -> list[EngineSpec]:
    """Parse ``ours,wasmtime:winch,v8``.

    A bare runtime means its default tier, except ``ours`` which means every tier of our engine that
    exists here.  With ``capability``, engines lacking it are an error (named in the message).
    """
    result: list[EngineSpec] = []
    for raw in [p.strip() for p in text.split(",") if p.strip()]:
        runtime, _, tier = raw.partition(":")
        adapter = get_adapter(runtime)
        if tier:
            if tier not in adapter.tiers:
                raise UnknownEngineError(
                    f"unknown tier {tier!r} for {runtime}; tiers: {', '.join(t for t in adapter.tiers if t) or '(none)'}"
                )
            specs = [EngineSpec(runtime, tier)]
        elif runtime == "ours":
            specs = [e for e in adapter.engines() if adapter.available(e.tier)]
        else:
            specs = [EngineSpec(runtime, adapter.default_tier)]
        for spec in specs:
            if capability and capability not in adapter.capabilities(spec.tier):
                raise UnknownEngineError(f"{spec} cannot run {capability} (capabilities: "
                                         f"{', '.join(sorted(adapter.capabilities(spec.tier))) or 'none'})")
            if only_available and not adapter.available(spec.tier):
                continue
            if spec not in result:
                result.append(spec)
    if not result and text.strip():
        raise UnknownEngineError(f"no engine in {text!r} is usable here (see 'harness runtimes')")
    return result
