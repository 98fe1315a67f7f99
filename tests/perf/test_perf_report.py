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
