"""Conformance counts from stored rows: the latest run per (suite, engine, file) wins."""

from harness.analysis.conformance import latest_rows, summarise
from harness.results import ResultRow, ResultsStore


def test_counts_per_suite_engine_and_file_from_the_latest_run(tmp_path):
    with ResultsStore(tmp_path / "r.db") as st:
        old = st.start_run("spec")
        st.add(old, [ResultRow("spec", "i32.wast", "wasmtime", "assertion", item="line 1", tier="cranelift",
                               outcome="fail")])
        new = st.start_run("spec")
        outcomes = ["pass", "pass", "xfail", "skip", "crash", "xpass"]
        st.add(new, [ResultRow("spec", "i32.wast", "wasmtime", "assertion", item=f"line {i}", tier="cranelift",
                               outcome=o) for i, o in enumerate(outcomes)])
        st.add(new, [ResultRow("wasi", "c/hello.wasm", "ours", "test", tier="interp", outcome="pass")])
        counts = summarise(latest_rows(st))
    assert counts["spec"]["wasmtime:cranelift"]["i32.wast"] == {
        "total": 6, "passed": 3, "failed": 1, "skipped": 1, "xfail": 1, "xpass": 1}
    # a WASI test is counted under its folder
    assert counts["wasi"]["ours:interp"]["c"]["passed"] == 1
