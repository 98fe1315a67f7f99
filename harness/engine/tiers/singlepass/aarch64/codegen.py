"""aarch64 code for a validated module in one pass over each function body (docs/SINGLEPASS_TIER.md, the
"aarch64" section): the x86-64 generator's design (``x86_64/codegen.py``) on A64.

The abstract value stack: each wasm operand is a constant (an immediate where the instruction has a form for
it, else materialised when needed), a register (general or SIMD&FP), a *flags* entry (a compare just emitted,
true under a condition code: ``if``, ``br_if`` and ``select`` test it without materialising it, and A64's
loads, stores and moves leave the flags alone), a lazy *local* (``local.get`` loads nothing until the value is
used), or *spilled* to its canonical slot, the frame slot of its stack position.  At every control-flow join
and before every call the whole stack is spilled, so a join's state is always "every value in its slot".

Registers (AAPCS64 numbering):

- ``x28`` the VMContext while a function runs (callee-saved in C, so callbacks keep it);
- ``x26`` the memory's base, ``x27`` its size in bytes, in a module with a memory (loaded at entry and after
  every call and helper call, when the size may have changed): a bounds check is one add and one compare;
- ``x0``-``x14``, ``x19``-``x25`` (and ``x26``, ``x27`` without a memory) hold stack values; ``x15`` is an
  instruction's scratch; ``x16``, ``x17`` the scratch of moves and spills (``x17`` also of a load or store
  whose offset has no immediate form); ``x18`` (the platform register) is never used;
- ``v0``-``v29`` hold float and ``v128`` values; ``v30`` is an instruction's scratch, ``v31`` that of moves.

The internal ABI of a wasm function: ``x0`` its VMContext, ``x1`` the address of an array of 16-byte slots
holding its arguments, where it writes its results (the caller's value-stack slots).  It keeps sp, x29 and
x28, and may change every other register.  Frame: ``x29``/``x30`` pair, the caller's x28 and the slot
pointer (``[x29 + 16]``, ``[x29 + 24]``), then sp at the locals (16 bytes each) followed by the value-stack
slots; sp stays 16-byte aligned.
"""

from __future__ import annotations

from typing import Any

from .. import layout as L
from ..codegen_common import (
    CONST,
    FLAGS,
    LOCAL,
    REG,
    SLOT,
    SUPPORTED_TYPES,
    TRUNC_BOUNDS,
    Entry,
    FunctionCompilerBase,
    scalar_handlers,
)
from ..codegen_common import (
    ModuleLayout as CommonLayout,
)
from ..codegen_common import bits as _bits
from ..codegen_common import signed as _signed
from ..errors import UnsupportedError
from ..simd_common import fallback_handler
from .encoder import INVERSE, SP, ZR, Assembler, Label, bitmask_imm
from .simd import SimdMixin, simd_handlers

CTX, MEM_BASE, MEM_SIZE = 28, 26, 27
GPRS = (*range(15), 19, 20, 21, 22, 23, 24, 25, 26, 27)
VREGS = tuple(range(30))
X15, X16, X17 = 15, 16, 17  # scratch: an instruction's, then the moves'
V30, V31 = 30, 31
FLOAT = ("f32", "f64")
V_TYPES = ("f32", "f64", "v128")  # values kept in SIMD&FP registers
SLOT_BYTES = 16
_TRAP_IN_W0 = -1  # the trap "code" of a failed callback: its return value is already in w0
_MAX_FRAME = (1 << 24) - 16  # two add/sub immediates (12 bits, one shifted by 12)

_KIND = {"i32": "w", "i64": "x", "funcref": "x", "externref": "x", "f32": "s", "f64": "d", "v128": "q"}
_INT_CMP = {"eq": "eq", "ne": "ne", "lt_s": "lt", "lt_u": "lo", "gt_s": "gt", "gt_u": "hi", "le_s": "le",
            "le_u": "ls", "ge_s": "ge", "ge_u": "hs"}
# fcmp: unordered sets C and V, so these are false for NaN operands (and ne true), as wasm wants
_FLOAT_CMP = {"eq": "eq", "ne": "ne", "lt": "mi", "le": "ls", "gt": "gt", "ge": "ge"}
_LOGIC = {"and": "and", "or": "orr", "xor": "eor"}
_SHIFTS = {"shl": "lsl", "shr_s": "asr", "shr_u": "lsr", "rotr": "ror", "rotl": "ror"}
_LOADS = {  # op: (bytes, load kind, result type)
    "i32.load": (4, "w", "i32"), "i64.load": (8, "x", "i64"), "f32.load": (4, "s", "f32"),
    "f64.load": (8, "d", "f64"), "i32.load8_s": (1, "sbw", "i32"), "i32.load8_u": (1, "b", "i32"),
    "i32.load16_s": (2, "shw", "i32"), "i32.load16_u": (2, "h", "i32"), "i64.load8_s": (1, "sb", "i64"),
    "i64.load8_u": (1, "b", "i64"), "i64.load16_s": (2, "sh", "i64"), "i64.load16_u": (2, "h", "i64"),
    "i64.load32_s": (4, "sw", "i64"), "i64.load32_u": (4, "w", "i64"),
}
_STORES = {"i32.store": (4, "w"), "i64.store": (8, "x"), "f32.store": (4, "s"), "f64.store": (8, "d"),
           "i32.store8": (1, "b"), "i32.store16": (2, "h"), "i64.store8": (1, "b"), "i64.store16": (2, "h"),
           "i64.store32": (4, "w")}
# float -> int truncation: (lower bound, lower bound allowed?, upper bound, excluded), per (dst, signed, src)
def _addsub_imm_ok(v: int) -> bool:
    v = abs(v)
    return v < 4096 or (v & 0xFFF == 0 and v >> 12 < 4096)


class ModuleLayout(CommonLayout):
    new_label = Label


class Ctl:
    """A control frame: where branches go, what they carry, and the stack height beneath its operands."""

    __slots__ = ("kind", "label", "height", "params", "results", "body", "pos", "else_body", "else_label",
                 "unreachable", "targeted")

    def __init__(self, kind: str, label: Label, height: int, params: tuple, results: tuple, body: list):
        self.kind = kind
        self.label = label
        self.height = height
        self.params = params
        self.results = results
        self.body = body
        self.pos = 0
        self.else_body: list | None = None
        self.else_label: Label | None = None
        self.unreachable = False
        self.targeted = False

    @property
    def branch_types(self) -> tuple:
        return self.params if self.kind == "loop" else self.results


class FunctionCompiler(FunctionCompilerBase, SimdMixin):
    """Emits one function into the module's assembler."""

    CTL = Ctl
    LABEL = Label
    FALLBACK = staticmethod(fallback_handler)

    def __init__(self, layout: ModuleLayout, asm: Assembler, index: int):
        self.layout = layout
        self.a = asm
        self.index = index
        m = layout.module
        func = m.funcs[index]
        self.ft = m.types[func.type_idx]
        self.locals = list(self.ft.params) + list(func.locals)
        self.body = func.body
        self.stack: list[Entry] = []
        pinned = (MEM_BASE, MEM_SIZE) if layout.has_memory else ()
        self.free_gprs = [r for r in GPRS if r not in pinned]
        self.free_vregs = list(VREGS)
        self.max_depth = 0
        self.traps: dict[int, Label] = {}
        self.frames: list[Ctl] = []

    # -- errors ---------------------------------------------------------------------------------------
    def unsupported(self, what: str) -> UnsupportedError:
        m = self.layout.module
        idx = self.layout.n_imported + self.index
        name = m.func_names.get(idx)
        return UnsupportedError(f"singlepass tier (aarch64): function {idx}{f' ({name})' if name else ''}: "
                                f"{what} is not supported yet", what)

    # -- frame slots ----------------------------------------------------------------------------------
    def slot(self, depth: int) -> int:
        return SLOT_BYTES * (len(self.locals) + depth)

    def local(self, i: int) -> int:
        return SLOT_BYTES * i

    def sp_address(self, rd: int, offset: int) -> None:
        """``rd = sp + offset``."""
        if offset < 4096:
            self.a.addsub_imm("add", rd, SP, offset)
        else:
            self.a.mov_imm(X17, offset)
            self.a.add_ext(rd, SP, X17)

    # -- registers ------------------------------------------------------------------------------------
    def alloc(self, t: str) -> int:
        pool = self.free_vregs if t in V_TYPES else self.free_gprs
        if not pool:
            want_v = t in V_TYPES
            for d, e in enumerate(self.stack):
                if e.kind == REG and (e.type in V_TYPES) == want_v:
                    self.spill(d)
                    break
        return pool.pop()

    def free(self, e: Entry) -> None:
        if e.kind == REG:
            (self.free_vregs if e.type in V_TYPES else self.free_gprs).append(e.value)

    def free_reg(self, t: str, reg: int) -> None:
        (self.free_vregs if t in V_TYPES else self.free_gprs).append(reg)

    # -- moving values --------------------------------------------------------------------------------
    def store_const(self, base: int, off: int, e: Entry) -> None:
        """Store a constant through x16 (or the zero register)."""
        v = e.value or 0
        a = self.a
        if e.type == "v128":
            for k in range(2):
                part = (v >> (64 * k)) & ((1 << 64) - 1)
                if part:
                    a.mov_imm(X16, part)
                a.ldst("x", X16 if part else ZR, base, off + 8 * k, store=True)
            return
        kind = "w" if e.type in ("i32", "f32") else "x"
        if v:
            a.mov_imm(X16, v, w=kind == "x")
        a.ldst(kind, X16 if v else ZR, base, off, store=True)

    def store_reg(self, base: int, off: int, t: str, reg: int) -> None:
        self.a.ldst(_KIND[t], reg, base, off, store=True)

    def load_reg(self, reg: int, t: str, base: int, off: int) -> None:
        self.a.ldst(_KIND[t], reg, base, off)

    def materialize_flags(self, e: Entry) -> None:
        reg = self.alloc("i32")
        self.a.cset(reg, e.value)
        e.kind, e.value = REG, reg

    def home(self, e: Entry, depth: int) -> int:
        """The sp offset of the value of a SLOT or LOCAL entry at stack ``depth``."""
        return self.local(e.value) if e.kind == LOCAL else self.slot(depth)

    def spill(self, d: int) -> None:
        e = self.stack[d]
        if e.kind == FLAGS:
            self.materialize_flags(e)
        if e.kind == REG:
            self.store_reg(SP, self.slot(d), e.type, e.value)
            self.free(e)
        elif e.kind == CONST:
            self.store_const(SP, self.slot(d), e)
        elif e.kind == LOCAL:
            self.copy_mem(SP, self.slot(d), SP, self.local(e.value), e.type)
        e.kind = SLOT

    def copy_to(self, base: int, off: int, e: Entry, depth: int) -> None:
        """Store the value of ``e`` (at stack ``depth``) at ``[base + off]`` without changing the abstract state."""
        if e.kind == REG:
            self.store_reg(base, off, e.type, e.value)
        elif e.kind == CONST:
            self.store_const(base, off, e)
        elif e.kind == FLAGS:
            raise AssertionError("flags entries are materialised before they are copied")
        else:
            self.copy_mem(base, off, SP, self.home(e, depth), e.type)

    def copy_mem(self, dbase: int, doff: int, sbase: int, soff: int, t: str) -> None:
        """Copy a value of type ``t`` from memory to memory through x16 (v31 for a v128)."""
        if t == "v128":
            self.a.ldst("q", V31, sbase, soff)
            self.a.ldst("q", V31, dbase, doff, store=True)
        else:
            self.a.ldst("x", X16, sbase, soff)
            self.a.ldst("x", X16, dbase, doff, store=True)

    def materialize(self, e: Entry, reg: int) -> None:
        """Put the value of CONST entry ``e`` into ``reg`` (its kind's register file)."""
        a = self.a
        v = e.value or 0
        if e.type == "v128":
            self.v128_const(reg, v)
        elif e.type in FLOAT:
            d = e.type == "f64"
            if v:
                a.mov_imm(X16, v, w=d)
                a.fmov_to_fp(reg, X16, d)
            else:
                a.fmov_to_fp(reg, ZR, d)
        else:
            a.mov_imm(reg, v, w=e.type != "i32")

    def to_reg(self, e: Entry, depth: int | None = None) -> int:
        """A register holding ``e``'s value that the caller now owns (``e`` was popped)."""
        if e.kind == REG:
            return e.value
        if e.kind == FLAGS:
            self.materialize_flags(e)
            return e.value
        reg = self.alloc(e.type)
        if e.kind == CONST:
            self.materialize(e, reg)
        else:
            self.load_reg(reg, e.type, SP, self.home(e, len(self.stack) if depth is None else depth))
        return reg

    # -- the function ---------------------------------------------------------------------------------
    def compile(self) -> None:
        for t in self.locals + list(self.ft.results):
            if t not in SUPPORTED_TYPES:
                raise self.unsupported(f"a {t} local, parameter or result")
        a = self.a
        a.bind(self.layout.labels[self.index])
        a.pair("x", 29, 30, SP, -32, True, "pre")
        a.mov_sp(29, SP)
        a.pair("x", CTX, 1, SP, 16, True)
        a.mov(CTX, 0)
        # stack check: this frame must fit above the store's limit (Exhaustion otherwise)
        a.ldst("x", X16, CTX, L.CTX_STATE)
        a.ldst("x", X16, X16, L.ST_LIMIT)
        frame_at = len(a.buf)
        a.nop()  # sub x17, sp, #frame_hi, lsl 12 (patched)
        a.nop()  # sub x17, x17, #frame_lo (patched)
        a.cmp(X17, X16)
        a.b_cond("lo", self.trap(L.TRAP_CODES["call stack exhausted"]))
        a.mov_sp(SP, X17)
        for i, t in enumerate(self.ft.params):
            self.copy_mem(SP, self.local(i), 1, SLOT_BYTES * i, t)
        for i in range(len(self.ft.params), len(self.locals)):  # zeroed, 16 bytes each
            if self.local(i) <= 496:
                a.pair("x", ZR, ZR, SP, self.local(i), True)
            else:
                a.ldst("x", ZR, SP, self.local(i), store=True)
                a.ldst("x", ZR, SP, self.local(i) + 8, store=True)
        self.pin_memory()
        self.frames.append(Ctl("func", Label(), 0, (), tuple(self.ft.results), self.body))
        self.run()  # ends by binding the function frame's label: the epilogue, results from their slots
        if self.ft.results:
            a.ldst("x", X15, 29, 24)
            for i, t in enumerate(self.ft.results):
                self.copy_mem(X15, SLOT_BYTES * i, SP, self.slot(i), t)
        a.mov_sp(SP, 29)
        a.ldst("x", CTX, SP, 16)
        a.pair("x", 29, 30, SP, 32, False, "post")
        a.ret()
        for code, label in self.traps.items():
            a.bind(label)
            if code != _TRAP_IN_W0:
                a.movz(0, code, w=False)
            a.ldst("x", X16, CTX, L.CTX_TRAP_EXIT)
            a.br(X16)
        frame = SLOT_BYTES * (len(self.locals) + self.max_depth)
        frame += -frame % 16
        if frame > _MAX_FRAME:
            raise self.unsupported(f"a frame of {frame} bytes (locals and value stack)")
        patch = Assembler()
        patch.addsub_imm("sub", X17, SP, frame & ~0xFFF) if frame >> 12 else patch.mov_sp(X17, SP)
        patch.addsub_imm("sub", X17, X17, frame & 0xFFF)
        a.buf[frame_at : frame_at + 8] = patch.buf

    # -- control --------------------------------------------------------------------------------------
    def begin_else(self, f: Ctl) -> None:
        if not f.unreachable:
            self.spill_all()
            self.a.b(f.label)
            f.targeted = True
        assert f.else_label is not None
        self.a.bind(f.else_label)
        f.body, f.pos, f.else_body, f.unreachable = f.else_body, 0, None, False  # type: ignore[assignment]
        self.reset_to(f.height, f.params)

    def end_frame(self, f: Ctl) -> None:
        self.frames.pop()
        reachable = not f.unreachable
        if reachable:
            self.spill_all()
        if f.kind == "if" and f.else_label is not None and f.else_label.pos is None:
            self.a.bind(f.else_label)
            reachable = True
        if f.kind != "loop":
            self.a.bind(f.label)
            reachable = reachable or f.targeted
        self.reset_to(f.height, f.results)
        if self.frames and not reachable:
            self.frames[-1].unreachable = True

    def branch_moves(self, target: Ctl) -> None:
        """Store the branch's values into the target's slots (leaving the abstract state as it is)."""
        n = len(target.branch_types)
        base = len(self.stack) - n
        for i in range(n):
            e = self.stack[base + i]
            if base + i == target.height + i and e.kind == SLOT:
                continue
            self.copy_to(SP, self.slot(target.height + i), e, base + i)

    def in_place(self, target: Ctl) -> bool:
        return len(self.stack) - len(target.branch_types) == target.height

    def op_loop(self, ins: tuple) -> None:
        f = self.enter("loop", ins[1], ins[2])
        self.a.bind(f.label)

    def pop_condition(self) -> str:
        """Pop an i32 condition for a branch: the condition code under which it is true (a compare just before
        is still in the flags; anything else is compared with zero)."""
        e = self.pop()
        if e.kind == FLAGS:
            return e.value
        reg = self.to_reg(e, len(self.stack))
        self.free_gprs.append(reg)
        self.a.cmp_imm(reg, 0, w=False)
        return "ne"

    def op_if(self, ins: tuple) -> None:
        cc = self.pop_condition()
        f = self.enter("if", ins[1], ins[2])
        f.else_body = ins[3]
        f.else_label = Label()
        self.a.b_cond(INVERSE[cc], f.else_label)

    def op_br(self, ins: tuple) -> None:
        target = self.frames[-1 - ins[1]]
        target.targeted = True
        self.branch_moves(target)
        self.a.b(target.label)
        self.frames[-1].unreachable = True

    def op_br_if(self, ins: tuple) -> None:
        target = self.frames[-1 - ins[1]]
        target.targeted = True
        cc = self.pop_condition()
        a = self.a
        if self.in_place(target):
            n = len(target.branch_types)
            for d in range(len(self.stack) - n, len(self.stack)):
                self.spill(d)
            a.b_cond(cc, target.label)
            return
        skip = Label()
        a.b_cond(INVERSE[cc], skip)
        self.branch_moves(target)
        a.b(target.label)
        a.bind(skip)

    def op_br_table(self, ins: tuple) -> None:
        labels, default = ins[1], ins[2]
        index = self.pop_reg()
        a = self.a
        a.mov(X15, index, w=False)
        self.free_gprs.append(index)
        self.spill_all()
        stubs: list[tuple[Label, Ctl]] = []
        by_depth: dict[int, Label] = {}

        def dest(depth: int) -> Label:
            label = by_depth.get(depth)
            if label is None:
                target = self.frames[-1 - depth]
                target.targeted = True
                if self.in_place(target):
                    label = target.label
                else:
                    label = Label()
                    stubs.append((label, target))
                by_depth[depth] = label
            return label

        n = len(labels)
        if n < 4096:
            a.cmp_imm(X15, n, w=False)
        else:
            a.mov_imm(X16, n, w=False)
            a.cmp(X15, X16, w=False)
        a.b_cond("hs", dest(default))
        if labels:
            table = Label()
            a.adr(X16, table)
            a.ldst_reg("sw", X17, X16, X15, extend="uxtw", scaled=True)
            a.addsub("add", X16, X16, X17)
            a.br(X16)
            a.bind(table)
            for depth in labels:
                a.table_entry(dest(depth), table)
        for label, target in stubs:
            a.bind(label)
            self.branch_moves(target)
            a.b(target.label)
        self.frames[-1].unreachable = True

    def op_unreachable(self, ins: tuple) -> None:
        self.a.b(self.trap(L.TRAP_CODES["unreachable"]))
        self.frames[-1].unreachable = True

    # -- calls ----------------------------------------------------------------------------------------
    def call_sequence(self, ft: Any, emit_call) -> None:
        for t in tuple(ft.params) + tuple(ft.results):
            if t not in SUPPORTED_TYPES:
                raise self.unsupported(f"a call with a {t} value")
        self.spill_all()
        base = len(self.stack) - len(ft.params)
        self.sp_address(1, self.slot(base))
        emit_call()
        self.pin_memory()  # the callee may have grown the memory, or belong to a module with another
        del self.stack[base:]
        self.push_slots(ft.results)
        self.max_depth = max(self.max_depth, base + len(ft.params))

    def ctx_load(self, rd: int, offset: int) -> None:
        self.a.ldst("x", rd, CTX, offset)

    def op_call(self, ins: tuple) -> None:
        idx = ins[1]
        m, a = self.layout.module, self.a
        ft = m.func_type(idx)

        def emit() -> None:
            if idx >= self.layout.n_imported:
                a.mov(0, CTX)
                a.bl(self.layout.labels[idx - self.layout.n_imported])
            else:
                self.ctx_load(X16, self.layout.offsets["funcs"] + 8 * idx)
                a.ldst("x", 0, X16, L.REC_CTX)
                a.ldst("x", X16, X16, L.REC_CODE)
                a.blr(X16)

        self.call_sequence(ft, emit)

    def op_call_indirect(self, ins: tuple) -> None:
        type_idx, table = ins[1], ins[2]
        ft = self.layout.module.types[type_idx]
        index = self.pop_reg()
        a, offs = self.a, self.layout.offsets
        a.mov(X15, index, w=False)  # kept in x15: spills use x16/x17 only
        self.free_gprs.append(index)

        def emit() -> None:
            self.ctx_load(X16, offs["tables"] + 8 * table)
            a.ldst("x", X17, X16, L.TABLE_SIZE)
            a.cmp(X15, X17)
            a.b_cond("hs", self.trap(L.TRAP_CODES["undefined element"]))
            a.ldst("x", X16, X16, L.TABLE_ELEMS)
            a.ldst_reg("x", X16, X16, X15, scaled=True)
            a.cbz(X16, self.trap(L.TRAP_CODES["uninitialized element"]))
            self.ctx_load(X17, offs["types"] + 8 * type_idx)
            a.ldst("x", 0, X16, L.REC_TYPE)
            a.cmp(0, X17)
            a.b_cond("ne", self.trap(L.TRAP_CODES["indirect call type mismatch"]))
            a.ldst("x", 0, X16, L.REC_CTX)
            a.ldst("x", X16, X16, L.REC_CODE)
            a.blr(X16)

        self.call_sequence(ft, emit)

    def helper_call(self, op: str, n_args: int, result: str | None, imm: int = 0) -> None:
        """Operations left to Python (``NativeInstance.helper``, ``native.simd_helper``): operands in their
        slots, the result in the first."""
        self.spill_all()
        base = len(self.stack) - n_args
        a = self.a
        a.mov(0, CTX)
        a.movz(1, L.HELPER_CODES[op], w=False)
        self.sp_address(2, self.slot(base))
        a.mov_imm(3, imm)
        self.ctx_load(X16, L.CTX_STATE)
        a.ldst("x", X16, X16, L.ST_CALLBACK)
        a.blr(X16)
        a.cbz(0, self.trap(_TRAP_IN_W0), w=False, nonzero=True)
        self.pin_memory()
        del self.stack[base:]
        self.max_depth = max(self.max_depth, base + max(n_args, 1))
        if result:
            self.push_slots((result,))

    # -- locals, globals, references ---------------------------------------------------------------------
    def op_local_get(self, ins: tuple) -> None:
        self.stack.append(Entry(LOCAL, self.locals[ins[1]], ins[1]))
        self.max_depth = max(self.max_depth, len(self.stack))

    def set_local(self, i: int, e: Entry) -> None:
        """Store popped ``e`` into local ``i``, after spilling the stack's LOCAL entries that stand for the
        local's old value."""
        for d, other in enumerate(self.stack):
            if other.kind == LOCAL and other.value == i:
                self.spill(d)
        if e.kind == FLAGS:
            self.materialize_flags(e)
        if e.kind == REG:
            self.store_reg(SP, self.local(i), e.type, e.value)
        elif e.kind == CONST:
            self.store_const(SP, self.local(i), e)
        elif e.kind != LOCAL or e.value != i:
            self.copy_mem(SP, self.local(i), SP, self.home(e, len(self.stack)), e.type)

    def op_local_set(self, ins: tuple) -> None:
        e = self.pop()
        self.set_local(ins[1], e)
        self.free(e)

    def op_local_tee(self, ins: tuple) -> None:
        e = self.pop()
        self.set_local(ins[1], e)
        self.stack.append(e)

    def op_global_get(self, ins: tuple) -> None:
        t = self.layout.global_types[ins[1]]
        if t not in SUPPORTED_TYPES:
            raise self.unsupported(f"a {t} global")
        reg = self.alloc(t)
        self.ctx_load(X16, self.layout.offsets["globals"] + 8 * ins[1])
        self.load_reg(reg, t, X16, 0)
        self.push_reg(t, reg)

    def op_global_set(self, ins: tuple) -> None:
        t = self.layout.global_types[ins[1]]
        if t not in SUPPORTED_TYPES:
            raise self.unsupported(f"a {t} global")
        reg = self.pop_reg()
        self.ctx_load(X16, self.layout.offsets["globals"] + 8 * ins[1])
        self.store_reg(X16, 0, t, reg)
        self.free_reg(t, reg)

    def op_ref_func(self, ins: tuple) -> None:
        reg = self.alloc("funcref")
        self.ctx_load(reg, self.layout.offsets["funcs"] + 8 * ins[1])
        self.push_reg("funcref", reg)

    def op_ref_is_null(self, ins: tuple) -> None:
        reg = self.pop_reg()
        self.a.cmp_imm(reg, 0)
        self.free_gprs.append(reg)
        self.push_flags("eq")

    def op_select(self, ins: tuple) -> None:
        c = self.pop()
        if c.kind == FLAGS:
            cc = c.value
        else:
            cond = self.to_reg(c, len(self.stack))
            self.a.cmp_imm(cond, 0, w=False)
            self.free_gprs.append(cond)
            cc = "ne"
        b = self.pop()
        t = b.type
        rb = self.to_reg(b, len(self.stack))
        ra = self.pop_reg()
        a = self.a
        if t == "v128":
            keep = Label()
            a.b_cond(cc, keep)
            a.vmov(ra, rb)
            a.bind(keep)
        elif t in FLOAT:
            a.fcsel(ra, ra, rb, cc, t == "f64")
        else:
            a.csel(ra, ra, rb, cc, w=t != "i32")
        self.free_reg(t, rb)
        self.push_reg(t, ra)

    # -- tables and bulk memory (helpers) ---------------------------------------------------------------
    def op_table_size(self, ins: tuple) -> None:
        reg = self.alloc("i32")
        self.ctx_load(reg, self.layout.offsets["tables"] + 8 * ins[1])
        self.a.ldst("w", reg, reg, L.TABLE_SIZE)
        self.push_reg("i32", reg)

    def op_table_get(self, ins: tuple) -> None:
        self.helper_call("table.get", 1, self.table_elem(ins[1]), ins[1])

    def bulk_operands(self) -> None:
        """Spill, and load the three i32 operands of a bulk memory instruction into x0, x1, x2 (the stack is
        all in slots, so every value register is free) and pop them."""
        self.spill_all()
        base = len(self.stack) - 3
        for i in range(3):
            self.a.ldst("w", i, SP, self.slot(base + i))
        del self.stack[base:]

    def check_range(self, start: int, length: int) -> None:
        """Trap unless ``start + length`` (zero-extended u32s, so no wrap-around) is within the memory."""
        self.a.addsub("add", X16, start, length)
        self.a.cmp(X16, MEM_SIZE)
        self.a.b_cond("hi", self.trap(L.TRAP_CODES["out of bounds memory access"]))

    def op_memory_copy(self, ins: tuple) -> None:
        """memory.copy as a loop of 8-byte then 1-byte moves, downwards when the destination overlaps the
        source from above.  x0 = destination, x1 = source, x2 = count."""
        a = self.a
        self.bulk_operands()
        self.check_range(1, 2)
        self.check_range(0, 2)
        a.addsub("add", 0, 0, MEM_BASE)
        a.addsub("add", 1, 1, MEM_BASE)
        forward, done, down8, down1, up8, up1 = Label(), Label(), Label(), Label(), Label(), Label()
        a.cmp(0, 1)
        a.b_cond("ls", forward)
        a.addsub("add", X16, 1, 2)
        a.cmp(0, X16)
        a.b_cond("hs", forward)
        a.addsub("add", 0, 0, 2)  # downwards: from the ends
        a.addsub("add", 1, 1, 2)
        a.bind(down8)
        a.cmp_imm(2, 8)
        a.b_cond("lo", down1)
        a.ldst("x", X16, 1, -8)
        a.ldst("x", X16, 0, -8, store=True)
        a.addsub_imm("sub", 0, 0, 8)
        a.addsub_imm("sub", 1, 1, 8)
        a.addsub_imm("sub", 2, 2, 8)
        a.b(down8)
        a.bind(down1)
        a.cbz(2, done)
        a.ldst("b", X16, 1, -1)
        a.ldst("b", X16, 0, -1, store=True)
        a.addsub_imm("sub", 0, 0, 1)
        a.addsub_imm("sub", 1, 1, 1)
        a.addsub_imm("sub", 2, 2, 1)
        a.b(down1)
        a.bind(forward)
        a.bind(up8)
        a.cmp_imm(2, 8)
        a.b_cond("lo", up1)
        a.ldst("x", X16, 1, 0)
        a.ldst("x", X16, 0, 0, store=True)
        a.addsub_imm("add", 0, 0, 8)
        a.addsub_imm("add", 1, 1, 8)
        a.addsub_imm("sub", 2, 2, 8)
        a.b(up8)
        a.bind(up1)
        a.cbz(2, done)
        a.ldst("b", X16, 1, 0)
        a.ldst("b", X16, 0, 0, store=True)
        a.addsub_imm("add", 0, 0, 1)
        a.addsub_imm("add", 1, 1, 1)
        a.addsub_imm("sub", 2, 2, 1)
        a.b(up1)
        a.bind(done)

    def op_memory_fill(self, ins: tuple) -> None:
        """memory.fill as a loop of 8-byte then 1-byte stores.  x0 = destination, x1 = byte, x2 = count."""
        a = self.a
        self.bulk_operands()
        self.check_range(0, 2)
        a.addsub("add", 0, 0, MEM_BASE)
        a.uxt(1, 1, 8)
        a.mov_imm(X16, 0x0101010101010101)
        a.mul(X16, 1, X16)  # the byte in every byte of x16
        loop8, loop1, done = Label(), Label(), Label()
        a.bind(loop8)
        a.cmp_imm(2, 8)
        a.b_cond("lo", loop1)
        a.ldst("x", X16, 0, 0, store=True)
        a.addsub_imm("add", 0, 0, 8)
        a.addsub_imm("sub", 2, 2, 8)
        a.b(loop8)
        a.bind(loop1)
        a.cbz(2, done)
        a.ldst("b", X16, 0, 0, store=True)
        a.addsub_imm("add", 0, 0, 1)
        a.addsub_imm("sub", 2, 2, 1)
        a.b(loop1)
        a.bind(done)

    def op_memory_size(self, ins: tuple) -> None:
        reg = self.alloc("i32")
        self.a.shift_imm("lsr", reg, MEM_SIZE, 16)
        self.push_reg("i32", reg)

    # -- memory accesses ------------------------------------------------------------------------------
    def pin_memory(self) -> None:
        """Load the pinned memory registers (at entry, after calls and helper calls)."""
        if self.layout.has_memory:
            self.ctx_load(X16, L.CTX_MEMORY)
            self.a.pair("x", MEM_BASE, MEM_SIZE, X16, L.MEM_BASE, False)

    def access(self, kind: str, reg: int, addr: int, offset: int, size: int, store: bool) -> None:
        """Bounds-check ``addr + offset .. + size`` against the memory's current size (trapping when out of
        bounds), then load or store ``reg``; uses x16 (and x17 for an end with no immediate form)."""
        a = self.a
        end = offset + size
        if _addsub_imm_ok(end):
            a.addsub_imm("add", X16, addr, end)
        else:
            a.mov_imm(X17, end)
            a.addsub("add", X16, X17, addr)
        a.cmp(X16, MEM_SIZE)
        a.b_cond("hi", self.trap(L.TRAP_CODES["out of bounds memory access"]))
        if offset == 0:
            a.ldst_reg(kind, reg, MEM_BASE, addr, store)
        else:
            a.addsub("add", X16, MEM_BASE, X16)
            a.ldst(kind, reg, X16, -size, store)

    def op_load(self, ins: tuple) -> None:
        size, kind, t = _LOADS[ins[0]]
        addr = self.pop_reg()
        if t in FLOAT:
            reg = self.alloc(t)
            self.access(kind, reg, addr, ins[2], size, False)
            self.free_gprs.append(addr)
        else:
            self.access(kind, addr, addr, ins[2], size, False)
            reg = addr
        self.push_reg(t, reg)

    def op_store(self, ins: tuple) -> None:
        size, kind = _STORES[ins[0]]
        value = self.pop()
        t = value.type
        if value.kind == CONST and not value.value and t not in FLOAT:
            val = ZR
        else:
            val = self.to_reg(value, len(self.stack))
        addr = self.pop_reg()
        self.access(kind, val, addr, ins[2], size, True)
        if val != ZR:
            self.free_reg(t, val)
        self.free_gprs.append(addr)

    # -- integer arithmetic ---------------------------------------------------------------------------
    def op_int_binary(self, ins: tuple) -> None:
        w = ins[0][1] == "6"
        op = ins[0][4:]
        b = self.pop()
        t = b.type
        a = self.a
        if b.kind == CONST and op in ("add", "sub") and _addsub_imm_ok(_signed(b.value, w)):
            ra = self.pop_reg()
            a.addsub_imm(op, ra, ra, _signed(b.value, w), w)
        elif b.kind == CONST and op in _LOGIC and bitmask_imm(b.value, w) is not None:
            ra = self.pop_reg()
            a.logic_imm(_LOGIC[op], ra, ra, b.value, w)
        else:
            rb = self.to_reg(b, len(self.stack))
            ra = self.pop_reg()
            if op == "mul":
                a.mul(ra, ra, rb, w)
            elif op in _LOGIC:
                a.logic(_LOGIC[op], ra, ra, rb, w)
            else:
                a.addsub(op, ra, ra, rb, w)
            self.free_gprs.append(rb)
        self.push_reg(t, ra)

    def op_int_compare(self, ins: tuple) -> None:
        w = ins[0][1] == "6"
        cc = _INT_CMP[ins[0][4:]]
        b = self.pop()
        a = self.a
        if b.kind == CONST and _addsub_imm_ok(_signed(b.value, w)):
            ra = self.pop_reg()
            a.cmp_imm(ra, _signed(b.value, w), w)
        else:
            rb = self.to_reg(b, len(self.stack))
            ra = self.pop_reg()
            a.cmp(ra, rb, w)
            self.free_gprs.append(rb)
        self.free_gprs.append(ra)
        self.push_flags(cc)

    def op_eqz(self, ins: tuple) -> None:
        reg = self.pop_reg()
        self.a.cmp_imm(reg, 0, ins[0][1] == "6")
        self.free_gprs.append(reg)
        self.push_flags("eq")

    def op_int_unary(self, ins: tuple) -> None:
        t, op = ins[0][:3], ins[0][4:]
        w = t == "i64"
        reg = self.pop_reg()
        a = self.a
        if op == "popcnt":
            a.fmov_to_fp(V30, reg, w)  # the rest of v30 zeroed
            a.cnt8b(V30, V30)
            a.addv8b(V30, V30)
            a.fmov_to_gp(reg, V30, False)
        elif op == "clz":
            a.clz(reg, reg, w)
        else:  # ctz
            a.rbit(reg, reg, w)
            a.clz(reg, reg, w)
        self.push_reg(t, reg)

    def op_shift(self, ins: tuple) -> None:
        t, name = ins[0][:3], ins[0][4:]
        w = t == "i64"
        bits = 64 if w else 32
        op = _SHIFTS[name]
        b = self.pop()
        a = self.a
        if b.kind == CONST:
            n = b.value & (bits - 1)
            ra = self.pop_reg()
            a.shift_imm(op, ra, ra, (bits - n) % bits if name == "rotl" else n, w)
            self.push_reg(t, ra)
            return
        rb = self.to_reg(b, len(self.stack))
        ra = self.pop_reg()
        if name == "rotl":  # rotate left by n = right by -n (rorv takes it modulo the width)
            a.neg(rb, rb, w)
        a.shiftv(op, ra, ra, rb, w)
        self.free_gprs.append(rb)
        self.push_reg(t, ra)

    def op_divide(self, ins: tuple) -> None:
        t, op = ins[0][:3], ins[0][4:]
        w = t == "i64"
        a = self.a
        rb = self.pop_reg()
        ra = self.pop_reg()
        a.cbz(rb, self.trap(L.TRAP_CODES["integer divide by zero"]), w=w)
        signed = op.endswith("_s")
        if op == "div_s":  # INT_MIN / -1 overflows (sdiv would give INT_MIN); rem_s gives 0 there as wasm wants
            normal = Label()
            a.cmp_imm(rb, -1, w)
            a.b_cond("ne", normal)
            a.mov_imm(X15, 1 << 63 if w else 1 << 31, w)
            a.cmp(ra, X15, w)
            a.b_cond("eq", self.trap(L.TRAP_CODES["integer overflow"]))
            a.bind(normal)
        if op.startswith("div"):
            a.div(ra, ra, rb, w, signed)
        else:
            a.div(X15, ra, rb, w, signed)
            a.madd(ra, X15, rb, ra, w, sub=True)
        self.free_gprs.append(rb)
        self.push_reg(t, ra)

    def op_extend(self, ins: tuple) -> None:
        name = ins[0]
        t = name[:3]
        reg = self.pop_reg()
        a = self.a
        if name in ("i64.extend_i32_u", "i32.wrap_i64"):
            a.mov(reg, reg, w=False)
        elif name in ("i64.extend_i32_s", "i64.extend32_s"):
            a.sxt(reg, reg, 32)
        else:
            a.sxt(reg, reg, 8 if "8" in name.split(".")[1] else 16, w=t == "i64")
        self.push_reg(t, reg)

    # -- floating point -------------------------------------------------------------------------------
    def op_float_binary(self, ins: tuple) -> None:
        t, op = ins[0][:3], ins[0][4:]
        d = t == "f64"
        rb = self.pop_reg()
        ra = self.pop_reg()
        a = self.a
        if op == "copysign":  # a's bits but the sign, inserted into b's bits
            a.fmov_to_gp(X16, ra, d)
            a.fmov_to_gp(X17, rb, d)
            a.bfm("bfm", X17, X16, 0, (62 if d else 30), d)
            a.fmov_to_fp(ra, X17, d)
        else:  # fmin/fmax: NaN in, NaN out; -0 < +0: wasm's min and max
            a.fp2(op, ra, ra, rb, d)
        self.free_vregs.append(rb)
        self.push_reg(t, ra)

    def op_float_unary(self, ins: tuple) -> None:
        t, op = ins[0][:3], ins[0][4:]
        reg = self.pop_reg()
        self.a.fp1(op, reg, reg, t == "f64")  # fabs/fneg change only the sign bit, NaN or not
        self.push_reg(t, reg)

    def op_float_compare(self, ins: tuple) -> None:
        t, op = ins[0][:3], ins[0][4:]
        rb = self.pop_reg()
        ra = self.pop_reg()
        self.a.fcmp(ra, rb, t == "f64")
        self.free_vregs.append(ra)
        self.free_vregs.append(rb)
        self.push_flags(_FLOAT_CMP[op])

    def float_const(self, vreg: int, t: str, value: float) -> None:
        d = t == "f64"
        self.a.mov_imm(X15, _bits(t, value), w=d)
        self.a.fmov_to_fp(vreg, X15, d)

    def op_convert(self, ins: tuple) -> None:
        name = ins[0]
        t, src = name[:3], name[-5:-2]  # f32.convert_i64_u
        reg = self.pop_reg()
        res = self.alloc(t)
        self.a.cvt_int_to_float(res, reg, t == "f64", src == "i64", name.endswith("_s"))
        self.free_gprs.append(reg)
        self.push_reg(t, res)

    def op_truncate(self, ins: tuple) -> None:
        name = ins[0]
        t, src = name[:3], name[-5:-2]  # i32.trunc_sat_f64_u
        signed = name.endswith("_s")
        d = src == "f64"
        x = self.pop_reg()
        res = self.alloc(t)
        a = self.a
        if "_sat_" not in name:  # fcvtz* saturate (NaN to 0): the trapping forms check first
            lo, lo_allowed, hi = TRUNC_BOUNDS[t, signed, src]
            a.fcmp(x, x, d)
            a.b_cond("vs", self.trap(L.TRAP_CODES["invalid conversion to integer"]))
            overflow = self.trap(L.TRAP_CODES["integer overflow"])
            self.float_const(V30, src, lo)
            a.fcmp(x, V30, d)
            a.b_cond("lt" if lo_allowed else "le", overflow)
            self.float_const(V30, src, hi)
            a.fcmp(x, V30, d)
            a.b_cond("ge", overflow)
        a.cvt_float_to_int(res, x, d, t == "i64", signed)
        self.free_vregs.append(x)
        self.push_reg(t, res)

    def op_float_width(self, ins: tuple) -> None:
        t = ins[0][:3]
        reg = self.pop_reg()
        self.a.fp1("cvt_d" if t == "f64" else "cvt_s", reg, reg, t == "f32")
        self.push_reg(t, reg)

    def op_reinterpret(self, ins: tuple) -> None:
        t = ins[0][:3]
        e = self.pop()
        if e.kind == CONST:
            self.push_const(t, e.value)
            return
        src = self.to_reg(e, len(self.stack))
        res = self.alloc(t)
        d = t in ("i64", "f64")
        if t in FLOAT:
            self.a.fmov_to_fp(res, src, d)
            self.free_gprs.append(src)
        else:
            self.a.fmov_to_gp(res, src, d)
            self.free_vregs.append(src)
        self.push_reg(t, res)


FunctionCompiler.HANDLERS = {**scalar_handlers(FunctionCompiler), **simd_handlers()}


def compile_module(module: Any) -> tuple[bytes, list[int]]:
    """The machine code of every function ``module`` defines, and each function's offset in it.  A branch
    beyond its form's range (b.cond: 1 MiB) is refused with ``UnsupportedError``, like any other limit."""
    layout = ModuleLayout(module)
    asm = Assembler()
    for i in range(len(module.funcs)):
        fc = FunctionCompiler(layout, asm, i)
        try:
            fc.compile()
        except OverflowError as exc:
            raise fc.unsupported(f"code too large for a branch ({exc})") from exc
    return bytes(asm.buf), [label.pos for label in layout.labels]
