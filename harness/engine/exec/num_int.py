"""Integer numerics (i32 and i64) on unsigned bit patterns.

The interpreter inlines the cheap operations as Python expressions; what is here either traps or needs
more than one expression.  Trapping helpers raise ``Trap`` with the spec's kind.
"""

from __future__ import annotations

from ..errors import TRAP_DIV_ZERO, TRAP_INT_OVERFLOW, Trap

M32 = 0xFFFFFFFF
M64 = 0xFFFFFFFFFFFFFFFF
S32 = 0x80000000
S64 = 0x8000000000000000


def signed32(a: int) -> int:
    return (a ^ S32) - S32


def signed64(a: int) -> int:
    return (a ^ S64) - S64


def _div_s(a: int, b: int, sign: int, mask: int) -> int:
    if b == 0:
        raise Trap(TRAP_DIV_ZERO)
    a, b = (a ^ sign) - sign, (b ^ sign) - sign
    if a == -sign and b == -1:
        raise Trap(TRAP_INT_OVERFLOW)
    q = abs(a) // abs(b)
    return (-q if (a < 0) != (b < 0) else q) & mask


def _rem_s(a: int, b: int, sign: int, mask: int) -> int:
    if b == 0:
        raise Trap(TRAP_DIV_ZERO)
    a, b = (a ^ sign) - sign, (b ^ sign) - sign
    r = abs(a) % abs(b)
    return (-r if a < 0 else r) & mask


def i32_div_s(a: int, b: int) -> int:
    return _div_s(a, b, S32, M32)


def i64_div_s(a: int, b: int) -> int:
    return _div_s(a, b, S64, M64)


def i32_rem_s(a: int, b: int) -> int:
    return _rem_s(a, b, S32, M32)


def i64_rem_s(a: int, b: int) -> int:
    return _rem_s(a, b, S64, M64)


def int_div_u(a: int, b: int) -> int:
    if b == 0:
        raise Trap(TRAP_DIV_ZERO)
    return a // b


def int_rem_u(a: int, b: int) -> int:
    if b == 0:
        raise Trap(TRAP_DIV_ZERO)
    return a % b


def i32_rotl(a: int, b: int) -> int:
    b &= 31
    return ((a << b) | (a >> (32 - b))) & M32


def i32_rotr(a: int, b: int) -> int:
    b &= 31
    return ((a >> b) | (a << (32 - b))) & M32


def i64_rotl(a: int, b: int) -> int:
    b &= 63
    return ((a << b) | (a >> (64 - b))) & M64


def i64_rotr(a: int, b: int) -> int:
    b &= 63
    return ((a >> b) | (a << (64 - b))) & M64


def i32_ctz(a: int) -> int:
    return (a & -a).bit_length() - 1 if a else 32


def i64_ctz(a: int) -> int:
    return (a & -a).bit_length() - 1 if a else 64
