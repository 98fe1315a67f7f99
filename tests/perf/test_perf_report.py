"""The perf report is rendered from the store alone: claims first with verdicts that respect noise, one
geometric-mean definition shared by the claims and the summary table, intervals only where there are
repeats, and a banner when the run was noisy."""

import random
import re

from harness.report.perf import render_perf_report
from harness.results.store import ResultRow, ResultsStore

ENGINES = (("native64", "native64", None, 1.0), ("native32", "native32", None, 0.9),
           ("wasmtime:cranelift (precompiled)", "wasmtime", "cranelift", 1.3), ("v8:turbofan", "v8", "turbofan", 1.5),
           ("ours:llvm", "ours", "llvm", 1.05))


def _store(tmp_path, spread: float, load: float):
    rng = random.Random(3)
    db = tmp_path / "r.db"
    with ResultsStore(db) as st:
        run = st.start_run("perf", command="harness perf --repeat 5", suites={"gzip": "ab12" * 16},
                           extra={"repeat": 5, "warmup": 1})
        rows = []
        for wl in ("gzip-compress", "bzip2-compress", "micro-linkedlist"):
            for label, engine, tier, f in ENGINES:
                for _ in range(5):
                    rows.append(ResultRow(suite="perf", file=wl, item="full", engine=engine, tier=tier,
                                          metric="wall_time", value=f * (1 + rng.random() * spread), unit="s",
                                          outcome="ok", extra={"label": label, "shell": "prog < in > OUT",
                                                               "loadavg": load}))
        st.add(run, rows)
        st.add(run, [ResultRow(suite="perf-startup", file="native64 process", item="n/a", engine="native64",
                               metric="startup_time", value=0.0003 + i * 1e-5, unit="s", outcome="ok",
                               extra={"argv": ["x"], "method": "spawn"}) for i in range(3)])
        st.add(run, [ResultRow(suite="perf-startup", file="docker run", item="cold", engine="docker",
                               metric="startup_time", value=0.0088, unit="s", outcome="ok", extra={"method": "docker"})])
        st.finish_run(run)
    return db


def _claim(text, n):
    row = re.search(rf"<tr><td>{n}</td>(.*?)</tr>", text, re.S).group(1)
    return re.sub(r"\s+", " ", row)


def test_report_renders_claims_and_charts_from_the_store(tmp_path):
    text = render_perf_report(_store(tmp_path, 0.01, 0.0), tmp_path / "out").read_text()
    for n in range(1, 8):
        assert f"<tr><td>{n}</td>" in text
    assert text.index('id="claims"') < text.index('id="throughput"')
    assert "Noisy run" not in text
    # claim 1 quotes the same geometric mean as the summary table: one definition
    claim1 = _claim(text, 1)
    value = re.search(r"ours:llvm: geometric mean (\d\.\d\d)x native64", claim1).group(1)
    assert re.search(rf'<td class="name">ours:llvm</td>\s*<td>{value}</td>', text)
    assert "holds" in claim1 and "2 real programs" in claim1  # tight intervals within 1.10x: a firm verdict
    assert (tmp_path / "out" / "perf" / "throughput.png").stat().st_size > 1000
    assert (tmp_path / "out" / "perf" / "pointers.png").exists()
    assert "harness perf --repeat 5" in text and "ab12ab12" in text and "warmup" in text  # provenance
    # a single sample shows no interval
    docker = re.search(r"<td class=\"name\">docker run</td>.*?</tr>", text, re.S).group(0)
    assert "n/a" in docker and "one sample" in docker


def test_a_noisy_run_opens_with_a_banner_and_no_firm_verdict(tmp_path):
    text = render_perf_report(_store(tmp_path, 3.0, 50.0), tmp_path / "out").read_text()
    assert text.index("Noisy run") < text.index('id="claims"')
    assert "--repeat 10" in text
    for n in (1, 2):  # the LLVM tier's geomean, the compression ratios: measured, but not firm
        assert "can&#39;t tell (noisy" in _claim(text, n)
