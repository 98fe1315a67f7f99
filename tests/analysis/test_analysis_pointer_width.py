"""The pointer study's wasm64 column from stored rows: wasm64/wasm32 per engine and workload (same run),
the pointer effect over the matmul control, and claim 2's verdict once its 'because' part is measured."""

import math

from harness.analysis.claims import NOISY, claims
from harness.analysis.perf_table import Line, summarize_rows
from harness.analysis.pointer_width import (
    CONTROL,
    POINTER_HEAVY,
    WidthEffect,
    WidthLine,
    deciding_effect,
    width_effects,
    width_lines,
)
from harness.analysis.runs import perf_rows
from harness.analysis.studies import pointer_study
from harness.results.store import ResultRow, ResultsStore


def _rows(engine, tier, build, workload, values, outcome="ok", message=None, item="full"):
    base = f"{engine}:{tier}"
    return [ResultRow(suite="perf", file=workload, item=item, engine=engine, tier=tier, metric="wall_time",
                      value=v if outcome == "ok" else None, unit="s", outcome=outcome, message=message,
                      extra={"label": f"{base} [{build}]", "build": build, "base_label": base, "loadavg": 0.1})
            for v in values]


def _jitter(x):
    return [x * f for f in (1.0, 1.005, 0.995, 1.002, 0.998)]


def _store(tmp_path, per_workload, engine=("wasmtime", "cranelift"), name="r.db"):
    """``per_workload``: workload -> (wasm32 seconds, wasm64 seconds); five tight repeats each."""
    st = ResultsStore(tmp_path / name)
    run = st.start_run("perf")
    for wl, (t32, t64) in per_workload.items():
        st.add(run, _rows(*engine, "wasm32-free", wl, _jitter(t32)))
        st.add(run, _rows(*engine, "wasm64", wl, _jitter(t64)))
    return st, run


def _lines(tmp_path, per_workload, **kw):
    st, run = _store(tmp_path, per_workload, **kw)
    with st:
        return width_lines(perf_rows(st, [run]))


POINTER_SLOWER = {**{wl: (1.0, 1.3) for wl in POINTER_HEAVY}, CONTROL: (1.0, 1.02)}
NO_POINTER_COST = {**{wl: (1.0, 1.0) for wl in POINTER_HEAVY}, CONTROL: (1.0, 1.0)}
CONFOUNDED = {**{wl: (1.0, 1.1) for wl in POINTER_HEAVY}, CONTROL: (1.0, 1.1)}


def test_ratio_is_wasm64_over_wasm32_on_the_same_engine(tmp_path):
    lines = _lines(tmp_path, {"micro-linkedlist": (2.0, 3.0)})
    (ln,) = lines
    assert ln.engine == "wasmtime:cranelift" and ln.workload == "micro-linkedlist"
    assert math.isclose(ln.ratio, 1.5, rel_tol=0.01) and ln.lo <= 1.5 <= ln.hi
    assert ln.verdict == "slower" and ln.outcome == "ok" and (ln.n32, ln.n64) == (5, 5)


def test_only_rows_of_the_freestanding_pair_count(tmp_path):
    st = ResultsStore(tmp_path / "r.db")
    run = st.start_run("perf")
    # the libc wasm32 build of the same engine (no build in extra) and a lone wasm64: no width line
    st.add(run, [ResultRow(suite="perf", file="micro-matmul", item="full", engine="wasmtime", tier="cranelift",
                           metric="wall_time", value=1.0, unit="s", outcome="ok",
                           extra={"label": "wasmtime:cranelift"})])
    st.add(run, _rows("wasmtime", "cranelift", "wasm64", "micro-matmul", [1.0, 1.1]))
    with st:
        assert width_lines(perf_rows(st, [run])) == []


def test_an_engine_without_memory64_shows_the_unsupported_outcome(tmp_path):
    st = ResultsStore(tmp_path / "r.db")
    run = st.start_run("perf")
    st.add(run, _rows("ours", "llvm", "wasm32-free", "micro-bintrees", _jitter(1.0)))
    st.add(run, _rows("ours", "llvm", "wasm64", "micro-bintrees", [None], outcome="unsupported",
                      message="ours:llvm has no memory64"))
    with st:
        (ln,) = width_lines(perf_rows(st, [run]))
    assert ln.outcome == "unsupported" and "wasm64: ours:llvm has no memory64" == ln.message
    assert math.isnan(ln.ratio)
    assert width_effects([ln]) == []  # nothing correct to judge


def test_pointer_effect_holds_when_pointer_heavy_programs_slow_down_more_than_the_control(tmp_path):
    (e,) = width_effects(_lines(tmp_path, POINTER_SLOWER))
    assert e.complete and math.isclose(e.pointer, 1.3, rel_tol=0.01)
    assert math.isclose(e.effect, 1.3 / 1.02, rel_tol=0.02)
    assert e.lo <= e.effect <= e.hi and e.lo > 1.05
    assert e.answer is True and e.verdict == "holds"


def test_pointer_effect_does_not_hold_when_doubling_pointers_costs_nothing(tmp_path):
    (e,) = width_effects(_lines(tmp_path, NO_POINTER_COST))
    assert math.isclose(e.effect, 1.0, rel_tol=0.02) and e.pointer_hi < 1.05
    assert e.answer is False and e.verdict == "does not hold"


def test_a_control_slowed_by_memory64_itself_leaves_the_mechanism_open(tmp_path):
    # memory64 costs the engine 10% everywhere: the pointer-heavy slowdown cannot be told apart from it
    (e,) = width_effects(_lines(tmp_path, CONFOUNDED))
    assert math.isclose(e.effect, 1.0, rel_tol=0.02) and e.pointer_lo > 1.05 and e.confounded
    assert e.answer is None and e.verdict == "can't tell (memory64 itself slows the control)"


def test_without_the_control_the_verdict_is_cant_tell(tmp_path):
    (e,) = width_effects(_lines(tmp_path, {wl: (1.0, 1.3) for wl in POINTER_HEAVY}))
    assert e.control is None and not e.complete and math.isnan(e.effect)
    assert e.verdict == "can't tell here"


def test_the_deciding_engine_is_the_complete_one_least_slowed_by_memory64(tmp_path):
    a = _lines(tmp_path, POINTER_SLOWER, engine=("ours", "interp"), name="a.db")  # control 1.02x
    b = _lines(tmp_path, CONFOUNDED, engine=("v8", "turbofan"), name="b.db")  # control 1.10x
    c = _lines(tmp_path, {"micro-linkedlist": (1.0, 1.3)}, engine=("wasmtime", "cranelift"), name="c.db")
    effects = width_effects(a + b + c)
    assert deciding_effect(effects).engine == "ours:interp"  # cranelift's figure is incomplete
    # equal controls: the optimising compiler first
    d = _lines(tmp_path, POINTER_SLOWER, engine=("v8", "turbofan"), name="d.db")
    assert deciding_effect(width_effects(a + d)).engine == "v8:turbofan"
    assert deciding_effect([]) is None


def _compression_lines(wasm_ratio):
    return [Line(wl, "full", "wasmtime:cranelift", 5, 1.0, 0.9, 1.1, wasm_ratio, wasm_ratio - 0.05,
                 wasm_ratio + 0.05, "faster" if wasm_ratio < 1 else "slower", "ok")
            for wl in ("gzip-compress", "bzip2-compress")]


def _claim2(lines, effects):
    return claims(lines, [], [], "cmd", ("f", "can't tell here", "c"), pointer_width=effects)[1]


def test_claim2_does_not_hold_when_doubling_pointers_costs_nothing(tmp_path):
    effects = width_effects(_lines(tmp_path, NO_POINTER_COST))
    c = _claim2(_compression_lines(0.7), effects)  # wasm faster on compression ...
    assert c.verdict == "does not hold"  # ... but not because of the pointer size
    assert "pointer effect 1.00x" in c.figure and "wasmtime:cranelift" in c.figure
    assert "wasm32 vs wasm64" in c.how


def test_claim2_keeps_the_compression_verdict_when_the_mechanism_holds(tmp_path):
    effects = width_effects(_lines(tmp_path, POINTER_SLOWER))
    assert _claim2(_compression_lines(0.7), effects).verdict == "holds"
    assert _claim2(_compression_lines(1.3), effects).verdict == "does not hold"
    # no compression measured: the mechanism alone does not answer the claim
    assert _claim2([], effects).verdict == "can't tell here"


def test_claim2_stays_open_when_memory64_itself_slows_the_control(tmp_path):
    c = _claim2(_compression_lines(0.7), width_effects(_lines(tmp_path, CONFOUNDED)))
    assert c.verdict == "can't tell (memory64 itself slows the control)"


def test_claim2_is_noisy_when_the_effect_straddles_the_threshold():
    control = WidthLine(CONTROL, "full", "wasmtime:cranelift", 5, 5, 1.0, 1.0, 1.0, 0.95, 1.05, "can't tell", "ok")
    # complete, and the effect's interval straddles 1.05
    wide = WidthEffect("wasmtime:cranelift", "full", 1.1, 0.9, 1.3, sorted(POINTER_HEAVY), control, 1.1, 0.9, 1.3, None)
    assert _claim2(_compression_lines(0.7), [wide]).verdict == NOISY


def test_claim2_unchanged_without_wasm64_figures():
    c = _claim2(_compression_lines(0.7), [])
    assert c.verdict == "holds" and "pointer width" not in c.figure


def test_pointer_study_table_takes_the_wasm64_line_of_the_wasm32_engine(tmp_path):
    st = ResultsStore(tmp_path / "r.db")
    run = st.start_run("perf")
    rows = [ResultRow(suite="perf", file="micro-linkedlist", item="full", engine=e, tier=t, metric="wall_time",
                      value=v, unit="s", outcome="ok", extra={"label": label})
            for e, t, label, base in (("native64", None, "native64", 1.0),
                                      ("wasmtime", "cranelift", "wasmtime:cranelift", 1.2),
                                      ("wasmtime", "cranelift", "wasmtime:cranelift [wasm64]", 1.6))
            for v in _jitter(base)]
    st.add(run, rows)
    with st:
        lines = summarize_rows(perf_rows(st, [run]))
    _, table = pointer_study(lines)
    assert table["micro-linkedlist"]["wasm32"].engine == "wasmtime:cranelift"
    assert math.isclose(table["micro-linkedlist"]["wasm64"].ratio, 1.6, rel_tol=0.01)


def test_claim2_names_the_run_that_measured_the_pointer_width(tmp_path):
    effects = width_effects(_lines(tmp_path, POINTER_SLOWER))
    commands = {"native32": "harness perf --workloads gzip", "wasmtime:cranelift [wasm64]": "harness perf --wasm-builds x"}
    c = claims(_compression_lines(0.7), [], [], "cmd", ("f", "v", "c"), commands, pointer_width=effects)[1]
    assert c.command == "harness perf --workloads gzip  (pointer width: harness perf --wasm-builds x)"
    c = claims([], [], [], "cmd", ("f", "v", "c"), commands, pointer_width=effects)[1]
    assert c.command == "harness perf --wasm-builds x"


def test_the_report_shows_the_width_study_and_its_verdict(tmp_path):
    from harness.report.perf import render_perf_report

    st, run = _store(tmp_path, POINTER_SLOWER)
    rows = [ResultRow(suite="perf", file=wl, item="full", engine="native64", tier=None, metric="wall_time",
                      value=v, unit="s", outcome="ok", extra={"label": "native64"})
            for wl in (*POINTER_HEAVY, CONTROL) for v in _jitter(0.8)]
    with st:
        st.add(run, rows)
        st.add(run, _rows("ours", "llvm", "wasm64", CONTROL, [None], outcome="unsupported",
                          message="ours:llvm has no memory64"))
        st.add(run, _rows("ours", "llvm", "wasm32-free", CONTROL, _jitter(1.0)))
        st.finish_run(run)
    text = render_perf_report(tmp_path / "r.db", tmp_path / "out").read_text()
    section = text[text.index('id="pointer-width"'):text.index('id="compile"')]
    assert "wasmtime:cranelift" in section and "1.30" in section and "holds" in section
    assert "unsupported: wasm64: ours:llvm has no memory64" in " ".join(section.split())
    assert (tmp_path / "out" / "perf" / "pointer_width.png").stat().st_size > 1000
    # the pointer study's wasm64 column (against native64) is filled from the [wasm64] lines
    study = text[text.index('id="pointers"'):text.index('id="pointer-width"')]
    assert "wasmtime:cranelift [wasm64]" in study


def test_cpu_time_lines_come_from_cpu_rows_and_failures_from_wall_rows(tmp_path):
    st = ResultsStore(tmp_path / "r.db")
    run = st.start_run("perf")
    for build, wall, cpu in (("wasm32-free", 2.0, 1.0), ("wasm64", 2.0, 1.5)):
        rows = _rows("wasmtime", "cranelift", build, CONTROL, _jitter(wall))
        st.add(run, rows + [ResultRow(**{**r.__dict__, "metric": "cpu_time", "value": r.value / wall * cpu})
                            for r in rows])
    rows = _rows("v8", "turbofan", "wasm32-free", CONTROL, _jitter(1.0))
    st.add(run, rows + [ResultRow(**{**r.__dict__, "metric": "cpu_time"}) for r in rows])
    st.add(run, _rows("v8", "turbofan", "wasm64", CONTROL, [None], outcome="crash", message="boom"))
    with st:
        df = perf_rows(st, [run])
    wall = {ln.engine: ln for ln in width_lines(df)}
    cpu = {ln.engine: ln for ln in width_lines(df, "cpu_time")}
    assert math.isclose(wall["wasmtime:cranelift"].ratio, 1.0, rel_tol=0.01)
    assert math.isclose(cpu["wasmtime:cranelift"].ratio, 1.5, rel_tol=0.01)
    assert cpu["v8:turbofan"].outcome == "crash" and "boom" in cpu["v8:turbofan"].message
