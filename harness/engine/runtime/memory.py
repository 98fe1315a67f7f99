"""Linear memory backed by an anonymous ``mmap`` reservation.

Why a reservation: on 64-bit hosts 8 GiB + 64 KiB of address space (``GUARDED_RESERVATION``) is mapped once
with ``MAP_NORESERVE`` and everything past the current size is made inaccessible with ``mprotect``.
Growing only changes protections, so the base address never moves and native tiers may keep it in a
register.  The size is what any access a wasm32 instruction can compute needs (a u32 address plus a u32
offset plus at most 16 bytes): compiled code may then leave out bounds checks and let the hardware fault on
the inaccessible pages (the LLVM tier's guard-page mode, ``tiers/llvm/faults.py``).  Where that much cannot
be reserved the memory takes just its maximum size plus a page and says so in ``guarded``.  The Python
``.buf`` view is recreated on every grow so that it always has exactly the current size (an out-of-bounds
``struct.unpack_from`` then raises instead of reading the reservation).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import mmap
import sys

from ..errors import TRAP_OOB_MEMORY, Trap
from ..syntax import Limits, MemType

PAGE_SIZE = 65536
MAX_PAGES = 65536  # 4 GiB: the wasm32 address space
# any u32 address + u32 offset + a 16-byte access stays inside a reservation of this size
GUARDED_RESERVATION = (8 << 30) + PAGE_SIZE
GUARD_BOUNDED = PAGE_SIZE  # past the maximum size, when the guarded reservation cannot be had
_MAP_NORESERVE = getattr(mmap, "MAP_NORESERVE", 0x4000)

def _load_libc() -> ctypes.CDLL:
    """The C library, from the symbols already in the process when it is there (no ``ldconfig`` run at
    every start, which ``find_library`` costs)."""
    process = ctypes.CDLL(None, use_errno=True)
    if hasattr(process, "mprotect"):
        return process
    return ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)


_libc = _load_libc()
_mprotect = _libc.mprotect
_mprotect.argtypes = (ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int)
_mprotect.restype = ctypes.c_int


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
    * ``read(addr, n)`` / ``write(addr, data)``: bounds-checked helpers raising ``Trap``.
    """

    def __init__(self, memtype: MemType):
        lim = memtype.limits
        if lim.min > MAX_PAGES or (lim.max is not None and lim.max > MAX_PAGES):
            raise ValueError("memory size must be at most 65536 pages (4GiB)")
        self._max = lim.max
        sizes = [GUARDED_RESERVATION] if sys.maxsize > 1 << 32 else []
        if lim.max is not None:
            sizes.append(lim.max * PAGE_SIZE + GUARD_BOUNDED)
        self._map = None
        for i, size in enumerate(sizes):
            try:
                self._map = mmap.mmap(
                    -1,
                    size,
                    flags=mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS | _MAP_NORESERVE,
                    prot=mmap.PROT_READ | mmap.PROT_WRITE,
                )
            except (OSError, OverflowError):
                if i == len(sizes) - 1:
                    raise
                continue
            self.reserved = size
            break
        if self._map is None:
            raise MemoryError("cannot reserve address space for an unbounded wasm memory on a 32-bit host")
        self.guarded = self.reserved >= GUARDED_RESERVATION
        anchor = ctypes.c_char.from_buffer(self._map)
        self.address: int = ctypes.addressof(anchor)
        del anchor
        self._whole = memoryview(self._map)
        self._protect(0, self.reserved, 0)  # PROT_NONE
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
        return MemType(Limits(self.size, self._max))

    @property
    def max(self) -> int | None:
        return self._max

    def grow(self, delta: int) -> int:
        """Grow by ``delta`` pages; the old size in pages, or -1 when the limit forbids it."""
        old = self.size
        new = old + delta
        limit = MAX_PAGES if self._max is None else self._max
        if delta < 0 or new > limit:
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
