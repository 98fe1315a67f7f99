"""Which WebAssembly 3.0 proposal a check needs, so a check an engine cannot run is ``unsupported``, not failed.

Three sources, most trusted first:

1. the file: the 3.0 testsuite flattens the spec's ``test/core`` and its proposal folders into one directory,
   and the names say where a file came from (``struct.wast`` is GC's, ``load64.wast`` memory64's,
   ``load1.wast`` multi-memory's numbered copy of ``load.wast``): :func:`file_features`;
2. the module's binary, for the files 3.0 changed in place (``ref_null.wast`` returns an ``exnref``,
   ``global.wast`` has extended constants and reads its own globals in them, which came with GC): its types,
   imports, tables, memories, tags, globals, element and data segments (:func:`module_features`; function
   bodies are not decoded);
3. the engine's own words, last: wasmtime's "function references support is not enabled", V8's "enable with
   --experimental-wasm-gc" (:func:`named_in`).

The feature is only blamed when the engine declares it unsupported (``Adapter.features``); a failure in an
engine that has the feature stays a failure.
"""

from __future__ import annotations

import re

from ..adapters.base import (
    EXCEPTIONS,
    EXTENDED_CONST,
    FUNCTION_REFERENCES,
    GC,
    MEMORY64,
    MULTI_MEMORY,
    RELAXED_SIMD,
    TAIL_CALL,
    WASM3_FEATURES,
)
from .wasm_sections import Reader

CORE = "core"  # a file of 2.0's, possibly extended in place by 3.0: the matrix's first row

_GC_FILES = {"array", "array_copy", "array_fill", "array_init_data", "array_init_elem", "array_new_data",
             "array_new_elem", "binary-gc", "br_on_cast", "br_on_cast_fail", "extern", "i31", "ref_cast", "ref_eq",
             "ref_test", "struct", "type-canon", "type-equivalence", "type-rec", "type-subtyping"}
_FILES: dict[str, tuple[str, ...]] = {
    **{name: (GC,) for name in _GC_FILES},
    **{name: (FUNCTION_REFERENCES,) for name in ("call_ref", "br_on_non_null", "br_on_null", "ref_as_non_null",
                                                  "local_init", "ref")},
    **{name: (EXCEPTIONS,) for name in ("tag", "throw", "throw_ref", "try_table")},
    **{name: (TAIL_CALL,) for name in ("return_call", "return_call_indirect")},
    "return_call_ref": (TAIL_CALL, FUNCTION_REFERENCES),
    **{name: (MEMORY64,) for name in ("memory64-imports", "table_copy_mixed")},
    **{name: (MULTI_MEMORY,) for name in ("memory-multi", "simd_memory-multi", "memory_size_import")},
}
# address64, memory_copy64, binary_leb128_64 (not i64, simd_load64_lane)
_MEMORY64_NAME = re.compile(r"^[a-z][a-z_-]+64$|^[a-z][a-z0-9_-]*_64$")
_MULTI_MEMORY_NAME = re.compile(r"^[a-z_-]*[a-z_][0-9]$")  # load1, memory_size3: numbered copies (not f32)


def file_features(name: str) -> tuple[str, ...]:
    """The proposals a testsuite file belongs to, by its name (``()``: a core file)."""
    stem = name.removesuffix(".wast")
    if stem in _FILES:
        return _FILES[stem]
    if "relaxed" in stem:
        return (RELAXED_SIMD,)
    if _MEMORY64_NAME.match(stem):
        return (MEMORY64,)
    if _MULTI_MEMORY_NAME.match(stem):
        return (MULTI_MEMORY,)
    return ()


def proposal(name: str) -> str:
    """The one proposal a file is grouped under in the matrix: its first, or ``core``."""
    features = file_features(name)
    return features[0] if features else CORE


def suite_is_3_0(names: list[str]) -> bool:
    """Whether a directory of ``.wast`` files is a 3.0 suite: some file belongs to a 3.0 proposal."""
    return any(file_features(n) for n in names)


# -- binary -----------------------------------------------------------------------------------------------
_GC_HEAP = {0x6E, 0x6D, 0x6C, 0x6B, 0x6A, 0x71, 0x72, 0x73}  # any eq i31 struct array none noextern nofunc
_EXN_HEAP = {0x69, 0x74}  # exn noexn
_EXTENDED_OPS = {0x6A, 0x6B, 0x6C, 0x7C, 0x7D, 0x7E}  # i32/i64 add, sub, mul


class _Cut(Exception):
    """The scan met something it does not read; what it found so far stands."""


class _Scan(Reader):
    def __init__(self, data: bytes, pos: int, end: int, found: set[str], imported_globals: int = 0):
        super().__init__(data, pos, end)
        self.found = found
        self.imported_globals = imported_globals

    def skip(self) -> None:
        """A name or a data segment's bytes: a length, then that many bytes."""
        n = self.u32()
        self.pos += n

    def heap(self) -> None:
        b = self.byte()
        if b in _GC_HEAP:
            self.found.add(GC)
        elif b in _EXN_HEAP:
            self.found.add(EXCEPTIONS)
        elif b not in (0x70, 0x6F):  # func, extern; else a type index (s33)
            while b & 0x80:
                b = self.byte()

    def valtype(self) -> None:
        b = self.byte()
        if b in (0x63, 0x64):  # (ref null ht), (ref ht)
            self.found.add(FUNCTION_REFERENCES)
            self.heap()
        elif b in _GC_HEAP:
            self.found.add(GC)
        elif b in _EXN_HEAP:
            self.found.add(EXCEPTIONS)

    def limits(self) -> None:
        flags = self.byte()
        if flags & 0x04:
            self.found.add(MEMORY64)
        self.u32()
        if flags & 0x01:
            self.u32()

    def table(self) -> None:
        if self.data[self.pos:self.pos + 2] == b"\x40\x00":  # a table with an initialiser
            self.found.add(FUNCTION_REFERENCES)
            self.pos += 2
            self.valtype()
            self.limits()
            self.const_expr()
            return
        self.valtype()
        self.limits()

    def const_expr(self) -> None:
        while True:
            op = self.byte()
            if op == 0x0B:
                return
            if op in _EXTENDED_OPS:
                self.found.add(EXTENDED_CONST)
            elif op == 0xFB:
                self.found.add(GC)
                raise _Cut
            elif op == 0x23:
                if self.u32() >= self.imported_globals:  # a global of the module itself: 3.0, with GC
                    self.found.add(GC)
            elif op in (0x41, 0x42, 0xD2):
                self.u32()
            elif op == 0x43:
                self.pos += 4
            elif op == 0x44:
                self.pos += 8
            elif op == 0xD0:
                self.heap()
            elif op == 0xFD:
                self.u32()
                self.pos += 16
            else:
                raise _Cut


def module_features(data: bytes) -> set[str]:
    """The 3.0 proposals a module binary's declarations use (types, imports, tables, memories, globals,
    tags); its code is not read, and a part it cannot read ends the scan with what was found."""
    found: set[str] = set()
    if not data.startswith(b"\0asm"):
        return found
    pos, memories, imported_globals = 8, 0, 0
    try:
        while pos < len(data):
            head = _Scan(data, pos, len(data), found)
            sid = head.byte()
            size = head.u32()
            s = _Scan(data, head.pos, head.pos + size, found, imported_globals)
            pos = head.pos + size
            if sid == 13:
                found.add(EXCEPTIONS)
            elif sid == 1:
                for _ in range(s.u32()):
                    if s.byte() != 0x60:  # rec, sub, struct, array
                        found.add(GC)
                        break
                    for _ in range(2):
                        for _ in range(s.u32()):
                            s.valtype()
            elif sid == 2:
                for _ in range(s.u32()):
                    s.skip()
                    s.skip()
                    kind = s.byte()
                    if kind == 0:
                        s.u32()
                    elif kind == 1:
                        s.valtype()
                        s.limits()
                    elif kind == 2:
                        memories += 1
                        s.limits()
                    elif kind == 3:
                        imported_globals += 1
                        s.valtype()
                        s.byte()
                    elif kind == 4:
                        found.add(EXCEPTIONS)
                        s.byte()
                        s.u32()
            elif sid == 4:
                for _ in range(s.u32()):
                    s.table()
            elif sid == 5:
                for _ in range(n := s.u32()):
                    s.limits()
                memories += n
            elif sid == 6:
                for _ in range(s.u32()):
                    s.valtype()
                    s.byte()
                    s.const_expr()
            elif sid == 9:
                for _ in range(s.u32()):
                    _elem_segment(s)
            elif sid == 11:
                for _ in range(s.u32()):
                    flags = s.u32()
                    if flags == 2:
                        s.u32()
                    if flags != 1:
                        s.const_expr()
                    s.skip()
    except (_Cut, IndexError):
        pass
    if memories > 1:
        found.add(MULTI_MEMORY)
    return found


def _elem_segment(s: _Scan) -> None:
    """One element segment (its eight encodings): offsets and initialisers as constant expressions."""
    flags = s.u32()
    if flags in (2, 6):
        s.u32()  # table index
    if flags in (0, 2, 4, 6):
        s.const_expr()  # offset
    if flags in (1, 2, 3):
        s.byte()  # elemkind
    elif flags in (5, 6, 7):
        s.valtype()
    for _ in range(s.u32()):
        if flags < 4:
            s.u32()
        else:
            s.const_expr()


# -- engines' words -----------------------------------------------------------------------------------------
_WORDS = {
    GC: re.compile(r"\bgc\b|garbage collection|experimental-wasm-gc|struct indexed types|gc opcode", re.I),
    FUNCTION_REFERENCES: re.compile(r"function.references|typed.funcref", re.I),
    EXCEPTIONS: re.compile(r"exceptions? (proposal|support)|exnref|experimental-wasm-eh", re.I),
    TAIL_CALL: re.compile(r"tail.calls?\b|return.call", re.I),
    MEMORY64: re.compile(r"memory64|memory limits flags 0x[4-7]|experimental-wasm-memory64", re.I),
    MULTI_MEMORY: re.compile(r"multi.memory|multiple memories|memory count of \d+ exceeds|(only|at most) one memory",
                              re.I),
    RELAXED_SIMD: re.compile(r"relaxed", re.I),
    EXTENDED_CONST: re.compile(r"extended.const|not allowed in constant expressions", re.I),
}
_NOT_THERE = re.compile(r"not (enabled|supported|implemented|allowed)|unsupported|enable (with|via)|\brequired?s?\b|"
                        r"(only|at most) one|exceeds internal limit", re.I)


def named_in(message: str) -> set[str]:
    """The proposals an engine's error message says are missing or switched off ("... not enabled",
    "enable with --experimental-wasm-gc"); nothing when it does not say so."""
    if not message or not _NOT_THERE.search(message):
        return set()
    return {f for f, words in _WORDS.items() if words.search(message)}


__all__ = ["CORE", "WASM3_FEATURES", "file_features", "module_features", "named_in", "proposal", "suite_is_3_0"]
