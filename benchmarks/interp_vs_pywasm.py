"""Compare ``ours:interp`` with pywasm on the three interpreter workloads, in the same process and run.

Usage: ``.venv/bin/python benchmarks/interp_vs_pywasm.py [--scale 1.0] [--repeat 3]``
Prints the best-of-``repeat`` wall time of each and the speed ratio pywasm/ours.
"""

from __future__ import annotations

import argparse
import io
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from interp_workloads import wasm_bytes, workloads  # noqa: E402


def best(fn, repeat: int) -> tuple[float, object]:
    times, result = [], None
    for _ in range(repeat):
        t0 = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t0)
    return min(times), result


def ours(data: bytes):
    from harness.engine import api

    store = api.Store(tier="interp")
    inst = store.instantiate(api.Module.from_bytes(data))
    return lambda name, arg: inst.invoke(name, [arg])[0]


def pywasm_runner(data: bytes):
    import pywasm

    rt = pywasm.core.Runtime()
    inst = rt.instance(pywasm.core.ModuleDesc.from_reader(io.BytesIO(data)))
    return lambda name, arg: rt.invocate(inst, name, [arg])[0] & 0xFFFFFFFF


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--scale", type=float, default=1.0)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    data = wasm_bytes()
    runners = {"ours:interp": ours(data), "pywasm": pywasm_runner(data)}
    print(f"{'workload':10} {'ours:interp':>12} {'pywasm':>12} {'ratio':>8}")
    for name, arg, expected in workloads(args.scale):
        t = {}
        for rname, run in runners.items():
            t[rname], got = best(lambda run=run, name=name, arg=arg: run(name, arg), args.repeat)
            if got != expected:
                print(f"{rname} {name}({arg}) = {got}, expected {expected}", file=sys.stderr)
                return 1
        print(f"{name:10} {t['ours:interp']:11.4f}s {t['pywasm']:11.4f}s {t['pywasm'] / t['ours:interp']:7.1f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
