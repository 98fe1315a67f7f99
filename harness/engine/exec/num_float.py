"""Floating-point numerics with IEEE-754 semantics.

Representation inside the interpreter: ``f32`` values are their raw 32-bit patterns (so signalling NaN
payloads survive locals, globals, memory and the bitwise operations ``abs``/``neg``/``copysign``), ``f64``
values are Python floats (a C double: moving, negating, ``abs`` and ``copysign`` keep every bit).

f32 arithmetic is computed in double precision and rounded once to single: for + - * / sqrt this is
exact because 53 >= 2*24 + 2.  NaN results are arithmetic NaNs (the hardware quiets and propagates an
operand's payload) and canonical when no operand was a NaN.
"""

from __future__ import annotations

import math
import struct

_f = struct.Struct("<f")
_I = struct.Struct("<I")
_d = struct.Struct("<d")
_Q = struct.Struct("<Q")
_unpack_f_from_I = struct.Struct("<f").unpack
_pack_I = _I.pack
_pack_f = _f.pack
_unpack_I = _I.unpack
_pack_d = _d.pack
_unpack_Q = _Q.unpack
_pack_Q = _Q.pack
_unpack_d = _d.unpack

F32_CANON = 0x7FC00000
F64_NAN = float("nan")
INF = float("inf")
copysign = math.copysign
_isfinite = math.isfinite


def f32v(bits: int) -> float:
    """f32 bits -> the (exact) double value; a signalling NaN comes back quiet."""
    return _unpack_f_from_I(_pack_I(bits))[0]


def f32b(x: float) -> int:
    """Round a double once to f32 and return the bits (overflow rounds to infinity)."""
    try:
        return _unpack_I(_pack_f(x))[0]
    except OverflowError:
        return 0x7F800000 if x > 0 else 0xFF800000


def f64_bits(x: float) -> int:
    return _unpack_Q(_pack_d(x))[0]


def f64_from_bits(b: int) -> float:
    return _unpack_d(_pack_Q(b))[0]


# ---- f64 (Python floats) ----

def f64_div(a: float, b: float) -> float:
    try:
        return a / b
    except ZeroDivisionError:
        if a != a:
            return a + b
        if a == 0.0 or b != b:
            return F64_NAN if b == b else a + b
        neg = (copysign(1.0, a) < 0) != (copysign(1.0, b) < 0)
        return -INF if neg else INF


def f64_sqrt(a: float) -> float:
    if a < 0.0:
        return F64_NAN
    if a != a:
        return a + a
    return math.sqrt(a)


def f64_min(a: float, b: float) -> float:
    if a < b:
        return a
    if b < a:
        return b
    if a == b:
        return a if copysign(1.0, a) < 0 else b
    return a + b  # a NaN operand: propagate it quieted


def f64_max(a: float, b: float) -> float:
    if a > b:
        return a
    if b > a:
        return b
    if a == b:
        return b if copysign(1.0, a) < 0 else a
    return a + b


def f64_ceil(a: float) -> float:
    if not _isfinite(a):
        return a + a if a != a else a
    return copysign(float(math.ceil(a)), a)


def f64_floor(a: float) -> float:
    if not _isfinite(a):
        return a + a if a != a else a
    return copysign(float(math.floor(a)), a)


def f64_trunc(a: float) -> float:
    if not _isfinite(a):
        return a + a if a != a else a
    return copysign(float(math.trunc(a)), a)


def f64_nearest(a: float) -> float:
    if not _isfinite(a):
        return a + a if a != a else a
    return copysign(float(round(a)), a)  # round() is round-half-to-even


# ---- f32 (raw bits) ----

def f32_add(a: int, b: int) -> int:
    return f32b(f32v(a) + f32v(b))


def f32_sub(a: int, b: int) -> int:
    return f32b(f32v(a) - f32v(b))


def f32_mul(a: int, b: int) -> int:
    return f32b(f32v(a) * f32v(b))


def f32_div(a: int, b: int) -> int:
    return f32b(f64_div(f32v(a), f32v(b)))


def f32_sqrt(a: int) -> int:
    return f32b(f64_sqrt(f32v(a)))


def f32_min(a: int, b: int) -> int:
    return f32b(f64_min(f32v(a), f32v(b)))


def f32_max(a: int, b: int) -> int:
    return f32b(f64_max(f32v(a), f32v(b)))


def f32_ceil(a: int) -> int:
    return f32b(f64_ceil(f32v(a)))


def f32_floor(a: int) -> int:
    return f32b(f64_floor(f32v(a)))


def f32_trunc(a: int) -> int:
    return f32b(f64_trunc(f32v(a)))


def f32_nearest(a: int) -> int:
    return f32b(f64_nearest(f32v(a)))
