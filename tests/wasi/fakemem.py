"""A stand-in for an engine's MemoryInstance (``.buf``), and helpers to call host functions with strings."""

from __future__ import annotations

import struct

from harness.engine.wasi import WasiHost


class FakeMemory:
    """One page of guest memory; strings are placed from offset 1024 up by ``put``."""

    def __init__(self, size: int = 65536):
        self.buf = bytearray(size)
        self.next = 1024

    def put(self, data: bytes) -> tuple[int, int]:
        addr = self.next
        self.buf[addr:addr + len(data)] = data
        self.next += (len(data) + 7) // 8 * 8 + 8
        return addr, len(data)

    def u32(self, addr: int) -> int:
        return struct.unpack_from("<I", self.buf, addr)[0]

    def u64(self, addr: int) -> int:
        return struct.unpack_from("<Q", self.buf, addr)[0]


def call(host: WasiHost, name: str, *args: int) -> int:
    """Call a host function through its boundary wrapper and return the errno."""
    out = host.functions()[name](*args)
    return out[0] if out else 0


def call_path(host: WasiHost, name: str, *args: int | str) -> int:
    """Like ``call``, with every str argument replaced by (pointer, length) of its UTF-8 bytes."""
    mem = host.mem.memory
    flat: list[int] = []
    for a in args:
        if isinstance(a, str):
            flat.extend(mem.put(a.encode()))
        else:
            flat.append(a)
    return call(host, name, *flat)
