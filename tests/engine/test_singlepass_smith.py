"""Random whole modules from wasm-smith (wasm 2.0, without SIMD and with it) through ``ours:singlepass`` and
``ours:interp``, compared call by call: results (NaNs by NaN-ness), whether each call trapped and with which
trap kind, every exported global and a hash of every exported memory after each call.

Why: the spec suite checks instructions one at a time; generated modules mix control flow, calls, memory,
tables and globals in shapes nobody wrote a test for, which is where a value-stack code generator goes
wrong (a value left in a register across a join, a spill slot reused too early).  wasm-smith's
``--ensure-termination`` bounds loops and recursion with a fuel global.  The default run checks 16 seeds;
``HARNESS_SMITH_SEEDS=0-4999 pytest -m slow`` the issue's 5,000.  The SIMD run is the same seeds with
``--simd-enabled true``: v128 values cross as 128-bit integers (NaN lanes left to ``--canonicalize-nans``).
"""

from __future__ import annotations

import hashlib
import os
import random
import subprocess

import pytest

from harness.engine import api
from harness.engine.errors import Trap
from harness.engine.tiers.singlepass import unavailable_reason
from harness.errors import HarnessError
from harness.spec.convert import wasm_tools

pytestmark = pytest.mark.skipif(bool(unavailable_reason()), reason=unavailable_reason() or "available")

try:
    WASM_TOOLS = str(wasm_tools())
except HarnessError as e:
    pytest.skip(str(e), allow_module_level=True)

SMITH_FLAGS = [
    "--ensure-termination", "--export-everything", "true", "--canonicalize-nans", "true",
    "--max-imports", "0", "--max-memories", "1", "--max-memory32-bytes", str(1 << 20),
    "--memory-max-size-required", "true",  # else memory.grow reaches 4 GiB, hashed after every call
    "--min-funcs", "4", "--max-funcs", "30", "--max-instructions", "400", "--allow-start-export", "false",
    "--simd-enabled", "false", "--relaxed-simd-enabled", "false", "--memory64-enabled", "false",
    "--exceptions-enabled", "false", "--gc-enabled", "false", "--tail-call-enabled", "false",
    "--threads-enabled", "false", "--shared-everything-threads-enabled", "false",
    "--wide-arithmetic-enabled", "false", "--extended-const-enabled", "false",
    "--custom-page-sizes-enabled", "false", "--custom-descriptors-enabled", "false",
    "--compact-imports-enabled", "false",
]
SIMD_FLAGS = [("true" if f == "false" and SMITH_FLAGS[i - 1] == "--simd-enabled" else f)
              for i, f in enumerate(SMITH_FLAGS)]
ARGS = {"v128": [0, (1 << 128) - 1, 0x7FC00000_80000000_FFFFFFFF_00000001], "i32": [0, 1, 0xFFFFFFFF, 0x80000000, 7], "i64": [0, 1, (1 << 64) - 1, 1 << 63, 12345],
        "f32": [0, 0x3F800000, 0x7F800000, 0x80000000], "f64": [0, 0x3FF0000000000000, 0x7FF0000000000000],
        "funcref": [None], "externref": [None]}
CALLS_PER_EXPORT = 3


def seeds() -> list[int]:
    spec = os.environ.get("HARNESS_SMITH_SEEDS")
    if not spec:
        return list(range(16))
    lo, _, hi = spec.partition("-")
    return list(range(int(lo), int(hi or lo) + 1))


def generate(seed: int, simd: bool = False) -> bytes | None:
    rng = random.Random(seed)
    seed_bytes = bytes(rng.randrange(256) for _ in range(rng.choice([4000, 8000, 16000])))
    flags = SIMD_FLAGS if simd else SMITH_FLAGS
    p = subprocess.run([WASM_TOOLS, "smith", *flags], input=seed_bytes, capture_output=True, timeout=60)
    return p.stdout if p.returncode == 0 else None


def canon(t: str, raw):
    if t in ("funcref", "externref"):
        return "null" if raw is None else "non-null"
    if t == "f32" and (raw >> 23) & 0xFF == 0xFF and raw & 0x7FFFFF:
        return "nan"
    if t == "f64" and (raw >> 52) & 0x7FF == 0x7FF and raw & ((1 << 52) - 1):
        return "nan"
    return raw


def run(module: api.Module, tier: str) -> list:
    store = api.Store(tier=tier)
    try:
        inst = store.instantiate(module)
    except Trap as e:
        return [("instantiation trapped", e.kind)]

    def state() -> list:
        s = []
        for name, kind, ty in module.exports:
            x = inst.exports[name]
            if kind == "memory":
                s.append(hashlib.sha256(bytes(x.buf)).hexdigest())
            elif kind == "global" and ty.valtype in ARGS:
                s.append(canon(ty.valtype, x.value))
        return s

    out = []
    for name, kind, ft in module.exports:
        if kind != "func" or not all(t in ARGS for t in (*ft.params, *ft.results)):
            continue
        for k in range(CALLS_PER_EXPORT):
            args = [ARGS[t][k % len(ARGS[t])] for t in ft.params]
            try:
                r = inst.invoke(name, args)
                out.append((name, k, [canon(t, v) for t, v in zip(ft.results, r, strict=True)], state()))
            except Trap as e:
                out.append((name, k, f"trap: {e.kind}", state()))
    return out


@pytest.mark.parametrize("simd", [False, True], ids=["scalar", "simd"])
@pytest.mark.parametrize("seed", seeds())
def test_smith_module_matches_the_interpreter(seed: int, simd: bool) -> None:
    data = generate(seed, simd)
    if data is None:
        pytest.skip("wasm-smith made no module from this seed")
    module = api.Module.from_bytes(data)
    assert run(module, "singlepass") == run(module, "interp")
