"""Conversions between numeric types: wrap/extend, trunc (trapping and saturating), convert,
demote/promote and reinterpret, on the interpreter's representation (see :mod:`.num_float`)."""

from __future__ import annotations

import math

from ..errors import TRAP_INT_OVERFLOW, TRAP_INVALID_CONVERSION, Trap
from .num_float import f32b, f32v

M32 = 0xFFFFFFFF
M64 = 0xFFFFFFFFFFFFFFFF


def _trunc(x: float, lo: int, hi: int, mask: int) -> int:
    """Truncate toward zero into [lo, hi]; traps like the spec."""
    if x != x:
        raise Trap(TRAP_INVALID_CONVERSION)
    if math.isinf(x):
        raise Trap(TRAP_INT_OVERFLOW)
    t = math.trunc(x)
    if t < lo or t > hi:
        raise Trap(TRAP_INT_OVERFLOW)
    return t & mask


def _trunc_sat(x: float, lo: int, hi: int, mask: int) -> int:
    if x != x:
        return 0
    if x == math.inf:
        return hi & mask
    if x == -math.inf:
        return lo & mask
    t = math.trunc(x)
    return (lo if t < lo else hi if t > hi else t) & mask


_S32 = (-(1 << 31), (1 << 31) - 1, M32)
_U32 = (0, M32, M32)
_S64 = (-(1 << 63), (1 << 63) - 1, M64)
_U64 = (0, M64, M64)


def i32_trunc_f32_s(a: int) -> int:
    return _trunc(f32v(a), *_S32)


def i32_trunc_f32_u(a: int) -> int:
    return _trunc(f32v(a), *_U32)


def i32_trunc_f64_s(a: float) -> int:
    return _trunc(a, *_S32)


def i32_trunc_f64_u(a: float) -> int:
    return _trunc(a, *_U32)


def i64_trunc_f32_s(a: int) -> int:
    return _trunc(f32v(a), *_S64)


def i64_trunc_f32_u(a: int) -> int:
    return _trunc(f32v(a), *_U64)


def i64_trunc_f64_s(a: float) -> int:
    return _trunc(a, *_S64)


def i64_trunc_f64_u(a: float) -> int:
    return _trunc(a, *_U64)


def i32_trunc_sat_f32_s(a: int) -> int:
    return _trunc_sat(f32v(a), *_S32)


def i32_trunc_sat_f32_u(a: int) -> int:
    return _trunc_sat(f32v(a), *_U32)


def i32_trunc_sat_f64_s(a: float) -> int:
    return _trunc_sat(a, *_S32)


def i32_trunc_sat_f64_u(a: float) -> int:
    return _trunc_sat(a, *_U32)


def i64_trunc_sat_f32_s(a: int) -> int:
    return _trunc_sat(f32v(a), *_S64)


def i64_trunc_sat_f32_u(a: int) -> int:
    return _trunc_sat(f32v(a), *_U64)


def i64_trunc_sat_f64_s(a: float) -> int:
    return _trunc_sat(a, *_S64)


def i64_trunc_sat_f64_u(a: float) -> int:
    return _trunc_sat(a, *_U64)


def int_to_f32(n: int) -> int:
    """Round an exact integer once to f32 (int -> double -> float would round twice above 2**53)."""
    m = -n if n < 0 else n
    if m < (1 << 53):
        return f32b(float(n))
    shift = m.bit_length() - 24
    q, r = divmod(m, 1 << shift)
    half = 1 << (shift - 1)
    if r > half or (r == half and q & 1):
        q += 1
    v = float(q << shift)  # at most 25 significant bits: exact in a double, and < FLT_MAX
    return f32b(-v if n < 0 else v)


def f32_convert_i32_s(a: int) -> int:
    return int_to_f32((a ^ 0x80000000) - 0x80000000)


def f32_convert_i32_u(a: int) -> int:
    return int_to_f32(a)


def f32_convert_i64_s(a: int) -> int:
    return int_to_f32((a ^ 0x8000000000000000) - 0x8000000000000000)


def f32_convert_i64_u(a: int) -> int:
    return int_to_f32(a)


def f64_convert_i32_s(a: int) -> float:
    return float((a ^ 0x80000000) - 0x80000000)


def f64_convert_i64_s(a: int) -> float:
    return float((a ^ 0x8000000000000000) - 0x8000000000000000)  # int -> float rounds correctly


def f64_convert_u(a: int) -> float:
    return float(a)


def f32_demote_f64(a: float) -> int:
    return f32b(a)


def f64_promote_f32(a: int) -> float:
    return f32v(a)
