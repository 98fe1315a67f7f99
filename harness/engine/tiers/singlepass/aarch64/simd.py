"""aarch64 code for wasm 2.0's ``v128`` instructions (NEON), added to the code generator's handlers.

A ``v128`` value lives where a float does: in a SIMD&FP register of the abstract stack (``q``), or in its
16-byte frame slot.  Constants, every memory form, lane moves, splats, shuffles and swizzles, the bitwise
operations and the lane operations with one NEON instruction (or a compare and a ``not``) are native; the rest
are *helper operations* (``HELPER_OPS``): operands spilled, ``exec.simd``'s function run in Python through the
callback (``native.simd_helper``), the result read from the first slot -- bit-exact with the interpreter,
and slow.  ``helper_count()`` says how many of the 2.0 lane operations go that way.

Scratch registers: ``v30`` (an instruction's), ``v31`` (the moves'), ``x15``, ``x16``, as in the scalar code.
"""

from __future__ import annotations

from typing import Any

from ..simd_common import SimdHelper, common_handlers, simd_index

V30, V31 = 30, 31
X15, X16 = 15, 16
_SIZE = {"i8x16": 0, "i16x8": 1, "i32x4": 2, "i64x2": 3, "f32x4": 2, "f64x2": 3}
_INT_SHAPES = ("i8x16", "i16x8", "i32x4", "i64x2")

# three-same integer operations: op -> (u, opcode, shapes it exists for)
_ALL, _NO64 = _INT_SHAPES, _INT_SHAPES[:3]
_INT3 = {
    "add": (0, 0b10000, _ALL), "sub": (1, 0b10000, _ALL), "mul": (0, 0b10011, ("i16x8", "i32x4")),
    "eq": (1, 0b10001, _ALL), "gt_s": (0, 0b00110, _ALL), "ge_s": (0, 0b00111, _ALL),
    "gt_u": (1, 0b00110, _NO64), "ge_u": (1, 0b00111, _NO64),
    "min_s": (0, 0b01101, _NO64), "max_s": (0, 0b01100, _NO64), "min_u": (1, 0b01101, _NO64),
    "max_u": (1, 0b01100, _NO64), "add_sat_s": (0, 0b00001, ("i8x16", "i16x8")),
    "add_sat_u": (1, 0b00001, ("i8x16", "i16x8")), "sub_sat_s": (0, 0b00101, ("i8x16", "i16x8")),
    "sub_sat_u": (1, 0b00101, ("i8x16", "i16x8")), "avgr_u": (1, 0b00010, ("i8x16", "i16x8")),
}
_INT_SWAPPED = {"lt_s": "gt_s", "le_s": "ge_s", "lt_u": "gt_u", "le_u": "ge_u"}  # a op b = b op' a
_INT_NOT = {"ne": "eq"}
# three-same float operations: op -> (u, size high bit, opcode); the size field is (high bit, double)
_FLOAT3 = {"add": (0, 0, 0b11010), "sub": (0, 1, 0b11010), "mul": (1, 0, 0b11011), "div": (1, 0, 0b11111),
           "min": (0, 1, 0b11110), "max": (0, 0, 0b11110), "eq": (0, 0, 0b11100), "ge": (1, 0, 0b11100),
           "gt": (1, 1, 0b11100)}
_FLOAT_SWAPPED = {"lt": "gt", "le": "ge"}
# two-register miscellaneous: name -> (u, size field or None for the shape's, opcode)
_FLOAT1 = {"abs": (0, 1, 0b01111), "neg": (1, 1, 0b01111), "sqrt": (1, 1, 0b11111), "nearest": (0, 0, 0b11000),
           "floor": (0, 0, 0b11001), "ceil": (0, 1, 0b11000), "trunc": (0, 1, 0b11001)}
_MISC = {"i32x4.trunc_sat_f32x4_s": (0, 2, 0b11011), "i32x4.trunc_sat_f32x4_u": (1, 2, 0b11011),
         "f32x4.convert_i32x4_s": (0, 0, 0b11101), "f32x4.convert_i32x4_u": (1, 0, 0b11101),
         "i8x16.popcnt": (0, 0, 0b00101)}
_LOAD_EXTEND = {"v128.load8x8_s": (0, True), "v128.load8x8_u": (0, False), "v128.load16x4_s": (1, True),
                "v128.load16x4_u": (1, False), "v128.load32x2_s": (2, True), "v128.load32x2_u": (2, False)}
_SPLAT = {"v128.load8_splat": (1, "b"), "v128.load16_splat": (2, "h"), "v128.load32_splat": (4, "w"),
          "v128.load64_splat": (8, "x")}
_LANE_KIND = {1: "b", 2: "h", 4: "w", 8: "x"}


class SimdMixin(SimdHelper):
    """The v128 handlers of ``FunctionCompiler`` (which provides the value stack and the assembler)."""

    def v128_const(self, vreg: int, value: int) -> None:
        a = self.a  # type: ignore[attr-defined]
        mask = (1 << 64) - 1
        if value == 0 or value == (1 << 128) - 1:
            a.movi_zero(vreg, ones=bool(value))
            return
        a.mov_imm(X16, value & mask)
        a.fmov_to_fp(vreg, X16, True)  # the upper half zeroed
        if value >> 64:
            a.mov_imm(X16, value >> 64)
            a.ins_gp(vreg, 1, 3, X16)

    def op_v128_const(self, ins: tuple) -> None:
        self.push_const("v128", ins[1])  # type: ignore[attr-defined]

    # -- memory ------------------------------------------------------------------------------------------
    def op_v128_load(self, ins: tuple) -> None:
        op = ins[0]
        addr = self.pop_reg()  # type: ignore[attr-defined]
        if op in _SPLAT:
            size, kind = _SPLAT[op]
            self.access(kind, addr, addr, ins[2], size, False)  # type: ignore[attr-defined]
            res = self.alloc("v128")  # type: ignore[attr-defined]
            self.a.dup_gp(res, addr, size.bit_length() - 1)  # type: ignore[attr-defined]
        else:
            res = self.alloc("v128")  # type: ignore[attr-defined]
            if op == "v128.load":
                self.access("q", res, addr, ins[2], 16, False)  # type: ignore[attr-defined]
            elif op == "v128.load32_zero":
                self.access("s", res, addr, ins[2], 4, False)  # type: ignore[attr-defined]
            else:  # load64_zero and the extending loads: 8 bytes, the upper half zeroed
                self.access("d", res, addr, ins[2], 8, False)  # type: ignore[attr-defined]
                if op in _LOAD_EXTEND:
                    size, signed = _LOAD_EXTEND[op]
                    self.a.xtl(res, res, size, signed)  # type: ignore[attr-defined]
        self.free_gprs.append(addr)  # type: ignore[attr-defined]
        self.push_reg("v128", res)  # type: ignore[attr-defined]

    def op_v128_store(self, ins: tuple) -> None:
        v = self.pop_reg()  # type: ignore[attr-defined]
        addr = self.pop_reg()  # type: ignore[attr-defined]
        self.access("q", v, addr, ins[2], 16, True)  # type: ignore[attr-defined]
        self.free_vregs.append(v)  # type: ignore[attr-defined]
        self.free_gprs.append(addr)  # type: ignore[attr-defined]

    def op_v128_load_lane(self, ins: tuple) -> None:
        size = int(ins[0][9:-5]) // 8  # v128.load16_lane
        v = self.pop_reg()  # type: ignore[attr-defined]
        addr = self.pop_reg()  # type: ignore[attr-defined]
        self.access(_LANE_KIND[size], X15, addr, ins[2], size, False)  # type: ignore[attr-defined]
        self.a.ins_gp(v, ins[3], size.bit_length() - 1, X15)  # type: ignore[attr-defined]
        self.free_gprs.append(addr)  # type: ignore[attr-defined]
        self.push_reg("v128", v)  # type: ignore[attr-defined]

    def op_v128_store_lane(self, ins: tuple) -> None:
        size = int(ins[0][10:-5]) // 8  # v128.store16_lane
        v = self.pop_reg()  # type: ignore[attr-defined]
        addr = self.pop_reg()  # type: ignore[attr-defined]
        self.a.umov(X15, v, ins[3], size.bit_length() - 1)  # type: ignore[attr-defined]
        self.access(_LANE_KIND[size], X15, addr, ins[2], size, True)  # type: ignore[attr-defined]
        self.free_vregs.append(v)  # type: ignore[attr-defined]
        self.free_gprs.append(addr)  # type: ignore[attr-defined]

    # -- lanes ---------------------------------------------------------------------------------------------
    def op_splat(self, ins: tuple) -> None:
        shape = ins[0][:5]
        size = _SIZE[shape]
        src = self.pop_reg()  # type: ignore[attr-defined]
        if shape[0] == "f":
            self.a.dup_elem(src, src, 0, size)  # type: ignore[attr-defined]
            self.push_reg("v128", src)  # type: ignore[attr-defined]
            return
        res = self.alloc("v128")  # type: ignore[attr-defined]
        self.a.dup_gp(res, src, size)  # type: ignore[attr-defined]
        self.free_gprs.append(src)  # type: ignore[attr-defined]
        self.push_reg("v128", res)  # type: ignore[attr-defined]

    def op_extract_lane(self, ins: tuple) -> None:
        name, lane = ins[0], ins[1]
        shape = name[:5]
        size = _SIZE[shape]
        a = self.a  # type: ignore[attr-defined]
        v = self.pop_reg()  # type: ignore[attr-defined]
        if shape[0] == "f":
            a.dup_scalar(v, v, lane, size)
            self.push_reg(shape[0] + ("32" if size == 2 else "64"), v)  # type: ignore[attr-defined]
            return
        res = self.alloc("i64" if size == 3 else "i32")  # type: ignore[attr-defined]
        if name.endswith("_s"):
            a.smov(res, v, lane, size)
        else:
            a.umov(res, v, lane, size)
        self.free_vregs.append(v)  # type: ignore[attr-defined]
        self.push_reg("i64" if size == 3 else "i32", res)  # type: ignore[attr-defined]

    def op_replace_lane(self, ins: tuple) -> None:
        shape, lane = ins[0][:5], ins[1]
        size = _SIZE[shape]
        scalar = self.pop()  # type: ignore[attr-defined]
        t = scalar.type
        sreg = self.to_reg(scalar, len(self.stack))  # type: ignore[attr-defined]
        v = self.pop_reg()  # type: ignore[attr-defined]
        if shape[0] == "f":
            self.a.ins_elem(v, lane, sreg, 0, size)  # type: ignore[attr-defined]
        else:
            self.a.ins_gp(v, lane, size, sreg)  # type: ignore[attr-defined]
        self.free_reg(t, sreg)  # type: ignore[attr-defined]
        self.push_reg("v128", v)  # type: ignore[attr-defined]

    def op_shuffle(self, ins: tuple) -> None:
        """Both operands in v30, v31 (a table of 32 bytes), the lane indices as a constant: one ``tbl``."""
        a = self.a  # type: ignore[attr-defined]
        vb = self.pop_reg()  # type: ignore[attr-defined]
        va = self.pop_reg()  # type: ignore[attr-defined]
        a.vmov(V30, va)
        a.vmov(V31, vb)
        self.v128_const(va, sum(i << (8 * k) for k, i in enumerate(ins[1])))
        a.tbl(va, V30, va, 2)
        self.free_vregs.append(vb)  # type: ignore[attr-defined]
        self.push_reg("v128", va)  # type: ignore[attr-defined]

    def op_swizzle(self, ins: tuple) -> None:
        """``tbl`` gives 0 for indices >= 16, as wasm's swizzle wants."""
        vb = self.pop_reg()  # type: ignore[attr-defined]
        va = self.pop_reg()  # type: ignore[attr-defined]
        self.a.tbl(va, va, vb)  # type: ignore[attr-defined]
        self.free_vregs.append(vb)  # type: ignore[attr-defined]
        self.push_reg("v128", va)  # type: ignore[attr-defined]

    # -- lane operations ----------------------------------------------------------------------------------
    def binary(self, emit, swap: bool = False, invert: bool = False) -> None:
        """``a op b`` (``swap``: ``b op a``) into a's register; ``invert``: then ``not``."""
        vb = self.pop_reg()  # type: ignore[attr-defined]
        va = self.pop_reg()  # type: ignore[attr-defined]
        emit(va, vb, va) if swap else emit(va, va, vb)
        if invert:
            self.a.vmisc(1, 0, 0b00101, va, va)  # type: ignore[attr-defined]
        self.free_vregs.append(vb)  # type: ignore[attr-defined]
        self.push_reg("v128", va)  # type: ignore[attr-defined]

    def op_vint3(self, ins: tuple) -> None:
        shape, op = ins[0][:5], ins[0][6:]
        swap, invert = op in _INT_SWAPPED, op in _INT_NOT
        u, opcode, _ = _INT3[_INT_SWAPPED.get(op) or _INT_NOT.get(op) or op]
        self.binary(lambda d, n, m: self.a.vthree(u, _SIZE[shape], opcode, d, n, m), swap, invert)  # type: ignore[attr-defined]

    def op_vfloat3(self, ins: tuple) -> None:
        shape, op = ins[0][:5], ins[0][6:]
        dbl = shape == "f64x2"
        invert = op == "ne"
        u, hi, opcode = _FLOAT3[_FLOAT_SWAPPED.get(op) or ("eq" if invert else op)]
        self.binary(lambda d, n, m: self.a.vthree(u, hi << 1 | dbl, opcode, d, n, m),  # type: ignore[attr-defined]
                    op in _FLOAT_SWAPPED, invert)

    def op_vlogic(self, ins: tuple) -> None:
        op = {"v128.and": "and", "v128.or": "orr", "v128.xor": "eor", "v128.andnot": "bic"}[ins[0]]
        self.binary(lambda d, n, m: self.a.vlogic(op, d, n, m))  # type: ignore[attr-defined]

    def unary(self, emit) -> None:
        v = self.pop_reg()  # type: ignore[attr-defined]
        emit(v)
        self.push_reg("v128", v)  # type: ignore[attr-defined]

    def op_vnot(self, ins: tuple) -> None:
        self.unary(lambda v: self.a.vmisc(1, 0, 0b00101, v, v))  # type: ignore[attr-defined]

    def op_vint_unary(self, ins: tuple) -> None:
        shape, op = ins[0][:5], ins[0][6:]
        u = 1 if op == "neg" else 0  # abs: u 0; both opcode 01011
        self.unary(lambda v: self.a.vmisc(u, _SIZE[shape], 0b01011, v, v))  # type: ignore[attr-defined]

    def op_vfloat_unary(self, ins: tuple) -> None:
        shape, op = ins[0][:5], ins[0][6:]
        u, hi, opcode = _FLOAT1[op]
        self.unary(lambda v: self.a.vmisc(u, hi << 1 | (shape == "f64x2"), opcode, v, v))  # type: ignore[attr-defined]

    def op_vmisc(self, ins: tuple) -> None:
        u, size, opcode = _MISC[ins[0]]
        self.unary(lambda v: self.a.vmisc(u, size, opcode, v, v))  # type: ignore[attr-defined]

    def op_bitselect(self, ins: tuple) -> None:
        """``bsl`` takes the mask in its destination: the result lands in the mask's register."""
        c = self.pop_reg()  # type: ignore[attr-defined]
        v2 = self.pop_reg()  # type: ignore[attr-defined]
        v1 = self.pop_reg()  # type: ignore[attr-defined]
        self.a.vlogic("bsl", c, v1, v2)  # type: ignore[attr-defined]
        self.free_vregs.append(v1)  # type: ignore[attr-defined]
        self.free_vregs.append(v2)  # type: ignore[attr-defined]
        self.push_reg("v128", c)  # type: ignore[attr-defined]

    def op_any_true(self, ins: tuple) -> None:
        """The largest byte, compared with 0: left in the flags for a following ``br_if``/``if``/``select``."""
        a = self.a  # type: ignore[attr-defined]
        v = self.pop_reg()  # type: ignore[attr-defined]
        a.vacross(1, 0, 0b01010, V30, v)  # umaxv b30
        a.fmov_to_gp(X15, V30, False)
        a.cmp_imm(X15, 0, w=False)
        self.free_vregs.append(v)  # type: ignore[attr-defined]
        self.push_flags("ne")  # type: ignore[attr-defined]

    def op_all_true(self, ins: tuple) -> None:
        shape = ins[0][:5]
        a = self.a  # type: ignore[attr-defined]
        v = self.pop_reg()  # type: ignore[attr-defined]
        if shape == "i64x2":  # no uminv of doublewords: any lane equal to zero?
            a.vmisc(0, 3, 0b01001, V30, v)  # cmeq v30.2d, v, #0
            a.vacross(1, 0, 0b01010, V30, V30)
            cc = "eq"
        else:
            a.vacross(1, _SIZE[shape], 0b11010, V30, v)  # uminv
            cc = "ne"
        a.fmov_to_gp(X15, V30, False)
        a.cmp_imm(X15, 0, w=False)
        self.free_vregs.append(v)  # type: ignore[attr-defined]
        self.push_flags(cc)  # type: ignore[attr-defined]

    def op_vshift(self, ins: tuple) -> None:
        """A shift by a scalar count: the count modulo the lane width, splat, then ``sshl``/``ushl`` (a right
        shift is a left shift by the negated count)."""
        shape, op = ins[0][:5], ins[0][6:]
        size = _SIZE[shape]
        a = self.a  # type: ignore[attr-defined]
        n = self.pop_reg()  # type: ignore[attr-defined]
        v = self.pop_reg()  # type: ignore[attr-defined]
        a.logic_imm("and", X15, n, (8 << size) - 1, w=False)
        if op != "shl":
            a.neg(X15, X15, w=False)
        a.dup_gp(V30, X15, size)
        a.vthree(0 if op == "shr_s" else 1, size, 0b01000, v, v, V30)
        self.free_gprs.append(n)  # type: ignore[attr-defined]
        self.push_reg("v128", v)  # type: ignore[attr-defined]

    def op_extend(self, ins: tuple) -> None:
        """``i32x4.extend_high_i16x8_u`` and friends: sxtl/uxtl (2)."""
        name = ins[0]
        src = _SIZE[name[-7:-2]]
        self.unary(lambda v: self.a.xtl(v, v, src, name.endswith("_s"), "_high_" in name))  # type: ignore[attr-defined]

    def op_extmul(self, ins: tuple) -> None:
        """``i64x2.extmul_low_i32x4_s`` and friends: smull/umull (2)."""
        name = ins[0]
        src = _SIZE[name[-7:-2]]
        u = 0 if name.endswith("_s") else 1
        self.binary(lambda d, n, m: self.a.vlong(u, src, 0b1100, d, n, m, "_high_" in name))  # type: ignore[attr-defined]

    def op_extadd(self, ins: tuple) -> None:
        """``extadd_pairwise``: saddlp/uaddlp."""
        name = ins[0]
        src = _SIZE[name[-7:-2]]
        u = 0 if name.endswith("_s") else 1
        self.unary(lambda v: self.a.vmisc(u, src, 0b00010, v, v))  # type: ignore[attr-defined]

    def op_narrow(self, ins: tuple) -> None:
        """Saturating narrows: sqxtn (signed) or sqxtun (signed to unsigned) of a into v30's low half, of b into
        its high half."""
        name = ins[0]
        dst = _SIZE[name[:5]]
        u, opcode = (0, 0b10100) if name.endswith("_s") else (1, 0b10010)
        a = self.a  # type: ignore[attr-defined]

        def emit(d: int, n: int, m: int) -> None:
            a.vmisc(u, dst, opcode, V30, n, q=False)
            a.vmisc(u, dst, opcode, V30, m, q=True)
            a.vmov(d, V30)

        self.binary(emit)

    def op_dot(self, ins: tuple) -> None:
        """``i32x4.dot_i16x8_s``: smull, smull2, then addp of the products' pairs."""
        a = self.a  # type: ignore[attr-defined]

        def emit(d: int, n: int, m: int) -> None:
            a.vlong(0, 1, 0b1100, V30, n, m)
            a.vlong(0, 1, 0b1100, V31, n, m, high=True)
            a.vthree(0, 2, 0b10111, d, V30, V31)

        self.binary(emit)

    def op_q15mulr(self, ins: tuple) -> None:
        """``i16x8.q15mulr_sat_s`` is sqrdmulh exactly: (2ab + 2^15) >> 16, saturated."""
        self.binary(lambda d, n, m: self.a.vthree(1, 1, 0b10110, d, n, m))  # type: ignore[attr-defined]

    def op_pminmax(self, ins: tuple) -> None:
        """``pmin(a, b) = b < a ? b : a``, ``pmax(a, b) = a < b ? b : a``: a compare and a select (bsl), so a
        NaN operand and signed zeros come through as the spec's definition says."""
        shape, op = ins[0][:5], ins[0][6:]
        size = 2 | (shape == "f64x2")
        a = self.a  # type: ignore[attr-defined]

        def emit(d: int, n: int, m: int) -> None:
            if op == "pmin":
                a.vthree(1, size, 0b11100, V30, n, m)  # fcmgt v30 = a > b
            else:
                a.vthree(1, size, 0b11100, V30, m, n)  # fcmgt v30 = b > a
            a.vlogic("bsl", V30, m, n)
            a.vmov(d, V30)

        self.binary(emit)

    def op_vconvert(self, ins: tuple) -> None:
        """The conversions between f64x2 and the low half of i32x4/f32x4."""
        name = ins[0]
        a = self.a  # type: ignore[attr-defined]

        def emit(v: int) -> None:
            if name.startswith("f64x2.convert_low_i32x4_"):
                signed = name.endswith("_s")
                a.xtl(v, v, 2, signed)
                a.vmisc(0 if signed else 1, 1, 0b11101, v, v)  # scvtf/ucvtf .2d
            elif name == "f64x2.promote_low_f32x4":
                a.vmisc(0, 1, 0b10111, v, v, q=False)  # fcvtl v.2d, v.2s
            elif name == "f32x4.demote_f64x2_zero":
                a.vmisc(0, 1, 0b10110, v, v, q=False)  # fcvtn v.2s, v.2d (upper half zeroed)
            else:  # i32x4.trunc_sat_f64x2_{s,u}_zero: saturating convert, then saturating narrow
                u = 0 if "_s_" in name else 1
                a.vmisc(u, 3, 0b11011, v, v)  # fcvtzs/fcvtzu .2d
                a.vmisc(u, 2, 0b10100, v, v, q=False)  # sqxtn/uqxtn .2s

        self.unary(emit)

    def op_i64_mul(self, ins: tuple) -> None:
        """``i64x2.mul`` (NEON has no 64-bit lane multiply): each lane through general registers."""
        a = self.a  # type: ignore[attr-defined]

        def emit(d: int, n: int, m: int) -> None:
            for lane, r in ((0, X15), (1, X16)):
                a.umov(r, n, lane, 3)
                a.umov(17, m, lane, 3)
                a.mul(r, r, 17)
            a.ins_gp(d, 0, 3, X15)
            a.ins_gp(d, 1, 3, X16)

        self.binary(emit)

    def op_bitmask(self, ins: tuple) -> None:
        """Each lane's sign as all ones or zeros (cmlt #0), then its lowest bit inserted at the lane's index."""
        shape = ins[0][:5]
        size = _SIZE[shape]
        a = self.a  # type: ignore[attr-defined]
        v = self.pop_reg()  # type: ignore[attr-defined]
        res = self.alloc("i32")  # type: ignore[attr-defined]
        a.vmisc(0, size, 0b01010, V30, v)
        a.movz(res, 0, w=False)
        for lane in range(16 >> size):
            a.umov(X15, V30, lane, size)
            a.bfm("bfm", res, X15, (-lane) % 32, 0, w=False)  # bfi res, w15, #lane, #1
        self.free_vregs.append(v)  # type: ignore[attr-defined]
        self.push_reg("i32", res)  # type: ignore[attr-defined]


def simd_handlers() -> dict[str, Any]:
    """wasm instruction name -> handler, for every v128 instruction with native code here."""
    S = SimdMixin
    h = common_handlers(S, (*_LOAD_EXTEND, *_SPLAT))
    for op in ("and", "or", "xor", "andnot"):
        h[f"v128.{op}"] = S.op_vlogic
    for shape in _INT_SHAPES:
        h[f"{shape}.all_true"] = S.op_all_true
        h[f"{shape}.neg"] = h[f"{shape}.abs"] = S.op_vint_unary
        for op in ("shl", "shr_s", "shr_u"):
            h[f"{shape}.{op}"] = S.op_vshift
        for op, (_, _, shapes) in _INT3.items():
            if shape in shapes:
                h[f"{shape}.{op}"] = S.op_vint3
        for op, base in (*_INT_SWAPPED.items(), *_INT_NOT.items()):
            if shape in _INT3[base][2]:
                h[f"{shape}.{op}"] = S.op_vint3
    for shape in ("f32x4", "f64x2"):
        for op in (*_FLOAT3, *_FLOAT_SWAPPED, "ne"):
            h[f"{shape}.{op}"] = S.op_vfloat3
        for op in _FLOAT1:
            h[f"{shape}.{op}"] = S.op_vfloat_unary
    for op in _MISC:
        h[op] = S.op_vmisc
    for dst, src in (("i16x8", "i8x16"), ("i32x4", "i16x8"), ("i64x2", "i32x4")):
        for half in ("low", "high"):
            for s in ("s", "u"):
                h[f"{dst}.extend_{half}_{src}_{s}"] = S.op_extend
                h[f"{dst}.extmul_{half}_{src}_{s}"] = S.op_extmul
        if dst != "i64x2":
            for s in ("s", "u"):
                h[f"{dst}.extadd_pairwise_{src}_{s}"] = S.op_extadd
                h[f"{src}.narrow_{dst}_{s}"] = S.op_narrow
    h["i32x4.dot_i16x8_s"] = S.op_dot
    h["i64x2.mul"] = S.op_i64_mul
    for shape in _INT_SHAPES:
        h[f"{shape}.bitmask"] = S.op_bitmask
    h["i16x8.q15mulr_sat_s"] = S.op_q15mulr
    for shape in ("f32x4", "f64x2"):
        h[f"{shape}.pmin"] = h[f"{shape}.pmax"] = S.op_pminmax
    for op in ("f64x2.convert_low_i32x4_s", "f64x2.convert_low_i32x4_u", "f64x2.promote_low_f32x4",
               "f32x4.demote_f64x2_zero", "i32x4.trunc_sat_f64x2_s_zero", "i32x4.trunc_sat_f64x2_u_zero"):
        h[op] = S.op_vconvert
    return h


def helper_ops() -> list[str]:
    """The wasm 2.0 lane operations this generator leaves to Python (relaxed SIMD excluded)."""
    native = simd_handlers()
    return sorted(n for n in simd_index() if n not in native and "relaxed" not in n)
