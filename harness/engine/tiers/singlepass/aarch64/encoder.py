"""An A64 (aarch64) instruction encoder: the 32-bit instruction words the singlepass code generator emits,
written straight into a buffer (no assembler process, no text).

Why our own: as for x86-64 (``x86_64/encoder.py``), a baseline compiler's speed is its encoder's speed and the
forms it needs are few.  Every method is one instruction form (or, where named so, a short fixed macro such as
``mov_imm``); ``tests/engine/test_singlepass_encoder_aarch64.py`` disassembles each with capstone.

Registers are numbers 0-31.  Register 31 means the stack pointer in the forms that accept it (add/sub
immediate, loads and stores as base, ``mov_sp``) and the zero register elsewhere; ``SP`` and ``ZR`` name it.
SIMD&FP registers are numbers 0-31 too (``v0``-``v31``, viewed as ``s``, ``d`` or ``q``).  ``w`` selects the
64-bit form (``x`` registers), otherwise 32-bit (``w`` registers, whose writes zero the upper half).
Branches and literal loads take a :class:`Label`; forward references are patched when it is bound, and a
target out of the form's range raises ``OverflowError`` (the code generator turns it into a refusal).
"""

from __future__ import annotations

import struct

SP = ZR = 31
LR, FP = 30, 29

# condition codes
CC = {"eq": 0, "ne": 1, "hs": 2, "lo": 3, "mi": 4, "pl": 5, "vs": 6, "vc": 7, "hi": 8, "ls": 9, "ge": 10,
      "lt": 11, "gt": 12, "le": 13, "al": 14}
INVERSE = {name: next(n for n, c in CC.items() if c == code ^ 1) for name, code in CC.items() if name != "al"}

_U32 = struct.Struct("<I")
_S32 = struct.Struct("<i")

# load/store kinds: (size field, V bit, opc for load, opc for store, bytes)
LDST = {
    "b": (0, 0, 1, 0, 1), "h": (1, 0, 1, 0, 2), "w": (2, 0, 1, 0, 4), "x": (3, 0, 1, 0, 8),
    "sb": (0, 0, 2, None, 1), "sh": (1, 0, 2, None, 2), "sw": (2, 0, 2, None, 4),  # sign-extend to 64 bits
    "sbw": (0, 0, 3, None, 1), "shw": (1, 0, 3, None, 2),  # sign-extend to 32 bits
    "s": (2, 1, 1, 0, 4), "d": (3, 1, 1, 0, 8), "q": (0, 1, 3, 2, 16),
}
_FP2 = {"mul": 0, "div": 1, "add": 2, "sub": 3, "max": 4, "min": 5, "maxnm": 6, "minnm": 7}
_FP1 = {"mov": 0, "abs": 1, "neg": 2, "sqrt": 3, "cvt_s": 4, "cvt_d": 5, "nearest": 8, "ceil": 9, "floor": 10,
        "trunc": 11}
_SHIFTV = {"lsl": 0, "lsr": 1, "asr": 2, "ror": 3}
_LOGIC = {"and": 0, "orr": 1, "eor": 2, "ands": 3}


class Label:
    """A code position, bound once; uses before binding are patched then."""

    __slots__ = ("pos", "uses")

    def __init__(self) -> None:
        self.pos: int | None = None
        self.uses: list[tuple[int, str, int]] = []  # (position of the word, field kind, base)


def _field(word: int, kind: str, delta: int) -> int:
    """``word`` with its displacement field set to ``delta`` bytes (``kind``: which form's field)."""
    if kind == "rel32":
        return delta & 0xFFFFFFFF
    if delta & 3:
        raise OverflowError(f"misaligned branch displacement {delta}")
    if kind == "b26":
        bits, shift, pos = 26, 2, 0
    elif kind == "b19":
        bits, shift, pos = 19, 2, 5
    elif kind == "b14":
        bits, shift, pos = 14, 2, 5
    else:  # adr: immlo in 29-30, immhi in 5-23, byte displacement
        if not -(1 << 20) <= delta < (1 << 20):
            raise OverflowError(f"adr displacement {delta} out of range")
        return (word & ~(0x3 << 29) & ~(0x7FFFF << 5)) | (delta & 3) << 29 | ((delta >> 2) & 0x7FFFF) << 5
    v = delta >> shift
    if not -(1 << (bits - 1)) <= v < (1 << (bits - 1)):
        raise OverflowError(f"branch displacement {delta} out of range of a {bits}-bit field")
    mask = ((1 << bits) - 1) << pos
    return (word & ~mask) | ((v << pos) & mask)


def bitmask_imm(value: int, w: bool) -> int | None:
    """The N:immr:imms field (13 bits) of a logical immediate, or None if ``value`` has no such encoding
    (a rotated run of ones, repeated in 2, 4, ... 64-bit elements; all zeros and all ones have none)."""
    width = 64 if w else 32
    value &= (1 << width) - 1
    if value == 0 or value == (1 << width) - 1:
        return None
    if not w:
        value |= value << 32
    size = 64
    while size > 2:  # the smallest element that repeats
        half = size // 2
        if (value >> half) & ((1 << half) - 1) != value & ((1 << half) - 1):
            break
        size = half
    mask = (1 << size) - 1
    elem = value & mask
    ones = bin(elem).count("1")
    # rotate right until the run of ones sits at the bottom: elem == ror(run, r)
    for r in range(size):
        rotated = ((elem << r) | (elem >> (size - r))) & mask if r else elem
        if rotated == (1 << ones) - 1:
            n = 1 if size == 64 else 0
            imms = ((~(size * 2 - 1) << 0) & 0x3F | (ones - 1)) if size < 64 else ones - 1
            imms &= 0x3F
            return n << 12 | r << 6 | imms
    return None


class Assembler:
    """A growing buffer of A64 code with labels."""

    def __init__(self) -> None:
        self.buf = bytearray()

    def emit(self, word: int) -> None:
        self.buf += _U32.pack(word & 0xFFFFFFFF)

    def word_at(self, pos: int) -> int:
        return _U32.unpack_from(self.buf, pos)[0]

    # -- labels ---------------------------------------------------------------------------------------
    def bind(self, label: Label) -> None:
        pos = label.pos = len(self.buf)
        for at, kind, base in label.uses:
            _U32.pack_into(self.buf, at, _field(self.word_at(at), kind, pos - base))
        label.uses.clear()

    def _ref(self, word: int, label: Label, kind: str) -> None:
        at = len(self.buf)
        if label.pos is not None:
            word = _field(word, kind, label.pos - at)
        else:
            label.uses.append((at, kind, at))
        self.emit(word)

    def table_entry(self, label: Label, table: Label) -> None:
        """A 32-bit jump-table entry: ``label``'s offset from ``table`` (bound before)."""
        at = len(self.buf)
        assert table.pos is not None
        if label.pos is not None:
            self.emit(label.pos - table.pos)
        else:
            label.uses.append((at, "rel32", table.pos))
            self.emit(0)

    def data64(self, value: int = 0) -> int:
        """An 8-byte data word (a literal); returns its position."""
        at = len(self.buf)
        self.buf += struct.pack("<Q", value & (1 << 64) - 1)
        return at

    def align(self, n: int) -> None:
        while len(self.buf) % n:
            self.emit(0xD503201F)  # nop

    # -- branches -------------------------------------------------------------------------------------
    def b(self, label: Label) -> None:
        self._ref(0x14000000, label, "b26")

    def bl(self, label: Label) -> None:
        self._ref(0x94000000, label, "b26")

    def b_cond(self, cc: str, label: Label) -> None:
        self._ref(0x54000000 | CC[cc], label, "b19")

    def cbz(self, rt: int, label: Label, w: bool = True, nonzero: bool = False) -> None:
        self._ref(w << 31 | (0x35000000 if nonzero else 0x34000000) | rt, label, "b19")

    def tbz(self, rt: int, bit: int, label: Label, nonzero: bool = False) -> None:
        self._ref((bit >> 5) << 31 | (0x37000000 if nonzero else 0x36000000) | (bit & 31) << 19 | rt, label, "b14")

    def adr(self, rd: int, label: Label) -> None:
        self._ref(0x10000000 | rd, label, "adr")

    def br(self, rn: int) -> None:
        self.emit(0xD61F0000 | rn << 5)

    def blr(self, rn: int) -> None:
        self.emit(0xD63F0000 | rn << 5)

    def ret(self) -> None:
        self.emit(0xD65F03C0)

    def brk(self, imm: int = 0) -> None:
        self.emit(0xD4200000 | (imm & 0xFFFF) << 5)

    # -- moves ----------------------------------------------------------------------------------------
    def mov(self, rd: int, rm: int, w: bool = True) -> None:
        """``mov rd, rm`` (orr with the zero register; register 31 is the zero register here)."""
        self.emit(w << 31 | 0x2A0003E0 | rm << 16 | rd)

    def mov_sp(self, rd: int, rn: int) -> None:
        """``mov`` to or from sp (add rd, rn, #0)."""
        self.emit(0x91000000 | rn << 5 | rd)

    def movz(self, rd: int, imm16: int, hw: int = 0, w: bool = True) -> None:
        self.emit(w << 31 | 0x52800000 | hw << 21 | (imm16 & 0xFFFF) << 5 | rd)

    def movn(self, rd: int, imm16: int, hw: int = 0, w: bool = True) -> None:
        self.emit(w << 31 | 0x12800000 | hw << 21 | (imm16 & 0xFFFF) << 5 | rd)

    def movk(self, rd: int, imm16: int, hw: int = 0, w: bool = True) -> None:
        self.emit(w << 31 | 0x72800000 | hw << 21 | (imm16 & 0xFFFF) << 5 | rd)

    def mov_imm(self, rd: int, value: int, w: bool = True) -> None:
        """The shortest movz/movn + movk sequence for a constant (1-4 instructions)."""
        width = 64 if w else 32
        value &= (1 << width) - 1
        parts = [(value >> (16 * i)) & 0xFFFF for i in range(width // 16)]
        zeros = parts.count(0)
        ones = parts.count(0xFFFF)
        if ones > zeros:  # movn: start from all ones
            first = next((i for i, p in enumerate(parts) if p != 0xFFFF), 0)
            self.movn(rd, ~parts[first] & 0xFFFF, first, w)
            for i, p in enumerate(parts):
                if i != first and p != 0xFFFF:
                    self.movk(rd, p, i, w)
            return
        first = next((i for i, p in enumerate(parts) if p != 0), 0)
        self.movz(rd, parts[first], first, w)
        for i, p in enumerate(parts):
            if i != first and p != 0:
                self.movk(rd, p, i, w)

    # -- integer arithmetic -------------------------------------------------------------------------------
    def addsub_imm(self, op: str, rd: int, rn: int, imm: int, w: bool = True, s: bool = False) -> None:
        """``add``/``sub`` (``s``: adds/subs) with a 12-bit immediate, shifted by 12 if its low bits are 0;
        register 31 is sp as ``rn`` (and as ``rd`` unless ``s``)."""
        if imm < 0:
            op, imm = ("sub" if op == "add" else "add"), -imm
        sh = 0
        if imm >= 4096:
            if imm & 0xFFF or imm >> 12 >= 4096:
                raise ValueError(f"{imm} is not an add/sub immediate")
            sh, imm = 1, imm >> 12
        self.emit(w << 31 | (op == "sub") << 30 | s << 29 | 0x11000000 | sh << 22 | imm << 10 | rn << 5 | rd)

    def addsub(self, op: str, rd: int, rn: int, rm: int, w: bool = True, s: bool = False, shift: int = 0,
               amount: int = 0) -> None:
        """``add``/``sub`` (shifted register; ``shift`` 0 lsl, 1 lsr, 2 asr); register 31 is the zero register."""
        self.emit(w << 31 | (op == "sub") << 30 | s << 29 | 0x0B000000 | shift << 22 | rm << 16 | amount << 10
                  | rn << 5 | rd)

    def add_ext(self, rd: int, rn: int, rm: int, option: int = 3, amount: int = 0) -> None:
        """``add xd, xn|sp, rm, <extend> #amount`` (extended register, 64-bit; option 2 uxtw, 3 uxtx)."""
        self.emit(0x8B200000 | rm << 16 | option << 13 | amount << 10 | rn << 5 | rd)

    def cmp(self, rn: int, rm: int, w: bool = True) -> None:
        self.addsub("sub", ZR, rn, rm, w, s=True)

    def cmp_imm(self, rn: int, imm: int, w: bool = True) -> None:
        self.addsub_imm("sub", ZR, rn, imm, w, s=True)

    def logic(self, op: str, rd: int, rn: int, rm: int, w: bool = True, invert: bool = False, shift: int = 0,
              amount: int = 0) -> None:
        """``and``/``orr``/``eor``/``ands`` (shifted register); ``invert``: bic/orn/eon/bics."""
        self.emit(w << 31 | _LOGIC[op] << 29 | 0x0A000000 | shift << 22 | invert << 21 | rm << 16 | amount << 10
                  | rn << 5 | rd)

    def logic_imm(self, op: str, rd: int, rn: int, value: int, w: bool = True) -> None:
        """``and``/``orr``/``eor``/``ands`` with a bitmask immediate (``bitmask_imm`` must accept it)."""
        enc = bitmask_imm(value, w)
        if enc is None:
            raise ValueError(f"{value:#x} is not a logical immediate")
        self.emit(w << 31 | _LOGIC[op] << 29 | 0x12000000 | enc << 10 | rn << 5 | rd)

    def tst(self, rn: int, rm: int, w: bool = True) -> None:
        self.logic("ands", ZR, rn, rm, w)

    def mvn(self, rd: int, rm: int, w: bool = True) -> None:
        self.logic("orr", rd, ZR, rm, w, invert=True)

    def madd(self, rd: int, rn: int, rm: int, ra: int, w: bool = True, sub: bool = False) -> None:
        """``rd = ra + rn*rm`` (``sub``: msub, ``ra - rn*rm``)."""
        self.emit(w << 31 | 0x1B000000 | rm << 16 | sub << 15 | ra << 10 | rn << 5 | rd)

    def mul(self, rd: int, rn: int, rm: int, w: bool = True) -> None:
        self.madd(rd, rn, rm, ZR, w)

    def div(self, rd: int, rn: int, rm: int, w: bool = True, signed: bool = False) -> None:
        self.emit(w << 31 | 0x1AC00800 | rm << 16 | signed << 10 | rn << 5 | rd)

    def shiftv(self, op: str, rd: int, rn: int, rm: int, w: bool = True) -> None:
        """lslv/lsrv/asrv/rorv: the count is taken modulo the width, as wasm wants."""
        self.emit(w << 31 | 0x1AC02000 | rm << 16 | _SHIFTV[op] << 10 | rn << 5 | rd)

    def bfm(self, kind: str, rd: int, rn: int, immr: int, imms: int, w: bool = True) -> None:
        """``sbfm``/``bfm``/``ubfm`` (the shifts by an immediate and the extensions are aliases of these)."""
        opc = {"sbfm": 0, "bfm": 1, "ubfm": 2}[kind]
        self.emit(w << 31 | opc << 29 | 0x13000000 | w << 22 | immr << 16 | imms << 10 | rn << 5 | rd)

    def shift_imm(self, op: str, rd: int, rn: int, n: int, w: bool = True) -> None:
        """lsl/lsr/asr/ror by a constant (taken modulo the width)."""
        width = 64 if w else 32
        n %= width
        if op == "lsl":
            self.bfm("ubfm", rd, rn, (-n) % width, width - 1 - n, w)
        elif op == "lsr":
            self.bfm("ubfm", rd, rn, n, width - 1, w)
        elif op == "asr":
            self.bfm("sbfm", rd, rn, n, width - 1, w)
        else:  # ror: extr rd, rn, rn, #n
            self.emit(w << 31 | 0x13800000 | w << 22 | rn << 16 | n << 10 | rn << 5 | rd)

    def sxt(self, rd: int, rn: int, bits: int, w: bool = True) -> None:
        """sxtb/sxth/sxtw: sign-extend the low ``bits`` of ``rn``."""
        self.bfm("sbfm", rd, rn, 0, bits - 1, w)

    def uxt(self, rd: int, rn: int, bits: int) -> None:
        """uxtb/uxth (32-bit ubfm; the upper half is zeroed)."""
        self.bfm("ubfm", rd, rn, 0, bits - 1, False)

    def clz(self, rd: int, rn: int, w: bool = True) -> None:
        self.emit(w << 31 | 0x5AC01000 | rn << 5 | rd)

    def rbit(self, rd: int, rn: int, w: bool = True) -> None:
        self.emit(w << 31 | 0x5AC00000 | rn << 5 | rd)

    def csel(self, rd: int, rn: int, rm: int, cc: str, w: bool = True) -> None:
        self.emit(w << 31 | 0x1A800000 | rm << 16 | CC[cc] << 12 | rn << 5 | rd)

    def cset(self, rd: int, cc: str, w: bool = False) -> None:
        """``rd = cc ? 1 : 0`` (csinc rd, zr, zr, inverse)."""
        self.emit(w << 31 | 0x1A800400 | ZR << 16 | CC[INVERSE[cc]] << 12 | ZR << 5 | rd)

    def neg(self, rd: int, rm: int, w: bool = True) -> None:
        self.addsub("sub", rd, ZR, rm, w)

    # -- loads and stores -------------------------------------------------------------------------------
    def ldst(self, kind: str, rt: int, rn: int, offset: int = 0, store: bool = False, scratch: int = 17) -> None:
        """Load or store ``rt`` at ``[rn + offset]`` (``kind`` a key of ``LDST``): the scaled 12-bit form when
        it fits, else the unscaled 9-bit one, else the offset goes through register ``scratch``."""
        size, v, lopc, sopc, nbytes = LDST[kind]
        opc = sopc if store else lopc
        if opc is None:
            raise ValueError(f"no store of kind {kind}")
        head = size << 30 | 0x38000000 | v << 26 | opc << 22
        if offset >= 0 and offset % nbytes == 0 and offset // nbytes < 4096:
            self.emit(head | 0x01000000 | (offset // nbytes) << 10 | rn << 5 | rt)
        elif -256 <= offset < 256:
            self.emit(head | (offset & 0x1FF) << 12 | rn << 5 | rt)
        else:
            self.mov_imm(scratch, offset)
            self.ldst_reg(kind, rt, rn, scratch, store)

    def ldst_reg(self, kind: str, rt: int, rn: int, rm: int, store: bool = False, extend: str = "lsl",
                 scaled: bool = False) -> None:
        """Load or store at ``[rn + rm]`` (``extend`` "lsl": rm a 64-bit register; "uxtw": a zero-extended
        32-bit one; ``scaled``: times the access size)."""
        size, v, lopc, sopc, _ = LDST[kind]
        opc = sopc if store else lopc
        option = 3 if extend == "lsl" else 2
        self.emit(size << 30 | 0x38200800 | v << 26 | opc << 22 | rm << 16 | option << 13 | scaled << 12
                  | rn << 5 | rt)

    def ldr_literal(self, kind: str, rt: int, label: Label) -> None:
        """``ldr rt, label`` (kind "w", "x", "sw", "s", "d" or "q")."""
        opc = {"w": 0x18000000, "x": 0x58000000, "sw": 0x98000000, "s": 0x1C000000, "d": 0x5C000000,
               "q": 0x9C000000}[kind]
        self._ref(opc | rt, label, "b19")

    def pair(self, kind: str, rt: int, rt2: int, rn: int, offset: int, store: bool, mode: str = "offset") -> None:
        """ldp/stp of x (``kind`` "x"), d or q registers; ``mode``: "offset", "pre" (writeback before) or
        "post" (after)."""
        opc, v, scale = {"x": (2, 0, 8), "d": (1, 1, 8), "q": (2, 1, 16)}[kind]
        m = {"post": 1, "offset": 2, "pre": 3}[mode]
        if offset % scale or not -64 <= offset // scale < 64:
            raise ValueError(f"pair offset {offset} out of range")
        self.emit(opc << 30 | 0x28000000 | v << 26 | m << 23 | (not store) << 22 | ((offset // scale) & 0x7F) << 15
                  | rt2 << 10 | rn << 5 | rt)

    # -- floating point (scalar) --------------------------------------------------------------------------
    def fp2(self, op: str, rd: int, rn: int, rm: int, d: bool) -> None:
        """fadd/fsub/fmul/fdiv/fmin/fmax (``d``: double, else single)."""
        self.emit(0x1E200800 | d << 22 | rm << 16 | _FP2[op] << 12 | rn << 5 | rd)

    def fp1(self, op: str, rd: int, rn: int, d: bool) -> None:
        """fmov/fabs/fneg/fsqrt, frintn/p/m/z ("nearest", "ceil", "floor", "trunc"), fcvt ("cvt_s" to single
        from a double ``d``, "cvt_d" to double from a single)."""
        self.emit(0x1E204000 | d << 22 | _FP1[op] << 15 | rn << 5 | rd)

    def fcmp(self, rn: int, rm: int, d: bool) -> None:
        self.emit(0x1E202000 | d << 22 | rm << 16 | rn << 5)

    def fcsel(self, rd: int, rn: int, rm: int, cc: str, d: bool) -> None:
        self.emit(0x1E200C00 | d << 22 | rm << 16 | CC[cc] << 12 | rn << 5 | rd)

    def _fpint(self, sf: bool, d: bool, rmode: int, opcode: int, rd: int, rn: int) -> None:
        self.emit(sf << 31 | 0x1E200000 | d << 22 | rmode << 19 | opcode << 16 | rn << 5 | rd)

    def fmov_to_fp(self, vd: int, rn: int, d: bool) -> None:
        """``fmov sd, wn`` / ``fmov dd, xn``: the bits of a general register."""
        self._fpint(d, d, 0, 7, vd, rn)

    def fmov_to_gp(self, rd: int, vn: int, d: bool) -> None:
        self._fpint(d, d, 0, 6, rd, vn)

    def cvt_int_to_float(self, vd: int, rn: int, d: bool, w: bool, signed: bool) -> None:
        """scvtf/ucvtf from a 32-bit (``w`` False) or 64-bit integer register."""
        self._fpint(w, d, 0, 2 if signed else 3, vd, rn)

    def cvt_float_to_int(self, rd: int, vn: int, d: bool, w: bool, signed: bool) -> None:
        """fcvtzs/fcvtzu: round toward zero, saturating, NaN to 0 (wasm's trunc_sat exactly)."""
        self._fpint(w, d, 3, 0 if signed else 1, rd, vn)

    # -- SIMD (the few forms the scalar code and the v128 moves need; simd.py adds the rest) --------------
    def vmov(self, vd: int, vn: int) -> None:
        """``mov vd.16b, vn.16b`` (orr)."""
        self.emit(0x4EA01C00 | vn << 16 | vn << 5 | vd)

    def cnt8b(self, vd: int, vn: int) -> None:
        self.emit(0x0E205800 | vn << 5 | vd)

    def addv8b(self, vd: int, vn: int) -> None:
        """``addv bd, vn.8b``: the sum of the low 8 bytes into a byte (the rest of vd zeroed)."""
        self.emit(0x0E31B800 | vn << 5 | vd)

    # -- SIMD (NEON, full 128-bit vectors; ``size`` the lane size's log2 where a form has lanes) -------------
    def vthree(self, u: int, size: int, opcode: int, vd: int, vn: int, vm: int) -> None:
        """The "three same" group: ``u``, the size field and the 5-bit opcode name the operation (add, sub,
        cmeq, smax, ..., and the float ones, whose size field is (hi bit, double))."""
        self.emit(0x4E200400 | u << 29 | size << 22 | vm << 16 | opcode << 11 | vn << 5 | vd)

    def vmisc(self, u: int, size: int, opcode: int, vd: int, vn: int, q: bool = True) -> None:
        """The "two-register miscellaneous" group (not, neg, abs, cnt, fabs, frint*, scvtf, fcvtz*, and with
        ``q`` False the narrowing forms' low half, which zero the upper one: xtn, sqxtn, fcvtn, fcvtl)."""
        self.emit(0x0E200800 | q << 30 | u << 29 | size << 22 | opcode << 12 | vn << 5 | vd)

    def vlong(self, u: int, size: int, opcode: int, vd: int, vn: int, vm: int, high: bool = False) -> None:
        """The "three different" group: smull/umull (opcode 0b1100) of the low (or ``high``) half's lanes of
        size ``size`` into lanes twice as wide."""
        self.emit(0x0E200000 | high << 30 | u << 29 | size << 22 | vm << 16 | opcode << 12 | vn << 5 | vd)

    def vlogic(self, op: str, vd: int, vn: int, vm: int) -> None:
        """and/bic/orr/orn/eor/bsl/bit/bif on 16 bytes."""
        u, size = {"and": (0, 0), "bic": (0, 1), "orr": (0, 2), "orn": (0, 3), "eor": (1, 0), "bsl": (1, 1),
                   "bit": (1, 2), "bif": (1, 3)}[op]
        self.vthree(u, size, 3, vd, vn, vm)

    def vacross(self, u: int, size: int, opcode: int, vd: int, vn: int) -> None:
        """Across-lanes reductions into a scalar (umaxv, uminv, addv), the rest of ``vd`` zeroed."""
        self.emit(0x4E300800 | u << 29 | size << 22 | opcode << 12 | vn << 5 | vd)

    @staticmethod
    def _imm5(lane: int, size: int) -> int:
        return (lane << (size + 1) | 1 << size) & 0x1F

    def ins_gp(self, vd: int, lane: int, size: int, rn: int) -> None:
        """``mov vd.T[lane], wn|xn``."""
        self.emit(0x4E001C00 | self._imm5(lane, size) << 16 | rn << 5 | vd)

    def ins_elem(self, vd: int, dlane: int, vn: int, slane: int, size: int) -> None:
        """``mov vd.T[dlane], vn.T[slane]``."""
        self.emit(0x6E000400 | self._imm5(dlane, size) << 16 | (slane << size) << 11 | vn << 5 | vd)

    def umov(self, rd: int, vn: int, lane: int, size: int) -> None:
        """Lane to a general register, zero-extended (``x`` for 64-bit lanes, else ``w``)."""
        self.emit((0x4E003C00 if size == 3 else 0x0E003C00) | self._imm5(lane, size) << 16 | vn << 5 | rd)

    def smov(self, rd: int, vn: int, lane: int, size: int, w: bool = False) -> None:
        """Lane to a general register, sign-extended to 32 (or, ``w``, 64) bits."""
        self.emit(0x0E002C00 | w << 30 | self._imm5(lane, size) << 16 | vn << 5 | rd)

    def dup_gp(self, vd: int, rn: int, size: int) -> None:
        self.emit(0x4E000C00 | self._imm5(0, size) << 16 | rn << 5 | vd)

    def dup_elem(self, vd: int, vn: int, lane: int, size: int) -> None:
        self.emit(0x4E000400 | self._imm5(lane, size) << 16 | vn << 5 | vd)

    def dup_scalar(self, vd: int, vn: int, lane: int, size: int) -> None:
        """``mov sd|dd, vn.T[lane]`` (scalar dup: the lane to the bottom, the rest zeroed)."""
        self.emit(0x5E000400 | self._imm5(lane, size) << 16 | vn << 5 | vd)

    def tbl(self, vd: int, vn: int, vm: int, nregs: int = 1) -> None:
        """Byte table lookup in ``nregs`` consecutive registers from ``vn``; indices out of range give 0."""
        self.emit(0x4E000000 | vm << 16 | (nregs - 1) << 13 | vn << 5 | vd)

    def xtl(self, vd: int, vn: int, size: int, signed: bool, high: bool = False) -> None:
        """sxtl/uxtl (``high``: sxtl2/uxtl2): widen the lanes of size ``size`` of one half."""
        self.emit(0x0F00A400 | high << 30 | (not signed) << 29 | (8 << size) << 16 | vn << 5 | vd)

    def movi_zero(self, vd: int, ones: bool = False) -> None:
        """``movi vd.2d, #0`` (``ones``: all bits set)."""
        self.emit((0x6F07E7E0 if ones else 0x6F00E400) | vd)

    def nop(self) -> None:
        self.emit(0xD503201F)

    def patch_word(self, pos: int, word: int) -> None:
        _U32.pack_into(self.buf, pos, word & 0xFFFFFFFF)
