"""The runtime side of the GC instructions compiled code does not do inline (``gc.py`` emits the calls).

Why Python: GC objects stay the runtime's own (``runtime.gcref``: ``StructRef``/``ArrayRef`` holding their
runtime type and fields in the interpreter's representation), so a struct made by a constant expression, by
the interpreter's code or by compiled code is the same kind of object, casts compare runtime types exactly
as the interpreter does, and CPython's collector owns their memory.  Compiled code holds them through the
store's handle table (``NativeStore.ref_to_native``), which keeps every object it ever handed out alive as
long as the store: no reachable object can be freed, whatever the native stack, globals, tables or
exception payloads hold.

Each call is ``helper("gc", [op, a, b, buf])``: ``op`` indexes ``GC_OPS``, ``a``/``b`` are the
instruction's immediates, ``buf`` the address of its operands in 16-byte slots (``layout.SLOT_SIZE``), in
stack order; the result, if any, is written to slot 0.  ``func.sub`` (``call_indirect`` of a function whose
type is not the expected one) takes two type ids and returns 1 when the first is a subtype of the second.
"""

from __future__ import annotations

import ctypes
import struct
from collections.abc import Callable
from typing import Any

from ...errors import Trap
from ...runtime import gcref as G
from .native import rtt_of_id

GC_OPS = ("struct.new", "struct.new_default", "struct.get", "struct.get_s", "struct.get_u", "struct.set",
          "array.new", "array.new_default", "array.new_fixed", "array.get", "array.get_s", "array.get_u",
          "array.set", "array.len", "array.fill", "array.copy", "array.new_data", "array.new_elem",
          "array.init_data", "array.init_elem", "ref.test", "ref.cast", "any.convert_extern",
          "extern.convert_any", "func.sub")
GC_CODES = {name: i for i, name in enumerate(GC_OPS)}
# ref.test / ref.cast / br_on_cast*: ``a`` is the type index (``TEST_DEFINED`` set in ``b``) or the index of
# an abstract heap type here; ``TEST_NULLABLE`` in ``b``: null passes
ABSTRACT_HEAPS = ("any", "eq", "i31", "struct", "array", "none", "func", "nofunc", "extern", "noextern", "exn",
                  "noexn")
TEST_NULLABLE, TEST_DEFINED = 1, 2

_U64 = ctypes.c_uint64
_ARRAYS = [_U64 * (2 * max(n, 1)) for n in range(8)]  # slot arrays by operand count (made once: not cheap)
_PACKED = {"i8": 0xFF, "i16": 0xFFFF}
_SIGN = {"i8": 0x80, "i16": 0x8000}
_d = struct.Struct("<d")
_Q = struct.Struct("<Q")


def slot_type(storage: str) -> str:
    """The value type a field of ``storage`` has on the operand stack (packed fields are i32)."""
    return "i32" if storage in _PACKED else storage


def _stored(storage: str, raw: Any) -> Any:
    """A raw operand as a struct or array holds it: the interpreter's representation (f64 a Python float,
    packed fields masked), so objects made anywhere look the same."""
    if storage == "f64":
        return _d.unpack(_Q.pack(raw))[0]
    mask = _PACKED.get(storage)
    return raw & mask if mask is not None else raw


def _loaded(storage: str, v: Any, signed: bool) -> Any:
    if storage == "f64":
        return _Q.unpack(_d.pack(v))[0]
    if signed:
        sign = _SIGN[storage]
        return ((v ^ sign) - sign) & 0xFFFFFFFF
    return v


def _default(storage: str) -> Any:
    if storage == "f64":
        return 0.0
    return 0 if storage in ("i8", "i16", "i32", "i64", "f32", "v128") else None


class _Call:
    """One helper call's operands and result slot."""

    __slots__ = ("ni", "store", "slots")

    def __init__(self, ni, addr: int, n: int):
        self.ni = ni
        self.store = ni.store
        self.slots = _ARRAYS[n].from_address(addr) if n < 8 else (_U64 * (2 * n)).from_address(addr)

    def get(self, i: int, t: str) -> Any:
        return self.store.get(self.slots, i, t)

    def ref(self, i: int) -> Any:
        return self.store.ref_from_native("anyref", self.slots[2 * i])

    def u32(self, i: int) -> int:
        return self.slots[2 * i] & 0xFFFFFFFF

    def result(self, t: str, v: Any) -> int:
        self.store.put(self.slots, 0, t, v)
        return 0


def run(ni, s) -> int:
    """Carry out GC helper call ``s`` (the helper's four slots) for native instance ``ni``."""
    op = GC_OPS[s[0]]
    return _HANDLERS[op](ni, op, s[1], s[2], s[3])


def _types(ni, x: int):
    return ni.inst.module.types[x]


def _struct_new(ni, op: str, x: int, _b: int, addr: int) -> int:
    fields = _types(ni, x).fields
    if op == "struct.new":
        c = _Call(ni, addr, len(fields))
        vals = [_stored(f.storage, c.get(i, slot_type(f.storage))) for i, f in enumerate(fields)]
    else:
        c = _Call(ni, addr, 1)
        vals = [_default(f.storage) for f in fields]
    return c.result("anyref", G.StructRef(ni.inst.rtts[x], vals))


def _struct_get(ni, op: str, x: int, f: int, addr: int) -> int:
    c = _Call(ni, addr, 1)
    storage = _types(ni, x).fields[f].storage
    v = G.struct_get(c.ref(0), f)
    return c.result(slot_type(storage), _loaded(storage, v, op == "struct.get_s"))


def _struct_set(ni, op: str, x: int, f: int, addr: int) -> int:
    storage = _types(ni, x).fields[f].storage
    c = _Call(ni, addr, 2)
    G.struct_set(c.ref(0), f, _stored(storage, c.get(1, slot_type(storage))))
    return 0


def _array_new(ni, op: str, x: int, n: int, addr: int) -> int:
    storage = _types(ni, x).field.storage
    rtt = ni.inst.rtts[x]
    t = slot_type(storage)
    if op == "array.new_fixed":
        c = _Call(ni, addr, n)
        return c.result("anyref", G.ArrayRef(rtt, [_stored(storage, c.get(i, t)) for i in range(n)]))
    if op == "array.new":
        c = _Call(ni, addr, 2)
        return c.result("anyref", G.array_new(rtt, _stored(storage, c.get(0, t)), c.u32(1)))
    c = _Call(ni, addr, 1)
    return c.result("anyref", G.array_new(rtt, _default(storage), c.u32(0)))


def _array_get(ni, op: str, x: int, _b: int, addr: int) -> int:
    storage = _types(ni, x).field.storage
    c = _Call(ni, addr, 2)
    v = G.array_get(c.ref(0), c.u32(1))
    return c.result(slot_type(storage), _loaded(storage, v, op == "array.get_s"))


def _array_set(ni, op: str, x: int, _b: int, addr: int) -> int:
    storage = _types(ni, x).field.storage
    c = _Call(ni, addr, 3)
    G.array_set(c.ref(0), c.u32(1), _stored(storage, c.get(2, slot_type(storage))))
    return 0


def _array_len(ni, op: str, _a: int, _b: int, addr: int) -> int:
    c = _Call(ni, addr, 1)
    return c.result("i32", G.array_len(c.ref(0)))


def _array_fill(ni, op: str, x: int, _b: int, addr: int) -> int:
    storage = _types(ni, x).field.storage
    c = _Call(ni, addr, 4)
    G.array_fill(c.ref(0), c.u32(1), _stored(storage, c.get(2, slot_type(storage))), c.u32(3))
    return 0


def _array_copy(ni, op: str, _x: int, _y: int, addr: int) -> int:
    c = _Call(ni, addr, 5)
    G.array_copy(c.ref(0), c.u32(1), c.ref(2), c.u32(3), c.u32(4))
    return 0


def _array_segment(ni, op: str, x: int, seg: int, addr: int) -> int:
    storage = _types(ni, x).field.storage
    inst = ni.inst
    if op.startswith("array.new"):
        c = _Call(ni, addr, 2)
        s, n = c.u32(0), c.u32(1)
        if op == "array.new_data":
            a = G.array_new_data(inst.rtts[x], storage, inst.datas[seg], s, n)
        else:
            a = G.array_new_elem(inst.rtts[x], inst.elems[seg], s, n)
        return c.result("anyref", a)
    c = _Call(ni, addr, 4)
    arr, d, s, n = c.ref(0), c.u32(1), c.u32(2), c.u32(3)
    if op == "array.init_data":
        G.array_init_data(arr, storage, inst.datas[seg], d, s, n)  # (f64 elements come back as floats)
    else:
        G.array_init_elem(arr, inst.elems[seg], d, s, n)
    return 0


def test_operands(ni, a: int, b: int) -> tuple[bool, Any, Any]:
    """(nullable, heap, rtt) of a ref.test's target type, as ``gcref.ref_test`` takes them."""
    if b & TEST_DEFINED:
        return bool(b & TEST_NULLABLE), a, ni.inst.rtts[a]
    return bool(b & TEST_NULLABLE), ABSTRACT_HEAPS[a], None


def _ref_test(ni, op: str, a: int, b: int, addr: int) -> int:
    c = _Call(ni, addr, 1)
    ok = G.ref_test(c.ref(0), *test_operands(ni, a, b))
    if op == "ref.cast" and not ok:
        raise Trap("cast failure")
    return c.result("i32", int(ok))


def _convert(ni, op: str, _a: int, _b: int, addr: int) -> int:
    c = _Call(ni, addr, 1)
    conv = G.any_convert_extern if op == "any.convert_extern" else G.extern_convert_any
    return c.result("anyref", conv(c.ref(0)))


def _func_sub(ni, op: str, actual: int, expected: int, _addr: int) -> int:
    return int(rtt_of_id(actual).sub_of(rtt_of_id(expected)))


_HANDLERS: dict[str, Callable[..., int]] = {
    "struct.new": _struct_new, "struct.new_default": _struct_new,
    "struct.get": _struct_get, "struct.get_s": _struct_get, "struct.get_u": _struct_get, "struct.set": _struct_set,
    "array.new": _array_new, "array.new_default": _array_new, "array.new_fixed": _array_new,
    "array.get": _array_get, "array.get_s": _array_get, "array.get_u": _array_get, "array.set": _array_set,
    "array.len": _array_len, "array.fill": _array_fill, "array.copy": _array_copy,
    "array.new_data": _array_segment, "array.new_elem": _array_segment, "array.init_data": _array_segment,
    "array.init_elem": _array_segment, "ref.test": _ref_test, "ref.cast": _ref_test,
    "any.convert_extern": _convert, "extern.convert_any": _convert, "func.sub": _func_sub,
}
assert set(_HANDLERS) == set(GC_OPS)

__all__ = ["GC_OPS", "GC_CODES", "ABSTRACT_HEAPS", "TEST_NULLABLE", "TEST_DEFINED", "slot_type", "run",
           "test_operands"]
