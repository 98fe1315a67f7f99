"""Conformance counts from stored rows: the latest run per (suite, engine, file) wins, each row counts by its
verdict (a WASI known failure is stored as ``fail`` with the verdict ``xfail`` beside it), and the checks
that did not pass come grouped by reason with the command that reproduces each."""


from harness.analysis.conformance import (
    Counts,
    engine_totals,
    failure_groups,
    latest_rows,
    output_mismatches,
    strict_agreement,
    summarise,
    summary_json,
)
from harness.results import ResultRow, ResultsStore


def test_counts_per_suite_engine_and_file_from_the_latest_run(tmp_path):
    with ResultsStore(tmp_path / "r.db") as st:
        old = st.start_run("spec")
        st.add(old, [ResultRow("spec", "i32.wast", "wasmtime", "assertion", item="line 1", tier="cranelift",
                               outcome="fail")])
        new = st.start_run("spec")
        outcomes = ["pass", "pass", "xfail", "skip", "crash", "xpass", "unsupported"]
        st.add(new, [ResultRow("spec", "i32.wast", "wasmtime", "assertion", item=f"line {i}", tier="cranelift",
                               outcome=o) for i, o in enumerate(outcomes)])
        st.add(new, [ResultRow("wasi", "c/hello.wasm", "ours", "test", tier="interp", outcome="pass")])
        counts = summarise(latest_rows(st))
    c = counts["spec"]["wasmtime:cranelift"]["i32.wast"]
    assert c == Counts(passed=3, known=1, unexpected=1, unexpected_pass=1, skipped=1, unsupported=1)
    assert (c.ran, c.total, c.rate) == (5, 7, 3 / 5)  # skipped and unsupported are outside the rate
    assert c.line() == "3 passed, 1 unexpected, 1 unexpectedly passed, 1 known, 1 skipped, 1 unsupported"
    # a WASI test is counted under its folder
    assert counts["wasi"]["ours:interp"]["c"].passed == 1


def test_a_wasi_known_failure_counts_as_known_not_as_a_regression(tmp_path):
    with ResultsStore(tmp_path / "r.db") as st:
        run = st.start_run("wasi", extra={"suite_dirs": {"wasi": "/suites/wasi"}})
        st.add(run, [ResultRow("wasi", "rust/wasm32-wasip1/a.wasm", "wasmtime", "test", item="rust/wasm32-wasip1/a",
                               tier="cranelift", outcome="fail", message="exit code 1, expected 0",
                               extra={"verdict": "xfail", "expected_fail": "EINVAL on trailing slash"}),
                     ResultRow("wasi", "rust/wasm32-wasip3/b.wasm", "wasmtime", "test", item="rust/wasm32-wasip3/b",
                               tier="cranelift", outcome="unsupported", extra={"verdict": "unsupported"})])
        df = latest_rows(st)
    summary = summarise(df)
    p1, p3 = summary["wasi"]["wasmtime:cranelift"]["rust/wasm32-wasip1"], summary["wasi"]["wasmtime:cranelift"]["rust/wasm32-wasip3"]
    assert (p1.known, p1.unexpected) == (1, 0)
    assert p3.rate is None and p3.unsupported == 1
    total, full, judged = engine_totals(summary["wasi"]["wasmtime:cranelift"])
    assert total.line() == "0 passed, 0 unexpected, 1 known, 1 unsupported" and (full, judged) == (0, 1)
    data = summary_json(summary)["wasi"]["wasmtime:cranelift"]["total"]
    assert data["known"] == 1 and data["unexpected"] == 0 and data["unsupported"] == 1
    (group,) = [g for g in failure_groups(df) if g.category == "known"]
    # a row stored before the runner kept its command gets one from its run's suite folder
    assert group.reason == "EINVAL on trailing slash"
    assert group.checks[0].reproduce == ("harness wasi --engines wasmtime:cranelift --suite-dir /suites/wasi "
                                         "-k rust/wasm32-wasip1/a")


def test_identical_reasons_form_one_group_unexpected_first(tmp_path):
    reason = "expected failure (no SIMD support); CompileFailure: unknown value_type"
    with ResultsStore(tmp_path / "r.db") as st:
        run = st.start_run("spec")
        rows = [ResultRow("spec", "simd.wast", "wasm3", "assertion", item=f"line {i}", tier="interp", outcome="xfail",
                          message=reason, extra={"reproduce": f"harness spec --file simd.wast --line {i}"})
                for i in range(50)]
        rows.append(ResultRow("spec", "simd.wast", "wasm3", "assertion", item="line 99", tier="interp", outcome="fail",
                              message="wrong value", extra={"expected": "i32 1", "actual": "i32 2",
                                                            "reproduce": "harness spec --line 99"}))
        st.add(run, rows)
        groups = failure_groups(latest_rows(st))
    assert [(g.category, g.reason, len(g.checks)) for g in groups] == [
        ("unexpected", "i32 2", 1), ("known", "no SIMD support", 50)]
    assert groups[0].checks[0].expected == "i32 1" and groups[0].checks[0].reproduce == "harness spec --line 99"


def test_strict_agreement_counts_only_checks_that_record_it(tmp_path):
    with ResultsStore(tmp_path / "r.db") as st:
        run = st.start_run("spec")
        st.add(run, [ResultRow("spec", "a.wast", "v8", "assertion", item=f"line {i}", tier="turbofan", outcome="pass",
                               extra={"strict": i == 0} if i < 2 else {}) for i in range(3)])
        assert strict_agreement(latest_rows(st)) == {"v8:turbofan": (1, 2)}


def test_output_mismatches_come_back_as_the_programs_own_text():
    msg = "exit code 0, expected 0; stdout 'a\\nb: it\\'s\\n', expected 'a\\nc\\n'; stderr: oops"
    assert output_mismatches(msg) == [("stdout", "a\nb: it's\n", "a\nc\n")]
    assert output_mismatches("no exit within 10.0s; killed") == []
