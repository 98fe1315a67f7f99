"""Values of spec scripts: parsing JSON constants into raw values and matching results against expectations.

Raw values are what every driver exchanges with the executor, so NaN payloads and signed zeros stay exact:
``i32``/``i64``/``f32``/``f64``/``v128`` are unsigned Python ints holding the bit pattern (v128 lane 0 in
the least significant bits); references are ``None`` for null, ``HostRef(n)`` for ``ref.extern n`` and any
other non-None object for a non-null function reference.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

BITS = {"i32": 32, "i64": 64, "f32": 32, "f64": 64, "v128": 128}
LANE_BITS = {"i8": 8, "i16": 16, "i32": 32, "i64": 64, "f32": 32, "f64": 64}
NUMERIC = frozenset(BITS)
REF_TYPES = frozenset({"funcref", "externref", "anyref", "exnref", "nullref", "nullfuncref", "nullexternref",
                       "eqref", "i31ref", "structref", "arrayref", "ref"})

F32_EXP = 0x7F800000
F32_QUIET = 0x00400000
F64_EXP = 0x7FF0000000000000
F64_QUIET = 0x0008000000000000


@dataclass(frozen=True)
class HostRef:
    """The host reference ``ref.extern n`` of a script: equal to another exactly when the numbers are."""

    n: int

    def __repr__(self) -> str:
        return f"ref.extern {self.n}"


def mask(value: int, bits: int) -> int:
    return value & ((1 << bits) - 1)


def parse_int(text: str, bits: int) -> int:
    """Decimal (possibly negative) or hex constant text -> unsigned bit pattern."""
    return mask(int(text, 0), bits)


def lanes_to_raw(lane_type: str, lanes: list[str]) -> int:
    """v128 lanes (strings as the JSON gives them) -> 128-bit int; NaN patterns become a canonical NaN."""
    bits = LANE_BITS[lane_type]
    raw = 0
    for i, lane in enumerate(lanes):
        if lane.startswith("nan:"):
            v = canonical_nan(lane_type)
        else:
            v = parse_int(lane, bits)
        raw |= v << (i * bits)
    return raw


def canonical_nan(t: str) -> int:
    return 0x7FC00000 if t == "f32" else 0x7FF8000000000000


def arg_to_raw(v: dict[str, Any]) -> Any:
    """A JSON argument constant -> raw value (arguments are never NaN patterns)."""
    t = v["type"]
    if t == "v128":
        return lanes_to_raw(v["lane_type"], v["value"])
    if t in NUMERIC:
        return parse_int(v["value"], BITS[t])
    return ref_from_json(v)


def ref_from_json(v: dict[str, Any]) -> Any:
    value = v.get("value")
    if value is None or value == "null":
        return None
    return HostRef(int(value))


def is_canonical_nan(t: str, bits: int) -> bool:
    if t == "f32":
        return bits & 0x7FFFFFFF == 0x7FC00000
    return bits & 0x7FFFFFFFFFFFFFFF == 0x7FF8000000000000


def is_arithmetic_nan(t: str, bits: int) -> bool:
    if t == "f32":
        return bits & (F32_EXP | F32_QUIET) == F32_EXP | F32_QUIET
    return bits & (F64_EXP | F64_QUIET) == F64_EXP | F64_QUIET


def _match_scalar(t: str, text: str, bits: int) -> bool:
    if text == "nan:canonical":
        return is_canonical_nan(t, bits)
    if text == "nan:arithmetic":
        return is_arithmetic_nan(t, bits)
    return parse_int(text, BITS.get(t) or LANE_BITS[t]) == bits


def match(expected: dict[str, Any], actual: Any) -> bool:
    """Does the raw ``actual`` result satisfy the JSON ``expected`` value (bit-exact, NaN classes, lanes)?"""
    t = expected["type"]
    if t == "either":
        return any(match(e, actual) for e in expected["values"])
    if t == "v128":
        if not isinstance(actual, int):
            return False
        lane_type = expected["lane_type"]
        bits = LANE_BITS[lane_type]
        for i, lane in enumerate(expected["value"]):
            lane_bits = (actual >> (i * bits)) & ((1 << bits) - 1)
            if not _match_scalar(lane_type, lane, lane_bits):
                return False
        return True
    if t in NUMERIC:
        return isinstance(actual, int) and not isinstance(actual, bool) and _match_scalar(t, expected["value"], actual)
    # references
    value = expected.get("value")
    if value == "null" or t == "refnull" or t.startswith("null"):  # (ref.null), (ref.null none): only null
        return actual is None
    if value is None:  # (ref.func) / (ref.extern) without a number: any non-null reference
        return actual is not None
    if t == "externref" or t == "anyref":
        return isinstance(actual, HostRef) and actual.n == int(value)
    return actual is not None  # (ref.func N): engines cannot name functions by index from outside


def format_expected(expected: dict[str, Any]) -> str:
    t = expected["type"]
    if t == "either":
        return "either(" + ", ".join(format_expected(e) for e in expected["values"]) + ")"
    if t == "v128":
        return f"v128 {expected['lane_type']}x{len(expected['value'])} " + " ".join(expected["value"])
    if t in NUMERIC:
        text = expected["value"]
        if text.startswith("nan:"):
            return f"{t} {text}"
        return format_raw(t, parse_int(text, BITS[t]))
    value = expected.get("value")
    if value == "null" or t == "refnull" or t.startswith("null"):
        return f"ref.null {t.removesuffix('ref').removesuffix('null')}".rstrip()
    if value is None:
        return f"non-null {t}"
    return f"ref.extern {value}" if t in ("externref", "anyref") else f"{t} {value}"


def format_raw(t: str, raw: Any) -> str:
    """Human-readable raw value: ints signed and hex, floats with their bits."""
    if raw is None:
        return "null" if t not in BITS else f"{t} (missing)"
    if isinstance(raw, HostRef):
        return repr(raw)
    if not isinstance(raw, int):
        return f"{t} {type(raw).__name__}"
    if t in ("i32", "i64"):
        bits = BITS[t]
        signed = raw - (1 << bits) if raw >> (bits - 1) else raw
        return f"{t} {signed} ({raw:#x})"
    if t in ("f32", "f64"):
        import struct

        value = struct.unpack("<f" if t == "f32" else "<d", raw.to_bytes(BITS[t] // 8, "little"))[0]
        return f"{t} {value!r} (bits {raw:#x})"
    if t == "v128":
        return f"v128 {raw:#034x}"
    return f"{t} {raw!r}"
