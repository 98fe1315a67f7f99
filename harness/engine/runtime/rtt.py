"""Runtime types: one object per canonical defined type, shared by every module that defines an equivalent
one, so ``call_indirect``, casts and import matching can compare types across modules by identity.

Why: a module's types name each other by index, so the same function type is ``[(ref 0)] -> []`` in one
module and ``[(ref 3)] -> []`` in another; the spec's types are equivalent when their recursion groups
are (iso-recursive equivalence), which a registry keyed by each group's structure (references inside the
group by position, outside it by the runtime type itself) decides once per type.
"""

from __future__ import annotations

from .. import syntax as S
from .. import types


class RTT:
    """A canonical defined type: ``kind`` ("func", "struct", "array") and ``super``, its declared
    supertype's RTT (or None)."""

    __slots__ = ("kind", "super", "__weakref__")

    def __init__(self, kind: str, super_: RTT | None):
        self.kind = kind
        self.super = super_

    def sub_of(self, other: RTT) -> bool:
        t: RTT | None = self
        while t is not None:
            if t is other:
                return True
            t = t.super
        return False


_REGISTRY: dict[tuple, RTT] = {}


def module_rtts(defined: list, groups: list[tuple[int, int]], subs: dict[int, S.SubInfo]) -> list[RTT]:
    """The RTT of each of a module's types (``Module.types``, ``Module.groups()``, ``Module.subs``)."""
    out: list[RTT] = []

    def norm(t: str, start: int, end: int):
        parsed = types.parse(t)
        if parsed is None or not isinstance(parsed[1], int):
            return t
        j = parsed[1]
        return (parsed[0], ("rec", j - start) if start <= j < end else out[j])

    for start, n in groups:
        end = start + n
        key = []
        for i in range(start, end):
            t = defined[i]
            sub = subs.get(i, S.SubInfo())
            if isinstance(t, S.StructType):
                shape: tuple = ("struct", tuple((norm(f.storage, start, end), f.mutable) for f in t.fields))
            elif isinstance(t, S.ArrayType):
                shape = ("array", norm(t.field.storage, start, end), t.field.mutable)
            else:
                shape = ("func", tuple(norm(x, start, end) for x in t.params),
                         tuple(norm(x, start, end) for x in t.results))
            supers = tuple(("rec", x - start) if x >= start else out[x] for x in sub.supers)
            key.append((shape, supers, sub.final))
        group = tuple(key)
        for k in range(n):
            rtt = _REGISTRY.get((group, k))
            if rtt is None:
                sup = subs.get(start + k, S.SubInfo()).supers
                rtt = _REGISTRY[(group, k)] = RTT(key[k][0][0], out[sup[0]] if sup else None)
            out.append(rtt)
    return out


def func_rtt(ft: S.FuncType) -> RTT:
    """The RTT of a function type standing alone (a host function's)."""
    return module_rtts([ft], [(0, 1)], {})[0]


__all__ = ["RTT", "module_rtts", "func_rtt"]
