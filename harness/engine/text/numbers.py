"""Number literals of the text format: integers, floats (decimal and hex), ``inf`` and ``nan:0x...``.

Floats are converted from the exact rational value of the literal with a single round-to-nearest-even
step (no detour through Python floats, which would round twice for f32 and lose hex precision), so
subnormals come out right; a literal that rounds to infinity is "constant out of range", as the spec says.
"""

from __future__ import annotations

import re


class NumberError(ValueError):
    """A literal that is not a number of the wanted kind, or is out of range; ``message`` is the spec wording."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


_DEC = r"[0-9](?:_?[0-9])*"
_HEXN = r"[0-9a-fA-F](?:_?[0-9a-fA-F])*"
_INT_RE = re.compile(rf"([+-]?)(?:0x({_HEXN})|({_DEC}))")
_DECFLOAT_RE = re.compile(rf"([+-]?)({_DEC})(?:\.({_DEC})?)?(?:[eE]([+-]?{_DEC}))?")
_HEXFLOAT_RE = re.compile(rf"([+-]?)0x({_HEXN})(?:\.({_HEXN})?)?(?:[pP]([+-]?{_DEC}))?")
_NAN_RE = re.compile(rf"([+-]?)nan(?::0x({_HEXN}))?")
_INF_RE = re.compile(r"([+-]?)inf")


def parse_nat(text: str) -> int | None:
    """An unsigned integer literal (no sign), or None if ``text`` is not one."""
    m = _INT_RE.fullmatch(text)
    if not m or m.group(1):
        return None
    return (
        int(m.group(2).replace("_", ""), 16) if m.group(2) is not None else int(m.group(3).replace("_", ""))
    )


def parse_int(text: str) -> int | None:
    """A signed or unsigned integer literal as a Python int, or None if ``text`` is not one."""
    m = _INT_RE.fullmatch(text)
    if not m:
        return None
    v = int(m.group(2).replace("_", ""), 16) if m.group(2) is not None else int(m.group(3).replace("_", ""))
    return -v if m.group(1) == "-" else v


def int_bits(text: str, bits: int, message: str = "constant out of range") -> int:
    """The unsigned bit pattern of an iN literal: ``-n`` must fit sN, ``n`` and ``+n`` must fit uN."""
    v = parse_int(text)
    if v is None:
        raise NumberError("unexpected token")
    # a negative literal must fit sN; "+n" and "n" fit uN (the reference interpreter reads "+" as unsigned)
    lo = -(1 << (bits - 1)) if text[0] == "-" else 0
    hi = (1 << bits) - 1
    if not lo <= v <= hi:
        raise NumberError(message)
    return v & ((1 << bits) - 1)


# (mantissa bits incl. hidden, exponent bits)
_FORMATS = {32: (24, 8), 64: (53, 11)}


def _round_rational(num: int, den: int, bits: int) -> int:
    """Bits (without sign) of the float nearest to num/den > 0 (ties to even); NumberError on overflow."""
    p, ebits = _FORMATS[bits]
    bias = (1 << (ebits - 1)) - 1
    emin, emax = 1 - bias, bias
    e = num.bit_length() - den.bit_length()
    if (num << max(0, -e)) < (den << max(0, e)):
        e -= 1  # now 2^e <= num/den < 2^(e+1)
    if e > emax + 1:
        raise NumberError("constant out of range")
    e = max(e, emin)
    s = e - (p - 1)  # value of the mantissa's last bit is 2^s
    if s >= 0:
        m, r = divmod(num, den << s)
        d = den << s
    else:
        m, r = divmod(num << -s, den)
        d = den
    if 2 * r > d or (2 * r == d and m & 1):
        m += 1
    if m == 1 << p:
        m >>= 1
        e += 1
    if e > emax:
        raise NumberError("constant out of range")
    if m < 1 << (p - 1):  # subnormal (or zero)
        return m
    return ((e + bias) << (p - 1)) | (m - (1 << (p - 1)))


def float_bits(text: str, bits: int) -> int:
    """Raw IEEE bits of an fN literal (``bits`` is 32 or 64)."""
    p, ebits = _FORMATS[bits]
    sign_bit = 1 << (bits - 1)
    exp_all = ((1 << ebits) - 1) << (p - 1)
    m = _NAN_RE.fullmatch(text)
    if m:
        sign = sign_bit if m.group(1) == "-" else 0
        if m.group(2) is None:
            payload = 1 << (p - 2)
        else:
            payload = int(m.group(2).replace("_", ""), 16)
            if not 1 <= payload < 1 << (p - 1):
                raise NumberError("constant out of range")
        return sign | exp_all | payload
    m = _INF_RE.fullmatch(text)
    if m:
        return (sign_bit if m.group(1) == "-" else 0) | exp_all
    m = _HEXFLOAT_RE.fullmatch(text)
    if m:
        sign, ip, fp, ex = m.groups()
        fp = (fp or "").replace("_", "")
        mant = int(ip.replace("_", "") + fp, 16)
        exp = int(ex.replace("_", "")) if ex else 0
        exp -= 4 * len(fp)
        # guard against absurd exponents: anything this far out is zero or overflow anyway
        if mant and exp > 4 * len(ip) + 4 * len(fp) + 20000:
            raise NumberError("constant out of range")
        if mant and exp < -20000 - mant.bit_length():
            mant = 0
        if mant == 0:
            return sign_bit if sign == "-" else 0
        num, den = (mant << exp, 1) if exp >= 0 else (mant, 1 << -exp)
    else:
        m = _DECFLOAT_RE.fullmatch(text)
        if not m:
            raise NumberError("unexpected token")
        sign, ip, fp, ex = m.groups()
        fp = (fp or "").replace("_", "")
        digits = ip.replace("_", "") + fp
        mant = int(digits)
        exp = int(ex.replace("_", "")) if ex else 0
        exp -= len(fp)
        if mant and exp > 400:
            raise NumberError("constant out of range")
        if mant and exp + len(digits) < -400:
            mant = 0
        if mant == 0:
            return sign_bit if sign == "-" else 0
        num, den = (mant * 10**exp, 1) if exp >= 0 else (mant, 10**-exp)
    s = sign_bit if sign == "-" else 0
    if num == 0:
        return s
    return s | _round_rational(num, den, bits)


def is_number(text: str) -> bool:
    """Whether ``text`` lexes as some number literal (int or float)."""
    return bool(
        _INT_RE.fullmatch(text)
        or _DECFLOAT_RE.fullmatch(text)
        or _HEXFLOAT_RE.fullmatch(text)
        or _NAN_RE.fullmatch(text)
        or _INF_RE.fullmatch(text)
    )
