"""Trap kinds: engines word traps differently, so both the spec's text and an engine's message are reduced
to one class before comparing.  The *strict* figure still compares the spec's text literally.
"""

from __future__ import annotations

# (class, substrings that identify it in lower-case messages), most specific first.
_CLASSES: list[tuple[str, tuple[str, ...]]] = [
    ("exhaustion", ("call stack exhausted", "stack overflow", "maximum call stack", "stack exhausted",
                    "call stack exhaust", "stack_overflow")),
    ("null", ("uninitialized element", "indirect call to null", "indirect_call_to_null", "null function",
              "null reference", "null_reference")),
    ("signature", ("indirect call type mismatch", "signature mismatch", "bad_signature", "bad signature",
                   "function signature mismatch", "indirect call signature mismatch")),
    ("table", ("undefined element", "out of bounds table access", "table index is out of bounds",
               "table_out_of_bounds", "table out of bounds", "table access out of bounds", "element out of bounds")),
    ("memory", ("out of bounds memory access", "memory access out of bounds", "memory_out_of_bounds",
                "memory out of bounds", "out of bounds memory")),
    ("div0", ("integer divide by zero", "divide by zero", "division by zero", "division_by_zero")),
    ("overflow", ("integer overflow", "integer_overflow")),
    ("conversion", ("invalid conversion to integer", "float unrepresentable", "bad_conversion_to_integer",
                    "bad conversion to integer", "conversion to integer")),
    ("unreachable", ("unreachable",)),
]


# Engine messages that name a family of kinds rather than one (V8 reports NaN and out-of-range
# truncation alike, and null entries and signature mismatches alike).
_FAMILIES: list[tuple[str, frozenset[str]]] = [
    ("float unrepresentable", frozenset({"overflow", "conversion"})),
    ("null function or function signature mismatch", frozenset({"null", "signature"})),
]


def trap_classes(text: str | None) -> frozenset[str]:
    """Every class a message may stand for (empty when nothing identifies it)."""
    if not text:
        return frozenset()
    low = text.lower()
    for needle, family in _FAMILIES:
        if needle in low:
            return family
    cls = trap_class(text)
    return frozenset({cls}) if cls else frozenset()


def kinds_conflict(expected: str | None, *actual: str | None) -> bool:
    """True when the engine named a trap kind and it cannot be the one the spec expects."""
    want = trap_class(expected)
    if not want:
        return False
    got: frozenset[str] = frozenset()
    for text in actual:
        got = trap_classes(text)
        if got:
            break
    return bool(got) and want not in got


def trap_class(text: str | None) -> str | None:
    """The class of a trap message or spec text, or None when nothing identifies it."""
    if not text:
        return None
    low = text.lower()
    for cls, needles in _CLASSES:
        if any(n in low for n in needles):
            return cls
    return None


def text_agrees(expected: str | None, actual: str | None) -> bool:
    """Strict agreement: the engine's message contains the spec's text (case-insensitive)."""
    if not expected:
        return True
    return bool(actual) and expected.lower() in actual.lower()
