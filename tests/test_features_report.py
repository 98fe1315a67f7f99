"""The conformance report opens with the WebAssembly 3.0 features x engines matrix: the 3.0 suite's files
grouped by proposal, each engine's pass rate, and what it declared for the feature in its run."""

from __future__ import annotations

import re

from harness.report.conformance import render_conformance_report
from harness.results import ResultRow, ResultsStore


def _row(file, i, outcome, engine="wasmtime", tier="winch"):
    return ResultRow("spec-3.0", file, engine, "assertion", item=f"line {i}", tier=tier, outcome=outcome)


def test_features_matrix_at_the_top(tmp_path):
    db = tmp_path / "results.db"
    with ResultsStore(db) as store:
        run = store.start_run("spec", suites={"spec-3.0": "193e551f"}, extra={
            "wasm": "3.0", "features": {"wasmtime:winch": {"gc": "unsupported (no code generation)",
                                                           "tail-call": "wasm_tail_call"}}})
        rows = [_row("struct.wast", i, "unsupported") for i in range(3)]
        rows += [_row("return_call.wast", i, "pass") for i in range(3)] + [_row("return_call.wast", 9, "fail")]
        rows += [_row("i32.wast", i, "pass") for i in range(5)]
        store.add(run, rows)
        store.finish_run(run)
    text = render_conformance_report(db, tmp_path / "out").read_text()
    assert text.index("features &times; engines") < text.index("At a glance")
    table = text[text.index('id="features"'):text.index("At a glance")]
    assert [p for p in re.findall(r'<td class="name">([a-z0-9-]+)<br>', table)] == ["core", "gc", "tail-call"]
    gc = table[table.index(">gc<"):table.index(">tail-call<")]
    assert "<b>unsupported</b>" in gc and "3 unsupported" in gc and "unsupported (no code generation)" in gc
    tail = table[table.index(">tail-call<"):]
    assert "<b>75.0%</b> 3/4" in tail and "1 unexpected" in tail and "wasm_tail_call" in tail
    assert "WebAssembly spec testsuite 3.0" in text
