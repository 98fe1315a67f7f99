import hashlib
import json

from harness.adapters.base import EngineSpec
from harness.perf.launch import Invocation, Variant
from harness.perf.recipes import Workload
from harness.perf.runner import PerfConfig, PerfRunner, Unit
from harness.perf.table import format_table, summarize_rows
from harness.results.store import ResultRow, ResultsStore


def _rows(engine, tier, values, label=None, outcome="ok", workload="w"):
    return [ResultRow(suite="perf", file=workload, item="full", engine=engine, tier=tier, metric="wall_time",
                      value=v if outcome == "ok" else None, unit="s", outcome=outcome,
                      message=None if outcome == "ok" else "output differs",
                      extra={"label": label or engine, "shell": f"{engine} prog", "loadavg": 0.1}) for v in values]


def test_summary_lines_ratios_and_failures(tmp_path):
    with ResultsStore(tmp_path / "r.db") as st:
        run = st.start_run("perf")
        st.add(run, _rows("native64", None, [1.0, 1.01, 0.99, 1.0, 1.02]))
        st.add(run, _rows("wasmtime", "cranelift", [1.5, 1.52, 1.49, 1.5, 1.51], "wasmtime:cranelift"))
        st.add(run, _rows("v8", "turbofan", [1.0], "v8:turbofan", outcome="wrong-output"))
        df = st.dataframe([run], suite="perf")
    lines = {ln.engine: ln for ln in summarize_rows(df)}
    assert lines["native64"].verdict == "baseline"
    wc = lines["wasmtime:cranelift"]
    assert abs(wc.ratio - 1.5) < 0.02 and wc.verdict == "slower"
    bad = lines["v8:turbofan"]
    assert bad.outcome == "wrong-output" and bad.n == 0
    text = format_table(list(lines.values()), "native64")
    assert "WRONG-OUTPUT" in text and "slower" in text


def test_wrong_output_is_a_failure_not_a_timing(tmp_path):
    cfg = PerfConfig(variants=[], workloads=[], metrics={"throughput", "memory"}, scratch=tmp_path)
    runner = PerfRunner(cfg, emit=lambda rows: None, log=lambda s: None)
    w = Workload(name="w", group="g", program="p", args=())
    u = Unit(w, "full", Variant(EngineSpec("native64", "")))
    u.invocation = Invocation(["sh", "-c", "echo wrong"])
    u.expected = hashlib.sha256(b"right\n").hexdigest()
    rows = runner.measure_unit(u, 0, record=True)
    assert rows[0].outcome == "wrong-output" and rows[0].value is None
    assert u.failed == "wrong-output"
    assert rows[0].extra["argv"] == ["sh", "-c", "echo wrong"]
    u2 = Unit(w, "full", Variant(EngineSpec("native64", "")))
    u2.invocation = Invocation(["sh", "-c", "echo right"])
    u2.expected = u.expected
    rows = runner.measure_unit(u2, 0, record=True)
    assert rows[0].outcome == "ok" and rows[0].value > 0
    assert any(r.metric == "peak_rss" for r in rows)


def test_crash_is_reported(tmp_path):
    cfg = PerfConfig(variants=[], workloads=[], metrics={"throughput"}, scratch=tmp_path)
    runner = PerfRunner(cfg, emit=lambda rows: None, log=lambda s: None)
    u = Unit(Workload(name="w", group="g", program="p", args=()), "full", Variant(EngineSpec("native64", "")))
    u.invocation = Invocation(["sh", "-c", "echo boom >&2; exit 134"])
    rows = runner.measure_unit(u, 0, record=True)
    assert rows[0].outcome == "crash" and "boom" in rows[0].message
    json.dumps(rows[0].extra)  # rows must be storable
