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


def test_a_wasi_function_the_runtime_lacks_is_unsupported_not_a_crash(tmp_path):
    """wasm3 0.4.7's WASI has no fd_tell: a program calling it is a gap the runtime has (``lacks``), so the
    row is ``unsupported`` with that reason, and not a crash that fails the run; another runtime's same
    exit stays a crash."""
    cfg = PerfConfig(variants=[], workloads=[], metrics={"throughput"}, scratch=tmp_path)
    runner = PerfRunner(cfg, emit=lambda rows: None, log=lambda s: None)
    w = Workload(name="w", group="g", program="p", args=())
    said = "echo \"wasm3: trap: missing imported function 'wasi_snapshot_preview1.fd_tell'\" >&2; exit 1"
    for runtime, outcome in (("wasm3-cli@docker", "unsupported"), ("wasm3-cli", "unsupported"),
                             ("native64", "crash")):
        u = Unit(w, "full", Variant(EngineSpec(runtime, "interp" if "wasm3" in runtime else "")))
        u.invocation = Invocation(["sh", "-c", said])
        rows = runner.measure_unit(u, 0, record=True)
        assert rows[0].outcome == outcome and u.failed == outcome, (runtime, rows[0].message)  # no more repeats
        if outcome == "unsupported":
            assert rows[0].message == ("unsupported: wasm3 0.4.7's WASI has no wasi_snapshot_preview1.fd_tell, "
                                       "which the program calls (exit 1)")


def test_an_engine_with_a_wasm_build_of_its_own_runs_it_and_says_so():
    """wasm3-cli runs the WebAssembly 1.0 build (``wasm32-mvp``: ``-mcpu=mvp``), named in its label; every
    other wasm engine the default build, and native code its own."""
    from harness.perf.runner import variants_for
    from harness.perf.targets import TARGETS, compile_argv

    engines = [EngineSpec("wasm3-cli@docker", "interp"), EngineSpec("wasmtime", "cranelift"), EngineSpec("native64", "")]
    by = {v.engine.runtime: v for v in variants_for(engines, {"throughput"})}
    assert by["wasm3-cli@docker"].target == "wasm32-mvp" and by["wasm3-cli@docker"].label.endswith("[wasm32-mvp]")
    assert by["wasmtime"].target == "wasm32" and "[" not in by["wasmtime"].label
    assert by["native64"].target == "native64" and by["native64"].label == "native64"
    argv = compile_argv(TARGETS["wasm32-mvp"], ["a.c"], "a.wasm", [], [], [], [])
    assert argv[argv.index("-target") + 1:argv.index("-target") + 3] == ["wasm32-wasi", "-mcpu=mvp"]
    assert "-mcpu=mvp" not in compile_argv(TARGETS["wasm32"], ["a.c"], "a.wasm", [], [], [], [])
