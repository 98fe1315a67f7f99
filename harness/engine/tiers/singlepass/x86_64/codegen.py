"""x86-64 code for a validated module in one pass over each function body (docs/SINGLEPASS_TIER.md).

The abstract value stack: each wasm operand is a constant (an immediate, never materialised until an
instruction needs it in a register), a register (general or xmm), a lazy read of a local, or *spilled* to its
canonical slot, the frame slot of its stack position.  Registers are taken from a free pool; when it is empty
a cached local is forgotten, else the oldest register value is spilled.  At every control-flow join (block,
loop and if entry, else, end) the whole stack is spilled, so that a join's state is always "every value in
its slot": branches then only store their values into the target's result slots.  Before a call only
register values are spilled (and the operands, which the callee reads from their slots).

Locals live in 16-byte frame slots that are always up to date (write-through), and are also *cached*: a
register known to hold a local's value, or a constant it is known to hold.  Caches survive straight-line
code, joins whose incoming paths agree, and loop headers for the locals the loop reads (their *home*
registers, restored on every branch back); calls forget them.  Bounds checks already made for a local's value
are not repeated.

The internal ABI of a wasm function: ``rdi`` its VMContext, ``rsi`` the address of an array of 16-byte slots
holding its arguments, where it writes its results (the caller's value-stack slots, so results need no
copy).  It keeps ``rbp``, ``rsp`` and ``r15`` (its VMContext while it runs) and may change every other
register.  Frame: return address, saved ``rbp``, saved ``r15``, the slot pointer, then ``rsp`` at the
locals followed by the value-stack slots; calls happen with ``rsp`` 16-byte aligned.  Slots are written 8
bytes at a time, so that 8-byte copies of them are forwarded from the store buffer.  In a module with a
memory, ``r13`` holds its cell and ``r14`` its base (loaded at entry and after calls through function
records; calls into C and of the module's own functions keep them), so an access costs one compare with the
current size and no loads.
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
from .encoder import (
    R8,
    R9,
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
    fits_i32,
)
from .simd import SimdMixin, simd_handlers

GPRS = (RAX, RCX, RDX, RBX, RSI, RDI, R8, R9, R12, R13, R14)  # r10, r11: scratch; r15: VMContext
MEM_CELL, MEM_BASE = R13, R14  # pinned in modules with a memory: its cell and its (never moving) base
XMMS = tuple(range(14))  # xmm14, xmm15: scratch
X14, X15 = 14, 15
FLOAT = ("f32", "f64")
XMM_TYPES = ("f32", "f64", "v128")  # values kept in xmm registers
SLOT_BYTES = 16  # bytes per local and value-stack slot (a v128 fills one)
_PATCH = 1 << 30  # placeholder of a 32-bit field patched when the frame size is known
_LOOP_PRELOADS = 4  # read-only locals a loop header loads into registers ...
_LOOP_SPARE = 4  # ... while more than this many registers of their kind stay free
_CACHED_PARAMS = 4  # parameters loaded through a register kept as their cache (the rest copied memory to memory)
_TRAP_IN_EAX = -1  # the trap "code" of a failed callback: the callback's return value is already in eax

_ALU = {"add": "add", "sub": "sub", "and": "and", "or": "or", "xor": "xor"}
_INT_CMP = {"eq": "e", "ne": "ne", "lt_s": "l", "lt_u": "b", "gt_s": "g", "gt_u": "a", "le_s": "le", "le_u": "be",
            "ge_s": "ge", "ge_u": "ae"}
_INVERSE = {"e": "ne", "ne": "e", "l": "ge", "ge": "l", "g": "le", "le": "g", "b": "ae", "ae": "b", "a": "be",
            "be": "a"}
_SHIFTS = {"shl": "shl", "shr_s": "sar", "shr_u": "shr", "rotl": "rol", "rotr": "ror"}
_LOADS = {  # op: (bytes, sign-extend, result type)
    "i32.load": (4, False, "i32"), "i64.load": (8, False, "i64"), "f32.load": (4, False, "f32"),
    "f64.load": (8, False, "f64"), "i32.load8_s": (1, True, "i32"), "i32.load8_u": (1, False, "i32"),
    "i32.load16_s": (2, True, "i32"), "i32.load16_u": (2, False, "i32"), "i64.load8_s": (1, True, "i64"),
    "i64.load8_u": (1, False, "i64"), "i64.load16_s": (2, True, "i64"), "i64.load16_u": (2, False, "i64"),
    "i64.load32_s": (4, True, "i64"), "i64.load32_u": (4, False, "i64"),
}
_STORES = {"i32.store": 4, "i64.store": 8, "f32.store": 4, "f64.store": 8, "i32.store8": 1, "i32.store16": 2,
           "i64.store8": 1, "i64.store16": 2, "i64.store32": 4}
_ROUND = {"ceil": 10, "floor": 9, "trunc": 11, "nearest": 8}  # roundss/sd modes, inexact exception suppressed
_SIGN = {"f32": 1 << 31, "f64": 1 << 63}
# float -> int truncation: (lower bound, lower bound inclusive?, upper bound exclusive), per (dst, signed)
def _scan_locals(body: list) -> tuple[set, dict]:
    """The locals a body (nested blocks included) writes, and how often it reads each."""
    written: set = set()
    reads: dict[int, int] = {}
    todo = [body]
    while todo:
        for ins in todo.pop():
            op = ins[0]
            if op == "local.get":
                reads[ins[1]] = reads.get(ins[1], 0) + 1
            elif op == "local.set" or op == "local.tee":
                written.add(ins[1])
            elif op == "block" or op == "loop":
                todo.append(ins[2])
            elif op == "if":
                todo.append(ins[2])
                if ins[3]:
                    todo.append(ins[3])
    return written, reads


def _common_cache(states: list[tuple[dict, dict]]) -> tuple[dict, dict]:
    """The (local, register) and (local, constant) pairs that all of ``states`` hold."""
    if not states:
        return {}, {}
    (cached, known), rest = states[0], states[1:]
    return ({i: r for i, r in cached.items() if all(s[0].get(i) == r for s in rest)},
            {i: v for i, v in known.items() if all(i in s[1] and s[1][i] == v for s in rest)})


class ModuleLayout(CommonLayout):
    new_label = Label


class Ctl:
    """A control frame: where branches go, what they carry, and the stack height beneath its operands."""

    __slots__ = ("kind", "label", "height", "params", "results", "body", "pos", "else_body", "else_label",
                 "unreachable", "targeted", "incoming", "if_state", "loop_cache")

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
        self.incoming: list[tuple[dict, dict]] = []  # the local caches of the branches to this block's end
        self.if_state: tuple[dict, dict] = ({}, {})  # an if's caches where it jumps to its else
        self.loop_cache: dict[int, int] = {}  # a loop's header: local -> register every back edge must hold

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
        self.index = index  # in the module's funcs (not counting imports)
        m = layout.module
        func = m.funcs[index]
        self.ft = m.types[func.type_idx]
        self.locals = list(self.ft.params) + list(func.locals)
        self.body = func.body
        self.stack: list[Entry] = []
        pinned = (MEM_CELL, MEM_BASE) if layout.has_memory else ()
        self.free_gprs = [r for r in GPRS if r not in pinned]
        self.free_xmms = list(XMMS)
        # locals whose current value is also in a register (local -> register; the register is in neither
        # pool until the entry is dropped).  Write-through: the local's slot is always up to date, so a
        # cached register can be dropped at any time at no cost, and joins only forget the cache.
        self.cached: dict[int, int] = {}
        self.known: dict[int, Any] = {}  # locals known to hold a constant (set from one), same lifetime
        self.flags_live = False  # eflags hold a condition still to be used: materialise without xor
        # local -> the largest access end (offset + size) already bounds-checked for its current value since
        # the last join: memories never shrink, so a smaller access needs no check until the local changes
        self.checked: dict[int, int] = {}
        self.src_local: int | None = None  # the local the last pop_src read, if it was one
        self.max_depth = 0
        self.traps: dict[int, Label] = {}
        self.frames: list[Ctl] = []

    # -- errors ---------------------------------------------------------------------------------------
    def unsupported(self, what: str) -> UnsupportedError:
        m = self.layout.module
        idx = self.layout.n_imported + self.index
        name = m.func_names.get(idx)
        return UnsupportedError(f"singlepass tier: function {idx}{f' ({name})' if name else ''}: {what} "
                                "is not supported yet", what)

    # -- frame slots ----------------------------------------------------------------------------------
    def slot(self, depth: int) -> Mem:
        return Mem(RSP, SLOT_BYTES * (len(self.locals) + depth))

    def local(self, i: int) -> Mem:
        return Mem(RSP, SLOT_BYTES * i)

    # -- registers ------------------------------------------------------------------------------------
    def alloc(self, t: str) -> int:
        pool = self.free_xmms if t in XMM_TYPES else self.free_gprs
        if not pool:
            want_xmm = t in XMM_TYPES
            for i in self.cached:  # a cached local costs nothing to forget (its slot is up to date)
                if (self.locals[i] in XMM_TYPES) == want_xmm:
                    self.uncache(i)
                    return pool.pop()
            for d, e in enumerate(self.stack):
                if e.kind == REG and (e.type in XMM_TYPES) == want_xmm:
                    self.spill(d)
                    break
        return pool.pop()

    def free(self, e: Entry) -> None:
        if e.kind == REG:
            (self.free_xmms if e.type in XMM_TYPES else self.free_gprs).append(e.value)

    def take(self, reg: int) -> None:
        """Claim a specific free general register."""
        self.free_gprs.remove(reg)

    # -- locals cached in registers -------------------------------------------------------------------
    def cache_reg(self, i: int) -> int | None:
        """The register that holds local ``i``'s current value, if one does."""
        return self.cached.get(i)

    def uncache(self, i: int) -> None:
        self.known.pop(i, None)
        reg = self.cached.pop(i, None)
        if reg is not None:
            (self.free_xmms if self.locals[i] in XMM_TYPES else self.free_gprs).append(reg)

    def drop_cache(self) -> None:
        """Forget every cached local: at a label (paths with other caches meet there) and before code that
        clobbers registers (calls, helpers, string instructions)."""
        for i in list(self.cached):
            self.uncache(i)
        self.known.clear()

    def cache_local(self, i: int, reg: int) -> None:
        """Keep the (owned) register ``reg``, which holds local ``i``'s value just stored, as its cache."""
        self.uncache(i)
        self.cached[i] = reg

    def local_operand(self, i: int) -> Mem | int:
        """Local ``i`` as an instruction's source operand: its cache register, else its slot.  Ask only after
        the instruction's other registers are allocated (an allocation may drop the cache)."""
        reg = self.cached.get(i)
        return self.local(i) if reg is None else reg

    def evict(self, reg: int) -> None:
        """Make general register ``reg`` free by spilling the stack value that holds it (or forgetting the
        local it caches)."""
        for i, r in self.cached.items():
            if r == reg and self.locals[i] not in XMM_TYPES:
                self.uncache(i)
                return
        for d, e in enumerate(self.stack):
            if e.kind == REG and e.value == reg and e.type not in XMM_TYPES:
                self.spill(d)
                return

    # -- moving values --------------------------------------------------------------------------------
    def store_const(self, mem: Mem, e: Entry) -> None:
        """Store a constant into a slot or local: 8 bytes for every scalar (a 32-bit value's upper half is
        don't-care), so that any later 8-byte copy of the slot is forwarded from this store."""
        v = e.value or 0
        if e.type == "v128":  # four 32-bit immediates: no register (spills happen while scratch ones are busy)
            for k in range(4):
                self.a.store_i32(Mem(mem.base, mem.disp + 4 * k, mem.index, mem.scale),
                                 _signed(v >> (32 * k), False), w=False)
        elif e.type in ("i32", "f32"):
            self.a.store_i32(mem, _signed(v, False), w=True)
        elif fits_i32(_signed(v, True)):
            self.a.store_i32(mem, _signed(v, True), w=True)
        else:
            self.a.store_i32(mem, _signed(v & 0xFFFFFFFF, False), w=False)
            self.a.store_i32(Mem(mem.base, mem.disp + 4, mem.index, mem.scale), _signed(v >> 32, False), w=False)

    def store_reg(self, mem: Mem, t: str, reg: int) -> None:
        """Store a register into a slot or local.  Scalars always as 8 bytes (``mov r64``, ``movsd``): slots
        are copied 8 bytes at a time (spills, arguments, results), and an 8-byte load of a 4-byte store
        cannot be forwarded from the store buffer -- a stall of a dozen cycles on every call that passed an
        i32.  The upper half of a 32-bit value's slot is don't-care: every reader takes the low 4 bytes."""
        if t == "v128":
            self.a.movdqu_store(mem, reg)
        elif t in FLOAT:
            self.a.movs_store(mem, reg, True)
        else:
            self.a.store(mem, reg, w=True)

    def load_reg(self, reg: int, t: str, mem: Mem) -> None:
        if t == "v128":
            self.a.movdqu_load(reg, mem)
        elif t in FLOAT:
            self.a.movs_load(reg, mem, t == "f64")
        else:
            self.a.load(reg, mem, w=t != "i32")

    def materialize_flags(self, e: Entry) -> None:
        """Turn a FLAGS entry into a register holding 0 or 1 (setcc and movzx leave eflags alone)."""
        reg = self.alloc("i32")
        self.a.setcc(e.value, reg)
        self.a.movzx8(reg, reg)
        e.kind, e.value = REG, reg

    def home(self, e: Entry, depth: int) -> Mem:
        """Where the value of a SLOT or LOCAL entry at stack ``depth`` is in memory."""
        return self.local(e.value) if e.kind == LOCAL else self.slot(depth)

    def spill(self, d: int) -> None:
        e = self.stack[d]
        if e.kind == FLAGS:
            self.materialize_flags(e)
        if e.kind == REG:
            self.store_reg(self.slot(d), e.type, e.value)
            self.free(e)
        elif e.kind == CONST:
            self.store_const(self.slot(d), e)
        elif e.kind == LOCAL and self.cache_reg(e.value) is not None:
            self.store_reg(self.slot(d), e.type, self.cached[e.value])
        elif e.kind == LOCAL:  # memory to memory without a register: spills happen while r10/r11 hold values
            src, dst = self.local(e.value), self.slot(d)
            for k in range(2 if e.type == "v128" else 1):
                self.a.push_m(Mem(src.base, src.disp + 8 * k))
                self.a.pop_m(Mem(dst.base, dst.disp + 8 * k))
        e.kind = SLOT

    def spill_for_call(self, base: int) -> None:
        """Before a call: the operands from ``base`` up into their slots (the callee reads them there), and
        beneath them only what lives in registers (every register is the callee's).  Constants stay
        constants and lazy ``local.get`` entries stay lazy: no call can change this frame's locals."""
        for d, e in enumerate(self.stack):
            if e.kind != SLOT and (d >= base or e.kind in (REG, FLAGS)):
                self.spill(d)

    def copy_to(self, mem: Mem, e: Entry, depth: int) -> None:
        """Store the value of ``e`` (at stack ``depth``) into ``mem`` without changing the abstract state."""
        if e.kind == REG:
            self.store_reg(mem, e.type, e.value)
        elif e.kind == CONST:
            self.store_const(mem, e)
        elif e.kind == LOCAL and self.cache_reg(e.value) is not None:
            self.store_reg(mem, e.type, self.cached[e.value])
        else:
            self.copy_mem(mem, self.home(e, depth), e.type)

    def copy_mem(self, dst: Mem, src: Mem, t: str) -> None:
        """Copy a value of type ``t`` from memory to memory through r11."""
        for k in range(2 if t == "v128" else 1):
            self.a.load(R11, Mem(src.base, src.disp + 8 * k, src.index, src.scale))
            self.a.store(Mem(dst.base, dst.disp + 8 * k, dst.index, dst.scale), R11)

    def materialize(self, e: Entry, reg: int) -> None:
        """Put the value of CONST or SLOT entry ``e`` into ``reg`` (its kind's register file)."""
        a = self.a
        if e.kind == CONST:
            if e.type == "v128":
                self.v128_const(reg, e.value)
            elif e.type in FLOAT:
                if e.value == 0:
                    a.logic_p("xor", reg, reg, False)
                else:
                    a.mov_ri(R11, e.value, w=e.type == "f64")
                    a.movd_xr(reg, R11, e.type == "f64")
            elif e.value == 0 and not self.flags_live:
                a.alu_rr("xor", reg, reg, False)
            else:
                a.mov_ri(reg, e.value or 0, w=e.type != "i32")
        else:
            raise AssertionError("materialize of a slot needs its depth")

    def to_reg(self, e: Entry, depth: int | None = None) -> int:
        """A register holding ``e``'s value that the caller now owns (``e`` was popped)."""
        if e.kind == REG:
            return e.value
        reg = self.alloc(e.type)
        if e.kind == CONST:
            self.materialize(e, reg)
        elif e.kind == LOCAL and self.cache_reg(e.value) is not None:
            self.move_reg(e.type, reg, self.cached[e.value])
        else:
            self.load_reg(reg, e.type, self.home(e, len(self.stack) if depth is None else depth))
        return reg

    def move_reg(self, t: str, dst: int, src: int) -> None:
        if dst != src:
            if t in XMM_TYPES:
                self.a.movaps(dst, src)
            else:
                self.a.mov_rr(dst, src, w=t != "i32")

    def pop_target(self) -> int:
        """Pop the operand an instruction overwrites with its result: a register the caller owns.  When the
        operand is a cached local and the next instruction assigns the result to that same local
        (``i = i + x``), its cache register is taken over and the result computed in place, without a copy.
        Dropping a cache this way is safe: until the assignment's store the local's slot holds the old value,
        for this instruction's other operand and for lazy reads deeper in the stack, which the assignment
        spills before it stores."""
        e = self.stack[-1]
        f = self.frames[-1]
        nxt = f.body[f.pos] if f.pos < len(f.body) else ("",)
        if nxt[0] != "local.set" and nxt[0] != "local.tee":
            return self.pop_reg()
        if e.kind == LOCAL and e.value in self.cached and nxt[1] == e.value:
            self.stack.pop()
            return self.cached.pop(e.value)
        home = self.home_reg(nxt[1])
        if home is not None and e.type not in XMM_TYPES and self.cached.get(nxt[1]) == home:
            self.uncache(nxt[1])
        if home is not None and e.type not in XMM_TYPES and home in self.free_gprs:
            # the result goes to a local with a home register in this loop: compute it there
            self.stack.pop()
            self.free_gprs.remove(home)
            if e.kind == REG:
                self.a.mov_rr(home, e.value, w=e.type != "i32")
                self.free(e)
            elif e.kind == CONST:
                self.materialize(e, home)
            elif e.kind == LOCAL and e.value in self.cached:
                self.a.mov_rr(home, self.cached[e.value], w=e.type != "i32")
            else:
                self.load_reg(home, e.type, self.home(e, len(self.stack)))
            return home
        return self.pop_reg()

    def pop_src(self) -> tuple[int, bool]:
        """Pop a value an instruction only reads: a register holding it, and whether the caller owns it (and
        must free it).  A local is read in its cache register (loaded into one first if it has none).  The
        register is the caller's only until its next allocation, which may take it back: read it first."""
        e = self.stack.pop()
        self.src_local = e.value if e.kind == LOCAL else None
        if e.kind == LOCAL:
            reg = self.cached.get(e.value)
            if reg is None:  # loaded once, into a register that becomes the local's cache
                reg = self.alloc(e.type)
                self.load_reg(reg, e.type, self.local(e.value))
                self.cache_local(e.value, reg)
            return reg, False
        return self.to_reg(e, len(self.stack)), True

    def release(self, reg: int, owned: bool, t: str = "i32") -> None:
        if owned:
            (self.free_xmms if t in XMM_TYPES else self.free_gprs).append(reg)

    def stage(self, e: Entry, depth: int, scratch: int) -> None:
        """Copy a popped general value into a scratch register and release its register."""
        a = self.a
        if e.kind == REG:
            a.mov_rr(scratch, e.value)
            self.free(e)
        elif e.kind == CONST:
            a.mov_ri(scratch, e.value or 0, w=e.type != "i32")
        elif e.kind == LOCAL and self.cache_reg(e.value) is not None:
            a.mov_rr(scratch, self.cached[e.value], w=e.type != "i32")
        else:
            a.load(scratch, self.home(e, depth), w=e.type != "i32")

    # -- the function ---------------------------------------------------------------------------------
    def compile(self) -> None:
        for t in self.locals + list(self.ft.results):
            if t not in SUPPORTED_TYPES:
                raise self.unsupported(f"a {t} local, parameter or result")
        a = self.a
        a.bind(self.layout.labels[self.index])
        a.push(RBP)
        a.mov_rr(RBP, RSP)
        a.push(R15)
        a.push(RSI)
        a.mov_rr(R15, RDI)
        # stack check: this frame must fit above the store's limit (Exhaustion otherwise)
        a.load(RAX, Mem(R15, L.CTX_STATE))
        a.lea(RCX, Mem(RSP, -_PATCH))
        check_field = len(a.buf) - 4
        a.alu_rm("cmp", RCX, Mem(RAX, L.ST_LIMIT), True)
        a.jcc("b", self.trap(L.TRAP_CODES["call stack exhausted"]))
        a.alu_ri("sub", RSP, _PATCH, True)
        frame_field = len(a.buf) - 4
        for i, t in enumerate(self.ft.params):
            reg = self.alloc(t) if i < _CACHED_PARAMS else None
            if reg is None or (reg == RSI and t not in XMM_TYPES):
                if reg is not None:
                    self.free_gprs.append(reg)
                self.copy_mem(self.local(i), Mem(RSI, SLOT_BYTES * i), t)
            else:  # through a register that stays the parameter's cache
                self.load_reg(reg, t, Mem(RSI, SLOT_BYTES * i))
                self.store_reg(self.local(i), t, reg)
                self.cache_local(i, reg)
        if len(self.locals) > len(self.ft.params):
            a.alu_rr("xor", RAX, RAX, False)
            for i in range(len(self.ft.params), len(self.locals)):
                a.store(self.local(i), RAX)
                if self.locals[i] == "v128":
                    a.store(Mem(RSP, SLOT_BYTES * i + 8), RAX)
        self.pin_memory()
        self.frames.append(Ctl("func", Label(), 0, (), tuple(self.ft.results), self.body))
        self.run()  # ends by binding the function frame's label: the epilogue (results already stored)
        a.load(R15, Mem(RBP, -8))
        a.mov_rr(RSP, RBP)
        a.pop(RBP)
        a.ret()
        for code, label in self.traps.items():
            a.bind(label)
            if code != _TRAP_IN_EAX:
                a.mov_ri(RAX, code, w=False)
            a.jmp_r(Mem(R15, L.CTX_TRAP_EXIT))
        frame = SLOT_BYTES * (len(self.locals) + self.max_depth)
        frame += -frame % 16
        a.patch_i32(check_field, -frame)
        a.patch_i32(frame_field, frame)

    # -- control --------------------------------------------------------------------------------------
    def begin_else(self, f: Ctl) -> None:
        if not f.unreachable:
            self.spill_all()
            self.a.jmp(f.label)
            self.note_branch(f)
            f.targeted = True
        assert f.else_label is not None
        self.drop_cache()
        self.checked.clear()
        self.a.bind(f.else_label)
        f.body, f.pos, f.else_body, f.unreachable = f.else_body, 0, None, False  # type: ignore[assignment]
        self.reset_to(f.height, f.params)
        self.install_cache(f.if_state)

    def end_frame(self, f: Ctl) -> None:
        self.frames.pop()
        reachable = not f.unreachable
        if reachable and f.kind == "func":  # the results straight into the caller's slots
            if self.stack and self.stack[-1].kind == FLAGS:
                self.materialize_flags(self.stack[-1])
            self.branch_moves(f)
        elif reachable:
            self.spill_all()
        merged = None
        if f.kind in ("block", "if"):  # the label joins paths: keep what every path has cached alike
            states = list(f.incoming)
            if reachable:
                states.append(self.cache_state())
            if f.kind == "if" and f.else_label is not None and f.else_label.pos is None:
                states.append(f.if_state)
            merged = _common_cache(states)
            self.drop_cache()
            self.checked.clear()
        if f.kind == "if" and f.else_label is not None and f.else_label.pos is None:
            self.a.bind(f.else_label)  # an if without else: the false path falls through to the end
            reachable = True
        if f.kind != "loop":
            self.a.bind(f.label)
            reachable = reachable or f.targeted
        self.reset_to(f.height, f.results)
        if merged is not None:
            self.install_cache(merged)
        if self.frames and not reachable:
            self.frames[-1].unreachable = True

    def cache_state(self) -> tuple[dict, dict]:
        return dict(self.cached), dict(self.known)

    def note_branch(self, target: Ctl) -> None:
        """Record the local caches a branch to ``target``'s end carries (a loop's header forgets them)."""
        if target.kind in ("block", "if"):
            target.incoming.append(self.cache_state())

    def install_cache(self, state: tuple[dict, dict]) -> None:
        """At a join (every stack value in its slot, so every register free): the caches every path into it
        agrees on."""
        cached, known = state
        for i, reg in cached.items():
            (self.free_xmms if self.locals[i] in XMM_TYPES else self.free_gprs).remove(reg)
            self.cached[i] = reg
        self.known = dict(known)

    def branch_moves(self, target: Ctl) -> None:
        """Store the branch's values into the target's slots (leaving the abstract state as it is); for the
        function's own frame (``return``, the end) into the caller's slots, whose address is at rbp-16."""
        n = len(target.branch_types)
        base = len(self.stack) - n
        if target.kind == "func":
            if n:
                self.a.load(R10, Mem(RBP, -16))
            for i in range(n):
                self.copy_to(Mem(R10, SLOT_BYTES * i), self.stack[base + i], base + i)
            return
        for i in range(n):
            e = self.stack[base + i]
            if base + i == target.height + i and e.kind == SLOT:
                continue
            self.copy_to(self.slot(target.height + i), e, base + i)

    def in_place(self, target: Ctl) -> bool:
        n = len(target.branch_types)
        return len(self.stack) - n == target.height and target.kind != "func"

    def op_loop(self, ins: tuple) -> None:
        """A loop's header keeps the caches of the locals its body reads (and forgets the others), and
        preloads the most read uncached ones while registers are plentiful.  Each such local has a *home*
        register in the loop: ``local.set`` moves its new value there, and every branch back to the header
        puts what the body has moved or dropped since back (``loop_fixups``)."""
        f = self.enter("loop", ins[1], ins[2])
        written, reads = _scan_locals(ins[2])
        self.checked = {i: end for i, end in self.checked.items() if i not in written}
        for i in list(self.cached) + list(self.known):
            if (i in self.known and i in written) or (i in self.cached and i not in reads):
                self.uncache(i)
        loaded = 0
        for i in sorted(reads, key=lambda j: -reads[j]):
            if loaded == _LOOP_PRELOADS:
                break
            if i in self.cached or i in self.known:
                continue
            t = self.locals[i]
            pool = self.free_xmms if t in XMM_TYPES else self.free_gprs
            if len(pool) > _LOOP_SPARE:
                reg = pool.pop()
                self.load_reg(reg, t, self.local(i))
                self.cached[i] = reg
                loaded += 1
        f.loop_cache = dict(self.cached)
        self.a.bind(f.label)

    def home_reg(self, i: int) -> int | None:
        """Local ``i``'s register in the innermost loop's header, if it has one there."""
        for f in reversed(self.frames):
            if f.kind == "loop":
                return f.loop_cache.get(i)
        return None

    def loop_fixups(self, target: Ctl) -> list[tuple[int, int]]:
        """The header's cached locals a branch to loop ``target`` must put back in their registers."""
        if target.kind != "loop":
            return []
        return [(i, r) for i, r in target.loop_cache.items() if self.cached.get(i) != r]

    def emit_fixups(self, fixups: list[tuple[int, int]]) -> None:
        """On a branch's taken path (where the registers may be clobbered: the path not taken keeps its
        state): move each local cached elsewhere into its header register, ordered so that no move
        overwrites another's source (a cycle is broken by a load), then load the uncached ones from their
        slots, which always hold the current value."""
        moves, loads = [], []
        for i, reg in fixups:
            src = self.cached.get(i)
            (loads if src is None else moves).append((i, reg, src))
        while moves:
            busy = {(self.locals[i] in XMM_TYPES, src) for i, _, src in moves}
            ready = [m for m in moves if (self.locals[m[0]] in XMM_TYPES, m[1]) not in busy]
            if not ready:
                loads.append(moves.pop())
                continue
            for m in ready:
                self.move_reg(self.locals[m[0]], m[1], m[2])
                moves.remove(m)
        for i, reg, _ in loads:
            self.load_reg(reg, self.locals[i], self.local(i))

    def pop_condition(self) -> str:
        """Pop an i32 condition for a branch: the condition code under which it is true.  A compare just
        before is still in eflags; anything else is tested (spills and moves in between leave eflags alone)."""
        if self.stack[-1].kind == FLAGS:
            return self.pop().value
        cond, owned = self.pop_src()
        self.release(cond, owned)
        self.a.test_rr(cond, cond, False)
        return "ne"

    def op_if(self, ins: tuple) -> None:
        cc = self.pop_condition()
        f = self.enter("if", ins[1], ins[2])
        f.else_body = ins[3]
        f.else_label = Label()
        f.if_state = self.cache_state()
        self.a.jcc(_INVERSE[cc], f.else_label)

    def op_br(self, ins: tuple) -> None:
        target = self.frames[-1 - ins[1]]
        target.targeted = True
        self.branch_moves(target)
        self.emit_fixups(self.loop_fixups(target))
        self.note_branch(target)
        self.a.jmp(target.label)
        self.frames[-1].unreachable = True

    def op_br_if(self, ins: tuple) -> None:
        target = self.frames[-1 - ins[1]]
        target.targeted = True
        cc = self.pop_condition()
        a = self.a
        fixups = self.loop_fixups(target)
        if self.in_place(target) and not fixups:
            n = len(target.branch_types)
            for d in range(len(self.stack) - n, len(self.stack)):
                self.spill(d)
            self.note_branch(target)
            a.jcc(cc, target.label)
            return
        skip = Label()
        a.jcc(_INVERSE[cc], skip)
        self.branch_moves(target)
        self.emit_fixups(fixups)
        self.note_branch(target)
        a.jmp(target.label)
        a.bind(skip)

    def op_br_table(self, ins: tuple) -> None:
        labels, default = ins[1], ins[2]
        index = self.pop_reg()
        self.free_gprs.append(index)
        self.spill_all()
        a = self.a
        stubs: list[tuple[Label, Ctl]] = []
        by_depth: dict[int, Label] = {}

        def dest(depth: int) -> Label:
            label = by_depth.get(depth)
            if label is None:
                target = self.frames[-1 - depth]
                target.targeted = True
                self.note_branch(target)
                if self.in_place(target) and not self.loop_fixups(target):
                    label = target.label
                else:
                    label = Label()
                    stubs.append((label, target))
                by_depth[depth] = label
            return label

        a.alu_ri("cmp", index, _signed(len(labels), False), False)
        a.jcc("ae", dest(default))
        if labels:
            table = Label()
            a.lea_rip(R11, table)
            a.load_ext(R10, Mem(R11, 0, index, 4), 4, True, True)
            a.alu_rr("add", R10, R11, True)
            a.jmp_r(R10)
            a.bind(table)
            for depth in labels:
                a.table_entry(dest(depth), table)
        for label, target in stubs:
            a.bind(label)
            self.branch_moves(target)
            self.emit_fixups(self.loop_fixups(target))
            a.jmp(target.label)
        self.frames[-1].unreachable = True

    def op_unreachable(self, ins: tuple) -> None:
        self.a.jmp(self.trap(L.TRAP_CODES["unreachable"]))
        self.frames[-1].unreachable = True

    # -- calls ----------------------------------------------------------------------------------------
    def call_sequence(self, ft: Any, emit_call) -> None:
        for t in tuple(ft.params) + tuple(ft.results):
            if t not in SUPPORTED_TYPES:
                raise self.unsupported(f"a call with a {t} value")
        base = len(self.stack) - len(ft.params)
        self.spill_for_call(base)
        self.drop_cache()
        self.a.lea(RSI, self.slot(base))
        same_memory = emit_call()
        if not same_memory:
            self.pin_memory()  # the callee may belong to a module with another memory
        del self.stack[base:]
        self.push_slots(ft.results)

    def op_call(self, ins: tuple) -> None:
        """A call of this module's own function is ``call rel32`` with this VMContext, so the callee runs
        in this instance, with this memory: it pins the same r13/r14 and returns with them unchanged (every
        function re-pins after calls that may leave them changed), so they need no reload here."""
        idx = ins[1]
        m, a = self.layout.module, self.a
        ft = m.func_type(idx)

        def emit() -> None:
            if idx >= self.layout.n_imported:
                a.mov_rr(RDI, R15)
                a.call(self.layout.labels[idx - self.layout.n_imported])
                return True
            a.load(RAX, Mem(R15, self.layout.offsets["funcs"] + 8 * idx))
            a.load(RDI, Mem(RAX, L.REC_CTX))
            a.call_r(Mem(RAX, L.REC_CODE))
            return False

        self.call_sequence(ft, emit)

    def op_call_indirect(self, ins: tuple) -> None:
        type_idx, table = ins[1], ins[2]
        ft = self.layout.module.types[type_idx]
        index = self.pop_reg()
        self.free_gprs.append(index)
        a, offs = self.a, self.layout.offsets

        def emit() -> None:
            a.load(RAX, Mem(R15, offs["tables"] + 8 * table))
            a.alu_rm("cmp", index, Mem(RAX, L.TABLE_SIZE), True)
            a.jcc("ae", self.trap(L.TRAP_CODES["undefined element"]))
            a.load(RAX, Mem(RAX, L.TABLE_ELEMS))
            a.load(RAX, Mem(RAX, 0, index, 8))
            a.test_rr(RAX, RAX, True)
            a.jcc("e", self.trap(L.TRAP_CODES["uninitialized element"]))
            a.load(R10, Mem(R15, offs["types"] + 8 * type_idx))
            a.alu_rm("cmp", R10, Mem(RAX, L.REC_TYPE), True)
            a.jcc("ne", self.trap(L.TRAP_CODES["indirect call type mismatch"]))
            a.load(RDI, Mem(RAX, L.REC_CTX))
            a.call_r(Mem(RAX, L.REC_CODE))

        a.mov_rr(R11, index)  # the call sequence sets rsi and the check rax before reading the index
        index = R11
        self.call_sequence(ft, emit)

    def helper_call(self, op: str, n_args: int, result: str | None, imm: int = 0) -> None:
        """Operations left to Python (``NativeInstance.helper``): operands in their slots, result in the first."""
        base = len(self.stack) - n_args
        self.spill_for_call(base)
        self.drop_cache()
        a = self.a
        a.mov_rr(RDI, R15)
        a.mov_ri(RSI, L.HELPER_CODES[op], w=False)
        a.lea(RDX, self.slot(base))
        a.mov_ri(RCX, imm)
        a.load(RAX, Mem(R15, L.CTX_STATE))
        a.call_r(Mem(RAX, L.ST_CALLBACK))
        failed = self.trap(_TRAP_IN_EAX)
        a.test_rr(RAX, RAX, False)
        a.jcc("ne", failed)
        del self.stack[base:]
        self.max_depth = max(self.max_depth, base + 1)
        if result:
            self.push_slots((result,))

    # -- locals, globals, references ---------------------------------------------------------------------
    def op_local_get(self, ins: tuple) -> None:
        i = ins[1]
        if i in self.known:  # set from a constant since the last label: the constant, as an immediate
            self.stack.append(Entry(CONST, self.locals[i], self.known[i]))
        else:
            self.stack.append(Entry(LOCAL, self.locals[i], i))
        self.max_depth = max(self.max_depth, len(self.stack))

    def set_local(self, i: int, e: Entry) -> None:
        """Store popped ``e`` into local ``i``, after spilling the stack's LOCAL entries that stand for the
        local's old value."""
        if e.kind == LOCAL and e.value == i:
            return
        for d, other in enumerate(self.stack):
            if other.kind == LOCAL and other.value == i:
                self.spill(d)
        self.uncache(i)
        self.checked.pop(i, None)
        if e.kind == REG:
            self.store_reg(self.local(i), e.type, e.value)
        elif e.kind == CONST:
            self.store_const(self.local(i), e)
        else:
            self.copy_to(self.local(i), e, len(self.stack))

    def op_local_set(self, ins: tuple) -> None:
        self.assign_local(ins[1], self.pop())

    def op_local_tee(self, ins: tuple) -> None:
        """As ``local.set``, and the stack's value becomes the local itself: a lazy entry whose reads use the
        cache register (an instruction that overwrites its operand copies it first)."""
        i = ins[1]
        e = self.assign_local(i, self.pop())
        if e.kind == REG:
            e = Entry(LOCAL, e.type, i)
        self.stack.append(e)

    def assign_local(self, i: int, e: Entry) -> Entry:
        """Store popped ``e`` into local ``i`` (the slot stays the truth) and keep the value at hand: a
        register value as the local's cache, moved into the local's home register when a loop gave it one
        (so the branch back needs no move); a constant as a known constant, or in the home register; a
        value in its slot (a call's result) loaded through a free register, preferably the home, that stays
        the cache.  Returns ``e`` as it is now (a register entry after such a load)."""
        home = self.home_reg(i)
        pool = self.free_xmms if e.type in XMM_TYPES else self.free_gprs
        if e.kind == SLOT and pool:
            reg = home if home is not None and home in pool else pool[-1]
            pool.remove(reg)
            self.load_reg(reg, e.type, self.slot(len(self.stack)))
            e = Entry(REG, e.type, reg)
        self.set_local(i, e)  # drops the local's old cache
        if e.kind == REG and e.value == home:  # computed in place (pop_target)
            self.cached[i] = home
        elif home is not None and e.kind in (REG, CONST) and home in pool:  # free: its old cache, or dropped
            pool.remove(home)
            if e.kind == REG:
                self.move_reg(e.type, home, e.value)
                self.free(e)
            else:
                self.materialize(e, home)
            self.cached[i] = home
        elif e.kind == REG:
            self.cache_local(i, e.value)
        elif e.kind == CONST:
            self.known[i] = e.value
        return e

    def op_global_get(self, ins: tuple) -> None:
        t = self.layout.global_types[ins[1]]
        if t not in SUPPORTED_TYPES:
            raise self.unsupported(f"a {t} global")
        self.a.load(R11, Mem(R15, self.layout.offsets["globals"] + 8 * ins[1]))
        reg = self.alloc(t)
        self.load_reg(reg, t, Mem(R11, 0))
        self.push_reg(t, reg)

    def op_global_set(self, ins: tuple) -> None:
        t = self.layout.global_types[ins[1]]
        if t not in SUPPORTED_TYPES:
            raise self.unsupported(f"a {t} global")
        reg = self.pop_reg()
        self.a.load(R11, Mem(R15, self.layout.offsets["globals"] + 8 * ins[1]))
        self.store_reg(Mem(R11, 0), t, reg)
        self.free(Entry(REG, t, reg))

    def op_ref_func(self, ins: tuple) -> None:
        reg = self.alloc("funcref")
        self.a.load(reg, Mem(R15, self.layout.offsets["funcs"] + 8 * ins[1]))
        self.push_reg("funcref", reg)

    def op_ref_is_null(self, ins: tuple) -> None:
        reg = self.pop_reg()
        a = self.a
        a.test_rr(reg, reg, True)
        a.setcc("e", reg)
        a.movzx8(reg, reg)
        self.push_reg("i32", reg)

    def op_select(self, ins: tuple) -> None:
        """``cmov`` (a branch over a move for xmm values); a compare just before is used from eflags, its
        operands loaded with flag-preserving moves."""
        if self.stack[-1].kind == FLAGS:
            cc = self.pop().value
            self.flags_live = True
            b = self.pop()
            t = b.type
            rb = self.to_reg(b, len(self.stack))
            ra = self.pop_reg()
            self.flags_live = False
            if t in XMM_TYPES:
                keep = Label()
                self.a.jcc(cc, keep)
                self.a.movaps(ra, rb)
                self.a.bind(keep)
            else:
                self.a.cmov(_INVERSE[cc], ra, rb, t != "i32")
            self.free(Entry(REG, t, rb))
            self.push_reg(t, ra)
            return
        cond = self.pop_reg()
        b = self.pop()
        t = b.type
        rb = self.to_reg(b, len(self.stack))
        ra = self.pop_reg()
        a = self.a
        a.test_rr(cond, cond, False)
        if t in XMM_TYPES:
            keep = Label()
            a.jcc("ne", keep)
            a.movaps(ra, rb)
            a.bind(keep)
        else:
            a.cmov("e", ra, rb, t != "i32")
        self.free_gprs.append(cond)
        self.free(Entry(REG, t, rb))
        self.push_reg(t, ra)

    # -- tables and bulk memory (helpers) ---------------------------------------------------------------
    def op_table_size(self, ins: tuple) -> None:
        reg = self.alloc("i32")
        self.a.load(reg, Mem(R15, self.layout.offsets["tables"] + 8 * ins[1]))
        self.a.load(reg, Mem(reg, L.TABLE_SIZE), w=False)
        self.push_reg("i32", reg)

    def op_table_get(self, ins: tuple) -> None:
        elem = self.table_elem(ins[1])
        self.helper_call("table.get", 1, elem, ins[1])

    def bulk_operands(self, regs: tuple[int, int, int]) -> None:
        """Spill, load the three i32 operands of a bulk memory instruction into ``regs`` (zero-extended) and
        pop them; r11 is left holding the memory cell."""
        self.spill_all()
        self.drop_cache()
        base = len(self.stack) - 3
        for i, reg in enumerate(regs):
            self.a.load(reg, self.slot(base + i), w=False)
        del self.stack[base:]
        self.a.load(R11, Mem(R15, L.CTX_MEMORY))

    def check_range(self, start: int, length: int) -> None:
        """Trap unless ``start + length`` (zero-extended u32s, so no wrap-around) is within the memory."""
        self.a.lea(R10, Mem(start, 0, length))
        self.a.alu_rm("cmp", R10, Mem(R11, L.MEM_SIZE), True)
        self.a.jcc("a", self.trap(L.TRAP_CODES["out of bounds memory access"]))

    def op_memory_copy(self, ins: tuple) -> None:
        """memory.copy as ``rep movsb``, downwards when the destination overlaps the source from above."""
        a = self.a
        self.bulk_operands((RDI, RSI, RCX))
        self.check_range(RSI, RCX)
        self.check_range(RDI, RCX)
        a.load(R10, Mem(R11, L.MEM_BASE))
        a.alu_rr("add", RSI, R10, True)
        a.alu_rr("add", RDI, R10, True)
        forward, done = Label(), Label()
        a.alu_rr("cmp", RDI, RSI, True)
        a.jcc("be", forward)
        a.lea(R11, Mem(RSI, 0, RCX))
        a.alu_rr("cmp", RDI, R11, True)
        a.jcc("ae", forward)
        a.lea(RSI, Mem(RSI, -1, RCX))
        a.lea(RDI, Mem(RDI, -1, RCX))
        a.direction(down=True)
        a.rep_string("movsb")
        a.direction(down=False)
        a.jmp(done)
        a.bind(forward)
        a.rep_string("movsb")
        a.bind(done)

    def op_memory_fill(self, ins: tuple) -> None:
        """memory.fill as ``rep stosb``."""
        self.bulk_operands((RDI, RAX, RCX))
        self.check_range(RDI, RCX)
        self.a.alu_rm("add", RDI, Mem(R11, L.MEM_BASE), True)
        self.a.rep_string("stosb")

    def op_memory_size(self, ins: tuple) -> None:
        reg = self.alloc("i32")
        self.a.load(reg, Mem(R15, L.CTX_MEMORY))
        self.a.load(reg, Mem(reg, L.MEM_SIZE))
        self.a.shift_i("shr", reg, 16, True)
        self.push_reg("i32", reg)

    # -- memory accesses ------------------------------------------------------------------------------
    def pin_memory(self) -> None:
        """Load the pinned memory registers (at entry and after wasm calls; C calls keep them)."""
        if self.layout.has_memory:
            self.a.load(MEM_CELL, Mem(R15, L.CTX_MEMORY))
            self.a.load(MEM_BASE, Mem(MEM_CELL, L.MEM_BASE))

    def address(self, addr: int, offset: int, size: int, local: int | None = None) -> Mem:
        """Bounds-check ``addr + offset .. + size`` against the memory's current size (trapping when out of
        bounds) and return the operand of the access; uses r11.  When ``addr`` is local ``local``'s value and
        an access reaching as far was checked for that value since the last join, there is nothing to check."""
        a = self.a
        end = offset + size
        if local is not None and fits_i32(end):
            if self.checked.get(local, -1) >= end:
                return Mem(MEM_BASE, offset, addr)
            self.checked[local] = end
        if fits_i32(end):
            a.lea(R11, Mem(addr, end))
        else:
            a.mov_ri(R11, end)
            a.alu_rr("add", R11, addr, True)
        a.alu_rm("cmp", R11, Mem(MEM_CELL, L.MEM_SIZE), True)
        a.jcc("a", self.trap(L.TRAP_CODES["out of bounds memory access"]))
        if fits_i32(offset):
            return Mem(MEM_BASE, offset, addr)
        return Mem(MEM_BASE, -size, R11)

    def op_load(self, ins: tuple) -> None:
        size, signed, t = _LOADS[ins[0]]
        addr, owned = self.pop_src()
        mem = self.address(addr, ins[2], size, self.src_local)
        a = self.a
        if t in FLOAT:
            self.release(addr, owned)
            reg = self.alloc(t)
            a.movs_load(reg, mem, t == "f64")
        else:
            # the result goes into the address register when it is ours; else into a new one (which may be
            # the address's cache register itself, dropped by the allocation: the load reads it first)
            reg = addr if owned else self.alloc(t)
            if size == 8 or (size == 4 and not signed):
                a.load(reg, mem, w=size == 8)
            else:
                a.load_ext(reg, mem, size, signed, t == "i64")
        self.push_reg(t, reg)

    def op_store(self, ins: tuple) -> None:
        size = _STORES[ins[0]]
        value = self.pop()
        t = value.type
        val = self.to_reg(value, len(self.stack))  # owned, so the address's allocation cannot take it
        addr, owned = self.pop_src()
        mem = self.address(addr, ins[2], size, self.src_local)
        a = self.a
        if t in FLOAT:
            a.movs_store(mem, val, t == "f64")
        elif size == 1:
            a.store8(mem, val)
        elif size == 2:
            a.store16(mem, val)
        else:
            a.store(mem, val, w=size == 8)
        self.free(Entry(REG, t, val))
        self.release(addr, owned)

    # -- integer arithmetic ---------------------------------------------------------------------------
    def op_int_binary(self, ins: tuple) -> None:
        w = ins[0][1] == "6"
        op = ins[0][4:]
        b = self.pop()
        t = b.type
        if b.kind == CONST and fits_i32(_signed(b.value, w)) and op in _ALU:
            ra = self.pop_target()
            self.a.alu_ri(_ALU[op], ra, _signed(b.value, w), w)
        elif b.kind == LOCAL:
            ra = self.pop_target()
            src = self.local_operand(b.value)
            if op == "mul":
                self.a.imul_rr(ra, src, w)
            elif isinstance(src, Mem):
                self.a.alu_rm(_ALU[op], ra, src, w)
            else:
                self.a.alu_rr(_ALU[op], ra, src, w)
        else:
            rb = self.to_reg(b, len(self.stack))
            ra = self.pop_target()
            if op == "mul":
                self.a.imul_rr(ra, rb, w)
            else:
                self.a.alu_rr(_ALU[op], ra, rb, w)
            self.free_gprs.append(rb)
        self.push_reg(t, ra)

    def op_int_compare(self, ins: tuple) -> None:
        w = ins[0][1] == "6"
        cc = _INT_CMP[ins[0][4:]]
        b = self.pop()
        a = self.a
        if b.kind == CONST and fits_i32(_signed(b.value, w)):
            ra, owned = self.pop_src()
            a.alu_ri("cmp", ra, _signed(b.value, w), w)
        elif b.kind == LOCAL:
            ra, owned = self.pop_src()
            src = self.local_operand(b.value)
            if isinstance(src, Mem):
                a.alu_rm("cmp", ra, src, w)
            else:
                a.alu_rr("cmp", ra, src, w)
        else:
            rb = self.to_reg(b, len(self.stack))
            ra, owned = self.pop_src()
            a.alu_rr("cmp", ra, rb, w)
            self.free_gprs.append(rb)
        self.release(ra, owned)
        self.push_flags(cc)

    def op_eqz(self, ins: tuple) -> None:
        reg, owned = self.pop_src()
        self.a.test_rr(reg, reg, ins[0][1] == "6")
        self.release(reg, owned)
        self.push_flags("e")

    def op_int_unary(self, ins: tuple) -> None:
        t, op = ins[0][:3], ins[0][4:]
        w = t == "i64"
        bits = 64 if w else 32
        reg = self.pop_reg()
        a = self.a
        if op == "popcnt":
            a.bit_scan("popcnt", reg, reg, w)
        elif op == "clz":
            a.bit_scan("bsr", reg, reg, w)
            a.mov_ri(R10, 2 * bits - 1, w=False)
            a.cmov("e", reg, R10, w)
            a.alu_ri("xor", reg, bits - 1, w)
        else:  # ctz
            a.bit_scan("bsf", reg, reg, w)
            a.mov_ri(R10, bits, w=False)
            a.cmov("e", reg, R10, w)
        self.push_reg(t, reg)

    def op_shift(self, ins: tuple) -> None:
        t = ins[0][:3]
        w = t == "i64"
        op = _SHIFTS[ins[0][4:]]
        b = self.pop()
        a = self.a
        if b.kind == CONST:
            ra = self.pop_reg()
            a.shift_i(op, ra, b.value & (63 if w else 31), w)
            self.push_reg(t, ra)
            return
        self.stage(b, len(self.stack), R10)
        av = self.pop()
        self.stage(av, len(self.stack), R11)
        self.evict(RCX)
        a.mov_rr(RCX, R10)
        a.shift_cl(op, R11, w)
        res = self.alloc(t)
        a.mov_rr(res, R11)
        self.push_reg(t, res)

    def op_divide(self, ins: tuple) -> None:
        t, op = ins[0][:3], ins[0][4:]
        w = t == "i64"
        a = self.a
        b = self.pop()
        self.stage(b, len(self.stack), R10)
        av = self.pop()
        self.stage(av, len(self.stack), R11)
        self.evict(RAX)
        self.evict(RDX)
        self.take(RAX)
        self.take(RDX)
        a.mov_rr(RAX, R11)
        a.test_rr(R10, R10, w)
        a.jcc("e", self.trap(L.TRAP_CODES["integer divide by zero"]))
        signed = op.endswith("_s")
        done = Label()
        if signed:
            normal = Label()
            a.alu_ri("cmp", R10, -1, w)
            a.jcc("ne", normal)
            if op == "rem_s":  # x rem -1 = 0 (idiv would fault on the minimum value)
                a.alu_rr("xor", RDX, RDX, False)
                a.jmp(done)
            else:
                if w:
                    a.mov_ri(R11, 1 << 63)
                    a.alu_rr("cmp", RAX, R11, True)
                else:
                    a.alu_ri("cmp", RAX, -(1 << 31), False)
                a.jcc("e", self.trap(L.TRAP_CODES["integer overflow"]))
            a.bind(normal)
            a.sign_extend_rax(w)
            a.unary("idiv", R10, w)
        else:
            a.alu_rr("xor", RDX, RDX, False)
            a.unary("div", R10, w)
        a.bind(done)
        keep, other = (RAX, RDX) if op.startswith("div") else (RDX, RAX)
        self.free_gprs.append(other)
        self.push_reg(t, keep)

    def op_extend(self, ins: tuple) -> None:
        name = ins[0]
        t = name[:3]
        reg = self.pop_reg()
        a = self.a
        if name == "i64.extend_i32_u" or name == "i32.wrap_i64":
            a.mov_rr(reg, reg, w=False)
        elif name == "i64.extend_i32_s" or name == "i64.extend32_s":
            a.load_ext(reg, reg, 4, True, True)
        else:
            size = 1 if "8" in name.split(".")[1] else 2
            a.load_ext(reg, reg, size, True, t == "i64")
        self.push_reg(t, reg)

    # -- floating point -------------------------------------------------------------------------------
    def op_float_binary(self, ins: tuple) -> None:
        t, op = ins[0][:3], ins[0][4:]
        d = t == "f64"
        rb = self.pop_reg()
        ra = self.pop_reg()
        a = self.a
        if op in ("min", "max"):
            nan, equal, done = Label(), Label(), Label()
            a.ucomis(ra, rb, d)
            a.jcc("p", nan)
            a.jcc("e", equal)
            a.sse(op, ra, rb, d)
            a.jmp(done)
            a.bind(equal)  # equal values; for zeros the sign decides: or for min (-0 wins), and for max
            a.logic_p("or" if op == "min" else "and", ra, rb, d)
            a.jmp(done)
            a.bind(nan)
            a.sse("add", ra, rb, d)  # a NaN operand propagates (quieted)
            a.bind(done)
        elif op == "copysign":
            a.movd_rx(R11, ra, d)
            a.movd_rx(R10, rb, d)
            self.sign_mask(t, R10, keep_sign=True)
            self.sign_mask(t, R11, keep_sign=False)
            a.alu_rr("or", R11, R10, d)
            a.movd_xr(ra, R11, d)
        else:
            a.sse(op, ra, rb, d)
        self.free_xmms.append(rb)
        self.push_reg(t, ra)

    def sign_mask(self, t: str, reg: int, keep_sign: bool) -> None:
        """Keep only the sign bit of the float bits in ``reg``, or everything but it (shifts: no mask constant)."""
        a = self.a
        d = t == "f64"
        bits = 64 if d else 32
        if keep_sign:
            a.shift_i("shr", reg, bits - 1, d)
            a.shift_i("shl", reg, bits - 1, d)
        else:
            a.shift_i("shl", reg, 1, d)
            a.shift_i("shr", reg, 1, d)

    def op_float_unary(self, ins: tuple) -> None:
        t, op = ins[0][:3], ins[0][4:]
        d = t == "f64"
        reg = self.pop_reg()
        a = self.a
        if op == "sqrt":
            a.sse("sqrt", reg, reg, d)
        elif op in _ROUND:
            a.round_s(reg, reg, _ROUND[op], d)
        else:  # neg, abs: on the bits
            a.movd_rx(R11, reg, d)
            if op == "abs":
                self.sign_mask(t, R11, keep_sign=False)
            else:
                a.mov_ri(R10, _SIGN[t], w=d)
                a.alu_rr("xor", R11, R10, d)
            a.movd_xr(reg, R11, d)
        self.push_reg(t, reg)

    def op_float_compare(self, ins: tuple) -> None:
        """``ucomiss/sd``.  lt, gt, le and ge are one condition code each, false when unordered (operands
        swapped for lt and le), so they stay in eflags for a following ``if``, ``br_if`` or ``select``; eq
        and ne need two flags (ZF and PF) and are materialised."""
        t, op = ins[0][:3], ins[0][4:]
        d = t == "f64"
        rb = self.pop_reg()
        ra = self.pop_reg()
        a = self.a
        if op not in ("eq", "ne"):
            x, y = (rb, ra) if op in ("lt", "le") else (ra, rb)
            a.ucomis(x, y, d)
            self.free_xmms.append(ra)
            self.free_xmms.append(rb)
            self.push_flags("a" if op in ("lt", "gt") else "ae")
            return
        res = self.alloc("i32")
        a.ucomis(ra, rb, d)
        a.setcc("e" if op == "eq" else "ne", res)
        a.setcc("np" if op == "eq" else "p", R10)
        a.alu_rr("and" if op == "eq" else "or", res, R10, False)
        a.movzx8(res, res)
        self.free_xmms.append(ra)
        self.free_xmms.append(rb)
        self.push_reg("i32", res)

    def float_const(self, xmm: int, t: str, value: float) -> None:
        self.a.mov_ri(R11, _bits(t, value), w=t == "f64")
        self.a.movd_xr(xmm, R11, t == "f64")

    def op_convert(self, ins: tuple) -> None:
        name = ins[0]
        t, src = name[:3], name[-5:-2]  # f32.convert_i64_u
        signed = name.endswith("_s")
        d = t == "f64"
        reg = self.pop_reg()
        res = self.alloc(t)
        a = self.a
        if src == "i32":
            if signed:
                a.cvt_int_to_float(res, reg, d, False)
            else:
                a.cvt_int_to_float(res, reg, d, True)  # zero-extended: exact as a signed 64-bit value
        elif signed:
            a.cvt_int_to_float(res, reg, d, True)
        else:
            big, done = Label(), Label()
            a.test_rr(reg, reg, True)
            a.jcc("s", big)
            a.cvt_int_to_float(res, reg, d, True)
            a.jmp(done)
            a.bind(big)  # halve with the lost bit kept (round to odd), convert, double
            a.mov_rr(R11, reg)
            a.shift_i("shr", R11, 1, True)
            a.mov_rr(R10, reg)
            a.alu_ri("and", R10, 1, True)
            a.alu_rr("or", R11, R10, True)
            a.cvt_int_to_float(res, R11, d, True)
            a.sse("add", res, res, d)
            a.bind(done)
        self.free_gprs.append(reg)
        self.push_reg(t, res)

    def op_truncate(self, ins: tuple) -> None:
        name = ins[0]
        sat = "_sat_" in name
        t, src = name[:3], name[-5:-2]  # i32.trunc_sat_f64_u
        signed = name.endswith("_s")
        d = src == "f64"
        w = t == "i64"
        x = self.pop_reg()
        res = self.alloc(t)
        a = self.a
        lo, lo_inclusive, hi = TRUNC_BOUNDS[t, signed, src]
        done = Label()
        if sat:
            nan_l, low_l, high_l = Label(), Label(), Label()
        else:
            nan_l = self.trap(L.TRAP_CODES["invalid conversion to integer"])
            low_l = high_l = self.trap(L.TRAP_CODES["integer overflow"])
        a.ucomis(x, x, d)
        a.jcc("p", nan_l)
        self.float_const(X15, src, lo)
        a.ucomis(x, X15, d)
        a.jcc("b" if lo_inclusive else "be", low_l)
        self.float_const(X15, src, hi)
        a.ucomis(x, X15, d)
        a.jcc("ae", high_l)
        if t == "i64" and not signed:
            small = Label()
            self.float_const(X15, src, 2.0**63)
            a.ucomis(x, X15, d)
            a.jcc("b", small)
            a.movaps(X14, x)
            a.sse("sub", X14, X15, d)
            a.cvt_float_to_int(res, X14, d, True)
            a.mov_ri(R10, 1 << 63)
            a.alu_rr("xor", res, R10, True)
            a.jmp(done)
            a.bind(small)
            a.cvt_float_to_int(res, x, d, True)
        elif t == "i32" and not signed:
            a.cvt_float_to_int(res, x, d, True)
            a.mov_rr(res, res, w=False)
        else:
            a.cvt_float_to_int(res, x, d, w)
        if sat:
            a.jmp(done)
            bits = 64 if w else 32
            for label, value in ((nan_l, 0), (low_l, -(1 << (bits - 1)) if signed else 0),
                                 (high_l, (1 << (bits - 1)) - 1 if signed else (1 << bits) - 1)):
                a.bind(label)
                a.mov_ri(res, value & ((1 << bits) - 1), w=w)
                if label is not high_l:
                    a.jmp(done)
        a.bind(done)
        self.free_xmms.append(x)
        self.push_reg(t, res)

    def op_float_width(self, ins: tuple) -> None:
        t = ins[0][:3]
        reg = self.pop_reg()
        self.a.cvt_float_width(reg, reg, t == "f64")
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
            self.a.movd_xr(res, src, d)
            self.free_gprs.append(src)
        else:
            self.a.movd_rx(res, src, d)
            self.free_xmms.append(src)
        self.push_reg(t, res)


FunctionCompiler.HANDLERS = {**scalar_handlers(FunctionCompiler), **simd_handlers()}


def compile_module(module: Any) -> tuple[bytes, list[int]]:
    """The machine code of every function ``module`` defines, and each function's offset in it."""
    layout = ModuleLayout(module)
    asm = Assembler()
    for i in range(len(module.funcs)):
        FunctionCompiler(layout, asm, i).compile()
    return bytes(asm.buf), [label.pos for label in layout.labels]
