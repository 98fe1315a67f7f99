"""Linear memory backed by an anonymous ``mmap`` reservation.

Why a reservation: on 64-bit hosts 8 GiB + 64 KiB of address space (``GUARDED_RESERVATION``) is mapped once,
inaccessible (``PROT_NONE``, so the kernel charges nothing for it even under strict overcommit), and the
current size is made accessible with ``mprotect``.  Growing only changes protections, so the base address
never moves and native tiers may keep it in a register.  The size is what any access a wasm32 instruction
can compute needs (a u32 address plus a u32 offset plus at most 16 bytes): compiled code may then leave out
bounds checks and let the hardware fault on the inaccessible pages (the LLVM tier's guard-page mode,
``tiers/llvm/faults.py``).

Where that much address space cannot be had (a 32-bit host, an exhausted address space, or ``ulimit -v``
below ``GUARDED_MIN_ADDRESS_SPACE``, where it is not even tried) the memory takes the largest smaller
reservation it can get, from its maximum size (4 GiB when it has none) plus a page, halving down to its
minimum size plus a page, and says so in ``guarded``.  ``memory.grow``
past such a reservation returns -1, which the spec allows any grow to do (a resource limit), so the module
still runs.  The Python ``.buf`` view is recreated on every grow so that it always has exactly the current
size (an out-of-bounds ``struct.unpack_from`` then raises instead of reading the reservation).
"""

from __future__ import annotations

import ctypes
import gc
import mmap
import os
import sys
import weakref

from ..errors import TRAP_OOB_MEMORY, Trap
from ..syntax import Limits, MemType

PAGE_SIZE = 65536
MAX_PAGES = 65536  # 4 GiB: the wasm32 address space
MAX_PAGES64 = 1 << 48  # a memory64's limit (its reservation is still at most 4 GiB: grow fails past that)
# any u32 address + u32 offset + a 16-byte access stays inside a reservation of this size
GUARDED_RESERVATION = (8 << 30) + PAGE_SIZE
GUARD_BOUNDED = PAGE_SIZE  # past the maximum size, when the guarded reservation cannot be had
# under an address-space limit smaller than this (ulimit -v), memories do not take guarded reservations
GUARDED_MIN_ADDRESS_SPACE = 1 << 40
_MAP_NORESERVE = getattr(mmap, "MAP_NORESERVE", 0x4000)
_PROT_NONE = 0


def _load_libc() -> ctypes.CDLL:
    """The C library, from the symbols already in the process when it is there (no ``ldconfig`` run at
    every start, which ``find_library`` costs)."""
    process = ctypes.CDLL(None, use_errno=True)
    if hasattr(process, "mprotect"):
        return process
    from ctypes.util import find_library  # here only: it imports subprocess, tempfile and more (~3 ms)

    return ctypes.CDLL(find_library("c") or "libc.so.6", use_errno=True)


_libc = _load_libc()
_mprotect = _libc.mprotect
_mprotect.argtypes = (ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int)
_mprotect.restype = ctypes.c_int
# libc's mmap rather than the mmap module's: the module cannot map PROT_NONE and still hand out a writable
# buffer, and Linux's overcommit accounting (Documentation/mm/overcommit-accounting.rst) charges a writable
# private mapping in full under vm.overcommit_memory=2, whatever MAP_NORESERVE says
_mmap = _libc.mmap
_mmap.argtypes = (ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int, ctypes.c_int, ctypes.c_int, ctypes.c_long)
_mmap.restype = ctypes.c_void_p
_munmap = _libc.munmap
_munmap.argtypes = (ctypes.c_void_p, ctypes.c_size_t)
_munmap.restype = ctypes.c_int
_MAP_FAILED = ctypes.c_void_p(-1).value


def _reserve(size: int) -> int | None:
    """The address of ``size`` bytes of fresh inaccessible address space, or None when it cannot be had."""
    addr = _mmap(None, size, _PROT_NONE, mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS | _MAP_NORESERVE, -1, 0)
    if addr is None or addr == _MAP_FAILED:
        return None
    return addr


def _reserve_largest(sizes: list[int]) -> tuple[int, int] | None:
    """The address and size of the first of ``sizes`` that can be reserved."""
    for size in sizes:
        address = _reserve(size)
        if address is not None:
            return address, size
    return None


def address_space_limit() -> float:
    """The process's soft address-space limit in bytes (``RLIMIT_AS``, ``ulimit -v``); infinity if none."""
    try:
        import resource
    except ImportError:  # not a POSIX host
        return float("inf")
    soft, _hard = resource.getrlimit(resource.RLIMIT_AS)
    return float("inf") if soft == resource.RLIM_INFINITY else soft


def guarded_reservations(limit: float | None = None) -> bool:
    """Whether memories take the guarded reservation here: a 64-bit host, and no address-space limit
    (``limit``, default the process's) below ``GUARDED_MIN_ADDRESS_SPACE``.  The LLVM tier's
    ``bounds="auto"`` asks the same question before it picks guard pages."""
    if limit is None:
        limit = address_space_limit()
    return sys.maxsize > 1 << 32 and limit >= GUARDED_MIN_ADDRESS_SPACE


def reservation_sizes(min_pages: int, max_pages: int | None, guarded: bool = True,
                      limit: float | None = None) -> list[int]:
    """The reservations a memory tries, largest first: the guarded one (64-bit hosts), then its maximum
    size plus a page, halving down to its minimum size plus a page.

    Under an address-space limit (``limit``, default the process's) below ``GUARDED_MIN_ADDRESS_SPACE``
    there is no guarded reservation, and no other asks for more than 1/64 of the limit: the first memory
    must not take the room that compiled code, the Python heap and the next memories need (a store keeps
    every memory it made; the spec suite's files make up to ~100)."""
    if limit is None:
        limit = address_space_limit()
    sizes = [GUARDED_RESERVATION] if guarded and guarded_reservations(limit) else []
    pages = MAX_PAGES if max_pages is None else max_pages
    if limit != float("inf"):
        pages = min(pages, max(min_pages, int(limit // 64) // PAGE_SIZE))
    while pages > min_pages:
        sizes.append(pages * PAGE_SIZE + GUARD_BOUNDED)
        pages //= 2
    sizes.append(min_pages * PAGE_SIZE + GUARD_BOUNDED)
    return sizes


def _mapping(addr: int, size: int) -> ctypes.Array:
    """The reserved bytes as a ctypes array that owns the mapping: every ``memoryview`` of the memory keeps
    it alive, and the pages are unmapped only when the last of them is gone, so a view a caller kept never
    points at unmapped pages."""
    array = (ctypes.c_ubyte * size).from_address(addr)
    # not at exit: the process's end frees it anyway, and code still running then may hold its address
    weakref.finalize(array, _munmap, addr, size).atexit = False
    return array


class MemoryInstance:
    """A wasm linear memory.

    Stable attributes for every tier:

    * ``type``: the :class:`MemType` with the *current* size as its minimum (what import matching sees);
    * ``size``: current size in pages; ``grow(delta) -> old size | -1``;
    * ``buf``: writable ``memoryview`` (format ``B``) of exactly ``size * 65536`` bytes; re-read it after
      anything that may grow the memory (a new view replaces the old one, old views stay valid but short);
    * ``u16``/``u32``/``u64``/``f64``: the same bytes as typed views (``buf.cast(...)``), recreated with
      ``buf``; the interpreter uses them for aligned accesses;
    * ``address``: base address of byte 0, stable for the lifetime of the object;
    * ``reserved``: bytes of address space reserved at ``address`` (inaccessible beyond the current size);
      ``guarded``: whether that is ``GUARDED_RESERVATION`` (any access wasm code computes stays inside);
      ``max_reachable``: the most pages ``grow`` can reach (the maximum, or less in a smaller reservation);
    * ``read(addr, n)`` / ``write(addr, data)``: bounds-checked helpers raising ``Trap``.
    """

    def __init__(self, memtype: MemType):
        lim = memtype.limits
        bound = MAX_PAGES64 if memtype.addr == "i64" else MAX_PAGES
        if lim.min > bound or (lim.max is not None and lim.max > bound):
            raise ValueError(f"memory size must be at most {bound} pages")
        self._max = lim.max
        self.addr = memtype.addr
        sizes = reservation_sizes(lim.min, None if lim.max is None else min(lim.max, MAX_PAGES))
        found = _reserve_largest(sizes)
        if found is None:
            # memories that died in reference cycles hold their reservations until the collector runs,
            # and it runs on object counts, not on address space
            gc.collect()
            found = _reserve_largest(sizes)
        if found is None:
            size = sizes[-1]
            err = ctypes.get_errno()
            raise MemoryError(
                f"cannot reserve {size} bytes of address space for a wasm memory of {lim.min} pages "
                f"({os.strerror(err) if err else 'mmap failed'}): raise the process's address-space limit "
                "(ulimit -v) or free memories that are no longer used")
        address, size = found
        self.address: int = address
        self.reserved: int = size
        self.guarded = size >= GUARDED_RESERVATION
        spec_limit = bound if lim.max is None else lim.max
        self.max_reachable = min(spec_limit, (size - GUARD_BOUNDED) // PAGE_SIZE)
        self._whole = memoryview(_mapping(address, size)).cast("B")
        self.size = 0
        self.buf: memoryview = self._whole[:0]
        self.u16 = self.u32 = self.u64 = self.f64 = self.buf
        self._set_size(lim.min)

    def _protect(self, start: int, length: int, prot: int) -> None:
        if length and _mprotect(self.address + start, length, prot) != 0:
            err = ctypes.get_errno()
            raise MemoryError(f"mprotect of wasm memory failed (errno {err})")

    def _set_size(self, pages: int) -> None:
        old_bytes, new_bytes = self.size * PAGE_SIZE, pages * PAGE_SIZE
        self._protect(old_bytes, new_bytes - old_bytes, mmap.PROT_READ | mmap.PROT_WRITE)
        self.size = pages
        buf = self._whole[:new_bytes]
        self.buf = buf
        self.u16 = buf.cast("H")
        self.u32 = buf.cast("I")
        self.u64 = buf.cast("Q")
        self.f64 = buf.cast("d")

    @property
    def type(self) -> MemType:
        return MemType(Limits(self.size, self._max), self.addr)

    @property
    def max(self) -> int | None:
        return self._max

    def grow(self, delta: int) -> int:
        """Grow by ``delta`` pages; the old size in pages, or -1 when the maximum, the reservation or the
        host forbids it."""
        old = self.size
        new = old + delta
        if delta < 0 or new > self.max_reachable:
            return -1
        if delta:
            try:
                self._set_size(new)
            except MemoryError:
                return -1
        return old

    def read(self, addr: int, n: int) -> bytes:
        if addr < 0 or n < 0 or addr + n > len(self.buf):
            raise Trap(TRAP_OOB_MEMORY)
        return bytes(self.buf[addr : addr + n])

    def write(self, addr: int, data: bytes) -> None:
        n = len(data)
        if addr < 0 or addr + n > len(self.buf):
            raise Trap(TRAP_OOB_MEMORY)
        self.buf[addr : addr + n] = data

    def __repr__(self) -> str:
        return f"<MemoryInstance {self.size} pages max={self._max} at {self.address:#x}>"
