"""Numerics of the wasm 2.0 fixed-width SIMD (``v128``) instructions that compute on values, and of 3.0's
relaxed SIMD (each with a fixed, documented choice: see the section at the end).

Why a table of plain functions: every tier that interprets (the interpreter, constant folding, tests) needs
the same bit-exact lane arithmetic, and keeping it free of stacks and frames makes it testable against a
reference runtime op by op.

Interface (the contract with the interpreter):

* ``SIMD_OPS[name]`` is a callable for the instruction with text-format name ``name`` (``"i32x4.add"``,
  ``"f32x4.min"``, ``"i8x16.extract_lane_s"``, ...). It takes the popped operands in stack order (the
  first-pushed operand first), then the instruction's immediates, and returns the single result:

  - ``v128`` operands and results are Python ints in ``[0, 2**128)``, lane 0 in the least significant bits
    (little-endian memory order);
  - scalar operands are raw bit patterns: ``i32``/``i64`` unsigned (negative inputs are masked), ``f32``/
    ``f64`` the raw IEEE bits; scalar results (``extract_lane``, ``any_true``, ``all_true``, ``bitmask``)
    are returned the same way (``i32`` results as unsigned 32-bit patterns);
  - lane immediates are trailing arguments: ``extract_lane_s(v, lane)``, ``replace_lane(v, x, lane)``,
    ``i8x16.shuffle(a, b, lanes)`` with ``lanes`` a sequence of 16 ints in ``[0, 32)``.

* ``SIMD_ARITY[name]`` is the number of operands popped from the stack (immediates not counted).
* ``SIMD_TYPES[name]`` is ``(operand value types, result value type)``, e.g. ``(("v128", "i32"), "v128")``
  for shifts; handy for validation and for building test wrappers.

Floating-point results follow the spec's NaN rules: a NaN result is always an arithmetic (quiet) NaN, and
is the canonical NaN whenever no operand was a non-canonical NaN. f32 lanes are computed in double
precision and rounded once to single (exact for +, -, *, /, sqrt since 53 >= 2*24 + 2), so results are
correctly rounded. ``abs``/``neg`` and ``pmin``/``pmax`` and lane moves are bit manipulations and keep NaN
payloads (including signalling NaNs) unchanged, as the spec requires.

The host must be little-endian (x86-64, AArch64): f32 lanes are packed with the native ``struct`` format,
the only one that rounds out-of-range doubles to infinity instead of raising.

Memory loads and stores of ``v128`` (``v128.load*``, ``v128.store*``, ``*_lane`` memory forms) and
``v128.const`` are not here: they belong to the interpreter.
"""

from __future__ import annotations

import math
import operator
import struct
import sys
from collections.abc import Callable

from .num_float import f64_max, f64_min

__all__ = ["SIMD_OPS", "SIMD_ARITY", "SIMD_TYPES", "LANE_SHAPES", "INT_SHAPES", "FLOAT_SHAPES", "INT_LANE_OPS",
           "WIDENINGS", "PAIRWISE_WIDENINGS", "RELAXED_AS_STRICT"]

if sys.byteorder != "little":  # pragma: no cover - no big-endian CI host
    raise ImportError("harness.engine.exec.simd assumes a little-endian host")

SIMD_OPS: dict[str, Callable[..., int]] = {}
SIMD_ARITY: dict[str, int] = {}
SIMD_TYPES: dict[str, tuple[tuple[str, ...], str]] = {}

M128 = (1 << 128) - 1
V, I32, I64, F32, F64 = "v128", "i32", "i64", "f32", "f64"

# ------------------------------------------------------------------------------------- the lane table
# Which lane shapes there are and which lane operations each has: facts of the spec, not of how a tier
# computes them.  The interpreter's table below and the LLVM tier's handlers (``tiers/llvm/simd.py``) are
# both built from these, so a lane shape or operation is declared here once.

# shape -> (the scalar type of its lanes in splat/extract_lane/replace_lane, lane width in bits); the lane
# count is 128 // width, and lanes narrower than 32 bits have extract_lane_s and _u instead of extract_lane
LANE_SHAPES: dict[str, tuple[str, int]] = {
    "i8x16": (I32, 8), "i16x8": (I32, 16), "i32x4": (I32, 32), "i64x2": (I64, 64),
    "f32x4": (F32, 32), "f64x2": (F64, 64),
}  # fmt: skip
INT_SHAPES = ("i8x16", "i16x8", "i32x4", "i64x2")
FLOAT_SHAPES = ("f32x4", "f64x2")

# integer lane operation -> the shapes that have it; a name ending in _s/_u reads the lanes as signed/unsigned
INT_LANE_OPS: dict[str, tuple[str, ...]] = {
    **dict.fromkeys(("add", "sub", "neg", "abs", "shl", "shr_s", "shr_u", "all_true", "bitmask",
                     "eq", "ne", "lt_s", "gt_s", "le_s", "ge_s"), INT_SHAPES),
    "mul": INT_SHAPES[1:],  # no i8x16.mul
    **dict.fromkeys(("lt_u", "gt_u", "le_u", "ge_u", "min_s", "min_u", "max_s", "max_u"), INT_SHAPES[:3]),
    **dict.fromkeys(("add_sat_s", "add_sat_u", "sub_sat_s", "sub_sat_u", "avgr_u"), INT_SHAPES[:2]),
}

# (wide, narrow) shape pairs: extend_{low,high} and extmul_{low,high} for each; extadd_pairwise (wide from
# narrow) and narrow (narrow from wide) only where the wide lanes are at most 32 bits
WIDENINGS = (("i16x8", "i8x16"), ("i32x4", "i16x8"), ("i64x2", "i32x4"))
PAIRWISE_WIDENINGS = WIDENINGS[:2]

# relaxed SIMD (3.0) instructions whose one deterministic choice is their strict counterpart (see the end)
RELAXED_AS_STRICT: dict[str, str] = {
    "i8x16.relaxed_swizzle": "i8x16.swizzle",
    "i32x4.relaxed_trunc_f32x4_s": "i32x4.trunc_sat_f32x4_s",
    "i32x4.relaxed_trunc_f32x4_u": "i32x4.trunc_sat_f32x4_u",
    "i32x4.relaxed_trunc_f64x2_s_zero": "i32x4.trunc_sat_f64x2_s_zero",
    "i32x4.relaxed_trunc_f64x2_u_zero": "i32x4.trunc_sat_f64x2_u_zero",
    **{f"{s}.relaxed_laneselect": "v128.bitselect" for s in INT_SHAPES},
    **{f"{s}.relaxed_{op}": f"{s}.{op}" for s in FLOAT_SHAPES for op in ("min", "max")},
    "i16x8.relaxed_q15mulr_s": "i16x8.q15mulr_sat_s",
}

_LE = "little"
_NAN = float("nan")  # the positive canonical NaN (0x7ff8000000000000)
_INF = float("inf")
_copysign = math.copysign


def _rep(value: int, width: int) -> int:
    """``value`` replicated into every lane of a ``width``-bit lane shape."""
    return sum(value << (width * i) for i in range(128 // width))


class _Shape:
    """Constants for one integer lane width: masks for SWAR tricks and the struct formats."""

    def __init__(self, width: int) -> None:
        n = 128 // width
        self.width = width
        self.count = n
        self.mask = (1 << width) - 1
        self.ones = _rep(1, width)  # 1 in every lane
        self.high = _rep(1 << (width - 1), width)  # top bit of every lane
        self.low = _rep((1 << (width - 1)) - 1, width)  # all but the top bit
        self.smin = -(1 << (width - 1))
        self.smax = (1 << (width - 1)) - 1
        code = {8: "b", 16: "h", 32: "i", 64: "q"}[width]
        self.s = struct.Struct(f"<{n}{code}")
        self.u = struct.Struct(f"<{n}{code.upper()}")
        # shl/shr_u keep-masks for every shift count
        self.shl_keep = [_rep((self.mask << k) & self.mask, width) for k in range(width)]
        self.shr_keep = [_rep(self.mask >> k, width) for k in range(width)]


_SH = {w: _Shape(w) for w in (8, 16, 32, 64)}
_PREFIX = {s: LANE_SHAPES[s][1] for s in INT_SHAPES}

# Float lane formats. Native "f" packs with a C cast (round to nearest, overflow -> inf); "<f" would raise.
_F32V = struct.Struct("4f")
_F64V = struct.Struct("<2d")
_F32S = struct.Struct("f")
_F64S = struct.Struct("<d")
_U32V = _SH[32].u
_U64V = _SH[64].u

# NaN detection on raw vectors: a lane is NaN iff (lane & abs) + (mantissa mask) carries into the sign bit.
_F32_ABS, _F32_MANT, _F32_SIGN = _rep(0x7FFFFFFF, 32), _rep(0x007FFFFF, 32), _rep(0x80000000, 32)
_F64_ABS, _F64_MANT, _F64_SIGN = (
    _rep((1 << 63) - 1, 64),
    _rep((1 << 52) - 1, 64),
    _rep(1 << 63, 64),
)


def _quiet32(r: int) -> int:
    """Set the quiet bit of every NaN f32 lane, so NaN results are arithmetic whatever the host did."""
    nan = ((r & _F32_ABS) + _F32_MANT) & _F32_SIGN
    return r | (nan >> 9) if nan else r


def _quiet64(r: int) -> int:
    nan = ((r & _F64_ABS) + _F64_MANT) & _F64_SIGN
    return r | (nan >> 12) if nan else r


def _def(name: str, types: tuple[tuple[str, ...], str], fn: Callable[..., int]) -> None:
    SIMD_OPS[name] = fn
    SIMD_ARITY[name] = len(types[0])
    SIMD_TYPES[name] = types


VV_V = ((V, V), V)
V_V = ((V,), V)
VVV_V = ((V, V, V), V)


# --------------------------------------------------------------------------------------------- bitwise
def _not(a: int) -> int:
    return a ^ M128


def _and(a: int, b: int) -> int:
    return a & b


def _andnot(a: int, b: int) -> int:
    return a & (b ^ M128)


def _or(a: int, b: int) -> int:
    return a | b


def _xor(a: int, b: int) -> int:
    return a ^ b


def _bitselect(a: int, b: int, c: int) -> int:
    return (a & c) | (b & (c ^ M128))


def _any_true(a: int) -> int:
    return 1 if a else 0


_def("v128.not", V_V, _not)
_def("v128.and", VV_V, _and)
_def("v128.andnot", VV_V, _andnot)
_def("v128.or", VV_V, _or)
_def("v128.xor", VV_V, _xor)
_def("v128.bitselect", VVV_V, _bitselect)
_def("v128.any_true", ((V,), I32), _any_true)


# ----------------------------------------------------------------------------------- splat / lanes
def _make_splat(width: int) -> Callable[[int], int]:
    ones, mask = _SH[width].ones, _SH[width].mask

    def splat(x: int) -> int:
        return (x & mask) * ones  # one-per-lane times a lane-sized value cannot carry

    return splat


def _make_extract(width: int, signed: bool, result_mask: int) -> Callable[[int, int], int]:
    mask = (1 << width) - 1
    sign = 1 << (width - 1)

    if signed:

        def extract_s(v: int, lane: int) -> int:
            x = (v >> (lane * width)) & mask
            return ((x ^ sign) - sign) & result_mask

        return extract_s

    def extract(v: int, lane: int) -> int:
        return (v >> (lane * width)) & mask

    return extract


def _make_replace(width: int) -> Callable[[int, int, int], int]:
    mask = (1 << width) - 1

    def replace(v: int, x: int, lane: int) -> int:
        shift = lane * width
        return (v & ~(mask << shift) & M128) | ((x & mask) << shift)

    return replace


_I32M = 0xFFFFFFFF
_I64M = 0xFFFFFFFFFFFFFFFF
for _shape, (_st, _w) in LANE_SHAPES.items():
    _smask = _I64M if _st in (I64, F64) else _I32M
    _def(f"{_shape}.splat", ((_st,), V), _make_splat(_w))
    _def(f"{_shape}.replace_lane", ((V, _st), V), _make_replace(_w))
    if _w < 32:
        _def(f"{_shape}.extract_lane_s", ((V,), _st), _make_extract(_w, True, _I32M))
        _def(f"{_shape}.extract_lane_u", ((V,), _st), _make_extract(_w, False, _I32M))
    else:
        _def(f"{_shape}.extract_lane", ((V,), _st), _make_extract(_w, False, _smask))

_ZERO240 = bytes(240)
_ZERO224 = bytes(224)


def _swizzle(a: int, s: int) -> int:
    # indices >= 16 select zero: translate through a 256-entry table whose tail is zeros
    table = a.to_bytes(16, _LE) + _ZERO240
    return int.from_bytes(s.to_bytes(16, _LE).translate(table), _LE)


def _shuffle(a: int, b: int, lanes) -> int:  # noqa: ANN001 - any sequence of 16 ints
    table = a.to_bytes(16, _LE) + b.to_bytes(16, _LE) + _ZERO224
    return int.from_bytes(bytes(lanes).translate(table), _LE)


_def("i8x16.swizzle", VV_V, _swizzle)
_def("i8x16.shuffle", VV_V, _shuffle)


# ------------------------------------------------------------------------------- integer arithmetic
def _make_add(sh: _Shape) -> Callable[[int, int], int]:
    low, high = sh.low, sh.high

    def add(a: int, b: int) -> int:
        # add the low bits (no carry can leave a lane), then fix each lane's top bit
        return ((a & low) + (b & low)) ^ ((a ^ b) & high)

    return add


def _make_sub(sh: _Shape) -> Callable[[int, int], int]:
    low, high = sh.low, sh.high

    def sub(a: int, b: int) -> int:
        # lend every lane its top bit so no borrow crosses lanes, then fix the top bits
        return ((a | high) - (b & low)) ^ ((a ^ b ^ high) & high)

    return sub


def _make_neg(sh: _Shape) -> Callable[[int], int]:
    sub = _make_sub(sh)

    def neg(a: int) -> int:
        return sub(0, a)

    return neg


def _lanewise2(unpack_a, unpack_b, pack, fn) -> Callable[[int, int], int]:  # noqa: ANN001
    """Binary op: unpack both operands, map ``fn`` over lane pairs, pack (results must fit ``pack``)."""

    def op(a: int, b: int) -> int:
        return int.from_bytes(pack(*map(fn, unpack_a(a.to_bytes(16, _LE)), unpack_b(b.to_bytes(16, _LE)))), _LE)

    return op


def _lanewise1(unpack, pack, fn) -> Callable[[int], int]:  # noqa: ANN001
    def op(a: int) -> int:
        return int.from_bytes(pack(*map(fn, unpack(a.to_bytes(16, _LE)))), _LE)

    return op


def _clamp(lo: int, hi: int) -> Callable[[int], int]:
    def clamp(x: int) -> int:
        return lo if x < lo else hi if x > hi else x

    return clamp


def _make_mul(sh: _Shape) -> Callable[[int, int], int]:
    mask = sh.mask

    def lane_mul(x: int, y: int) -> int:
        return (x * y) & mask

    return _lanewise2(sh.u.unpack, sh.u.unpack, sh.u.pack, lane_mul)


def _make_abs(sh: _Shape) -> Callable[[int], int]:
    mask = sh.mask

    def lane_abs(x: int) -> int:
        return (x if x >= 0 else -x) & mask

    return _lanewise1(sh.s.unpack, sh.u.pack, lane_abs)


def _make_shl(sh: _Shape) -> Callable[[int, int], int]:
    keep, wmask = sh.shl_keep, sh.width - 1

    def shl(a: int, n: int) -> int:
        k = n & wmask
        return (a << k) & keep[k]

    return shl


def _make_shr_u(sh: _Shape) -> Callable[[int, int], int]:
    keep, wmask = sh.shr_keep, sh.width - 1

    def shr_u(a: int, n: int) -> int:
        k = n & wmask
        return (a >> k) & keep[k]

    return shr_u


def _make_shr_s(sh: _Shape) -> Callable[[int, int], int]:
    keep, wmask, high, width = sh.shr_keep, sh.width - 1, sh.high, sh.width
    fills = [((1 << k) - 1) << (width - k) for k in range(width)]  # the k top bits of a lane

    def shr_s(a: int, n: int) -> int:
        k = n & wmask
        # logical shift, then copy the sign into the vacated top bits: one-per-lane * fill cannot carry
        return ((a >> k) & keep[k]) | (((a & high) >> wmask) * fills[k])

    return shr_s


def _make_all_true(sh: _Shape) -> Callable[[int], int]:
    low, high = sh.low, sh.high

    def all_true(a: int) -> int:
        # a lane's top bit of ((a & low) + low) | a is set iff the lane is non-zero
        return 1 if (((a & low) + low) | a) & high == high else 0

    return all_true


def _make_bitmask(sh: _Shape) -> Callable[[int], int]:
    shifts = [(i * sh.width + sh.width - 1, i) for i in range(sh.count)]

    def bitmask(a: int) -> int:
        r = 0
        for src, dst in shifts:
            r |= ((a >> src) & 1) << dst
        return r

    return bitmask


def _make_cmp(unpack, pack, lane_true: int, cmp) -> Callable[[int, int], int]:  # noqa: ANN001
    def compare(a: int, b: int) -> int:
        flags = map(cmp, unpack(a.to_bytes(16, _LE)), unpack(b.to_bytes(16, _LE)))
        return int.from_bytes(pack(*[lane_true if f else 0 for f in flags]), _LE)

    return compare


def _make_int_compares(sh: _Shape) -> dict[str, Callable[[int, int], int]]:
    """Lane comparisons and min/max on whole vectors (SWAR), without unpacking lanes.

    ``a <u b`` in a lane is the borrow out of the lane's top bit in ``a - b``, which is
    ``(~a & b) | (~(a ^ b) & d)`` at the top bit, ``d`` being the lane-wise difference. Signed order is
    unsigned order with the top bits flipped. A per-lane flag in the top bit becomes a full-lane mask by
    shifting it down to the lane's bit 0 and multiplying by the lane mask (no carries between lanes).
    """
    low, high, top, lane = sh.low, sh.high, sh.width - 1, sh.mask

    def lt_u(a: int, b: int) -> int:
        d = ((a | high) - (b & low)) ^ ((a ^ b ^ high) & high)
        return ((((a ^ M128) & b) | ((a ^ b ^ M128) & d)) & high) >> top

    def ne_bits(a: int, b: int) -> int:
        x = a ^ b
        return ((((x & low) + low) | x) & high) >> top

    def mk(flags: Callable[[int, int], int], invert: bool, swap: bool, signed: bool) -> Callable[[int, int], int]:
        if signed:
            def flags_s(a: int, b: int, _f=flags) -> int:
                return _f(a ^ high, b ^ high)
            flags = flags_s
        if swap:
            def flags_sw(a: int, b: int, _f=flags) -> int:
                return _f(b, a)
            flags = flags_sw
        if invert:
            def compare_not(a: int, b: int) -> int:
                return (flags(a, b) * lane) ^ M128
            return compare_not

        def compare(a: int, b: int) -> int:
            return flags(a, b) * lane

        return compare

    def mk_select(signed: bool, take_smaller: bool) -> Callable[[int, int], int]:
        flip = high if signed else 0

        def select(a: int, b: int) -> int:
            # m: lanes where b < a (min takes b there) or a < b (max takes b there)
            m = (lt_u(b ^ flip, a ^ flip) if take_smaller else lt_u(a ^ flip, b ^ flip)) * lane
            return (a & (m ^ M128)) | (b & m)

        return select

    ops = {"eq": mk(ne_bits, True, False, False), "ne": mk(ne_bits, False, False, False)}
    for sg, signed in (("s", True), ("u", False)):
        ops[f"lt_{sg}"] = mk(lt_u, False, False, signed)
        ops[f"gt_{sg}"] = mk(lt_u, False, True, signed)
        ops[f"le_{sg}"] = mk(lt_u, True, True, signed)
        ops[f"ge_{sg}"] = mk(lt_u, True, False, signed)
        ops[f"min_{sg}"] = mk_select(signed, True)
        ops[f"max_{sg}"] = mk_select(signed, False)
    return ops


def _make_saturating(sh: _Shape) -> dict[str, Callable[[int, int], int]]:
    """Saturating add/sub and the rounding average on whole vectors (SWAR).

    Signed overflow shows in the top bit: for ``a + b`` when ``a`` and ``b`` agree in sign and the result
    does not; for ``a - b`` when they differ and the result's sign differs from ``a``'s. Overflowed lanes
    take ``smax`` (0b0111..) if ``a`` was non-negative, else ``smin`` (0b1000..).
    """
    high, top, lane = sh.high, sh.width - 1, sh.mask
    add, sub = _make_add(sh), _make_sub(sh)
    lt_u = _make_int_compares(sh)["lt_u"]
    half = _rep(lane >> 1, sh.width)

    def saturate(a: int, r: int, overflow: int) -> int:
        if not overflow:
            return r
        m = (overflow >> top) * lane
        neg = a & high
        limit = neg | (((neg ^ high) >> top) * (lane >> 1))
        return (r & (m ^ M128)) | (limit & m)

    def add_sat_s(a: int, b: int) -> int:
        r = add(a, b)
        return saturate(a, r, ((a ^ b ^ M128) & (a ^ r)) & high)

    def sub_sat_s(a: int, b: int) -> int:
        r = sub(a, b)
        return saturate(a, r, ((a ^ b) & (a ^ r)) & high)

    def add_sat_u(a: int, b: int) -> int:
        r = add(a, b)
        return r | lt_u(r, a)  # wrapped lanes are smaller than an operand: all ones

    def sub_sat_u(a: int, b: int) -> int:
        return sub(a, b) & (lt_u(a, b) ^ M128)  # lanes that would borrow: zero

    def avgr_u(a: int, b: int) -> int:
        # (x + y + 1) >> 1 == (x | y) - ((x ^ y) >> 1), and the subtraction cannot borrow across lanes
        return (a | b) - (((a ^ b) >> 1) & half)

    return {"add_sat_s": add_sat_s, "add_sat_u": add_sat_u, "sub_sat_s": sub_sat_s, "sub_sat_u": sub_sat_u,
            "avgr_u": avgr_u}


_CMPS = {"eq": operator.eq, "ne": operator.ne, "lt": operator.lt, "gt": operator.gt, "le": operator.le, "ge": operator.ge}

# the integer lane operations made one per shape (the compares, min/max and saturating ones come in groups)
_INT_MAKERS: dict[str, Callable[[_Shape], Callable[..., int]]] = {
    "add": _make_add, "sub": _make_sub, "neg": _make_neg, "abs": _make_abs, "mul": _make_mul, "shl": _make_shl,
    "shr_s": _make_shr_s, "shr_u": _make_shr_u, "all_true": _make_all_true, "bitmask": _make_bitmask,
}  # fmt: skip
_INT_TYPES = {"neg": V_V, "abs": V_V, "shl": ((V, I32), V), "shr_s": ((V, I32), V), "shr_u": ((V, I32), V),
              "all_true": ((V,), I32), "bitmask": ((V,), I32)}  # any other: VV_V

for _shape, _w in _PREFIX.items():
    _sh = _SH[_w]
    _grouped = {**_make_int_compares(_sh), **_make_saturating(_sh)}
    for _opname, _shapes in INT_LANE_OPS.items():
        if _shape in _shapes:
            _opfn = _INT_MAKERS[_opname](_sh) if _opname in _INT_MAKERS else _grouped[_opname]
            _def(f"{_shape}.{_opname}", _INT_TYPES.get(_opname, VV_V), _opfn)

_POPCNT_TABLE = bytes(bin(i).count("1") for i in range(256))


def _popcnt(a: int) -> int:
    return int.from_bytes(a.to_bytes(16, _LE).translate(_POPCNT_TABLE), _LE)


_def("i8x16.popcnt", V_V, _popcnt)

_ABS8_TABLE = bytes((256 - i) & 0xFF if i & 0x80 else i for i in range(256))


def _i8x16_abs(a: int) -> int:
    return int.from_bytes(a.to_bytes(16, _LE).translate(_ABS8_TABLE), _LE)


_def("i8x16.abs", V_V, _i8x16_abs)  # replaces the generic lane-wise version


def _q15mulr_sat(x: int, y: int) -> int:
    r = (x * y + 0x4000) >> 15
    return 0x7FFF if r > 0x7FFF else r  # only -32768 * -32768 overflows


_def("i16x8.q15mulr_sat_s", VV_V, _lanewise2(_SH[16].s.unpack, _SH[16].s.unpack, _SH[16].s.pack, _q15mulr_sat))


def _dot_i16x8_s(a: int, b: int, _unpack=_SH[16].s.unpack, _pack=_SH[32].u.pack) -> int:
    x = _unpack(a.to_bytes(16, _LE))
    y = _unpack(b.to_bytes(16, _LE))
    return int.from_bytes(
        _pack(*[(x[i] * y[i] + x[i + 1] * y[i + 1]) & _I32M for i in range(0, 8, 2)]), _LE
    )


_def("i32x4.dot_i16x8_s", VV_V, _dot_i16x8_s)


# --------------------------------------------------- widening and narrowing (extend, extmul, narrow, ...)
def _make_extend(src: _Shape, dst: _Shape, signed: bool, high: bool) -> Callable[[int], int]:
    unpack = src.s.unpack if signed else src.u.unpack
    pack = dst.s.pack if signed else dst.u.pack
    part = slice(dst.count, None) if high else slice(0, dst.count)

    def extend(a: int) -> int:
        return int.from_bytes(pack(*unpack(a.to_bytes(16, _LE))[part]), _LE)

    return extend


def _make_extmul(src: _Shape, dst: _Shape, signed: bool, high: bool) -> Callable[[int, int], int]:
    unpack = src.s.unpack if signed else src.u.unpack
    part = slice(dst.count, None) if high else slice(0, dst.count)
    pack, mask = dst.u.pack, dst.mask

    def extmul(a: int, b: int) -> int:
        x = unpack(a.to_bytes(16, _LE))[part]
        y = unpack(b.to_bytes(16, _LE))[part]
        return int.from_bytes(pack(*[(p * q) & mask for p, q in zip(x, y, strict=True)]), _LE)

    return extmul


def _make_extadd_pairwise(src: _Shape, dst: _Shape, signed: bool) -> Callable[[int], int]:
    unpack = src.s.unpack if signed else src.u.unpack
    pack = dst.s.pack if signed else dst.u.pack  # sums of two lanes always fit the wider lane

    def extadd(a: int) -> int:
        x = unpack(a.to_bytes(16, _LE))
        return int.from_bytes(pack(*map(operator.add, x[0::2], x[1::2])), _LE)

    return extadd


def _make_narrow(src: _Shape, dst: _Shape, signed: bool) -> Callable[[int, int], int]:
    unpack = src.s.unpack  # narrowing always reads the input lanes as signed
    lo, hi = (dst.smin, dst.smax) if signed else (0, dst.mask)
    pack = dst.s.pack if signed else dst.u.pack
    clamp = _clamp(lo, hi)

    def narrow(a: int, b: int) -> int:
        lanes = unpack(a.to_bytes(16, _LE)) + unpack(b.to_bytes(16, _LE))
        return int.from_bytes(pack(*map(clamp, lanes)), _LE)

    return narrow


for _dst_name, _src_name in WIDENINGS:
    _src, _dst = _SH[_PREFIX[_src_name]], _SH[_PREFIX[_dst_name]]
    for _half in ("low", "high"):
        for _sg in ("s", "u"):
            _def(f"{_dst_name}.extend_{_half}_{_src_name}_{_sg}", V_V,
                 _make_extend(_src, _dst, _sg == "s", _half == "high"))
            _def(f"{_dst_name}.extmul_{_half}_{_src_name}_{_sg}", VV_V,
                 _make_extmul(_src, _dst, _sg == "s", _half == "high"))
    if (_dst_name, _src_name) in PAIRWISE_WIDENINGS:
        for _sg in ("s", "u"):
            _def(f"{_dst_name}.extadd_pairwise_{_src_name}_{_sg}", V_V,
                 _make_extadd_pairwise(_src, _dst, _sg == "s"))
            _def(f"{_src_name}.narrow_{_dst_name}_{_sg}", VV_V, _make_narrow(_dst, _src, _sg == "s"))


# --------------------------------------------------------------------------------- float lane ops
def _fdiv(x: float, y: float) -> float:
    """IEEE division (Python raises on a zero divisor)."""
    if y == 0.0:
        if x != x:
            return x + x
        if x == 0.0:
            return _NAN
        return _copysign(_INF, x) * _copysign(1.0, y)
    return x / y


def _fsqrt(x: float) -> float:
    return _NAN if x < 0.0 else math.sqrt(x)


def _round_with(fn: Callable[[float], int]) -> Callable[[float], float]:
    def rounding(x: float) -> float:
        if x - x != 0.0:  # inf or NaN: unchanged (NaNs are quieted below)
            return x
        # integral result, with the sign of the input (so -0.5 -> -0.0)
        return _copysign(float(fn(x)), x)

    return rounding


_fceil = _round_with(math.ceil)
_ffloor = _round_with(math.floor)
_ftrunc = _round_with(math.trunc)
_fnearest = _round_with(round)  # Python's round() on floats is round-half-to-even, exact


def _make_fbin(vec: struct.Struct, quiet, fast, slow=None) -> Callable[[int, int], int]:  # noqa: ANN001
    unpack, pack = vec.unpack, vec.pack
    if slow is None:

        def fbin(a: int, b: int) -> int:
            return quiet(int.from_bytes(pack(*map(fast, unpack(a.to_bytes(16, _LE)), unpack(b.to_bytes(16, _LE)))), _LE))

        return fbin

    def fbin_guarded(a: int, b: int) -> int:
        x, y = unpack(a.to_bytes(16, _LE)), unpack(b.to_bytes(16, _LE))
        try:
            r = pack(*map(fast, x, y))
        except ZeroDivisionError:
            r = pack(*map(slow, x, y))
        return quiet(int.from_bytes(r, _LE))

    return fbin_guarded


def _make_fun(vec: struct.Struct, quiet, fn) -> Callable[[int], int]:  # noqa: ANN001
    unpack, pack = vec.unpack, vec.pack

    def fun(a: int) -> int:
        return quiet(int.from_bytes(pack(*map(fn, unpack(a.to_bytes(16, _LE)))), _LE))

    return fun


def _make_pminmax(vec: struct.Struct, bits: struct.Struct, take_b) -> Callable[[int, int], int]:  # noqa: ANN001
    """pmin: b < a ? b : a; pmax: a < b ? b : a. The chosen operand's bits are kept exactly."""
    unpack, ubits, pbits = vec.unpack, bits.unpack, bits.pack

    def pminmax(a: int, b: int) -> int:
        ab, bb = a.to_bytes(16, _LE), b.to_bytes(16, _LE)
        choose = map(take_b, unpack(ab), unpack(bb))
        return int.from_bytes(pbits(*[q if c else p for c, p, q in zip(choose, ubits(ab), ubits(bb), strict=True)]), _LE)

    return pminmax


def _pmin_takes_b(x: float, y: float) -> bool:
    return y < x


def _pmax_takes_b(x: float, y: float) -> bool:
    return x < y


for _shape, _vec, _bits, _quiet, _abs, _sign, _true in (
    ("f32x4", _F32V, _U32V, _quiet32, _F32_ABS, _F32_SIGN, _I32M),
    ("f64x2", _F64V, _U64V, _quiet64, _F64_ABS, _F64_SIGN, _I64M),
):
    _def(f"{_shape}.add", VV_V, _make_fbin(_vec, _quiet, operator.add))
    _def(f"{_shape}.sub", VV_V, _make_fbin(_vec, _quiet, operator.sub))
    _def(f"{_shape}.mul", VV_V, _make_fbin(_vec, _quiet, operator.mul))
    _def(f"{_shape}.div", VV_V, _make_fbin(_vec, _quiet, operator.truediv, _fdiv))
    _def(f"{_shape}.min", VV_V, _make_fbin(_vec, _quiet, f64_min))
    _def(f"{_shape}.max", VV_V, _make_fbin(_vec, _quiet, f64_max))
    _def(f"{_shape}.pmin", VV_V, _make_pminmax(_vec, _bits, _pmin_takes_b))
    _def(f"{_shape}.pmax", VV_V, _make_pminmax(_vec, _bits, _pmax_takes_b))
    _def(f"{_shape}.sqrt", V_V, _make_fun(_vec, _quiet, _fsqrt))
    _def(f"{_shape}.ceil", V_V, _make_fun(_vec, _quiet, _fceil))
    _def(f"{_shape}.floor", V_V, _make_fun(_vec, _quiet, _ffloor))
    _def(f"{_shape}.trunc", V_V, _make_fun(_vec, _quiet, _ftrunc))
    _def(f"{_shape}.nearest", V_V, _make_fun(_vec, _quiet, _fnearest))
    _def(f"{_shape}.abs", V_V, (lambda m: lambda a: a & m)(_abs))
    _def(f"{_shape}.neg", V_V, (lambda m: lambda a: a ^ m)(_sign))
    for _cname, _cop in _CMPS.items():
        _def(f"{_shape}.{_cname}", VV_V, _make_cmp(_vec.unpack, _bits.pack, _true, _cop))


# --------------------------------------------------------------------------------------- conversions
def _trunc_sat(lo: int, hi: int) -> Callable[[float], int]:
    flo, fhi = float(lo), float(hi)

    def trunc_sat(x: float) -> int:
        if x != x:
            return 0
        if x <= flo:
            return lo
        if x >= fhi:
            return hi
        return int(x)  # truncates toward zero, exactly

    return trunc_sat


_trunc_sat_s = _trunc_sat(-(1 << 31), (1 << 31) - 1)
_trunc_sat_u = _trunc_sat(0, _I32M)
_S32V, _U32P = _SH[32].s, _SH[32].u


def _i32x4_trunc_sat_f32x4_s(a: int) -> int:
    return int.from_bytes(_S32V.pack(*map(_trunc_sat_s, _F32V.unpack(a.to_bytes(16, _LE)))), _LE)


def _i32x4_trunc_sat_f32x4_u(a: int) -> int:
    return int.from_bytes(_U32P.pack(*map(_trunc_sat_u, _F32V.unpack(a.to_bytes(16, _LE)))), _LE)


def _i32x4_trunc_sat_f64x2_s_zero(a: int) -> int:
    x, y = _F64V.unpack(a.to_bytes(16, _LE))
    return (_trunc_sat_s(x) & _I32M) | ((_trunc_sat_s(y) & _I32M) << 32)


def _i32x4_trunc_sat_f64x2_u_zero(a: int) -> int:
    x, y = _F64V.unpack(a.to_bytes(16, _LE))
    return _trunc_sat_u(x) | (_trunc_sat_u(y) << 32)


def _f32x4_convert_i32x4_s(a: int) -> int:
    # int -> double is exact for 32-bit ints; the pack's double -> float cast is the one rounding
    return int.from_bytes(_F32V.pack(*map(float, _S32V.unpack(a.to_bytes(16, _LE)))), _LE)


def _f32x4_convert_i32x4_u(a: int) -> int:
    return int.from_bytes(_F32V.pack(*map(float, _U32P.unpack(a.to_bytes(16, _LE)))), _LE)


def _f64x2_convert_low_i32x4_s(a: int) -> int:
    return int.from_bytes(_F64V.pack(*map(float, _S32V.unpack(a.to_bytes(16, _LE))[:2])), _LE)


def _f64x2_convert_low_i32x4_u(a: int) -> int:
    return int.from_bytes(_F64V.pack(float(a & _I32M), float((a >> 32) & _I32M)), _LE)


def _f32x4_demote_f64x2_zero(a: int) -> int:
    x, y = _F64V.unpack(a.to_bytes(16, _LE))
    return _quiet32(int.from_bytes(_F32V.pack(x, y, 0.0, 0.0), _LE))


def _f64x2_promote_low_f32x4(a: int) -> int:
    x, y, _, _ = _F32V.unpack(a.to_bytes(16, _LE))
    return _quiet64(int.from_bytes(_F64V.pack(x, y), _LE))


_def("i32x4.trunc_sat_f32x4_s", V_V, _i32x4_trunc_sat_f32x4_s)
_def("i32x4.trunc_sat_f32x4_u", V_V, _i32x4_trunc_sat_f32x4_u)
_def("i32x4.trunc_sat_f64x2_s_zero", V_V, _i32x4_trunc_sat_f64x2_s_zero)
_def("i32x4.trunc_sat_f64x2_u_zero", V_V, _i32x4_trunc_sat_f64x2_u_zero)
_def("f32x4.convert_i32x4_s", V_V, _f32x4_convert_i32x4_s)
_def("f32x4.convert_i32x4_u", V_V, _f32x4_convert_i32x4_u)
_def("f64x2.convert_low_i32x4_s", V_V, _f64x2_convert_low_i32x4_s)
_def("f64x2.convert_low_i32x4_u", V_V, _f64x2_convert_low_i32x4_u)
_def("f32x4.demote_f64x2_zero", V_V, _f32x4_demote_f64x2_zero)
_def("f64x2.promote_low_f32x4", V_V, _f64x2_promote_low_f32x4)

# ------------------------------------------------- relaxed SIMD (3.0): the deterministic choice of each
# The spec lets each relaxed instruction pick among a few results; ours are fixed, so every run and every
# host agree: swizzle, trunc, laneselect, min/max and q15mulr behave as their strict counterparts
# (swizzle zeroes out-of-range lanes, trunc saturates, laneselect is bitselect); madd/nmadd round twice
# (a multiply, then an add: not fused); the i7 dot products multiply signed by signed and wrap.
def _relaxed_as(name: str, strict: str) -> None:
    _def(name, SIMD_TYPES[strict], SIMD_OPS[strict])


for _name, _strict in RELAXED_AS_STRICT.items():
    _relaxed_as(_name, _strict)


def _make_madd(shape: str, negate: bool) -> Callable[[int, int, int], int]:
    mul, add, neg = SIMD_OPS[f"{shape}.mul"], SIMD_OPS[f"{shape}.add"], SIMD_OPS[f"{shape}.neg"]

    def madd(a: int, b: int, c: int) -> int:
        p = mul(a, b)
        return add(neg(p) if negate else p, c)

    return madd


for _shape in FLOAT_SHAPES:
    _def(f"{_shape}.relaxed_madd", VVV_V, _make_madd(_shape, False))
    _def(f"{_shape}.relaxed_nmadd", VVV_V, _make_madd(_shape, True))


def _relaxed_dot_i16(a: int, b: int, _unpack=_SH[8].s.unpack, _pack=_SH[16].u.pack) -> int:
    x = _unpack(a.to_bytes(16, _LE))
    y = _unpack(b.to_bytes(16, _LE))
    return int.from_bytes(_pack(*[(x[i] * y[i] + x[i + 1] * y[i + 1]) & 0xFFFF for i in range(0, 16, 2)]), _LE)


def _relaxed_dot_add_i32(a: int, b: int, c: int, _unpack=_SH[8].s.unpack, _unpack32=_SH[32].s.unpack,
                         _pack=_SH[32].u.pack) -> int:
    x = _unpack(a.to_bytes(16, _LE))
    y = _unpack(b.to_bytes(16, _LE))
    acc = _unpack32(c.to_bytes(16, _LE))
    return int.from_bytes(_pack(*[(sum(x[i + k] * y[i + k] for k in range(4)) + acc[i // 4]) & _I32M
                                  for i in range(0, 16, 4)]), _LE)


_def("i16x8.relaxed_dot_i8x16_i7x16_s", VV_V, _relaxed_dot_i16)
_def("i32x4.relaxed_dot_i8x16_i7x16_add_s", VVV_V, _relaxed_dot_add_i32)

# Ops whose float lanes may be NaN results (the spec allows any arithmetic NaN there; canonical when all NaN
# operands were canonical). Tests compare these lanes by NaN-ness rather than by bits.
NAN_NONDETERMINISTIC = frozenset(
    f"{s}.{op}"
    for s in ("f32x4", "f64x2")
    for op in ("add", "sub", "mul", "div", "min", "max", "sqrt", "ceil", "floor", "trunc", "nearest")
) | {"f32x4.demote_f64x2_zero", "f64x2.promote_low_f32x4"}
__all__.append("NAN_NONDETERMINISTIC")
