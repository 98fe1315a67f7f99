"""The native side of the LLVM tier: the structs compiled code reads (see ``layout``), kept in step with the
runtime's Python objects, and the two callbacks through which compiled code reaches Python.

Who owns what:

* memory bytes are the runtime's ``MemoryInstance`` mapping (stable base address); its current size in bytes
  is mirrored in a *memory cell* per memory object, refreshed on entry to compiled code, after host calls
  and by ``memory.grow``.
* globals live in native *cells* (one per ``GlobalInstance``, shared by every instance that imports it);
  ``GlobalInstance.value`` is copied in on entry to compiled code and copied back when control returns to
  Python (results, host calls, helpers).
* tables are mirrored natively (an i64 per element: a function record's address, an extern handle or 0);
  compiled code reads the mirror directly (``call_indirect``, ``table.get``) and changes tables only
  through the helper callback, which updates both sides.  Changes the host makes to ``elements`` are picked
  up on entry to compiled code.
* references: a funcref is the address of a *function record* ``{type id, code, ctx}``; an exnref the
  address of an exception record; an ``i31`` is the tagged word ``value << 1 | 1`` (the only odd words); any
  other reference -- a host object, a GC struct or array (``runtime.gcref``'s Python objects) -- is a
  *handle*: an even word, twice its index in the store's handle table, which holds the object as long as
  the store lives (see "GC" in docs/LLVM_TIER.md).  0 is null for all of them.
"""

from __future__ import annotations

import ctypes
from collections.abc import Callable
from typing import Any

from ... import syntax
from ...errors import Exhaustion, Trap, WasmException
from ...runtime.gcref import I31
from ...runtime.instance import rtt_of
from ...runtime.objects import FuncInstance, GlobalInstance
from ...runtime.rtt import RTT
from ..native_state import (
    MASK32,
    MASK64,
    U64,
    NativeCells,
    address,
    default_stack_budget,
    u64_array,
)
from . import faults
from . import layout as L

ENTRY = ctypes.CFUNCTYPE(ctypes.c_int32, ctypes.c_void_p, ctypes.c_void_p, ctypes.c_void_p)
HOST_CB = ctypes.CFUNCTYPE(ctypes.c_int32, ctypes.c_void_p, ctypes.c_void_p)
HELPER_CB = ctypes.CFUNCTYPE(ctypes.c_int32, ctypes.c_void_p, ctypes.c_int32, ctypes.c_void_p)
_JMPBUF = L.STATE_JMPBUF // 8  # index of the State's jmp_buf word: 0 while Python runs (see ``faults``)
_HELPER_SLOTS = U64 * 4
_GC_OP = L.HELPER_CODES["gc"]
MAX_REENTRY = 100  # nested host -> wasm entries (each holds Python and ctypes frames on the native stack)

_NUMERIC = frozenset(("i32", "i64", "f32", "f64", "v128"))  # every other value type is a reference
COLLECT_AT = 4096  # see ``NativeStore.collect``
_rtt_ids: dict[RTT, int] = {}
_rtts_by_id: list[RTT | None] = [None]  # id -> runtime type (the inverse of ``rtt_id``)


def rtt_id(rtt: RTT) -> int:
    """Process-wide id of a runtime type (``runtime.rtt``): what a function record's type word and a
    VMContext's type table hold, so ``call_indirect`` compares types across modules by identity, as the
    spec's canonical types are (a FuncType naming other types by index is only meaningful in its module)."""
    tid = _rtt_ids.get(rtt)
    if tid is None:
        tid = _rtt_ids[rtt] = len(_rtt_ids) + 1
        _rtts_by_id.append(rtt)
    return tid


def rtt_of_id(tid: int) -> RTT:
    """The runtime type with id ``tid`` (``call_indirect`` of a subtype's function asks)."""
    return _rtts_by_id[tid]


_tag_ids: dict[int, tuple[int, Any]] = {}  # id(TagInstance) -> (native id, the tag, kept alive)


def tag_id(tag: Any) -> int:
    """Process-wide id of an exception tag (a ``TagInstance``: tags are compared by identity)."""
    entry = _tag_ids.get(id(tag))
    if entry is None:
        entry = _tag_ids[id(tag)] = (len(_tag_ids) + 1, tag)
    return entry[0]


class NativeStore(NativeCells):
    """Per-store native state: the trap/unwind state, callbacks, and the registries that map native values
    (record addresses, handles, cells) back to runtime objects."""

    def __init__(self, stack_budget: int | None = None, guard: bool = False):
        """``guard``: the store runs guard-mode code (``faults``): its State and every memory it links are
        registered with the fault handler."""
        self.state = u64_array(L.STATE_SIZE // 8)
        self._host_cb = HOST_CB(self._host_callback)
        self._helper_cb = HELPER_CB(self._helper_callback)
        self.state[L.STATE_HOST_CB // 8] = ctypes.cast(self._host_cb, ctypes.c_void_p).value
        self.state[L.STATE_HELPER_CB // 8] = ctypes.cast(self._helper_cb, ctypes.c_void_p).value
        self.stack_budget = stack_budget
        self.cache = None  # the tier's ObjectCache (host thunks are cached there too), set by the tier
        self.state_addr = address(self.state)
        self._init_cells()
        self.host_funcs: dict[int, FuncInstance] = {}  # host key -> function
        self.handles: list[Any] = [None]  # handle >> 1 -> object (host objects, GC structs and arrays)
        self.handle_of: dict[int, int] = {}  # id(object) -> handle (objects stay in ``handles``: ids stay theirs)
        self.collect_at = COLLECT_AT  # the least ``collect_limit`` is ever set to
        self.collect_limit = COLLECT_AT  # handles in the table before a return to Python ends the epoch
        self.epochs = 0  # handle epochs ended (``collect``)
        self.exns: dict[int, tuple[WasmException, Any]] = {}  # exception record address -> (exception, record)
        self.instances: dict[int, Any] = {}  # CTX_INSTANCE key -> NativeInstance
        self.pending: BaseException | None = None
        self._keep: list[Any] = []  # native buffers referenced from native structs
        self.depth = 0
        self.guard = guard
        if guard:
            faults.register_state(self, self.state_addr)

    # -- references ------------------------------------------------------------------------------------
    def ref_to_native(self, ref: Any) -> int:
        if ref is None:
            return 0
        if isinstance(ref, FuncInstance):
            return self.record_of(ref)
        if isinstance(ref, WasmException):
            return self.exn_record(ref)
        if type(ref) is I31:
            return ref.value << 1 | 1
        h = self.handle_of.get(id(ref))
        if h is None:
            h = 2 * len(self.handles)
            self.handles.append(ref)
            self.handle_of[id(ref)] = h
        return h

    def ref_from_native(self, valtype: str, value: int) -> Any:
        """The reference a native word stands for.  By the word, not ``valtype``: a typed reference's type
        names a type index of some module, and record addresses never collide with handles (small ints)."""
        if value == 0:
            return None
        if value & 1:
            return I31(value >> 1)
        fi = self.records.get(value)
        if fi is not None:
            return fi
        exn = self.exns.get(value)
        if exn is not None:
            return exn[0]
        return self.handles[value >> 1]

    def collect(self) -> None:
        """End the handle epoch: empty the handle table, so CPython frees every object only it held.

        Called when control returns to Python from the outermost call into compiled code (``call_entry``),
        once the table holds more than ``collect_limit`` handles: ``collect_at``, or twice what the last
        epoch started with (a table full of references would otherwise be converted again after every
        call).  Then no compiled frame is live, so the only
        native words that can hold a handle are the store's own: global cells, table mirrors and exception
        records' payloads.  Each is rewritten here from its Python value (``GlobalInstance.value``,
        ``TableInstance.elements``, ``WasmException.values``: mutable globals were copied out by
        ``sync_out``, tables and payloads are kept on both sides), so every reachable object gets a handle in
        the new epoch and no word is left naming an old one.  Handles made during one call into compiled
        code live at least until it returns."""
        if self.depth:
            raise RuntimeError("LLVM tier: handles collected while compiled code runs")
        self.handles = [None]
        self.handle_of = {}
        self.epochs += 1
        for g, cell in self.globals.values():
            if g.type.valtype not in _NUMERIC:
                self._global_in(g, cell)
        for mirror in self.tables.values():
            mirror.shadow = []  # (forces a full conversion)
            mirror.sync_from_python(self)
        for exc, rec in self.exns.values():
            params = exc.tag.type.params
            if any(t not in _NUMERIC for t in params):
                values = (U64 * (2 * max(len(params), 1))).from_address(address(rec) + L.EXN_VALUES)
                for i, (t, v) in enumerate(zip(params, exc.values, strict=True)):
                    self.put(values, i, t, v)
        self.collect_limit = max(self.collect_at, 2 * len(self.handles))

    def exn_record(self, exc: WasmException) -> int:
        """Address of the native record of a wasm exception (``layout.EXN_*``), made on first use: by the
        ``throw`` helper, or when an exception from Python (a host function's) enters compiled code.
        Records live as long as the store (an exnref may be kept anywhere: a global, a table)."""
        native = getattr(exc, "llvm_record", None)
        if native is not None and native[0] is self:
            return native[1]
        params = exc.tag.type.params
        rec = u64_array(L.EXN_VALUES // 8 + 2 * len(params))
        rec[L.EXN_TAG // 8] = tag_id(exc.tag)
        values = (U64 * (2 * max(len(params), 1))).from_address(address(rec) + L.EXN_VALUES)
        for i, (t, v) in enumerate(zip(params, exc.values, strict=True)):
            self.put(values, i, t, v)
        addr = address(rec)
        self.exns[addr] = (exc, rec)
        exc.llvm_record = (self, addr)
        return addr

    def record_of(self, fi: FuncInstance) -> int:
        """Address of the function record for ``fi`` (created on first use, e.g. for host functions)."""
        native = fi.native
        if native is not None and native[0] is self:
            return native[1]
        if fi.host is None:
            raise Trap("uninitialized element", "LLVM tier: function from another store or tier in a table")
        from .compiler import host_thunk

        key = len(self.host_funcs) + 1
        hostctx = u64_array(2)
        hostctx[0] = self.state_addr
        hostctx[1] = key
        rec = u64_array(3)
        rec[0] = rtt_id(rtt_of(fi))
        rec[1] = host_thunk(fi.type, self.cache)
        rec[2] = address(hostctx)
        self._keep += [hostctx, rec]
        self.host_funcs[key] = fi
        return self.register_record(fi, rec)

    # -- cells (``NativeCells``) -------------------------------------------------------------------------
    def _check_memory(self, mem) -> None:
        if self.guard and getattr(mem, "addr", "i32") == "i32":  # (memory64 code checks explicitly)
            if not getattr(mem, "guarded", False):
                raise MemoryError(
                    f"LLVM tier: this memory reserves {mem.reserved} bytes of address space, too few for "
                    "code compiled with guard-page bounds checks (8 GiB + 64 KiB); the host could not "
                    "reserve more (ulimit -v?): use LLVMTier(bounds='explicit')")
            faults.register_memory(mem)

    def _global_in(self, g: GlobalInstance, cell) -> None:
        t = g.type.valtype
        v = g.value
        if t not in _NUMERIC:
            cell[0] = self.ref_to_native(v)
        elif t == "v128":
            cell[0] = v & MASK64
            cell[1] = (v >> 64) & MASK64
        else:
            cell[0] = v & (MASK32 if t in ("i32", "f32") else MASK64)

    def _global_out(self, g: GlobalInstance, cell) -> None:
        t = g.type.valtype
        if t not in _NUMERIC:
            g.value = self.ref_from_native(t, cell[0])
        elif t == "v128":
            g.value = cell[0] | (cell[1] << 64)
        else:
            g.value = cell[0] & (MASK32 if t in ("i32", "f32") else MASK64)

    # -- values in slots -------------------------------------------------------------------------------
    def put(self, slots, i: int, t: str, v: Any) -> None:
        if t not in _NUMERIC:
            slots[2 * i] = self.ref_to_native(v)
        elif t == "v128":
            slots[2 * i] = v & MASK64
            slots[2 * i + 1] = (v >> 64) & MASK64
        else:
            slots[2 * i] = v & (MASK32 if t in ("i32", "f32") else MASK64)

    def get(self, slots, i: int, t: str) -> Any:
        if t in ("i32", "f32"):
            return slots[2 * i] & MASK32
        if t in ("i64", "f64"):
            return slots[2 * i]
        if t == "v128":
            return slots[2 * i] | (slots[2 * i + 1] << 64)
        return self.ref_from_native(t, slots[2 * i])

    # -- calling compiled code -------------------------------------------------------------------------
    def call_entry(self, entry: Callable, code: int, ctx: int, ft: syntax.FuncType, args: list) -> list:
        if len(args) != len(ft.params):  # the interpreter's error, word for word
            raise TypeError(f"function of type {ft} takes {len(ft.params)} arguments, got {len(args)}")
        m = _marshals.get(ft) or _marshal(ft)
        slots = m.array()
        if m.param_masks is not None:
            for i, mask in enumerate(m.param_masks):
                slots[2 * i] = args[i] & mask
        else:
            for i, (t, v) in enumerate(zip(ft.params, args, strict=True)):
                self.put(slots, i, t, v)
        if self.depth >= MAX_REENTRY:
            raise Exhaustion("call stack exhausted", "call stack exhausted (host/wasm re-entry too deep)")
        if self.depth == 0:  # outermost: a fresh stack floor, from this thread's budget
            self.state[L.STATE_STACK_LIMIT // 8] = 0
            self.state[L.STATE_STACK_BUDGET // 8] = self.stack_budget or default_stack_budget()
            if self.guard:
                faults.check()
        self.sync_in()
        self.depth += 1
        try:
            rc = entry(code, ctx, address(slots))
        finally:
            self.depth -= 1
            self.sync_out()
        if rc:
            try:
                self.raise_trap(rc)
            finally:
                if self.depth == 0 and len(self.handles) > self.collect_limit:
                    self.collect()
        if m.result_masks is not None:
            if self.depth == 0 and len(self.handles) > self.collect_limit:
                self.collect()
            return [slots[2 * i] & mask for i, mask in enumerate(m.result_masks)]
        results = [self.get(slots, i, t) for i, t in enumerate(ft.results)]
        if self.depth == 0 and len(self.handles) > self.collect_limit:
            self.collect()
        return results

    def raise_trap(self, rc: int) -> None:
        if rc == L.TRAP_HOST:
            exc, self.pending = self.pending, None
            if exc is None:
                exc = Trap("unreachable", "LLVM tier: host function failed without an exception")
            raise exc
        if rc == L.TRAP_EXCEPTION:
            raise self.exns[self.state[L.STATE_EXN // 8]][0]
        kind = L.TRAP_KINDS.get(rc, f"trap code {rc}")
        if kind == "call stack exhausted":
            raise Exhaustion(kind)
        raise Trap(kind)

    # -- callbacks from compiled code --------------------------------------------------------------------
    def _host_callback(self, hostctx: int, slots_addr: int) -> int:
        try:
            fi = self.host_funcs[U64.from_address(hostctx + L.HOSTCTX_KEY).value]
            ft = fi.type
            n = max(len(ft.params), len(ft.results), 1)
            slots = (U64 * (2 * n)).from_address(slots_addr)
            self.sync_out()
            args = [self.get(slots, i, t) for i, t in enumerate(ft.params)]
            jb, self.state[_JMPBUF] = self.state[_JMPBUF], 0  # Python runs: a fault now is not compiled code's
            try:
                results = fi.call(args)
            finally:
                self.state[_JMPBUF] = jb
            for i, (t, v) in enumerate(zip(ft.results, results, strict=True)):
                self.put(slots, i, t, v)
            self.sync_in(tables=False)
            return 0
        except BaseException as exc:  # noqa: BLE001 - every failure must unwind compiled code, not crash it
            return self._fail(exc)

    def _fail(self, exc: BaseException) -> int:
        if isinstance(exc, WasmException):  # thrown on in compiled code, to its handlers (the host thunk)
            try:
                self.state[L.STATE_EXN // 8] = self.exn_record(exc)
                return L.TRAP_THROW
            except Exception as e:  # noqa: BLE001 - a malformed exception object: report it, do not crash
                exc = e
        if type(exc) is Trap and exc.kind in L.TRAP_CODES and str(exc) == exc.kind:
            return L.TRAP_CODES[exc.kind]
        self.pending = exc
        return L.TRAP_HOST

    def _helper_callback(self, vmctx: int, op: int, slots_addr: int) -> int:
        try:
            inst = self.instances[U64.from_address(vmctx + L.CTX_INSTANCE).value]
            slots = _HELPER_SLOTS.from_address(slots_addr)
            if op == _GC_OP:  # GC objects are Python's: no global, memory or table takes part, so no sync
                jb, self.state[_JMPBUF] = self.state[_JMPBUF], 0
                try:
                    slots[0] = inst.helper("gc", slots) & MASK64
                finally:
                    self.state[_JMPBUF] = jb
                return 0
            self.sync_out()
            jb, self.state[_JMPBUF] = self.state[_JMPBUF], 0
            try:
                slots[0] = inst.helper(L.HELPER_OPS[op], slots) & MASK64
            finally:
                self.state[_JMPBUF] = jb
            self.sync_in(tables=False)
            return 0
        except BaseException as exc:  # noqa: BLE001
            return self._fail(exc)


class _Marshal:
    """How one function type's values cross into and out of the slot array of an entry trampoline: the
    array type, and for all-numeric signatures the mask of each parameter and result (no per-value type
    dispatch: this is on every call from Python into compiled code)."""

    __slots__ = ("array", "param_masks", "result_masks")

    def __init__(self, ft: syntax.FuncType):
        self.array = U64 * (2 * max(len(ft.params), len(ft.results), 1))
        masks = {"i32": MASK32, "f32": MASK32, "i64": MASK64, "f64": MASK64}
        numeric = all(t in masks for t in ft.params)
        self.param_masks = tuple(masks[t] for t in ft.params) if numeric else None
        numeric = all(t in masks for t in ft.results)
        self.result_masks = tuple(masks[t] for t in ft.results) if numeric else None


_marshals: dict[syntax.FuncType, _Marshal] = {}


def _marshal(ft: syntax.FuncType) -> _Marshal:
    m = _marshals[ft] = _Marshal(ft)
    return m
