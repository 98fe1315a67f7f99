import random

from harness.report.perf import render_perf_report
from harness.results.store import ResultRow, ResultsStore


def test_report_renders_claims_and_charts_from_the_store(tmp_path):
    rng = random.Random(3)
    db = tmp_path / "r.db"
    with ResultsStore(db) as st:
        run = st.start_run("perf", command="harness perf --repeat 3")
        rows = []
        for wl in ("gzip-compress", "bzip2-compress", "micro-linkedlist"):
            for label, engine, tier, f in (("native64", "native64", None, 1.0), ("native32", "native32", None, 0.9),
                                           ("wasmtime:cranelift (precompiled)", "wasmtime", "cranelift", 1.3),
                                           ("v8:turbofan", "v8", "turbofan", 1.5)):
                for _ in range(3):
                    rows.append(ResultRow(suite="perf", file=wl, item="full", engine=engine, tier=tier,
                                          metric="wall_time", value=f * (1 + rng.random() * 0.01), unit="s",
                                          outcome="ok", extra={"label": label, "shell": "prog < in > OUT"}))
        st.add(run, rows)
        st.add(run, [ResultRow(suite="perf-startup", file="native64 process", item="n/a", engine="native64",
                               metric="startup_time", value=0.0003 + i * 1e-5, unit="s", outcome="ok",
                               extra={"argv": ["x"], "method": "spawn"}) for i in range(3)])
        st.finish_run(run)
    html = render_perf_report(db, tmp_path / "out")
    text = html.read_text()
    for n in range(1, 8):
        assert f"<tr><td>{n}</td>" in text
    assert "can&#x27;t tell here" in text or "can't tell here" in text
    assert (tmp_path / "out" / "perf" / "throughput.png").stat().st_size > 1000
    assert (tmp_path / "out" / "perf" / "pointers.png").exists()
    assert "harness perf --repeat 3" in text


def test_narrow_later_run_adds_engines_without_replacing_the_main_baseline(tmp_path):
    from harness.report.perf import _merged

    db = tmp_path / "r.db"

    def rows(engine, tier, label, value):
        return [ResultRow(suite="perf", file="w", item="full", engine=engine, tier=tier, metric="wall_time",
                          value=value * (1 + i / 1000), unit="s", outcome="ok", extra={"label": label})
                for i in range(3)]

    with ResultsStore(db) as st:
        main = st.start_run("perf", command="main")
        st.add(main, rows("native64", None, "native64", 1.0) + rows("native32", None, "native32", 1.1)
               + rows("wasmtime", "cranelift", "wasmtime:cranelift", 1.5))
        narrow = st.start_run("perf", command="narrow")
        st.add(narrow, rows("native64", None, "native64", 2.0) + rows("ours", "llvm", "ours:llvm", 4.0))
        lines, _, _, commands = _merged(st)
    by = {ln.engine: ln for ln in lines}
    assert abs(by["native64"].median - 1.0) < 0.01      # the main run's baseline is kept
    assert abs(by["ours:llvm"].ratio - 2.0) < 0.01      # ratio from its own run, side by side
    assert commands["ours:llvm"] == "narrow" and commands["wasmtime:cranelift"] == "main"


def test_compile_table_and_points_include_our_llvm_tier(tmp_path):
    """``--metrics compile`` rows of ours:llvm (cold compile, warm start, code size) reach the CLI's compile
    table and the report's compile-versus-execution points, next to wasmtime's."""
    from harness.perf.table import format_compile, summarize_rows
    from harness.report.perf import compile_vs_exec

    db = tmp_path / "r.db"
    with ResultsStore(db) as st:
        run = st.start_run("perf", command="harness perf --metrics compile")
        rows = []
        for i in range(3):
            extra = {"used_by": "gzip-compress", "label": "ours:llvm"}
            rows += [ResultRow(suite="perf", file="compile:minigzip", item="full", engine="ours", tier="llvm",
                               metric="compile_time", value=5.0 + i, unit="s", outcome="ok", extra=extra),
                     ResultRow(suite="perf", file="compile:minigzip", item="full", engine="ours", tier="llvm",
                               metric="warm_start_time", value=0.1, unit="s", outcome="ok", extra=extra),
                     ResultRow(suite="perf", file="compile:minigzip", item="full", engine="ours", tier="llvm",
                               metric="code_size", value=1000.0, unit="B", outcome="ok", extra=extra),
                     ResultRow(suite="perf", file="compile:minigzip", item="full", engine="wasmtime",
                               tier="cranelift", metric="compile_time", value=0.07, unit="s", outcome="ok",
                               extra={"used_by": "gzip-compress"})]
            for label, engine, tier, v in (("native64", "native64", None, 1.0), ("ours:llvm", "ours", "llvm", 2.0)):
                rows.append(ResultRow(suite="perf", file="gzip-compress", item="full", engine=engine, tier=tier,
                                      metric="wall_time", value=v, unit="s", outcome="ok", extra={"label": label}))
        st.add(run, rows)
        st.finish_run(run)
        df = st.dataframe([run], suite="perf")
    table = format_compile(df).splitlines()
    ours = next(line for line in table if "ours:llvm" in line).split()
    assert ours[:4] == ["minigzip", "ours:llvm", "3", "6.000"] and ours[4:] == ["0.100", "1000"]
    assert any("wasmtime:cranelift" in line and "0.070" in line for line in table)
    points = {p["engine"]: p for p in compile_vs_exec(df, summarize_rows(df))}
    assert points["ours:llvm"]["compile"] == 6.0 and abs(points["ours:llvm"]["exec_ratio"] - 2.0) < 1e-9
