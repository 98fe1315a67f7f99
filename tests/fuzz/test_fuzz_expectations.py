"""Reference engines' bugs found by fuzzing are expectations (``suites/fuzz/expectations/``): a finding an
entry explains is triaged ``known``/``expected`` with the entry's reason, never new, and the files are
checked like every other expectations file."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from harness.cli import main
from harness.errors import HarnessError
from harness.fuzz import expectations
from harness.fuzz.validation import judge
from harness.fuzz.validation_engines import ACCEPT, REJECT, EngineSpec, Verdict
from harness.results.store import ResultsStore
from harness.spec.drivers import EXTRA_ENV

REPO = Path(__file__).resolve().parents[2]


def test_a_pattern_is_literal_but_for_the_star():
    rx = expectations.pattern("v8: rejects (v8: *limits flags [x]*)")
    assert rx.fullmatch("v8: rejects (v8: WebAssembly.Module(): invalid limits flags [x] @+N)")
    assert not rx.fullmatch("v8: rejects (v8: invalid limits flags x @+N)")  # [x] is not a character class
    assert not rx.fullmatch("wabt: v8: rejects (v8: limits flags [x])")  # the whole signature


def test_every_engine_on_the_minority_side_must_expect_it(tmp_path):
    (tmp_path / "eng.toml").write_text('[fuzz."result | eng:a vs *"]\nreason = "eng rounds wrong"\n')
    sig = "result | eng:a vs ours:interp | f32.add"
    assert expectations.match("eng:a", "fuzz", sig, tmp_path).reason == "eng rounds wrong"
    assert expectations.match("eng:a", "fuzz-validation", sig, tmp_path) is None  # another suite
    assert expectations.match_all(["eng:a"], "fuzz", sig, tmp_path) is not None
    assert expectations.match_all(["eng:a", "other:b"], "fuzz", sig, tmp_path) is None
    (tmp_path / "bad.toml").write_text('[fuzzz."x"]\nreason = "typo"\n')
    with pytest.raises(HarnessError, match=r"bad.toml: \[fuzzz\] is not a suite here"):
        expectations.match("bad:t", "fuzz", sig, tmp_path)


def test_the_reference_engines_bugs_on_file_are_known_with_their_reason():
    """The signatures as ``judge`` makes them from the verdicts the engines gave (docs/FUZZING.md's triage)."""
    v8 = EngineSpec("v8", "node", "v8", frozenset({"memory64"}))
    wabt = EngineSpec("wabt", "command", "wasm-validate", frozenset())
    category, sig = judge(v8, Verdict(ACCEPT), Verdict(REJECT, "WebAssembly.Module(): invalid table elements "
                                                               "limits flags @+23"))
    assert category == "known" and "no 64-bit tables" in expectations.match("v8", "fuzz-validation", sig).reason
    category, sig = judge(wabt, Verdict(REJECT, "error: invalid flags byte in data segment (at offset 0x10)"),
                          Verdict(ACCEPT))
    assert category == "known" and "wabt bug" in expectations.match("wabt", "fuzz-validation", sig).reason
    # the same engines disagreeing otherwise are still findings
    assert judge(wabt, Verdict(REJECT, "error: unknown type"), Verdict(ACCEPT))[0] == "disagree"
    assert judge(v8, Verdict(ACCEPT), Verdict(REJECT, "invalid value type 0x7b"))[0] == "disagree"


def test_every_entry_on_file_loads_and_is_listed():
    entries = expectations.listed()
    assert {e["engine"] for e in entries} >= {"v8", "wabt"}
    assert all(e["reason"] and e["suite"] in ("fuzz", "fuzz-validation") for e in entries)


def test_an_execution_finding_a_reference_engine_expects_is_not_new(tmp_path, monkeypatch, capsys):
    """The planted i32.rotl bug, declared a known bug of the planted engine: found, stored as xfail with the
    reason, and the run exits 0 (no new finding)."""
    monkeypatch.setenv(EXTRA_ENV, "planted=tests.fuzz.planted:PlantedDriver")
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")])))
    (tmp_path / "exp").mkdir()
    (tmp_path / "exp" / "planted-rotl.toml").write_text(
        '[fuzz."* | planted:rotl vs ours:interp | *"]\nreason = "planted: rotl one bit too far"\n')
    monkeypatch.setattr(expectations, "EXPECTATIONS_DIR", tmp_path / "exp")
    db = tmp_path / "r.db"
    assert main(["fuzz", "--engines", "ours:interp,planted:rotl", "--seed", "1", "--start", "599", "--count", "1",
                 "--db", str(db), "--findings", str(tmp_path / "f"), "--no-minimise"]) == 0
    with ResultsStore(db) as store:
        (row,) = [r for r in store.dataframe(suite="fuzz").to_dict("records") if r["metric"] == "finding"]
    assert row["outcome"] == "xfail" and row["extra"]["new"] is False
    assert row["extra"]["expected"].startswith("planted: rotl one bit too far (")
    assert "(expected: planted: rotl one bit too far)" in capsys.readouterr().err
