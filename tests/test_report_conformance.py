"""The conformance report is rendered from stored rows alone, latest run per (engine, file) winning."""

from harness.report.conformance import render_conformance_report
from harness.results import ResultRow, ResultsStore


def test_matrix_and_detail_pages(tmp_path):
    db = tmp_path / "results.db"
    store = ResultsStore(db)
    old = store.start_run("spec")
    store.add(old, [ResultRow("spec", "i32.wast", "wasmtime", "assertion", item="line 3", tier="cranelift", outcome="fail")])
    new = store.start_run("spec")
    rows = [ResultRow("spec", "i32.wast", "wasmtime", "assertion", item=f"line {i}", tier="cranelift", outcome="pass")
            for i in range(4)]
    rows.append(ResultRow("spec", "f32.wast", "wasmtime", "assertion", item="line 9", tier="cranelift",
                          outcome="fail", message="expected 1 got 2", extra={"repro": "harness spec --line 9"}))
    store.add(new, rows)
    store.close()
    index = render_conformance_report(db, tmp_path / "out")
    text = index.read_text()
    assert "wasmtime:cranelift" in text
    assert "4/4" in text  # the newer run replaced the old failing one for i32.wast
    assert "0/1" in text
    detail = (tmp_path / "out" / "conformance" / "detail" / "spec__wasmtime_cranelift__f32.wast.html").read_text()
    assert "expected 1 got 2" in detail and "harness spec --line 9" in detail


def test_empty_store_renders_a_hint(tmp_path):
    db = tmp_path / "results.db"
    ResultsStore(db).close()
    text = render_conformance_report(db, tmp_path / "out").read_text()
    assert "harness spec" in text
