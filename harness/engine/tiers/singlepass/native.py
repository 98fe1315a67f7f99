"""The Python side of the singlepass tier: per-store native state, the stubs every module's code shares (the
entry trampoline, the trap exit, the thunk that calls a host function), and the callback through which
generated code reaches Python.

Who owns what (as in the LLVM tier): memory bytes are the runtime's ``MemoryInstance`` mapping, whose size is
mirrored in a memory cell; globals live in native cells copied from and back to ``GlobalInstance.value`` at
every crossing between Python and native code; tables are mirrored natively (a function record's address or
an externref handle per element, 0 for null), changed by generated code only through the callback, and
picked up from Python on entry.  A funcref is the address of a function record ``{type id, code, ctx}``.

How a trap unwinds: the entry trampoline saves the stack pointer in the State (chaining the previous one, so
host code may re-enter); generated code that traps puts the trap code in the return register (``eax``,
``w0``) and jumps to the trap exit, which restores that stack pointer and returns the code from the
trampoline.  The machine code of these stubs is per ISA (``x86_64/stubs.py``, ``aarch64/stubs.py``).
"""

from __future__ import annotations

import ctypes
from typing import Any

from ... import syntax
from ...errors import Exhaustion, Trap
from ...runtime.objects import FuncInstance, GlobalInstance
from ..native_state import (
    MASK32,
    MASK64,
    U64,
    NativeCells,
    address,
    canonical_type_id,
    default_stack_budget,
    u64_array,
)
from . import faults, isa_module
from . import layout as L
from .codemem import CodeBlock

ENTRY = ctypes.CFUNCTYPE(ctypes.c_int32, ctypes.c_void_p, ctypes.c_void_p, ctypes.c_void_p)
CALLBACK = ctypes.CFUNCTYPE(ctypes.c_int32, ctypes.c_void_p, ctypes.c_int32, ctypes.c_void_p, ctypes.c_uint64)
MAX_REENTRY = 100  # nested host -> wasm entries (each holds Python and ctypes frames on the native stack)
_MASKS = {"i32": MASK32, "f32": MASK32, "i64": MASK64, "f64": MASK64}
W = L.SLOT_WORDS
_OP_SIMD = L.HELPER_CODES["simd"]


def simd_helper(slots, imm: int) -> None:
    """A SIMD lane operation the code generator leaves to Python: operands in the first slots (16 bytes each),
    the result written into the first; ``imm`` is the operation's index in ``simd_common.simd_names()``."""
    from ...exec.simd import SIMD_OPS, SIMD_TYPES
    from .simd_common import simd_names

    name = simd_names()[imm & 0xFFFF]
    argtypes, result = SIMD_TYPES[name]
    args = [slots[W * i] | slots[W * i + 1] << 64 if t == "v128" else slots[W * i] & _MASKS[t]
            for i, t in enumerate(argtypes)]
    r = SIMD_OPS[name](*args)
    slots[0] = r & MASK64
    if result == "v128":
        slots[1] = r >> 64

class Stubs:
    """The shared machine code: ``entry(code, ctx, slots) -> trap code``, the trap exit, the host thunk (the
    host's ISA's, from its ``stubs`` module)."""

    def __init__(self) -> None:
        code, self.trap_exit_offset, self.host_thunk_offset = isa_module("stubs").shared_stubs()
        self.block = CodeBlock(code)
        self.entry = ENTRY(self.block.address)
        self.trap_exit = self.block.address + self.trap_exit_offset
        self.host_thunk = self.block.address + self.host_thunk_offset


_stubs: Stubs | None = None


def stubs() -> Stubs:
    global _stubs
    if _stubs is None:
        _stubs = Stubs()
    return _stubs


class NativeStore(NativeCells):
    """One store's native state and the registries that map native values back to runtime objects."""

    def __init__(self, stack_budget: int | None = None):
        self.stubs = stubs()
        faults.guard()  # a signal in generated code becomes GeneratedCodeFault, not a dead process
        self.state = u64_array(L.ST_SIZE // 8)
        self._callback = CALLBACK(self._on_callback)
        self.state[L.ST_CALLBACK // 8] = ctypes.cast(self._callback, ctypes.c_void_p).value
        self.state_addr = address(self.state)
        self.stack_budget = stack_budget
        self.keyed: dict[int, Any] = {}  # CTX_KEY -> NativeInstance or host FuncInstance
        self._init_cells()
        self.handles: list[Any] = [None]
        self.handle_of: dict[int, int] = {}
        self.pending: BaseException | None = None
        self.depth = 0
        self._keep: list[Any] = []

    def new_key(self, obj: Any) -> int:
        key = len(self.keyed) + 1
        self.keyed[key] = obj
        return key

    def context_header(self, ctx, key: int) -> None:
        ctx[L.CTX_STATE // 8] = self.state_addr
        ctx[L.CTX_TRAP_EXIT // 8] = self.stubs.trap_exit
        ctx[L.CTX_KEY // 8] = key

    # -- references ------------------------------------------------------------------------------------
    def ref_to_native(self, ref: Any) -> int:
        if ref is None:
            return 0
        if isinstance(ref, FuncInstance):
            return self.record_of(ref)
        h = self.handle_of.get(id(ref))
        if h is None:
            h = len(self.handles)
            self.handles.append(ref)
            self.handle_of[id(ref)] = h
        return h

    def ref_from_native(self, valtype: str, value: int) -> Any:
        if value == 0:
            return None
        return self.records[value] if valtype == "funcref" else self.handles[value]

    def record_of(self, fi: FuncInstance) -> int:
        """The address of ``fi``'s function record: its own code in this store, otherwise the host thunk,
        which calls ``fi.call`` from Python (host functions, and functions of other tiers or stores)."""
        native = fi.native
        if native is not None and native[0] is self:
            return native[1]
        hostctx = u64_array(3)
        self.context_header(hostctx, self.new_key(fi))
        rec = u64_array(3)
        rec[0] = canonical_type_id(fi.type)
        rec[1] = self.stubs.host_thunk
        rec[2] = address(hostctx)
        self._keep.append(hostctx)
        return self.register_record(fi, rec)

    # -- cells (``NativeCells``) -------------------------------------------------------------------------
    GLOBAL_WORDS = L.SLOT_WORDS

    def _global_in(self, g: GlobalInstance, cell) -> None:
        self.put(cell, 0, g.type.valtype, g.value)

    def _global_out(self, g: GlobalInstance, cell) -> None:
        g.value = self.get(cell, 0, g.type.valtype)

    # -- values --------------------------------------------------------------------------------------
    def to_native(self, t: str, v: Any) -> int:
        mask = _MASKS.get(t)
        return v & mask if mask is not None else self.ref_to_native(v)

    def from_native(self, t: str, v: int) -> Any:
        mask = _MASKS.get(t)
        return v & mask if mask is not None else self.ref_from_native(t, v)

    def put(self, words, i: int, t: str, v: Any) -> None:
        """Store value ``v`` of type ``t`` at word ``i`` of a native array (a ``v128`` takes two words)."""
        if t == "v128":
            words[i] = v & MASK64
            words[i + 1] = (v >> 64) & MASK64
        else:
            words[i] = self.to_native(t, v)

    def get(self, words, i: int, t: str) -> Any:
        if t == "v128":
            return words[i] | words[i + 1] << 64
        return self.from_native(t, words[i])

    # -- crossings -------------------------------------------------------------------------------------
    def call_entry(self, code: int, ctx: int, ft: syntax.FuncType, args: list) -> list:
        if len(args) != len(ft.params):  # the interpreter's error, word for word
            raise TypeError(f"function of type {ft} takes {len(ft.params)} arguments, got {len(args)}")
        slots = u64_array(W * max(len(ft.params), len(ft.results)))
        for i, (t, v) in enumerate(zip(ft.params, args, strict=True)):
            self.put(slots, W * i, t, v)
        if self.depth >= MAX_REENTRY:
            raise Exhaustion("call stack exhausted", "call stack exhausted (host/wasm re-entry too deep)")
        if self.depth == 0:  # outermost: the entry trampoline sets a fresh stack limit
            self.state[L.ST_LIMIT // 8] = 0
            self.state[L.ST_BUDGET // 8] = self.stack_budget or default_stack_budget()
        self.sync_in()
        faults.check()
        self.depth += 1
        try:
            rc = self.stubs.entry(code, ctx, address(slots))
        finally:
            self.depth -= 1
            self.sync_out()
        if rc:
            self.raise_trap(rc)
        return [self.get(slots, W * i, t) for i, t in enumerate(ft.results)]

    def raise_trap(self, rc: int) -> None:
        if rc == L.TRAP_PENDING:
            exc, self.pending = self.pending, None
            raise exc if exc is not None else Trap("unreachable", "singlepass tier: lost host exception")
        if rc == L.TRAP_CRASH:
            pc, sig = int(self.state[L.ST_CRASH_PC // 8]), int(self.state[L.ST_CRASH_SIG // 8])
            raise faults.GeneratedCodeFault(
                f"singlepass tier: {faults.SIGNAL_NAMES.get(sig, f'signal {sig}')} in generated code at "
                f"{faults.describe(pc)}: an engine bug, not a wasm trap (please report it with the module)")
        kind = L.TRAP_KINDS[rc] if 0 < rc < len(L.TRAP_KINDS) else f"trap code {rc}"
        if kind == L.TRAP_KINDS[-1]:
            raise Exhaustion(kind)
        raise Trap(kind)

    def _on_callback(self, ctx: int, op: int, slots_addr: int, imm: int) -> int:
        if op == _OP_SIMD:  # pure: no state crosses
            try:
                simd_helper((U64 * (3 * W)).from_address(slots_addr), imm)
                return 0
            except BaseException as exc:  # noqa: BLE001 - a bug here must unwind, not crash generated code
                self.pending = exc
                return L.TRAP_PENDING
        try:
            target = self.keyed[U64.from_address(ctx + L.CTX_KEY).value]
            self.sync_out()
            if op == L.OP_HOST:
                ft = target.type
                slots = (U64 * (W * max(len(ft.params), len(ft.results), 1))).from_address(slots_addr)
                results = target.call([self.get(slots, W * i, t) for i, t in enumerate(ft.params)])
                for i, (t, v) in enumerate(zip(ft.results, results, strict=True)):
                    self.put(slots, W * i, t, v)
            else:
                slots = (U64 * (3 * W)).from_address(slots_addr)
                operands = [slots[0], slots[W], slots[2 * W]]
                slots[0] = target.helper(L.HELPER_OPS[op], operands, imm) & MASK64
            self.sync_in(tables=op == L.OP_HOST)
            return 0
        except BaseException as exc:  # noqa: BLE001 - every failure must unwind generated code, not crash it
            if type(exc) is Trap and exc.kind in L.TRAP_CODES and str(exc) == exc.kind:
                return L.TRAP_CODES[exc.kind]
            self.pending = exc
            return L.TRAP_PENDING
