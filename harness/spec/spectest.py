"""The ``spectest`` host module that spec scripts import, declared once as data.

Every in-process driver turns these declarations into its engine's host objects (and V8's node child gets
them as JSON), so the values cannot drift apart between engines.  They are the reference interpreter's
(``interpreter/host/spectest.ml``): globals of value 666 / 666.6, a funcref table of 10..20 elements, a
memory of 1..2 pages, and the ``print*`` functions.  Those print their arguments there; here they do
nothing, since no script checks what is printed.  The memory64 proposal's ``table64`` is left out: no
2.0 script imports it.  wabt's ``spectest-interp`` has its own built-in copy of this module.

One driver makes one spectest instance per script, so every import of ``table`` or ``memory`` in a script
sees the same table and memory, as in the reference interpreter.
"""

from __future__ import annotations

import struct
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any, TypeVar

NAME = "spectest"


@dataclass(frozen=True)
class Func:
    """A host function that ignores its arguments."""

    params: tuple[str, ...]
    results: tuple[str, ...] = ()


@dataclass(frozen=True)
class Global:
    """An immutable global; ``value`` is the number as the reference interpreter writes it."""

    type: str  # i32 | i64 | f32 | f64
    value: int | float

    @property
    def raw(self) -> int:
        """The value as a raw bit pattern (``harness.spec.values``); f32/f64 rounded to nearest like ``of_float``."""
        if self.type == "f32":
            return struct.unpack("<I", struct.pack("<f", self.value))[0]
        if self.type == "f64":
            return struct.unpack("<Q", struct.pack("<d", self.value))[0]
        return int(self.value) & ((1 << (32 if self.type == "i32" else 64)) - 1)


@dataclass(frozen=True)
class Table:
    min: int
    max: int
    element: str = "funcref"


@dataclass(frozen=True)
class Memory:
    """Limits in 64 KiB pages."""

    min: int
    max: int


Extern = Func | Global | Table | Memory

EXPORTS: dict[str, Extern] = {
    "print": Func(()),
    "print_i32": Func(("i32",)),
    "print_i64": Func(("i64",)),
    "print_f32": Func(("f32",)),
    "print_f64": Func(("f64",)),
    "print_i32_f32": Func(("i32", "f32")),
    "print_f64_f64": Func(("f64", "f64")),
    "global_i32": Global("i32", 666),
    "global_i64": Global("i64", 666),
    "global_f32": Global("f32", 666.6),
    "global_f64": Global("f64", 666.6),
    "table": Table(10, 20),
    "memory": Memory(1, 2),
}

T = TypeVar("T")


def build(convert: Callable[[Extern], T]) -> dict[str, T]:
    """Export name -> the engine's object, ``convert`` being a driver's translation of one declaration."""
    return {name: convert(decl) for name, decl in EXPORTS.items()}


def as_json() -> dict[str, dict[str, Any]]:
    """The declarations for a driver in another language: ``{name: {"kind": "func", "params": [...], ...}}``."""
    return {name: {"kind": type(decl).__name__.lower(), **asdict(decl)} for name, decl in EXPORTS.items()}
