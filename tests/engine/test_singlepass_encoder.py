"""The singlepass tier's x86-64 encoder against capstone: every instruction form the code generator emits,
with registers that need REX bits, and memory operands that need a SIB byte or a displacement."""

from __future__ import annotations

import pytest

from harness.engine.tiers.singlepass.x86_64 import encoder as E
from harness.engine.tiers.singlepass.x86_64.encoder import Assembler, Label, Mem
from tests.engine.capstone_text import disassembler

capstone = pytest.importorskip("capstone")

disasm = disassembler(capstone.Cs(capstone.CS_ARCH_X86, capstone.CS_MODE_64))


def one(emit) -> str:
    a = Assembler()
    emit(a)
    (text,) = disasm(bytes(a.buf))
    return text


CASES = [
    (lambda a: a.mov_rr(E.RAX, E.R9), "mov rax, r9"),
    (lambda a: a.mov_rr(E.R12, E.RSI, w=False), "mov r12d, esi"),
    (lambda a: a.mov_ri(E.RCX, 5), "mov ecx, 5"),
    (lambda a: a.mov_ri(E.R10, 0xFFFFFFFF), "mov r10d, 0xffffffff"),
    (lambda a: a.mov_ri(E.RDX, (1 << 64) - 2), "mov rdx, 0xfffffffffffffffe"),
    (lambda a: a.mov_ri(E.R13, 0x123456789A), "movabs r13, 0x123456789a"),
    (lambda a: a.mov_ri(E.RBX, -1, w=False), "mov ebx, 0xffffffff"),
    (lambda a: a.load(E.RAX, Mem(E.RSP, 8)), "mov rax, qword ptr [rsp + 8]"),
    (lambda a: a.load(E.R8, Mem(E.RBP, 0), w=False), "mov r8d, dword ptr [rbp]"),
    (lambda a: a.load(E.RDI, Mem(E.R12, 0x1000)), "mov rdi, qword ptr [r12 + 0x1000]"),
    (lambda a: a.load(E.RSI, Mem(E.R13, -8)), "mov rsi, qword ptr [r13 - 8]"),
    (lambda a: a.load(E.R11, Mem(E.R11, 0x7FFFFFFF, E.R9)), "mov r11, qword ptr [r11 + r9 + 0x7fffffff]"),
    (lambda a: a.load(E.RCX, Mem(E.RAX, 0, E.RDX, 8)), "mov rcx, qword ptr [rax + rdx*8]"),
    (lambda a: a.store(Mem(E.RSP, 0x200), E.R14), "mov qword ptr [rsp + 0x200], r14"),
    (lambda a: a.store(Mem(E.R15, 16), E.RAX, w=False), "mov dword ptr [r15 + 0x10], eax"),
    (lambda a: a.store_i32(Mem(E.RSP, 24), -1), "mov qword ptr [rsp + 0x18], 0xffffffffffffffff"),
    (lambda a: a.store_i32(Mem(E.RSP, 24), 7, w=False), "mov dword ptr [rsp + 0x18], 7"),
    (lambda a: a.store8(Mem(E.R11, 3, E.RAX), E.RSI), "mov byte ptr [r11 + rax + 3], sil"),
    (lambda a: a.store8(Mem(E.R11, 0, E.RCX), E.R9), "mov byte ptr [r11 + rcx], r9b"),
    (lambda a: a.store16(Mem(E.R11, 2, E.RCX), E.RDX), "mov word ptr [r11 + rcx + 2], dx"),
    (lambda a: a.load_ext(E.RAX, Mem(E.R11, 1, E.RDI), 1, False, False), "movzx eax, byte ptr [r11 + rdi + 1]"),
    (lambda a: a.load_ext(E.RAX, Mem(E.R11, 0, E.RDI), 1, True, True), "movsx rax, byte ptr [r11 + rdi]"),
    (lambda a: a.load_ext(E.R9, Mem(E.R11, 0, E.RDI), 2, False, False), "movzx r9d, word ptr [r11 + rdi]"),
    (lambda a: a.load_ext(E.R9, Mem(E.R11, 0, E.RDI), 2, True, False), "movsx r9d, word ptr [r11 + rdi]"),
    (lambda a: a.load_ext(E.RSI, Mem(E.R11, 0, E.RDI), 4, True, True), "movsxd rsi, dword ptr [r11 + rdi]"),
    (lambda a: a.load_ext(E.RSI, E.RDI, 4, True, True), "movsxd rsi, edi"),
    (lambda a: a.load_ext(E.RSI, E.RDI, 1, True, False), "movsx esi, dil"),
    (lambda a: a.load_ext(E.RCX, E.R8, 2, False, False), "movzx ecx, r8w"),
    (lambda a: a.lea(E.RCX, Mem(E.RSP, -64)), "lea rcx, [rsp - 0x40]"),
    (lambda a: a.lea(E.R10, Mem(E.RDX, 12)), "lea r10, [rdx + 0xc]"),
    (lambda a: a.push(E.R15), "push r15"),
    (lambda a: a.push(E.RBP), "push rbp"),
    (lambda a: a.pop(E.R12), "pop r12"),
    (lambda a: a.pop(E.RBX), "pop rbx"),
    (lambda a: a.push_m(Mem(E.RAX, 0)), "push qword ptr [rax]"),
    (lambda a: a.push_m(Mem(E.RSP, 0x28)), "push qword ptr [rsp + 0x28]"),
    (lambda a: a.pop_m(Mem(E.RSP, 0x1000)), "pop qword ptr [rsp + 0x1000]"),
    (lambda a: a.alu_rr("add", E.RAX, E.R8, True), "add rax, r8"),
    (lambda a: a.alu_rr("sub", E.R9, E.RCX, False), "sub r9d, ecx"),
    (lambda a: a.alu_rr("and", E.RSI, E.RDI, False), "and esi, edi"),
    (lambda a: a.alu_rr("or", E.RBX, E.R14, True), "or rbx, r14"),
    (lambda a: a.alu_rr("xor", E.R13, E.R13, False), "xor r13d, r13d"),
    (lambda a: a.alu_rr("cmp", E.RDX, E.RAX, True), "cmp rdx, rax"),
    (lambda a: a.alu_rm("cmp", E.R10, Mem(E.R11, 8), True), "cmp r10, qword ptr [r11 + 8]"),
    (lambda a: a.alu_rm("add", E.RAX, Mem(E.RSP, 8), False), "add eax, dword ptr [rsp + 8]"),
    (lambda a: a.alu_ri("add", E.RSP, 16, True), "add rsp, 0x10"),
    (lambda a: a.alu_ri("sub", E.RAX, 1000, False), "sub eax, 0x3e8"),
    (lambda a: a.alu_ri("and", E.R9, -16, True), "and r9, 0xfffffffffffffff0"),
    (lambda a: a.alu_ri("cmp", E.RCX, 0x7FFFFFFF, False), "cmp ecx, 0x7fffffff"),
    (lambda a: a.alu_ri("xor", E.RDI, 1, False), "xor edi, 1"),
    (lambda a: a.alu_ri("or", E.RBX, -0x1000, True), "or rbx, 0xfffffffffffff000"),
    (lambda a: a.alu_ri("cmp", Mem(E.RAX, 8), 0, True), "cmp qword ptr [rax + 8], 0"),
    (lambda a: a.test_rr(E.RAX, E.RAX, False), "test eax, eax"),
    (lambda a: a.test_rr(E.R9, E.R9, True), "test r9, r9"),
    (lambda a: a.imul_rr(E.RAX, E.R12, True), "imul rax, r12"),
    (lambda a: a.imul_rr(E.RSI, E.RDX, False), "imul esi, edx"),
    (lambda a: a.imul_rri(E.RCX, E.R8, 1000, True), "imul rcx, r8, 0x3e8"),
    (lambda a: a.imul_rr(E.R9, Mem(E.RSP, 16), False), "imul r9d, dword ptr [rsp + 0x10]"),
    (lambda a: a.alu_rm("sub", E.RDI, Mem(E.RSP, 0x100), True), "sub rdi, qword ptr [rsp + 0x100]"),
    (lambda a: a.alu_rm("xor", E.R12, Mem(E.RSP, 0), False), "xor r12d, dword ptr [rsp]"),
    (lambda a: a.unary("not", E.R8, False), "not r8d"),
    (lambda a: a.unary("neg", E.RAX, True), "neg rax"),
    (lambda a: a.unary("div", E.RCX, False), "div ecx"),
    (lambda a: a.unary("idiv", E.R9, True), "idiv r9"),
    (lambda a: a.sign_extend_rax(False), "cdq"),
    (lambda a: a.sign_extend_rax(True), "cqo"),
    (lambda a: a.shift_cl("shl", E.RAX, False), "shl eax, cl"),
    (lambda a: a.shift_cl("sar", E.R10, True), "sar r10, cl"),
    (lambda a: a.shift_cl("rol", E.RDX, True), "rol rdx, cl"),
    (lambda a: a.shift_cl("ror", E.RBX, False), "ror ebx, cl"),
    (lambda a: a.shift_i("shr", E.RSI, 16, False), "shr esi, 0x10"),
    (lambda a: a.shift_i("shl", E.R12, 3, True), "shl r12, 3"),
    (lambda a: a.bit_scan("bsr", E.RAX, E.R8, False), "bsr eax, r8d"),
    (lambda a: a.bit_scan("bsf", E.R9, E.RCX, True), "bsf r9, rcx"),
    (lambda a: a.bit_scan("popcnt", E.RDX, E.RSI, True), "popcnt rdx, rsi"),
    (lambda a: a.setcc("l", E.RSI), "setl sil"),
    (lambda a: a.setcc("e", E.RAX), "sete al"),
    (lambda a: a.setcc("a", E.R13), "seta r13b"),
    (lambda a: a.setcc("np", E.RCX), "setnp cl"),
    (lambda a: a.movzx8(E.RSI, E.RSI), "movzx esi, sil"),
    (lambda a: a.movzx8(E.R9, E.R9), "movzx r9d, r9b"),
    (lambda a: a.cmov("e", E.RAX, E.RCX, False), "cmove eax, ecx"),
    (lambda a: a.cmov("ae", E.R10, E.R11, True), "cmovae r10, r11"),
    (lambda a: a.call_r(Mem(E.R11, 8)), "call qword ptr [r11 + 8]"),
    (lambda a: a.call_r(E.RAX), "call rax"),
    (lambda a: a.jmp_r(Mem(E.R15, 8)), "jmp qword ptr [r15 + 8]"),
    (lambda a: a.jmp_r(E.R10), "jmp r10"),
    (lambda a: a.ret(), "ret"),
    (lambda a: a.ud2(), "ud2"),
    (lambda a: a.rep_string("movsb"), "rep movsb byte ptr [rdi], byte ptr [rsi]"),
    (lambda a: a.rep_string("stosb"), "rep stosb byte ptr [rdi], al"),
    (lambda a: a.direction(True), "std"),
    (lambda a: a.direction(False), "cld"),
    (lambda a: a.movd_xr(3, E.RAX, False), "movd xmm3, eax"),
    (lambda a: a.movd_xr(12, E.R9, True), "movq xmm12, r9"),
    (lambda a: a.movd_rx(E.RSI, 15, False), "movd esi, xmm15"),
    (lambda a: a.movd_rx(E.R10, 1, True), "movq r10, xmm1"),
    (lambda a: a.movs_load(2, Mem(E.RSP, 40), True), "movsd xmm2, qword ptr [rsp + 0x28]"),
    (lambda a: a.movs_load(9, Mem(E.R11, 0, E.RAX), False), "movss xmm9, dword ptr [r11 + rax]"),
    (lambda a: a.movs_store(Mem(E.RSP, 8), 14, True), "movsd qword ptr [rsp + 8], xmm14"),
    (lambda a: a.movs_store(Mem(E.R11, 4, E.RCX), 0, False), "movss dword ptr [r11 + rcx + 4], xmm0"),
    (lambda a: a.movaps(1, 13), "movaps xmm1, xmm13"),
    (lambda a: a.sse("add", 0, 1, True), "addsd xmm0, xmm1"),
    (lambda a: a.sse("sub", 8, 2, False), "subss xmm8, xmm2"),
    (lambda a: a.sse("mul", 3, 11, True), "mulsd xmm3, xmm11"),
    (lambda a: a.sse("div", 4, 5, False), "divss xmm4, xmm5"),
    (lambda a: a.sse("min", 6, 7, True), "minsd xmm6, xmm7"),
    (lambda a: a.sse("max", 10, 12, False), "maxss xmm10, xmm12"),
    (lambda a: a.sse("sqrt", 1, 1, True), "sqrtsd xmm1, xmm1"),
    (lambda a: a.logic_p("and", 0, 15, False), "andps xmm0, xmm15"),
    (lambda a: a.logic_p("andn", 14, 2, True), "andnpd xmm14, xmm2"),
    (lambda a: a.logic_p("or", 3, 4, True), "orpd xmm3, xmm4"),
    (lambda a: a.logic_p("xor", 9, 9, False), "xorps xmm9, xmm9"),
    (lambda a: a.ucomis(1, 2, False), "ucomiss xmm1, xmm2"),
    (lambda a: a.ucomis(11, 8, True), "ucomisd xmm11, xmm8"),
    (lambda a: a.round_s(1, 2, 9, False), "roundss xmm1, xmm2, 9"),
    (lambda a: a.round_s(10, 10, 11, True), "roundsd xmm10, xmm10, 0xb"),
    (lambda a: a.cvt_int_to_float(1, E.RAX, True, True), "cvtsi2sd xmm1, rax"),
    (lambda a: a.cvt_int_to_float(12, E.R9, False, False), "cvtsi2ss xmm12, r9d"),
    (lambda a: a.cvt_float_to_int(E.RCX, 3, True, False), "cvttsd2si ecx, xmm3"),
    (lambda a: a.cvt_float_to_int(E.R8, 13, False, True), "cvttss2si r8, xmm13"),
    (lambda a: a.cvt_float_width(2, 3, True), "cvtss2sd xmm2, xmm3"),
    (lambda a: a.cvt_float_width(9, 1, False), "cvtsd2ss xmm9, xmm1"),
]


@pytest.mark.parametrize(("emit", "expected"), CASES, ids=[c[1] for c in CASES])
def test_instruction_form(emit, expected: str) -> None:
    assert one(emit) == expected


def test_branches_to_labels_bound_before_and_after() -> None:
    a = Assembler()
    back, fwd = Label(), Label()
    a.bind(back)
    a.jcc("ne", fwd)  # 6 bytes at 0
    a.jmp(back)  # 5 bytes at 6
    a.call(fwd)  # 5 bytes at 11
    a.bind(fwd)  # 16
    a.jcc("l", back)
    assert disasm(bytes(a.buf)) == ["jne 0x10", "jmp 0", "call 0x10", "jl 0"]


def test_rip_relative_lea_and_jump_table_entries() -> None:
    a = Assembler()
    table, target = Label(), Label()
    a.lea_rip(E.R11, table)  # 7 bytes
    a.bind(target)
    a.ret()
    a.bind(table)  # at 8
    a.table_entry(target, table)
    assert disasm(bytes(a.buf[:8])) == ["lea r11, [rip + 1]", "ret"]
    assert int.from_bytes(a.buf[8:12], "little", signed=True) == 7 - 8


def test_patched_imm32() -> None:
    a = Assembler()
    a.alu_ri("sub", E.RSP, 0x1000, True)
    a.patch_i32(len(a.buf) - 4, 0x2340)
    assert disasm(bytes(a.buf)) == ["sub rsp, 0x2340"]
