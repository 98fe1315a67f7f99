"""How the harness offers the singlepass tier now that it passes the whole 2.0 suite: a bare ``ours`` (every
tier) includes it, its name selects it alone, and ``harness runtimes`` no longer lists it as partial."""

from __future__ import annotations

from harness.adapters.base import EngineSpec
from harness.adapters.registry import get_adapter, parse_engines
from harness.engine.tiers.singlepass import unavailable_reason


def test_a_bare_ours_includes_the_tier_and_its_name_selects_it() -> None:
    assert (EngineSpec("ours", "singlepass") in parse_engines("ours")) is not bool(unavailable_reason())
    assert parse_engines("ours:singlepass") == [EngineSpec("ours", "singlepass")]


def test_harness_runtimes_lists_no_partial_tier_of_ours() -> None:
    adapter = get_adapter("ours")
    assert "singlepass" in adapter.tiers and adapter.partial() == {}  # what ``harness runtimes`` shows
