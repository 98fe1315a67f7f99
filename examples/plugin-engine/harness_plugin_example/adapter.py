"""The adapter a runtime's own package would ship: a full one, with an in-process spec driver, WASI
command lines (so ``harness run``, ``harness wasi`` and ``harness perf`` work) and a version.

The "runtime" here is the harness's own interpreter under another name, so the example runs anywhere the
harness does; a real package would drive its engine instead.
"""

from __future__ import annotations

from importlib.metadata import version
from pathlib import Path

from harness.adapters.base import ALL, Adapter, Availability, Invocation, child_command
from harness.spec.drivers.ours import OursDriver


class PluginDriver(OursDriver):
    """The spec driver, run in the harness's worker processes."""

    def __init__(self, tier: str) -> None:
        super().__init__("interp")


class PluginAdapter(Adapter):
    def __init__(self) -> None:
        super().__init__(runtime="plugin-interp", tiers=("interp",), default_tier="interp",
                         description="an example plugin: the harness's interpreter shipped as a package",
                         capabilities_by_tier={"interp": ALL},
                         spec_driver="harness_plugin_example.adapter:PluginDriver",
                         slow_tiers=frozenset({"interp"}))

    def _probe(self, tier: str) -> Availability:
        return Availability(True)

    def version(self) -> str | None:
        return f"harness-plugin-example {version('harness-plugin-example')}"

    def wasi_command(self, tier: str, inv: Invocation, scratch: Path) -> list[str]:
        return child_command("ours:interp", inv)


ADAPTER = PluginAdapter()
