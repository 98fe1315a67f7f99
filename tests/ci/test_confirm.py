"""``ci/confirm``: a suspected step is re-measured on this machine, and the re-measurement confirms it when
it lands at the new level (and only then); re-measurement runs are not nights of their own."""

import json
import platform
import sqlite3
import subprocess
import sys

from harness.analysis.history import load_history
from harness.analysis.regressions import find_changes
from harness.dashboard.confirm import _measure, commands, mark, plans
from harness.paths import REPO_ROOT
from harness.results import ResultRow, ResultsStore
from harness.results.builds import our_build

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


def _history_with_builds(path, previous, current, engine="ours", tier="llvm"):
    """The step history, each run recording the build of its engine: ``previous`` before the last night,
    ``current`` on it."""
    _history(path)
    with sqlite3.connect(path) as db:
        runs = [r for (r,) in db.execute("SELECT run_id FROM runs ORDER BY started")]
        db.execute("UPDATE results SET engine=?, tier=?", (engine, tier))
        for i, run_id in enumerate(runs):
            build = current if i == len(runs) - 1 else previous
            db.execute("UPDATE runs SET extra=? WHERE run_id=?",
                       (json.dumps({"size_mb": 2.0, "builds": {f"{engine}:{tier}": build}}), run_id))
    db.close()
    return path


def _commit(rev):
    return subprocess.run(["git", "-C", str(REPO_ROOT), "rev-parse", rev], capture_output=True, text=True).stdout.strip()


def test_our_engine_s_previous_commit_is_measured_in_turns_with_the_current_build(tmp_path):
    previous = {"kind": "source", "digest": "a" * 64, "commit": _commit("HEAD~1"), "dirty": False}
    history = _history_with_builds(tmp_path / "h.db", previous, our_build())
    [plan] = plans(history, pairs=4, repeat=2)
    assert plan.previous == previous and "pairs in turns" in plan.why
    assert plan.argv[plan.argv.index("--repeat") + 1] == "2"
    done = subprocess.run([str(REPO_ROOT / "ci" / "confirm"), str(history), "--db", str(tmp_path / "s.db"), "--dry-run"],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert f"[previous build, from git archive {previous['commit'][:12]}]" in done.stdout
    assert "[current build, from " in done.stdout


def test_the_same_build_twice_or_one_that_cannot_be_had_is_re_measured_alone(tmp_path):
    same = our_build()
    [plan] = plans(_history_with_builds(tmp_path / "a.db", same, same), pairs=4, repeat=2)
    assert plan.previous is None and "same build" in plan.why
    assert plan.argv[plan.argv.index("--repeat") + 1] == "8"  # pairs x repeat of the current build
    dirty = {"kind": "source", "digest": "b" * 64, "commit": _commit("HEAD"), "dirty": True}
    [plan] = plans(_history_with_builds(tmp_path / "b.db", dirty, our_build()))
    assert plan.previous is None and "uncommitted" in plan.why
    gone = {"kind": "binary", "version": "wasmtime 1.0", "path": str(tmp_path / "gone"), "digest": "c" * 64}
    [plan] = plans(_history_with_builds(tmp_path / "c.db", gone, {**gone, "digest": "d" * 64}, "wasmtime", "cranelift"))
    assert plan.previous is None and "not here any more" in plan.why


def test_interleaved_re_measurements_are_marked_with_their_build_and_pair_and_merged(tmp_path):
    history = _history(tmp_path / "h.db")
    [change] = find_changes(load_history(history))
    # a stand-in for harness perf: one run of three values at the level it is given, into --db
    script = ("import sys; from harness.results import ResultRow, ResultsStore; "
              "st = ResultsStore(sys.argv[sys.argv.index('--db') + 1]); r = st.start_run('perf'); "
              "st.add(r, [ResultRow('perf', 'micro-matmul', 'wasmtime', 'wall_time', item='full', tier='cranelift', "
              f"value=float(sys.argv[1]), unit='s', outcome='ok', arch='{ARCH}') for _ in range(3)]); "
              "st.finish_run(r); st.close()")
    for pair in range(4):
        for role, level in (("previous", 1.0), ("current", 1.2)):
            marks = {"remeasure": "m", "remeasure_step": change.night, "build": role, "pair": pair}
            assert _measure([sys.executable, "-c", script, str(level * (1 + 0.002 * pair))], REPO_ROOT, history, marks) == 0
    loaded = load_history(history)
    assert len(loaded.nights) == len(LEVELS)  # not a night of their own
    records = loaded.remeasured[change.key]
    assert {(r.build, r.pair) for r in records} == {(b, p) for p in range(4) for b in ("previous", "current")}
    [confirmed] = find_changes(loaded)
    assert confirmed.confirmed and "interleaved" in confirmed.remeasure


def test_a_second_round_of_pairs_runs_only_while_the_first_is_inconclusive(tmp_path):
    from harness.analysis.regressions import noise_floor
    from harness.dashboard.confirm import Plan, _inconclusive

    history = _history(tmp_path / "h.db")
    [change] = find_changes(load_history(history))
    noise = noise_floor(load_history(history).series[change.key])
    for ratio, expected in ((1.025, True), (1.20, False), (1.0, False)):
        out = tmp_path / f"shard-{ratio}.db"
        with ResultsStore(out) as st:
            for pair in range(12):
                for role, level in (("previous", 1.0), ("current", ratio)):
                    run = st.start_run("perf", extra={"remeasure": "m", "remeasure_step": change.night,
                                                      "build": role, "pair": pair})
                    st.add(run, [ResultRow("perf", "micro-matmul", "wasmtime", "wall_time", item="full",
                                           tier="cranelift", value=level * (1.002 if pair % 2 else 0.998),
                                           unit="s", outcome="ok", arch=ARCH)])
                    st.finish_run(run)
        plan = Plan(change.key.name, change.night, [], {}, {}, "", change, noise)
        assert _inconclusive(plan, out) is expected, ratio
