"""The history read night by night: A/A pairs, emulated series kept apart, conformance counts, checks
that changed state, and what a cut-short shard leaves: missing, not zero or pass."""

import json
import sqlite3

from harness.analysis.history import MISSING, load_history
from harness.results import ResultRow, ResultsStore

DAY = 86400.0
T0 = 1_796_000_000.0


def _run(st: ResultsStore, night: int, kind: str, rows: list[ResultRow], *, arch: str = "x86_64",
         cpu: str = "AMD EPYC", status: str = "finished", offset: float = 0.0) -> str:
    run = st.start_run(kind)
    st.add(run, [ResultRow(**{**r.__dict__, "arch": arch}) for r in rows])
    st.finish_run(run, status)
    with sqlite3.connect(st.path) as db:
        machine = json.loads(db.execute("SELECT machine FROM runs WHERE run_id=?", (run,)).fetchone()[0])
        db.execute("UPDATE runs SET started=?, machine=? WHERE run_id=?",
                   (T0 + night * DAY + offset, json.dumps({**machine, "arch": arch, "cpu": cpu}), run))
    return run


def _checks(outcomes: dict[str, str]) -> list[ResultRow]:
    return [ResultRow("wasi", f, "ours", "test", tier="interp", outcome=o, value=float(o == "pass")) for f, o in outcomes.items()]


def _perf(value: float) -> list[ResultRow]:
    return [ResultRow("perf", "gzip", "wasmtime", "wall_time", item="full", tier="cranelift", value=value,
                      unit="s", outcome="ok")]


def test_a_night_has_its_aa_pair_and_emulated_timings_are_their_own_series(tmp_path):
    db = tmp_path / "h.db"
    with ResultsStore(db) as st:
        for night in range(2):
            _run(st, night, "perf", _perf(1.0), offset=10)
            _run(st, night, "perf", _perf(1.1), offset=20)
            _run(st, night, "perf", _perf(9.0), arch="aarch64", cpu="AMD EPYC", offset=30)  # qemu-user
            _run(st, night, "perf", _perf(1.4), arch="aarch64", cpu="Neoverse-N1", offset=40)
    h = load_history(db)
    by_where = {k.where: pts for k, pts in h.series.items()}
    assert sorted(by_where) == ["aarch64", "aarch64 (emulated)", "x86_64"]
    assert [len(p.runs) for p in by_where["x86_64"]] == [2, 2]
    assert by_where["x86_64"][0].value == 1.05
    assert by_where["aarch64 (emulated)"][0].value == 9.0


def test_conformance_counts_changed_checks_and_missing_ones(tmp_path):
    db = tmp_path / "h.db"
    with ResultsStore(db) as st:
        _run(st, 0, "wasi", _checks({"a": "pass", "b": "pass", "c": "pass", "d": "fail", "e": "xfail"}))
        _run(st, 0, "perf", _perf(1.0))
        # night 1: the shard was cut short: c, d and e never ran; b started failing
        _run(st, 1, "wasi", _checks({"a": "pass", "b": "fail"}), status="interrupted")
        # night 2: the wasi shard produced nothing at all, but the machine ran other shards
        _run(st, 2, "perf", _perf(1.0))
    h = load_history(db)
    counts = {c.night: c for c in h.conformance}
    first, second, third = (counts[n] for n in h.nights)
    assert (first.passed, first.failed, first.known, first.missing) == (3, 1, 1, 0)
    assert (second.passed, second.failed, second.missing) == (1, 1, 3)
    # what the cut-short night never judged is still missing the night after
    assert (third.passed, third.failed, third.missing, third.run_ids) == (0, 0, 5, [])
    changed = {(c.night, c.file): (c.before, c.after) for c in h.changes}
    assert changed[(h.nights[1], "b")] == ("pass", "fail")
    assert changed[(h.nights[1], "c")] == ("pass", MISSING)
    assert (h.nights[1], "a") not in changed


def test_a_perf_cell_a_night_lacks_is_a_missing_night(tmp_path):
    db = tmp_path / "h.db"
    with ResultsStore(db) as st:
        _run(st, 0, "perf", _perf(1.0))
        _run(st, 1, "perf", [ResultRow("perf", "bzip2", "wasmtime", "wall_time", item="full", tier="cranelift",
                                       value=2.0, unit="s", outcome="ok")], status="failed")
        _run(st, 2, "perf", _perf(1.0))
    h = load_history(db)
    gzip = next(k for k in h.series if k.file == "gzip")
    assert h.missing_nights(gzip) == [h.nights[1]]


def test_two_checks_on_one_line_are_two_checks_in_the_history(tmp_path):
    """left-to-right.wast has two assertions on a line: stored with one item, the history counted one of
    them (44 checks a tier lost from the dashboard's spec count) and could not see the other change state."""
    from pathlib import Path

    from harness.spec.outcomes import CheckOutcome
    from harness.spec.runner import FileResult
    from harness.spec.summary import store_rows

    def night(second: str) -> list[ResultRow]:
        r = FileResult("ours:interp", "spec", "two.wast", Path("two.wast"), outcomes=[
            CheckOutcome(3, "assert_return", "pass"), CheckOutcome(3, "assert_return", second),
            CheckOutcome(4, "assert_trap", "pass")])
        return store_rows(r)

    assert [r.item for r in night("pass")] == ["line 3", "line 3 #2", "line 4"]
    db = tmp_path / "h.db"
    with ResultsStore(db) as st:
        _run(st, 0, "spec", night("pass"))
        _run(st, 1, "spec", night("fail"))
    h = load_history(db)
    first, second = (c for c in h.conformance)
    assert (first.passed, first.failed) == (3, 0)
    assert (second.passed, second.failed) == (2, 1)
    assert [(c.item, c.before, c.after) for c in h.changes] == [("line 3 #2", "pass", "fail")]
