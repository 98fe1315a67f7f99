"""Perf lines from stored rows: medians, ratios to the baseline measured in the same run, failures, and
the busy-machine warning judged against the cores of the machine that measured them."""

import pytest

from harness.analysis.perf_table import format_compile, format_table, summarize_rows
from harness.analysis.runs import perf_rows
from harness.analysis.studies import compile_vs_exec
from harness.results import store as store_module
from harness.results.machine import machine_fingerprint
from harness.results.store import ResultRow, ResultsStore


def _rows(engine, tier, values, label=None, outcome="ok", workload="w", load=0.1):
    return [ResultRow(suite="perf", file=workload, item="full", engine=engine, tier=tier, metric="wall_time",
                      value=v if outcome == "ok" else None, unit="s", outcome=outcome,
                      message=None if outcome == "ok" else "output differs",
                      extra={"label": label or engine, "shell": f"{engine} prog", "loadavg": load}) for v in values]


def test_summary_lines_ratios_and_failures(tmp_path):
    with ResultsStore(tmp_path / "r.db") as st:
        run = st.start_run("perf")
        st.add(run, _rows("native64", None, [1.0, 1.01, 0.99, 1.0, 1.02]))
        st.add(run, _rows("wasmtime", "cranelift", [1.5, 1.52, 1.49, 1.5, 1.51], "wasmtime:cranelift"))
        st.add(run, _rows("v8", "turbofan", [1.0], "v8:turbofan", outcome="wrong-output"))
        df = perf_rows(st, [run])
    lines = {ln.engine: ln for ln in summarize_rows(df)}
    assert lines["native64"].verdict == "baseline"
    wc = lines["wasmtime:cranelift"]
    assert abs(wc.ratio - 1.5) < 0.02 and wc.verdict == "slower"
    assert wc.argv == "wasmtime prog" and wc.loadavg == 0.1
    bad = lines["v8:turbofan"]
    assert bad.outcome == "wrong-output" and bad.n == 0 and bad.message == "output differs"
    text = format_table(list(lines.values()), "native64")
    assert "WRONG-OUTPUT" in text and "slower" in text


def _store_measured_on(tmp_path, monkeypatch, cores: int):
    monkeypatch.setattr(store_module, "machine_fingerprint", lambda: {**machine_fingerprint(), "cores": cores})
    st = ResultsStore(tmp_path / f"cores{cores}.db")
    run = st.start_run("perf")
    st.add(run, _rows("native64", None, [1.0, 1.0, 1.0], load=5.0))
    return st, run


@pytest.mark.parametrize(("cores", "busy"), [(8, False), (2, True)])
def test_busy_machine_is_judged_by_the_cores_of_the_run(tmp_path, monkeypatch, cores, busy):
    st, run = _store_measured_on(tmp_path, monkeypatch, cores)
    with st:
        (line,) = summarize_rows(perf_rows(st, [run]))
    # a load average of 5 keeps 8 cores under three quarters busy, not 2
    assert ("machine busy (loadavg 5.0 on 2 cores)" in line.warning) is busy
    assert ("busy" in line.warning) is busy


def test_runs_of_different_machines_keep_their_own_cores(tmp_path, monkeypatch):
    st, small = _store_measured_on(tmp_path, monkeypatch, 2)
    monkeypatch.setattr(store_module, "machine_fingerprint", lambda: {**machine_fingerprint(), "cores": 8})
    with st:
        big = st.start_run("perf")
        st.add(big, _rows("native64", None, [1.0, 1.0, 1.0], workload="v", load=5.0))
        df = perf_rows(st, [small, big])
    assert set(df["cores"]) == {2, 8}
    warnings = {ln.workload: ln.warning for ln in summarize_rows(df)}
    assert "busy" in warnings["w"] and warnings["v"] == ""


def test_compile_table_and_points_include_our_llvm_tier(tmp_path):
    """``--metrics compile`` rows of ours:llvm (cold compile, warm start, code size) reach the CLI's compile
    table and the report's compile-versus-execution points, next to wasmtime's."""
    with ResultsStore(tmp_path / "r.db") as st:
        run = st.start_run("perf", command="harness perf --metrics compile")
        rows = []
        for i in range(3):
            extra = {"used_by": "gzip-compress", "label": "ours:llvm"}
            rows += [ResultRow(suite="perf", file="compile:minigzip", item="full", engine="ours", tier="llvm",
                               metric="compile_time", value=5.0 + i, unit="s", outcome="ok", extra=extra),
                     ResultRow(suite="perf", file="compile:minigzip", item="full", engine="ours", tier="llvm",
                               metric="warm_start_time", value=0.1, unit="s", outcome="ok", extra=extra),
                     ResultRow(suite="perf", file="compile:minigzip", item="full", engine="ours", tier="llvm",
                               metric="code_size", value=1000.0, unit="B", outcome="ok", extra=extra),
                     ResultRow(suite="perf", file="compile:minigzip", item="full", engine="wasmtime",
                               tier="cranelift", metric="compile_time", value=0.07, unit="s", outcome="ok",
                               extra={"used_by": "gzip-compress"})]
            for label, engine, tier, v in (("native64", "native64", None, 1.0), ("ours:llvm", "ours", "llvm", 2.0)):
                rows.append(ResultRow(suite="perf", file="gzip-compress", item="full", engine=engine, tier=tier,
                                      metric="wall_time", value=v, unit="s", outcome="ok", extra={"label": label}))
        st.add(run, rows)
        st.finish_run(run)
        df = perf_rows(st, [run])
    table = format_compile(df).splitlines()
    ours = next(line for line in table if "ours:llvm" in line).split()
    assert ours[:4] == ["minigzip", "ours:llvm", "3", "6.000"] and ours[4:] == ["0.100", "1000"]
    assert any("wasmtime:cranelift" in line and "0.070" in line for line in table)
    points = {p["engine"]: p for p in compile_vs_exec(df, summarize_rows(df))}
    assert points["ours:llvm"]["compile"] == 6.0 and abs(points["ours:llvm"]["exec_ratio"] - 2.0) < 1e-9
