"""Value parsing and matching: bit-exact numbers, NaN classes, v128 lane shapes, references."""

from __future__ import annotations

import pytest

from harness.spec.values import (
    HostRef,
    arg_to_raw,
    format_expected,
    is_arithmetic_nan,
    is_canonical_nan,
    match,
)


def v(t, value):
    return {"type": t, "value": value}


def lanes(shape, *values):
    return {"type": "v128", "lane_type": shape, "value": [str(x) for x in values]}


def test_integers_are_bit_patterns_signed_or_not():
    assert arg_to_raw(v("i32", "-1")) == 0xFFFFFFFF
    assert arg_to_raw(v("i64", "-2")) == 0xFFFFFFFFFFFFFFFE
    assert match(v("i32", "4294967295"), 0xFFFFFFFF)
    assert match(v("i32", "-1"), 0xFFFFFFFF)
    assert not match(v("i32", "-1"), 0x7FFFFFFF)
    assert not match(v("i64", "1"), None)


def test_floats_compare_bits_not_values():
    assert match(v("f32", str(0x80000000)), 0x80000000)  # -0.0
    assert not match(v("f32", str(0x80000000)), 0)  # +0.0 equals -0.0 numerically but not in bits
    assert match(v("f64", str(0x7FF0000000000001)), 0x7FF0000000000001)  # a signalling NaN, exactly
    assert not match(v("f64", str(0x7FF0000000000001)), 0x7FF8000000000001)


@pytest.mark.parametrize(("t", "bits", "canonical", "arithmetic"), [
    ("f32", 0x7FC00000, True, True),
    ("f32", 0xFFC00000, True, True),  # the sign of a canonical NaN is free
    ("f32", 0x7FC00001, False, True),
    ("f32", 0x7FA00000, False, False),  # signalling: quiet bit clear
    ("f32", 0x7F800000, False, False),  # infinity
    ("f64", 0x7FF8000000000000, True, True),
    ("f64", 0xFFF8000000000000, True, True),
    ("f64", 0x7FFC000000000000, False, True),
    ("f64", 0x7FF4000000000000, False, False),
    ("f64", 0x3FF0000000000000, False, False),
])
def test_nan_classes(t, bits, canonical, arithmetic):
    assert is_canonical_nan(t, bits) is canonical
    assert is_arithmetic_nan(t, bits) is arithmetic
    assert match(v(t, "nan:canonical"), bits) is canonical
    assert match(v(t, "nan:arithmetic"), bits) is arithmetic


def test_v128_lane_shapes_describe_the_same_bits():
    raw = arg_to_raw(lanes("i32", 1, 2, 3, -1))
    assert raw == (0xFFFFFFFF << 96) | (3 << 64) | (2 << 32) | 1
    assert match(lanes("i64", 0x200000001, -4294967293), raw)
    assert match(lanes("i16", 1, 0, 2, 0, 3, 0, -1, -1), raw)
    assert match(lanes("i8", 1, 0, 0, 0, 2, 0, 0, 0, 3, 0, 0, 0, 255, 255, 255, 255), raw)
    assert not match(lanes("i32", 1, 2, 3, 0), raw)


def test_v128_float_lanes_with_nan_patterns():
    one = 0x3F800000
    canon = 0x7FC00000
    raw = one | (canon << 32) | (0x7FC00001 << 64) | (0xFF800000 << 96)
    exp = {"type": "v128", "lane_type": "f32",
           "value": [str(one), "nan:canonical", "nan:arithmetic", str(0xFF800000)]}
    assert match(exp, raw)
    exp["value"][2] = "nan:canonical"  # lane 2 is arithmetic but not canonical
    assert not match(exp, raw)
    f64 = {"type": "v128", "lane_type": "f64", "value": ["nan:arithmetic", "0"]}
    assert match(f64, 0x7FF8000000000123)
    assert not match(f64, 0x7FF0000000000123)


def test_references():
    assert match({"type": "externref", "value": "null"}, None)
    assert not match({"type": "externref", "value": "null"}, HostRef(0))
    assert match({"type": "externref", "value": "3"}, HostRef(3))
    assert not match({"type": "externref", "value": "3"}, HostRef(4))
    assert arg_to_raw({"type": "externref", "value": "7"}) == HostRef(7)
    assert arg_to_raw({"type": "funcref", "value": "null"}) is None
    assert match({"type": "funcref"}, object())  # (ref.func): any non-null function
    assert not match({"type": "funcref"}, None)
    assert match({"type": "funcref", "value": "null"}, None)


def test_either_and_formatting():
    either = {"type": "either", "values": [v("i32", "1"), v("i32", "2")]}
    assert match(either, 2) and not match(either, 3)
    assert format_expected(v("i32", "-1")) == "i32 -1 (0xffffffff)"
    assert "nan:canonical" in format_expected(v("f32", "nan:canonical"))
    assert format_expected({"type": "externref", "value": "null"}) == "ref.null extern"
