"""The perf workloads as pytest-benchmark benchmarks (``tox -e perf``; marked ``perf`` and ``slow``).

Each benchmark runs one workload on one engine exactly as ``harness perf`` does (same builds, same
command lines, same output check) and lets pytest-benchmark time it, so its storage and comparison
work as pytest-benchmark users expect::

    pytest -m perf suites/perf --benchmark-autosave            # save under .benchmarks/
    pytest -m perf suites/perf --benchmark-compare             # compare with the last saved run
    HARNESS_PERF_ENGINES=native64,wasmtime:winch HARNESS_PERF_SIZE=4 pytest -m perf suites/perf

Engines come from ``HARNESS_PERF_ENGINES`` (default native64,native32,wasmtime:cranelift,v8:turbofan),
the compressor input size from ``HARNESS_PERF_SIZE`` (MiB, default 8).  Programs are built on first use
(``harness perf build``).  A wrong output fails the test: it is never a timing.
"""

from __future__ import annotations

import os

import pytest

from harness.adapters.base import RunnerUnavailable
from harness.adapters.registry import parse_engines
from harness.perf.builder import build_all, build_record
from harness.perf.launch import Variant
from harness.perf.measure import run_measured
from harness.perf.recipes import load_workloads
from harness.perf.runner import PerfConfig, PerfRunner, Unit

pytestmark = [pytest.mark.perf, pytest.mark.slow]

ENGINES = os.environ.get("HARNESS_PERF_ENGINES", "native64,native32,wasmtime:cranelift,v8:turbofan")
SIZE = float(os.environ.get("HARNESS_PERF_SIZE", "8"))
WORKLOADS = load_workloads()


@pytest.fixture(scope="session")
def runner(tmp_path_factory):
    programs = sorted({w.program for w in WORKLOADS})
    if any(build_record(p, t) is None for p in programs for t in ("native64", "native32", "wasm32")):
        build_all(programs, ["native64", "native32", "wasm32"], log=lambda s: None)
    cfg = PerfConfig(variants=[], workloads=WORKLOADS, metrics={"throughput"}, size_mb=SIZE,
                     scratch=tmp_path_factory.mktemp("perf"))
    return PerfRunner(cfg, emit=lambda rows: None, log=lambda s: None)


def _unit(runner: PerfRunner, workload_name: str, engine_name: str) -> Unit:
    # decompression inputs come from the compression reference: prepare those first, in order
    for w in WORKLOADS:
        if w.name == workload_name:
            break
        if w.group == workload_name.split("-")[0]:
            runner.prepare([runner._unit(w, "full", Variant(parse_engines("native64")[0]))])
    w = next(w for w in WORKLOADS if w.name == workload_name)
    u = runner._unit(w, "full", Variant(parse_engines(engine_name)[0]))
    runner.prepare([u])
    return u


@pytest.mark.parametrize("engine", [e.name for e in parse_engines(ENGINES)])
@pytest.mark.parametrize("workload", [w.name for w in WORKLOADS])
def test_workload(benchmark, runner, workload, engine):
    u = _unit(runner, workload, engine)
    if u.failed:
        pytest.skip(f"{u.failed}: {u.extra.get('why', '')}")
    if u.invocation is None:
        raise RunnerUnavailable(engine)
    out = runner.cfg.scratch / f"{workload}.{engine.replace(':', '_')}.out"
    benchmark.extra_info.update(argv=u.invocation.argv, program_sha256=u.extra.get("program_sha256"),
                                input_sha256=u.extra.get("input_sha256"))

    def once():
        return run_measured(u.invocation.argv, u.stdin, out, runner.cfg.timeout)

    m = benchmark.pedantic(once, rounds=3, iterations=1, warmup_rounds=1)
    assert m.returncode == 0, m.stderr[-300:]
    if u.expected is not None:
        from harness.perf.checks import digest

        assert digest(out, w_check(u), u.workload.normalize) == u.expected, "output differs from native64's"
    benchmark.extra_info["peak_rss_kib"] = m.max_rss_kb


def w_check(u: Unit) -> str:
    return u.workload.check
