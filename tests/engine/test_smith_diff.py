"""Random whole modules from wasm-smith, run on wasmtime, ours:interp and ours:llvm (O2 with guard pages,
O0, O2 with explicit bounds checks, and O2 unrolling every multiply-self-recursive function whatever its
size), compared call by call.

Why: the spec testsuite checks each instruction in isolation; generated modules mix them (memory, tables,
globals, SIMD, bulk memory, multi-value, deep nesting) in ways nobody wrote a test for, and compiled code
is where such mixes go wrong (an optimisation that moves a load across a trap, a phi with the wrong value
on one edge).  Every exported function with numeric parameters is called with a few argument sets; after
each call its results (or the fact that it trapped), every exported global and a hash of every exported
memory must match wasmtime's.  NaN results compare by NaN-ness (wasm-smith is asked to canonicalise NaNs,
so their bits are deterministic in principle, but the spec allows any arithmetic NaN).

wasm-smith's ``--ensure-termination`` bounds loops and recursion with a fuel global; wasmtime also runs
with engine fuel, and a module that exhausts it is skipped rather than run for minutes on our interpreter.
A memory grown past 16 MiB is compared by that fact alone: ``memory.grow`` may fail for resource reasons,
so sizes beyond that may differ between engines and stay spec-conformant.

Recursive inlining (``tiers/llvm/recursion.py``) normally takes only bodies of at most 120 instructions,
which few generated functions are; the "unrolled" variant lifts that limit (without the object cache, so
no object compiled that way is ever reused), and about two thirds of the modules then have such functions.

The default run checks 24 seeds; ``pytest -m slow`` checks 400 more (``HARNESS_SMITH_SEEDS=5000-5999`` picks
others).
"""

from __future__ import annotations

import hashlib
import os
import random
import struct
import subprocess
from pathlib import Path

import pytest

from harness.engine import api
from harness.engine.errors import Trap
from harness.errors import HarnessError
from harness.spec.convert import wasm_tools

wasmtime = pytest.importorskip("wasmtime")
pytest.importorskip("llvmlite")

from harness.engine.tiers.llvm import recursion  # noqa: E402

try:
    WASM_TOOLS = str(wasm_tools())
except HarnessError as e:
    pytest.skip(str(e), allow_module_level=True)

# wasm 2.0 only: the engines under test implement it, not the later proposals
SMITH_FLAGS = [
    "--ensure-termination", "--export-everything", "true", "--canonicalize-nans", "true",
    "--max-imports", "0", "--max-memories", "1", "--max-memory32-bytes", str(1 << 20),
    "--min-types", "2", "--min-funcs", "4", "--max-funcs", "30", "--max-instructions", "400", "--allow-start-export", "false",
    "--simd-enabled", "true", "--relaxed-simd-enabled", "false", "--memory64-enabled", "false",
    "--exceptions-enabled", "false", "--gc-enabled", "false", "--tail-call-enabled", "false",
    "--threads-enabled", "false", "--shared-everything-threads-enabled", "false",
    "--wide-arithmetic-enabled", "false", "--extended-const-enabled", "false",
    "--custom-page-sizes-enabled", "false", "--custom-descriptors-enabled", "false",
    "--compact-imports-enabled", "false",
]

ARGS = {"i32": [0, 1, 0xFFFFFFFF, 0x80000000, 7], "i64": [0, 1, (1 << 64) - 1, 1 << 63, 12345],
        "f32": [0, 0x3F800000, 0x7F800000, 0x80000000], "f64": [0, 0x3FF0000000000000, 0x7FF0000000000000],
        "funcref": [None], "externref": [None]}
CALLS_PER_EXPORT = 3
WASMTIME_FUEL = 20_000_000
BIG_MEMORY = 1 << 24

ENGINES = {
    "ours:interp": ("interp", {}),
    "ours:llvm": ("llvm", {}),
    "ours:llvm O0": ("llvm", {"opt_level": 0}),
    "ours:llvm explicit": ("llvm", {"bounds": "explicit"}),
    "ours:llvm unrolled": ("llvm", {"cache_dir": False}),
}


class OutOfFuel(Exception):
    pass


def generate(seed: int, no_traps: bool) -> bytes | None:
    rng = random.Random(seed)
    seed_bytes = bytes(rng.randrange(256) for _ in range(rng.choice([4000, 8000, 16000])))
    flags = SMITH_FLAGS + (["--disallow-traps", "true"] if no_traps else [])
    p = subprocess.run([WASM_TOOLS, "smith", *flags], input=seed_bytes, capture_output=True, timeout=60)
    return p.stdout if p.returncode == 0 else None


def callable_exports(module: api.Module) -> list[tuple[str, list[str], list[str]]]:
    out = []
    for name, kind, ft in module.exports:
        if kind == "func" and all(t in ARGS for t in (*ft.params, *ft.results)):
            out.append((name, list(ft.params), list(ft.results)))
    return out


def arguments(params: list[str], k: int) -> list[int]:
    return [ARGS[t][k % len(ARGS[t])] for t in params]


def canon(t: str, raw) -> int | str:
    """A raw result as compared: integers unsigned, NaNs as 'nan', other floats by their bits, references
    as null or not."""
    if t in ("funcref", "externref"):
        return "null" if raw is None else "non-null"
    if t == "f32" and (raw >> 23) & 0xFF == 0xFF and raw & 0x7FFFFF:
        return "nan"
    if t == "f64" and (raw >> 52) & 0x7FF == 0x7FF and raw & ((1 << 52) - 1):
        return "nan"
    return raw


def memory_digest(data_len: int, read) -> str:
    return f"grown past {BIG_MEMORY}" if data_len > BIG_MEMORY else hashlib.sha256(read()).hexdigest()


def run_wasmtime(data: bytes, module: api.Module) -> list:
    import ctypes

    cfg = wasmtime.Config()
    cfg.wasm_simd = True
    cfg.consume_fuel = True
    engine = wasmtime.Engine(cfg)
    store = wasmtime.Store(engine)
    store.set_fuel(WASMTIME_FUEL)
    try:
        inst = wasmtime.Instance(store, wasmtime.Module(engine, data), [])
    except wasmtime.Trap as e:
        if "fuel" in str(e):
            raise OutOfFuel from None
        return ["instantiation trapped"]
    exports = inst.exports(store)

    def to_val(t: str, raw: int):
        if t == "i32":
            return wasmtime.Val.i32(raw - (1 << 32) if raw >> 31 else raw)
        if t == "i64":
            return wasmtime.Val.i64(raw - (1 << 64) if raw >> 63 else raw)
        if t == "f32":
            return wasmtime.Val.f32(struct.unpack("<f", struct.pack("<I", raw))[0])
        if t in ("funcref", "externref"):
            return getattr(wasmtime.Val, t)(None)
        return wasmtime.Val.f64(struct.unpack("<d", struct.pack("<Q", raw))[0])

    def to_raw(t: str, v):
        if t in ("funcref", "externref"):
            return v.value if isinstance(v, wasmtime.Val) else v  # wasmtime-py leaves a null externref wrapped
        if t == "i32":
            return v & 0xFFFFFFFF
        if t == "i64":
            return v & ((1 << 64) - 1)
        if v != v:
            return 0x7FC00000 if t == "f32" else 0x7FF8000000000000
        return struct.unpack("<I", struct.pack("<f", v))[0] if t == "f32" else struct.unpack("<Q", struct.pack("<d", v))[0]

    def state() -> list:
        s = []
        for name, kind, ty in module.exports:
            x = exports[name]
            if kind == "memory":
                n = x.data_len(store)
                s.append(memory_digest(n, lambda x=x, n=n: ctypes.string_at(
                    ctypes.addressof(x.data_ptr(store).contents), n)))
            elif kind == "global" and ty.valtype in ARGS:
                s.append(canon(ty.valtype, to_raw(ty.valtype, x.value(store))))
        return s

    out = []
    for name, params, results in callable_exports(module):
        for k in range(CALLS_PER_EXPORT):
            try:
                r = exports[name](store, *[to_val(t, a) for t, a in zip(params, arguments(params, k), strict=True)])
                r = list(r) if len(results) > 1 else [r] if results else []
                out.append((name, k, "returned", [canon(t, to_raw(t, v)) for t, v in zip(results, r, strict=True)],
                            state()))
            except wasmtime.Trap as e:
                if "fuel" in str(e):
                    raise OutOfFuel from None
                out.append((name, k, "trapped", None, state()))
    return out


def run_ours(data: bytes, module: api.Module, tier: str, options: dict) -> list:
    store = api.Store(tier=tier, **options)
    try:
        inst = store.instantiate(module)
    except Trap:
        return ["instantiation trapped"]

    def state() -> list:
        s = []
        for name, kind, ty in module.exports:
            x = inst.exports[name]
            if kind == "memory":
                s.append(memory_digest(len(x.buf), lambda x=x: bytes(x.buf)))
            elif kind == "global" and ty.valtype in ARGS:
                s.append(canon(ty.valtype, x.value))
        return s

    out = []
    for name, params, results in callable_exports(module):
        for k in range(CALLS_PER_EXPORT):
            try:
                r = inst.invoke(name, arguments(params, k))
                out.append((name, k, "returned", [canon(t, v) for t, v in zip(results, r, strict=True)], state()))
            except Trap:
                out.append((name, k, "trapped", None, state()))
    return out


def check_seed(seed: int, no_traps: bool, tmp_path: Path) -> None:
    data = generate(seed, no_traps)
    if data is None:
        pytest.skip(f"wasm-smith made no module from seed {seed}")
    module = api.Module.from_bytes(data)
    try:
        expected = run_wasmtime(data, module)
    except OutOfFuel:
        pytest.skip(f"seed {seed}: the module outruns wasmtime's fuel ({WASMTIME_FUEL:,}), too long to run on "
                    "the interpreter")
    for label, (tier, options) in ENGINES.items():
        with pytest.MonkeyPatch.context() as mp:
            if label.endswith("unrolled"):
                mp.setattr(recursion, "MAX_INSTRUCTIONS", 1 << 30)
            got = run_ours(data, module, tier, options)
        if got != expected:
            saved = tmp_path / f"smith-{seed}.wasm"
            saved.write_bytes(data)
            first = next((i for i, (a, b) in enumerate(zip(expected, got, strict=False)) if a != b), min(len(expected), len(got)))
            raise AssertionError(
                f"{label} differs from wasmtime on wasm-smith seed {seed} (module saved as {saved}; "
                f"`wasm-tools print` shows it), at call {first}:\n"
                f"  wasmtime: {expected[first] if first < len(expected) else '(no more calls)'}\n"
                f"  {label}: {got[first] if first < len(got) else '(no more calls)'}")


@pytest.mark.parametrize("seed", range(12))
def test_smith_modules_match_wasmtime(seed, tmp_path):
    check_seed(seed, no_traps=False, tmp_path=tmp_path)


@pytest.mark.parametrize("seed", range(100, 112))
def test_smith_modules_without_traps_match_wasmtime(seed, tmp_path):
    """``--disallow-traps``: fewer calls end early, so more of each function runs."""
    check_seed(seed, no_traps=True, tmp_path=tmp_path)


def _slow_seeds() -> range:
    """``HARNESS_SMITH_SEEDS=FIRST-LAST`` (inclusive) picks other seeds for the slow run, to search wider."""
    text = os.environ.get("HARNESS_SMITH_SEEDS", "")
    if not text:
        return range(1000, 1400)
    first, sep, last = text.partition("-")
    if not (sep and first.isdigit() and last.isdigit() and int(first) <= int(last)):
        raise pytest.UsageError(f"HARNESS_SMITH_SEEDS={text!r}: want FIRST-LAST, e.g. 5000-5999")
    return range(int(first), int(last) + 1)


@pytest.mark.slow
@pytest.mark.parametrize("seed", _slow_seeds())
def test_smith_modules_match_wasmtime_many(seed, tmp_path):
    check_seed(seed, no_traps=bool(seed % 2), tmp_path=tmp_path)
