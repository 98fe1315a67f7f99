"""Differential test of harness.engine.exec.simd against wasmtime, op by op, bit for bit.

Why: hand-written expectations cover only the cases someone thought of; a production runtime applied to
edge values (NaN payloads, signed zeros, infinities, denormals, integer extremes, rounding ties) and random
values catches the rest.

Each op gets one exported wasm function per immediate that loops over N input records in memory, applies
the op and stores the result, so one call checks a whole batch. Operands are loaded from memory (loads are
bit-exact, unlike passing floats through the Python API) and results are stored back.

Float lanes that are NaN where the spec leaves the NaN's bits open are compared by NaN-ness: both must be
NaN, ours must be arithmetic (quiet), and canonical when no operand held a non-canonical NaN.
"""

from __future__ import annotations

import random
import re
import struct

import pytest

from harness.engine.exec.simd import NAN_NONDETERMINISTIC, SIMD_OPS, SIMD_TYPES

wasmtime = pytest.importorskip("wasmtime")

IN_BASE = 0
OUT_BASE = 1 << 20
PAGES = 48  # 3 MiB: inputs below 1 MiB, results above
MAX_BATCH = (1 << 20) // 48

SHUFFLES = [
    tuple(range(16)),
    tuple(range(16, 32)),
    tuple(range(31, -1, -2)),
    (0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23),
    (15, 15, 15, 15, 0, 0, 0, 0, 31, 31, 16, 16, 7, 8, 23, 24),
    tuple(random.Random(7).randrange(32) for _ in range(16)),
    tuple(random.Random(8).randrange(32) for _ in range(16)),
]

_LANES = {"i8x16": 16, "i16x8": 8, "i32x4": 4, "i64x2": 2, "f32x4": 4, "f64x2": 2}


def immediates(name: str) -> list[tuple]:
    """The immediates to test for an op: every lane for lane ops, a few patterns for shuffle."""
    shape, op = name.split(".")
    if "_lane" in op:
        return [(lane,) for lane in range(_LANES[shape])]
    if op == "shuffle":
        return [(lanes,) for lanes in SHUFFLES]
    return [()]


def wat_immediate(imm: tuple) -> str:
    if not imm:
        return ""
    if isinstance(imm[0], tuple):
        return " " + " ".join(map(str, imm[0]))
    return f" {imm[0]}"


# relaxed SIMD (3.0) is not compared: each engine may choose its results; ours are test_wasm3_relaxed_simd's
CASES = [(name, imm) for name in sorted(SIMD_OPS) if ".relaxed_" not in name for imm in immediates(name)]


def build_wat() -> str:
    funcs = []
    for idx, (name, imm) in enumerate(CASES):
        params, result = SIMD_TYPES[name]
        loads = "\n".join(
            f"      local.get $in\n      {t}.load offset={16 * k}" for k, t in enumerate(params)
        )
        funcs.append(f"""
  (func (export "f{idx}") (param $n i32) (local $i i32) (local $in i32)
    (block $done
     (loop $next
      (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
      (local.set $in (i32.mul (local.get $i) (i32.const {16 * len(params)})))
      (i32.mul (local.get $i) (i32.const 16))
{loads}
      {name}{wat_immediate(imm)}
      {result}.store offset={OUT_BASE}
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $next))))""")
    return f'(module (memory (export "mem") {PAGES}){"".join(funcs)})'


class Oracle:
    """wasmtime instance with one batch function per (op, immediate) case."""

    def __init__(self) -> None:
        engine = wasmtime.Engine()
        self.store = wasmtime.Store(engine)
        module = wasmtime.Module(engine, wasmtime.wat2wasm(build_wat()))
        inst = wasmtime.Instance(self.store, module, [])
        exports = inst.exports(self.store)
        self.mem = exports["mem"]
        self.funcs = [exports[f"f{i}"] for i in range(len(CASES))]

    def run(self, case_index: int, records: list[tuple[int, ...]]) -> list[int]:
        name, _ = CASES[case_index]
        params, result = SIMD_TYPES[name]
        out = []
        for start in range(0, len(records), MAX_BATCH):
            batch = records[start:start + MAX_BATCH]
            blob = b"".join(v.to_bytes(16, "little") for rec in batch for v in rec)
            self.mem.write(self.store, blob, IN_BASE)
            self.funcs[case_index](self.store, len(batch))
            raw = self.mem.read(self.store, OUT_BASE, OUT_BASE + 16 * len(batch))
            size = 16 if result == "v128" else (4 if result in ("i32", "f32") else 8)
            out += [int.from_bytes(raw[16 * k:16 * k + size], "little") for k in range(len(batch))]
        return out


@pytest.fixture(scope="module")
def oracle() -> Oracle:
    return Oracle()


# ------------------------------------------------------------------------------------- input values
F32_EDGES = [
    0x00000000, 0x80000000, 0x7F800000, 0xFF800000, 0x7FC00000, 0xFFC00000, 0x7FA00001, 0xFF812345,
    0x7FC12345, 0x00000001, 0x807FFFFF, 0x00800000, 0x7F7FFFFF, 0xFF7FFFFF, 0x3F800000, 0xBF800000,
    0x3F000000, 0xBF000000, 0x3FC00000, 0x40200000, 0xC0200000, 0x4B000000, 0x4B000001, 0xCAFFFFFF,
    0x4EFFFFFF, 0x4F000000, 0xCF000000, 0xCF000001, 0x4F800000, 0x4F7FFFFF, 0x3EFFFFFF, 0x3F7FFFFF,
    0xBF7FFFFF, 0x3F400000, 0x40400000, 0x34000000, 0x33800000,
]
F64_EDGES = [
    0, 1 << 63, 0x7FF0000000000000, 0xFFF0000000000000, 0x7FF8000000000000, 0xFFF8000000000000,
    0x7FF4000000000001, 0xFFF0000000012345, 0x7FF8000000012345, 0x7FFC000020000000, 1, 0x800FFFFFFFFFFFFF,
    0x0010000000000000, 0x7FEFFFFFFFFFFFFF, 0x3FF0000000000000, 0xBFF0000000000000, 0x3FE0000000000000,
    0xBFE0000000000000, 0x3FF8000000000000, 0x4004000000000000, 0xC004000000000000, 0x4330000000000000,
    0x4330000000000001, 0x4338000000000000, 0xC32FFFFFFFFFFFFF, 0x41DFFFFFFFC00000, 0x41DFFFFFFFE00000,
    0x41E0000000000000, 0xC1E0000000000000, 0xC1E0000000200000, 0xC1E0000000100000, 0x41EFFFFFFFE00000,
    0x41EFFFFFFFF00000, 0x41F0000000000000, 0xBFEFFFFFFFFFFFFF, 0x3FDFFFFFFFFFFFFF,
    # f32 rounding boundaries for demote: ties, just above/below, overflow threshold, denormal edges
    0x3FF0000010000000, 0x3FF0000010000001, 0x3FF000000FFFFFFF, 0x3FF0000030000000, 0x47EFFFFFE0000000,
    0x47EFFFFFF0000000, 0x47EFFFFFEFFFFFFF, 0x47F0000000000000, 0x36A0000000000000, 0x3690000000000000,
    0x3690000000000001, 0x3680000000000000, 0xB6A8000000000000, 0x380FFFFFC0000000, 0x380FFFFFE0000000,
]
INT_EDGES = {
    8: [0, 1, 0x7F, 0x80, 0x81, 0xFF, 0xFE, 0x40, 0x3F, 0x0F, 0x10, 0x1F, 0x20],
    16: [0, 1, 0x7FFF, 0x8000, 0x8001, 0xFFFF, 0xFFFE, 0x4000, 0x7F, 0x80, 0xFF, 0x100, 0xFF80, 0xFF7F],
    32: [0, 1, 0x7FFFFFFF, 0x80000000, 0x80000001, 0xFFFFFFFF, 0xFFFFFFFE, 0x7FFF, 0x8000, 0xFFFF,
         0x10000, 0xFFFF8000, 0xFFFF7FFF],
    64: [0, 1, (1 << 63) - 1, 1 << 63, (1 << 63) + 1, (1 << 64) - 1, (1 << 64) - 2, 0x7FFFFFFF, 0x80000000,
         0xFFFFFFFF, 1 << 32, 0xFFFFFFFF80000000, 0xFFFFFFFF7FFFFFFF],
}
SHIFT_EDGES = [0, 1, 7, 8, 9, 15, 16, 17, 31, 32, 33, 63, 64, 65, 127, 128, 0xFFFFFFFF, 0x80000000, 0x7FFFFFFF]
KINDS = ("i8", "i16", "i32", "i64", "f32", "f64")


def rand_float(rng: random.Random, bits: int) -> int:
    """Raw float bits: an edge value, uniformly random bits, or a value of moderate magnitude."""
    edges, exp_bits = (F32_EDGES, 8) if bits == 32 else (F64_EDGES, 11)
    mant_bits = bits - 1 - exp_bits
    bias = (1 << (exp_bits - 1)) - 1
    roll = rng.random()
    if roll < 0.4:
        return rng.choice(edges)
    if roll < 0.6:
        return rng.getrandbits(bits)
    if roll < 0.75:  # small integers and halves, good for rounding ops and conversions
        value = rng.randrange(-300, 300) / rng.choice((1, 2, 4))
        return int.from_bytes(struct.pack("<f" if bits == 32 else "<d", value), "little")
    exp = bias + rng.randrange(-40, 40)
    return (rng.getrandbits(1) << (bits - 1)) | (exp << mant_bits) | rng.getrandbits(mant_bits)


def rand_lane(rng: random.Random, kind: str) -> int:
    bits = int(kind[1:])
    if kind[0] == "f":
        return rand_float(rng, bits)
    if rng.random() < 0.5:
        return rng.choice(INT_EDGES[bits])
    if rng.random() < 0.3:  # small magnitudes, positive or negative
        return rng.randrange(-20, 20) & ((1 << bits) - 1)
    return rng.getrandbits(bits)


def rand_vector(rng: random.Random, kind: str) -> int:
    bits = int(kind[1:])
    if rng.random() < 0.1:  # now and then a vector of other lanes
        kind = rng.choice(KINDS)
        bits = int(kind[1:])
    if rng.random() < 0.15:  # all lanes equal
        return sum(rand_lane(rng, kind) << (bits * i) for i in [0]) * sum(1 << (bits * i) for i in range(128 // bits))
    return sum(rand_lane(rng, kind) << (bits * i) for i in range(128 // bits))


_SRC_SHAPE = re.compile(r"_(i8x16|i16x8|i32x4|i64x2|f32x4|f64x2)")


def operand_kind(name: str) -> str:
    """The lane type an op reads its v128 operands as."""
    shape, op = name.split(".")
    m = _SRC_SHAPE.search(op)
    if m:
        shape = m.group(1)
    if shape == "v128":
        return "i8"
    return shape[0] + str(128 // _LANES[shape])


def rand_operand(rng: random.Random, name: str, index: int, valtype: str) -> int:
    if valtype == "v128":
        if name == "i8x16.swizzle" and index == 1 and rng.random() < 0.7:
            return sum(rng.choice((rng.randrange(16), rng.randrange(256), 16, 0x80, 0xFF)) << (8 * i)
                       for i in range(16))
        return rand_vector(rng, operand_kind(name))
    if valtype == "i32" and name.split(".")[1].startswith("sh"):
        return rng.choice(SHIFT_EDGES) if rng.random() < 0.5 else rng.getrandbits(32)
    if valtype in ("i32", "i64"):
        shape = name.split(".")[0]
        bits = 128 // _LANES[shape]
        lane = rand_lane(rng, f"i{bits}")
        if valtype == "i32" and rng.random() < 0.3:
            lane |= rng.getrandbits(32) & ~((1 << bits) - 1) & 0xFFFFFFFF  # bits the op must ignore
        return lane
    return rand_float(rng, int(valtype[1:]))


def make_records(name: str, count: int, seed: int) -> list[tuple[int, ...]]:
    rng = random.Random(f"{name}/{seed}")
    params, _ = SIMD_TYPES[name]
    return [tuple(rand_operand(rng, name, k, t) for k, t in enumerate(params)) for _ in range(count)]


# -------------------------------------------------------------------------------------- comparing
def _float_lane_bits(name: str) -> int:
    if name.startswith("f32x4") or name == "f32x4.demote_f64x2_zero":
        return 32
    return 64


def _is_nan(x: int, bits: int) -> bool:
    exp_mask = 0x7F800000 if bits == 32 else 0x7FF0000000000000
    mant = (1 << (23 if bits == 32 else 52)) - 1
    return (x & exp_mask) == exp_mask and (x & mant) != 0


_CANONICAL = {32: {0x7FC00000, 0xFFC00000}, 64: {0x7FF8000000000000, 0xFFF8000000000000}}


def _has_noncanonical_nan(values: tuple[int, ...], params: tuple[str, ...]) -> bool:
    """Whether any float lane (either width: demote/promote read the other one) is a non-canonical NaN."""
    for v, t in zip(values, params, strict=True):
        if t != "v128":
            continue
        for w in (32, 64):
            for i in range(128 // w):
                lane = (v >> (w * i)) & ((1 << w) - 1)
                if _is_nan(lane, w) and lane not in _CANONICAL[w]:
                    return True
    return False


def mismatch(name: str, record: tuple[int, ...], ours: int, theirs: int) -> str | None:
    """None if ``ours`` is an acceptable result where wasmtime gave ``theirs``, else a description."""
    if ours == theirs:
        return None
    if name not in NAN_NONDETERMINISTIC:
        return "bits differ"
    bits = _float_lane_bits(name)
    mask = (1 << bits) - 1
    quiet = 1 << (22 if bits == 32 else 51)
    canonical_required = not _has_noncanonical_nan(record, SIMD_TYPES[name][0])
    for i in range(128 // bits):
        a, b = (ours >> (bits * i)) & mask, (theirs >> (bits * i)) & mask
        if a != b and not (_is_nan(a, bits) and _is_nan(b, bits)):
            return f"lane {i} differs"
        if _is_nan(a, bits):
            if not a & quiet:
                return f"lane {i} is a signalling NaN"
            if canonical_required and a not in _CANONICAL[bits]:
                return f"lane {i} is not the canonical NaN"
    return None


def check_case(oracle: Oracle, case_index: int, count: int, seed: int) -> None:
    name, imm = CASES[case_index]
    records = make_records(name, count, seed)
    expected = oracle.run(case_index, records)
    fn = SIMD_OPS[name]
    failures = []
    for rec, want in zip(records, expected, strict=True):
        got = fn(*rec, *imm)
        problem = mismatch(name, rec, got, want)
        if problem:
            failures.append(
                f"{name}{wat_immediate(imm)}({', '.join(hex(x) for x in rec)}): "
                f"ours {got:#x} wasmtime {want:#x} ({problem})"
            )
    assert not failures, f"{len(failures)}/{count} mismatches, first ones:\n" + "\n".join(failures[:8])


@pytest.mark.parametrize("case_index", range(len(CASES)), ids=[f"{n}{wat_immediate(i)}" for n, i in CASES])
def test_matches_wasmtime(oracle: Oracle, case_index: int) -> None:
    check_case(oracle, case_index, count=60, seed=1)


@pytest.mark.slow
@pytest.mark.parametrize("case_index", range(len(CASES)), ids=[f"{n}{wat_immediate(i)}" for n, i in CASES])
def test_matches_wasmtime_sweep(oracle: Oracle, case_index: int) -> None:
    check_case(oracle, case_index, count=20000, seed=2)


def _exhaustive_pairs(name: str) -> list[tuple[int, ...]]:
    """Every (a, b) pair of i8 lane values, 16 pairs per record: 4096 records."""
    pairs = [(x, y) for x in range(256) for y in range(256)]
    records = []
    for k in range(0, len(pairs), 16):
        chunk = pairs[k:k + 16]
        a = sum(x << (8 * i) for i, (x, _) in enumerate(chunk))
        b = sum(y << (8 * i) for i, (_, y) in enumerate(chunk))
        records.append((a, b))
    return records


I8_BINARY = [i for i, (n, imm) in enumerate(CASES)
             if n.startswith("i8x16.") and SIMD_TYPES[n] == (("v128", "v128"), "v128") and not imm]


@pytest.mark.parametrize("case_index", I8_BINARY, ids=[CASES[i][0] for i in I8_BINARY])
def test_i8x16_binary_ops_on_every_lane_pair(oracle: Oracle, case_index: int) -> None:
    """The SWAR lane tricks (carries, borrows, sign flips) are checked on all 65536 lane pairs."""
    name, _ = CASES[case_index]
    records = _exhaustive_pairs(name)
    expected = oracle.run(case_index, records)
    fn = SIMD_OPS[name]
    bad = [(r, fn(*r), want) for r, want in zip(records, expected, strict=True) if fn(*r) != want]
    assert not bad, f"{name}: {len(bad)} records differ, first: " + ", ".join(
        f"({a:#x}, {b:#x}) -> ours {g:#x} wasmtime {w:#x}" for (a, b), g, w in bad[:3])
