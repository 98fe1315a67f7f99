"""Just enough of the binary format to tell whether a file is a WASI preview1 command, before running it.

Engines each word this differently (or crash); one clear message up front is better.
"""

from __future__ import annotations

MAGIC = b"\0asm"
CORE_VERSION = b"\x01\x00\x00\x00"


class NotACommand(ValueError):
    """The file is not a core module that a preview1 host can run; the message says what it is instead."""


def _leb(data: bytes, pos: int) -> tuple[int, int]:
    result = shift = 0
    while True:
        if pos >= len(data):
            raise NotACommand("truncated module (unexpected end while reading a LEB128 number)")
        b = data[pos]
        pos += 1
        result |= (b & 0x7F) << shift
        shift += 7
        if not b & 0x80:
            return result, pos


def _name(data: bytes, pos: int) -> tuple[str, int]:
    n, pos = _leb(data, pos)
    return data[pos:pos + n].decode("utf-8", "replace"), pos + n


def imports_exports(data: bytes) -> tuple[list[tuple[str, str]], list[str]]:
    """(module, name) of every import and the name of every export of a core module."""
    if data[:4] != MAGIC:
        raise NotACommand("not a WebAssembly binary (no \\0asm magic)")
    if data[4:8] != CORE_VERSION:
        if data[6:8] == b"\x01\x00":
            raise NotACommand("a WebAssembly component (wasm32-wasip2/p3), not a core module: "
                              "preview1 engines run core modules")
        raise NotACommand(f"unknown binary version {data[4:8].hex()}")
    imports: list[tuple[str, str]] = []
    exports: list[str] = []
    pos = 8
    while pos < len(data):
        sid = data[pos]
        size, pos = _leb(data, pos + 1)
        end = pos + size
        if end > len(data):
            raise NotACommand(f"truncated module: section {sid} at byte {pos:#x} has {size} bytes, "
                              f"{end - len(data)} past the end of the file")
        if sid == 2:
            count, p = _leb(data, pos)
            for _ in range(count):
                mod, p = _name(data, p)
                name, p = _name(data, p)
                kind = data[p]
                p += 1
                if kind == 0:
                    _, p = _leb(data, p)
                elif kind == 1:
                    p += 1
                    flags, p = _leb(data, p)
                    _, p = _leb(data, p)
                    if flags & 1:
                        _, p = _leb(data, p)
                elif kind == 2:
                    flags, p = _leb(data, p)
                    _, p = _leb(data, p)
                    if flags & 1:
                        _, p = _leb(data, p)
                elif kind == 3:
                    p += 2
                else:
                    _, p = _leb(data, p)  # tag or future kinds: one index
                imports.append((mod, name))
        elif sid == 7:
            count, p = _leb(data, pos)
            for _ in range(count):
                name, p = _name(data, p)
                p += 1
                _, p = _leb(data, p)
                exports.append(name)
        pos = end
    return imports, exports


def check_wasi_command(data: bytes) -> None:
    """Raise NotACommand unless ``data`` is a core module importing only wasi_snapshot_preview1, with _start."""
    imports, exports = imports_exports(data)
    foreign = [f"{m}.{n}" for m, n in imports if m != "wasi_snapshot_preview1"]
    if foreign:
        more = f" (and {len(foreign) - 3} more)" if len(foreign) > 3 else ""
        raise NotACommand(f"imports {', '.join(foreign[:3])}{more}, which no WASI preview1 host provides")
    if "_start" not in exports:
        raise NotACommand("exports no _start function: not a WASI command (a library or reactor module?)")
