"""Run-time helpers the generated interpreter code calls: bulk memory, tables, indirect-call failures and the
``v128`` memory forms.  Each one checks bounds the way the spec does and raises ``Trap``."""

from __future__ import annotations

import struct

from ...errors import (
    TRAP_INDIRECT_MISMATCH,
    TRAP_OOB_MEMORY,
    TRAP_OOB_TABLE,
    TRAP_UNDEFINED_ELEMENT,  # noqa: F401 - used by the generated code (helper namespace)
    TRAP_UNINITIALIZED_ELEMENT,
    Trap,
)
from ...runtime.instance import rtt_of

M32 = 0xFFFFFFFF
M64 = 0xFFFFFFFFFFFFFFFF
_QQ = struct.Struct("<QQ")
LD_QQ = _QQ.unpack_from
ST_QQ = _QQ.pack_into


def _oob_mem():
    raise Trap(TRAP_OOB_MEMORY)


def mem_fill(mem, d: int, val: int, n: int) -> None:
    buf = mem.buf
    if d + n > len(buf):
        _oob_mem()
    if n:
        buf[d : d + n] = bytes((val & 0xFF,)) * n


def mem_copy(dst, src, d: int, s: int, n: int) -> None:
    dbuf, sbuf = dst.buf, src.buf
    if s + n > len(sbuf) or d + n > len(dbuf):
        _oob_mem()
    if n:
        dbuf[d : d + n] = bytes(sbuf[s : s + n])


def mem_init(mem, inst, x: int, d: int, s: int, n: int) -> None:
    data = inst.datas[x] or b""
    buf = mem.buf
    if s + n > len(data) or d + n > len(buf):
        _oob_mem()
    if n:
        buf[d : d + n] = data[s : s + n]


def tbl_get(tab, i: int):
    el = tab.elements
    if i >= len(el):
        raise Trap(TRAP_OOB_TABLE)
    return el[i]


def tbl_set(tab, i: int, v) -> None:
    el = tab.elements
    if i >= len(el):
        raise Trap(TRAP_OOB_TABLE)
    el[i] = v


def tbl_fill(tab, i: int, v, n: int) -> None:
    el = tab.elements
    if i + n > len(el):
        raise Trap(TRAP_OOB_TABLE)
    el[i : i + n] = [v] * n


def tbl_copy(dst, src, d: int, s: int, n: int) -> None:
    de, se = dst.elements, src.elements
    if s + n > len(se) or d + n > len(de):
        raise Trap(TRAP_OOB_TABLE)
    de[d : d + n] = se[s : s + n]


def tbl_init(tab, inst, x: int, d: int, s: int, n: int) -> None:
    seg = inst.elems[x] or ()
    el = tab.elements
    if s + n > len(seg) or d + n > len(el):
        raise Trap(TRAP_OOB_TABLE)
    el[d : d + n] = seg[s : s + n]


def tbl_grow(tab, init, n: int) -> int:
    return tab.grow(n, init)


class TailCall:
    """What a function's body returns instead of making a tail call: its trampoline makes the call, so a
    chain of tail calls runs in constant Python stack."""

    __slots__ = ("fn", "args")

    def __init__(self, fn, args: tuple):
        self.fn = fn
        self.args = args


def trampoline(body):
    """The callable of a function whose ``body`` may return :class:`TailCall`: it makes those calls."""

    def entry(*args):
        r = body(*args)
        while type(r) is TailCall:
            r = r.fn(*r.args)
        return r

    return entry


def type_ok(f, rtt) -> bool:
    """Whether function ``f`` may be called as runtime type ``rtt`` (the same canonical type, or a subtype):
    ``call_indirect`` across modules, where types are not the same objects."""
    r = rtt_of(f)
    return r is rtt or r.sub_of(rtt)


def call_fail(f) -> None:
    """Why an inlined ``call_indirect`` check failed (the table slot is null, or of another type)."""
    if f is None:
        raise Trap(TRAP_UNINITIALIZED_ELEMENT)
    raise Trap(TRAP_INDIRECT_MISMATCH)


# ---- v128 memory forms ----

def _check(buf, a: int, n: int) -> None:
    if a + n > len(buf):
        _oob_mem()


def ld_v128(buf, a: int) -> int:
    lo, hi = LD_QQ(buf, a)
    return lo | (hi << 64)


def st_v128(buf, a: int, v: int) -> None:
    ST_QQ(buf, a, v & M64, v >> 64)


def _ext_loader(fmt: str, width: int):
    s = struct.Struct("<" + fmt)
    mask = (1 << width) - 1

    def load(buf, a: int) -> int:
        r = 0
        for i, x in enumerate(s.unpack_from(buf, a)):
            r |= (x & mask) << (i * width)
        return r

    return load


LD_EXTEND = {
    "v128.load8x8_s": _ext_loader("8b", 16), "v128.load8x8_u": _ext_loader("8B", 16),
    "v128.load16x4_s": _ext_loader("4h", 32), "v128.load16x4_u": _ext_loader("4H", 32),
    "v128.load32x2_s": _ext_loader("2i", 64), "v128.load32x2_u": _ext_loader("2I", 64),
}


def _splat_loader(nbytes: int):
    width = nbytes * 8
    lanes = 128 // width

    def load(buf, a: int) -> int:
        _check(buf, a, nbytes)
        x = int.from_bytes(buf[a : a + nbytes], "little")
        r = 0
        for i in range(lanes):
            r |= x << (i * width)
        return r

    return load


def _zero_loader(nbytes: int):
    def load(buf, a: int) -> int:
        _check(buf, a, nbytes)
        return int.from_bytes(buf[a : a + nbytes], "little")

    return load


LD_SPLAT = {"v128.load8_splat": _splat_loader(1), "v128.load16_splat": _splat_loader(2),
            "v128.load32_splat": _splat_loader(4), "v128.load64_splat": _splat_loader(8),
            "v128.load32_zero": _zero_loader(4), "v128.load64_zero": _zero_loader(8)}


def ld_lane(buf, a: int, v: int, nbytes: int, lane: int) -> int:
    _check(buf, a, nbytes)
    width = nbytes * 8
    x = int.from_bytes(buf[a : a + nbytes], "little")
    shift = lane * width
    return (v & ~(((1 << width) - 1) << shift)) | (x << shift)


def st_lane(buf, a: int, v: int, nbytes: int, lane: int) -> None:
    _check(buf, a, nbytes)
    width = nbytes * 8
    buf[a : a + nbytes] = ((v >> (lane * width)) & ((1 << width) - 1)).to_bytes(nbytes, "little")
