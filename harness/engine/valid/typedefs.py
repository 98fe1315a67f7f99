"""The defined types of a module as a hierarchy (3.0 GC): what each is, its declared supertype, equivalence
by canonical id (iso-recursive: a recursion group is compared as a whole, references inside it by position),
and the checks a type section must pass (supertypes defined earlier, not final, structurally matching).

Why a module of its own: subtyping of reference types needs all three lists, and the checks need subtyping.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

from .. import syntax as S
from .. import types
from ..errors import ValidationError

Composite = S.FuncType | S.StructType | S.ArrayType


def kind_of(t: Composite) -> str:
    if isinstance(t, S.StructType):
        return "struct"
    if isinstance(t, S.ArrayType):
        return "array"
    return "func"


def _storages(t: Composite) -> list[str]:
    if isinstance(t, S.StructType):
        return [f.storage for f in t.fields]
    if isinstance(t, S.ArrayType):
        return [t.field.storage]
    return list(t.params) + list(t.results)


def group_keys(defined: list[Composite], groups: list[tuple[int, int]], subs: dict[int, S.SubInfo],
               outer: Callable[[int], object]) -> Iterator[tuple[int, int, tuple]]:
    """``(start, size, key)`` of each recursion group, in order: the key is the group's structure with the
    types it refers to inside the group replaced by their position in it and the others by ``outer(index)``;
    supertypes and finality count.  Iso-recursive equivalence is equality of keys, so the validator's ids
    (:func:`canonical_ids`) and the runtime's shared types (``runtime.rtt``) are both keyed by it.

    Lazy on purpose: ``outer`` may read what the caller recorded for the groups already yielded."""
    for start, n in groups:
        end = start + n

        def ref(j: int, start: int = start, end: int = end) -> object:
            return ("rec", j - start) if start <= j < end else outer(j)

        def norm(t: str) -> object:
            parsed = types.parse(t)
            if parsed is None or not isinstance(parsed[1], int):
                return t
            return (parsed[0], ref(parsed[1]))

        key = []
        for i in range(start, end):
            t = defined[i]
            sub = subs.get(i, S.SubInfo())
            shape: tuple
            if isinstance(t, S.StructType):
                shape = ("struct", tuple((norm(f.storage), f.mutable) for f in t.fields))
            elif isinstance(t, S.ArrayType):
                shape = ("array", norm(t.field.storage), t.field.mutable)
            else:
                shape = ("func", tuple(norm(x) for x in t.params), tuple(norm(x) for x in t.results))
            key.append((shape, tuple(ref(x) for x in sub.supers), sub.final))
        yield start, n, tuple(key)


def canonical_ids(defined: list[Composite], groups: list[tuple[int, int]], subs: dict[int, S.SubInfo]) -> list[int]:
    """One id per type, shared by equivalent types (:func:`group_keys`); a reference to a type defined
    after its group (invalid, reported by :func:`check_types`) keeps its index."""
    ids: dict[tuple, int] = {}
    out: list[int] = []

    def outer(j: int) -> object:
        return ("id", out[j]) if j < len(out) else ("forward", j)

    for _start, n, group in group_keys(defined, groups, subs, outer):
        out.extend(ids.setdefault((group, k), len(ids)) for k in range(n))
    return out


class Hierarchy:
    """``kinds``, ``supers`` (first declared supertype or None) and ``canon`` of a module's types."""

    def __init__(self, defined: list[Composite], groups: list[tuple[int, int]], subs: dict[int, S.SubInfo]):
        self.kinds = [kind_of(t) for t in defined]
        self.supers: list[int | None] = [None] * len(defined)
        for i, sub in subs.items():
            if sub.supers:
                self.supers[i] = sub.supers[0]
        self.canon = canonical_ids(defined, groups, subs)


def check_types(c, defined: list[Composite], groups: list[tuple[int, int]], subs: dict[int, S.SubInfo]) -> None:
    """Every type refers only to types defined before its group ends, and every declared supertype is an
    earlier, non-final type that the subtype structurally matches ("sub type" otherwise)."""
    for start, n in groups:
        end = start + n
        for i in range(start, end):
            for t in _storages(defined[i]):
                parsed = types.parse(t)
                if parsed is not None and isinstance(parsed[1], int) and parsed[1] >= end:
                    raise ValidationError(f"unknown type {parsed[1]}", f"type {i}")
            sub = subs.get(i)
            if sub is None or not sub.supers:
                continue
            if len(sub.supers) > 1:
                raise ValidationError("sub type: more than one supertype", f"type {i}")
            x = sub.supers[0]
            if x >= i:
                raise ValidationError(f"unknown type {x}", f"type {i}")
            if subs.get(x, S.SubInfo()).final or not _comp_matches(c, defined[i], defined[x]):
                raise ValidationError("sub type", f"type {i}")


def _storage_matches(c, a: str, b: str) -> bool:
    return a == b or c.matches(a, b)


def _field_matches(c, a: S.FieldType, b: S.FieldType) -> bool:
    if a.mutable != b.mutable:
        return False
    if a.mutable:
        return _storage_matches(c, a.storage, b.storage) and _storage_matches(c, b.storage, a.storage)
    return _storage_matches(c, a.storage, b.storage)


def _comp_matches(c, a: Composite, b: Composite) -> bool:
    if kind_of(a) != kind_of(b):
        return False
    if isinstance(a, S.StructType):
        return len(a.fields) >= len(b.fields) and all(
            _field_matches(c, x, y) for x, y in zip(a.fields, b.fields, strict=False))
    if isinstance(a, S.ArrayType):
        return _field_matches(c, a.field, b.field)
    return (len(a.params) == len(b.params) and len(a.results) == len(b.results)
            and all(_storage_matches(c, y, x) for x, y in zip(a.params, b.params, strict=True))
            and all(_storage_matches(c, x, y) for x, y in zip(a.results, b.results, strict=True)))


__all__ = ["Hierarchy", "check_types", "canonical_ids", "group_keys", "kind_of"]
