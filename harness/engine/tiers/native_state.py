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
        elems = self.table.elements
        if elems == self.shadow and len(self.array) >= len(elems):
            return
        n = len(elems)
        if len(self.array) < n:
            self.array = u64_array(max(n, 2 * len(self.array)))
        arr = self.array
        to_native = store.ref_to_native
        for i, ref in enumerate(elems):
            arr[i] = to_native(ref)
        self.cell[0] = address(arr)
        self.cell[1] = n
        self.shadow = list(elems)

    def set(self, store: Any, i: int, ref: Any) -> None:
        self.table.elements[i] = ref
        self.shadow[i] = ref
        self.array[i] = store.ref_to_native(ref)


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
