"""Scalar instructions (constants, integer and float arithmetic, conversions, loads and stores) -> LLVM IR.

Every handler has the signature ``handler(fc, ins)`` with ``fc`` a ``translate.FunctionCompiler``.  Where an
LLVM instruction has undefined behaviour or poison for some inputs, the wasm-defined result or trap is
produced explicitly:

* division: zero divisor -> trap; ``INT_MIN / -1`` -> "integer overflow"; ``INT_MIN % -1`` -> 0
* shifts mask their count; rotates are funnel shifts (count taken modulo the width by definition)
* clz/ctz use the ``is_zero_poison = false`` form
* float->int truncation checks NaN and range before ``fptosi``/``fptoui``; the saturating forms use
  ``llvm.fpto[su]i.sat`` whose semantics are wasm's
* abs/neg/copysign are integer operations on the bits, so NaN payloads pass through unchanged
* min/max are ``llvm.minimum``/``llvm.maximum`` (NaN-propagating, -0 < +0), nearest is ``llvm.roundeven``
"""

from __future__ import annotations

from llvmlite import ir

from . import layout as L
from .irtypes import F32, F64, I1, I8, I16, I32, I64, f32_bits, f64_bits

INT = {"i32": I32, "i64": I64}
FLT = {"f32": F32, "f64": F64}
BITS_OF = {F32: I32, F64: I64}
OPS: dict[str, object] = {}

_TRAP = L.TRAP_CODES


def _bool(fc, cond) -> None:
    fc.push(fc.b.zext(cond, I32))


def _const_handlers() -> None:
    OPS["i32.const"] = lambda fc, ins: fc.push(ir.Constant(I32, ins[1] & 0xFFFFFFFF))
    OPS["i64.const"] = lambda fc, ins: fc.push(ir.Constant(I64, ins[1] & 0xFFFFFFFFFFFFFFFF))
    def fconst(make, identities):
        def h(fc, ins):
            c = make(ins[1])
            if ins[1] in identities:
                c.wasm_identity = True  # see _float_handlers.binop
            fc.push(c)

        return h

    OPS["f32.const"] = fconst(f32_bits, {0, 0x80000000, 0x3F800000, 0xBF800000})
    OPS["f64.const"] = fconst(f64_bits, {0, 1 << 63, 0x3FF0000000000000, 0xBFF0000000000000})


def _int_handlers(p: str, ty: ir.IntType) -> None:
    w = ty.width
    mask = ir.Constant(ty, w - 1)
    zero = ir.Constant(ty, 0)
    minus1 = ir.Constant(ty, (1 << w) - 1)
    int_min = ir.Constant(ty, 1 << (w - 1))

    def binop(method):
        def h(fc, ins):
            c = fc.pop()
            a = fc.pop()
            fc.push(getattr(fc.b, method)(a, c))

        return h

    for name, method in (("add", "add"), ("sub", "sub"), ("mul", "mul"), ("and", "and_"), ("or", "or_"), ("xor", "xor")):
        OPS[f"{p}.{name}"] = binop(method)

    def shift(method):
        def h(fc, ins):
            c = fc.pop()
            a = fc.pop()
            fc.push(getattr(fc.b, method)(a, fc.b.and_(c, mask)))

        return h

    OPS[f"{p}.shl"] = shift("shl")
    OPS[f"{p}.shr_s"] = shift("ashr")
    OPS[f"{p}.shr_u"] = shift("lshr")

    def rotate(kind):
        def h(fc, ins):
            c = fc.pop()
            a = fc.pop()
            fn = fc.mc.intrinsic(f"llvm.{kind}.i{w}", ty, [ty, ty, ty])
            fc.push(fc.b.call(fn, [a, a, c]))

        return h

    OPS[f"{p}.rotl"] = rotate("fshl")
    OPS[f"{p}.rotr"] = rotate("fshr")

    def div(signed: bool, rem: bool):
        def h(fc, ins):
            b = fc.b
            c = fc.pop()
            a = fc.pop()
            fc.trap_if(b.icmp_unsigned("==", c, zero), _TRAP["integer divide by zero"])
            if signed and not rem:
                ovf = b.and_(b.icmp_unsigned("==", a, int_min), b.icmp_unsigned("==", c, minus1))
                fc.trap_if(ovf, _TRAP["integer overflow"])
                fc.push(b.sdiv(a, c))
            elif signed:
                safe = b.select(b.icmp_unsigned("==", c, minus1), ir.Constant(ty, 1), c)
                fc.push(b.srem(a, safe))
            else:
                fc.push(b.urem(a, c) if rem else b.udiv(a, c))

        return h

    OPS[f"{p}.div_s"] = div(True, False)
    OPS[f"{p}.div_u"] = div(False, False)
    OPS[f"{p}.rem_s"] = div(True, True)
    OPS[f"{p}.rem_u"] = div(False, True)

    def cmp(op, signed):
        def h(fc, ins):
            c = fc.pop()
            a = fc.pop()
            _bool(fc, (fc.b.icmp_signed if signed else fc.b.icmp_unsigned)(op, a, c))

        return h

    for name, op, signed in (
        ("eq", "==", False),
        ("ne", "!=", False),
        ("lt_s", "<", True),
        ("lt_u", "<", False),
        ("gt_s", ">", True),
        ("gt_u", ">", False),
        ("le_s", "<=", True),
        ("le_u", "<=", False),
        ("ge_s", ">=", True),
        ("ge_u", ">=", False),
    ):
        OPS[f"{p}.{name}"] = cmp(op, signed)

    OPS[f"{p}.eqz"] = lambda fc, ins: _bool(fc, fc.b.icmp_unsigned("==", fc.pop(), zero))

    def count(name, with_flag):
        def h(fc, ins):
            args = [ty, I1] if with_flag else [ty]
            fn = fc.mc.intrinsic(f"llvm.{name}.i{w}", ty, args)
            a = fc.pop()
            fc.push(fc.b.call(fn, [a, ir.Constant(I1, 0)] if with_flag else [a]))

        return h

    OPS[f"{p}.clz"] = count("ctlz", True)
    OPS[f"{p}.ctz"] = count("cttz", True)
    OPS[f"{p}.popcnt"] = count("ctpop", False)

    def extend(narrow):
        def h(fc, ins):
            fc.push(fc.b.sext(fc.b.trunc(fc.pop(), narrow), ty))

        return h

    OPS[f"{p}.extend8_s"] = extend(I8)
    OPS[f"{p}.extend16_s"] = extend(I16)
    if w == 64:
        OPS["i64.extend32_s"] = extend(I32)


def _float_handlers(p: str, ty: ir.Type) -> None:
    bits = BITS_OF[ty]
    w = bits.width
    sign = ir.Constant(bits, 1 << (w - 1))
    magnitude = ir.Constant(bits, (1 << (w - 1)) - 1)
    sfx = "f32" if ty == F32 else "f64"

    def binop(method):
        # LLVM folds x-0, x*1, x/1, x*-1 ... to x (or a sign flip) without quieting a signalling NaN, which
        # wasm requires; an identity constant operand therefore gets its result canonicalised (quieted).
        def h(fc, ins):
            c = fc.pop()
            a = fc.pop()
            r = getattr(fc.b, method)(a, c)
            if getattr(a, "wasm_identity", False) or getattr(c, "wasm_identity", False):
                r = fc.b.call(fc.mc.intrinsic(f"llvm.canonicalize.{sfx}", ty, [ty]), [r])
            fc.push(r)

        return h

    for name, method in (("add", "fadd"), ("sub", "fsub"), ("mul", "fmul"), ("div", "fdiv")):
        OPS[f"{p}.{name}"] = binop(method)

    def intrinsic2(name):
        # llvm.minimum may return a signalling NaN operand unchanged; wasm wants an arithmetic (quiet) NaN.
        def h(fc, ins):
            c = fc.pop()
            a = fc.pop()
            r = fc.b.call(fc.mc.intrinsic(f"llvm.{name}.{sfx}", ty, [ty, ty]), [a, c])
            fc.push(fc.b.call(fc.mc.intrinsic(f"llvm.canonicalize.{sfx}", ty, [ty]), [r]))

        return h

    OPS[f"{p}.min"] = intrinsic2("minimum")
    OPS[f"{p}.max"] = intrinsic2("maximum")

    def intrinsic1(name):
        def h(fc, ins):
            fc.push(fc.b.call(fc.mc.intrinsic(f"llvm.{name}.{sfx}", ty, [ty]), [fc.pop()]))

        return h

    for name, llname in (("sqrt", "sqrt"), ("ceil", "ceil"), ("floor", "floor"), ("trunc", "trunc"), ("nearest", "roundeven")):
        OPS[f"{p}.{name}"] = intrinsic1(llname)

    def bitop(fn):
        def h(fc, ins):
            b = fc.b
            fc.push(b.bitcast(fn(b, b.bitcast(fc.pop(), bits)), ty))

        return h

    OPS[f"{p}.abs"] = bitop(lambda b, x: b.and_(x, magnitude))
    OPS[f"{p}.neg"] = bitop(lambda b, x: b.xor(x, sign))

    def copysign(fc, ins):
        b = fc.b
        s = b.bitcast(fc.pop(), bits)
        m = b.bitcast(fc.pop(), bits)
        fc.push(b.bitcast(b.or_(b.and_(m, magnitude), b.and_(s, sign)), ty))

    OPS[f"{p}.copysign"] = copysign

    def cmp(op):
        def h(fc, ins):
            c = fc.pop()
            a = fc.pop()
            _bool(fc, fc.b.fcmp_ordered(op, a, c) if op != "!=" else fc.b.fcmp_unordered(op, a, c))

        return h

    for name, op in (("eq", "=="), ("ne", "!="), ("lt", "<"), ("gt", ">"), ("le", "<="), ("ge", ">=")):
        OPS[f"{p}.{name}"] = cmp(op)


def _fconst(ty: ir.Type, value: float) -> ir.Constant:
    return ir.Constant(ty, value)


def _conversion_handlers() -> None:
    OPS["i32.wrap_i64"] = lambda fc, ins: fc.push(fc.b.trunc(fc.pop(), I32))
    OPS["i64.extend_i32_s"] = lambda fc, ins: fc.push(fc.b.sext(fc.pop(), I64))
    OPS["i64.extend_i32_u"] = lambda fc, ins: fc.push(fc.b.zext(fc.pop(), I64))
    def demote(fc, ins):
        # LLVM folds demote(promote(x)) to x, which would keep a signalling NaN signalling.
        x = fc.pop()
        r = fc.b.fptrunc(x, F32)
        if getattr(x, "opname", None) == "fpext":
            r = fc.b.call(fc.mc.intrinsic("llvm.canonicalize.f32", F32, [F32]), [r])
        fc.push(r)

    OPS["f32.demote_f64"] = demote
    OPS["f64.promote_f32"] = lambda fc, ins: fc.push(fc.b.fpext(fc.pop(), F64))
    OPS["i32.reinterpret_f32"] = lambda fc, ins: fc.push(fc.b.bitcast(fc.pop(), I32))
    OPS["i64.reinterpret_f64"] = lambda fc, ins: fc.push(fc.b.bitcast(fc.pop(), I64))
    OPS["f32.reinterpret_i32"] = lambda fc, ins: fc.push(fc.b.bitcast(fc.pop(), F32))
    OPS["f64.reinterpret_i64"] = lambda fc, ins: fc.push(fc.b.bitcast(fc.pop(), F64))

    for ip, ity in INT.items():
        n = ity.width
        for fp, fty in FLT.items():
            sfx = "f32" if fty == F32 else "f64"

            def convert(signed, fty=fty):
                def h(fc, ins):
                    fc.push((fc.b.sitofp if signed else fc.b.uitofp)(fc.pop(), fty))

                return h

            OPS[f"{fp}.convert_{ip}_s"] = convert(True)
            OPS[f"{fp}.convert_{ip}_u"] = convert(False)

            def trunc(signed, ity=ity, fty=fty, n=n, sfx=sfx):
                # Powers of two are exact in both float formats, so the range test on trunc(x) is exact.
                lo = _fconst(fty, -(2.0 ** (n - 1))) if signed else _fconst(fty, -1.0)
                hi = _fconst(fty, 2.0 ** (n - 1)) if signed else _fconst(fty, 2.0**n)

                def h(fc, ins):
                    b = fc.b
                    x = fc.pop()
                    fc.trap_if(b.fcmp_unordered("uno", x, x), _TRAP["invalid conversion to integer"])
                    t = b.call(fc.mc.intrinsic(f"llvm.trunc.{sfx}", fty, [fty]), [x])
                    low_ok = b.fcmp_ordered(">=", t, lo) if signed else b.fcmp_ordered(">", t, lo)
                    ok = b.and_(low_ok, b.fcmp_ordered("<", t, hi))
                    fc.trap_if(b.not_(ok), _TRAP["integer overflow"])
                    fc.push((b.fptosi if signed else b.fptoui)(t, ity))

                return h

            OPS[f"{ip}.trunc_{fp}_s"] = trunc(True)
            OPS[f"{ip}.trunc_{fp}_u"] = trunc(False)

            def trunc_sat(signed, ity=ity, fty=fty, n=n, sfx=sfx):
                name = f"llvm.fpto{'s' if signed else 'u'}i.sat.i{n}.{sfx}"

                def h(fc, ins):
                    fc.push(fc.b.call(fc.mc.intrinsic(name, ity, [fty]), [fc.pop()]))

                return h

            OPS[f"{ip}.trunc_sat_{fp}_s"] = trunc_sat(True)
            OPS[f"{ip}.trunc_sat_{fp}_u"] = trunc_sat(False)


def _memory_handlers() -> None:
    def load(ty, mem_ty, ext):
        size = mem_ty.width // 8 if isinstance(mem_ty, ir.IntType) else (4 if mem_ty == F32 else 8)

        def h(fc, ins):
            b = fc.b
            ptr = fc.effective_address(ins[2], size, ins[3] if len(ins) > 3 else 0)
            v = fc.mem_load(ptr, mem_ty)
            if ext == "s":
                v = b.sext(v, ty)
            elif ext == "u":
                v = b.zext(v, ty)
            fc.push(v)

        return h

    def store(mem_ty):
        size = mem_ty.width // 8 if isinstance(mem_ty, ir.IntType) else (4 if mem_ty == F32 else 8)

        def h(fc, ins):
            b = fc.b
            v = fc.pop()
            ptr = fc.effective_address(ins[2], size, ins[3] if len(ins) > 3 else 0)
            if isinstance(mem_ty, ir.IntType) and v.type != mem_ty:
                v = b.trunc(v, mem_ty)
            fc.mem_store(v, ptr)

        return h

    OPS["i32.load"] = load(I32, I32, None)
    OPS["i64.load"] = load(I64, I64, None)
    OPS["f32.load"] = load(F32, F32, None)
    OPS["f64.load"] = load(F64, F64, None)
    for p, ty in INT.items():
        for bits_, narrow in ((8, I8), (16, I16), (32, I32)):
            if bits_ >= ty.width:
                continue
            OPS[f"{p}.load{bits_}_s"] = load(ty, narrow, "s")
            OPS[f"{p}.load{bits_}_u"] = load(ty, narrow, "u")
            OPS[f"{p}.store{bits_}"] = store(narrow)
    OPS["i32.store"] = store(I32)
    OPS["i64.store"] = store(I64)
    OPS["f32.store"] = store(F32)
    OPS["f64.store"] = store(F64)


_const_handlers()
for _p, _t in INT.items():
    _int_handlers(_p, _t)
for _p, _t in FLT.items():
    _float_handlers(_p, _t)
_conversion_handlers()
_memory_handlers()

SCALAR_OPS = OPS
