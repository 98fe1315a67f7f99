"""End to end: build a microbenchmark, run it on native and wasm engines, store, summarise, report.

Slow (it compiles with zig and runs real engines): ``pytest -m slow tests/perf``.
"""

import json

import pytest

from harness.cli import main


@pytest.mark.slow
def test_perf_cli_micro_end_to_end(tmp_path):
    db, js = tmp_path / "r.db", tmp_path / "out.json"
    code = main(["perf", "--engines", "wasmtime:cranelift,native64,native32", "--workloads", "micro-calls",
                 "--metrics", "throughput,memory,compile", "--repeat", "2", "--warmup", "0",
                 "--db", str(db), "--json", str(js)])
    assert code == 0
    data = json.loads(js.read_text())
    engines = {ln["engine"]: ln for ln in data["table"]}
    assert engines["native64"]["verdict"] == "baseline"
    assert engines["wasmtime:cranelift"]["outcome"] == "ok" and engines["wasmtime:cranelift"]["n"] == 2
    assert "wasmtime:cranelift (precompiled)" in engines
    assert any(r["metric"] == "compile_time" for r in data["rows"])
    from harness.report.perf import render_perf_report

    html = render_perf_report(db, tmp_path / "rep").read_text()
    assert "micro-calls" in html
