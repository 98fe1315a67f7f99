"""An x86-64 instruction encoder: the machine-code bytes of the instruction forms the singlepass code generator
emits, written straight into a buffer (no assembler process, no text).

Why our own: a baseline compiler's speed is its encoder's speed, and the forms it needs are few.  Every method
here is one instruction form; ``tests/engine/test_singlepass_encoder.py`` disassembles each with capstone.
Registers are numbers (0-15, ``RAX``..``R15`` for general registers, the same numbers for ``xmm0``-``xmm15``);
a memory operand is a :class:`Mem`.  ``w`` selects the 64-bit operand size (REX.W), otherwise 32-bit.
Branches take a :class:`Label`; forward references are patched when the label is bound.
"""

from __future__ import annotations

import struct

RAX, RCX, RDX, RBX, RSP, RBP, RSI, RDI = range(8)
R8, R9, R10, R11, R12, R13, R14, R15 = range(8, 16)

# condition codes (the low nibble of Jcc/SETcc/CMOVcc)
CC = {"o": 0, "no": 1, "b": 2, "ae": 3, "e": 4, "ne": 5, "be": 6, "a": 7, "s": 8, "ns": 9, "p": 10, "np": 11,
      "l": 12, "ge": 13, "le": 14, "g": 15}

_ALU = {"add": 0, "or": 1, "and": 4, "sub": 5, "xor": 6, "cmp": 7}
_SHIFT = {"rol": 0, "ror": 1, "shl": 4, "shr": 5, "sar": 7}
_S32 = struct.Struct("<i")
_I32_MIN, _I32_MAX = -(1 << 31), (1 << 31) - 1


def fits_i32(v: int) -> bool:
    return _I32_MIN <= v <= _I32_MAX


def _fits_i8(v: int) -> bool:
    return -128 <= v <= 127


class Mem:
    """``[base + index*scale + disp]``; ``base`` None with ``rip`` True is ``[rip + disp]`` to a label."""

    __slots__ = ("base", "index", "scale", "disp")

    def __init__(self, base: int, disp: int = 0, index: int | None = None, scale: int = 1):
        self.base = base
        self.disp = disp
        self.index = index
        self.scale = scale


class Label:
    """A code position, bound once; uses before binding are patched then."""

    __slots__ = ("pos", "uses")

    def __init__(self) -> None:
        self.pos: int | None = None
        self.uses: list[tuple[int, int]] = []  # (position of a rel32 field, position it is relative to)


class Assembler:
    """A growing buffer of machine code with labels."""

    def __init__(self) -> None:
        self.buf = bytearray()

    # -- labels ---------------------------------------------------------------------------------------
    def bind(self, label: Label) -> None:
        pos = label.pos = len(self.buf)
        for field, base in label.uses:
            self.buf[field : field + 4] = _S32.pack(pos - base)
        label.uses.clear()

    def _rel32(self, label: Label, base: int | None = None) -> None:
        """A 4-byte displacement to ``label`` relative to ``base`` (default: the end of this field)."""
        field = len(self.buf)
        base = field + 4 if base is None else base
        self.buf += b"\0\0\0\0"
        if label.pos is not None:
            self.buf[field : field + 4] = _S32.pack(label.pos - base)
        else:
            label.uses.append((field, base))

    def patch_i32(self, field: int, value: int) -> None:
        self.buf[field : field + 4] = _S32.pack(value)

    # -- operand encoding -------------------------------------------------------------------------------
    def _emit(self, opcode: bytes, reg: int, rm: int | Mem, w: bool = False, prefix: bytes = b"",
              byte_regs: bool = False, imm_size: int = 0) -> None:
        """prefix, REX, opcode, ModRM (+SIB, displacement) for ``reg`` and register-or-memory ``rm``.

        ``byte_regs``: 8-bit register operands, where registers 4-7 need a REX to mean spl..dil;
        ``imm_size``: bytes of immediate that follow (for a rip-relative displacement's base)."""
        b = self.buf
        b += prefix
        rex = 0x48 if w else 0x40
        if reg & 8:
            rex |= 4
        if isinstance(rm, Mem):
            if rm.index is not None and rm.index & 8:
                rex |= 2
            if rm.base is not None and rm.base & 8:
                rex |= 1
        elif rm & 8:
            rex |= 1
        if rex != 0x40 or (byte_regs and ((4 <= reg < 8) or (not isinstance(rm, Mem) and 4 <= rm < 8))):
            b.append(rex)
        b += opcode
        r = (reg & 7) << 3
        if not isinstance(rm, Mem):
            b.append(0xC0 | r | (rm & 7))
            return
        if rm.base is None:  # rip-relative: disp is a Label
            b.append(0x05 | r)
            field = len(b)
            self._rel32(rm.disp, field + 4 + imm_size)
            return
        base, disp, index = rm.base, rm.disp, rm.index
        if disp == 0 and (base & 7) != RBP:
            mod, dbytes = 0x00, b""
        elif _fits_i8(disp):
            mod, dbytes = 0x40, struct.pack("<b", disp)
        else:
            mod, dbytes = 0x80, _S32.pack(disp)
        if index is None and (base & 7) != RSP:
            b.append(mod | r | (base & 7))
        else:
            if index is None:
                sib = 0x20 | (base & 7)  # no index (index field 100)
            else:
                if index == RSP:
                    raise ValueError("rsp cannot be an index register")
                sib = ({1: 0, 2: 1, 4: 2, 8: 3}[rm.scale] << 6) | ((index & 7) << 3) | (base & 7)
            b.append(mod | r | 4)
            b.append(sib)
        b += dbytes

    # -- moves ----------------------------------------------------------------------------------------
    def mov_rr(self, dst: int, src: int, w: bool = True) -> None:
        self._emit(b"\x89", src, dst, w)

    def mov_ri(self, dst: int, imm: int, w: bool = True) -> None:
        """The shortest move of a constant: 32-bit (zero-extends), sign-extended 32-bit, or 64-bit."""
        if not w:
            imm &= 0xFFFFFFFF
        if 0 <= imm <= 0xFFFFFFFF:
            if dst & 8:
                self.buf.append(0x41)
            self.buf.append(0xB8 | (dst & 7))
            self.buf += struct.pack("<I", imm)
            return
        if imm >= 1 << 63:
            imm -= 1 << 64
        if fits_i32(imm):
            self._emit(b"\xc7", 0, dst, True)
            self.buf += _S32.pack(imm)
            return
        self.buf.append(0x49 if dst & 8 else 0x48)
        self.buf.append(0xB8 | (dst & 7))
        self.buf += struct.pack("<q", imm)

    def load(self, dst: int, mem: Mem, w: bool = True) -> None:
        self._emit(b"\x8b", dst, mem, w)

    def store(self, mem: Mem, src: int, w: bool = True) -> None:
        self._emit(b"\x89", src, mem, w)

    def store_i32(self, mem: Mem, imm: int, w: bool = True) -> None:
        """``mov [mem], imm32`` (sign-extended to 64 bits with ``w``)."""
        self._emit(b"\xc7", 0, mem, w, imm_size=4)
        self.buf += _S32.pack(imm)

    def store8(self, mem: Mem, src: int) -> None:
        self._emit(b"\x88", src, mem, byte_regs=True)

    def store16(self, mem: Mem, src: int) -> None:
        self._emit(b"\x89", src, mem, prefix=b"\x66")

    def load_ext(self, dst: int, mem: Mem | int, size: int, signed: bool, w: bool) -> None:
        """movzx/movsx of an 8- or 16-bit value, or movsxd of a 32-bit one (register or memory source)."""
        if size == 4:
            self._emit(b"\x63", dst, mem, True)
            return
        op = {(1, False): b"\x0f\xb6", (2, False): b"\x0f\xb7", (1, True): b"\x0f\xbe", (2, True): b"\x0f\xbf"}
        self._emit(op[size, signed], dst, mem, w, byte_regs=size == 1)

    def lea(self, dst: int, mem: Mem, w: bool = True) -> None:
        self._emit(b"\x8d", dst, mem, w)

    def push(self, reg: int) -> None:
        if reg & 8:
            self.buf.append(0x41)
        self.buf.append(0x50 | (reg & 7))

    def pop(self, reg: int) -> None:
        if reg & 8:
            self.buf.append(0x41)
        self.buf.append(0x58 | (reg & 7))

    def push_m(self, mem: Mem) -> None:
        self._emit(b"\xff", 6, mem)

    def pop_m(self, mem: Mem) -> None:
        """``pop [mem]`` (an ``rsp``-based address is taken after the pop: push m1; pop m2 copies m1 to m2)."""
        self._emit(b"\x8f", 0, mem)

    # -- integer arithmetic ---------------------------------------------------------------------------
    def alu_rr(self, op: str, dst: int, src: int, w: bool) -> None:
        self._emit(bytes((_ALU[op] << 3 | 1,)), src, dst, w)

    def alu_rm(self, op: str, dst: int, mem: Mem, w: bool) -> None:
        self._emit(bytes((_ALU[op] << 3 | 3,)), dst, mem, w)

    def alu_ri(self, op: str, dst: int | Mem, imm: int, w: bool) -> None:
        """``op dst, imm``: imm8 when it fits, else imm32 (sign-extended with ``w``)."""
        if _fits_i8(imm):
            self._emit(b"\x83", _ALU[op], dst, w, imm_size=1)
            self.buf += struct.pack("<b", imm)
        else:
            self._emit(b"\x81", _ALU[op], dst, w, imm_size=4)
            self.buf += _S32.pack(imm)

    def test_rr(self, a: int, b: int, w: bool) -> None:
        self._emit(b"\x85", b, a, w)

    def imul_rr(self, dst: int, src: int | Mem, w: bool) -> None:
        """``imul dst, src`` (a register or memory source)."""
        self._emit(b"\x0f\xaf", dst, src, w)

    def imul_rri(self, dst: int, src: int, imm: int, w: bool) -> None:
        self._emit(b"\x69", dst, src, w, imm_size=4)
        self.buf += _S32.pack(imm)

    def unary(self, op: str, reg: int, w: bool) -> None:
        """not, neg, mul, imul (one operand), div, idiv: group 3 (F7 /n)."""
        self._emit(b"\xf7", {"not": 2, "neg": 3, "div": 6, "idiv": 7}[op], reg, w)

    def sign_extend_rax(self, w: bool) -> None:
        """cdq (w=False) or cqo (w=True): rdx:rax from rax's sign."""
        if w:
            self.buf.append(0x48)
        self.buf.append(0x99)

    def shift_cl(self, op: str, reg: int, w: bool) -> None:
        self._emit(b"\xd3", _SHIFT[op], reg, w)

    def shift_i(self, op: str, reg: int, imm: int, w: bool) -> None:
        self._emit(b"\xc1", _SHIFT[op], reg, w, imm_size=1)
        self.buf.append(imm & 0xFF)

    def bit_scan(self, op: str, dst: int, src: int, w: bool) -> None:
        """bsf, bsr, popcnt."""
        prefix, code = {"bsf": (b"", b"\x0f\xbc"), "bsr": (b"", b"\x0f\xbd"), "popcnt": (b"\xf3", b"\x0f\xb8")}[op]
        self._emit(code, dst, src, w, prefix=prefix)

    def setcc(self, cc: str, reg: int) -> None:
        self._emit(bytes((0x0F, 0x90 | CC[cc])), 0, reg, byte_regs=True)

    def movzx8(self, dst: int, src: int) -> None:
        self._emit(b"\x0f\xb6", dst, src, False, byte_regs=True)

    def cmov(self, cc: str, dst: int, src: int, w: bool) -> None:
        self._emit(bytes((0x0F, 0x40 | CC[cc])), dst, src, w)

    # -- control --------------------------------------------------------------------------------------
    def jmp(self, label: Label) -> None:
        self.buf.append(0xE9)
        self._rel32(label)

    def jcc(self, cc: str, label: Label) -> None:
        self.buf += bytes((0x0F, 0x80 | CC[cc]))
        self._rel32(label)

    def call(self, label: Label) -> None:
        self.buf.append(0xE8)
        self._rel32(label)

    def call_r(self, target: int | Mem) -> None:
        self._emit(b"\xff", 2, target)

    def jmp_r(self, target: int | Mem) -> None:
        self._emit(b"\xff", 4, target)

    def ret(self) -> None:
        self.buf.append(0xC3)

    def ud2(self) -> None:
        self.buf += b"\x0f\x0b"

    def rep_string(self, op: str) -> None:
        """``rep movsb`` (copy rcx bytes from [rsi] to [rdi]) or ``rep stosb`` (store al into rcx bytes at
        [rdi]), in the direction the direction flag says."""
        self.buf += {"movsb": b"\xf3\xa4", "stosb": b"\xf3\xaa"}[op]

    def direction(self, down: bool) -> None:
        """std (string operations go down) or cld (up, what the C ABI expects at every call and return)."""
        self.buf.append(0xFD if down else 0xFC)

    def lea_rip(self, dst: int, label: Label) -> None:
        self._emit(b"\x8d", dst, Mem(None, label), True)  # type: ignore[arg-type]

    def table_entry(self, label: Label, table: Label) -> None:
        """A 4-byte jump-table entry: ``label``'s offset from the table's start."""
        assert table.pos is not None
        self._rel32(label, table.pos)

    # -- SSE ------------------------------------------------------------------------------------------
    def movd_xr(self, xmm: int, reg: int, w: bool) -> None:
        """movd/movq xmm, r32/r64."""
        self._emit(b"\x0f\x6e", xmm, reg, w, prefix=b"\x66")

    def movd_rx(self, reg: int, xmm: int, w: bool) -> None:
        """movd/movq r32/r64, xmm."""
        self._emit(b"\x0f\x7e", xmm, reg, w, prefix=b"\x66")

    def movs_load(self, xmm: int, mem: Mem, double: bool) -> None:
        self._emit(b"\x0f\x10", xmm, mem, prefix=b"\xf2" if double else b"\xf3")

    def movs_store(self, mem: Mem, xmm: int, double: bool) -> None:
        self._emit(b"\x0f\x11", xmm, mem, prefix=b"\xf2" if double else b"\xf3")

    def movaps(self, dst: int, src: int) -> None:
        self._emit(b"\x0f\x28", dst, src)

    def sse(self, op: str, dst: int, src: int, double: bool) -> None:
        """Scalar arithmetic: add, sub, mul, div, min, max, sqrt (ss/sd)."""
        code = {"add": 0x58, "mul": 0x59, "sub": 0x5C, "min": 0x5D, "div": 0x5E, "max": 0x5F, "sqrt": 0x51}[op]
        self._emit(bytes((0x0F, code)), dst, src, prefix=b"\xf2" if double else b"\xf3")

    def logic_p(self, op: str, dst: int, src: int, double: bool) -> None:
        """Bitwise andps/andnps/orps/xorps (pd with ``double``: the same bits, the type's domain)."""
        code = {"and": 0x54, "andn": 0x55, "or": 0x56, "xor": 0x57}[op]
        self._emit(bytes((0x0F, code)), dst, src, prefix=b"\x66" if double else b"")

    def ucomis(self, a: int, b: int, double: bool) -> None:
        self._emit(b"\x0f\x2e", a, b, prefix=b"\x66" if double else b"")

    def round_s(self, dst: int, src: int, mode: int, double: bool) -> None:
        """roundss/roundsd (SSE4.1) with an immediate rounding mode (8 | 0 nearest, 1 down, 2 up, 3 toward 0)."""
        self._emit(b"\x0f\x3a\x0b" if double else b"\x0f\x3a\x0a", dst, src, prefix=b"\x66", imm_size=1)
        self.buf.append(mode)

    def cvt_int_to_float(self, xmm: int, reg: int, double: bool, w: bool) -> None:
        """cvtsi2ss/cvtsi2sd from a signed 32- or 64-bit register."""
        self._emit(b"\x0f\x2a", xmm, reg, w, prefix=b"\xf2" if double else b"\xf3")

    def cvt_float_to_int(self, reg: int, xmm: int, double: bool, w: bool) -> None:
        """cvttss2si/cvttsd2si (truncating) to a signed 32- or 64-bit register."""
        self._emit(b"\x0f\x2c", reg, xmm, w, prefix=b"\xf2" if double else b"\xf3")

    def cvt_float_width(self, dst: int, src: int, to_double: bool) -> None:
        """cvtss2sd (``to_double``) or cvtsd2ss."""
        self._emit(b"\x0f\x5a", dst, src, prefix=b"\xf3" if to_double else b"\xf2")

    # -- SSE packed (v128): SSE2, SSSE3, SSE4.1 and SSE4.2's pcmpgtq ------------------------------------
    def vop(self, name: str, dst: int, src: int | Mem, imm: int | None = None) -> None:
        """``name dst, src`` (an xmm or memory source; ``movmskps``/``pmovmskb`` put a general register in
        ``dst``), with an 8-bit immediate for the forms that take one (``VOPS``)."""
        prefix, opcode, has_imm = VOPS[name]
        if has_imm != (imm is not None):
            raise ValueError(f"{name} {'needs' if has_imm else 'takes no'} immediate")
        self._emit(opcode, dst, src, prefix=prefix, imm_size=1 if has_imm else 0)
        if has_imm:
            self.buf.append(imm & 0xFF)  # type: ignore[operator]

    def vshift_i(self, name: str, xmm: int, imm: int) -> None:
        """Packed shift of every lane (or, ``pslldq``/``psrldq``, of the whole register in bytes) by an
        immediate count."""
        opcode, ext = VSHIFT_I[name]
        self._emit(opcode, ext, xmm, prefix=b"\x66", imm_size=1)
        self.buf.append(imm & 0xFF)

    def movdqu_load(self, xmm: int, mem: Mem) -> None:
        self._emit(b"\x0f\x6f", xmm, mem, prefix=b"\xf3")

    def movdqu_store(self, mem: Mem, xmm: int) -> None:
        self._emit(b"\x0f\x7f", xmm, mem, prefix=b"\xf3")

    def movq_load(self, xmm: int, mem: Mem) -> None:
        """movq xmm, m64 (the upper half zeroed)."""
        self._emit(b"\x0f\x7e", xmm, mem, prefix=b"\xf3")

    def movq_xx(self, dst: int, src: int) -> None:
        """movq xmm, xmm: the low 64 bits, the upper half zeroed."""
        self._emit(b"\x0f\x7e", dst, src, prefix=b"\xf3")

    def pinsr(self, size: int, xmm: int, src: int | Mem, lane: int) -> None:
        """pinsrb/pinsrw/pinsrd/pinsrq: lane ``lane`` of ``xmm`` from a general register or memory."""
        op = {1: b"\x0f\x3a\x20", 2: b"\x0f\xc4", 4: b"\x0f\x3a\x22", 8: b"\x0f\x3a\x22"}[size]
        self._emit(op, xmm, src, w=size == 8, prefix=b"\x66", imm_size=1)
        self.buf.append(lane)

    def pextr(self, size: int, dst: int | Mem, xmm: int, lane: int) -> None:
        """pextrb/pextrw/pextrd/pextrq: lane ``lane`` of ``xmm`` into a general register (zero-extended) or
        memory."""
        op = {1: b"\x0f\x3a\x14", 2: b"\x0f\x3a\x15", 4: b"\x0f\x3a\x16", 8: b"\x0f\x3a\x16"}[size]
        self._emit(op, xmm, dst, w=size == 8, prefix=b"\x66", imm_size=1)
        self.buf.append(lane)


# name: (mandatory prefix, opcode, takes an imm8); ModRM.reg is the destination, ModRM.rm the source
_P66, _PF2, _PF3 = b"\x66", b"\xf2", b"\xf3"
VOPS: dict[str, tuple[bytes, bytes, bool]] = {}
for _name, _code in (("paddb", 0xFC), ("paddw", 0xFD), ("paddd", 0xFE), ("paddq", 0xD4), ("psubb", 0xF8),
                     ("psubw", 0xF9), ("psubd", 0xFA), ("psubq", 0xFB), ("paddsb", 0xEC), ("paddsw", 0xED),
                     ("paddusb", 0xDC), ("paddusw", 0xDD), ("psubsb", 0xE8), ("psubsw", 0xE9), ("psubusb", 0xD8),
                     ("psubusw", 0xD9), ("pmullw", 0xD5), ("pmuludq", 0xF4), ("pmaddwd", 0xF5), ("pmulhw", 0xE5),
                     ("pmulhuw", 0xE4), ("pand", 0xDB), ("pandn", 0xDF), ("por", 0xEB), ("pxor", 0xEF),
                     ("pcmpeqb", 0x74), ("pcmpeqw", 0x75), ("pcmpeqd", 0x76), ("pcmpgtb", 0x64),
                     ("pcmpgtw", 0x65), ("pcmpgtd", 0x66), ("pminsw", 0xEA), ("pminub", 0xDA), ("pmaxsw", 0xEE),
                     ("pmaxub", 0xDE), ("pavgb", 0xE0), ("pavgw", 0xE3), ("packsswb", 0x63), ("packuswb", 0x67),
                     ("packssdw", 0x6B), ("punpcklbw", 0x60), ("punpcklwd", 0x61), ("punpckldq", 0x62),
                     ("punpcklqdq", 0x6C), ("punpckhbw", 0x68), ("punpckhwd", 0x69), ("punpckhdq", 0x6A),
                     ("punpckhqdq", 0x6D), ("psllw", 0xF1), ("pslld", 0xF2), ("psllq", 0xF3), ("psrlw", 0xD1),
                     ("psrld", 0xD2), ("psrlq", 0xD3), ("psraw", 0xE1), ("psrad", 0xE2), ("pmovmskb", 0xD7),
                     ("movdqa", 0x6F), ("addpd", 0x58), ("subpd", 0x5C), ("mulpd", 0x59), ("divpd", 0x5E),
                     ("minpd", 0x5D), ("maxpd", 0x5F), ("sqrtpd", 0x51), ("andpd", 0x54), ("andnpd", 0x55),
                     ("orpd", 0x56), ("xorpd", 0x57), ("cvtpd2ps", 0x5A), ("cvttpd2dq", 0xE6), ("movmskpd", 0x50)):
    VOPS[_name] = (_P66, bytes((0x0F, _code)), False)
for _name, _code in (("pshufb", 0x00), ("pmaddubsw", 0x04), ("pmulhrsw", 0x0B), ("pabsb", 0x1C), ("pabsw", 0x1D), ("pabsd", 0x1E),
                     ("ptest", 0x17), ("pmovsxbw", 0x20), ("pmovsxwd", 0x23), ("pmovsxdq", 0x25),
                     ("pmovzxbw", 0x30), ("pmovzxwd", 0x33), ("pmovzxdq", 0x35), ("pmuldq", 0x28),
                     ("pcmpeqq", 0x29), ("packusdw", 0x2B), ("pminsb", 0x38), ("pminsd", 0x39), ("pminuw", 0x3A),
                     ("pminud", 0x3B), ("pmaxsb", 0x3C), ("pmaxsd", 0x3D), ("pmaxuw", 0x3E), ("pmaxud", 0x3F),
                     ("pmulld", 0x40), ("pcmpgtq", 0x37)):
    VOPS[_name] = (_P66, bytes((0x0F, 0x38, _code)), False)
for _name, _code in (("addps", 0x58), ("subps", 0x5C), ("mulps", 0x59), ("divps", 0x5E), ("minps", 0x5D),
                     ("maxps", 0x5F), ("sqrtps", 0x51), ("andps", 0x54), ("andnps", 0x55), ("orps", 0x56),
                     ("xorps", 0x57), ("cvtdq2ps", 0x5B), ("cvtps2pd", 0x5A), ("movmskps", 0x50)):
    VOPS[_name] = (b"", bytes((0x0F, _code)), False)
VOPS["cvttps2dq"] = (_PF3, b"\x0f\x5b", False)
VOPS["cvtdq2pd"] = (_PF3, b"\x0f\xe6", False)
VOPS["pshufd"] = (_P66, b"\x0f\x70", True)
VOPS["pshuflw"] = (_PF2, b"\x0f\x70", True)
VOPS["pshufhw"] = (_PF3, b"\x0f\x70", True)
VOPS["cmpps"] = (b"", b"\x0f\xc2", True)
VOPS["cmppd"] = (_P66, b"\x0f\xc2", True)
VOPS["shufps"] = (b"", b"\x0f\xc6", True)
VOPS["roundps"] = (_P66, b"\x0f\x3a\x08", True)
VOPS["roundpd"] = (_P66, b"\x0f\x3a\x09", True)
VOPS["palignr"] = (_P66, b"\x0f\x3a\x0f", True)
VOPS["insertps"] = (_P66, b"\x0f\x3a\x21", True)
VSHIFT_I = {"psrlw": (b"\x0f\x71", 2), "psraw": (b"\x0f\x71", 4), "psllw": (b"\x0f\x71", 6),
            "psrld": (b"\x0f\x72", 2), "psrad": (b"\x0f\x72", 4), "pslld": (b"\x0f\x72", 6),
            "psrlq": (b"\x0f\x73", 2), "psrldq": (b"\x0f\x73", 3), "psllq": (b"\x0f\x73", 6),
            "pslldq": (b"\x0f\x73", 7)}
