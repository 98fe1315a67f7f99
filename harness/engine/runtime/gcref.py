"""References of 3.0's GC proposal that are not functions: structs and arrays (Python objects holding their
runtime type and a list of fields or elements, in the interpreter's value representation), ``i31`` values,
and host values converted between the ``extern`` and ``any`` hierarchies (``any.convert_extern``,
``extern.convert_any``), with the operations and runtime tests (``ref.test``/``ref.cast``, ``ref.eq``)
the interpreter's code calls.  The collector is CPython's: an object lives while something refers to it.
"""

from __future__ import annotations

from typing import Any

from ..errors import Trap, WasmException
from .objects import FuncInstance
from .rtt import RTT


class I31:
    """An unboxed 31-bit scalar as a reference: ``value`` is its unsigned 31-bit pattern."""

    __slots__ = ("value",)

    def __init__(self, value: int):
        self.value = value & 0x7FFFFFFF

    def __eq__(self, other: object) -> bool:
        return isinstance(other, I31) and other.value == self.value

    def __hash__(self) -> int:
        return hash(self.value)

    def __repr__(self) -> str:
        return f"<i31 {self.value}>"


class StructRef:
    __slots__ = ("rtt", "fields")

    def __init__(self, rtt: RTT, fields: list):
        self.rtt = rtt
        self.fields = fields


class ArrayRef:
    __slots__ = ("rtt", "elems")

    def __init__(self, rtt: RTT, elems: list):
        self.rtt = rtt
        self.elems = elems


MAX_ARRAY = 10_000_000  # elements: a host limit, as the spec allows allocation to fail


def struct_get(s: StructRef | None, i: int) -> Any:
    if s is None:
        raise Trap("null structure reference")
    return s.fields[i]


def struct_set(s: StructRef | None, i: int, v: Any) -> None:
    if s is None:
        raise Trap("null structure reference")
    s.fields[i] = v


def array_new(rtt: RTT, v: Any, n: int) -> ArrayRef:
    if n > MAX_ARRAY:
        raise Trap("out of bounds array access")  # more than this engine allocates
    return ArrayRef(rtt, [v] * n)


def _elems(a: ArrayRef | None) -> list:
    if a is None:
        raise Trap("null array reference")
    return a.elems


def array_get(a: ArrayRef | None, i: int) -> Any:
    el = _elems(a)
    if i >= len(el):
        raise Trap("out of bounds array access")
    return el[i]


def array_set(a: ArrayRef | None, i: int, v: Any) -> None:
    el = _elems(a)
    if i >= len(el):
        raise Trap("out of bounds array access")
    el[i] = v


def array_len(a: ArrayRef | None) -> int:
    return len(_elems(a))


def array_fill(a: ArrayRef | None, d: int, v: Any, n: int) -> None:
    el = _elems(a)
    if d + n > len(el):
        raise Trap("out of bounds array access")
    el[d : d + n] = [v] * n


def array_copy(dst: ArrayRef | None, d: int, src: ArrayRef | None, s: int, n: int) -> None:
    de, se = _elems(dst), _elems(src)
    if d + n > len(de) or s + n > len(se):
        raise Trap("out of bounds array access")
    de[d : d + n] = se[s : s + n]


_DATA_FORMATS = {"i8": "B", "i16": "H", "i32": "I", "i64": "Q", "f32": "I", "f64": "d"}


def _from_data(storage: str, data: bytes | None, s: int, n: int) -> list:
    """``n`` elements of ``storage`` read from a data segment at byte ``s`` (the interpreter's values)."""
    import struct

    data = data or b""
    if storage == "v128":
        size = 16
        if s + n * size > len(data):
            raise Trap("out of bounds memory access")
        return [int.from_bytes(data[s + i * 16 : s + i * 16 + 16], "little") for i in range(n)]
    fmt = _DATA_FORMATS[storage]
    size = struct.calcsize(fmt)
    if s + n * size > len(data):
        raise Trap("out of bounds memory access")
    return list(struct.unpack_from(f"<{n}{fmt}", data, s))


def _from_elem(seg: list | None, s: int, n: int) -> list:
    seg = seg or []
    if s + n > len(seg):
        raise Trap("out of bounds table access")
    return seg[s : s + n]


def array_new_data(rtt: RTT, storage: str, data: bytes | None, s: int, n: int) -> ArrayRef:
    if n > MAX_ARRAY:
        raise Trap("out of bounds memory access")
    return ArrayRef(rtt, _from_data(storage, data, s, n))


def array_new_elem(rtt: RTT, seg: list | None, s: int, n: int) -> ArrayRef:
    return ArrayRef(rtt, _from_elem(seg, s, n))


def array_init_data(a: ArrayRef | None, storage: str, data: bytes | None, d: int, s: int, n: int) -> None:
    el = _elems(a)
    if d + n > len(el):
        raise Trap("out of bounds array access")
    el[d : d + n] = _from_data(storage, data, s, n)


def array_init_elem(a: ArrayRef | None, seg: list | None, d: int, s: int, n: int) -> None:
    el = _elems(a)
    if d + n > len(el):
        raise Trap("out of bounds array access")
    el[d : d + n] = _from_elem(seg, s, n)


class Externalized:
    """An ``any`` reference made by wasm (an i31, a struct, an array) as an ``extern`` one: converting back
    gives the reference itself.  A host value needs no wrapping either way: it is the same reference in both
    hierarchies, as the host sees it."""

    __slots__ = ("value",)

    def __init__(self, value: Any):
        self.value = value


def any_convert_extern(x: Any) -> Any:
    return x.value if isinstance(x, Externalized) else x


def extern_convert_any(x: Any) -> Any:
    return Externalized(x) if isinstance(x, (I31, StructRef, ArrayRef)) else x


def ref_eq(a: Any, b: Any) -> bool:
    if isinstance(a, I31):
        return a == b
    return a is b


def i31_get(x: Any, signed: bool) -> int:
    if x is None:
        raise Trap("null i31 reference")
    v = x.value
    return (v | 0x80000000 if v & 0x40000000 else v) if signed else v


_ABSTRACT_OF = {I31: ("i31", "eq", "any"), FuncInstance: ("func",),
                WasmException: ("exn",), StructRef: ("struct", "eq", "any"), ArrayRef: ("array", "eq", "any")}


def ref_test(x: Any, nullable: bool, heap: str | int, rtt: RTT | None) -> bool:
    """Whether reference ``x`` is of type ``(ref null? heap)`` (``rtt``: the runtime type of a defined one)."""
    if x is None:
        return nullable
    if rtt is not None:
        if isinstance(x, (StructRef, ArrayRef)):
            return x.rtt.sub_of(rtt)
        return isinstance(x, FuncInstance) and (x.rtt is rtt or _func_rtt(x).sub_of(rtt))
    # a host value is in both the extern and the any hierarchy (validation keeps the test within one)
    return heap in _ABSTRACT_OF.get(type(x), ("extern", "any"))


def _func_rtt(f: FuncInstance) -> RTT:
    from .instance import rtt_of

    return rtt_of(f)


__all__ = ["StructRef", "ArrayRef", "struct_get", "struct_set", "array_new", "array_get", "array_set", "array_len",
           "array_fill", "array_copy", "array_new_data", "array_new_elem", "array_init_data", "array_init_elem",
           "I31", "Externalized", "any_convert_extern", "extern_convert_any", "ref_eq", "i31_get",
           "ref_test"]
