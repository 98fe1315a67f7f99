"""Executable memory for generated code, W^X: mapped writable, filled, then made read+execute (never both
writable and executable), through the runtime's libc ``mmap``/``mprotect`` wrappers."""

from __future__ import annotations

import ctypes
import mmap
import weakref

from ...runtime.memory import _MAP_FAILED, _mmap, _mprotect, _munmap


class CodeBlock:
    """Machine code placed at a fixed address for as long as this object lives."""

    def __init__(self, code: bytes, patch=None):
        """``patch(buf, address)``, if given, fills in absolute addresses once the block's address is known
        (still writable then, never executable)."""
        page = mmap.PAGESIZE
        size = max(page, -(-len(code) // page) * page)
        addr = _mmap(None, size, mmap.PROT_READ | mmap.PROT_WRITE, mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS, -1, 0)
        if addr is None or addr == _MAP_FAILED:
            raise MemoryError(f"cannot map {size} bytes for generated code (errno {ctypes.get_errno()})")
        self.unmap = weakref.finalize(self, _munmap, addr, size)  # the fault registry may take this over
        self.unmap.atexit = False
        if patch is not None:
            buf = bytearray(code)
            patch(buf, addr)
            code = bytes(buf)
        ctypes.memmove(addr, code, len(code))
        if _mprotect(addr, size, mmap.PROT_READ | mmap.PROT_EXEC) != 0:
            raise OSError(ctypes.get_errno(), "mprotect of generated code to read+execute failed")
        self.address: int = addr
        self.size = len(code)
