"""Reference types of WebAssembly 3.0 (typed function references, and the abstract heap types of GC and
exception handling) as value-type strings, and their subtyping.

Why strings: every stage already passes value types as strings (``syntax``), and the 2.0 reference types
keep their names, so 2.0 code never sees the difference.  A nullable reference to an abstract heap type is
its short name (``"funcref"``, ``"externref"``, ``"anyref"``, ...); any other is ``"(ref null 3)"``,
``"(ref 3)"`` (to type 3) or ``"(ref func)"`` (non-nullable), as the text format writes them with indices.
"""

from __future__ import annotations

from functools import lru_cache

# abstract heap type -> (binary byte, shorthand of its nullable reference type, its top)
ABSTRACT: dict[str, tuple[int, str, str]] = {
    "func": (0x70, "funcref", "func"), "nofunc": (0x73, "nullfuncref", "func"),
    "extern": (0x6F, "externref", "extern"), "noextern": (0x72, "nullexternref", "extern"),
    "any": (0x6E, "anyref", "any"), "eq": (0x6D, "eqref", "any"), "i31": (0x6C, "i31ref", "any"),
    "struct": (0x6B, "structref", "any"), "array": (0x6A, "arrayref", "any"), "none": (0x71, "nullref", "any"),
    "exn": (0x69, "exnref", "exn"), "noexn": (0x74, "nullexnref", "exn"),
}  # fmt: skip
HEAP_BY_BYTE = {code: name for name, (code, _, _) in ABSTRACT.items()}
SHORTHANDS = {short: name for name, (_, short, _) in ABSTRACT.items()}
BOTTOMS = {"func": "nofunc", "extern": "noextern", "any": "none", "exn": "noexn"}
# abstract heap subtyping (besides each top's bottom being below everything of its hierarchy)
_ABOVE = {"eq": "any", "i31": "eq", "struct": "eq", "array": "eq"}

Heap = str | int


def ref(nullable: bool, heap: Heap) -> str:
    """The value-type string of ``(ref null? heap)``."""
    if nullable and isinstance(heap, str):
        return ABSTRACT[heap][1]
    return f"(ref {'null ' if nullable else ''}{heap})"


@lru_cache(maxsize=4096)
def parse(t: str) -> tuple[bool, Heap] | None:
    """``(nullable, heap)`` of a reference type string; None for a number or vector type."""
    heap = SHORTHANDS.get(t)
    if heap is not None:
        return True, heap
    if not t.startswith("(ref "):
        return None
    inner = t[5:-1]
    nullable = inner.startswith("null ")
    if nullable:
        inner = inner[5:]
    return nullable, int(inner) if inner.isdigit() else inner


def is_ref(t: str | None) -> bool:
    return t is not None and parse(t) is not None


def non_null(t: str) -> str:
    """The non-nullable version of reference type ``t``."""
    parsed = parse(t)
    assert parsed is not None, t
    return ref(False, parsed[1])


def nullable(t: str) -> bool:
    parsed = parse(t)
    return parsed is not None and parsed[0]


def top_of(heap: Heap, kinds: list[str]) -> str:
    """The top of ``heap``'s hierarchy; ``kinds`` says what each defined type is ("func", "struct", ...)."""
    if isinstance(heap, int):
        return "func" if kinds[heap] == "func" else "any"
    return ABSTRACT[heap][2]


def heap_sub(a: Heap, b: Heap, kinds: list[str], supers: list[int | None], canon: list[int]) -> bool:
    """``a <: b`` for heap types: ``kinds`` per defined type, ``supers`` its declared supertype, ``canon``
    its canonical id (equivalent types share one)."""
    if a == b:
        return True
    if isinstance(a, int) and isinstance(b, int):
        if canon[a] == canon[b]:
            return True
        seen = a
        while supers[seen] is not None:
            seen = supers[seen]
            if canon[seen] == canon[b]:
                return True
        return False
    if isinstance(a, int):  # a defined type under an abstract one
        kind = kinds[a]
        if kind == "func":
            return b == "func"
        return b in ("any", "eq", kind)
    if isinstance(b, int):  # only a bottom is below a defined type
        return a == BOTTOMS[top_of(b, kinds)]
    if a in BOTTOMS.values():
        return ABSTRACT[a][2] == ABSTRACT[b][2]
    up = _ABOVE.get(a)
    while up is not None:
        if up == b:
            return True
        up = _ABOVE.get(up)
    return False


__all__ = ["ABSTRACT", "HEAP_BY_BYTE", "SHORTHANDS", "BOTTOMS", "ref", "parse", "is_ref", "non_null", "nullable",
           "top_of", "heap_sub"]
