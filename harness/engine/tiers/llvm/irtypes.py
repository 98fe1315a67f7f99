"""LLVM types for wasm value types, and small constant helpers used by every part of the code generator."""

from __future__ import annotations

from llvmlite import ir

I1 = ir.IntType(1)
I8 = ir.IntType(8)
I16 = ir.IntType(16)
I32 = ir.IntType(32)
I64 = ir.IntType(64)
I128 = ir.IntType(128)
F32 = ir.FloatType()
F64 = ir.DoubleType()
V128 = ir.VectorType(I64, 2)  # canonical v128 representation; lane views are bitcasts of it
PTR = ir.PointerType()
VOID = ir.VoidType()

VALTYPES = {
    "i32": I32,
    "i64": I64,
    "f32": F32,
    "f64": F64,
    "v128": V128,
    "funcref": I64,  # address of a function record, 0 = null
    "externref": I64,  # handle of a host object, 0 = null
}


def lltype(valtype: str) -> ir.Type:
    """Every reference type beyond 2.0's (typed function references, ``exnref``, GC's) is a 64-bit word too:
    a function record's address, a handle, or 0 for null."""
    t = VALTYPES.get(valtype)
    if t is None:
        if not (valtype.startswith("(ref ") or valtype.endswith("ref")):
            raise KeyError(valtype)
        t = I64
    return t


def const(ty: ir.Type, value: int) -> ir.Constant:
    """An integer constant of ``ty`` from an unsigned (or signed) Python int."""
    return ir.Constant(ty, value & ((1 << ty.width) - 1))


def f32_bits(bits: int) -> ir.Constant:
    """An f32 constant with exactly these IEEE bits (NaN payloads survive, unlike a Python float)."""
    return ir.Constant(I32, bits & 0xFFFFFFFF).bitcast(F32)


def f64_bits(bits: int) -> ir.Constant:
    return ir.Constant(I64, bits & 0xFFFFFFFFFFFFFFFF).bitcast(F64)


def v128_const(value: int) -> ir.Constant:
    value &= (1 << 128) - 1
    return ir.Constant(V128, [ir.Constant(I64, value & (2**64 - 1)), ir.Constant(I64, value >> 64)])


def zero(ty: ir.Type) -> ir.Constant:
    if isinstance(ty, ir.VectorType):
        return ir.Constant(ty, [ir.Constant(ty.element, 0)] * ty.count)
    if ty in (F32, F64):
        return ir.Constant(ty, 0.0)
    return ir.Constant(ty, 0)


def ret_type(results: tuple[str, ...]) -> ir.Type:
    """Return type of a compiled function: void, the value type, or a literal struct for multi-value."""
    if not results:
        return VOID
    if len(results) == 1:
        return lltype(results[0])
    return ir.LiteralStructType([lltype(t) for t in results])


def func_type(params: tuple[str, ...], results: tuple[str, ...]) -> ir.FunctionType:
    """Signature of every compiled wasm function: ``ret f(ptr ctx, i64 floor, params...)``.

    ``floor`` is the lowest stack address the callee may run at (see ``FunctionCompiler._stack_check``)."""
    return ir.FunctionType(ret_type(results), [PTR, I64] + [lltype(t) for t in params])


FIRST_PARAM = 2  # index of the first wasm parameter among a compiled function's LLVM arguments
