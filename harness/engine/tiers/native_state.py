"""Native state both compiling tiers share with their machine code: 64-bit cells and arrays, the
process-wide ids of function types that ``call_indirect`` compares, a native mirror of a table's elements,
and the stack budget of the thread that enters compiled code.  Plain ctypes: importing it loads no
compiler."""

from __future__ import annotations

import ctypes
import threading
from typing import Any

from .. import syntax
from ..runtime.objects import TableInstance

U64 = ctypes.c_uint64
MASK32 = 0xFFFFFFFF
MASK64 = 0xFFFFFFFFFFFFFFFF

_type_ids: dict[syntax.FuncType, int] = {}
_type_lock = threading.Lock()


def canonical_type_id(ft: syntax.FuncType) -> int:
    """Process-wide id of a function type: structurally equal types get equal ids (``call_indirect``'s check)."""
    with _type_lock:
        tid = _type_ids.get(ft)
        if tid is None:
            tid = _type_ids[ft] = len(_type_ids) + 1
        return tid


def u64_array(n: int):
    """``n`` (at least one) zeroed 64-bit words at a fixed address."""
    return (U64 * max(n, 1))()


def address(arr) -> int:
    return ctypes.addressof(arr)


class TableMirror:
    """Native copy of a ``TableInstance``'s elements, and the cell (array address, length) compiled code
    reads.  ``store`` is the tier's native store, which turns a reference into its native word."""

    def __init__(self, table: TableInstance):
        self.table = table
        self.cell = u64_array(2)
        self.array = u64_array(1)
        self.shadow: list = []

    def sync_from_python(self, store: Any) -> None:
        """Bring the native copy up to the table's elements.  A table that only grew keeps its old entries
        (``table.grow`` is the usual change): only the new ones are converted, and a run of one value (what a
        grow or a fill writes) is converted once.  Converting every entry at every crossing made a module
        that grew a table to millions of entries in a loop run for minutes on the compiled tiers (found by
        the 100,000-module fuzz run, seed 20261207, module 54837)."""
        elems = self.table.elements
        shadow = self.shadow
        n = len(elems)
        if elems == shadow and len(self.array) >= n:
            return
        old = len(shadow)
        start = old if n > old and elems[:old] == shadow else 0
        self._fill(store, elems, start, n)
        self.shadow = list(elems)

    def grew(self, store: Any, old: int) -> None:
        """After ``table.grow`` from ``old`` entries succeeded: append the new entries without comparing the
        old ones (unchanged since the last sync, which every change from compiled code makes at once)."""
        elems = self.table.elements
        if len(self.shadow) != old:  # changed in between after all: the general path
            self.sync_from_python(store)
            return
        self._fill(store, elems, old, len(elems))
        self.shadow.extend(elems[old:])

    def _fill(self, store: Any, elems: list, start: int, n: int) -> None:
        """Convert ``elems[start:n]`` into the native array (grown, keeping ``[:start]``, when too short)."""
        if len(self.array) < n:
            bigger = u64_array(max(n, 2 * len(self.array)))
            if start:
                ctypes.memmove(bigger, self.array, 8 * start)
            self.array = bigger
        arr = self.array
        to_native = store.ref_to_native
        first = elems[start] if start < n else None
        # one value throughout, by identity (a ref type with its own == could call distinct objects equal)
        if n - start > 1 and (first is None or type(first).__eq__ is object.__eq__) \
                and elems[start:n].count(first) == n - start:
            arr[start:n] = [to_native(first)] * (n - start)
        else:
            for i in range(start, n):
                arr[i] = to_native(elems[i])
        self.cell[0] = address(arr)
        self.cell[1] = n

    def set(self, store: Any, i: int, ref: Any) -> None:
        self.table.elements[i] = ref
        self.shadow[i] = ref
        self.array[i] = store.ref_to_native(ref)


class NativeCells:
    """The cells a store's machine code reads, and the crossing rules both compiling tiers share: memory cells
    (base address, byte size), table mirrors, global cells, and the function records by address.  Globals
    live in their cells while native code runs and are copied from and back to ``GlobalInstance.value`` at
    every crossing; a memory's size is written before code runs (it grows only through the host).  A tier
    says how a global's value goes into and out of its cell (``_global_in``/``_global_out``) and may refuse a
    memory its code cannot address (``_check_memory``)."""

    GLOBAL_WORDS = 2  # a v128 takes two 64-bit words

    def _init_cells(self) -> None:
        self.records: dict[int, Any] = {}  # record address -> FuncInstance
        self.mem_cells: dict[int, tuple[Any, Any]] = {}  # id(memory) -> (memory, cell)
        self.tables: dict[int, TableMirror] = {}  # id(table) -> mirror
        self.globals: dict[int, tuple[Any, Any]] = {}  # id(global) -> (GlobalInstance, cell)
        self.mutable_globals: list[tuple[Any, Any]] = []

    def register_record(self, fi: Any, rec) -> int:
        addr = address(rec)
        self.records[addr] = fi
        fi.native = (self, addr, rec)
        return addr

    def _check_memory(self, mem: Any) -> None:
        """Raise if this store's code cannot use ``mem``; called once per memory, before its cell exists."""

    def _global_in(self, g: Any, cell) -> None:
        raise NotImplementedError

    def _global_out(self, g: Any, cell) -> None:
        raise NotImplementedError

    def mem_cell(self, mem: Any) -> int:
        entry = self.mem_cells.get(id(mem))
        if entry is None:
            self._check_memory(mem)
            cell = u64_array(2)
            cell[0] = mem.address
            cell[1] = mem.size * 65536
            entry = self.mem_cells[id(mem)] = (mem, cell)
        return address(entry[1])

    def table_cell(self, table: TableInstance) -> int:
        mirror = self.tables.get(id(table))
        if mirror is None:
            mirror = self.tables[id(table)] = TableMirror(table)
            mirror.sync_from_python(self)
        return address(mirror.cell)

    def global_cell(self, g: Any) -> int:
        entry = self.globals.get(id(g))
        if entry is None:
            cell = u64_array(self.GLOBAL_WORDS)
            entry = self.globals[id(g)] = (g, cell)
            self._global_in(g, cell)
            if g.type.mutable:
                self.mutable_globals.append(entry)
        return address(entry[1])

    def sync_in(self, tables: bool = True) -> None:
        """Python -> native, before compiled code runs (or resumes after a callback)."""
        for mem, cell in self.mem_cells.values():
            cell[1] = mem.size * 65536
        for g, cell in self.mutable_globals:
            self._global_in(g, cell)
        if tables:
            for mirror in self.tables.values():
                mirror.sync_from_python(self)

    def sync_out(self) -> None:
        """native -> Python, whenever control returns to Python."""
        for g, cell in self.mutable_globals:
            self._global_out(g, cell)


_MAIN_THREAD = threading.main_thread().ident


def default_stack_budget() -> int:
    """Native stack compiled code may use: 4 MiB of the main thread's 8, half of another thread's."""
    if threading.get_ident() == _MAIN_THREAD:
        return 4 << 20
    size = threading.stack_size() or (2 << 20)
    return max(size // 2, 64 << 10)


# The signal handlers our compiled tiers installed in this process: address -> the object owning its code,
# kept alive here for the life of the process (a handler stays installed, or chained to, after the tier that
# made it is gone: a copy of the LLVM tier loaded for a benchmark and dropped left the process jumping into
# freed code on its next fault).  Every copy of a tier adds its own.  Each passes the faults it does not claim
# on to the one it replaced, so a tier finding another of ours above its handler is still reached and must
# not install itself again: the two would become each other's "previous" handler, and whatever was below
# them (wasmtime's) would be lost.
OUR_SIGNAL_HANDLERS: dict[int, object] = {}
