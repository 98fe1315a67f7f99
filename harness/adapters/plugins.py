"""Adapters shipped by other packages: the entry-point group ``harness.adapters``.

A runtime's own package can ship a full adapter (in-process spec driver, phases, perf) by declaring

    [project.entry-points."harness.adapters"]
    myengine = "my_package.harness_adapter:ADAPTER"

where the object is an ``Adapter`` or a callable that returns one.  A plugin that fails to import or to
build is one line naming its package; every other engine still runs.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib.metadata import EntryPoint, entry_points

from .base import Adapter

GROUP = "harness.adapters"


@dataclass
class Plugin:
    adapter: Adapter
    source: str  # "plugin PACKAGE VERSION"


def _package(ep: EntryPoint) -> str:
    dist = ep.dist
    return f"{dist.name} {dist.version}" if dist is not None else ep.value.partition(":")[0]


def load_plugins() -> tuple[list[Plugin], list[str]]:
    """The adapters of every installed plugin, and one line per plugin that could not be loaded."""
    plugins: list[Plugin] = []
    errors: list[str] = []
    for ep in entry_points(group=GROUP):
        package = _package(ep)
        try:
            obj = ep.load()
            adapter = obj if isinstance(obj, Adapter) else obj()
            if not isinstance(adapter, Adapter):
                raise TypeError(f"{ep.value} is a {type(adapter).__name__}, not a harness Adapter")
        except Exception as e:  # noqa: BLE001 - a broken plugin is reported, the other engines run
            first = str(e).strip().splitlines()[0] if str(e).strip() else ""
            errors.append(f"plugin {package} (entry point {ep.name!r} in group {GROUP}) cannot be loaded: "
                          f"{type(e).__name__}: {first} (fix: repair or uninstall {package.split()[0]})")
            continue
        plugins.append(Plugin(adapter, f"plugin {package}"))
    return plugins, errors
