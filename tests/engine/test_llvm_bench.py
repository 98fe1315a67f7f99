"""pytest-benchmark runs of the LLVM tier's microbenchmarks (marked perf and slow: not in the default run).

    .venv/bin/pytest -m perf tests/engine/test_llvm_bench.py --benchmark-only

For a one-screen comparison with wasmtime cranelift and the interpreter (ratios, compile and warm-start
times) run ``python benchmarks/llvm_workloads.py``.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

pytest.importorskip("llvmlite")
pytest.importorskip("pytest_benchmark")

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))

from llvm_workloads import WORKLOADS, OursRunner, WasmtimeRunner, wasm_bytes  # noqa: E402

from harness.engine import api  # noqa: E402

pytestmark = [pytest.mark.perf, pytest.mark.slow]


def _runner(engine: str, w, tmp_path):
    if engine == "llvm-O2":
        return OursRunner(w, "llvm", opt_level=2, cache_dir=tmp_path)
    if engine == "llvm-O0":
        return OursRunner(w, "llvm", opt_level=0, cache_dir=tmp_path)
    pytest.importorskip("wasmtime")
    return WasmtimeRunner(w)


@pytest.mark.parametrize("engine", ["llvm-O2", "llvm-O0", "wasmtime-cranelift"])
@pytest.mark.parametrize("workload", WORKLOADS, ids=lambda w: w.name)
def test_execute(benchmark, engine, workload, tmp_path):
    run = _runner(engine, workload, tmp_path)
    benchmark.group = f"execute-{workload.name}"
    benchmark.pedantic(run, args=(workload.arg,), rounds=5, iterations=1, warmup_rounds=1)


@pytest.mark.parametrize("workload", WORKLOADS, ids=lambda w: w.name)
def test_interp_small(benchmark, workload):
    run = OursRunner(workload, "interp")
    benchmark.group = f"interp-small-{workload.name}"
    benchmark.pedantic(run, args=(workload.small_arg,), rounds=3, iterations=1)


@pytest.mark.parametrize("warm", [False, True], ids=["cold", "warm"])
@pytest.mark.parametrize("workload", WORKLOADS, ids=lambda w: w.name)
def test_compile(benchmark, workload, warm, tmp_path):
    """Instantiate = compile (cold: empty cache each round) or load from the object cache (warm)."""
    module = api.Module.from_bytes(wasm_bytes(workload))
    counter = iter(range(10**6))

    def instantiate():
        cache = tmp_path if warm else tmp_path / f"cold{next(counter)}"
        return api.Store(tier="llvm", opt_level=2, cache_dir=cache).instantiate(module)

    if warm:
        instantiate()
    benchmark.group = f"compile-{'warm' if warm else 'cold'}"
    benchmark.pedantic(instantiate, rounds=5, iterations=1)
