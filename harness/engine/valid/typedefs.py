"""The defined types of a module as a hierarchy (3.0 GC): what each is, its declared supertype, equivalence
by canonical id (iso-recursive: a recursion group is compared as a whole, references inside it by position),
and the checks a type section must pass (supertypes defined earlier, not final, structurally matching).

Why a module of its own: subtyping of reference types needs all three lists, and the checks need subtyping.
"""

from __future__ import annotations

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


def canonical_ids(defined: list[Composite], groups: list[tuple[int, int]], subs: dict[int, S.SubInfo]) -> list[int]:
    """One id per type, shared by equivalent types: a group's members with the types they refer to inside
    the group replaced by their position in it and the others by their ids; supertypes and finality count."""
    ids: dict[tuple, int] = {}
    out: list[int] = [0] * len(defined)

    def norm(t: str, start: int, end: int):
        parsed = types.parse(t)
        if parsed is None or not isinstance(parsed[1], int):
            return t
        j = parsed[1]
        if start <= j < end:
            return (parsed[0], "rec", j - start)
        return (parsed[0], "id", out[j] if j < start else ("forward", j))

    def norm_index(j: int, start: int, end: int):
        return ("rec", j - start) if start <= j < end else ("id", out[j] if j < start else ("forward", j))

    for start, n in groups:
        end = start + n
        key = []
        for i in range(start, end):
            t = defined[i]
            sub = subs.get(i, S.SubInfo())
            shape: tuple
            if isinstance(t, S.StructType):
                shape = ("struct", tuple((norm(f.storage, start, end), f.mutable) for f in t.fields))
            elif isinstance(t, S.ArrayType):
                shape = ("array", norm(t.field.storage, start, end), t.field.mutable)
            else:
                shape = ("func", tuple(norm(x, start, end) for x in t.params),
                         tuple(norm(x, start, end) for x in t.results))
            key.append((shape, tuple(norm_index(x, start, end) for x in sub.supers), sub.final))
        group = tuple(key)
        for k in range(n):
            out[start + k] = ids.setdefault((group, k), len(ids))
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


__all__ = ["Hierarchy", "check_types", "canonical_ids", "kind_of"]
