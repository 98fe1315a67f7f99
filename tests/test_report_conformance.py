"""The conformance report is rendered from stored rows alone (latest run per engine and file winning): it
opens with an engines x suites summary and a pytest-like line per engine, tells known failures from
unexpected ones, keeps skipped checks grey and outside the pass rate, and shows for every check that did
not pass the command that reproduces it, identical reasons folded into one group."""

import json
import re

from harness.report.conformance import render_conformance_report
from harness.report.html import NOTHING_RAN, PASS_RAMP, rate_colour
from harness.results import ResultRow, ResultsStore

SUITE = "/suites/spec-2.0"


def _spec(file, i, outcome, **extra):
    return ResultRow("spec", file, "wasmtime", "assertion", item=f"line {i}", tier="cranelift", outcome=outcome,
                     message=extra.pop("message", None),
                     extra={"reproduce": f"harness spec --engines wasmtime:cranelift --suite-dir {SUITE} --file {file} "
                                         f"--line {i}", **extra})


def _store(tmp_path):
    db = tmp_path / "results.db"
    with ResultsStore(db) as store:
        old = store.start_run("spec")
        store.add(old, [_spec("i32.wast", 3, "fail")])
        new = store.start_run("spec", suites={"spec": "a8101597d3c3"}, engines={"wasmtime": "40.0.0"})
        rows = [_spec("i32.wast", i, "pass") for i in range(4)]
        rows.append(_spec("f32.wast", 9, "fail", message="wrong result", expected="f32 1.0", actual="f32 2.0"))
        rows += [_spec("simd.wast", i, "xfail", message="expected failure (no SIMD support); CompileFailure: x")
                 for i in range(100, 2100)]
        rows += [_spec("utf8.wast", i, "skip", message="text module on an engine that only takes binaries")
                 for i in range(5)]
        rows.append(_spec("br.wast", 1, "xpass", message="listed as failing, yet passed"))
        store.add(new, rows)
        store.finish_run(new)
        wasi = store.start_run("wasi", suites={"wasi": "3db7f5d1"})
        store.add(wasi, [
            ResultRow("wasi", "own/wasm32-wasip1/rename.wasm", "wasmtime", "test", item="own/wasm32-wasip1/rename",
                      tier="cranelift", outcome="fail", message="stdout 'a\\nb\\n', expected 'a\\nc\\n'",
                      extra={"verdict": "xfail", "expected_fail": "EINVAL on a trailing slash",
                             "reproduce": "harness wasi --engines wasmtime:cranelift --own -k own/wasm32-wasip1/rename"}),
            ResultRow("wasi", "rust/wasm32-wasip3/env.wasm", "wasmtime", "test", item="rust/wasm32-wasip3/env",
                      tier="cranelift", outcome="unsupported", extra={"verdict": "unsupported"})])
    return db


def _cell(text, file):
    """The matrix cell of ``file`` (one engine in these stores)."""
    return re.search(rf"<th>{re.escape(file)}</th>\s*<td class=\"cell\" style=\"background:(#[0-9a-f]+)[^>]*>"
                     r"<a[^>]*>\s*(.*?)</a>", text, re.S)


def test_summary_lines_matrix_and_summary_json(tmp_path):
    index = render_conformance_report(_store(tmp_path), tmp_path / "out")
    text = index.read_text()
    assert text.index("At a glance") < text.index("i32.wast")  # the summary comes before the matrix
    assert ("wasmtime:cranelift   5 passed, 1 unexpected, 1 unexpectedly passed, 2,000 known, 5 skipped; "
            "2/4 files fully passing") in text
    assert "wasmtime:cranelift   0 passed, 0 unexpected, 1 known, 1 unsupported; 0/1 files fully passing" in text
    colour, body = _cell(text, "i32.wast").groups()
    assert colour == PASS_RAMP[0] and body.strip().startswith("4/4")  # the newer run replaced the failing one
    colour, body = _cell(text, "f32.wast").groups()
    assert colour == rate_colour(0.0) and "1 unexpected" in body
    colour, body = _cell(text, "br.wast").groups()
    assert colour == PASS_RAMP[0] and "1 unexpectedly passed" in body  # passed, yet told apart
    colour, body = _cell(text, "utf8.wast").groups()
    assert colour == NOTHING_RAN and body.strip().startswith("skipped")  # grey, not a failure
    colour, body = _cell(text, "rust/wasm32-wasip3").groups()
    assert colour == NOTHING_RAN and "unsupported" in body
    assert "a8101597d3c3" in text and "3db7f5d1" in text and "40.0.0" in text  # provenance
    data = json.loads((tmp_path / "out" / "conformance" / "summary.json").read_text())
    wasi = data["wasi"]["wasmtime:cranelift"]["total"]
    assert (wasi["known"], wasi["unexpected"], wasi["unsupported"], wasi["passed"]) == (1, 0, 1, 0)


def test_detail_pages_reproduce_every_check_and_fold_identical_reasons(tmp_path):
    render_conformance_report(_store(tmp_path), tmp_path / "out")
    detail = tmp_path / "out" / "conformance" / "detail"
    f32 = (detail / "spec__wasmtime_cranelift__f32.wast.html").read_text()
    assert "f32 1.0" in f32 and "f32 2.0" in f32
    assert f"--suite-dir {SUITE} --file f32.wast --line 9" in f32
    simd = detail / "spec__wasmtime_cranelift__simd.wast.html"
    text = simd.read_text()
    assert text.count("no SIMD support") == 1 and "2,000 &times; known failure" in text
    assert "--file simd.wast --line N</code> with N its line" in text and ", 2099" in text
    assert simd.stat().st_size < 200_000
    wasi = (detail / "wasi__wasmtime_cranelift__own_wasm32-wasip1.html").read_text()
    assert "harness wasi --engines wasmtime:cranelift --own -k own/wasm32-wasip1/rename" in wasi
    assert '<span class="del">-c</span>' in wasi and '<span class="add">+b</span>' in wasi  # a diff, not one line


def test_empty_store_renders_a_hint(tmp_path):
    db = tmp_path / "results.db"
    ResultsStore(db).close()
    text = render_conformance_report(db, tmp_path / "out").read_text()
    assert "harness spec" in text


def test_the_pass_rate_scale_is_ordered_from_dark_to_light():
    def lightness(colour):
        r, g, b = (int(colour[i:i + 2], 16) for i in (1, 3, 5))
        return 0.2126 * r + 0.7152 * g + 0.0722 * b

    steps = [lightness(rate_colour(r / 20)) for r in range(21)]
    assert steps == sorted(steps) and steps[0] < steps[-1]
    assert rate_colour(None) == NOTHING_RAN


def test_a_stored_wasi_row_carries_the_command_that_reruns_it(tmp_path):
    from harness.adapters.base import EngineSpec
    from harness.wasi.cli import store_row
    from harness.wasi.runner import TestResult
    from harness.wasi.testsuite import WasiTest, parse_spec

    suite = tmp_path / "wasi"
    test = WasiTest(suite / "tests/c/testsuite/wasm32-wasip1/fd_read.wasm", "c/wasm32-wasip1", "wasm32-wasip1",
                    parse_spec({"exit_code": 0}))
    result = TestResult(EngineSpec("wasmtime", "cranelift"), test, "fail", "exit code 1, expected 0",
                        expected_fail="known", argv=["wasmtime", "run", "fd_read.wasm"])
    row = store_row(result, str(suite))
    assert row.extra["reproduce"] == f"harness wasi --engines wasmtime:cranelift --suite-dir {suite} -k c/wasm32-wasip1/fd_read"
    assert row.extra["argv"] == ["wasmtime", "run", "fd_read.wasm"] and row.extra["verdict"] == "xfail"
