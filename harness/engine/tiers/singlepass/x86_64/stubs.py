"""The x86-64 machine code every module's code shares (``native.Stubs``) and the signal handlers (``faults``):
the per-ISA half of those modules, which choose it by the host's architecture (``singlepass.isa``).

``shared_stubs``: the entry trampoline ``entry(code, ctx, slots) -> trap code`` (System V: rdi, rsi, rdx),
the trap exit (trap code in eax, a VMContext in r15: back to the innermost entry's frame) and the host
thunk (a wasm-ABI function, rdi = host context and rsi = slots, calling the store's callback).

``fault_code``: the crash stub and one ``handler(sig, info, uc)`` per signal; the absolute addresses they
need are 8-byte fields (``movabs`` immediates) that ``faults`` fills in once the block is placed.
"""

from __future__ import annotations

from .. import layout as L
from .encoder import (
    R10,
    R11,
    R12,
    R13,
    R14,
    R15,
    RAX,
    RBP,
    RBX,
    RCX,
    RDI,
    RDX,
    RSI,
    RSP,
    Assembler,
    Label,
    Mem,
)

# offsets in the kernel's x86-64 ucontext_t: uc_mcontext.gregs starts at 40 (REG_RDI 8, REG_RSI 9, REG_RIP 16)
_UC_RDI, _UC_RSI, _UC_RIP = 40 + 8 * 8, 40 + 8 * 9, 40 + 8 * 16
_SI_CODE = 8  # siginfo_t.si_code


def shared_stubs() -> tuple[bytes, int, int]:
    """(code with the entry trampoline at offset 0, trap exit offset, host thunk offset)."""
    a = Assembler()
    exit_ = Label()
    # entry: save the C callee-saved registers, chain the saved stack pointer, call wasm code
    a.push(RBP)
    a.mov_rr(RBP, RSP)
    for r in (RBX, R12, R13, R14, R15):
        a.push(r)
    a.load(RAX, Mem(RSI, L.CTX_STATE))
    a.push(RAX)  # rbp-48: the State
    a.push_m(Mem(RAX, L.ST_SAVED_RSP))  # rbp-56: the enclosing entry's saved stack pointer
    a.alu_ri("sub", RSP, 8, True)  # rbp-64: keeps calls 16-byte aligned
    a.store(Mem(RAX, L.ST_SAVED_RSP), RSP)
    have_limit = Label()
    a.load(RCX, Mem(RAX, L.ST_LIMIT))
    a.test_rr(RCX, RCX, True)
    a.jcc("ne", have_limit)
    a.mov_rr(RCX, RSP)
    a.alu_rm("sub", RCX, Mem(RAX, L.ST_BUDGET), True)
    a.store(Mem(RAX, L.ST_LIMIT), RCX)
    a.bind(have_limit)
    a.mov_rr(RAX, RDI)
    a.mov_rr(RDI, RSI)
    a.mov_rr(RSI, RDX)
    a.call_r(RAX)
    a.alu_rr("xor", RAX, RAX, False)
    a.bind(exit_)
    a.load(RCX, Mem(RBP, -48))
    a.load(RDX, Mem(RBP, -56))
    a.store(Mem(RCX, L.ST_SAVED_RSP), RDX)
    a.lea(RSP, Mem(RBP, -40))
    for r in (R15, R14, R13, R12, RBX, RBP):
        a.pop(r)
    a.ret()
    # trap exit: eax holds the code, r15 a context; back to the innermost entry's frame
    trap_exit = len(a.buf)
    a.load(RCX, Mem(R15, L.CTX_STATE))
    a.load(RSP, Mem(RCX, L.ST_SAVED_RSP))
    a.lea(RBP, Mem(RSP, 64))
    a.jmp(exit_)
    # host thunk: a wasm-ABI function (rdi = host context, rsi = slots) calling the callback
    host_thunk = len(a.buf)
    a.push(RBP)
    a.mov_rr(RBP, RSP)
    a.push(R15)
    a.push(RSI)
    a.mov_rr(R15, RDI)
    a.load(RAX, Mem(RDI, L.CTX_STATE))
    a.mov_rr(RDX, RSI)
    a.alu_rr("xor", RSI, RSI, False)
    a.alu_rr("xor", RCX, RCX, False)
    a.call_r(Mem(RAX, L.ST_CALLBACK))
    failed = Label()
    a.test_rr(RAX, RAX, False)
    a.jcc("ne", failed)
    a.pop(RSI)
    a.pop(R15)
    a.pop(RBP)
    a.ret()
    a.bind(failed)
    a.jmp_r(Mem(R15, L.CTX_TRAP_EXIT))
    return bytes(a.buf), trap_exit, host_thunk


def fault_code(signals) -> tuple[bytes, int, dict[int, int], dict[int, dict[str, int]]]:
    """(code, crash stub offset, handler offset per signal, per signal the positions of its 8-byte address
    fields: "ranges" (the cell holding the ranges array), "crash", "prev" (the previous sigaction struct),
    "sigaction", "raise")."""
    a = Assembler()
    # crash stub: rdi = the faulting address, rsi = the signal; r15 is the VMContext of the faulting code
    a.direction(down=False)  # a fault inside a downward rep movsb must not leave DF set for C code
    a.load(RAX, Mem(R15, L.CTX_STATE))
    a.store(Mem(RAX, L.ST_CRASH_PC), RDI)
    a.store(Mem(RAX, L.ST_CRASH_SIG), RSI)
    a.mov_ri(RAX, L.TRAP_CRASH, w=False)
    a.jmp_r(Mem(R15, L.CTX_TRAP_EXIT))
    offsets, fields = {}, {}
    for sig in signals:
        offsets[sig] = len(a.buf)
        fields[sig] = _handler(a)
    return bytes(a.buf), 0, offsets, fields


def _handler(a: Assembler) -> dict[str, int]:
    """``handler(sig, info, uc)``: claim a hardware fault at an address in a registered range, else chain."""
    chain, loop, next_, restore = Label(), Label(), Label(), Label()
    a.alu_ri("cmp", Mem(RSI, _SI_CODE), 0, False)
    a.jcc("le", chain)  # sent by kill/raise: not a fault of ours
    a.load(RAX, Mem(RDX, _UC_RIP))
    fields = {}
    a.mov_ri(R11, 1 << 62)  # placeholder: address of ranges_cell (a 10-byte movabs)
    fields["ranges"] = len(a.buf) - 8
    a.load(R11, Mem(R11, 0))
    a.load(RCX, Mem(R11, 0))
    a.lea(R10, Mem(R11, 8))
    a.bind(loop)
    a.test_rr(RCX, RCX, True)
    a.jcc("e", chain)
    a.alu_rm("cmp", RAX, Mem(R10, 0), True)
    a.jcc("b", next_)
    a.alu_rm("cmp", RAX, Mem(R10, 8), True)
    a.jcc("ae", next_)
    a.store(Mem(RDX, _UC_RDI), RAX)  # ours: resume in the crash stub with (pc, signal)
    a.store(Mem(RDX, _UC_RSI), RDI)
    a.mov_ri(R11, 1 << 62)
    fields["crash"] = len(a.buf) - 8
    a.store(Mem(RDX, _UC_RIP), R11)
    a.ret()
    a.bind(next_)
    a.alu_ri("add", R10, 16, True)
    a.alu_ri("sub", RCX, 1, True)
    a.jmp(loop)
    a.bind(chain)
    a.mov_ri(R11, 1 << 62)
    fields["prev"] = len(a.buf) - 8
    a.load(RAX, Mem(R11, 0))
    a.alu_ri("cmp", RAX, 1, True)
    a.jcc("be", restore)
    a.jmp_r(RAX)  # the previous handler, with our three arguments (a one-argument handler ignores two)
    # SIG_DFL/SIG_IGN before us: put it back and raise the signal again (pending until we return, as the
    # signal is blocked in its handler); a hardware fault would also recur when its instruction re-runs
    a.bind(restore)
    a.push(RDI)  # the signal; keeps the C calls 16-byte aligned
    a.mov_rr(RSI, R11)
    a.alu_rr("xor", RDX, RDX, False)
    a.mov_ri(RAX, 1 << 62)
    fields["sigaction"] = len(a.buf) - 8
    a.call_r(RAX)
    a.load(RDI, Mem(RSP, 0))
    a.mov_ri(RAX, 1 << 62)
    fields["raise"] = len(a.buf) - 8
    a.call_r(RAX)
    a.pop(RDI)
    a.ret()
    return fields
