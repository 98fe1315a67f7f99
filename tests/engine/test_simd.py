"""Unit tests of harness.engine.exec.simd: the interface, and the cases the spec singles out.

Expected values are worked out from the spec's definitions (not from running another engine); the
differential test in test_simd_diff.py covers the bulk of the value space.
"""

from __future__ import annotations

import math
import struct

import pytest

from harness.engine.exec.simd import NAN_NONDETERMINISTIC, SIMD_ARITY, SIMD_OPS, SIMD_TYPES

M128 = (1 << 128) - 1


def pack(fmt: str, *lanes) -> int:  # noqa: ANN002
    """A vector from its first lanes (the rest zero)."""
    count = int(fmt[:-1])
    return int.from_bytes(struct.pack("<" + fmt, *lanes, *[0] * (count - len(lanes))), "little")


def unpack(fmt: str, v: int) -> tuple:
    return struct.unpack("<" + fmt, v.to_bytes(16, "little"))


def i8(*lanes: int) -> int:
    return pack("16B", *[x & 0xFF for x in lanes])


def i16(*lanes: int) -> int:
    return pack("8H", *[x & 0xFFFF for x in lanes])


def i32(*lanes: int) -> int:
    return pack("4I", *[x & 0xFFFFFFFF for x in lanes])


def i64(*lanes: int) -> int:
    return pack("2Q", *[x & 0xFFFFFFFFFFFFFFFF for x in lanes])


def f32(*lanes: float) -> int:
    return pack("4f", *lanes)


def f64(*lanes: float) -> int:
    return pack("2d", *lanes)


def op(name: str, *args):  # noqa: ANN002, ANN201
    return SIMD_OPS[name](*args)


F32_NAN, F32_NNAN, F32_SNAN = 0x7FC00000, 0xFFC00000, 0x7FA00001
F64_NAN = 0x7FF8000000000000


# ------------------------------------------------------------------------------------------ interface
SHAPES = ("i8x16", "i16x8", "i32x4", "i64x2")


def spec_names() -> set[str]:
    """The wasm 2.0 SIMD instructions that compute on values, assembled from the spec's instruction index."""
    names = {"v128.not", "v128.and", "v128.andnot", "v128.or", "v128.xor", "v128.bitselect", "v128.any_true",
             "i8x16.shuffle", "i8x16.swizzle", "i8x16.popcnt", "i16x8.q15mulr_sat_s", "i32x4.dot_i16x8_s"}
    for s in SHAPES + ("f32x4", "f64x2"):
        names |= {f"{s}.splat", f"{s}.replace_lane", f"{s}.abs", f"{s}.neg", f"{s}.eq", f"{s}.ne", f"{s}.add",
                  f"{s}.sub"}
        if s in ("i8x16", "i16x8"):
            names |= {f"{s}.extract_lane_s", f"{s}.extract_lane_u"}
        else:
            names.add(f"{s}.extract_lane")
    for s in SHAPES:
        names |= {f"{s}.all_true", f"{s}.bitmask", f"{s}.shl", f"{s}.shr_s", f"{s}.shr_u"}
        names |= {f"{s}.{c}_s" for c in ("lt", "gt", "le", "ge")}
        if s != "i64x2":
            names |= {f"{s}.{c}_u" for c in ("lt", "gt", "le", "ge")}
            names |= {f"{s}.{m}_{sg}" for m in ("min", "max") for sg in "su"}
        if s != "i8x16":
            names.add(f"{s}.mul")
        if s in ("i8x16", "i16x8"):
            names |= {f"{s}.{m}_sat_{sg}" for m in ("add", "sub") for sg in "su"} | {f"{s}.avgr_u"}
    for wide, narrow in (("i16x8", "i8x16"), ("i32x4", "i16x8"), ("i64x2", "i32x4")):
        for sg in "su":
            names |= {f"{wide}.extend_{h}_{narrow}_{sg}" for h in ("low", "high")}
            names |= {f"{wide}.extmul_{h}_{narrow}_{sg}" for h in ("low", "high")}
            if wide != "i64x2":
                names |= {f"{wide}.extadd_pairwise_{narrow}_{sg}", f"{narrow}.narrow_{wide}_{sg}"}
    for s in ("f32x4", "f64x2"):
        names |= {f"{s}.{o}" for o in ("lt", "gt", "le", "ge", "mul", "div", "min", "max", "pmin", "pmax",
                                       "sqrt", "ceil", "floor", "trunc", "nearest")}
    names |= {"i32x4.trunc_sat_f32x4_s", "i32x4.trunc_sat_f32x4_u", "i32x4.trunc_sat_f64x2_s_zero",
              "i32x4.trunc_sat_f64x2_u_zero", "f32x4.convert_i32x4_s", "f32x4.convert_i32x4_u",
              "f64x2.convert_low_i32x4_s", "f64x2.convert_low_i32x4_u", "f32x4.demote_f64x2_zero",
              "f64x2.promote_low_f32x4"}
    return names


RELAXED = {"i8x16.relaxed_swizzle", "i32x4.relaxed_trunc_f32x4_s", "i32x4.relaxed_trunc_f32x4_u",
           "i32x4.relaxed_trunc_f64x2_s_zero", "i32x4.relaxed_trunc_f64x2_u_zero", "f32x4.relaxed_madd",
           "f32x4.relaxed_nmadd", "f64x2.relaxed_madd", "f64x2.relaxed_nmadd", "i8x16.relaxed_laneselect",
           "i16x8.relaxed_laneselect", "i32x4.relaxed_laneselect", "i64x2.relaxed_laneselect", "f32x4.relaxed_min",
           "f32x4.relaxed_max", "f64x2.relaxed_min", "f64x2.relaxed_max", "i16x8.relaxed_q15mulr_s",
           "i16x8.relaxed_dot_i8x16_i7x16_s", "i32x4.relaxed_dot_i8x16_i7x16_add_s"}  # 3.0's 20


def test_every_value_instruction_is_present() -> None:
    expected = spec_names()
    assert len(expected) == 213  # 236 SIMD instructions minus 22 memory accesses and v128.const
    expected |= RELAXED
    assert set(SIMD_OPS) == expected
    assert set(SIMD_ARITY) == expected and set(SIMD_TYPES) == expected


def test_arity_matches_types() -> None:
    for name, (params, result) in SIMD_TYPES.items():
        assert SIMD_ARITY[name] == len(params), name
        assert result in ("v128", "i32", "i64", "f32", "f64"), name
    assert SIMD_ARITY["v128.bitselect"] == 3
    assert SIMD_TYPES["i8x16.shl"] == (("v128", "i32"), "v128")
    assert SIMD_TYPES["f32x4.replace_lane"] == (("v128", "f32"), "v128")
    assert SIMD_TYPES["i64x2.extract_lane"] == (("v128",), "i64")
    assert SIMD_TYPES["i8x16.all_true"] == (("v128",), "i32")


def test_nan_nondeterministic_ops_are_float_ops() -> None:
    assert NAN_NONDETERMINISTIC <= set(SIMD_OPS)
    assert "f32x4.abs" not in NAN_NONDETERMINISTIC and "f32x4.pmin" not in NAN_NONDETERMINISTIC


# ----------------------------------------------------------------------------------- lanes and moves
def test_splat_masks_the_scalar_to_the_lane() -> None:
    assert op("i8x16.splat", 0x1FF) == i8(*[0xFF] * 16)
    assert op("i16x8.splat", 0xDEAD8001) == i16(*[0x8001] * 8)
    assert op("i64x2.splat", 0x8000000000000001) == i64(0x8000000000000001, 0x8000000000000001)
    assert op("f32x4.splat", F32_SNAN) == i32(*[F32_SNAN] * 4)  # payload and signalling bit kept


def test_extract_lane_signedness_and_i32_patterns() -> None:
    v = i8(*range(0x80, 0x90))
    assert op("i8x16.extract_lane_s", v, 0) == 0xFFFFFF80
    assert op("i8x16.extract_lane_u", v, 15) == 0x8F
    assert op("i16x8.extract_lane_s", i16(0, 0, 0, 0x7FFF, 0, 0, 0, 0x8000), 7) == 0xFFFF8000
    assert op("i16x8.extract_lane_s", i16(0, 0, 0, 0x7FFF, 0, 0, 0, 0x8000), 3) == 0x7FFF
    assert op("i64x2.extract_lane", i64(1, -1), 1) == (1 << 64) - 1
    assert op("f64x2.extract_lane", i64(1, 0x7FF4000000000001), 1) == 0x7FF4000000000001


def test_replace_lane_keeps_other_lanes() -> None:
    v = i32(1, 2, 3, 4)
    assert op("i32x4.replace_lane", v, 0xFFFFFFFF, 2) == i32(1, 2, -1, 4)
    assert op("i8x16.replace_lane", 0, 0x1234, 15) == 0x34 << 120
    assert op("f32x4.replace_lane", M128, F32_SNAN, 0) == (M128 ^ 0xFFFFFFFF) | F32_SNAN


def test_shuffle_and_swizzle() -> None:
    a, b = i8(*range(16)), i8(*range(16, 32))
    assert op("i8x16.shuffle", a, b, tuple(range(31, 15, -1))) == i8(*range(31, 15, -1))
    assert op("i8x16.shuffle", a, b, (0,) * 16) == 0
    idx = i8(3, 16, 255, 15, 0x80, 0, 17, 1, 2, 2, 2, 2, 2, 2, 2, 2)
    assert op("i8x16.swizzle", b, idx) == i8(19, 0, 0, 31, 0, 16, 0, 17, *[18] * 8)


def test_bitwise() -> None:
    a, b, c = i32(0xF0F0F0F0, 0, -1, 0x12345678), i32(0xFF00FF00, -1, 0, 0x0F0F0F0F), i32(-1, 0, 0x0000FFFF, 0)
    assert op("v128.bitselect", a, b, c) == i32(0xF0F0F0F0, -1, 0xFFFF, 0x0F0F0F0F)
    assert op("v128.andnot", a, b) == i32(0x00F000F0, 0, -1, 0x10305070)
    assert op("v128.not", 0) == M128
    assert op("v128.any_true", 0) == 0 and op("v128.any_true", 1 << 127) == 1


def test_all_true_and_bitmask() -> None:
    assert op("i8x16.all_true", i8(*[1] * 16)) == 1
    assert op("i8x16.all_true", i8(*[1] * 15, 0)) == 0
    assert op("i16x8.all_true", i16(*[0x8000] * 8)) == 1
    assert op("i64x2.all_true", i64(0, 1 << 63)) == 0
    assert op("i8x16.bitmask", i8(0x80, 0, 0xFF, 0x7F, *[0] * 11, 0x80)) == 0b1000000000000101
    assert op("i32x4.bitmask", i32(-1, 1, 0x80000000, 0x7FFFFFFF)) == 0b0101
    assert op("i64x2.bitmask", i64(1, -1)) == 0b10


# ---------------------------------------------------------------------------------- integer arithmetic
def test_wrapping_add_sub_neg_abs() -> None:
    assert op("i8x16.add", i8(*[0xFF] * 16), i8(*[1] * 16)) == 0
    assert op("i16x8.sub", i16(0, 0x8000, 5, 0, 0, 0, 0, 0), i16(1, 1, 7, 0, 0, 0, 0, 0)) == i16(
        -1, 0x7FFF, -2, 0, 0, 0, 0, 0)
    assert op("i64x2.sub", 0, i64(1, 1 << 63)) == i64(-1, 1 << 63)
    assert op("i32x4.neg", i32(0x80000000, 1, 0, -5)) == i32(0x80000000, -1, 0, 5)
    assert op("i8x16.abs", i8(0x80, 0xFF, 1, 0x81, *[0] * 12)) == i8(0x80, 1, 1, 0x7F, *[0] * 12)
    assert op("i64x2.abs", i64(1 << 63, -3)) == i64(1 << 63, 3)


def test_saturating_and_avgr() -> None:
    assert op("i8x16.add_sat_s", i8(0x7F, 0x80, 0x10, *[0] * 13), i8(1, 0xFF, 0x10, *[0] * 13)) == i8(
        0x7F, 0x80, 0x20, *[0] * 13)
    assert op("i8x16.add_sat_u", i8(0xFF, 0x80, *[0] * 14), i8(1, 0x7F, *[0] * 14)) == i8(0xFF, 0xFF, *[0] * 14)
    assert op("i16x8.sub_sat_s", i16(0x8000, 0x7FFF, 0, 0, 0, 0, 0, 0), i16(1, -1, 0, 0, 0, 0, 0, 0)) == i16(
        0x8000, 0x7FFF, 0, 0, 0, 0, 0, 0)
    assert op("i16x8.sub_sat_u", i16(1, 5, 0, 0, 0, 0, 0, 0), i16(2, 5, 0, 0, 0, 0, 0, 0)) == 0
    assert op("i8x16.avgr_u", i8(0xFF, 0, 1, *[0] * 13), i8(0xFF, 1, 2, *[0] * 13)) == i8(0xFF, 1, 2, *[0] * 13)
    assert op("i16x8.avgr_u", i16(0xFFFF, 0, 0, 0, 0, 0, 0, 0), i16(0xFFFE, 0, 0, 0, 0, 0, 0, 0)) == i16(0xFFFF)


def test_min_max_signedness() -> None:
    a, b = i32(-1, 1, 0x80000000, 7), i32(1, -1, 0x7FFFFFFF, 7)
    assert op("i32x4.min_s", a, b) == i32(-1, -1, 0x80000000, 7)
    assert op("i32x4.min_u", a, b) == i32(1, 1, 0x7FFFFFFF, 7)
    assert op("i32x4.max_u", a, b) == i32(-1, -1, 0x80000000, 7)


@pytest.mark.parametrize("shape,width", [("i8x16", 8), ("i16x8", 16), ("i32x4", 32), ("i64x2", 64)])
def test_shift_count_is_taken_modulo_lane_width(shape: str, width: int) -> None:
    top = 1 << (width - 1)
    v = sum(top << (width * i) for i in range(128 // width))  # every lane: only the sign bit set
    lanes = 128 // width
    for count in (1, width + 1, 1 + 7 * width, 0xFFFFFFFF & (width * 1000 + 1)):
        assert op(f"{shape}.shr_u", v, count) == sum((top >> 1) << (width * i) for i in range(lanes))
        expect_s = sum((top | (top >> 1)) << (width * i) for i in range(lanes))
        assert op(f"{shape}.shr_s", v, count) == expect_s
        assert op(f"{shape}.shl", v, count) == 0
    assert op(f"{shape}.shl", v, width) == v
    assert op(f"{shape}.shr_s", v, width - 1) == M128


def test_q15mulr_dot_and_multiplies() -> None:
    m = 0x8000
    assert op("i16x8.q15mulr_sat_s", i16(m, m, 0x4000, 0x7FFF, 1, 0, 0, 0), i16(m, 0x7FFF, 0x4000, 0x7FFF, 0x4000, 0, 0, 0)) == i16(
        0x7FFF, 0x8001, 0x2000, 0x7FFE, 1, 0, 0, 0)
    assert op("i32x4.dot_i16x8_s", i16(*[m] * 8), i16(*[m] * 8)) == i32(*[0x80000000] * 4)
    assert op("i32x4.dot_i16x8_s", i16(1, 2, 3, 4, -1, 0, 0, 0), i16(5, 6, 7, 8, 9, 0, 0, 0)) == i32(17, 53, -9, 0)
    assert op("i64x2.mul", i64(1 << 63, 3), i64(2, -1)) == i64(0, -3)
    assert op("i16x8.extmul_high_i8x16_s", i8(*[0] * 8, 0x80, 0xFF, *[0] * 6), i8(*[0] * 8, 0x80, 2, *[0] * 6)) == i16(
        0x4000, -2, 0, 0, 0, 0, 0, 0)
    assert op("i64x2.extmul_low_i32x4_u", i32(-1, -1, 0, 0), i32(-1, 2, 0, 0)) == i64(0xFFFFFFFE00000001, 0x1FFFFFFFE)


def test_extend_extadd_narrow() -> None:
    v = i8(0x80, 0x7F, 0xFF, 1, *[0] * 8, 0xFE, 0, 0, 0)
    assert op("i16x8.extend_low_i8x16_s", v) == i16(0xFF80, 0x7F, 0xFFFF, 1, 0, 0, 0, 0)
    assert op("i16x8.extend_low_i8x16_u", v) == i16(0x80, 0x7F, 0xFF, 1, 0, 0, 0, 0)
    assert op("i16x8.extend_high_i8x16_s", v) == i16(0, 0, 0, 0, 0xFFFE, 0, 0, 0)
    assert op("i64x2.extend_high_i32x4_s", i32(0, 0, 0x80000000, 5)) == i64(-(1 << 31), 5)
    assert op("i16x8.extadd_pairwise_i8x16_s", v) == i16(-1, 0, 0, 0, 0, 0, -2, 0)
    assert op("i16x8.extadd_pairwise_i8x16_u", v) == i16(0xFF, 0x100, 0, 0, 0, 0, 0xFE, 0)
    w = i16(0x8000, 0x7FFF, 0xFF80, 0x80, 0xFF, 0x100, 0xFFFF, 0)
    assert op("i8x16.narrow_i16x8_s", w, w) == i8(*[0x80, 0x7F, 0x80, 0x7F, 0x7F, 0x7F, 0xFF, 0] * 2)
    assert op("i8x16.narrow_i16x8_u", w, 0) == i8(0, 0xFF, 0, 0x80, 0xFF, 0xFF, 0, 0, *[0] * 8)
    assert op("i16x8.narrow_i32x4_u", i32(-1, 0x10000, 0xFFFF, 0x8000), 0) == i16(0, 0xFFFF, 0xFFFF, 0x8000, 0, 0, 0, 0)


def test_integer_comparisons() -> None:
    a, b = i8(0x80, 1, 5, *[0] * 13), i8(0x7F, 0xFF, 5, *[0] * 13)
    assert op("i8x16.lt_s", a, b) == i8(0xFF, 0, 0, *[0] * 13)
    assert op("i8x16.lt_u", a, b) == i8(0, 0xFF, 0, *[0] * 13)
    assert op("i8x16.ge_u", a, b) == i8(0xFF, 0, 0xFF, *[0xFF] * 13)
    assert op("i64x2.gt_s", i64(-1, 1), i64(1, -1)) == i64(0, -1)
    assert op("i64x2.ne", i64(3, 4), i64(3, 5)) == i64(0, -1)


def test_popcnt() -> None:
    assert op("i8x16.popcnt", i8(0, 1, 0xFF, 0x80, 0x55, *[0x0F] * 11)) == i8(0, 1, 8, 1, 4, *[4] * 11)


# --------------------------------------------------------------------------------------------- floats
def bits32(v: int, lane: int = 0) -> int:
    return (v >> (32 * lane)) & 0xFFFFFFFF


def is_canonical32(b: int) -> bool:
    return b in (F32_NAN, F32_NNAN)


def test_f32_arithmetic_rounds_once_to_single() -> None:
    one, half_ulp, tie_up = 0x3F800000, 0x33800000, 0x33800001  # 1, 2^-24, 2^-24 * (1 + 2^-23)
    r = op("f32x4.add", i32(one, one, 0x7F7FFFFF, 0x00000001), i32(half_ulp, tie_up, 0x7F7FFFFF, 0x80000001))
    assert [bits32(r, i) for i in range(4)] == [one, 0x3F800001, 0x7F800000, 0]
    third = op("f32x4.div", f32(1, 2, -1, 1e-45), f32(3, 3, 0.0, 2))
    assert unpack("4f", third)[:2] == (struct.unpack("<f", struct.pack("<f", 1 / 3))[0],
                                       struct.unpack("<f", struct.pack("<f", 2 / 3))[0])
    assert bits32(third, 2) == 0xFF800000  # -1 / +0 = -inf
    assert bits32(third, 3) == 0  # 2^-149 / 2 rounds to even: +0
    assert bits32(op("f32x4.mul", i32(0x3F800001), i32(0x3F800001)), 0) == 0x3F800002  # (1+u)^2 = 1+2u+u^2


def test_f64_division_by_zero_and_invalid() -> None:
    r = op("f64x2.div", f64(-0.0, 5.0), f64(0.0, -0.0))
    lo, hi = r & (2**64 - 1), r >> 64
    assert lo in (F64_NAN, F64_NAN | 1 << 63)
    assert hi == 0xFFF0000000000000
    r = op("f64x2.sqrt", f64(-1.0, -0.0))
    assert r & (2**64 - 1) in (F64_NAN, F64_NAN | 1 << 63) and r >> 64 == 1 << 63


def test_nan_results_are_quiet_and_canonical_when_required() -> None:
    r = op("f32x4.add", i32(F32_SNAN, F32_NAN, 0x7F800000, 0), i32(0, 0, 0xFF800000, 0))
    assert bits32(r, 0) & 0x7FC00000 == 0x7FC00000  # arithmetic NaN from a signalling operand
    assert is_canonical32(bits32(r, 1)) and is_canonical32(bits32(r, 2))
    for name in ("f32x4.ceil", "f32x4.sqrt", "f32x4.nearest"):
        assert bits32(op(name, i32(F32_SNAN)), 0) & 0x7FC00000 == 0x7FC00000, name
    for name in ("f32x4.min", "f32x4.max"):
        r = op(name, i32(F32_SNAN, 0, F32_NAN, 0x7F800000), i32(0, F32_SNAN, 0x3F800000, F32_NNAN))
        assert all(bits32(r, i) & 0x7FC00000 == 0x7FC00000 for i in range(4)), name
        assert is_canonical32(bits32(r, 2)) and is_canonical32(bits32(r, 3)), name
    demoted = op("f32x4.demote_f64x2_zero", i64(0x7FF4000000000000, F64_NAN))
    assert bits32(demoted, 0) & 0x7FC00000 == 0x7FC00000 and is_canonical32(bits32(demoted, 1))
    promoted = op("f64x2.promote_low_f32x4", i32(F32_SNAN, F32_NAN, 0, 0))
    assert promoted & 0x7FF8000000000000 == 0x7FF8000000000000 and promoted >> 64 == F64_NAN


def test_min_max_signed_zero() -> None:
    r = op("f32x4.min", f32(0.0, -0.0, 1.0, -math.inf), f32(-0.0, 0.0, -1.0, 3.0))
    assert unpack("4I", r) == (0x80000000, 0x80000000, 0xBF800000, 0xFF800000)
    r = op("f64x2.max", f64(0.0, -0.0), f64(-0.0, 0.0))
    assert r == 0


def test_pmin_pmax_return_an_operand_bit_for_bit() -> None:
    a, b = i32(F32_SNAN, 0, 0x80000000, 0x3F800000), i32(0x3F800000, F32_SNAN, 0, 0x40000000)
    assert op("f32x4.pmin", a, b) == i32(F32_SNAN, 0, 0x80000000, 0x3F800000)  # NaN compares false: a
    assert op("f32x4.pmax", a, b) == i32(F32_SNAN, 0, 0x80000000, 0x40000000)
    assert op("f64x2.pmin", i64(0, 0x7FF0000000000000), i64(1 << 63, 0x3FF0000000000000)) == i64(
        0, 0x3FF0000000000000)


def test_abs_neg_touch_only_the_sign() -> None:
    v = i32(F32_SNAN | 1 << 31, F32_NAN, 0, 0xFF800000)
    assert op("f32x4.abs", v) == i32(F32_SNAN, F32_NAN, 0, 0x7F800000)
    assert op("f32x4.neg", v) == i32(F32_SNAN, F32_NNAN, 0x80000000, 0x7F800000)
    assert op("f64x2.neg", i64(0x7FF0000000000001, 0)) == i64(0xFFF0000000000001, 1 << 63)


def test_rounding_ops() -> None:
    v = f32(2.5, -0.5, 0.5, -1.5)
    assert unpack("4f", op("f32x4.nearest", v)) == (2.0, -0.0, 0.0, -2.0)
    assert unpack("4I", op("f32x4.nearest", v))[1] == 0x80000000
    assert unpack("4I", op("f32x4.ceil", v)) == (0x40400000, 0x80000000, 0x3F800000, 0xBF800000)
    assert unpack("4f", op("f32x4.floor", v)) == (2.0, -1.0, 0.0, -2.0)
    assert unpack("4I", op("f32x4.trunc", v))[1] == 0x80000000
    big = f64(4503599627370497.0, -math.inf)  # 2^52 + 1 is already integral
    assert op("f64x2.nearest", big) == big and op("f64x2.floor", big) == big
    assert unpack("2d", op("f64x2.nearest", f64(0.49999999999999994, -4503599627370495.5))) == (0.0, -4503599627370496.0)


def test_trunc_sat_bounds() -> None:
    v = f32(math.nan, 3e9, -3e9, -1.9)
    assert op("i32x4.trunc_sat_f32x4_s", v) == i32(0, 0x7FFFFFFF, 0x80000000, -1)
    assert op("i32x4.trunc_sat_f32x4_u", v) == i32(0, 3000000000, 0, 0)
    assert op("i32x4.trunc_sat_f32x4_u", f32(4294967296.0, 4294967040.0, -0.99, 1.99)) == i32(-1, 4294967040, 0, 1)
    assert op("i32x4.trunc_sat_f64x2_s_zero", f64(2147483647.9, -2147483648.9)) == i32(0x7FFFFFFF, 0x80000000, 0, 0)
    assert op("i32x4.trunc_sat_f64x2_u_zero", f64(4294967295.9, -0.9)) == i32(-1, 0, 0, 0)


def test_conversions_round_to_nearest_even() -> None:
    r = op("f32x4.convert_i32x4_u", i32(-1, 16777217, 16777219, 0x80000000))
    assert unpack("4f", r) == (4294967296.0, 16777216.0, 16777220.0, 2147483648.0)
    r = op("f32x4.convert_i32x4_s", i32(-16777217, 0x80000000, 0x7FFFFFFF, 0))
    assert unpack("4f", r) == (-16777216.0, -2147483648.0, 2147483648.0, 0.0)
    assert unpack("2d", op("f64x2.convert_low_i32x4_u", i32(-1, 1, 7, 7))) == (4294967295.0, 1.0)
    assert unpack("2d", op("f64x2.convert_low_i32x4_s", i32(-1, 0x80000000, 7, 7))) == (-1.0, -2147483648.0)
    # demote: 1 + 2^-24 is a tie (to even: 1), 1 + 3 * 2^-24 a tie up, largest finite f32 + half ulp overflows
    r = op("f32x4.demote_f64x2_zero", i64(0x3FF0000010000000, 0x3FF0000030000000))
    assert unpack("4I", r) == (0x3F800000, 0x3F800002, 0, 0)
    r = op("f32x4.demote_f64x2_zero", i64(0x47EFFFFFF0000000, 0x3690000000000001))
    assert unpack("4I", r) == (0x7F800000, 0x00000001, 0, 0)
    r = op("f64x2.promote_low_f32x4", i32(0x00000001, 0xFF7FFFFF, 0x3F800000, 0x3F800000))
    assert unpack("2d", r) == (2.0**-149, -3.4028234663852886e38)


def test_float_comparisons_with_nan() -> None:
    a, b = f32(math.nan, 1.0, -0.0, 2.0), f32(math.nan, math.nan, 0.0, 1.0)
    assert op("f32x4.eq", a, b) == i32(0, 0, -1, 0)
    assert op("f32x4.ne", a, b) == i32(-1, -1, 0, -1)
    assert op("f32x4.ge", a, b) == i32(0, 0, -1, -1)
    assert op("f64x2.lt", f64(-math.inf, math.nan), f64(0.0, 0.0)) == i64(-1, 0)


def test_negative_scalar_operands_are_masked() -> None:
    """The engine API lets raw i32/i64 inputs be negative; they mean their two's-complement bits."""
    assert op("i32x4.splat", -1) == M128
    assert op("i8x16.replace_lane", 0, -2, 1) == 0xFE << 8
    assert op("i64x2.replace_lane", 0, -1, 0) == (1 << 64) - 1
    assert op("i16x8.shl", i16(1), -1) == i16(0x8000)  # count -1 mod 16 = 15
    assert op("i32x4.shr_s", i32(0x80000000), -31) == i32(0xC0000000)  # -31 mod 32 = 1
