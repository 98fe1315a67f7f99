"""``ci/confirm``: a suspected step is re-measured on this machine, and the re-measurement confirms it when
it lands at the new level (and only then); re-measurement runs are not nights of their own."""

import json
import platform
import sqlite3
import subprocess

from harness.analysis.history import load_history
from harness.analysis.regressions import find_changes
from harness.dashboard.confirm import commands, mark
from harness.paths import REPO_ROOT
from harness.results import ResultRow, ResultsStore

ARCH = platform.machine()
LEVELS = [1.00, 1.01, 0.99, 1.00, 1.02, 0.98, 1.00, 1.01, 0.99, 1.00, 1.01, 0.99, 1.20]  # a step on the last night


def _history(path):
    with ResultsStore(path) as st:
        for night, level in enumerate(LEVELS):
            run = st.start_run("perf", extra={"size_mb": 2.0})
            st.add(run, [ResultRow("perf", "micro-matmul", "wasmtime", "wall_time", item="full", tier="cranelift",
                                   value=level * (1 + 0.002 * rep), unit="s", outcome="ok", arch=ARCH) for rep in range(3)])
            st.finish_run(run)
            with sqlite3.connect(path) as db:
                db.execute("UPDATE runs SET started=? WHERE run_id=?", (1_796_000_000 + night * 86400, run))
    return path


def _remeasure(path, level):
    with ResultsStore(path) as st:
        before = {r["run_id"] for r in st.runs()}
        run = st.start_run("perf")
        st.add(run, [ResultRow("perf", "micro-matmul", "wasmtime", "wall_time", item="full", tier="cranelift",
                               value=level, unit="s", outcome="ok", arch=ARCH) for _ in range(5)])
        st.finish_run(run)
    mark(path, before, "micro-matmul on wasmtime:cranelift")


def test_a_suspected_step_is_planned_for_re_measurement_at_the_nightly_size(tmp_path):
    history = _history(tmp_path / "h.db")
    [change] = find_changes(load_history(history))
    assert not change.confirmed
    [(what, argv)] = commands(history, tmp_path / "shard.db")
    assert "micro-matmul" in what
    assert argv[argv.index("--engines") + 1] == "wasmtime:cranelift"
    assert argv[argv.index("--size") + 1] == "2.0" and argv[argv.index("--db") + 1] == str(tmp_path / "shard.db")
    done = subprocess.run([str(REPO_ROOT / "ci" / "confirm"), str(history), "--db", str(tmp_path / "s.db"), "--dry-run"],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0 and "harness perf --engines wasmtime:cranelift" in done.stdout


def test_a_re_measurement_at_the_new_level_confirms_it_and_one_at_the_old_level_does_not(tmp_path):
    confirmed = _history(tmp_path / "a.db")
    _remeasure(confirmed, 1.19)
    history = load_history(confirmed)
    assert len(history.nights) == len(LEVELS)  # the re-measurement is not a night of its own
    [change] = find_changes(history)
    assert change.confirmed and change.confirmed_by == "re-measurement"
    noise = _history(tmp_path / "b.db")
    _remeasure(noise, 1.01)
    [change] = find_changes(load_history(noise))
    assert not change.confirmed
    with sqlite3.connect(noise) as db:
        extras = [json.loads(e) for (e,) in db.execute("SELECT extra FROM runs")]
    assert sum("remeasure" in e for e in extras) == 1
