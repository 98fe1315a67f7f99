"""Bounds-checked access to the guest's linear memory for the WASI host.

The memory is looked up on every access (``mem.buf``) because ``memory.grow`` may replace the view; a
pointer outside the memory is the guest's fault and becomes ``EFAULT``, never a Python exception.
"""

from __future__ import annotations

import struct
from typing import Any

from .constants import EFAULT, EILSEQ, SIZEOF_IOVEC, WasiError

_U16 = struct.Struct("<H")
_U32 = struct.Struct("<I")
_U64 = struct.Struct("<Q")
_IOVEC = struct.Struct("<II")


class GuestMemory:
    """Views a memory object that has ``.buf`` (a writable buffer over the current bytes)."""

    def __init__(self, memory: Any = None):
        self.memory = memory

    def _buf(self, addr: int, n: int) -> Any:
        if self.memory is None:
            raise WasiError(EFAULT, "the module exports no memory")
        buf = self.memory.buf
        if addr < 0 or n < 0 or addr + n > len(buf):
            raise WasiError(EFAULT, f"guest pointer {addr:#x}+{n} is outside memory")
        return buf

    def read(self, addr: int, n: int) -> bytes:
        return bytes(self._buf(addr, n)[addr:addr + n])

    def write(self, addr: int, data: bytes) -> None:
        self._buf(addr, len(data))[addr:addr + len(data)] = data

    def string(self, addr: int, n: int) -> str:
        try:
            return self.read(addr, n).decode("utf-8")
        except UnicodeDecodeError:
            raise WasiError(EILSEQ, "string is not UTF-8") from None

    def u32(self, addr: int) -> int:
        return _U32.unpack_from(self._buf(addr, 4), addr)[0]

    def u64(self, addr: int) -> int:
        return _U64.unpack_from(self._buf(addr, 8), addr)[0]

    def put_u8(self, addr: int, v: int) -> None:
        self._buf(addr, 1)[addr] = v & 0xFF

    def put_u16(self, addr: int, v: int) -> None:
        _U16.pack_into(self._buf(addr, 2), addr, v & 0xFFFF)

    def put_u32(self, addr: int, v: int) -> None:
        _U32.pack_into(self._buf(addr, 4), addr, v & 0xFFFFFFFF)

    def put_u64(self, addr: int, v: int) -> None:
        _U64.pack_into(self._buf(addr, 8), addr, v & 0xFFFFFFFFFFFFFFFF)

    def pack(self, addr: int, fmt: struct.Struct, *values: int) -> None:
        fmt.pack_into(self._buf(addr, fmt.size), addr, *values)

    def unpack(self, addr: int, fmt: struct.Struct) -> tuple:
        return fmt.unpack_from(self._buf(addr, fmt.size), addr)

    def iovecs(self, addr: int, count: int) -> list[tuple[int, int]]:
        """(pointer, length) pairs of an iovec array, each checked against the memory."""
        buf = self._buf(addr, count * SIZEOF_IOVEC)
        out = []
        for i in range(count):
            ptr, length = _IOVEC.unpack_from(buf, addr + i * SIZEOF_IOVEC)
            self._buf(ptr, length)
            out.append((ptr, length))
        return out

    def gather(self, iovs: list[tuple[int, int]]) -> bytes:
        return b"".join(self.read(p, n) for p, n in iovs)

    def scatter(self, iovs: list[tuple[int, int]], data: bytes) -> None:
        pos = 0
        for p, n in iovs:
            if pos >= len(data):
                break
            chunk = data[pos:pos + n]
            self.write(p, chunk)
            pos += len(chunk)
