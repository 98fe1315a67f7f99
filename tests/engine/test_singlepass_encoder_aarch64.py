"""The singlepass tier's A64 encoder against capstone: every instruction form the aarch64 code generator and
its stubs emit, with sp and the zero register where a form gives register 31 either meaning, immediates at
the edges of their fields, and branch and literal fix-ups bound before and after their use."""

from __future__ import annotations

import pytest

from harness.engine.tiers.singlepass.aarch64 import encoder as E
from harness.engine.tiers.singlepass.aarch64.encoder import SP, ZR, Assembler, Label
from tests.engine.capstone_text import disassembler

capstone = pytest.importorskip("capstone")

disasm = disassembler(capstone.Cs(capstone.CS_ARCH_ARM64, capstone.CS_MODE_ARM))


def text(emit) -> list[str]:
    a = Assembler()
    emit(a)
    return disasm(bytes(a.buf))


CASES = [
    # moves and constants
    (lambda a: a.mov(3, 20), ["mov x3, x20"]),
    (lambda a: a.mov(3, 20, w=False), ["mov w3, w20"]),
    (lambda a: a.mov_sp(16, SP), ["mov x16, sp"]),
    (lambda a: a.mov_sp(SP, 10), ["mov sp, x10"]),
    (lambda a: a.mov_imm(3, 0x12345678), ["mov x3, #0x5678", "movk x3, #0x1234, lsl #16"]),
    (lambda a: a.mov_imm(3, -2), ["mov x3, #-2"]),
    (lambda a: a.mov_imm(3, 0xFFFFFFFF, w=False), ["mov w3, #-1"]),
    (lambda a: a.mov_imm(3, 0x10000, w=False), ["mov w3, #0x10000"]),
    (lambda a: a.mov_imm(3, 0xFFFF0000FFFF), ["mov x3, #0xffff", "movk x3, #0xffff, lsl #32"]),
    (lambda a: a.mov_imm(3, 0x8000000000000000), ["mov x3, #-0x8000000000000000"]),
    (lambda a: a.mov_imm(3, 0x123456789ABCDEF0),
     ["mov x3, #0xdef0", "movk x3, #0x9abc, lsl #16", "movk x3, #0x5678, lsl #32", "movk x3, #0x1234, lsl #48"]),
    (lambda a: a.mov_imm(7, 0, w=False), ["mov w7, #0"]),
    # integer arithmetic
    (lambda a: a.addsub_imm("add", SP, SP, 0x3000), ["add sp, sp, #3, lsl #12"]),
    (lambda a: a.addsub_imm("sub", 16, SP, 4095), ["sub x16, sp, #0xfff"]),
    (lambda a: a.addsub_imm("add", 1, 2, -8, w=False), ["sub w1, w2, #8"]),
    (lambda a: a.cmp_imm(5, 7, w=False), ["cmp w5, #7"]),
    (lambda a: a.addsub("add", 0, 1, 2), ["add x0, x1, x2"]),
    (lambda a: a.addsub("sub", 0, 1, 2, w=False), ["sub w0, w1, w2"]),
    (lambda a: a.addsub("add", 16, 26, 16, shift=0, amount=0), ["add x16, x26, x16"]),
    (lambda a: a.cmp(16, 27), ["cmp x16, x27"]),
    (lambda a: a.neg(3, 4, w=False), ["neg w3, w4"]),
    (lambda a: a.add_ext(16, 26, 3, 2), ["add x16, x26, w3, uxtw"]),
    (lambda a: a.add_ext(16, SP, 3, 3), ["add x16, sp, x3"]),
    (lambda a: a.logic("and", 1, 2, 3), ["and x1, x2, x3"]),
    (lambda a: a.logic("orr", 1, 2, 3, w=False), ["orr w1, w2, w3"]),
    (lambda a: a.logic("eor", 1, 2, 3), ["eor x1, x2, x3"]),
    (lambda a: a.logic("and", 1, 2, 3, invert=True), ["bic x1, x2, x3"]),
    (lambda a: a.tst(4, 4, w=False), ["tst w4, w4"]),
    (lambda a: a.mvn(4, 5), ["mvn x4, x5"]),
    (lambda a: a.logic_imm("and", 1, 2, 0xFF), ["and x1, x2, #0xff"]),
    (lambda a: a.logic_imm("eor", 1, 2, 0x5555555555555555), ["eor x1, x2, #0x5555555555555555"]),
    (lambda a: a.logic_imm("orr", 1, 2, 0x80000000, w=False), ["orr w1, w2, #0x80000000"]),
    (lambda a: a.logic_imm("and", 1, 2, 0x7FFFFFFFFFFFFFFF), ["and x1, x2, #0x7fffffffffffffff"]),
    (lambda a: a.logic_imm("and", 1, 2, 0xFFF0, w=False), ["and w1, w2, #0xfff0"]),
    (lambda a: a.logic_imm("ands", ZR, 2, 0x80000000, w=False), ["tst w2, #0x80000000"]),
    (lambda a: a.mul(1, 2, 3, w=False), ["mul w1, w2, w3"]),
    (lambda a: a.madd(1, 2, 3, 4, sub=True), ["msub x1, x2, x3, x4"]),
    (lambda a: a.div(1, 2, 3, signed=True), ["sdiv x1, x2, x3"]),
    (lambda a: a.div(1, 2, 3, w=False), ["udiv w1, w2, w3"]),
    (lambda a: a.shiftv("lsl", 1, 2, 3, w=False), ["lsl w1, w2, w3"]),
    (lambda a: a.shiftv("lsr", 1, 2, 3), ["lsr x1, x2, x3"]),
    (lambda a: a.shiftv("asr", 1, 2, 3), ["asr x1, x2, x3"]),
    (lambda a: a.shiftv("ror", 1, 2, 3, w=False), ["ror w1, w2, w3"]),
    (lambda a: a.shift_imm("lsl", 1, 2, 3), ["lsl x1, x2, #3"]),
    (lambda a: a.shift_imm("lsr", 1, 2, 31, w=False), ["lsr w1, w2, #0x1f"]),
    (lambda a: a.shift_imm("asr", 1, 2, 63), ["asr x1, x2, #0x3f"]),
    (lambda a: a.shift_imm("ror", 1, 2, 3, w=False), ["ror w1, w2, #3"]),
    (lambda a: a.shift_imm("ror", 1, 2, 60), ["ror x1, x2, #0x3c"]),
    (lambda a: a.sxt(1, 2, 8, w=False), ["sxtb w1, w2"]),
    (lambda a: a.sxt(1, 2, 16), ["sxth x1, w2"]),
    (lambda a: a.sxt(1, 2, 32), ["sxtw x1, w2"]),
    (lambda a: a.uxt(1, 2, 8), ["uxtb w1, w2"]),
    (lambda a: a.uxt(1, 2, 16), ["uxth w1, w2"]),
    (lambda a: a.bfm("bfm", 17, 16, 0, 62), ["bfxil x17, x16, #0, #0x3f"]),
    (lambda a: a.clz(1, 2, w=False), ["clz w1, w2"]),
    (lambda a: a.rbit(1, 2), ["rbit x1, x2"]),
    (lambda a: a.csel(1, 2, 3, "eq"), ["csel x1, x2, x3, eq"]),
    (lambda a: a.cset(3, "lo"), ["cset w3, lo"]),
    (lambda a: a.cset(3, "gt"), ["cset w3, gt"]),
    # loads and stores
    (lambda a: a.ldst("x", 1, SP, 16), ["ldr x1, [sp, #0x10]"]),
    (lambda a: a.ldst("x", 1, 28, 32760), ["ldr x1, [x28, #0x7ff8]"]),
    (lambda a: a.ldst("x", 1, 28, 32768), ["mov x17, #0x8000", "ldr x1, [x28, x17]"]),
    (lambda a: a.ldst("w", 1, 2, 6), ["ldur w1, [x2, #6]"]),
    (lambda a: a.ldst("w", 1, 2, 1 << 20), ["mov x17, #0x100000", "ldr w1, [x2, x17]"]),
    (lambda a: a.ldst("x", 1, 16, -8, store=True), ["stur x1, [x16, #-8]"]),
    (lambda a: a.ldst("b", 1, 2, 3), ["ldrb w1, [x2, #3]"]),
    (lambda a: a.ldst("h", 1, 2, 4, store=True), ["strh w1, [x2, #4]"]),
    (lambda a: a.ldst("sb", 1, 2, -1), ["ldursb x1, [x2, #-1]"]),
    (lambda a: a.ldst("sbw", 1, 2, 0), ["ldrsb w1, [x2]"]),
    (lambda a: a.ldst("sh", 1, 2, 0), ["ldrsh x1, [x2]"]),
    (lambda a: a.ldst("shw", 1, 2, 0), ["ldrsh w1, [x2]"]),
    (lambda a: a.ldst("sw", 1, 2, 8), ["ldrsw x1, [x2, #8]"]),
    (lambda a: a.ldst("s", 1, SP, 32), ["ldr s1, [sp, #0x20]"]),
    (lambda a: a.ldst("d", 1, SP, 32, store=True), ["str d1, [sp, #0x20]"]),
    (lambda a: a.ldst("q", 1, SP, 16, store=True), ["str q1, [sp, #0x10]"]),
    (lambda a: a.ldst("q", 30, 16, -16), ["ldur q30, [x16, #-0x10]"]),
    (lambda a: a.ldst_reg("h", 1, 26, 3, store=True), ["strh w1, [x26, x3]"]),
    (lambda a: a.ldst_reg("q", 1, 26, 3), ["ldr q1, [x26, x3]"]),
    (lambda a: a.ldst_reg("d", 1, 26, 3, store=True), ["str d1, [x26, x3]"]),
    (lambda a: a.ldst_reg("sw", 17, 16, 3, extend="uxtw", scaled=True), ["ldrsw x17, [x16, w3, uxtw #2]"]),
    (lambda a: a.pair("x", 29, 30, SP, -176, True, "pre"), ["stp x29, x30, [sp, #-0xb0]!"]),
    (lambda a: a.pair("x", 29, 30, SP, 32, False, "post"), ["ldp x29, x30, [sp], #0x20"]),
    (lambda a: a.pair("x", 19, 20, SP, 16, True), ["stp x19, x20, [sp, #0x10]"]),
    (lambda a: a.pair("d", 8, 9, SP, 96, False), ["ldp d8, d9, [sp, #0x60]"]),
    (lambda a: a.pair("q", 0, 1, 16, 32, True), ["stp q0, q1, [x16, #0x20]"]),
    # branches without labels
    (lambda a: a.br(16), ["br x16"]),
    (lambda a: a.blr(9), ["blr x9"]),
    (lambda a: a.ret(), ["ret"]),
    (lambda a: a.brk(1), ["brk #1"]),
    (lambda a: a.nop(), ["nop"]),
    # floating point
    (lambda a: a.fp2("add", 0, 1, 2, False), ["fadd s0, s1, s2"]),
    (lambda a: a.fp2("sub", 0, 1, 2, True), ["fsub d0, d1, d2"]),
    (lambda a: a.fp2("mul", 0, 1, 2, True), ["fmul d0, d1, d2"]),
    (lambda a: a.fp2("div", 0, 1, 2, False), ["fdiv s0, s1, s2"]),
    (lambda a: a.fp2("min", 0, 1, 2, True), ["fmin d0, d1, d2"]),
    (lambda a: a.fp2("max", 0, 1, 2, False), ["fmax s0, s1, s2"]),
    (lambda a: a.fp1("mov", 0, 31, True), ["fmov d0, d31"]),
    (lambda a: a.fp1("abs", 0, 1, False), ["fabs s0, s1"]),
    (lambda a: a.fp1("neg", 0, 1, True), ["fneg d0, d1"]),
    (lambda a: a.fp1("sqrt", 0, 1, True), ["fsqrt d0, d1"]),
    (lambda a: a.fp1("cvt_s", 1, 2, True), ["fcvt s1, d2"]),
    (lambda a: a.fp1("cvt_d", 1, 2, False), ["fcvt d1, s2"]),
    (lambda a: a.fp1("nearest", 1, 2, False), ["frintn s1, s2"]),
    (lambda a: a.fp1("ceil", 1, 2, True), ["frintp d1, d2"]),
    (lambda a: a.fp1("floor", 1, 2, True), ["frintm d1, d2"]),
    (lambda a: a.fp1("trunc", 1, 2, False), ["frintz s1, s2"]),
    (lambda a: a.fcmp(1, 2, True), ["fcmp d1, d2"]),
    (lambda a: a.fcsel(1, 2, 3, "ne", False), ["fcsel s1, s2, s3, ne"]),
    (lambda a: a.fmov_to_fp(1, 16, True), ["fmov d1, x16"]),
    (lambda a: a.fmov_to_fp(1, 16, False), ["fmov s1, w16"]),
    (lambda a: a.fmov_to_gp(16, 1, True), ["fmov x16, d1"]),
    (lambda a: a.fmov_to_gp(16, 1, False), ["fmov w16, s1"]),
    (lambda a: a.cvt_int_to_float(1, 2, False, False, True), ["scvtf s1, w2"]),
    (lambda a: a.cvt_int_to_float(1, 2, True, True, False), ["ucvtf d1, x2"]),
    (lambda a: a.cvt_int_to_float(1, 2, True, False, False), ["ucvtf d1, w2"]),
    (lambda a: a.cvt_float_to_int(1, 2, True, False, False), ["fcvtzu w1, d2"]),
    (lambda a: a.cvt_float_to_int(1, 2, False, True, True), ["fcvtzs x1, s2"]),
    # SIMD (NEON)
    (lambda a: a.vmov(3, 30), ["mov v3.16b, v30.16b"]),
    (lambda a: a.movi_zero(3), ["movi v3.2d, #0000000000000000"]),
    (lambda a: a.movi_zero(3, ones=True), ["movi v3.2d, #0xffffffffffffffff"]),
    (lambda a: a.vthree(0, 2, 0b10000, 1, 2, 3), ["add v1.4s, v2.4s, v3.4s"]),
    (lambda a: a.vthree(1, 3, 0b10000, 1, 2, 3), ["sub v1.2d, v2.2d, v3.2d"]),
    (lambda a: a.vthree(0, 1, 0b10011, 1, 2, 3), ["mul v1.8h, v2.8h, v3.8h"]),
    (lambda a: a.vthree(1, 0, 0b10001, 1, 2, 3), ["cmeq v1.16b, v2.16b, v3.16b"]),
    (lambda a: a.vthree(0, 3, 0b00110, 1, 2, 3), ["cmgt v1.2d, v2.2d, v3.2d"]),
    (lambda a: a.vthree(0, 2, 0b00111, 1, 2, 3), ["cmge v1.4s, v2.4s, v3.4s"]),
    (lambda a: a.vthree(1, 0, 0b00110, 1, 2, 3), ["cmhi v1.16b, v2.16b, v3.16b"]),
    (lambda a: a.vthree(1, 1, 0b00111, 1, 2, 3), ["cmhs v1.8h, v2.8h, v3.8h"]),
    (lambda a: a.vthree(0, 0, 0b01101, 1, 2, 3), ["smin v1.16b, v2.16b, v3.16b"]),
    (lambda a: a.vthree(1, 2, 0b01100, 1, 2, 3), ["umax v1.4s, v2.4s, v3.4s"]),
    (lambda a: a.vthree(0, 0, 0b00001, 1, 2, 3), ["sqadd v1.16b, v2.16b, v3.16b"]),
    (lambda a: a.vthree(1, 1, 0b00101, 1, 2, 3), ["uqsub v1.8h, v2.8h, v3.8h"]),
    (lambda a: a.vthree(1, 0, 0b00010, 1, 2, 3), ["urhadd v1.16b, v2.16b, v3.16b"]),
    (lambda a: a.vthree(0, 0, 0b01000, 3, 3, 30), ["sshl v3.16b, v3.16b, v30.16b"]),
    (lambda a: a.vthree(1, 3, 0b01000, 3, 3, 30), ["ushl v3.2d, v3.2d, v30.2d"]),
    (lambda a: a.vthree(0, 2, 0b10111, 3, 30, 31), ["addp v3.4s, v30.4s, v31.4s"]),
    (lambda a: a.vthree(1, 1, 0b10110, 3, 4, 5), ["sqrdmulh v3.8h, v4.8h, v5.8h"]),
    (lambda a: a.vthree(0, 1, 0b11010, 1, 2, 3), ["fadd v1.2d, v2.2d, v3.2d"]),
    (lambda a: a.vthree(0, 2, 0b11010, 1, 2, 3), ["fsub v1.4s, v2.4s, v3.4s"]),
    (lambda a: a.vthree(1, 0, 0b11011, 1, 2, 3), ["fmul v1.4s, v2.4s, v3.4s"]),
    (lambda a: a.vthree(1, 1, 0b11111, 1, 2, 3), ["fdiv v1.2d, v2.2d, v3.2d"]),
    (lambda a: a.vthree(0, 2, 0b11110, 1, 2, 3), ["fmin v1.4s, v2.4s, v3.4s"]),
    (lambda a: a.vthree(0, 1, 0b11110, 1, 2, 3), ["fmax v1.2d, v2.2d, v3.2d"]),
    (lambda a: a.vthree(0, 0, 0b11100, 1, 2, 3), ["fcmeq v1.4s, v2.4s, v3.4s"]),
    (lambda a: a.vthree(1, 1, 0b11100, 1, 2, 3), ["fcmge v1.2d, v2.2d, v3.2d"]),
    (lambda a: a.vthree(1, 3, 0b11100, 1, 2, 3), ["fcmgt v1.2d, v2.2d, v3.2d"]),
    (lambda a: a.vlogic("and", 1, 2, 3), ["and v1.16b, v2.16b, v3.16b"]),
    (lambda a: a.vlogic("bic", 1, 2, 3), ["bic v1.16b, v2.16b, v3.16b"]),
    (lambda a: a.vlogic("orr", 1, 2, 3), ["orr v1.16b, v2.16b, v3.16b"]),
    (lambda a: a.vlogic("eor", 1, 2, 3), ["eor v1.16b, v2.16b, v3.16b"]),
    (lambda a: a.vlogic("bsl", 1, 2, 3), ["bsl v1.16b, v2.16b, v3.16b"]),
    (lambda a: a.vmisc(1, 0, 0b00101, 1, 2), ["mvn v1.16b, v2.16b"]),
    (lambda a: a.vmisc(0, 0, 0b00101, 1, 2), ["cnt v1.16b, v2.16b"]),
    (lambda a: a.vmisc(1, 3, 0b01011, 1, 2), ["neg v1.2d, v2.2d"]),
    (lambda a: a.vmisc(0, 1, 0b01011, 1, 2), ["abs v1.8h, v2.8h"]),
    (lambda a: a.vmisc(0, 3, 0b01001, 1, 2), ["cmeq v1.2d, v2.2d, #0"]),
    (lambda a: a.vmisc(0, 0, 0b01010, 30, 2), ["cmlt v30.16b, v2.16b, #0"]),
    (lambda a: a.vmisc(0, 2, 0b01111, 1, 2), ["fabs v1.4s, v2.4s"]),
    (lambda a: a.vmisc(1, 3, 0b01111, 1, 2), ["fneg v1.2d, v2.2d"]),
    (lambda a: a.vmisc(1, 3, 0b11111, 1, 2), ["fsqrt v1.2d, v2.2d"]),
    (lambda a: a.vmisc(0, 0, 0b11000, 1, 2), ["frintn v1.4s, v2.4s"]),
    (lambda a: a.vmisc(0, 1, 0b11001, 1, 2), ["frintm v1.2d, v2.2d"]),
    (lambda a: a.vmisc(0, 2, 0b11000, 1, 2), ["frintp v1.4s, v2.4s"]),
    (lambda a: a.vmisc(0, 3, 0b11001, 1, 2), ["frintz v1.2d, v2.2d"]),
    (lambda a: a.vmisc(0, 0, 0b11101, 1, 2), ["scvtf v1.4s, v2.4s"]),
    (lambda a: a.vmisc(1, 1, 0b11101, 1, 2), ["ucvtf v1.2d, v2.2d"]),
    (lambda a: a.vmisc(0, 2, 0b11011, 1, 2), ["fcvtzs v1.4s, v2.4s"]),
    (lambda a: a.vmisc(1, 3, 0b11011, 1, 2), ["fcvtzu v1.2d, v2.2d"]),
    (lambda a: a.vmisc(0, 1, 0b00010, 3, 3), ["saddlp v3.4s, v3.8h"]),
    (lambda a: a.vmisc(1, 0, 0b00010, 3, 3), ["uaddlp v3.8h, v3.16b"]),
    (lambda a: a.vmisc(0, 0, 0b10100, 30, 1, q=False), ["sqxtn v30.8b, v1.8h"]),
    (lambda a: a.vmisc(1, 0, 0b10010, 30, 2), ["sqxtun2 v30.16b, v2.8h"]),
    (lambda a: a.vmisc(1, 2, 0b10100, 3, 3, q=False), ["uqxtn v3.2s, v3.2d"]),
    (lambda a: a.vmisc(0, 1, 0b10111, 3, 3, q=False), ["fcvtl v3.2d, v3.2s"]),
    (lambda a: a.vmisc(0, 1, 0b10110, 3, 3, q=False), ["fcvtn v3.2s, v3.2d"]),
    (lambda a: a.vlong(0, 1, 0b1100, 30, 1, 2), ["smull v30.4s, v1.4h, v2.4h"]),
    (lambda a: a.vlong(1, 2, 0b1100, 31, 1, 2, high=True), ["umull2 v31.2d, v1.4s, v2.4s"]),
    (lambda a: a.vacross(1, 0, 0b01010, 30, 2), ["umaxv b30, v2.16b"]),
    (lambda a: a.vacross(1, 1, 0b11010, 30, 2), ["uminv h30, v2.8h"]),
    (lambda a: a.vacross(1, 2, 0b11010, 30, 2), ["uminv s30, v2.4s"]),
    (lambda a: a.ins_gp(1, 1, 3, 16), ["mov v1.d[1], x16"]),
    (lambda a: a.ins_gp(1, 15, 0, 16), ["mov v1.b[0xf], w16"]),
    (lambda a: a.ins_gp(1, 7, 1, 16), ["mov v1.h[7], w16"]),
    (lambda a: a.ins_elem(1, 3, 2, 0, 2), ["mov v1.s[3], v2.s[0]"]),
    (lambda a: a.ins_elem(1, 1, 2, 0, 3), ["mov v1.d[1], v2.d[0]"]),
    (lambda a: a.umov(1, 2, 1, 3), ["mov x1, v2.d[1]"]),
    (lambda a: a.umov(1, 2, 3, 2), ["mov w1, v2.s[3]"]),
    (lambda a: a.umov(1, 2, 7, 1), ["umov w1, v2.h[7]"]),
    (lambda a: a.umov(1, 2, 15, 0), ["umov w1, v2.b[0xf]"]),
    (lambda a: a.smov(1, 2, 15, 0), ["smov w1, v2.b[0xf]"]),
    (lambda a: a.smov(1, 2, 3, 1), ["smov w1, v2.h[3]"]),
    (lambda a: a.dup_gp(1, 2, 0), ["dup v1.16b, w2"]),
    (lambda a: a.dup_gp(1, 2, 3), ["dup v1.2d, x2"]),
    (lambda a: a.dup_elem(1, 2, 0, 2), ["dup v1.4s, v2.s[0]"]),
    (lambda a: a.dup_elem(1, 2, 0, 3), ["dup v1.2d, v2.d[0]"]),
    (lambda a: a.dup_scalar(1, 2, 3, 2), ["mov s1, v2.s[3]"]),
    (lambda a: a.dup_scalar(1, 2, 1, 3), ["mov d1, v2.d[1]"]),
    (lambda a: a.tbl(1, 30, 1, 2), ["tbl v1.16b, {v30.16b, v31.16b}, v1.16b"]),
    (lambda a: a.tbl(1, 1, 2), ["tbl v1.16b, {v1.16b}, v2.16b"]),
    (lambda a: a.xtl(1, 2, 0, True), ["sshll v1.8h, v2.8b, #0"]),
    (lambda a: a.xtl(1, 2, 1, False), ["ushll v1.4s, v2.4h, #0"]),
    (lambda a: a.xtl(1, 2, 2, False, True), ["ushll2 v1.2d, v2.4s, #0"]),
    (lambda a: a.bfm("bfm", 3, 15, 27, 0, w=False), ["bfi w3, w15, #5, #1"]),
    (lambda a: a.cnt8b(30, 30), ["cnt v30.8b, v30.8b"]),
    (lambda a: a.addv8b(30, 30), ["addv b30, v30.8b"]),
]


@pytest.mark.parametrize("emit, expected", CASES, ids=[" / ".join(c[1]) for c in CASES])
def test_form(emit, expected):
    assert text(emit) == expected


def test_labels_forward_and_backward():
    a = Assembler()
    fwd, back = Label(), Label()
    a.bind(back)  # 0
    a.b_cond("ne", fwd)  # 0
    a.cbz(3, fwd, w=False)  # 4
    a.cbz(3, back, nonzero=True)  # 8
    a.tbz(4, 40, fwd)  # 12
    a.adr(16, fwd)  # 16
    a.ldr_literal("x", 16, fwd)  # 20
    a.b(back)  # 24
    a.bl(fwd)  # 28
    a.bind(fwd)  # 32
    assert disasm(bytes(a.buf)) == ["b.ne #0x20", "cbz w3, #0x20", "cbnz x3, #0", "tbz x4, #0x28, #0x20",
                                    "adr x16, #0x20", "ldr x16, #0x20", "b #0", "bl #0x20"]


def test_literal_and_table_entries():
    a = Assembler()
    lit, table, target = Label(), Label(), Label()
    a.ldr_literal("d", 2, lit)
    a.bind(table)
    a.table_entry(target, table)
    a.bind(target)
    a.align(8)
    a.bind(lit)
    pos = a.data64(0x3FF0000000000000)
    assert pos == 8
    assert disasm(bytes(a.buf[:4])) == ["ldr d2, #8"]
    assert int.from_bytes(a.buf[4:8], "little") == 4  # the entry: target - table
    assert a.buf[8:16] == (0x3FF0000000000000).to_bytes(8, "little")


def test_out_of_range_branches_are_refused():
    a = Assembler()
    far = Label()
    a.tbz(1, 0, far)
    a.buf += bytes(1 << 15)
    with pytest.raises(OverflowError):
        a.bind(far)
    with pytest.raises(ValueError):
        Assembler().addsub_imm("add", 1, 2, 4097)
    with pytest.raises(ValueError):
        Assembler().logic_imm("and", 1, 2, 0x12345)


_W32 = (0x1, 0x3, 0xFF, 0xFF00, 0x0FF0, 0xF000000F, 0x80000000, 0x7FFFFFFF, 0x55555555, 0x33333333, 0x01010101,
        0xFFFF0000, 0xFFFFFFFE)
_W64 = (0x1, 0xFF, 0x8000000000000000, 0x00FF00FF00FF00FF, 0xFFFFFFFF00000000, 0x7FFFFFFFFFFFFFFF,
        0x0000FFFFFFFFFFF0, 0xF00000000000000F, 0x5555555555555555, 0x0101010101010101, 0x8000000080000000)


@pytest.mark.parametrize("value, w", [(v, False) for v in _W32] + [(v, True) for v in _W64])
def test_bitmask_immediates_round_trip(value, w):
    """Every encodable pattern disassembles back to the value it encodes."""
    out = text(lambda a: a.logic_imm("orr", 1, 2, value, w))
    r = "x" if w else "w"
    assert out == [f"orr {r}1, {r}2, #{value if value < 10 else hex(value)}"]


@pytest.mark.parametrize("value, w", [(0, False), (0xFFFFFFFF, False), (0x12345, False), (0x5, False),
                                      (0xF0F0F0F1, False), (0x55555555, True), (0xFFFFFFFFFFFFFFFF, True)])
def test_bitmask_immediates_refused(value, w):
    assert E.bitmask_imm(value, w) is None
