"""Relaxed SIMD (3.0): each instruction's fixed choice (docs/ENGINE_API.md), checked op by op and through the
interpreter; the compiled tiers refuse it by name."""

from __future__ import annotations

import struct

import pytest

from harness.engine import api, features
from harness.engine.errors import UnsupportedFeature
from harness.engine.exec.simd import SIMD_OPS


def i8(*lanes: int) -> int:
    return int.from_bytes(struct.pack("<16b", *lanes), "little")


def f32(*lanes: float) -> int:
    return int.from_bytes(struct.pack("<4f", *lanes), "little")


def test_choices_are_the_strict_counterparts() -> None:
    a, s = i8(*range(16)), i8(*([17] + list(range(15))))
    assert SIMD_OPS["i8x16.relaxed_swizzle"](a, s) == SIMD_OPS["i8x16.swizzle"](a, s)  # out of range: 0
    nan = f32(float("nan"), 3.0e9, -1.0, 1.5)
    assert SIMD_OPS["i32x4.relaxed_trunc_f32x4_s"](nan) == SIMD_OPS["i32x4.trunc_sat_f32x4_s"](nan)
    m = i8(*([-1, 0] * 8))
    assert SIMD_OPS["i16x8.relaxed_laneselect"](a, s, m) == SIMD_OPS["v128.bitselect"](a, s, m)


def test_madd_rounds_twice() -> None:
    x = f32(1.0 + 2.0 ** -23, 0, 0, 0)
    c = f32(-(1.0 + 2.0 ** -22), 0, 0, 0)
    # fused: (1 + 2^-23)^2 - (1 + 2^-22) = 2^-46; the product rounded first: 0
    assert SIMD_OPS["f32x4.relaxed_madd"](x, x, c) == f32(0, 0, 0, 0)
    assert SIMD_OPS["f32x4.relaxed_nmadd"](f32(2, 0, 0, 0), f32(3, 0, 0, 0), f32(1, 0, 0, 0)) == f32(-5, 0, 0, 0)


def test_dot_products_are_signed_and_wrap() -> None:
    a = i8(-128, -128, *[0] * 14)
    assert SIMD_OPS["i16x8.relaxed_dot_i8x16_i7x16_s"](a, i8(-127, -127, *[0] * 14)) == 32512
    acc = int.from_bytes(struct.pack("<4i", 1, 2, 3, 4), "little")
    r = SIMD_OPS["i32x4.relaxed_dot_i8x16_i7x16_add_s"](i8(*[-128] * 4, *[0] * 12), i8(*[127] * 4, *[0] * 12), acc)
    assert struct.unpack("<4i", r.to_bytes(16, "little")) == (-65023, 2, 3, 4)


SRC = """(module (func (export "madd") (param v128 v128 v128) (result v128)
  (f32x4.relaxed_madd (local.get 0) (local.get 1) (local.get 2))))"""


def test_interpreter_and_refusal(monkeypatch: pytest.MonkeyPatch) -> None:
    module = api.Module.from_text(SRC)
    inst = api.Store("interp").instantiate(module)
    assert inst.invoke("madd", [f32(2, 1, 1, 1), f32(3, 1, 1, 1), f32(1, 1, 1, 1)]) == [f32(7, 2, 2, 2)]
    monkeypatch.setitem(api.TIER_FEATURES, "interp", features.WASM2)  # a tier with 2.0 only
    with pytest.raises(UnsupportedFeature, match="relaxed-simd"):
        api.Store("interp").instantiate(api.Module.from_text(SRC))
