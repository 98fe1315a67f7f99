"""Translation of the GC instructions (3.0): what is cheap is inline, the rest calls the runtime.

Inline: ``ref.i31`` and ``i31.get_*`` (an i31 is the tagged word ``value << 1 | 1``, ``native``), ``ref.eq``
(one compare: handles are unique per object, i31 words per value), the null checks and branches of
``br_on_cast*``.  Everything that touches a struct, an array or a runtime type (allocation, field access,
``ref.test``/``ref.cast``, the extern/any conversions) calls ``helper("gc", ...)``, whose Python side
(``gcops``) works on the runtime's own objects, so casts compare runtime types exactly as the interpreter.
"""

from __future__ import annotations

from llvmlite import ir

from ... import types
from . import layout as L
from .gcops import ABSTRACT_HEAPS, GC_CODES, TEST_DEFINED, TEST_NULLABLE, slot_type
from .irtypes import I32, I64, lltype
from .translate import FunctionCompiler, load_field, store_field

_ZERO64 = ir.Constant(I64, 0)


def _buffer(fc: FunctionCompiler, n: int):
    """The function's operand buffer of ``n`` slots: one per size, shared by every call site (each uses it
    only from its stores to its result's load), so a function with many GC instructions keeps a small
    frame."""
    bufs = fc.__dict__.setdefault("gc_buffers", {})
    buf = bufs.get(n)
    if buf is None:
        buf = bufs[n] = fc.alloca(ir.ArrayType(I64, 2 * n))
        buf.align = 16
    return buf


def call_gc(fc: FunctionCompiler, op: str, a: int, b: int, operands: list, result: str | None):
    """Call the runtime for ``op`` with ``operands`` (in 16-byte slots); returns the result of type
    ``result`` (read from slot 0), or None."""
    bld = fc.b
    buf = _buffer(fc, max(len(operands), 1))
    for i, v in enumerate(operands):
        store_field(bld, buf, i * L.SLOT_SIZE, v, align=8)
    fc.helper("gc", [ir.Constant(I64, GC_CODES[op]), ir.Constant(I64, a), ir.Constant(I64, b),
                     bld.ptrtoint(buf, I64)])
    return load_field(bld, buf, 0, lltype(result), align=8) if result is not None else None


def _struct_new(fc: FunctionCompiler, ins) -> None:
    fields = fc.mc.types[ins[1]].fields
    vals = fc.popn(len(fields)) if ins[0] == "struct.new" else []
    fc.push(call_gc(fc, ins[0], ins[1], 0, vals, "anyref"))


def _struct_get(fc: FunctionCompiler, ins) -> None:
    storage = fc.mc.types[ins[1]].fields[ins[2]].storage
    fc.push(call_gc(fc, ins[0], ins[1], ins[2], [fc.pop()], slot_type(storage)))


def _struct_set(fc: FunctionCompiler, ins) -> None:
    call_gc(fc, ins[0], ins[1], ins[2], fc.popn(2), None)


def _array_new(fc: FunctionCompiler, ins) -> None:
    name = ins[0]
    if name == "array.new_fixed":
        fc.push(call_gc(fc, name, ins[1], ins[2], fc.popn(ins[2]), "anyref"))
    else:
        fc.push(call_gc(fc, name, ins[1], 0, fc.popn(2 if name == "array.new" else 1), "anyref"))


def _array_get(fc: FunctionCompiler, ins) -> None:
    storage = fc.mc.types[ins[1]].field.storage
    fc.push(call_gc(fc, ins[0], ins[1], 0, fc.popn(2), slot_type(storage)))


def _array_set(fc: FunctionCompiler, ins) -> None:
    call_gc(fc, ins[0], ins[1], 0, fc.popn(3), None)


def _array_len(fc: FunctionCompiler, ins) -> None:
    fc.push(call_gc(fc, "array.len", 0, 0, [fc.pop()], "i32"))


def _array_fill(fc: FunctionCompiler, ins) -> None:
    call_gc(fc, "array.fill", ins[1], 0, fc.popn(4), None)


def _array_copy(fc: FunctionCompiler, ins) -> None:
    call_gc(fc, "array.copy", ins[1], ins[2], fc.popn(5), None)


def _array_segment(fc: FunctionCompiler, ins) -> None:
    name = ins[0]
    if name.startswith("array.new"):
        fc.push(call_gc(fc, name, ins[1], ins[2], fc.popn(2), "anyref"))
    else:
        call_gc(fc, name, ins[1], ins[2], fc.popn(4), None)


def _test_imms(t: str) -> tuple[int, int]:
    nullable, heap = types.parse(t)
    flags = TEST_NULLABLE if nullable else 0
    if isinstance(heap, int):
        return heap, flags | TEST_DEFINED
    return ABSTRACT_HEAPS.index(heap), flags


def _ref_test(fc: FunctionCompiler, ins) -> None:
    a, b = _test_imms(ins[1])
    if ins[0] == "ref.test":
        fc.push(call_gc(fc, "ref.test", a, b, [fc.pop()], "i32"))
    else:  # the helper traps on failure; the reference stays on the stack
        call_gc(fc, "ref.cast", a, b, [fc.stack[-1]], None)


def _br_on_cast(fc: FunctionCompiler, ins) -> None:
    """Branch with the reference (the label's last value) when the test passes (``br_on_cast``) or fails
    (``br_on_cast_fail``); else go on with it."""
    bld = fc.b
    a, b = _test_imms(ins[3])
    ok = call_gc(fc, "ref.test", a, b, [fc.stack[-1]], "i32")
    cond = bld.icmp_unsigned("!=" if ins[0] == "br_on_cast" else "==", ok, ir.Constant(I32, 0))
    taken, cont = fc.new_block(), fc.new_block()
    bld.cbranch(cond, taken, cont)
    bld.position_at_end(taken)
    fc.branch_to(fc.frames[-1 - ins[1]])
    bld.position_at_end(cont)


def _convert(fc: FunctionCompiler, ins) -> None:
    fc.push(call_gc(fc, ins[0], 0, 0, [fc.pop()], "anyref"))


def _ref_i31(fc: FunctionCompiler, ins) -> None:
    bld = fc.b
    v = bld.zext(bld.and_(fc.pop(), ir.Constant(I32, 0x7FFFFFFF)), I64)
    fc.push(bld.or_(bld.shl(v, ir.Constant(I64, 1)), ir.Constant(I64, 1)))


def _i31_get(fc: FunctionCompiler, ins) -> None:
    bld = fc.b
    ref = fc.pop()
    fc.trap_if(bld.icmp_unsigned("==", ref, _ZERO64), L.TRAP_CODES["null i31 reference"])
    word = bld.trunc(ref, I32)
    one = ir.Constant(I32, 1)
    fc.push(bld.ashr(word, one) if ins[0] == "i31.get_s" else bld.lshr(word, one))


def _ref_eq(fc: FunctionCompiler, ins) -> None:
    bld = fc.b
    rhs, lhs = fc.pop(), fc.pop()
    fc.push(bld.zext(bld.icmp_unsigned("==", lhs, rhs), I32))


def func_subtype(fc: FunctionCompiler, actual, expected):
    """1 (i64) when runtime type id ``actual`` is a subtype of ``expected`` (``call_indirect``'s slow
    path, taken only when the ids differ)."""
    return fc.helper("gc", [ir.Constant(I64, GC_CODES["func.sub"]), actual, expected, _ZERO64])


GC_HANDLERS = {
    "struct.new": _struct_new, "struct.new_default": _struct_new,
    "struct.get": _struct_get, "struct.get_s": _struct_get, "struct.get_u": _struct_get, "struct.set": _struct_set,
    "array.new": _array_new, "array.new_default": _array_new, "array.new_fixed": _array_new,
    "array.get": _array_get, "array.get_s": _array_get, "array.get_u": _array_get, "array.set": _array_set,
    "array.len": _array_len, "array.fill": _array_fill, "array.copy": _array_copy,
    "array.new_data": _array_segment, "array.new_elem": _array_segment, "array.init_data": _array_segment,
    "array.init_elem": _array_segment,
    "ref.test": _ref_test, "ref.cast": _ref_test, "br_on_cast": _br_on_cast, "br_on_cast_fail": _br_on_cast,
    "any.convert_extern": _convert, "extern.convert_any": _convert,
    "ref.i31": _ref_i31, "i31.get_s": _i31_get, "i31.get_u": _i31_get, "ref.eq": _ref_eq,
}

__all__ = ["GC_HANDLERS", "call_gc", "func_subtype"]
