"""Exceptions of the engine, one per failure class the spec distinguishes.

The spec testsuite asserts on the class (malformed, invalid, unlinkable, trap, exhaustion), so every
failure the engine reports is one of these, never a bare Python exception.
"""

from __future__ import annotations

import re

_LINE_COL = re.compile(r"\bat \d+:\d+\b")


class WasmError(Exception):
    """Base of every error the engine raises on purpose."""


class MalformedError(WasmError):
    """The bytes (or text) are not a well-formed module.

    ``offset`` is the byte offset where decoding failed, or for the text format the character offset (whose
    message already names ``line:col``, so only binary errors append the offset).
    """

    def __init__(self, message: str, offset: int | None = None):
        self.message = message
        self.offset = offset
        located = offset is not None and not _LINE_COL.search(message)
        super().__init__(f"{message} (at byte offset {offset:#x})" if located else message)


class ValidationError(WasmError):
    """The module is well formed but does not validate.  ``where`` names the function/instruction when known."""

    def __init__(self, message: str, where: str | None = None):
        self.message = message
        self.where = where
        super().__init__(f"{message} (in {where})" if where else message)


class LinkError(WasmError):
    """Instantiation failed while matching imports (assert_unlinkable)."""


class UnsupportedFeature(WasmError):
    """A valid module uses WebAssembly 3.0 features this tier does not compile (``features``, by name)."""

    def __init__(self, features: list[str], tier: str):
        self.features = features
        self.tier = tier
        super().__init__(f"unsupported: the {tier} tier does not compile {', '.join(features)} (WebAssembly 3.0)")


class WasmException(WasmError):
    """A WebAssembly exception (3.0 exception handling) thrown and not caught in wasm: ``tag`` is the
    ``runtime.TagInstance`` thrown, ``values`` its arguments (as the tier holds them).  As an ``exnref`` the
    exception object itself is the reference."""

    def __init__(self, tag: object, values: tuple):
        self.tag = tag
        self.values = values
        super().__init__("uncaught WebAssembly exception")


class Trap(WasmError):
    """A runtime trap.  ``kind`` is the spec's wording, e.g. "integer divide by zero", "unreachable"."""

    def __init__(self, kind: str, message: str | None = None):
        self.kind = kind
        super().__init__(message or kind)


class Exhaustion(Trap):
    """Resource exhaustion: call stack exhausted (assert_exhaustion)."""

    def __init__(self, kind: str = "call stack exhausted", message: str | None = None):
        super().__init__(kind, message)


# The trap kinds the spec testsuite expects, spelled as the suite spells them.
TRAP_UNREACHABLE = "unreachable"
TRAP_DIV_ZERO = "integer divide by zero"
TRAP_INT_OVERFLOW = "integer overflow"
TRAP_INVALID_CONVERSION = "invalid conversion to integer"
TRAP_OOB_MEMORY = "out of bounds memory access"
TRAP_OOB_TABLE = "out of bounds table access"
TRAP_UNDEFINED_ELEMENT = "undefined element"
TRAP_UNINITIALIZED_ELEMENT = "uninitialized element"
TRAP_INDIRECT_MISMATCH = "indirect call type mismatch"
TRAP_CALL_STACK = "call stack exhausted"
