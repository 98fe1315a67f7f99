"""The results store keeps every row, survives a crash, merges shards by run id, and records how each run ended."""

import os
import signal
import sqlite3
import subprocess
import time

import pytest

from harness.interrupts import Terminated
from harness.results import ResultRow, ResultsStore
from harness.results.run import recording


def _rows(n, engine="wasmtime", outcome="pass"):
    return [ResultRow(suite="spec", file="i32.wast", item=f"line {i}", engine=engine, tier="cranelift",
                      metric="assertion", value=1.0 if outcome == "pass" else 0.0, outcome=outcome,
                      extra={"repro": f"harness spec --line {i}"}) for i in range(n)]


def test_rows_round_trip_with_run_metadata(tmp_path):
    store = ResultsStore(tmp_path / "r.db")
    run = store.start_run("spec", "harness spec", engines={"wasmtime:cranelift": "49"}, suites={"spec-2.0": "abc"})
    assert store.add(run, _rows(3)) == 3
    store.finish_run(run)
    df = store.dataframe()
    assert list(df["item"]) == ["line 0", "line 1", "line 2"]
    assert df["extra"][0]["repro"] == "harness spec --line 0"
    (meta,) = store.runs()
    assert meta["engines"] == {"wasmtime:cranelift": "49"}
    assert meta["machine"]["arch"]
    assert meta["status"] == "finished"


def test_rows_written_before_a_crash_are_kept(tmp_path):
    path = tmp_path / "r.db"
    store = ResultsStore(path)
    run = store.start_run("spec")
    store.add(run, _rows(2))
    # no finish_run, no close: the process "dies" here
    again = ResultsStore(path)
    assert len(again.dataframe()) == 2
    assert again.runs()[0]["status"] == "running"


def test_merge_two_shards(tmp_path):
    a, b = ResultsStore(tmp_path / "a.db"), ResultsStore(tmp_path / "b.db")
    ra = a.start_run("spec")
    a.add(ra, _rows(2, engine="wasmtime"))
    rb = b.start_run("spec")
    b.add(rb, _rows(3, engine="wabt"))
    b.close()
    assert a.merge_from(tmp_path / "b.db") == 3
    assert a.merge_from(tmp_path / "b.db") == 0  # idempotent
    assert sorted(a.dataframe()["engine"].unique()) == ["wabt", "wasmtime"]


def test_a_schema_1_store_gains_the_process_columns_and_merges(tmp_path):
    old = tmp_path / "old.db"
    with sqlite3.connect(old) as c:
        c.execute("CREATE TABLE runs (run_id TEXT PRIMARY KEY, kind TEXT NOT NULL, command TEXT, started REAL NOT NULL,"
                  " finished REAL, status TEXT, machine TEXT, engines TEXT, suites TEXT, extra TEXT)")
        c.execute("CREATE TABLE results (id INTEGER PRIMARY KEY AUTOINCREMENT, run_id TEXT NOT NULL, suite TEXT NOT NULL,"
                  " file TEXT NOT NULL, item TEXT, engine TEXT NOT NULL, tier TEXT, arch TEXT, metric TEXT NOT NULL,"
                  " value REAL, unit TEXT, outcome TEXT, message TEXT, extra TEXT)")
        c.execute("INSERT INTO runs VALUES ('r1', 'spec', '', 1.0, 2.0, 'finished', '{}', '{}', '{}', '{}')")
        c.execute("INSERT INTO results (run_id, suite, file, engine, metric) VALUES ('r1', 'spec', 'a.wast', 'x', 'm')")
    new = ResultsStore(tmp_path / "new.db")
    assert new.merge_from(old) == 1  # read as it is
    assert "pid" not in {r[1] for r in sqlite3.connect(old).execute("PRAGMA table_info(runs)")}
    with ResultsStore(old) as store:  # opened as a store: migrated
        run = store.start_run("spec")
        assert {r["run_id"] for r in store.runs()} == {"r1", run}
    assert {"pid", "host"} <= {r[1] for r in sqlite3.connect(old).execute("PRAGMA table_info(runs)")}


def test_only_runs_of_this_host_whose_process_is_gone_are_abandoned(tmp_path):
    dead = subprocess.Popen(["true"])
    dead.wait()
    store = ResultsStore(tmp_path / "r.db")
    mine, gone, elsewhere, done = (store.start_run("spec") for _ in range(4))
    store.finish_run(done)
    store._db.execute("UPDATE runs SET pid=? WHERE run_id IN (?, ?)", (dead.pid, gone, elsewhere))
    store._db.execute("UPDATE runs SET host='another-machine' WHERE run_id=?", (elsewhere,))
    assert store.mark_abandoned() == [gone]
    status = {r["run_id"]: r["status"] for r in store.runs()}
    assert status == {mine: "running", gone: "abandoned", elsewhere: "running", done: "finished"}


def test_recording_ends_each_run_with_how_it_ended(tmp_path):
    store = ResultsStore(tmp_path / "r.db")
    with recording(store, "spec", "harness spec", {}, {}) as run:
        run.add(_rows(2))
    with pytest.raises(ValueError), recording(store, "spec", "harness spec", {}, {}):
        raise ValueError("a bug")
    with pytest.raises(KeyboardInterrupt) as interrupted, recording(store, "spec", "harness spec", {}, {}) as last:
        last.add(_rows(3))
        raise KeyboardInterrupt
    assert [r["status"] for r in store.runs()] == ["finished", "failed", "interrupted"]
    assert interrupted.value.__notes__ == [f"3 rows of run {last.run_id} are in {store.path}"]
    with pytest.raises(KeyboardInterrupt) as unstored, recording(None, "spec", "harness spec", {}, {}) as nothing:
        nothing.add(_rows(1))
        raise KeyboardInterrupt
    assert unstored.value.__notes__ == ["nothing was stored (--no-store)"]


def test_sigterm_while_recording_is_an_interrupt_and_the_handler_is_restored(tmp_path):
    before = signal.getsignal(signal.SIGTERM)
    store = ResultsStore(tmp_path / "r.db")
    with pytest.raises(Terminated), recording(store, "wasi", "harness wasi", {}, {}):
        os.kill(os.getpid(), signal.SIGTERM)
        time.sleep(5)  # the handler raises before this ends
    assert store.runs()[0]["status"] == "interrupted"
    assert signal.getsignal(signal.SIGTERM) is before
