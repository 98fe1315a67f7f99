"""The aarch64 machine code every module's code shares (``native.Stubs``) and the signal handlers (``faults``),
the same contract as ``x86_64/stubs.py``.

AAPCS64: arguments in x0-x7, result in w0/x0, x19-x28, x29 (frame pointer) and the low halves of d8-d15 are
callee-saved, x30 is the link register, sp stays 16-byte aligned.  The internal ABI of generated code
(``codegen``): x0 = the callee's VMContext and x1 = its slot array at a call; x28 holds the VMContext while a
function runs; a function keeps sp, x29 and x28 and may change every other register.

``shared_stubs``: the entry trampoline ``entry(code = x0, ctx = x1, slots = x2) -> trap code`` saves every
callee-saved register (wasm code keeps only x28/x29/sp), chains the State's saved stack pointer and calls the
code; the trap exit (trap code in w0, a VMContext in x28) restores the innermost entry's stack pointer and
returns through the trampoline's epilogue; the host thunk is a wasm-ABI function calling the callback.

``fault_code``: the crash stub and one ``handler(sig = x0, info = x1, uc = x2)`` per signal.  Offsets in the
kernel's aarch64 ``ucontext_t`` (glibc's sys/ucontext.h: uc_flags, uc_link, a 24-byte stack_t, a 128-byte
sigset_t, then ``uc_mcontext`` 16-byte aligned at 176: fault_address, regs[31], sp, pc, pstate).  The
absolute addresses the handlers need are 8-byte literals after the code (``ldr x, literal``), filled in by
``faults`` once the block is placed.
"""

from __future__ import annotations

from .. import layout as L
from .encoder import SP, ZR, Assembler, Label

_UC_MCONTEXT = 176
_UC_X0 = _UC_MCONTEXT + 8  # regs[0]
_UC_X1 = _UC_X0 + 8
_UC_PC = _UC_X0 + 8 * 31 + 8  # after regs[31] and sp
_SI_CODE = 8  # siginfo_t.si_code (int)
_ENTRY_FRAME = 176  # x29/x30, x19-x28, d8-d15, then the State and the enclosing entry's saved sp
_CTX = 28  # the VMContext register of generated code


def shared_stubs() -> tuple[bytes, int, int]:
    """(code with the entry trampoline at offset 0, trap exit offset, host thunk offset)."""
    a = Assembler()
    exit_, have_limit = Label(), Label()
    a.pair("x", 29, 30, SP, -_ENTRY_FRAME, True, "pre")
    a.mov_sp(29, SP)
    for k, (r1, r2) in enumerate(((19, 20), (21, 22), (23, 24), (25, 26), (27, 28))):
        a.pair("x", r1, r2, SP, 16 + 16 * k, True)
    for k, (r1, r2) in enumerate(((8, 9), (10, 11), (12, 13), (14, 15))):
        a.pair("d", r1, r2, SP, 96 + 16 * k, True)
    a.ldst("x", 9, 1, L.CTX_STATE)  # x9: the State
    a.ldst("x", 10, 9, L.ST_SAVED_RSP)
    a.pair("x", 9, 10, SP, 160, True)  # the State, the enclosing entry's saved sp
    a.mov_sp(10, SP)
    a.ldst("x", 10, 9, L.ST_SAVED_RSP, store=True)
    a.ldst("x", 11, 9, L.ST_LIMIT)
    a.cbz(11, have_limit, nonzero=True)
    a.ldst("x", 12, 9, L.ST_BUDGET)
    a.addsub("sub", 11, 10, 12)
    a.ldst("x", 11, 9, L.ST_LIMIT, store=True)
    a.bind(have_limit)
    a.mov(16, 0)
    a.mov(0, 1)
    a.mov(1, 2)
    a.blr(16)
    a.movz(0, 0, w=False)
    a.bind(exit_)  # w0: 0 or the trap code; sp at the trampoline's frame
    a.pair("x", 9, 10, SP, 160, False)
    a.ldst("x", 10, 9, L.ST_SAVED_RSP, store=True)
    for k, (r1, r2) in enumerate(((19, 20), (21, 22), (23, 24), (25, 26), (27, 28))):
        a.pair("x", r1, r2, SP, 16 + 16 * k, False)
    for k, (r1, r2) in enumerate(((8, 9), (10, 11), (12, 13), (14, 15))):
        a.pair("d", r1, r2, SP, 96 + 16 * k, False)
    a.pair("x", 29, 30, SP, _ENTRY_FRAME, False, "post")
    a.ret()
    # trap exit: w0 holds the code, x28 a context; back to the innermost entry's frame
    trap_exit = len(a.buf)
    a.ldst("x", 9, _CTX, L.CTX_STATE)
    a.ldst("x", 10, 9, L.ST_SAVED_RSP)
    a.mov_sp(SP, 10)
    a.b(exit_)
    # host thunk: a wasm-ABI function (x0 = host context, x1 = slots) calling callback(ctx, 0, slots, 0)
    host_thunk = len(a.buf)
    failed = Label()
    a.pair("x", 29, 30, SP, -32, True, "pre")
    a.mov_sp(29, SP)
    a.pair("x", _CTX, 1, SP, 16, True)
    a.mov(_CTX, 0)
    a.ldst("x", 9, 0, L.CTX_STATE)
    a.ldst("x", 9, 9, L.ST_CALLBACK)
    a.mov(2, 1)
    a.movz(1, L.OP_HOST, w=False)
    a.mov(3, ZR)
    a.blr(9)
    a.cbz(0, failed, w=False, nonzero=True)
    a.pair("x", _CTX, 1, SP, 16, False)
    a.pair("x", 29, 30, SP, 32, False, "post")
    a.ret()
    a.bind(failed)
    a.ldst("x", 16, _CTX, L.CTX_TRAP_EXIT)
    a.br(16)
    return bytes(a.buf), trap_exit, host_thunk


def fault_code(signals) -> tuple[bytes, int, dict[int, int], dict[int, dict[str, int]]]:
    """(code, crash stub offset, handler offset per signal, per signal the positions of its 8-byte address
    fields: "ranges", "crash", "prev", "sigaction", "raise"; see ``x86_64.stubs.fault_code``)."""
    a = Assembler()
    # crash stub: x0 = the faulting address, x1 = the signal; x28 is the VMContext of the faulting code
    a.ldst("x", 9, _CTX, L.CTX_STATE)
    a.ldst("x", 0, 9, L.ST_CRASH_PC, store=True)
    a.ldst("x", 1, 9, L.ST_CRASH_SIG, store=True)
    a.movz(0, L.TRAP_CRASH, w=False)
    a.ldst("x", 16, _CTX, L.CTX_TRAP_EXIT)
    a.br(16)
    offsets, literals = {}, []
    for sig in signals:
        offsets[sig] = len(a.buf)
        literals.append((sig, _handler(a)))
    a.align(8)
    fields: dict[int, dict[str, int]] = {}
    for sig, labels in literals:
        fields[sig] = {}
        for name, label in labels.items():
            a.bind(label)
            fields[sig][name] = a.data64(0)
    return bytes(a.buf), 0, offsets, fields


def _handler(a: Assembler) -> dict[str, Label]:
    """``handler(sig, info, uc)``: claim a hardware fault at an address in a registered range, else chain.
    Returns the labels of its literals, bound (and filled) by the caller after all the code."""
    lit = {name: Label() for name in ("ranges", "crash", "prev", "sigaction", "raise")}
    chain, loop, next_, restore = Label(), Label(), Label(), Label()
    a.ldst("w", 9, 1, _SI_CODE)
    a.cmp_imm(9, 0, w=False)
    a.b_cond("le", chain)  # sent by kill/raise: not a fault of ours
    a.ldst("x", 9, 2, _UC_PC)
    a.ldr_literal("x", 10, lit["ranges"])
    a.ldst("x", 10, 10, 0)  # the current ranges array: [count, (start, end)...]
    a.ldst("x", 11, 10, 0)
    a.addsub_imm("add", 12, 10, 8)
    a.bind(loop)
    a.cbz(11, chain)
    a.ldst("x", 13, 12, 0)
    a.cmp(9, 13)
    a.b_cond("lo", next_)
    a.ldst("x", 13, 12, 8)
    a.cmp(9, 13)
    a.b_cond("hs", next_)
    a.ldst("x", 9, 2, _UC_X0, store=True)  # ours: resume in the crash stub with (pc, signal)
    a.ldst("x", 0, 2, _UC_X1, store=True)
    a.ldr_literal("x", 13, lit["crash"])
    a.ldst("x", 13, 2, _UC_PC, store=True)
    a.ret()
    a.bind(next_)
    a.addsub_imm("add", 12, 12, 16)
    a.addsub_imm("sub", 11, 11, 1)
    a.b(loop)
    a.bind(chain)
    a.ldr_literal("x", 9, lit["prev"])
    a.ldst("x", 10, 9, 0)
    a.cmp_imm(10, 1)
    a.b_cond("ls", restore)
    a.br(10)  # the previous handler, with our three arguments (a one-argument handler ignores two)
    # SIG_DFL/SIG_IGN before us: put it back and raise the signal again (pending until we return, as the
    # signal is blocked in its handler); a hardware fault would also recur when its instruction re-runs
    a.bind(restore)
    a.pair("x", 0, 30, SP, -16, True, "pre")
    a.mov(1, 9)
    a.mov(2, ZR)
    a.ldr_literal("x", 16, lit["sigaction"])
    a.blr(16)
    a.ldst("x", 0, SP, 0)
    a.ldr_literal("x", 16, lit["raise"])
    a.blr(16)
    a.pair("x", 0, 30, SP, 16, False, "post")
    a.ret()
    return lit
