"""How the harness offers the singlepass tier while it is partial: only by its name, listed with what it covers."""

from __future__ import annotations

from harness.adapters.base import EngineSpec
from harness.adapters.registry import parse_engines
from harness.commands.runtimes import collect


def test_a_bare_ours_leaves_the_partial_tier_out_and_its_name_selects_it() -> None:
    assert EngineSpec("ours", "singlepass") not in parse_engines("ours")
    assert parse_engines("ours:singlepass") == [EngineSpec("ours", "singlepass")]


def test_harness_runtimes_lists_it_as_partial() -> None:
    (row,) = [r for r in collect() if r["engine"] == "ours:singlepass"]
    assert row["partial"].startswith("partial: no SIMD yet")
    assert all(r["partial"] is None for r in collect() if r["engine"] != "ours:singlepass")
