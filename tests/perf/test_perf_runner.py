import hashlib
import json

from harness.adapters.base import EngineSpec
from harness.perf.launch import Invocation, Variant
from harness.perf.recipes import Workload
from harness.perf.runner import PerfConfig, PerfRunner, Unit


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
