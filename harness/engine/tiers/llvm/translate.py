"""Translation of a validated module to LLVM IR.

One LLVM function per defined wasm function, signature ``ret f(ptr ctx, i64 floor, params...)`` (see
``irtypes``; ``floor`` is the stack floor, see ``FunctionCompiler.stack_check``).
The wasm operand stack becomes a compile-time list of SSA values; locals and branch targets' values live in
allocas that ``mem2reg`` promotes.  Structured bodies map directly onto basic blocks; code after an
unconditional branch is never translated.

Safety does not depend on validation being bug-free in the places that matter: every memory access is
bounds-checked -- explicitly against the current size (reloaded after every call), or, in guard-page mode,
by the hardware: the address cannot leave the memory's 8 GiB reservation, whose pages past the current
size fault, and ``faults`` turns the fault into the trap -- every call checks the native stack against a
floor that rises with each call, and every operation with undefined behaviour in LLVM (division, shifts,
float->int, ctlz/cttz at zero) is guarded or uses the defined variant.

Traps call ``wasm_trap(ctx, code)``, which records the code and ``longjmp``s to the entry trampoline of the
innermost host->wasm call (``wasm_entry_t<k>``): no Python frame is ever skipped, because host functions
return to compiled code normally and the trap is raised from there.
"""

from __future__ import annotations

from collections.abc import Iterator

from llvmlite import ir

try:  # llvmlite's name scope is not public API: without it, values are named the ordinary (slower) way
    from llvmlite.ir._utils import NameScope
except ImportError:  # pragma: no cover
    NameScope = None

from ... import syntax
from ...binary.opcodes import memory_index
from . import layout as L
from . import recursion
from .checks import BOUNDS_MODES, OMITTABLE_CHECKS, checks_to_omit  # noqa: F401 - part of this module's API
from .irtypes import FIRST_PARAM, I1, I8, I32, I64, PTR, V128, VOID, func_type, lltype, ret_type, zero
from .scalar import SCALAR_OPS

_STACKSAVE = "llvm.stacksave.p0"
# The calling convention of every compiled wasm function (and host thunk): LLVM guarantees a ``musttail``
# call in it to be a real tail call even when caller and callee have different signatures, which
# ``return_call*`` needs (with the C convention, prototypes must match).  Every call to wasm code, direct,
# indirect, from an entry trampoline, uses it.
WASM_CC = "tailcc"

# A module compiled in parts (``ModuleCompiler(part=...)``) copies functions of other parts with bodies up
# to this many bytes into each part that calls them, so they can still be inlined there.
COPY_MAX_BYTES = 256


class _VolatileLoad(ir.LoadInstr):
    def descr(self, buf):
        text: list[str] = []
        super().descr(text)
        buf.append(text[0].replace("load ", "load volatile ", 1))


class _VolatileStore(ir.StoreInstr):
    def descr(self, buf):
        text: list[str] = []
        super().descr(text)
        buf.append(text[0].replace("store ", "store volatile ", 1))


def make_volatile(instr) -> None:
    """Make an llvmlite load or store volatile (llvmlite's builder has no flag for it)."""
    instr.__class__ = _VolatileLoad if isinstance(instr, ir.LoadInstr) else _VolatileStore


class Label:
    """A branch target.  A block's or an if's end gets its basic block and result slots from the first
    branch to it (``FunctionCompiler.target``): a construct nothing branches to keeps its results on the
    operand stack and its code in the current basic block."""

    __slots__ = ("kind", "target", "types", "slots", "height", "tries")

    def __init__(self, kind: str, target, types: list[str], slots: list | None, height: int, tries: int = 0):
        self.kind = kind  # "block" | "loop" | "if" | "func"
        self.target = target  # basic block a branch jumps to (None: not made yet, or "func": a branch returns)
        self.types = types  # value types a branch carries
        self.slots = slots  # allocas the branch stores its values into (None: not made yet)
        self.height = height  # operand stack height below the construct's parameters
        self.tries = tries  # try_tables open around the construct (a branch out of more restores a handler)


class ModuleCompiler:
    """Builds the LLVM module for one wasm module: functions, entry trampolines, and the address tables
    the linker reads (``wasm_funcs``: code of each defined function, ``wasm_entries``: entry per type)."""

    def __init__(self, module: syntax.Module, name: str = "wasm", omit: frozenset[str] = frozenset(),
                 part: range | None = None, bounds: str = "explicit", unroll_recursion: int = 0):
        """``part``: translate only the defined functions with these indices (one object of a module
        compiled in several processes, see ``partition``).  They stay ``internal`` and are exported to the
        module's other objects, loaded into the same engine, by hidden aliases (``_ExportAlias``); the
        other functions are declared by their aliases and reached through the GOT, or copied in when small
        (``direct_callee``); only the part starting at function 0 holds the entry trampolines and address
        tables.  ``None``: the whole module in one object, every function ``internal``.

        ``unroll_recursion``: how many ``alwaysinline`` copies of each small multiply-self-recursive
        function to make (``recursion``; 0 = none, what O0 and O1 get)."""
        self.module = module
        self.part = part
        self.omit = checks_to_omit(omit)  # checks left out to measure what they cost (unsafe, see OMITTABLE_CHECKS)
        if bounds not in BOUNDS_MODES:
            raise ValueError(f"LLVM tier: bounds must be one of {BOUNDS_MODES}, not {bounds!r}")
        # "bounds" omitted: no checks and no guard either (ordinary accesses, the measuring aid)
        self.guard = bounds == "guard" and "bounds" not in self.omit
        self.ir = ir.Module(name)
        self.types = module.types
        self.imported_funcs = module.imported("func")
        self.n_imported = len(self.imported_funcs)
        self.global_types = [imp.desc for imp in module.imported("global")] + [g.type for g in module.globals]
        self.n_tables = len(module.imported("table")) + len(module.tables)
        self.has_memory = bool(module.imported("memory") or module.mems)
        # Memories never shrink, and an imported one is at least as large as its import type says, so
        # accesses wholly below the declared minimum are always in bounds.
        self.mem_types = [imp.desc for imp in module.imported("memory")] + list(module.mems)
        self.mem_min_bytes = self.mem_types[0].limits.min * 65536 if self.mem_types else 0
        # address type of each table ("i64": a table64, whose indices are i64 values)
        self.table_addr = [imp.desc.addr for imp in module.imported("table")] + [t.addr for t in module.tables]
        self.n_funcs = self.n_imported + len(module.funcs)
        self.offs = L.ctx_offsets(self.n_tables, len(self.global_types), self.n_funcs, len(self.types),
                                  len(self.mem_types), len(module.imported("tag")) + len(module.tags))
        self._intrinsics: dict[str, ir.Function] = {}
        self.md = _Metadata(self.ir)
        self.funcs: list[ir.Function] = []
        for i, f in enumerate(module.funcs):
            ft = self.types[f.type_idx]
            name = f"wasm_f{self.n_imported + i}"
            ours = part is None or i in part
            fn = ir.Function(self.ir, func_type(ft.params, ft.results), name if ours else _ExportAlias.name_for(name))
            fn.calling_convention = WASM_CC
            if ours:
                fn.linkage = "internal"
                if part is not None:
                    self.ir.add_global(_ExportAlias(fn))
            else:  # another object's, by its alias, through the GOT (a plain call would need a PLT stub)
                fn.attributes.add("nonlazybind")
                fn.attributes.add("nounwind")  # wasm code never unwinds (traps longjmp)
            self.funcs.append(fn)
        self._copies: dict[int, ir.Function] = {}  # part mode: local copies of small foreign functions
        # defined index -> [the function, its recursion copies], and its number of self-call sites: see
        # ``recursion``
        self.rec_rings: dict[int, list[ir.Function]] = {}
        self.rec_sites = recursion.candidates(module, part) if unroll_recursion > 0 else {}
        for i in sorted(self.rec_sites):
            ring = [self.funcs[i]]
            for k in range(1, unroll_recursion + 1):
                copy = ir.Function(self.ir, self.funcs[i].ftype, f"{self.funcs[i].name}{recursion.COPY_SUFFIX}{k}")
                copy.calling_convention = WASM_CC
                copy.linkage = "internal"
                copy.attributes.add("alwaysinline")
                ring.append(copy)
            self.rec_rings[i] = ring
        self._to_copy: list[int] = []
        self.tag_types = [self.types[imp.desc] for imp in module.imported("tag")] + [self.types[t] for t in module.tags]
        self.trap_fn = self._define_trap()
        self.throw_fn = self._define_throw()

    def direct_callee(self, i: int) -> ir.Function:
        """The function a direct call to defined function ``i`` calls.  In part mode, a small function of
        another part gets an ``internal`` copy in this one, which LLVM may inline like any local function
        (what the call would cost most by crossing parts: calls through the GOT are cheap, lost inlining
        is not); larger ones are called in their own part."""
        if self.part is None or i in self.part:
            return self.funcs[i]
        fn = self._copies.get(i)
        if fn is None:
            funcs = self.module.funcs
            size = funcs[i + 1].offset - funcs[i].offset if i + 1 < len(funcs) else 0
            if not 0 < size <= COPY_MAX_BYTES:
                return self.funcs[i]
            ft = self.types[funcs[i].type_idx]
            fn = ir.Function(self.ir, func_type(ft.params, ft.results), f"wasm_f{self.n_imported + i}.copy")
            fn.calling_convention = WASM_CC
            fn.linkage = "internal"
            self._copies[i] = fn
            self._to_copy.append(i)
        return fn

    # -- helpers ---------------------------------------------------------------------------------------
    def intrinsic(self, name: str, ret: ir.Type, args: list[ir.Type], attrs: tuple[str, ...] = ()) -> ir.Function:
        """Declare an LLVM intrinsic or an external C function (``_setjmp``, ``longjmp``)."""
        fn = self._intrinsics.get(name)
        if fn is None:
            fn = ir.Function(self.ir, ir.FunctionType(ret, args), name)
            for a in attrs:
                fn.attributes.add(a)
            if not name.startswith("llvm."):
                fn.attributes.add("nonlazybind")  # through the GOT: see _Metadata.got_flags
            self._intrinsics[name] = fn
        return fn

    def _define_trap(self) -> ir.Function:
        fn = ir.Function(self.ir, ir.FunctionType(VOID, [PTR, I32]), "wasm_trap")
        fn.linkage = "internal"
        for a in ("noreturn", "cold", "noinline", "nounwind"):
            fn.attributes.add(a)
        longjmp = self.intrinsic("longjmp", VOID, [PTR, I32], ("noreturn",))
        b = ir.IRBuilder(fn.append_basic_block("entry"))
        ctx, code = fn.args
        state = load_field(b, ctx, L.CTX_STATE, PTR)
        store_field(b, state, L.STATE_TRAP, b.zext(code, I64))
        jb = load_field(b, state, L.STATE_JMPBUF, PTR)
        b.call(longjmp, [jb, ir.Constant(I32, 1)])
        b.unreachable()
        return fn

    def _define_throw(self) -> ir.Function:
        """``wasm_throw(ctx, exn)``: unwind to the innermost try_table handler of this entry (``longjmp``
        to its frame, after making the handler before it the innermost), or, with none, to the entry
        trampoline, which reports ``TRAP_EXCEPTION`` (the exception leaves wasm)."""
        fn = ir.Function(self.ir, ir.FunctionType(VOID, [PTR, I64]), "wasm_throw")
        fn.linkage = "internal"
        for a in ("noreturn", "cold", "noinline", "nounwind"):
            fn.attributes.add(a)
        longjmp = self.intrinsic("longjmp", VOID, [PTR, I32], ("noreturn",))
        b = ir.IRBuilder(fn.append_basic_block("entry"))
        ctx, exn = fn.args
        state = load_field(b, ctx, L.CTX_STATE, PTR)
        store_field(b, state, L.STATE_EXN, exn)
        handler = load_field(b, state, L.STATE_HANDLER, PTR)
        to_entry, to_handler = fn.append_basic_block("to_entry"), fn.append_basic_block("to_handler")
        b.cbranch(b.icmp_unsigned("==", b.ptrtoint(handler, I64), ir.Constant(I64, 0)), to_entry, to_handler)
        b.position_at_end(to_entry)
        store_field(b, state, L.STATE_TRAP, ir.Constant(I64, L.TRAP_EXCEPTION))
        b.call(longjmp, [load_field(b, state, L.STATE_JMPBUF, PTR), ir.Constant(I32, 1)])
        b.unreachable()
        b.position_at_end(to_handler)
        store_field(b, state, L.STATE_HANDLER, load_field(b, handler, L.HANDLER_PREV, PTR))
        b.call(longjmp, [field_ptr(b, handler, L.HANDLER_JMPBUF), ir.Constant(I32, 1)])
        b.unreachable()
        return fn

    # -- whole module ----------------------------------------------------------------------------------
    def compile(self) -> ir.Module:
        for i in self.part if self.part is not None else range(len(self.module.funcs)):
            ring = self.rec_rings.get(i)
            if ring is None:
                self._translate(self.funcs[i], i)
            for k, fn in enumerate(ring or ()):
                self._translate(fn, i, ring[(k + 1) % len(ring)])
        while self._to_copy:  # copies may call small functions of other parts in turn
            i = self._to_copy.pop()
            self._translate(self._copies[i], i)
        if self.part is None or self.part.start == 0:
            # The host calls a defined function through the entry of its type index (``instance``), so only
            # those types need one, and one per signature serves them all: generated modules declare many
            # types no function has (fuzzing: ~22 function types a module for ~4 functions, 7 entries in 8
            # unused).  Every other slot (struct, array and unused function types) shares one entry that is
            # never called.
            called = {self.module.funcs[i].type_idx for i in range(len(self.module.funcs))}
            by_signature: dict[tuple, ir.Function] = {}
            entries = []
            none = None
            for k, ft in enumerate(self.types):
                if k in called and isinstance(ft, syntax.FuncType):
                    sig = (tuple(ft.params), tuple(ft.results))
                    if sig not in by_signature:
                        by_signature[sig] = self._entry(k, ft)
                    entries.append(by_signature[sig])
                else:
                    none = none or self._entry(k, syntax.FuncType((), ()))
                    entries.append(none)
            self._table("wasm_funcs", self.funcs)
            self._table("wasm_entries", entries)
        return self.ir

    def _translate(self, fn: ir.Function, i: int, rec_next: ir.Function | None = None) -> None:
        """Give ``fn`` the body of defined function ``i``; ``rec_next``: the function its self-calls call,
        but for the last, which calls ``fn`` itself (see ``recursion``)."""
        f = self.module.funcs[i]
        fc = FunctionCompiler(self, fn, self.types[f.type_idx], f.locals)
        if rec_next is not None:
            fc.self_index = self.n_imported + i
            fc.rec_next = rec_next
            fc.rec_sites_left = self.rec_sites[i]
        fc.translate(f.body)

    def _table(self, name: str, fns: list[ir.Function]) -> None:
        ty = ir.ArrayType(PTR, len(fns))
        g = ir.GlobalVariable(self.ir, ty, name)
        g.global_constant = True
        g.initializer = ir.Constant(ty, list(fns))

    def _entry(self, k: int, ft: syntax.FuncType) -> ir.Function:
        """``i32 wasm_entry_t<k>(ptr code, ptr ctx, ptr slots)``: call ``code`` with arguments from 16-byte
        slots, store its results back into the slots, return 0 -- or the trap code if it trapped."""
        fn = ir.Function(self.ir, ir.FunctionType(I32, [PTR, PTR, PTR]), f"wasm_entry_t{k}")
        setjmp = self.intrinsic("_setjmp", I32, [PTR], ("returns_twice",))
        stacksave = self.intrinsic(_STACKSAVE, PTR, [])
        code, ctx, slots = fn.args
        b = ir.IRBuilder(fn.append_basic_block("entry"))
        jb = opaque_alloca(b, ir.ArrayType(I64, 64), 16)
        state = load_field(b, ctx, L.CTX_STATE, PTR)
        old_jb = load_field(b, state, L.STATE_JMPBUF, PTR)
        old_limit = load_field(b, state, L.STATE_STACK_LIMIT, I64)
        store_field(b, state, L.STATE_JMPBUF, jb)
        sp = b.ptrtoint(b.call(stacksave, []), I64)
        budget = load_field(b, state, L.STATE_STACK_BUDGET, I64)
        fresh = b.icmp_unsigned("==", old_limit, ir.Constant(I64, 0))
        store_field(b, state, L.STATE_STACK_LIMIT, b.select(fresh, b.sub(sp, budget), old_limit))
        old_top = load_field(b, state, L.STATE_STACK_TOP, I64)
        store_field(b, state, L.STATE_STACK_TOP, b.select(fresh, sp, old_top))
        old_handler = load_field(b, state, L.STATE_HANDLER, I64)  # an exception not caught inside comes here
        store_field(b, state, L.STATE_HANDLER, ir.Constant(I64, 0))
        r = b.call(setjmp, [jb])
        run, trapped = fn.append_basic_block("run"), fn.append_basic_block("trapped")
        b.cbranch(b.icmp_signed("==", r, ir.Constant(I32, 0)), run, trapped)
        b.position_at_end(run)
        floor = load_field(b, state, L.STATE_STACK_LIMIT, I64)
        args = [ctx, floor] + [load_field(b, slots, i * L.SLOT_SIZE, lltype(t)) for i, t in enumerate(ft.params)]
        res = call_ptr(b, code, func_type(ft.params, ft.results), args, cconv=WASM_CC)
        for i, v in enumerate(unpack_results(b, res, ft.results)):
            store_field(b, slots, i * L.SLOT_SIZE, v)
        store_field(b, state, L.STATE_JMPBUF, old_jb)
        store_field(b, state, L.STATE_STACK_LIMIT, old_limit)
        store_field(b, state, L.STATE_STACK_TOP, old_top)
        store_field(b, state, L.STATE_HANDLER, old_handler)
        b.ret(ir.Constant(I32, 0))
        b.position_at_end(trapped)
        store_field(b, state, L.STATE_JMPBUF, old_jb)
        store_field(b, state, L.STATE_STACK_LIMIT, old_limit)
        store_field(b, state, L.STATE_STACK_TOP, old_top)
        store_field(b, state, L.STATE_HANDLER, old_handler)
        b.ret(b.trunc(load_field(b, state, L.STATE_TRAP, I64), I32))
        return fn


class _Metadata:
    """Facts the optimiser cannot infer, attached to loads and stores (all of them true by construction of
    the native structs, see ``layout``/``native``):

    * ``invariant``: VMContext fields, function records and the memory base never change once an instance
      is linked, so loads of them may be hoisted and merged freely (``!invariant.load``);
    * (not used: ``!range [0, 2^32]`` on the memory size made bzip2's O2 compile ~15% slower for no
      measurable run-time gain; ``size - k`` is marked ``nsw`` instead, which is free)
    * TBAA: wasm linear memory (an mmap reservation) and global cells (separate native arrays) never
      overlap, so a store to linear memory does not force global values to be reloaded, and vice versa.
    """

    def __init__(self, module: ir.Module):
        self.invariant = module.add_metadata([])
        root = module.add_metadata([ir.MetaDataString(module, "wasm tbaa root")])

        def tag(name: str):
            node = module.add_metadata([ir.MetaDataString(module, name), root, ir.Constant(I64, 0)])
            return module.add_metadata([node, node, ir.Constant(I64, 0)])

        self.tbaa_memory = tag("wasm linear memory")
        self.tbaa_global = tag("wasm global cell")
        # trap branches are cold; one shared node (llvmlite's set_weights builds a new one every time)
        self.unlikely = module.add_metadata(
            [ir.MetaDataString(module, "branch_weights"), ir.Constant(I32, 1), ir.Constant(I32, 2000)])
        self.got_flags(module)

    @staticmethod
    def got_flags(module: ir.Module) -> None:
        """Reach external C functions through the GOT (``call *sym@GOTPCREL(%rip)``), library calls LLVM
        itself emits (memcpy, floor, ...) included.

        Objects are compiled for the small code model (direct calls between functions, PC-relative data)
        and loaded into one block (by ``loader``, or by llvmlite's memory manager for MCJIT, which sizes the
        block up front).  That size counts GOT entries but not the GOT slots behind the PLT stubs a plain
        ``call sym`` to an external symbol gets, so under MCJIT such a call can land outside the block (an
        abort); ``loader`` refuses a PC-relative reference it cannot reach, and MCJIT then takes the object."""
        flag = module.add_metadata([ir.Constant(I32, 7), ir.MetaDataString(module, "RtLibUseGOT"), ir.Constant(I32, 1)])
        module.add_named_metadata("llvm.module.flags", flag)


class _ExportAlias(ir.values.GlobalValue):
    """``@"<f>.x" = hidden alias <type>, ptr @"<f>"``: how the other objects of a module compiled in parts
    reach one of this object's functions.  The function itself stays ``internal``, as in a module compiled
    whole: giving it external (even hidden) linkage instead made bzip2 ~6% slower."""

    def __init__(self, fn: ir.Function):
        super().__init__(fn.module, PTR, self.name_for(fn.name))
        self.fn = fn

    @staticmethod
    def name_for(name: str) -> str:
        return f"{name}.x"

    def __str__(self) -> str:
        return f"{self.get_reference()} = hidden alias {self.fn.function_type}, ptr {self.fn.get_reference()}"


class _FastNames(NameScope or object):
    """A function's value-name scope that names anonymous values from a counter.

    llvmlite's scope deduplicates every anonymous name through a loop over a set; with ~10^5 values per
    large module that is a visible share of IR building.  Counter names (``.tN``) cannot collide with
    llvmlite's own (``.N``, ``base`` or ``base.N`` for a non-empty base), so they need no bookkeeping."""

    def __init__(self, base: NameScope):
        super().__init__()
        self._useset = set(base._useset)
        self._counter = 0

    def register(self, name, deduplicate=False):
        if name == "" and deduplicate:
            self._counter += 1
            return f".t{self._counter}"
        return super().register(name, deduplicate)


# -- small IR helpers -------------------------------------------------------------------------------------
def opaque_alloca(b: ir.IRBuilder, ty: ir.Type, align: int | None = None):
    """An alloca whose value has llvmlite's opaque ``ptr`` type (its default typed pointers confuse the
    store type checks when a slot is reused with another type)."""
    slot = b.alloca(ty)
    slot.type = PTR
    if align is not None:
        slot.align = align
    return slot


def field_ptr(b: ir.IRBuilder, base, offset):
    if isinstance(offset, int):
        if offset == 0:
            return base
        offset = ir.Constant(I64, offset)
    return b.gep(base, [offset], source_etype=I8)


def load_field(b: ir.IRBuilder, base, offset, ty: ir.Type, align: int | None = None):
    ld = b.load(field_ptr(b, base, offset), typ=ty)
    if align is not None:
        ld.align = align
    return ld


def store_field(b: ir.IRBuilder, base, offset, value, align: int | None = None):
    st = b.store(value, field_ptr(b, base, offset))
    if align is not None:
        st.align = align
    return st


def call_ptr(b: ir.IRBuilder, fnptr, fnty: ir.FunctionType, args: list, tail: str | bool = False,
             cconv: str | None = None):
    """Call through an opaque pointer (llvmlite wants the callee to carry its function type)."""
    return b.call(_Callee(fnptr, fnty), args, tail=tail, cconv=cconv)


class _Callee:
    """An opaque function pointer seen by llvmlite's call instruction as a callee of a known type."""

    def __init__(self, value, fnty: ir.FunctionType):
        self.value = value
        self.function_type = fnty
        self.type = PTR

    def get_reference(self) -> str:
        return self.value.get_reference()

    def __str__(self) -> str:
        return f"ptr {self.get_reference()}"


def unpack_results(b: ir.IRBuilder, res, results) -> list:
    if not results:
        return []
    if len(results) == 1:
        return [res]
    return [b.extract_value(res, i) for i in range(len(results))]


def pack_results(b: ir.IRBuilder, values: list, results) -> None:
    if not results:
        b.ret_void()
    elif len(results) == 1:
        b.ret(values[0])
    else:
        agg = ir.Constant(ret_type(tuple(results)), ir.Undefined)
        for i, v in enumerate(values):
            agg = b.insert_value(agg, v, i)
        b.ret(agg)


# Arguments the host's calling convention passes in registers (x86-64 System V and AArch64: integer and
# pointer ones, floating-point and vector ones), counting ``ctx`` and ``floor``.
_INT_REGS, _FP_REGS = 6, 8


def _in_registers(ft: syntax.FuncType) -> bool:
    """Whether a compiled function of type ``ft`` takes all its arguments in registers.  LLVM 22 miscompiles
    a ``musttail`` call in ``tailcc`` between functions that pass arguments on the stack (the callee reads
    garbage: a spec-like mutual recursion through an 8-parameter function looped forever), so such a
    ``return_call*`` is an ordinary call followed by a return: correct, but its frame stays until the
    callee returns (see docs/LLVM_TIER.md)."""
    fp = sum(1 for t in ft.params if t in ("f32", "f64", "v128"))
    return fp <= _FP_REGS and 2 + len(ft.params) - fp <= _INT_REGS


# Results the host's calling convention returns in registers: x86-64 System V guarantees two integer ones
# (RAX, RDX) and two floating-point or vector ones (XMM0, XMM1); AArch64 has more, this is the common floor.
_INT_RESULT_REGS, _FP_RESULT_REGS = 2, 2


def _results_in_registers(ft: syntax.FuncType) -> bool:
    """Whether ``ft``'s results come back in registers.  More are returned through a hidden pointer to the
    caller's memory, and LLVM cannot make such a call a ``musttail`` one: it stops the process ("failed to
    perform tail call elimination on a call site marked musttail"; found by ``harness fuzz`` with a
    six-result function), so such a ``return_call*`` is an ordinary call and a return too."""
    fp = sum(1 for t in ft.results if t in ("f32", "f64", "v128"))
    return fp <= _FP_RESULT_REGS and len(ft.results) - fp <= _INT_RESULT_REGS


def _repack(b: ir.IRBuilder, values: list, results) -> ir.Value:
    agg = ir.Constant(ret_type(tuple(results)), ir.Undefined)
    for i, v in enumerate(values):
        agg = b.insert_value(agg, v, i)
    return agg


class FunctionCompiler:
    """Translates one function body."""

    def __init__(self, mc: ModuleCompiler, fn: ir.Function, ft: syntax.FuncType, local_types: list[str]):
        self.mc = mc
        self.fn = fn
        self.ft = ft
        self.ctx = fn.args[0]
        if NameScope is not None and hasattr(fn.scope, "_useset"):
            fn.scope = _FastNames(fn.scope)
        self.alloca_block = fn.append_basic_block("allocas")
        self.alloca_builder = ir.IRBuilder(self.alloca_block)
        self.sp = None  # the stack pointer, once a call needs it
        self.self_index = -1  # with rec_next: this function's index, whose direct calls go round the ring
        self.rec_next: ir.Function | None = None
        self.rec_sites_left = 0
        self.b = ir.IRBuilder(fn.append_basic_block("entry"))
        self.stack: list = []
        self.frames: list[Label] = []
        self.reachable = True
        self.trap_blocks: dict[int, ir.Block] = {}
        self.tries: list = []  # handler frames of the try_tables open at this point, outermost first
        self.has_try = False
        self.local_types = list(ft.params) + list(local_types)
        self.locals = []
        for i, t in enumerate(self.local_types):
            slot = self.alloca(lltype(t))
            self.b.store(fn.args[FIRST_PARAM + i] if i < len(ft.params) else zero(lltype(t)), slot)
            self.locals.append(slot)
        self.mem_base = self.mem_cell = self.mem_size = None
        self.other_mems: dict[int, tuple] = {}  # memory index (not 0) -> (cell, base), made on first use
        if mc.has_memory:
            self.mem_cell = self.invariant_load(self.ctx, L.CTX_MEMORY, PTR)
            self.mem_base = self.invariant_load(self.mem_cell, L.MEM_BASE, PTR)
            self.mem_size = self.alloca(I64)
            self.reload_memory()

    # -- infrastructure --------------------------------------------------------------------------------
    def alloca(self, ty: ir.Type):
        return opaque_alloca(self.alloca_builder, ty, 16 if ty == V128 else None)

    def new_block(self, name: str = "") -> ir.Block:
        return self.fn.append_basic_block(name)

    def later_block(self, name: str) -> ir.Block:
        """A basic block that joins the function when code is placed in it (``place``), so blocks follow
        the order control reaches them.  Nested constructs then end in inner-to-outer order, and
        simplifycfg merges each end into the block before it at constant cost; in creation order it
        moved the growing merged block every time, quadratic in the nesting depth."""
        return ir.Block(self.fn, name)

    def place(self, block: ir.Block) -> None:
        self.fn.basic_blocks.append(block)
        self.b.position_at_end(block)

    def target(self, lbl: Label) -> ir.Block:
        """The basic block a branch to ``lbl`` jumps to, made (with the result slots) on first use."""
        if lbl.target is None:
            lbl.target = self.later_block(f"{lbl.kind}_end")
            lbl.slots = [self.alloca(lltype(t)) for t in lbl.types]
        return lbl.target

    def invariant_load(self, base, offset: int, ty: ir.Type):
        """Load a field that is fixed once the instance is linked (see ``_Metadata``)."""
        ld = load_field(self.b, base, offset, ty)
        ld.set_metadata("invariant.load", self.mc.md.invariant)
        return ld

    def memory_access(self, instr):
        """Tag a load/store of linear memory (TBAA: it cannot touch global cells; volatile in guard mode,
        see BOUNDS_MODES); any alignment."""
        instr.set_metadata("tbaa", self.mc.md.tbaa_memory)
        instr.align = 1
        if self.mc.guard:
            make_volatile(instr)
        return instr

    def mem_load(self, ptr, ty: ir.Type):
        return self.memory_access(self.b.load(ptr, typ=ty))

    def mem_store(self, value, ptr) -> None:
        self.memory_access(self.b.store(value, ptr))

    def reload_memory(self) -> None:
        if self.mem_cell is not None:
            self.b.store(load_field(self.b, self.mem_cell, L.MEM_SIZE, I64), self.mem_size)

    def stack_check(self):
        """Before every call: trap with "call stack exhausted" when the stack pointer is below ``floor``
        (the function's second argument), and return the floor for the callee, ``floor + CALL_CHARGE``.

        The outermost entry passes the lowest address its stack budget allows.  Real recursion therefore
        runs out a little early (each level costs its frame plus the charge), and recursion that no
        longer grows the stack -- self tail calls LLVM turned into loops (fib's ``f(n-1) + f(n-2)``
        included), sibling calls made jumps -- still raises the floor every round until it passes the
        stack pointer: runaway recursion stays a trap while LLVM is free to optimise calls.  One register
        compare per call, no memory access; a function that makes no call checks nothing (its own frame
        fits in the stack left beyond the budget), so leaf paths need no prologue at all."""
        b = self.b
        floor = self.fn.args[1]
        if "stack" in self.mc.omit:
            return floor
        if self.sp is None:  # read once: the frame is fixed, so every check compares the same values
            ab = self.alloca_builder
            self.sp = ab.ptrtoint(ab.call(self.mc.intrinsic(_STACKSAVE, PTR, []), []), I64)
        self.trap_if(b.icmp_unsigned("<", self.sp, floor), L.TRAP_CODES["call stack exhausted"])
        return b.add(floor, ir.Constant(I64, L.CALL_CHARGE))

    def trap_block(self, code: int) -> ir.Block:
        blk = self.trap_blocks.get(code)
        if blk is None:
            blk = self.new_block(f"trap{code}")
            tb = ir.IRBuilder(blk)
            tb.call(self.mc.trap_fn, [self.ctx, ir.Constant(I32, code)])
            tb.unreachable()
            self.trap_blocks[code] = blk
        return blk

    def trap_if(self, cond, code: int) -> None:
        """Branch to the (shared, cold) trap block for ``code`` when ``cond`` holds."""
        cont = self.new_block()
        br = self.b.cbranch(cond, self.trap_block(code), cont)
        br.set_metadata("prof", self.mc.md.unlikely)
        self.b.position_at_end(cont)

    def trap(self, code: int) -> None:
        self.b.call(self.mc.trap_fn, [self.ctx, ir.Constant(I32, code)])
        self.b.unreachable()
        self.reachable = False

    def push(self, v) -> None:
        self.stack.append(v)

    def pop(self):
        return self.stack.pop()

    def popn(self, n: int) -> list:
        if n == 0:
            return []
        vals = self.stack[-n:]
        del self.stack[-n:]
        return vals

    def block_type(self, bt) -> tuple[list[str], list[str]]:
        if bt is None:
            return [], []
        if isinstance(bt, str):
            return [], [bt]
        ft = self.mc.types[bt]
        return list(ft.params), list(ft.results)

    # -- driver ----------------------------------------------------------------------------------------
    def translate(self, body: list) -> None:
        results = list(self.ft.results)
        self.frames.append(Label("func", None, results, [], 0))
        self.body(body)
        if self.reachable:
            pack_results(self.b, self.popn(len(results)), results)
        self.alloca_builder.branch(self.fn.basic_blocks[1])
        if self.has_try:
            self.locals_volatile()

    def locals_volatile(self) -> None:
        """Make every access to a local volatile, in a function with a try_table.  A throw comes back to a
        handler by ``longjmp``, which the CFG does not show: promoted to registers, locals set in the body
        before the throw would reach the catch code with the values they had at the try_table's entry.
        Kept in memory, they have the values last stored."""
        slots = {id(slot) for slot in self.locals}
        for block in self.fn.basic_blocks:
            for instr in block.instructions:
                if isinstance(instr, ir.LoadInstr) and id(instr.operands[0]) in slots:
                    make_volatile(instr)
                elif isinstance(instr, ir.StoreInstr) and id(instr.operands[1]) in slots:
                    make_volatile(instr)

    def body(self, instrs: list) -> None:
        """Translate ``instrs``, stopping where the code becomes unreachable.

        Iterative, so nesting is bounded by memory, not by Python's stack: a structured instruction
        (``_NESTED``) is a generator that yields each body it holds and is resumed when that body ends
        (to close the construct, or to yield the next body, an ``if``'s else)."""
        ops = SCALAR_OPS
        open_constructs: list[tuple] = []  # (construct's generator, iterator of the body that holds it)
        it = iter(instrs)
        while True:
            inner = None
            for ins in it:
                name = ins[0]
                handler = ops.get(name)
                if handler is not None:
                    handler(self, ins)
                else:
                    construct = _NESTED.get(name)
                    if construct is not None:
                        gen = construct(self, ins)
                        inner = next(gen)
                        open_constructs.append((gen, it))
                        break
                    method = _CONTROL.get(name)
                    if method is None:
                        method = _other_handler(name)
                    method(self, ins)
                if not self.reachable:
                    break
            if inner is None:  # the body being read has ended: close constructs until one goes on
                while open_constructs:
                    gen, outer = open_constructs[-1]
                    inner = next(gen, None)
                    if inner is not None:
                        break
                    open_constructs.pop()
                    if self.reachable:
                        it = outer
                        break
                else:
                    return
            if inner is not None:
                it = iter(inner)

    # -- branches ----------------------------------------------------------------------------------------
    def branch_to(self, lbl: Label) -> None:
        """Emit the jump for a branch to ``lbl`` (values are the top of the stack, left in place)."""
        n = len(lbl.types)
        vals = self.stack[len(self.stack) - n :] if n else []
        if lbl.tries < len(self.tries):
            self.restore_handler(lbl.tries)
        if lbl.kind == "func":
            pack_results(self.b, vals, lbl.types)
            return
        target = self.target(lbl)
        for slot, v in zip(lbl.slots, vals, strict=True):
            self.b.store(v, slot)
        self.b.branch(target)

    def restore_handler(self, depth: int) -> None:
        """Leaving the try_tables open beyond ``depth`` (a branch out of them, a return, a tail call): the
        innermost handler becomes the one before the outermost of them."""
        b = self.b
        state = load_field(b, self.ctx, L.CTX_STATE, PTR)
        store_field(b, state, L.STATE_HANDLER, load_field(b, self.tries[depth], L.HANDLER_PREV, PTR))

    def end_construct(self, lbl: Label) -> None:
        """Finish a block/if.  Nothing branched to its end: the fallthrough's results stay where they are
        (validation leaves exactly them above the construct's height), or, with no fallthrough either, what
        follows is unreachable.  Otherwise the fallthrough stores its results like a branch, and code goes
        on at the end block with them loaded."""
        if lbl.target is None:
            if not self.reachable:
                del self.stack[lbl.height :]
            return
        if self.reachable:
            self.branch_to(lbl)
        del self.stack[lbl.height :]
        self.place(lbl.target)
        self.reachable = True
        for slot, t in zip(lbl.slots, lbl.types, strict=True):
            self.push(self.b.load(slot, typ=lltype(t)))

    # -- memory helpers ----------------------------------------------------------------------------------
    def memory(self, x: int) -> tuple:
        """``(base pointer, current size in bytes (i64), is memory64)`` of memory ``x`` at this point.

        Memory 0 keeps its size in a local reloaded after every call (loop-invariant between calls); any
        other memory (multi-memory, rare) has its cell and base loaded once in the entry block and its size
        read from the cell at each use, so no call made before its first use can leave a stale size."""
        wide = self.mc.mem_types[x].addr == "i64"
        if x == 0:
            return self.mem_base, self.b.load(self.mem_size, typ=I64), wide
        got = self.other_mems.get(x)
        if got is None:
            ab = self.alloca_builder
            cell = load_field(ab, self.ctx, self.mc.offs["mems"] + 8 * x, PTR)
            cell.set_metadata("invariant.load", self.mc.md.invariant)
            base = load_field(ab, cell, L.MEM_BASE, PTR)
            base.set_metadata("invariant.load", self.mc.md.invariant)
            got = self.other_mems[x] = (cell, base)
        cell, base = got
        return base, load_field(self.b, cell, L.MEM_SIZE, I64), wide

    def effective_address(self, offset: int, size: int, x: int = 0):
        """Pop an address of memory ``x`` and return a pointer to the checked access of ``size`` bytes at
        +offset.

        wasm32: the check is ``zext(addr) <=s memsize - (offset + size)`` in i64: exact (no overflow:
        addr < 2^32, memsize <= 2^32) and the right side is loop-invariant, so LLVM hoists it out of loops;
        in guard-page mode there is none.  memory64: always an explicit check (an i64 address can reach
        past any reservation): ``addr + offset + size`` must not wrap and must not exceed the size."""
        b = self.b
        addr = self.pop()
        base, mem_size, wide = self.memory(x)
        min_bytes = self.mc.mem_types[x].limits.min * 65536
        if isinstance(addr, ir.Constant) and isinstance(addr.constant, int) \
                and 0 <= addr.constant and addr.constant + offset + size <= min_bytes:
            # a static address below the declared minimum size: in bounds for the memory's whole life
            return b.gep(base, [ir.Constant(I64, addr.constant + offset)], source_etype=I8)
        if wide:
            if "bounds" not in self.mc.omit:
                if offset + size >= 1 << 64:
                    self.trap_if(ir.Constant(I1, 1), L.TRAP_CODES["out of bounds memory access"])
                else:
                    self.check_range(addr, ir.Constant(I64, offset + size), mem_size,
                                     L.TRAP_CODES["out of bounds memory access"], wide=True)
            ea = b.add(addr, ir.Constant(I64, offset)) if offset else addr
            return b.gep(base, [ea], source_etype=I8)
        ea = b.zext(addr, I64)
        if "bounds" not in self.mc.omit and not self.mc.guard:
            limit = b.sub(mem_size, ir.Constant(I64, offset + size), flags=("nsw",))
            self.trap_if(b.icmp_signed(">", ea, limit), L.TRAP_CODES["out of bounds memory access"])
        if offset:
            ea = b.add(ea, ir.Constant(I64, offset), flags=("nuw", "nsw"))
        return b.gep(base, [ea], source_etype=I8)

    def check_range(self, start64, len64, limit64, code: int, wide: bool = False) -> None:
        """Trap unless start+len <= limit (all i64).  ``wide``: start or len may use all 64 bits, so the
        sum must not wrap either; otherwise both are zero-extended from 32 bits and cannot overflow."""
        b = self.b
        if not wide:
            self.trap_if(b.icmp_unsigned(">", b.add(start64, len64), limit64), code)
            return
        uadd = self.mc.intrinsic("llvm.uadd.with.overflow.i64", ir.LiteralStructType([I64, I1]), [I64, I64])
        r = b.call(uadd, [start64, len64])
        end, wrapped = b.extract_value(r, 0), b.extract_value(r, 1)
        self.trap_if(b.or_(wrapped, b.icmp_unsigned(">", end, limit64)), code)

    def addr64(self, v):
        """An address, index or length operand as i64 (zero-extended when it is an i32)."""
        return v if v.type == I64 else self.b.zext(v, I64)

    def helper(self, op: str, args: list):
        """Call the Python helper for a rare instruction; returns its i64 result (slot 0)."""
        b = self.b
        buf = self.alloca(ir.ArrayType(I64, 4))
        for i, a in enumerate(args):
            if a.type != I64:
                a = b.zext(a, I64)
            store_field(b, buf, 8 * i, a)
        state = load_field(b, self.ctx, L.CTX_STATE, PTR)
        cb = load_field(b, state, L.STATE_HELPER_CB, PTR)
        rc = call_ptr(b, cb, ir.FunctionType(I32, [PTR, I32, PTR]), [self.ctx, ir.Constant(I32, L.HELPER_CODES[op]), buf])
        failed = b.icmp_unsigned("!=", rc, ir.Constant(I32, 0))
        bad, ok = self.new_block(), self.new_block()
        b.cbranch(failed, bad, ok)
        b.position_at_end(bad)
        b.call(self.mc.trap_fn, [self.ctx, rc])
        b.unreachable()
        b.position_at_end(ok)
        self.reload_memory()
        return load_field(b, buf, 0, I64)

    def table_cell(self, t: int):
        return self.invariant_load(self.ctx, self.mc.offs["tables"] + 8 * t, PTR)

    def func_record(self, idx: int):
        return self.invariant_load(self.ctx, self.mc.offs["funcs"] + 8 * idx, PTR)

    def do_call(self, code, fctx, ft: syntax.FuncType, direct: ir.Function | None = None) -> None:
        args = [fctx, self.stack_check()] + self.popn(len(ft.params))
        if direct is not None:
            res = self.b.call(direct, args)
        else:
            res = call_ptr(self.b, code, func_type(ft.params, ft.results), args, cconv=WASM_CC)
        self.reload_memory()
        for v in unpack_results(self.b, res, ft.results):
            self.push(v)

    def do_tail_call(self, code, fctx, ft: syntax.FuncType, direct: ir.Function | None = None) -> None:
        """``return_call*``: a ``musttail`` call, which replaces this function's frame (``WASM_CC``), so
        tail recursion of any depth runs in constant stack.  The callee gets this function's own floor:
        no frame is added, so nothing is charged (a tail-call loop that never ends runs forever, as the
        spec has it, rather than exhausting a stack it does not use)."""
        if not (_in_registers(ft) and _in_registers(self.ft) and _results_in_registers(ft)):
            self.do_call(code, fctx, ft, direct)
            self.b.ret(self.stack.pop() if ft.results and len(ft.results) == 1 else
                       _repack(self.b, self.popn(len(ft.results)), ft.results)) if ft.results else self.b.ret_void()
            self.reachable = False
            return
        args = [fctx, self.fn.args[1]] + self.popn(len(ft.params))
        if self.tries:  # the callee runs outside this frame's try_tables
            self.restore_handler(0)
        if direct is not None:
            res = self.b.call(direct, args, tail="musttail")
        else:
            res = call_ptr(self.b, code, func_type(ft.params, ft.results), args, tail="musttail", cconv=WASM_CC)
        if ft.results:
            self.b.ret(res)
        else:
            self.b.ret_void()
        self.reachable = False


# -- control instructions -----------------------------------------------------------------------------------
# Structured instructions are generators (see ``FunctionCompiler.body``): each yields the bodies it holds, in
# order, and finishes the construct when resumed after the last.
def _block(fc: FunctionCompiler, ins) -> Iterator[list]:
    params, results = fc.block_type(ins[1])
    lbl = Label("block", None, results, None, len(fc.stack) - len(params), len(fc.tries))
    fc.frames.append(lbl)
    yield ins[2]
    fc.frames.pop()
    fc.end_construct(lbl)


def _loop(fc: FunctionCompiler, ins) -> Iterator[list]:
    params, results = fc.block_type(ins[1])
    b = fc.b
    header = fc.new_block("loop")
    slots = [fc.alloca(lltype(t)) for t in params]
    args = fc.popn(len(params))
    for slot, v in zip(slots, args, strict=True):
        b.store(v, slot)
    b.branch(header)
    b.position_at_end(header)
    height = len(fc.stack)
    for slot, t in zip(slots, params, strict=True):
        fc.push(b.load(slot, typ=lltype(t)))
    fc.frames.append(Label("loop", header, params, slots, height, len(fc.tries)))
    yield ins[2]
    fc.frames.pop()
    if fc.reachable:
        vals = fc.popn(len(results))
        del fc.stack[height:]
        fc.stack.extend(vals)


def _if(fc: FunctionCompiler, ins) -> Iterator[list]:
    params, results = fc.block_type(ins[1])
    b = fc.b
    cond = fc.pop()
    args = fc.popn(len(params))
    then_bb, else_bb = fc.new_block("then"), fc.later_block("else")
    b.cbranch(b.icmp_unsigned("!=", cond, ir.Constant(I32, 0)), then_bb, else_bb)
    height = len(fc.stack)
    lbl = Label("if", None, results, None, height, len(fc.tries))
    fc.frames.append(lbl)
    b.position_at_end(then_bb)
    fc.stack.extend(args)
    yield ins[2]
    if fc.reachable:
        fc.branch_to(lbl)
    del fc.stack[height:]
    fc.place(else_bb)
    fc.reachable = True
    fc.stack.extend(args)
    yield ins[3] if len(ins) > 3 and ins[3] else []
    fc.frames.pop()
    fc.end_construct(lbl)


def _br(fc: FunctionCompiler, ins) -> None:
    fc.branch_to(fc.frames[-1 - ins[1]])
    fc.reachable = False


def _br_if(fc: FunctionCompiler, ins) -> None:
    b = fc.b
    cond = b.icmp_unsigned("!=", fc.pop(), ir.Constant(I32, 0))
    lbl = fc.frames[-1 - ins[1]]
    cont = fc.new_block()
    if lbl.kind != "func" and not lbl.types and lbl.tries == len(fc.tries):
        b.cbranch(cond, fc.target(lbl), cont)
    else:
        taken = fc.new_block()
        b.cbranch(cond, taken, cont)
        b.position_at_end(taken)
        fc.branch_to(lbl)
    b.position_at_end(cont)


def _br_table(fc: FunctionCompiler, ins) -> None:
    b = fc.b
    idx = fc.pop()
    labels, default = ins[1], ins[2]
    blocks: dict[int, ir.Block] = {}
    here = b.block

    def block_for(depth: int) -> ir.Block:
        blk = blocks.get(depth)
        if blk is None:
            lbl = fc.frames[-1 - depth]
            if lbl.kind != "func" and not lbl.types and lbl.tries == len(fc.tries):
                blk = fc.target(lbl)
            else:
                blk = fc.new_block()
                b.position_at_end(blk)
                fc.branch_to(lbl)
            blocks[depth] = blk
        return blk

    targets = [block_for(d) for d in labels]
    default_bb = block_for(default)
    b.position_at_end(here)
    sw = b.switch(idx, default_bb)
    for i, blk in enumerate(targets):
        if blk is not default_bb:
            sw.add_case(ir.Constant(I32, i), blk)
    fc.reachable = False


def _return(fc: FunctionCompiler, ins) -> None:
    fc.branch_to(fc.frames[0])
    fc.reachable = False


def _unreachable(fc: FunctionCompiler, ins) -> None:
    fc.trap(L.TRAP_CODES["unreachable"])


def _nop(fc: FunctionCompiler, ins) -> None:
    pass


def _drop(fc: FunctionCompiler, ins) -> None:
    fc.pop()


def _select(fc: FunctionCompiler, ins) -> None:
    cond = fc.pop()
    v2 = fc.pop()
    v1 = fc.pop()
    fc.push(fc.b.select(fc.b.icmp_unsigned("!=", cond, ir.Constant(I32, 0)), v1, v2))


def _call(fc: FunctionCompiler, ins) -> None:
    idx = ins[1]
    mc = fc.mc
    ft = mc.module.func_type(idx)
    if idx == fc.self_index:
        fc.rec_sites_left -= 1
        fc.do_call(None, fc.ctx, ft, direct=fc.fn if fc.rec_sites_left == 0 else fc.rec_next)
    elif idx >= mc.n_imported:
        fc.do_call(None, fc.ctx, ft, direct=mc.direct_callee(idx - mc.n_imported))
    else:
        rec = fc.func_record(idx)
        code = fc.invariant_load(rec, L.REC_CODE, PTR)
        fctx = fc.invariant_load(rec, L.REC_CTX, PTR)
        fc.do_call(code, fctx, ft)


def _indirect_callee(fc: FunctionCompiler, typeidx: int, tableidx: int) -> tuple:
    """Pop a table index and return (code, ctx) of the function it names, after the checks
    ``call_indirect`` makes: in range, not null, of the expected (canonical) type."""
    b = fc.b
    idx = fc.addr64(fc.pop())
    cell = fc.table_cell(tableidx)
    size = load_field(b, cell, L.TABLE_SIZE, I64)
    fc.trap_if(b.icmp_unsigned(">=", idx, size), L.TRAP_CODES["undefined element"])
    elems = load_field(b, cell, L.TABLE_ELEMS, PTR)
    ref = b.load(b.gep(elems, [idx], source_etype=I64), typ=I64)
    fc.trap_if(b.icmp_unsigned("==", ref, ir.Constant(I64, 0)), L.TRAP_CODES["uninitialized element"])
    rec = b.inttoptr(ref, PTR)
    expected = fc.invariant_load(fc.ctx, fc.mc.offs["types"] + 8 * typeidx, I64)
    actual = fc.invariant_load(rec, L.REC_TYPE, I64)
    if not fc.mc.module.subs:  # no declared subtypes: only the expected type itself can pass
        fc.trap_if(b.icmp_unsigned("!=", actual, expected), L.TRAP_CODES["indirect call type mismatch"])
    else:  # a function of a subtype passes too (GC): the runtime compares types when the ids differ
        slow, ok = fc.new_block(), fc.new_block()
        b.cbranch(b.icmp_unsigned("!=", actual, expected), slow, ok)
        b.position_at_end(slow)
        from .gc import func_subtype

        sub = func_subtype(fc, actual, expected)
        fc.trap_if(b.icmp_unsigned("==", sub, ir.Constant(I64, 0)), L.TRAP_CODES["indirect call type mismatch"])
        b.branch(ok)
        b.position_at_end(ok)
    return fc.invariant_load(rec, L.REC_CODE, PTR), fc.invariant_load(rec, L.REC_CTX, PTR)


def _call_indirect(fc: FunctionCompiler, ins) -> None:
    code, fctx = _indirect_callee(fc, ins[1], ins[2])
    fc.do_call(code, fctx, fc.mc.types[ins[1]])


def _return_call_indirect(fc: FunctionCompiler, ins) -> None:
    code, fctx = _indirect_callee(fc, ins[1], ins[2])
    fc.do_tail_call(code, fctx, fc.mc.types[ins[1]])


def _return_call(fc: FunctionCompiler, ins) -> None:
    idx = ins[1]
    mc = fc.mc
    ft = mc.module.func_type(idx)
    if idx >= mc.n_imported:
        fc.do_tail_call(None, fc.ctx, ft, direct=mc.direct_callee(idx - mc.n_imported))
    else:
        rec = fc.func_record(idx)
        fc.do_tail_call(fc.invariant_load(rec, L.REC_CODE, PTR), fc.invariant_load(rec, L.REC_CTX, PTR), ft)


def _ref_callee(fc: FunctionCompiler) -> tuple:
    """Pop a function reference and return (code, ctx) of its record; null traps.  Validation typed the
    reference, so no type check is needed."""
    b = fc.b
    ref = fc.pop()
    fc.trap_if(b.icmp_unsigned("==", ref, ir.Constant(I64, 0)), L.TRAP_CODES["null function reference"])
    rec = b.inttoptr(ref, PTR)
    return fc.invariant_load(rec, L.REC_CODE, PTR), fc.invariant_load(rec, L.REC_CTX, PTR)


def _call_ref(fc: FunctionCompiler, ins) -> None:
    code, fctx = _ref_callee(fc)
    fc.do_call(code, fctx, fc.mc.types[ins[1]])


def _return_call_ref(fc: FunctionCompiler, ins) -> None:
    code, fctx = _ref_callee(fc)
    fc.do_tail_call(code, fctx, fc.mc.types[ins[1]])


def _ref_as_non_null(fc: FunctionCompiler, ins) -> None:
    fc.trap_if(fc.b.icmp_unsigned("==", fc.stack[-1], ir.Constant(I64, 0)), L.TRAP_CODES["null reference"])


def _br_on_null(fc: FunctionCompiler, ins) -> None:
    """Branch (without the reference) when it is null; else go on with it."""
    b = fc.b
    ref = fc.pop()
    is_null = b.icmp_unsigned("==", ref, ir.Constant(I64, 0))
    lbl = fc.frames[-1 - ins[1]]
    taken, cont = fc.new_block(), fc.new_block()
    b.cbranch(is_null, taken, cont)
    b.position_at_end(taken)
    fc.branch_to(lbl)
    b.position_at_end(cont)
    fc.push(ref)


def _br_on_non_null(fc: FunctionCompiler, ins) -> None:
    """Branch with the reference (the label's last value) when it is not null; else drop it and go on."""
    b = fc.b
    ref = fc.stack[-1]
    non_null = b.icmp_unsigned("!=", ref, ir.Constant(I64, 0))
    lbl = fc.frames[-1 - ins[1]]
    taken, cont = fc.new_block(), fc.new_block()
    b.cbranch(non_null, taken, cont)
    b.position_at_end(taken)
    fc.branch_to(lbl)
    b.position_at_end(cont)
    fc.pop()


def _local_get(fc: FunctionCompiler, ins) -> None:
    i = ins[1]
    fc.push(fc.b.load(fc.locals[i], typ=lltype(fc.local_types[i])))


def _local_set(fc: FunctionCompiler, ins) -> None:
    fc.b.store(fc.pop(), fc.locals[ins[1]])


def _local_tee(fc: FunctionCompiler, ins) -> None:
    fc.b.store(fc.stack[-1], fc.locals[ins[1]])


def _global_cell(fc: FunctionCompiler, i: int):
    return fc.invariant_load(fc.ctx, fc.mc.offs["globals"] + 8 * i, PTR)


def _global_get(fc: FunctionCompiler, ins) -> None:
    i = ins[1]
    ty = lltype(fc.mc.global_types[i].valtype)
    ld = fc.b.load(_global_cell(fc, i), typ=ty)
    ld.align = 8  # cells are 8-byte aligned native arrays (a v128's natural 16 is not guaranteed)
    ld.set_metadata("tbaa", fc.mc.md.tbaa_global)
    fc.push(ld)


def _global_set(fc: FunctionCompiler, ins) -> None:
    st = fc.b.store(fc.pop(), _global_cell(fc, ins[1]))
    st.align = 8
    st.set_metadata("tbaa", fc.mc.md.tbaa_global)
    if fc.mc.guard:  # stays before a load that may fault after it (see BOUNDS_MODES)
        make_volatile(st)


def _ref_null(fc: FunctionCompiler, ins) -> None:
    fc.push(ir.Constant(I64, 0))


def _ref_is_null(fc: FunctionCompiler, ins) -> None:
    b = fc.b
    fc.push(b.zext(b.icmp_unsigned("==", fc.pop(), ir.Constant(I64, 0)), I32))


def _ref_func(fc: FunctionCompiler, ins) -> None:
    fc.push(fc.b.ptrtoint(fc.func_record(ins[1]), I64))


def _table_get(fc: FunctionCompiler, ins) -> None:
    b = fc.b
    idx = fc.addr64(fc.pop())
    cell = fc.table_cell(ins[1])
    fc.trap_if(b.icmp_unsigned(">=", idx, load_field(b, cell, L.TABLE_SIZE, I64)), L.TRAP_CODES["out of bounds table access"])
    elems = load_field(b, cell, L.TABLE_ELEMS, PTR)
    fc.push(b.load(b.gep(elems, [idx], source_etype=I64), typ=I64))


def _table_size(fc: FunctionCompiler, ins) -> None:
    size = load_field(fc.b, fc.table_cell(ins[1]), L.TABLE_SIZE, I64)
    fc.push(size if fc.mc.table_addr[ins[1]] == "i64" else fc.b.trunc(size, I32))


def _table_set(fc: FunctionCompiler, ins) -> None:
    ref = fc.pop()
    idx = fc.pop()
    fc.helper("table.set", [ir.Constant(I64, ins[1]), idx, ref])


def _table_grow(fc: FunctionCompiler, ins) -> None:
    n = fc.pop()
    ref = fc.pop()
    r = fc.helper("table.grow", [ir.Constant(I64, ins[1]), ref, n])
    fc.push(r if fc.mc.table_addr[ins[1]] == "i64" else fc.b.trunc(r, I32))


def _table_fill(fc: FunctionCompiler, ins) -> None:
    n = fc.pop()
    ref = fc.pop()
    i = fc.pop()
    fc.helper("table.fill", [ir.Constant(I64, ins[1]), i, ref, n])


def _table_copy(fc: FunctionCompiler, ins) -> None:
    n = fc.pop()
    s = fc.pop()
    d = fc.pop()
    dst, src = ins[1], ins[2]
    fc.helper("table.copy", [ir.Constant(I64, dst | (src << 32)), d, s, n])


def _table_init(fc: FunctionCompiler, ins) -> None:
    n = fc.pop()
    s = fc.pop()
    d = fc.pop()
    elemidx, tableidx = ins[1], ins[2]
    fc.helper("table.init", [ir.Constant(I64, tableidx | (elemidx << 32)), d, s, n])


def _elem_drop(fc: FunctionCompiler, ins) -> None:
    fc.helper("elem.drop", [ir.Constant(I64, ins[1])])


def _memory_size(fc: FunctionCompiler, ins) -> None:
    b = fc.b
    _, size, wide = fc.memory(memory_index(ins))
    pages = b.lshr(size, ir.Constant(I64, 16))
    fc.push(pages if wide else b.trunc(pages, I32))


def _memory_grow(fc: FunctionCompiler, ins) -> None:
    x = memory_index(ins)
    r = fc.helper("memory.grow", [ir.Constant(I64, x), fc.pop()])
    fc.push(r if fc.mc.mem_types[x].addr == "i64" else fc.b.trunc(r, I32))


def _memory_fill(fc: FunctionCompiler, ins) -> None:
    b = fc.b
    base, size, wide = fc.memory(memory_index(ins))
    n = fc.addr64(fc.pop())
    val = b.trunc(fc.pop(), I8)
    d = fc.addr64(fc.pop())
    fc.check_range(d, n, size, L.TRAP_CODES["out of bounds memory access"], wide)
    memset = fc.mc.intrinsic("llvm.memset.p0.i64", VOID, [PTR, I8, I64, I1])
    b.call(memset, [b.gep(base, [d], source_etype=I8), val, n, ir.Constant(I1, 0)])


def _memory_copy(fc: FunctionCompiler, ins) -> None:
    b = fc.b
    dst_base, dst_size, dst_wide = fc.memory(memory_index(ins))
    src_base, src_size, src_wide = fc.memory(memory_index(ins, source=True))
    n = fc.addr64(fc.pop())
    s = fc.addr64(fc.pop())
    d = fc.addr64(fc.pop())
    code = L.TRAP_CODES["out of bounds memory access"]
    fc.check_range(s, n, src_size, code, src_wide)
    fc.check_range(d, n, dst_size, code, dst_wide)
    memmove = fc.mc.intrinsic("llvm.memmove.p0.p0.i64", VOID, [PTR, PTR, I64, I1])
    b.call(memmove, [b.gep(dst_base, [d], source_etype=I8), b.gep(src_base, [s], source_etype=I8), n, ir.Constant(I1, 0)])


def _memory_init(fc: FunctionCompiler, ins) -> None:
    n = fc.pop()
    s = fc.pop()
    d = fc.pop()
    fc.helper("memory.init", [ir.Constant(I64, ins[1] | (memory_index(ins) << 32)), d, s, n])


def _data_drop(fc: FunctionCompiler, ins) -> None:
    fc.helper("data.drop", [ir.Constant(I64, ins[1])])


# -- exceptions (3.0) ----------------------------------------------------------------------------------------
def _try_table(fc: FunctionCompiler, ins) -> Iterator[list]:
    """A handler frame on the native stack, made the innermost handler (``STATE_HANDLER``), and ``setjmp``:
    a throw anywhere below ``longjmp``s back here (``wasm_throw``) with the exception in ``STATE_EXN``,
    and the catch clauses are tried in order: a match branches to its label with the payload (and the
    exnref for the ``_ref`` forms); no match throws on to the next handler.  Leaving the body any other
    way restores the handler before it (``FunctionCompiler.branch_to``)."""
    params, results = fc.block_type(ins[1])
    b = fc.b
    mc = fc.mc
    fc.has_try = True
    frame = opaque_alloca(fc.alloca_builder, ir.ArrayType(I64, L.HANDLER_WORDS), 16)
    state = load_field(b, fc.ctx, L.CTX_STATE, PTR)
    store_field(b, frame, L.HANDLER_PREV, load_field(b, state, L.STATE_HANDLER, PTR))
    store_field(b, state, L.STATE_HANDLER, frame)
    setjmp = mc.intrinsic("_setjmp", I32, [PTR], ("returns_twice",))
    r = b.call(setjmp, [field_ptr(b, frame, L.HANDLER_JMPBUF)])
    body_bb, catch_bb = fc.new_block("try"), fc.later_block("catch")
    b.cbranch(b.icmp_signed("==", r, ir.Constant(I32, 0)), body_bb, catch_bb)
    b.position_at_end(body_bb)
    height = len(fc.stack) - len(params)
    lbl = Label("block", None, results, None, height, len(fc.tries))
    fc.frames.append(lbl)
    fc.tries.append(frame)
    yield ins[2]
    fc.frames.pop()
    if fc.reachable:
        fc.branch_to(lbl)  # (restores the handler: lbl.tries is one less)
    fc.tries.pop()
    del fc.stack[height:]
    fc.place(catch_bb)
    fc.reachable = True
    fc.reload_memory()  # the throwing callee may have grown memory: the reload after its call never ran
    state = load_field(fc.b, fc.ctx, L.CTX_STATE, PTR)
    exn = load_field(fc.b, state, L.STATE_EXN, I64)
    record = fc.b.inttoptr(exn, PTR)
    caught_all = False
    for kind, tag, label in ins[3]:
        b = fc.b
        payload = []
        nxt = None
        if tag is not None:
            expected = fc.invariant_load(fc.ctx, mc.offs["tags"] + 8 * tag, I64)
            match, nxt = fc.new_block("catch_match"), fc.new_block("catch_next")
            b.cbranch(b.icmp_unsigned("==", load_field(b, record, L.EXN_TAG, I64), expected), match, nxt)
            b.position_at_end(match)
            for i, t in enumerate(mc.tag_types[tag].params):
                payload.append(load_field(b, record, L.EXN_VALUES + i * L.SLOT_SIZE, lltype(t), align=8))
        if kind.endswith("_ref"):
            payload.append(exn)
        fc.stack.extend(payload)
        fc.branch_to(fc.frames[-1 - label])
        del fc.stack[height:]
        if nxt is None:
            caught_all = True
            break
        b.position_at_end(nxt)
    if not caught_all:
        fc.b.call(mc.throw_fn, [fc.ctx, exn])
        fc.b.unreachable()
    fc.reachable = False
    fc.end_construct(lbl)


def _throw(fc: FunctionCompiler, ins) -> None:
    """The exception object is made in Python (the ``throw`` helper: a ``WasmException`` and its native
    record, from the payload in slots), then thrown natively."""
    b = fc.b
    params = fc.mc.tag_types[ins[1]].params
    vals = fc.popn(len(params))
    buf = fc.alloca(ir.ArrayType(I64, 2 * max(len(params), 1)))
    buf.align = 16
    for i, v in enumerate(vals):
        store_field(b, buf, i * L.SLOT_SIZE, v, align=8)
    exn = fc.helper("throw", [ir.Constant(I64, ins[1]), b.ptrtoint(buf, I64)])
    fc.b.call(fc.mc.throw_fn, [fc.ctx, exn])
    fc.b.unreachable()
    fc.reachable = False


def _throw_ref(fc: FunctionCompiler, ins) -> None:
    exn = fc.pop()
    fc.trap_if(fc.b.icmp_unsigned("==", exn, ir.Constant(I64, 0)), L.TRAP_CODES["null exception reference"])
    fc.b.call(fc.mc.throw_fn, [fc.ctx, exn])
    fc.b.unreachable()
    fc.reachable = False


_NESTED = {"block": _block, "loop": _loop, "if": _if, "try_table": _try_table}

_CONTROL = {
    "br": _br,
    "br_if": _br_if,
    "br_table": _br_table,
    "return": _return,
    "unreachable": _unreachable,
    "nop": _nop,
    "drop": _drop,
    "select": _select,
    "call": _call,
    "call_indirect": _call_indirect,
    "return_call": _return_call,
    "return_call_indirect": _return_call_indirect,
    "call_ref": _call_ref,
    "return_call_ref": _return_call_ref,
    "ref.as_non_null": _ref_as_non_null,
    "br_on_null": _br_on_null,
    "br_on_non_null": _br_on_non_null,
    "throw": _throw,
    "throw_ref": _throw_ref,
    "local.get": _local_get,
    "local.set": _local_set,
    "local.tee": _local_tee,
    "global.get": _global_get,
    "global.set": _global_set,
    "ref.null": _ref_null,
    "ref.is_null": _ref_is_null,
    "ref.func": _ref_func,
    "table.get": _table_get,
    "table.set": _table_set,
    "table.size": _table_size,
    "table.grow": _table_grow,
    "table.fill": _table_fill,
    "table.copy": _table_copy,
    "table.init": _table_init,
    "elem.drop": _elem_drop,
    "memory.size": _memory_size,
    "memory.grow": _memory_grow,
    "memory.fill": _memory_fill,
    "memory.copy": _memory_copy,
    "memory.init": _memory_init,
    "data.drop": _data_drop,
}


def _other_handler(name: str):
    """SIMD and GC instructions live in their own modules (imported lazily: most modules have none)."""
    from .simd import SIMD_OPS

    handler = SIMD_OPS.get(name)
    if handler is None:
        from .gc import GC_HANDLERS

        handler = GC_HANDLERS.get(name)
    if handler is None:
        raise NotImplementedError(f"LLVM tier: instruction {name!r} is not supported")
    return handler



def build_host_thunks(fts: list[syntax.FuncType]) -> ir.Module:
    """``ret wasm_host_thunk_<i>(ptr hostctx, i64 floor, params...)`` for each type in ``fts``: the code of a host
    function as seen from compiled code.  It spills the arguments into 16-byte slots, calls the store's
    host callback (Python) and either returns the results it left in the slots or, if the callback reported
    a trap, unwinds like any trap.  One module for many types: one LLVM run and one load, not one each."""
    mc = ModuleCompiler(syntax.Module(), "host_thunks")
    for i, ft in enumerate(fts):
        _host_thunk(mc, ft, f"wasm_host_thunk_{i}")
    return mc.ir


def build_host_thunk(ft: syntax.FuncType) -> ir.Module:
    """A module with the single thunk ``wasm_host_thunk_0`` for ``ft``."""
    return build_host_thunks([ft])


def _host_thunk(mc: ModuleCompiler, ft: syntax.FuncType, name: str) -> None:
    fn = ir.Function(mc.ir, func_type(ft.params, ft.results), name)
    fn.calling_convention = WASM_CC
    ctx = fn.args[0]
    b = ir.IRBuilder(fn.append_basic_block("entry"))
    n = max(len(ft.params), len(ft.results), 1)
    slots = opaque_alloca(b, ir.ArrayType(I64, 2 * n), 16)
    for i, _t in enumerate(ft.params):
        store_field(b, slots, i * L.SLOT_SIZE, fn.args[FIRST_PARAM + i])
    state = load_field(b, ctx, L.HOSTCTX_STATE, PTR)
    cb = load_field(b, state, L.STATE_HOST_CB, PTR)
    rc = call_ptr(b, cb, ir.FunctionType(I32, [PTR, PTR]), [ctx, slots])
    bad, ok = fn.append_basic_block("bad"), fn.append_basic_block("ok")
    b.cbranch(b.icmp_unsigned("!=", rc, ir.Constant(I32, 0)), bad, ok)
    b.position_at_end(bad)
    throw, trap = fn.append_basic_block("throw"), fn.append_basic_block("trap")
    b.cbranch(b.icmp_unsigned("==", rc, ir.Constant(I32, L.TRAP_THROW)), throw, trap)
    b.position_at_end(throw)  # the host raised a wasm exception: on to the handlers of the wasm code
    b.call(mc.throw_fn, [ctx, load_field(b, state, L.STATE_EXN, I64)])
    b.unreachable()
    b.position_at_end(trap)
    b.call(mc.trap_fn, [ctx, rc])
    b.unreachable()
    b.position_at_end(ok)
    pack_results(b, [load_field(b, slots, i * L.SLOT_SIZE, lltype(t)) for i, t in enumerate(ft.results)], ft.results)
