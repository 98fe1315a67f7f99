"""Base classes for the engine's plain value classes, in place of ``dataclasses``.

Every process that runs a program on our engine (``harness run``, each WASI test, each perf run) imports
the front end, so what it costs is paid per process.  ``dataclasses`` imports ``inspect`` (and with it
``ast``, ``dis`` and ``tokenize``) and generates each class's methods with ``exec``: 35 ms of a 115 ms
start on a slow core (the 18 classes on that path).  These bases give the same equality, ``repr`` and,
for ``Frozen``, hashing and immutability, from the class's ``__slots__``, with no code generated; each
class writes its own ``__init__``.
"""

from __future__ import annotations

from typing import Any


class Record:
    """Equality and ``repr`` over the fields named in ``__slots__`` (in order); unhashable, like a
    mutable dataclass.  Fields whose name starts with ``_`` are left out of the ``repr``."""

    __slots__ = ()
    __hash__ = None  # type: ignore[assignment]

    def _fields(self) -> tuple[Any, ...]:
        return tuple(getattr(self, n) for n in self.__slots__)

    def __eq__(self, other: object) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        return self._fields() == other._fields()  # type: ignore[attr-defined]

    def __repr__(self) -> str:
        shown = ", ".join(f"{n}={getattr(self, n)!r}" for n in self.__slots__ if not n.startswith("_"))
        return f"{type(self).__name__}({shown})"


class Frozen(Record):
    """A ``Record`` whose fields are set once, in ``__init__``, and never again: so it can be hashed (type
    signatures are dictionary keys all over the engine)."""

    __slots__ = ()

    def __setattr__(self, name: str, value: object) -> None:
        if hasattr(self, name):
            raise AttributeError(f"cannot assign to field {name!r}: {type(self).__name__} is immutable")
        object.__setattr__(self, name, value)

    def __delattr__(self, name: str) -> None:
        raise AttributeError(f"cannot delete field {name!r}: {type(self).__name__} is immutable")

    def __hash__(self) -> int:
        return hash(self._fields())
