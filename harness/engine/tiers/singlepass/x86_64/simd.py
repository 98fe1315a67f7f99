"""x86-64 code for wasm 2.0's ``v128`` instructions (SSE2 to SSE4.2), added to the code generator's handlers.

A ``v128`` value lives where a float does: in an xmm register of the abstract stack, or in its 16-byte frame
slot.  Most lane operations are one or two instructions; the rest are short sequences (V8's and Winch's
choices, re-derived from the spec's lane semantics).  The few that have no reasonable sequence on SSE4.1
(``HELPER_OPS``) are *helper operations*: operands spilled, ``exec.simd``'s function run in Python through
the callback, the result read from the first slot -- bit-exact with the interpreter, and slow.

Scratch registers: ``xmm14``, ``xmm15`` (and ``r10``, ``r11``), as in the scalar code.
"""

from __future__ import annotations

from typing import Any

from ..simd_common import SimdHelper, common_handlers
from .encoder import R10, R11, Mem

X14, X15 = 14, 15

# lane operations without a direct instruction or a short sequence, computed by exec.simd in Python: none of
# wasm 2.0's any more (3.0's relaxed SIMD takes this path: ``fallback_handler``)
HELPER_OPS: frozenset[str] = frozenset()

# a op= b, result in a's register
_BINARY = {
    "i8x16.add": "paddb", "i8x16.sub": "psubb", "i8x16.add_sat_s": "paddsb", "i8x16.add_sat_u": "paddusb",
    "i8x16.sub_sat_s": "psubsb", "i8x16.sub_sat_u": "psubusb", "i8x16.min_s": "pminsb", "i8x16.min_u": "pminub",
    "i8x16.max_s": "pmaxsb", "i8x16.max_u": "pmaxub", "i8x16.avgr_u": "pavgb", "i8x16.eq": "pcmpeqb",
    "i8x16.gt_s": "pcmpgtb", "i8x16.narrow_i16x8_s": "packsswb", "i8x16.narrow_i16x8_u": "packuswb",
    "i16x8.add": "paddw", "i16x8.sub": "psubw", "i16x8.add_sat_s": "paddsw", "i16x8.add_sat_u": "paddusw",
    "i16x8.sub_sat_s": "psubsw", "i16x8.sub_sat_u": "psubusw", "i16x8.mul": "pmullw", "i16x8.min_s": "pminsw",
    "i16x8.min_u": "pminuw", "i16x8.max_s": "pmaxsw", "i16x8.max_u": "pmaxuw", "i16x8.avgr_u": "pavgw",
    "i16x8.eq": "pcmpeqw", "i16x8.gt_s": "pcmpgtw", "i16x8.narrow_i32x4_s": "packssdw",
    "i16x8.narrow_i32x4_u": "packusdw",
    "i32x4.add": "paddd", "i32x4.sub": "psubd", "i32x4.mul": "pmulld", "i32x4.min_s": "pminsd",
    "i32x4.min_u": "pminud", "i32x4.max_s": "pmaxsd", "i32x4.max_u": "pmaxud", "i32x4.eq": "pcmpeqd",
    "i32x4.gt_s": "pcmpgtd", "i32x4.dot_i16x8_s": "pmaddwd",
    "i64x2.add": "paddq", "i64x2.sub": "psubq", "i64x2.eq": "pcmpeqq", "i64x2.gt_s": "pcmpgtq",
    "v128.and": "pand", "v128.or": "por", "v128.xor": "pxor",
    "f32x4.add": "addps", "f32x4.sub": "subps", "f32x4.mul": "mulps", "f32x4.div": "divps",
    "f64x2.add": "addpd", "f64x2.sub": "subpd", "f64x2.mul": "mulpd", "f64x2.div": "divpd",
}
# b op= a, result in b's register (operands swapped: andnot, lt as gt, pmin/pmax as minps/maxps)
_SWAPPED = {
    "v128.andnot": "pandn", "i8x16.lt_s": "pcmpgtb", "i16x8.lt_s": "pcmpgtw", "i32x4.lt_s": "pcmpgtd",
    "i64x2.lt_s": "pcmpgtq", "f32x4.pmin": "minps", "f32x4.pmax": "maxps", "f64x2.pmin": "minpd",
    "f64x2.pmax": "maxpd",
}
# the negation of a compare: ne = not eq, le_s = not gt_s, ge_s = not lt_s
_NOT_OF = {}
for _s in ("i8x16", "i16x8", "i32x4", "i64x2"):
    _NOT_OF[f"{_s}.ne"] = f"{_s}.eq"
    _NOT_OF[f"{_s}.le_s"] = f"{_s}.gt_s"
    _NOT_OF[f"{_s}.ge_s"] = f"{_s}.lt_s"
_UNSIGNED_CMP = {"i8x16": ("pminub", "pmaxub", "pcmpeqb"), "i16x8": ("pminuw", "pmaxuw", "pcmpeqw"),
                 "i32x4": ("pminud", "pmaxud", "pcmpeqd")}
_FCMP = {"eq": (0, False), "ne": (4, False), "lt": (1, False), "le": (2, False), "gt": (1, True),
         "ge": (2, True)}  # cmpps predicate, operands swapped
_UNARY = {"i8x16.abs": "pabsb", "i16x8.abs": "pabsw", "i32x4.abs": "pabsd", "f32x4.sqrt": "sqrtps",
          "f64x2.sqrt": "sqrtpd", "f32x4.convert_i32x4_s": "cvtdq2ps", "f64x2.convert_low_i32x4_s": "cvtdq2pd",
          "f64x2.promote_low_f32x4": "cvtps2pd", "f32x4.demote_f64x2_zero": "cvtpd2ps"}
_ROUND = {"ceil": 10, "floor": 9, "trunc": 11, "nearest": 8}
_EXTEND = {"i16x8": ("pmovsxbw", "pmovzxbw"), "i32x4": ("pmovsxwd", "pmovzxwd"), "i64x2": ("pmovsxdq", "pmovzxdq")}
_LANE_BYTES = {"i8x16": 1, "i16x8": 2, "i32x4": 4, "i64x2": 8, "f32x4": 4, "f64x2": 8}
_SHIFT = {("i16x8", "shl"): "psllw", ("i16x8", "shr_s"): "psraw", ("i16x8", "shr_u"): "psrlw",
          ("i32x4", "shl"): "pslld", ("i32x4", "shr_s"): "psrad", ("i32x4", "shr_u"): "psrld",
          ("i64x2", "shl"): "psllq", ("i64x2", "shr_u"): "psrlq"}
_SUB = {"i8x16": "psubb", "i16x8": "psubw", "i32x4": "psubd", "i64x2": "psubq"}
_LOAD_EXTEND = {"v128.load8x8_s": "pmovsxbw", "v128.load8x8_u": "pmovzxbw", "v128.load16x4_s": "pmovsxwd",
                "v128.load16x4_u": "pmovzxwd", "v128.load32x2_s": "pmovsxdq", "v128.load32x2_u": "pmovzxdq"}
_SPLAT_BYTES = {"v128.load8_splat": 1, "v128.load16_splat": 2, "v128.load32_splat": 4, "v128.load64_splat": 8}


def _rep(value: int, width: int) -> int:
    return sum(value << (width * i) for i in range(128 // width))


class SimdMixin(SimdHelper):
    """The v128 handlers of ``FunctionCompiler`` (which provides the value stack and the assembler)."""

    a: Any
    stack: list

    # -- values ---------------------------------------------------------------------------------------
    def v128_const(self, xmm: int, value: int) -> None:
        """Materialise a 128-bit constant (pxor / pcmpeqd for the all-zero and all-one patterns)."""
        a = self.a
        if value == 0:
            a.vop("pxor", xmm, xmm)
        elif value == (1 << 128) - 1:
            a.vop("pcmpeqd", xmm, xmm)
        else:
            a.mov_ri(R11, value & ((1 << 64) - 1))
            a.movd_xr(xmm, R11, True)
            a.mov_ri(R11, value >> 64)
            a.pinsr(8, xmm, R11, 1)

    def ones(self, xmm: int) -> None:
        self.a.vop("pcmpeqd", xmm, xmm)

    def pop_v(self) -> int:
        return self.pop_reg()  # type: ignore[attr-defined]

    def push_v(self, reg: int) -> None:
        self.push_reg("v128", reg)  # type: ignore[attr-defined]

    def free_x(self, reg: int) -> None:
        self.free_xmms.append(reg)  # type: ignore[attr-defined]

    # -- memory ---------------------------------------------------------------------------------------
    def op_v128_load(self, ins: tuple) -> None:
        op = ins[0]
        addr = self.pop_reg()  # type: ignore[attr-defined]
        a = self.a
        if op == "v128.load":
            size = 16
        elif op in _LOAD_EXTEND:
            size = 8
        elif op in _SPLAT_BYTES:
            size = _SPLAT_BYTES[op]
        else:
            size = 4 if op == "v128.load32_zero" else 8
        mem = self.address(addr, ins[2], size)  # type: ignore[attr-defined]
        res = self.alloc("v128")  # type: ignore[attr-defined]
        if op == "v128.load":
            a.movdqu_load(res, mem)
        elif op in _LOAD_EXTEND:
            a.vop(_LOAD_EXTEND[op], res, mem)
        elif op == "v128.load32_zero":
            a.movd_xr(res, mem, False)
        elif op == "v128.load64_zero":
            a.movq_load(res, mem)
        elif size == 1:
            a.pinsr(1, res, mem, 0)
            a.vop("pxor", X15, X15)
            a.vop("pshufb", res, X15)
        elif size == 2:
            a.pinsr(2, res, mem, 0)
            a.vop("pshuflw", res, res, 0)
            a.vop("pshufd", res, res, 0)
        elif size == 4:
            a.movd_xr(res, mem, False)
            a.vop("pshufd", res, res, 0)
        else:
            a.movq_load(res, mem)
            a.vop("punpcklqdq", res, res)
        self.free_gprs.append(addr)  # type: ignore[attr-defined]
        self.push_v(res)

    def op_v128_store(self, ins: tuple) -> None:
        val = self.pop_v()
        addr = self.pop_reg()  # type: ignore[attr-defined]
        mem = self.address(addr, ins[2], 16)  # type: ignore[attr-defined]
        self.a.movdqu_store(mem, val)
        self.free_x(val)
        self.free_gprs.append(addr)  # type: ignore[attr-defined]

    def op_v128_load_lane(self, ins: tuple) -> None:
        size = int(ins[0][9:-5]) // 8  # v128.load16_lane
        lane = ins[3]
        val = self.pop_v()
        addr = self.pop_reg()  # type: ignore[attr-defined]
        mem = self.address(addr, ins[2], size)  # type: ignore[attr-defined]
        self.a.pinsr(size, val, mem, lane)
        self.free_gprs.append(addr)  # type: ignore[attr-defined]
        self.push_v(val)

    def op_v128_store_lane(self, ins: tuple) -> None:
        size = int(ins[0][10:-5]) // 8  # v128.store16_lane
        lane = ins[3]
        val = self.pop_v()
        addr = self.pop_reg()  # type: ignore[attr-defined]
        mem = self.address(addr, ins[2], size)  # type: ignore[attr-defined]
        if size == 8 and lane == 0:
            self.a.movs_store(mem, val, True)
        else:
            self.a.pextr(size, mem, val, lane)
        self.free_x(val)
        self.free_gprs.append(addr)  # type: ignore[attr-defined]

    # -- constants, splats, lanes ---------------------------------------------------------------------
    def op_v128_const(self, ins: tuple) -> None:
        self.push_const("v128", ins[1])  # type: ignore[attr-defined]

    def op_splat(self, ins: tuple) -> None:
        shape = ins[0][:5]
        a = self.a
        if shape in ("f32x4", "f64x2"):
            reg = self.pop_reg()  # type: ignore[attr-defined]
            if shape == "f32x4":
                a.vop("pshufd", reg, reg, 0)
            else:
                a.vop("punpcklqdq", reg, reg)
            self.push_v(reg)
            return
        src = self.pop_reg()  # type: ignore[attr-defined]
        res = self.alloc("v128")  # type: ignore[attr-defined]
        a.movd_xr(res, src, shape == "i64x2")
        if shape == "i8x16":
            a.vop("pxor", X15, X15)
            a.vop("pshufb", res, X15)
        elif shape == "i16x8":
            a.vop("pshuflw", res, res, 0)
            a.vop("pshufd", res, res, 0)
        elif shape == "i32x4":
            a.vop("pshufd", res, res, 0)
        else:
            a.vop("punpcklqdq", res, res)
        self.free_gprs.append(src)  # type: ignore[attr-defined]
        self.push_v(res)

    def op_extract_lane(self, ins: tuple) -> None:
        name, lane = ins[0], ins[1]
        shape = name[:5]
        size = _LANE_BYTES[shape]
        a = self.a
        v = self.pop_v()
        if shape == "f32x4":
            if lane:
                a.vop("pshufd", v, v, lane)
            self.push_reg("f32", v)  # type: ignore[attr-defined]
            return
        if shape == "f64x2":
            if lane:
                a.vop("pshufd", v, v, 0xEE)
            self.push_reg("f64", v)  # type: ignore[attr-defined]
            return
        t = "i64" if shape == "i64x2" else "i32"
        res = self.alloc(t)  # type: ignore[attr-defined]
        a.pextr(size, res, v, lane)
        if name.endswith("_s"):
            a.load_ext(res, res, size, True, False)
        self.free_x(v)
        self.push_reg(t, res)  # type: ignore[attr-defined]

    def op_replace_lane(self, ins: tuple) -> None:
        name, lane = ins[0], ins[1]
        shape = name[:5]
        size = _LANE_BYTES[shape]
        a = self.a
        x = self.pop()  # type: ignore[attr-defined]
        xreg = self.to_reg(x, len(self.stack))  # type: ignore[attr-defined]
        v = self.pop_v()
        if shape in ("f32x4", "f64x2"):
            a.movd_rx(R11, xreg, size == 8)
            a.pinsr(size, v, R11, lane)
            self.free_x(xreg)
        else:
            a.pinsr(size, v, xreg, lane)
            self.free_gprs.append(xreg)  # type: ignore[attr-defined]
        self.push_v(v)

    def op_shuffle(self, ins: tuple) -> None:
        lanes = ins[1]
        a = self.a
        vb = self.pop_v()
        va = self.pop_v()
        mask_a = sum((i if i < 16 else 0x80) << (8 * k) for k, i in enumerate(lanes))
        mask_b = sum((i - 16 if i >= 16 else 0x80) << (8 * k) for k, i in enumerate(lanes))
        self.v128_const(X14, mask_a)
        a.vop("pshufb", va, X14)
        self.v128_const(X14, mask_b)
        a.vop("pshufb", vb, X14)
        a.vop("por", va, vb)
        self.free_x(vb)
        self.push_v(va)

    def op_swizzle(self, ins: tuple) -> None:
        a = self.a
        s = self.pop_v()
        v = self.pop_v()
        self.v128_const(X15, _rep(0x70, 8))  # indices >= 16 saturate to >= 0x80: pshufb then gives 0
        a.vop("paddusb", s, X15)
        a.vop("pshufb", v, s)
        self.free_x(s)
        self.push_v(v)

    # -- tests ----------------------------------------------------------------------------------------
    def op_any_true(self, ins: tuple) -> None:
        v = self.pop_v()
        self.a.vop("ptest", v, v)
        self.free_x(v)
        self.push_flags("ne")  # type: ignore[attr-defined]

    def op_all_true(self, ins: tuple) -> None:
        shape = ins[0][:5]
        a = self.a
        v = self.pop_v()
        a.vop("pxor", X15, X15)
        a.vop({"i8x16": "pcmpeqb", "i16x8": "pcmpeqw", "i32x4": "pcmpeqd", "i64x2": "pcmpeqq"}[shape], X15, v)
        a.vop("ptest", X15, X15)
        self.free_x(v)
        self.push_flags("e")  # type: ignore[attr-defined]

    def op_bitmask(self, ins: tuple) -> None:
        shape = ins[0][:5]
        a = self.a
        v = self.pop_v()
        res = self.alloc("i32")  # type: ignore[attr-defined]
        if shape == "i8x16":
            a.vop("pmovmskb", res, v)
        elif shape == "i16x8":
            a.vop("packsswb", v, v)
            a.vop("pmovmskb", res, v)
            a.movzx8(res, res)
        elif shape == "i32x4":
            a.vop("movmskps", res, v)
        else:
            a.vop("movmskpd", res, v)
        self.free_x(v)
        self.push_reg("i32", res)  # type: ignore[attr-defined]

    # -- arithmetic -----------------------------------------------------------------------------------
    def op_vbinary(self, ins: tuple) -> None:
        b = self.pop_v()
        a_ = self.pop_v()
        self.a.vop(_BINARY[ins[0]], a_, b)
        self.free_x(b)
        self.push_v(a_)

    def op_vswapped(self, ins: tuple) -> None:
        b = self.pop_v()
        a_ = self.pop_v()
        self.a.vop(_SWAPPED[ins[0]], b, a_)
        self.free_x(a_)
        self.push_v(b)

    def op_vnot_of(self, ins: tuple) -> None:
        inner = _NOT_OF[ins[0]]
        (_BINARY_HANDLER if inner in _BINARY else _SWAPPED_HANDLER)(self, (inner,))
        self.op_vnot(ins)

    def op_vnot(self, ins: tuple) -> None:
        v = self.pop_v()
        self.ones(X15)
        self.a.vop("pxor", v, X15)
        self.push_v(v)

    def op_bitselect(self, ins: tuple) -> None:
        """(a & c) | (b & ~c)."""
        a = self.a
        c = self.pop_v()
        b = self.pop_v()
        v = self.pop_v()
        a.vop("pand", v, c)
        a.vop("pandn", c, b)
        a.vop("por", v, c)
        self.free_x(b)
        self.free_x(c)
        self.push_v(v)

    def op_unsigned_compare(self, ins: tuple) -> None:
        shape, op = ins[0][:5], ins[0][6:]
        pmin, pmax, pcmpeq = _UNSIGNED_CMP[shape]
        a = self.a
        b = self.pop_v()
        a_ = self.pop_v()
        # a <= b iff min(a, b) == a;  a >= b iff max(a, b) == a;  lt/gt are their negations
        a.movaps(X15, a_)
        a.vop(pmin if op in ("le_u", "gt_u") else pmax, X15, b)
        a.vop(pcmpeq, a_, X15)
        if op in ("lt_u", "gt_u"):
            self.ones(X15)
            a.vop("pxor", a_, X15)
        self.free_x(b)
        self.push_v(a_)

    def op_fcompare(self, ins: tuple) -> None:
        shape, op = ins[0][:5], ins[0][6:]
        pred, swap = _FCMP[op]
        b = self.pop_v()
        a_ = self.pop_v()
        dst, src = (b, a_) if swap else (a_, b)
        self.a.vop("cmpps" if shape == "f32x4" else "cmppd", dst, src, pred)
        self.free_x(src)
        self.push_v(dst)

    def op_vunary(self, ins: tuple) -> None:
        v = self.pop_v()
        self.a.vop(_UNARY[ins[0]], v, v)
        self.push_v(v)

    def op_vround(self, ins: tuple) -> None:
        shape, op = ins[0][:5], ins[0][6:]
        v = self.pop_v()
        self.a.vop("roundps" if shape == "f32x4" else "roundpd", v, v, _ROUND[op])
        self.push_v(v)

    def op_vneg(self, ins: tuple) -> None:
        shape = ins[0][:5]
        a = self.a
        v = self.pop_v()
        if shape in ("f32x4", "f64x2"):  # flip the sign bits
            self.ones(X15)
            a.vshift_i("pslld" if shape == "f32x4" else "psllq", X15, 31 if shape == "f32x4" else 63)
            a.vop("pxor", v, X15)
            self.push_v(v)
            return
        a.vop("pxor", X15, X15)
        a.vop(_SUB[shape], X15, v)
        a.movaps(v, X15)
        self.push_v(v)

    def op_fabs(self, ins: tuple) -> None:
        shape = ins[0][:5]
        a = self.a
        v = self.pop_v()
        self.ones(X15)
        a.vshift_i("psrld" if shape == "f32x4" else "psrlq", X15, 1)
        a.vop("pand", v, X15)
        self.push_v(v)

    def op_i64_abs(self, ins: tuple) -> None:
        a = self.a
        v = self.pop_v()
        a.vop("pxor", X15, X15)
        a.vop("pcmpgtq", X15, v)  # all ones where negative
        a.vop("pxor", v, X15)
        a.vop("psubq", v, X15)
        self.push_v(v)

    def op_i64_mul(self, ins: tuple) -> None:
        """(ah*2^32 + al)(bh*2^32 + bl) mod 2^64 = al*bl + ((ah*bl + al*bh) << 32), with pmuludq."""
        a = self.a
        b = self.pop_v()
        v = self.pop_v()
        a.movaps(X14, v)
        a.vshift_i("psrlq", X14, 32)
        a.vop("pmuludq", X14, b)  # ah * bl
        a.movaps(X15, b)
        a.vshift_i("psrlq", X15, 32)
        a.vop("pmuludq", X15, v)  # bh * al
        a.vop("paddq", X14, X15)
        a.vshift_i("psllq", X14, 32)
        a.vop("pmuludq", v, b)  # al * bl
        a.vop("paddq", v, X14)
        self.free_x(b)
        self.push_v(v)

    def op_q15mulr(self, ins: tuple) -> None:
        """pmulhrsw, except that 0x8000 * 0x8000 saturates to 0x7fff (pmulhrsw gives 0x8000)."""
        a = self.a
        b = self.pop_v()
        v = self.pop_v()
        a.vop("pmulhrsw", v, b)
        self.v128_const(X15, _rep(0x8000, 16))
        a.vop("pcmpeqw", X15, v)
        a.vop("pxor", v, X15)
        self.free_x(b)
        self.push_v(v)

    def op_vextend(self, ins: tuple) -> None:
        name = ins[0]  # i32x4.extend_high_i16x8_u
        signed = name.endswith("_s")
        v = self.pop_v()
        a = self.a
        op = _EXTEND[name[:5]][0 if signed else 1]
        if "_high_" in name:
            a.vop("pshufd", X15, v, 0xEE)
            a.vop(op, v, X15)
        else:
            a.vop(op, v, v)
        self.push_v(v)

    def op_extmul(self, ins: tuple) -> None:
        name = ins[0]  # i32x4.extmul_low_i16x8_s
        shape, signed, high = name[:5], name.endswith("_s"), "_high_" in name
        a = self.a
        b = self.pop_v()
        v = self.pop_v()
        if shape == "i16x8":
            ext = "pmovsxbw" if signed else "pmovzxbw"
            for reg in (v, b):
                if high:
                    a.vop("pshufd", reg, reg, 0xEE)
                a.vop(ext, reg, reg)
            a.vop("pmullw", v, b)
        elif shape == "i32x4":
            a.movaps(X15, v)
            a.vop("pmullw", v, b)
            a.vop("pmulhw" if signed else "pmulhuw", X15, b)
            a.vop("punpckhwd" if high else "punpcklwd", v, X15)
        else:
            order = 0xFA if high else 0x50  # lanes (2, 2, 3, 3) or (0, 0, 1, 1): pmuldq reads lanes 0 and 2
            a.vop("pshufd", v, v, order)
            a.vop("pshufd", b, b, order)
            a.vop("pmuldq" if signed else "pmuludq", v, b)
        self.free_x(b)
        self.push_v(v)

    def op_fminmax(self, ins: tuple) -> None:
        """wasm min/max: a NaN in either lane gives a NaN, -0 < +0 (minps/maxps return their second operand
        for both); computed both ways round and merged."""
        shape, op = ins[0][:5], ins[0][6:]
        d = shape == "f64x2"
        p = "pd" if d else "ps"
        a = self.a
        b = self.pop_v()
        v = self.pop_v()
        a.movaps(X15, b)
        if op == "min":
            a.vop("min" + p, X15, v)  # min(b, a)
            a.vop("min" + p, v, b)  # min(a, b)
            a.vop("or" + p, X15, v)  # -0 and NaN propagated
            a.movaps(v, X15)
            a.vop("cmp" + p, v, X15, 3)  # unordered: NaN lanes
            a.vop("or" + p, X15, v)
        else:
            a.vop("max" + p, X15, v)
            a.vop("max" + p, v, b)
            a.vop("xor" + p, v, X15)  # the lanes where the two orders disagree
            a.vop("or" + p, X15, v)
            a.vop("sub" + p, X15, v)  # +0 for (-0, +0); NaNs propagate
            a.movaps(v, X15)
            a.vop("cmp" + p, v, X15, 3)
        a.vshift_i("psrlq" if d else "psrld", v, 13 if d else 10)  # canonical NaN: clear the payload ...
        a.vop("andn" + p, v, X15)  # ... where the mask was set
        self.free_x(b)
        self.push_v(v)

    def op_trunc_sat_s(self, ins: tuple) -> None:
        """i32x4.trunc_sat_f32x4_s: NaN lanes to 0, cvttps2dq, positive overflow (0x80000000 from a
        non-negative lane) to 0x7fffffff."""
        a = self.a
        v = self.pop_v()
        a.movaps(X15, v)
        a.vop("cmpps", X15, X15, 0)  # ordered lanes
        a.vop("pand", v, X15)
        a.vop("pxor", X15, v)  # sign bit set where the lane is >= 0
        a.vop("cvttps2dq", v, v)
        a.vop("pand", X15, v)
        a.vshift_i("psrad", X15, 31)
        a.vop("pxor", v, X15)
        self.push_v(v)

    def op_vshift(self, ins: tuple) -> None:
        shape, op = ins[0][:5], ins[0][6:]
        bits = int(shape[1:3].rstrip("x"))
        instr = _SHIFT[shape, op]
        a = self.a
        count = self.pop()  # type: ignore[attr-defined]
        if count.kind == 0:  # CONST (codegen imports this module, so not by name)
            v = self.pop_v()
            a.vshift_i(instr, v, count.value & (bits - 1))
            self.push_v(v)
            return
        creg = self.to_reg(count, len(self.stack))  # type: ignore[attr-defined]
        v = self.pop_v()
        a.mov_rr(R10, creg, w=False)
        a.alu_ri("and", R10, bits - 1, False)
        a.movd_xr(X15, R10, False)
        a.vop(instr, v, X15)
        self.free_gprs.append(creg)  # type: ignore[attr-defined]
        self.push_v(v)

    # -- sequences for the operations SSE has no instruction for --------------------------------------
    def temp_x(self) -> int:
        """An xmm register for a sequence that needs more than the two scratch ones (freed by the caller)."""
        return self.alloc("v128")  # type: ignore[attr-defined]

    def op_popcnt(self, ins: tuple) -> None:
        """Per byte: a 16-entry table of nibble counts, looked up with pshufb for each nibble."""
        a = self.a
        v = self.pop_v()
        t = self.temp_x()
        nibble_counts = sum(bin(i).count("1") << (8 * i) for i in range(16))
        self.v128_const(X15, _rep(0x0F, 8))
        a.movaps(X14, v)
        a.vshift_i("psrlw", X14, 4)
        a.vop("pand", X14, X15)  # high nibbles
        a.vop("pand", v, X15)  # low nibbles
        self.v128_const(X15, nibble_counts)
        a.movaps(t, X15)
        a.vop("pshufb", t, v)
        a.vop("pshufb", X15, X14)
        a.vop("paddb", t, X15)
        a.movaps(v, t)
        self.free_x(t)
        self.push_v(v)

    def op_extadd(self, ins: tuple) -> None:
        name = ins[0]  # i32x4.extadd_pairwise_i16x8_u
        a = self.a
        v = self.pop_v()
        if name.startswith("i16x8"):
            self.v128_const(X15, _rep(1, 8))
            if name.endswith("_s"):  # pmaddubsw: unsigned bytes of the destination times signed bytes
                a.vop("pmaddubsw", X15, v)
                a.movaps(v, X15)
            else:
                a.vop("pmaddubsw", v, X15)
        else:
            if name.endswith("_u"):  # as signed (x - 0x8000), pairwise sums, then + 2 * 0x8000
                self.v128_const(X15, _rep(0x8000, 16))
                a.vop("pxor", v, X15)
            self.v128_const(X15, _rep(1, 16))
            a.vop("pmaddwd", v, X15)
            if name.endswith("_u"):
                self.v128_const(X15, _rep(0x10000, 32))
                a.vop("paddd", v, X15)
        self.push_v(v)

    def shift_count(self, bits: int) -> tuple[int | None, int | None]:
        """Pop an i32 shift count: (the constant count mod ``bits``, None) or (None, a general register
        holding it mod ``bits``, owned by the caller)."""
        count = self.pop()  # type: ignore[attr-defined]
        if count.kind == 0:  # CONST
            return count.value & (bits - 1), None
        reg = self.to_reg(count, len(self.stack))  # type: ignore[attr-defined]
        self.a.alu_ri("and", reg, bits - 1, False)
        return None, reg

    def op_i8_shift(self, ins: tuple) -> None:
        """Bytes shifted as words: shl/shr_u then mask off the bits that crossed from the neighbour byte;
        shr_s on each byte widened to the high half of a word (psraw by n + 8), packed back."""
        op = ins[0][6:]
        a = self.a
        n, creg = self.shift_count(8)
        v = self.pop_v()
        if creg is not None:
            if op == "shr_s":
                a.lea(R10, Mem(creg, 8), w=False)
            else:
                a.mov_rr(R10, creg, w=False)
            a.movd_xr(X14, R10, False)
        if op == "shr_s":
            a.movaps(X15, v)
            a.vop("punpckhbw", X15, X15)
            a.vop("punpcklbw", v, v)
            if creg is None:
                a.vshift_i("psraw", X15, n + 8)  # type: ignore[operator]
                a.vshift_i("psraw", v, n + 8)  # type: ignore[operator]
            else:
                a.vop("psraw", X15, X14)
                a.vop("psraw", v, X14)
            a.vop("packsswb", v, X15)
        else:
            word = "psllw" if op == "shl" else "psrlw"
            if creg is None:
                a.vshift_i(word, v, n)  # type: ignore[arg-type]
                mask = (0xFF << n) & 0xFF if op == "shl" else 0xFF >> n  # type: ignore[operator]
                self.v128_const(X15, _rep(mask, 8))
            else:
                a.vop(word, v, X14)
                a.mov_ri(R11, 0xFF, w=False)  # the byte mask, shifted the same way, broadcast
                a.movd_xr(X15, R11, False)
                a.vop(word, X15, X14)
                a.vop("pxor", X14, X14)
                a.vop("pshufb", X15, X14)
            a.vop("pand", v, X15)
        if creg is not None:
            self.free_gprs.append(creg)  # type: ignore[attr-defined]
        self.push_v(v)

    def op_i64_shr_s(self, ins: tuple) -> None:
        """No psraq on SSE: (x >>u n ^ m) - m with m = 2^63 >>u n sign-extends the shifted value."""
        a = self.a
        n, creg = self.shift_count(64)
        v = self.pop_v()
        self.v128_const(X15, _rep(1 << 63, 64))
        if creg is None:
            a.vshift_i("psrlq", v, n)  # type: ignore[arg-type]
            a.vshift_i("psrlq", X15, n)  # type: ignore[arg-type]
        else:
            a.movd_xr(X14, creg, False)
            a.vop("psrlq", v, X14)
            a.vop("psrlq", X15, X14)
            self.free_gprs.append(creg)  # type: ignore[attr-defined]
        a.vop("pxor", v, X15)
        a.vop("psubq", v, X15)
        self.push_v(v)

    def op_f32_convert_u(self, ins: tuple) -> None:
        """u32 -> f32: the high and low 16 bits convert exactly; hi * 65536 + lo rounds once."""
        a = self.a
        v = self.pop_v()
        a.movaps(X14, v)
        a.vshift_i("pslld", X14, 16)
        a.vshift_i("psrld", X14, 16)  # low halves
        a.vshift_i("psrld", v, 16)  # high halves
        a.vop("cvtdq2ps", v, v)
        self.v128_const(X15, _rep(0x47800000, 32))  # 65536.0
        a.vop("mulps", v, X15)
        a.vop("cvtdq2ps", X14, X14)
        a.vop("addps", v, X14)
        self.push_v(v)

    def op_f64_convert_low_u(self, ins: tuple) -> None:
        """u32 -> f64 exactly: the bits 0x43300000_xxxxxxxx are the double 2^52 + x; subtract 2^52."""
        a = self.a
        v = self.pop_v()
        a.vop("pmovzxdq", v, v)
        self.v128_const(X15, _rep(0x4330000000000000, 64))
        a.vop("por", v, X15)
        a.vop("subpd", v, X15)
        self.push_v(v)

    def op_trunc_sat_f32_u(self, ins: tuple) -> None:
        """f32 -> u32 saturating: NaN and negative lanes to 0 (maxps with 0 returns the 0 for a NaN), then
        lanes >= 2^31 are converted as x - 2^31 and added back; overflow saturates to 0xffffffff."""
        a = self.a
        v = self.pop_v()
        t = self.temp_x()
        a.vop("pxor", X15, X15)
        a.vop("maxps", v, X15)
        self.v128_const(X15, _rep(0x4F000000, 32))  # 2^31
        a.movaps(t, v)
        a.vop("subps", t, X15)  # x - 2^31
        a.vop("cmpps", X15, t, 2)  # 2^31 <= x - 2^31: overflow lanes
        a.vop("cvttps2dq", t, t)  # 0x80000000 where x - 2^31 is out of range (or NaN: none left)
        a.vop("pxor", t, X15)  # overflow lanes: 0x7fffffff
        a.vop("pxor", X15, X15)
        a.vop("pmaxsd", t, X15)  # lanes below 2^31 gave negative values: 0
        a.vop("cvttps2dq", v, v)  # lanes >= 2^31: 0x80000000
        a.vop("paddd", v, t)
        self.free_x(t)
        self.push_v(v)

    def op_trunc_sat_f64_zero(self, ins: tuple) -> None:
        a = self.a
        v = self.pop_v()
        if ins[0].endswith("_s_zero"):
            a.movaps(X15, v)
            a.vop("cmppd", X15, X15, 0)  # ordered lanes
            self.v128_const(X14, _rep(0x41DFFFFFFFC00000, 64))  # 2147483647.0
            a.vop("andpd", X15, X14)  # the limit, or 0 for a NaN lane
            a.vop("minpd", v, X15)  # minpd returns its second operand for a NaN: 0
            a.vop("cvttpd2dq", v, v)  # too negative: 0x80000000, the minimum; upper lanes zeroed
        else:
            a.vop("pxor", X15, X15)
            a.vop("maxpd", v, X15)  # NaN and negative lanes: 0
            self.v128_const(X14, _rep(0x41EFFFFFFFE00000, 64))  # 4294967295.0
            a.vop("minpd", v, X14)
            a.vop("roundpd", v, v, 11)  # toward zero
            self.v128_const(X14, _rep(0x4330000000000000, 64))  # + 2^52: the integer in the low 32 bits
            a.vop("addpd", v, X14)
            a.vop("shufps", v, X15, 0x88)  # low dwords of both lanes, then zeros
        self.push_v(v)


_BINARY_HANDLER = SimdMixin.op_vbinary
_SWAPPED_HANDLER = SimdMixin.op_vswapped


def simd_handlers() -> dict[str, Any]:
    """wasm instruction name -> handler, for every v128 instruction this code generator emits."""
    S = SimdMixin
    h = common_handlers(S, (*_LOAD_EXTEND, *_SPLAT_BYTES))
    h.update({"i64x2.abs": S.op_i64_abs, "i64x2.mul": S.op_i64_mul, "i16x8.q15mulr_sat_s": S.op_q15mulr,
              "i32x4.trunc_sat_f32x4_s": S.op_trunc_sat_s})
    for shape in ("i8x16", "i16x8", "i32x4", "i64x2"):
        h[f"{shape}.all_true"] = S.op_all_true
        h[f"{shape}.bitmask"] = S.op_bitmask
        h[f"{shape}.neg"] = S.op_vneg
    for op in _BINARY:
        h[op] = S.op_vbinary
    for op in _SWAPPED:
        h[op] = S.op_vswapped
    for op in _NOT_OF:
        h[op] = S.op_vnot_of
    for shape in _UNSIGNED_CMP:
        for op in ("lt_u", "gt_u", "le_u", "ge_u"):
            h[f"{shape}.{op}"] = S.op_unsigned_compare
    for shape in ("f32x4", "f64x2"):
        for op in _FCMP:
            h[f"{shape}.{op}"] = S.op_fcompare
        for op in _ROUND:
            h[f"{shape}.{op}"] = S.op_vround
        h[f"{shape}.neg"] = S.op_vneg
        h[f"{shape}.abs"] = S.op_fabs
        h[f"{shape}.min"] = h[f"{shape}.max"] = S.op_fminmax
    for op in _UNARY:
        h[op] = S.op_vunary
    for shape in _EXTEND:
        for half in ("low", "high"):
            for s in ("s", "u"):
                src = {"i16x8": "i8x16", "i32x4": "i16x8", "i64x2": "i32x4"}[shape]
                h[f"{shape}.extend_{half}_{src}_{s}"] = S.op_vextend
                h[f"{shape}.extmul_{half}_{src}_{s}"] = S.op_extmul
    for shape, op in _SHIFT:
        h[f"{shape}.{op}"] = S.op_vshift
    h.update({"i8x16.popcnt": S.op_popcnt, "i8x16.shl": S.op_i8_shift, "i8x16.shr_s": S.op_i8_shift,
              "i8x16.shr_u": S.op_i8_shift, "i64x2.shr_s": S.op_i64_shr_s, "f32x4.convert_i32x4_u": S.op_f32_convert_u,
              "f64x2.convert_low_i32x4_u": S.op_f64_convert_low_u, "i32x4.trunc_sat_f32x4_u": S.op_trunc_sat_f32_u,
              "i32x4.trunc_sat_f64x2_s_zero": S.op_trunc_sat_f64_zero,
              "i32x4.trunc_sat_f64x2_u_zero": S.op_trunc_sat_f64_zero})
    for op in ("i16x8.extadd_pairwise_i8x16_s", "i16x8.extadd_pairwise_i8x16_u", "i32x4.extadd_pairwise_i16x8_s",
               "i32x4.extadd_pairwise_i16x8_u"):
        h[op] = S.op_extadd
    for op in HELPER_OPS:
        h[op] = S.op_simd_helper
    return h
