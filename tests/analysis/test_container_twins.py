"""A container engine against the same runtime outside its image (``analysis.container_twins``): 'within 5%'
only when the interval says so, per-round pairing cancels a machine that changes speed between rounds,
and only twins measured side by side in one run are compared."""

import random
from types import SimpleNamespace

from harness.analysis.container_twins import container_twins, format_twins, tally, twin_of
from harness.analysis.runs import perf_rows
from harness.perf.runner import round_order
from harness.report.perf import render_perf_report
from harness.results.store import ResultRow, ResultsStore

LOCAL, CONTAINER = ("wasmtime", "cranelift"), ("wasmtime@docker", "cranelift")


def _rows(engine, tier, workload, values, metric="wall_time", failed=()):
    return [ResultRow(suite="perf", file=workload, item="full", engine=engine, tier=tier, metric=metric,
                      value=None if rep in failed else v, unit="s", outcome="crash" if rep in failed else "ok",
                      extra={"rep": rep, "label": f"{engine}:{tier}", "loadavg": 0.1})
            for rep, v in enumerate(values)]


def _twins(tmp_path, local, inside, workload="gzip", container=CONTAINER, failed=(), metric="wall_time"):
    tmp_path.mkdir(exist_ok=True)
    with ResultsStore(tmp_path / "r.db") as st:
        run = st.start_run("perf")
        st.add(run, _rows(*LOCAL, workload, local, metric))
        st.add(run, _rows(*container, workload, inside, metric, failed))
        return container_twins(perf_rows(st, [run]))


TIGHT = [1.0, 1.004, 0.996, 1.002, 0.998, 1.001, 0.999]


def test_equal_speed_in_and_out_is_within_and_a_slower_container_differs(tmp_path):
    (same,) = _twins(tmp_path / "a", TIGHT, [x * 1.01 for x in TIGHT])
    assert same.verdict == "within 5%" and same.paired and same.n == len(TIGHT)
    assert 1.0 < same.ratio < 1.02 and same.lo > 0.95 and same.hi < 1.05
    (slow,) = _twins(tmp_path / "b", TIGHT, [x * 1.2 for x in TIGHT])
    assert slow.verdict == "differs by more than 5%" and slow.lo > 1.05


def test_a_noisy_run_cannot_tell_even_when_the_medians_agree(tmp_path):
    """Two medians 1% apart are not 'within 5%' when the rounds scatter by 30%."""
    local = [1.0, 1.3, 0.8, 1.25, 0.85]
    inside = [1.3, 0.8, 1.0, 0.85, 1.25]
    (t,) = _twins(tmp_path, local, inside)
    assert t.verdict == "can't tell" and t.lo < 0.95 < 1.05 < t.hi


def test_pairing_by_round_cancels_a_machine_that_changes_speed_between_rounds(tmp_path):
    """The planted fault: the machine runs at one of two speeds, round by round (the virtual CPUs here did);
    both twins of a round share it.  Independent medians would mix the modes; per-round ratios do not."""
    speed = [1.0, 1.9, 1.0, 1.9, 1.9, 1.0, 1.0, 1.9]
    local = [s * x for s, x in zip(speed, TIGHT + [1.0], strict=True)]
    inside = [s * x * 1.01 for s, x in zip(speed, reversed(TIGHT + [1.0]), strict=True)]
    (t,) = _twins(tmp_path, local, inside)
    assert t.paired and t.verdict == "within 5%", t
    # the unpaired comparison of the same samples cannot say so
    from harness.analysis.stats import firm, ratio

    r = ratio(inside, local)
    assert firm(r.lo, r.hi, 0.95, 1.05) is not True


def test_failed_rounds_are_left_out_of_the_pairs(tmp_path):
    (t,) = _twins(tmp_path, TIGHT, [x * 1.01 for x in TIGHT], failed={2, 5})
    assert t.n == len(TIGHT) - 2 and t.verdict == "within 5%"


def test_cpu_time_is_compared_too(tmp_path):
    (t,) = _twins(tmp_path, TIGHT, TIGHT, metric="cpu_time")
    assert t.metric == "cpu_time" and t.verdict == "within 5%"


def test_only_a_native_image_has_a_twin_outside():
    assert twin_of("wasmtime@docker:cranelift") == "wasmtime:cranelift"
    assert twin_of("wasmtime@docker") == "wasmtime"
    assert twin_of("wasmtime@docker-arm64:cranelift") is None  # emulated: never against native
    assert twin_of("wasmtime:cranelift") is None


def test_no_twin_in_the_run_no_comparison(tmp_path):
    with ResultsStore(tmp_path / "r.db") as st:
        first, second = st.start_run("perf"), st.start_run("perf")
        st.add(first, _rows(*LOCAL, "gzip", TIGHT))
        st.add(second, _rows(*CONTAINER, "gzip", TIGHT))
        assert container_twins(perf_rows(st, [first, second])) == []
        run = st.start_run("perf")
        st.add(run, _rows("wasmtime@docker-arm64", "cranelift", "gzip", TIGHT))
        st.add(run, _rows(*LOCAL, "gzip", TIGHT))
        assert container_twins(perf_rows(st, [run])) == []
        assert format_twins(perf_rows(st, [run])) == ""


def test_tally_and_the_closing_table(tmp_path):
    with ResultsStore(tmp_path / "r.db") as st:
        run = st.start_run("perf")
        for wl, factor in (("gzip", 1.0), ("bzip2", 1.3)):
            st.add(run, _rows(*LOCAL, wl, TIGHT))
            st.add(run, _rows(*CONTAINER, wl, [x * factor for x in TIGHT]))
        df = perf_rows(st, [run])
    twins = container_twins(df)
    counts = tally(twins)[("wasmtime@docker:cranelift", "wall_time")]
    assert (counts["within"], counts["differs"], counts["can't tell"], counts["n"]) == (1, 1, 0, 2)
    text = format_twins(df)
    assert "gzip" in text and "within 5%" in text and "differs by more than 5%" in text
    assert "1 within 5%, 1 differ, 0 can't tell, of 2" in text


def test_the_report_has_the_section(tmp_path):
    with ResultsStore(tmp_path / "r.db") as st:
        run = st.start_run("perf")
        st.add(run, _rows("native64", None, "gzip", TIGHT))
        st.add(run, _rows(*LOCAL, "gzip", TIGHT))
        st.add(run, _rows(*CONTAINER, "gzip", [x * 1.3 for x in TIGHT]))
    html = render_perf_report(tmp_path / "r.db", tmp_path / "out").read_text()
    assert "In a container against outside it" in html and "differs by more than 5%" in html


def _unit(workload: str, engine: str):
    return SimpleNamespace(workload=SimpleNamespace(name=workload), size_class="full", key=f"{workload}/{engine}")


def test_a_round_runs_the_engines_of_a_workload_one_after_another():
    units = [_unit(w, e) for w in ("gzip", "bzip2", "sqlite") for e in ("a", "b", "c")]
    orders = []
    for seed in range(20):
        order = round_order(units, [("prog.wasm", "e", "gzip")], random.Random(seed))
        runs = [item for kind, item in order if kind == "run"]
        assert sorted(u.key for u in runs) == sorted(u.key for u in units)
        assert sum(1 for kind, _ in order if kind == "compile") == 1
        workloads = [u.workload.name for u in runs]
        # each workload's engines form one block
        assert [w for i, w in enumerate(workloads) if i == 0 or workloads[i - 1] != w] == list(dict.fromkeys(workloads))
        orders.append(tuple(u.key for u in runs))
    assert len(set(orders)) > 10  # and the order still changes from round to round
    firsts = {o[0].split("/")[1] for o in orders}
    assert firsts == {"a", "b", "c"}  # no engine always goes first


def test_two_releases_are_not_judged_as_the_container_s_cost(tmp_path):
    """The v8 image has Debian's node 18, the host node 20: their ratio is the release's difference as
    much as the container's, so it gets no verdict; the same release with the image's details is compared."""
    from harness.analysis.container_twins import release

    with ResultsStore(tmp_path / "r.db") as st:
        run = st.start_run("perf")
        st.add(run, _rows(*LOCAL, "gzip", TIGHT))
        st.add(run, _rows(*CONTAINER, "gzip", [x * 1.3 for x in TIGHT]))
        df = perf_rows(st, [run])
    other = {run: {"wasmtime:cranelift": "wasmtime 49.0.3 (f96eabaa1)",
                   "wasmtime@docker:cranelift": "wasmtime 48.0.0 (image harness/wasmtime:48.0.0-amd64-x)"}}
    (t,) = [t for t in container_twins(df, versions=other) if t.metric == "wall_time"]
    assert t.versions == ("48.0.0", "49.0.3") and t.verdict.startswith("not the same release")
    assert "not compared, not the same release (48.0.0 inside, 49.0.3 outside)" in format_twins(df, other)
    same = {run: {"wasmtime:cranelift": "wasmtime 49.0.3 (f96eabaa1)",
                  "wasmtime@docker:cranelift": "wasmtime 49.0.3 (f96eabaa1) (image harness/wasmtime:49.0.4-amd64-x)"}}
    (t,) = [t for t in container_twins(df, versions=same) if t.metric == "wall_time"]
    assert t.versions is None and t.verdict == "differs by more than 5%"
    assert release("v20.20.2") == "20.20.2" and release("18.20.4_dfsg-1 (image ...)") == "18.20.4" and release(None) is None


def test_fewer_than_five_rounds_give_no_firm_verdict(tmp_path):
    """Three rounds that all fall 20% apart read as 'differs' from their bootstrap interval (about their
    range); with a busy machine that happens by chance, so a verdict needs five rounds."""
    (t,) = _twins(tmp_path, TIGHT[:3], [x * 1.2 for x in TIGHT[:3]])
    assert t.n == 3 and t.lo > 1.05 and t.verdict == "can't tell (3 rounds; 5 needed)"
    counts = tally([t])[("wasmtime@docker:cranelift", "wall_time")]
    assert (counts["within"], counts["differs"], counts["can't tell"]) == (0, 0, 1)
