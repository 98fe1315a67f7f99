"""An engine that dies on a file of a proposal it declares it lacks: the checks it never reached are
``unsupported``, named; on a proposal it has, or a core file, they stay crashes."""

from __future__ import annotations

from pathlib import Path

from harness.adapters.base import EngineSpec
from harness.spec import runner
from harness.spec.drivers import base
from harness.spec.outcomes import CheckOutcome


def _died():
    return [CheckOutcome(1, "module", "pass"), CheckOutcome(2, "assert_return", "crash", message="engine died")]


def test_unreached_checks_of_a_lacking_proposal_are_unsupported(monkeypatch):
    monkeypatch.setattr(base, "features_off", lambda runtime, tier, version=None: frozenset({"memory64"}))
    engine = EngineSpec("x", "t")
    got = runner._lacking(engine, Path("table_copy64.wast"), "3.0", _died())
    assert [o.outcome for o in got] == ["pass", "unsupported"]
    assert got[1].message == "feature memory64 off in this engine (engine died)"
    assert [o.outcome for o in runner._lacking(engine, Path("load1.wast"), "3.0", _died())] == ["pass", "crash"]
    assert [o.outcome for o in runner._lacking(engine, Path("i32.wast"), "3.0", _died())] == ["pass", "crash"]


def test_an_adapter_less_engine_lacks_nothing():
    assert base.features_off("no-such-runtime", "t", version="3.0") == frozenset()
