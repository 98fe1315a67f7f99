"""Runtime types: one object per canonical defined type, shared by every module that defines an equivalent
one, so ``call_indirect``, casts and import matching can compare types across modules by identity.

Why: a module's types name each other by index, so the same function type is ``[(ref 0)] -> []`` in one
module and ``[(ref 3)] -> []`` in another; the spec's types are equivalent when their recursion groups
are (iso-recursive equivalence), which a registry keyed by each group's structure (references inside the
group by position, outside it by the runtime type itself) decides once per type.
"""

from __future__ import annotations

from .. import syntax as S
from ..valid.typedefs import group_keys


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
    """The RTT of each of a module's types (``Module.types``, ``Module.groups()``, ``Module.subs``), keyed
    by the validator's structural key of its recursion group with outside references by RTT."""
    out: list[RTT] = []
    for start, n, group in group_keys(defined, groups, subs, lambda j: out[j]):
        for k in range(n):
            rtt = _REGISTRY.get((group, k))
            if rtt is None:
                sup = subs.get(start + k, S.SubInfo()).supers
                rtt = _REGISTRY[(group, k)] = RTT(group[k][0][0], out[sup[0]] if sup else None)
            out.append(rtt)
    return out


def func_rtt(ft: S.FuncType) -> RTT:
    """The RTT of a function type standing alone (a host function's)."""
    return module_rtts([ft], [(0, 1)], {})[0]


__all__ = ["RTT", "module_rtts", "func_rtt"]
