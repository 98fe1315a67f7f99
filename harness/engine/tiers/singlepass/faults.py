"""A signal raised by the tier's generated code becomes an exception in Python, not the death of the process.

Generated code never relies on a signal (bounds, division and the stack depth are checked explicitly), so
a SIGSEGV, SIGBUS, SIGILL or SIGFPE whose faulting instruction lies in a module's code block is a bug of the
code generator.  The handler -- machine code from our own encoder, like the rest of the tier (per ISA, in
``x86_64/stubs.py`` and ``aarch64/stubs.py``) -- redirects such a thread to a *crash stub*, which records
the faulting address and signal in the store's State and leaves through the trap exit, the same unwinding
path a trap takes.  ``NativeStore.raise_trap`` then raises
:class:`GeneratedCodeFault` naming the function and offset: the spec executor reports that check as an
engine crash and goes on with the file, and a command reports an engine error instead of a dead process.

Anything else is passed on unchanged: a fault outside our code blocks, or one sent by ``kill`` (``si_code``
<= 0), goes to the handler installed before ours (Python's ``faulthandler``, the LLVM tier's guard-page
handler), or, if there was none, the default action is restored and the faulting instruction re-runs, so a
real crash stays one.  The registry of code ranges is a native array the handler reads; Python replaces it
instead of resizing it in place and keeps the last arrays alive, so a handler never reads freed memory.
"""

from __future__ import annotations

import ctypes
import faulthandler
import signal
import threading
import weakref

from ...runtime.memory import _munmap
from ..native_state import OUR_SIGNAL_HANDLERS, address, u64_array
from . import isa_module
from .codemem import CodeBlock

SIGNALS = (signal.SIGSEGV, signal.SIGBUS, signal.SIGILL, signal.SIGFPE)
SA_SIGINFO = 4


class GeneratedCodeFault(RuntimeError):
    """A signal from the singlepass tier's generated code: an engine bug, reported for the one call."""


class _SigAction(ctypes.Structure):
    """``struct sigaction`` of glibc and musl on x86-64 and aarch64 Linux (handler, 128-byte mask, flags,
    restorer)."""

    _fields_ = [("handler", ctypes.c_void_p), ("mask", ctypes.c_uint64 * 16), ("flags", ctypes.c_int),
                ("restorer", ctypes.c_void_p)]


class _Guard:
    """The handlers (one per signal), the crash stub, the previous actions and the registry of code ranges."""

    def __init__(self) -> None:
        libc = ctypes.CDLL(None, use_errno=True)
        self.sigaction = libc.sigaction
        self.sigaction_addr = ctypes.cast(libc.sigaction, ctypes.c_void_p).value
        self.raise_addr = ctypes.cast(getattr(libc, "raise"), ctypes.c_void_p).value
        self.prev = {sig: _SigAction() for sig in SIGNALS}
        self.ranges_cell = u64_array(1)  # the address of the current ranges array: [count, (start, end)...]
        self.ranges: dict[int, tuple[int, int]] = {}
        self._arrays: list = []  # the latest ranges arrays published (a handler may be reading an old one)
        # (address, size) of collected blocks: their ranges are dropped, and only then their pages unmapped, at
        # the next registration or entry from Python (see ``register``)
        self._dead: list[tuple[int, int]] = []
        self.lock = threading.Lock()
        self._publish()
        code, self.crash_offset, self.handler_offsets, fields = isa_module("stubs").fault_code(SIGNALS)

        def patch(buf: bytearray, base: int) -> None:
            for sig, where in fields.items():
                values = {"ranges": address(self.ranges_cell), "crash": base + self.crash_offset,
                          "prev": ctypes.addressof(self.prev[sig]), "sigaction": self.sigaction_addr,
                          "raise": self.raise_addr}
                for name, pos in where.items():
                    buf[pos : pos + 8] = values[name].to_bytes(8, "little")

        self.block = CodeBlock(code, patch=patch)
        self.crash_stub = self.block.address + self.crash_offset
        self.installed: dict[int, int] = {}

    def _publish(self) -> None:
        arr = u64_array(1 + 2 * len(self.ranges))
        arr[0] = len(self.ranges)
        for i, (start, end) in enumerate(self.ranges.values()):
            arr[1 + 2 * i] = start
            arr[2 + 2 * i] = end
        self._arrays.append(arr)
        del self._arrays[:-16]  # a handler reads the array it found in the cell within a few instructions
        self.ranges_cell[0] = address(arr)

    def register(self, block: CodeBlock) -> None:
        """Claim faults inside ``block`` while it lives.

        The block's pages are unmapped by the registry, after its range has left the published array: were
        they unmapped first, the address could hold another engine's code (the LLVM tier's, whose guard-page
        faults are expected) while the handler still took it for ours, and would "recover" that fault into
        our crash stub with another engine's registers."""
        with self.lock:
            self._drain_locked()
            self.ranges[block.address] = (block.address, block.address + block.size)
            self._publish()
        # the finalizer only queues: it runs wherever the garbage collector does, possibly inside the locked
        # section above (an allocation there), where taking the lock again would deadlock
        taken = block.unmap.detach()  # (block, munmap, (address, size), {}) unless already run
        if taken is not None:
            weakref.finalize(block, self._dead.append, taken[2]).atexit = False

    def drain(self) -> None:
        """Forget the collected blocks and unmap their pages (from Python, outside any locked section)."""
        if self._dead:
            with self.lock:
                self._drain_locked()

    def _drain_locked(self) -> None:
        if not self._dead:
            return
        gone = []
        while self._dead:
            address_, size = self._dead.pop()
            self.ranges.pop(address_, None)
            gone.append((address_, size))
        self._publish()
        for address_, size in gone:
            _munmap(address_, size)

    def install(self) -> None:
        """Make ours the handler of each signal unless it already is; the one before becomes the chained one."""
        for sig in SIGNALS:
            mine = self.block.address + self.handler_offsets[sig]
            cur = _SigAction()
            if self.sigaction(sig, None, ctypes.byref(cur)) != 0:
                raise OSError(ctypes.get_errno(), f"sigaction({sig}) failed: cannot query the handler")
            # another tier's handler of ours installed after ours passes our faults on: installing ours over
            # it again would make each the other's previous handler (native_state.OUR_SIGNAL_HANDLERS)
            if cur.handler == mine or (sig in self.installed and cur.handler in OUR_SIGNAL_HANDLERS):
                continue
            OUR_SIGNAL_HANDLERS[mine] = self
            new = _SigAction()
            new.handler = mine
            new.flags = SA_SIGINFO
            if self.sigaction(sig, ctypes.byref(new), ctypes.byref(self.prev[sig])) != 0:
                raise OSError(ctypes.get_errno(), f"sigaction({sig}) failed: cannot install the handler")
            self.installed[sig] = mine


_guard: _Guard | None = None
_faulthandler_seen: bool | None = None
_lock = threading.Lock()


def guard() -> _Guard:
    """The process's guard, installed (again, if a foreign handler replaced it, as ``faulthandler`` does
    when enabled, which would kill the process on a fault we can report; not over another tier's handler
    of ours, which passes our faults on: see ``_Guard.install``)."""
    global _guard, _faulthandler_seen
    with _lock:
        if _guard is None:
            _guard = _Guard()
        _faulthandler_seen = faulthandler.is_enabled()
        _guard.install()
        return _guard


def check() -> None:
    """Before generated code runs from Python: one C call, not a kernel query; and the pages of collected
    code blocks are unmapped now that their ranges are unpublished."""
    if _guard is None or faulthandler.is_enabled() is not _faulthandler_seen:
        guard()
    _guard.drain()


def describe(pc: int) -> str:
    """Where ``pc`` is, as the code blocks' owners registered it (see ``name_code``)."""
    for start, end, namer in list(_names):
        if start <= pc < end:
            return namer(pc - start)
    return f"address {pc:#x}"


_names: list = []  # (start, end, offset -> description), for the error message only


def name_code(block: CodeBlock, namer) -> None:
    """Register ``block`` as generated code (its faults become ``GeneratedCodeFault``) with a describer."""
    guard().register(block)
    entry = (block.address, block.address + block.size, namer)
    _names.append(entry)
    weakref.finalize(block, _names.remove, entry)  # list.remove takes no lock of ours


SIGNAL_NAMES = {int(s): s.name for s in SIGNALS}
