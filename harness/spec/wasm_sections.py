"""Just enough of the binary format to list a module's function types, imports, globals and exports.

Drivers whose engine API does not expose import/export types (pywasm3) need them to link imports and
to type results; this reads only the sections involved and stops at anything it does not understand.
The executor reads a module's exports from its bytes (``read_exports``) so that an action on an export
the module lacks fails whatever the engine answers.
"""

from __future__ import annotations

from dataclasses import dataclass, field

VALTYPES = {0x7F: "i32", 0x7E: "i64", 0x7D: "f32", 0x7C: "f64", 0x7B: "v128", 0x70: "funcref", 0x6F: "externref"}
KINDS = {0: "func", 1: "table", 2: "memory", 3: "global", 4: "tag"}
MAGIC = b"\0asm"


@dataclass
class ModuleInfo:
    types: list[tuple[tuple[str, ...], tuple[str, ...]]] = field(default_factory=list)
    imports: list[tuple[str, str, str, object]] = field(default_factory=list)  # module, name, kind, desc
    func_types: list[int] = field(default_factory=list)  # type index per function (imports first)
    global_types: list[tuple[str, bool]] = field(default_factory=list)  # (valtype, mutable), imports first
    exports: dict[str, tuple[str, int]] = field(default_factory=dict)  # name -> (kind, index)

    def export_func_type(self, name: str) -> tuple[tuple[str, ...], tuple[str, ...]] | None:
        kind, idx = self.exports.get(name, ("", -1))
        if kind != "func" or idx >= len(self.func_types):
            return None
        return self.types[self.func_types[idx]]

    def export_global_type(self, name: str) -> tuple[str, bool] | None:
        kind, idx = self.exports.get(name, ("", -1))
        return self.global_types[idx] if kind == "global" and idx < len(self.global_types) else None


class Truncated(IndexError):
    """A read past the end of the bytes, or of the section, being read."""


class Reader:
    """LEB128 and the few composite encodings the harness reads from a module binary, within ``[pos, end)``
    (``harness.spec.proposals`` scans with it too)."""

    def __init__(self, data: bytes, pos: int = 0, end: int | None = None):
        self.data, self.pos, self.end = data, pos, len(data) if end is None else end

    def byte(self) -> int:
        if self.pos >= self.end:
            raise Truncated
        b = self.data[self.pos]
        self.pos += 1
        return b

    def u32(self) -> int:
        result = shift = 0
        while True:
            b = self.byte()
            result |= (b & 0x7F) << shift
            shift += 7
            if not b & 0x80:
                return result

    def name(self) -> str:
        n = self.u32()
        s = self.data[self.pos:self.pos + n].decode("utf-8", "replace")
        self.pos += n
        return s

    def limits(self) -> tuple[int, int | None]:
        flags = self.byte()
        lo = self.u32()
        return lo, (self.u32() if flags & 1 else None)

    def skip_const_expr(self) -> None:
        while True:
            op = self.byte()
            if op == 0x0B:
                return
            if op in (0x41, 0x42, 0x23, 0xD2):
                self.u32()  # LEB immediates (signed ones have the same byte length)
            elif op == 0x43:
                self.pos += 4
            elif op == 0x44:
                self.pos += 8
            elif op == 0xD0:
                self.pos += 1
            elif op == 0xFD:
                self.u32()
                self.pos += 16


def read_module_info(data: bytes) -> ModuleInfo:
    info = ModuleInfo()
    r = Reader(data, 8)
    while r.pos < len(data):
        sid = r.byte()
        size = r.u32()
        end = r.pos + size
        s = Reader(data, r.pos, end)
        if sid == 1:
            for _ in range(s.u32()):
                s.byte()  # 0x60
                params = tuple(VALTYPES.get(s.byte(), "?") for _ in range(s.u32()))
                results = tuple(VALTYPES.get(s.byte(), "?") for _ in range(s.u32()))
                info.types.append((params, results))
        elif sid == 2:
            for _ in range(s.u32()):
                mod, name, kind = s.name(), s.name(), KINDS.get(s.byte(), "?")
                desc: object
                if kind == "func":
                    desc = s.u32()
                    info.func_types.append(desc)
                elif kind == "table":
                    desc = (VALTYPES.get(s.byte(), "?"), s.limits())
                elif kind == "memory":
                    desc = s.limits()
                else:
                    desc = (VALTYPES.get(s.byte(), "?"), bool(s.byte()))
                    info.global_types.append(desc)  # type: ignore[arg-type]
                info.imports.append((mod, name, kind, desc))
        elif sid == 3:
            info.func_types.extend(s.u32() for _ in range(s.u32()))
        elif sid == 6:
            for _ in range(s.u32()):
                info.global_types.append((VALTYPES.get(s.byte(), "?"), bool(s.byte())))
                s.skip_const_expr()
        elif sid == 7:
            for _ in range(s.u32()):
                name = s.name()
                kind = KINDS.get(s.byte(), "?")
                info.exports[name] = (kind, s.u32())
        r.pos = end
    return info


def read_exports(data: bytes) -> dict[str, str] | None:
    """Export name -> kind ("func", "table", "memory", "global", "tag") of a module binary, reading only
    its export section; None when ``data`` is not a WebAssembly binary (or is cut short inside a section)."""
    if not data.startswith(MAGIC):
        return None
    r = Reader(data, 8)
    try:
        while r.pos < len(data):
            sid = r.byte()
            size = r.u32()
            if sid == 7:
                s = Reader(data, r.pos, r.pos + size)
                exports = {}
                for _ in range(s.u32()):
                    name = s.name()
                    exports[name] = KINDS.get(s.byte(), "?")
                    s.u32()
                return exports
            r.pos += size
    except IndexError:
        return None
    return {}
