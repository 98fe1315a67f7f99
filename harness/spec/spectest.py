"""The ``spectest`` host module that spec scripts import, declared once as data.

Every in-process driver turns these declarations into its engine's host objects (and V8's node child gets
them as JSON), so the values cannot drift apart between engines.  They are the reference interpreter's
(``interpreter/host/spectest.ml``): globals of value 666 / 666.6, a funcref table of 10..20 elements, a
memory of 1..2 pages, and the ``print*`` functions.  Those print their arguments there; here they do
nothing, since no script checks what is printed.  The memory64 proposal's ``table64`` (an i64-addressed
funcref table of 10..20) is declared with the feature it needs: a driver includes it only when it runs
with that feature on (``build``'s ``enabled``), so a 2.0 engine never has to make one.  wabt's
``spectest-interp`` has its own built-in copy of this module.

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
    address: str = "i32"  # i64: a table64 (memory64 proposal)
    feature: str | None = None  # the proposal an engine needs to make it; None: every engine


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
    "table64": Table(10, 20, address="i64", feature="memory64"),
    "memory": Memory(1, 2),
}

T = TypeVar("T")


def declarations(enabled: frozenset[str] | set[str] = frozenset()) -> dict[str, Extern]:
    """The exports an engine running with the proposals ``enabled`` provides."""
    return {name: decl for name, decl in EXPORTS.items() if getattr(decl, "feature", None) in (None, *enabled)}


def build(convert: Callable[[Extern], T], enabled: frozenset[str] | set[str] = frozenset()) -> dict[str, T]:
    """Export name -> the engine's object, ``convert`` being a driver's translation of one declaration."""
    return {name: convert(decl) for name, decl in declarations(enabled).items()}


def as_json(enabled: frozenset[str] | set[str] = frozenset()) -> dict[str, dict[str, Any]]:
    """The declarations for a driver in another language: ``{name: {"kind": "func", "params": [...], ...}}``."""
    return {name: {"kind": type(decl).__name__.lower(), **asdict(decl)}
            for name, decl in declarations(enabled).items()}
