"""SIMD (v128) instructions -> LLVM vector IR.

A v128 is carried as ``<2 x i64>`` and bitcast to the lane shape each instruction works on; LLVM's generic
vector operations and target-independent intrinsics (``llvm.sadd.sat``, ``llvm.smin``, ``llvm.fptosi.sat``,
``llvm.minimum``, ...) keep this portable to every host LLVM supports.  Where an LLVM operation would be
poison for some inputs (``extractelement`` with an out-of-range index in ``swizzle``), the index is clamped
and the lane zeroed explicitly.

Which lane shapes there are and which operations each has (and the relaxed instructions that are their strict
counterparts) come from the interpreter's lane table in ``exec/simd.py``, so both tiers implement one list.
"""

from __future__ import annotations

from functools import partial

from llvmlite import ir

from ...exec.simd import (
    FLOAT_SHAPES,
    INT_LANE_OPS,
    INT_SHAPES,
    LANE_SHAPES,
    PAIRWISE_WIDENINGS,
    RELAXED_AS_STRICT,
    WIDENINGS,
)
from .irtypes import F32, F64, I8, I16, I32, V128, v128_const

SHAPES = {shape: ir.VectorType({32: F32, 64: F64}[w] if shape in FLOAT_SHAPES else ir.IntType(w), 128 // w)
          for shape, (_, w) in LANE_SHAPES.items()}
INT_OF = {shape: ir.VectorType(ir.IntType(LANE_SHAPES[shape][1]), SHAPES[shape].count) for shape in FLOAT_SHAPES}
OPS: dict[str, object] = {}
# a comparison's LLVM predicate by the name's stem (``lt`` of ``lt_s``, ``f32x4.lt``)
PREDICATES = {"eq": "==", "ne": "!=", "lt": "<", "gt": ">", "le": "<=", "ge": ">="}


def vty_name(ty: ir.VectorType) -> str:
    e = ty.element
    return f"v{ty.count}{'f32' if e == F32 else 'f64' if e == F64 else f'i{e.width}'}"


def as_(fc, v, shape: str):
    ty = SHAPES[shape]
    return v if v.type == ty else fc.b.bitcast(v, ty)


def out(fc, v) -> None:
    fc.push(v if v.type == V128 else fc.b.bitcast(v, V128))


def splat_const(ty: ir.VectorType, value) -> ir.Constant:
    return ir.Constant(ty, [ir.Constant(ty.element, value)] * ty.count)


def intrinsic(fc, name: str, ty: ir.Type, args: list, ret: ir.Type | None = None):
    fn = fc.mc.intrinsic(name, ret or ty, [a.type for a in args])
    return fc.b.call(fn, args)


def splat(fc, scalar, ty: ir.VectorType):
    b = fc.b
    v = b.insert_element(ir.Constant(ty, ir.Undefined), scalar, ir.Constant(I32, 0))
    return b.shuffle_vector(v, ir.Constant(ty, ir.Undefined), ir.Constant(ir.VectorType(I32, ty.count), [0] * ty.count))


def shuffle(fc, a, b_, idx: list[int]):
    return fc.b.shuffle_vector(a, b_, ir.Constant(ir.VectorType(I32, len(idx)), idx))


def half(fc, v, high: bool):
    n = v.type.count // 2
    return shuffle(fc, v, ir.Constant(v.type, ir.Undefined), list(range(n, 2 * n) if high else range(n)))


def widen(ty: ir.VectorType, count: int | None = None) -> ir.VectorType:
    return ir.VectorType(ir.IntType(ty.element.width * 2), count or ty.count)


# -- memory ----------------------------------------------------------------------------------------------
def _memory_ops() -> None:
    def load(fc, ins):
        p = fc.effective_address(ins[2], 16, ins[3] if len(ins) > 3 else 0)
        v = fc.mem_load(p, V128)
        fc.push(v)

    def store(fc, ins):
        v = fc.pop()
        p = fc.effective_address(ins[2], 16, ins[3] if len(ins) > 3 else 0)
        fc.mem_store(v, p)

    OPS["v128.load"] = load
    OPS["v128.store"] = store

    def load_ext(shape_in: str, signed: bool):
        ty = SHAPES[shape_in]
        half_ty = ir.VectorType(ty.element, ty.count // 2)
        wide = widen(half_ty)

        def h(fc, ins):
            p = fc.effective_address(ins[2], 8, ins[3] if len(ins) > 3 else 0)
            v = fc.mem_load(p, half_ty)
            out(fc, (fc.b.sext if signed else fc.b.zext)(v, wide))

        return h

    for _, shape in WIDENINGS:  # 64 bits of narrow lanes, extended
        n = LANE_SHAPES[shape][1]
        m = 64 // n
        OPS[f"v128.load{n}x{m}_s"] = load_ext(shape, True)
        OPS[f"v128.load{n}x{m}_u"] = load_ext(shape, False)

    def load_splat(shape: str):
        ty = SHAPES[shape]

        def h(fc, ins):
            p = fc.effective_address(ins[2], ty.element.width // 8, ins[3] if len(ins) > 3 else 0)
            x = fc.mem_load(p, ty.element)
            out(fc, splat(fc, x, ty))

        return h

    for shape in INT_SHAPES:
        n = LANE_SHAPES[shape][1]
        OPS[f"v128.load{n}_splat"] = load_splat(shape)

    def load_zero(shape: str):
        ty = SHAPES[shape]

        def h(fc, ins):
            p = fc.effective_address(ins[2], ty.element.width // 8, ins[3] if len(ins) > 3 else 0)
            x = fc.mem_load(p, ty.element)
            out(fc, fc.b.insert_element(splat_const(ty, 0), x, ir.Constant(I32, 0)))

        return h

    OPS["v128.load32_zero"] = load_zero("i32x4")
    OPS["v128.load64_zero"] = load_zero("i64x2")

    def load_lane(shape: str):
        ty = SHAPES[shape]

        def h(fc, ins):
            v = as_(fc, fc.pop(), shape)
            p = fc.effective_address(ins[2], ty.element.width // 8, ins[4] if len(ins) > 4 else 0)
            x = fc.mem_load(p, ty.element)
            out(fc, fc.b.insert_element(v, x, ir.Constant(I32, ins[3])))

        return h

    def store_lane(shape: str):
        ty = SHAPES[shape]

        def h(fc, ins):
            v = as_(fc, fc.pop(), shape)
            p = fc.effective_address(ins[2], ty.element.width // 8, ins[4] if len(ins) > 4 else 0)
            fc.mem_store(fc.b.extract_element(v, ir.Constant(I32, ins[3])), p)

        return h

    for shape in INT_SHAPES:
        n = LANE_SHAPES[shape][1]
        OPS[f"v128.load{n}_lane"] = load_lane(shape)
        OPS[f"v128.store{n}_lane"] = store_lane(shape)


# -- constants, shuffles, lanes ---------------------------------------------------------------------------
def _lane_ops() -> None:
    OPS["v128.const"] = lambda fc, ins: fc.push(v128_const(ins[1]))

    def shuffle_op(fc, ins):
        b_ = as_(fc, fc.pop(), "i8x16")
        a = as_(fc, fc.pop(), "i8x16")
        out(fc, shuffle(fc, a, b_, list(ins[1])))

    OPS["i8x16.shuffle"] = shuffle_op

    def swizzle(fc, ins):
        b = fc.b
        idx = as_(fc, fc.pop(), "i8x16")
        a = as_(fc, fc.pop(), "i8x16")
        res = splat_const(SHAPES["i8x16"], 0)
        sixteen = ir.Constant(I8, 16)
        for i in range(16):
            j = b.extract_element(idx, ir.Constant(I32, i))
            ok = b.icmp_unsigned("<", j, sixteen)
            lane = b.extract_element(a, b.and_(j, ir.Constant(I8, 15)))
            res = b.insert_element(res, b.select(ok, lane, ir.Constant(I8, 0)), ir.Constant(I32, i))
        out(fc, res)

    OPS["i8x16.swizzle"] = swizzle

    for shape, ty in SHAPES.items():
        def splat_op(fc, ins, ty=ty):
            x = fc.pop()
            if isinstance(ty.element, ir.IntType) and x.type != ty.element:
                x = fc.b.trunc(x, ty.element)
            out(fc, splat(fc, x, ty))

        OPS[f"{shape}.splat"] = splat_op

        def extract(ext, shape=shape, ty=ty):
            def h(fc, ins):
                x = fc.b.extract_element(as_(fc, fc.pop(), shape), ir.Constant(I32, ins[1]))
                if ext == "s":
                    x = fc.b.sext(x, I32)
                elif ext == "u":
                    x = fc.b.zext(x, I32)
                fc.push(x)

            return h

        def replace(fc, ins, shape=shape, ty=ty):
            x = fc.pop()
            v = as_(fc, fc.pop(), shape)
            if isinstance(ty.element, ir.IntType) and x.type != ty.element:
                x = fc.b.trunc(x, ty.element)
            out(fc, fc.b.insert_element(v, x, ir.Constant(I32, ins[1])))

        if LANE_SHAPES[shape][1] < 32:
            OPS[f"{shape}.extract_lane_s"] = extract("s")
            OPS[f"{shape}.extract_lane_u"] = extract("u")
        else:
            OPS[f"{shape}.extract_lane"] = extract(None)
        OPS[f"{shape}.replace_lane"] = replace


# -- bitwise and tests --------------------------------------------------------------------------------------
def _bitwise_ops() -> None:
    ones = splat_const(SHAPES["i64x2"], -1)

    def bin_(fn):
        def h(fc, ins):
            c = fc.pop()
            a = fc.pop()
            fc.push(fn(fc.b, a, c))

        return h

    OPS["v128.and"] = bin_(lambda b, a, c: b.and_(a, c))
    OPS["v128.or"] = bin_(lambda b, a, c: b.or_(a, c))
    OPS["v128.xor"] = bin_(lambda b, a, c: b.xor(a, c))
    OPS["v128.andnot"] = bin_(lambda b, a, c: b.and_(a, b.xor(c, ones)))
    OPS["v128.not"] = lambda fc, ins: fc.push(fc.b.xor(fc.pop(), ones))

    def bitselect(fc, ins):
        b = fc.b
        m = fc.pop()
        v2 = fc.pop()
        v1 = fc.pop()
        fc.push(b.or_(b.and_(v1, m), b.and_(v2, b.xor(m, ones))))

    OPS["v128.bitselect"] = bitselect

    def any_true(fc, ins):
        b = fc.b
        x = b.bitcast(fc.pop(), ir.IntType(128))
        fc.push(b.zext(b.icmp_unsigned("!=", x, ir.Constant(ir.IntType(128), 0)), I32))

    OPS["v128.any_true"] = any_true


# -- integer lanes ---------------------------------------------------------------------------------------
def _lane_binop(shape, fn):
    """Handler for a two-operand lane op: both v128 operands viewed as ``shape``, ``fn`` builds the result."""

    def h(fc, ins):
        c = as_(fc, fc.pop(), shape)
        a = as_(fc, fc.pop(), shape)
        out(fc, fn(fc, a, c))

    return h


def _lane_unop(shape, fn):
    """Handler for a one-operand lane op on a v128 viewed as ``shape``."""

    def h(fc, ins):
        out(fc, fn(fc, as_(fc, fc.pop(), shape)))

    return h


def _int_lane_handlers(shape: str) -> dict[str, object]:
    """A handler for every integer lane operation ``shape`` could have; ``INT_LANE_OPS`` says which it has.
    A name's ``_s``/``_u`` picks the signed or unsigned LLVM operation."""
    ty = SHAPES[shape]
    w = ty.element.width
    vn = vty_name(ty)
    mask_ty = ir.IntType(ty.count)
    binop = partial(_lane_binop, shape)
    unop = partial(_lane_unop, shape)
    ops: dict[str, object] = {
        "add": binop(lambda fc, a, c: fc.b.add(a, c)),
        "sub": binop(lambda fc, a, c: fc.b.sub(a, c)),
        "mul": binop(lambda fc, a, c: fc.b.mul(a, c)),
        "neg": unop(lambda fc, a: fc.b.sub(splat_const(ty, 0), a)),
    }

    def abs_(fc, a):
        b = fc.b
        return b.select(b.icmp_signed("<", a, splat_const(ty, 0)), b.sub(splat_const(ty, 0), a), a)

    ops["abs"] = unop(abs_)

    def all_true(fc, ins):
        b = fc.b
        nz = b.icmp_unsigned("!=", as_(fc, fc.pop(), shape), splat_const(ty, 0))
        bits = b.bitcast(nz, mask_ty)
        fc.push(b.zext(b.icmp_unsigned("==", bits, ir.Constant(mask_ty, (1 << ty.count) - 1)), I32))

    def bitmask(fc, ins):
        b = fc.b
        neg = b.icmp_signed("<", as_(fc, fc.pop(), shape), splat_const(ty, 0))
        fc.push(b.zext(b.bitcast(neg, mask_ty), I32))

    ops["all_true"], ops["bitmask"] = all_true, bitmask

    def shift(method):
        def h(fc, ins):
            b = fc.b
            cnt = b.and_(fc.pop(), ir.Constant(I32, w - 1))
            cnt = b.trunc(cnt, ty.element) if w < 32 else (b.zext(cnt, ty.element) if w > 32 else cnt)
            a = as_(fc, fc.pop(), shape)
            out(fc, getattr(b, method)(a, splat(fc, cnt, ty)))

        return h

    ops["shl"], ops["shr_s"], ops["shr_u"] = shift("shl"), shift("ashr"), shift("lshr")

    for stem, pred in PREDICATES.items():
        variants = ((stem, False),) if stem in ("eq", "ne") else ((f"{stem}_s", True), (f"{stem}_u", False))
        for name, signed in variants:
            def cmp(fc, a, c, pred=pred, signed=signed):
                r = (fc.b.icmp_signed if signed else fc.b.icmp_unsigned)(pred, a, c)
                return fc.b.sext(r, ty)

            ops[name] = binop(cmp)

    def lane_intrinsic(intr: str):
        return binop(lambda fc, a, c: intrinsic(fc, f"llvm.{intr}.{vn}", ty, [a, c]))

    for sg in ("s", "u"):
        ops[f"min_{sg}"], ops[f"max_{sg}"] = lane_intrinsic(f"{sg}min"), lane_intrinsic(f"{sg}max")
        ops[f"add_sat_{sg}"], ops[f"sub_sat_{sg}"] = lane_intrinsic(f"{sg}add.sat"), lane_intrinsic(f"{sg}sub.sat")

    def avgr(fc, a, c):
        b = fc.b
        wt = widen(ty)
        s = b.add(b.add(b.zext(a, wt), b.zext(c, wt)), splat_const(wt, 1))
        return b.trunc(b.lshr(s, splat_const(wt, 1)), ty)

    ops["avgr_u"] = binop(avgr)
    return ops


def _int_ops() -> None:
    for shape in INT_SHAPES:
        handlers = _int_lane_handlers(shape)
        for name, shapes in INT_LANE_OPS.items():
            if shape in shapes:
                OPS[f"{shape}.{name}"] = handlers[name]

    OPS["i8x16.popcnt"] = lambda fc, ins: out(fc, intrinsic(fc, "llvm.ctpop.v16i8", SHAPES["i8x16"], [as_(fc, fc.pop(), "i8x16")]))

    # narrowing with saturation
    for src, dst in PAIRWISE_WIDENINGS:
        sty, dty = SHAPES[src], SHAPES[dst]
        cat_ty = ir.VectorType(sty.element, dty.count)
        dw = dty.element.width

        def narrow(signed, src=src, cat_ty=cat_ty, dty=dty, dw=dw):
            lo, hi = (-(1 << (dw - 1)), (1 << (dw - 1)) - 1) if signed else (0, (1 << dw) - 1)
            vn = vty_name(cat_ty)

            def h(fc, ins):
                c = as_(fc, fc.pop(), src)
                a = as_(fc, fc.pop(), src)
                v = shuffle(fc, a, c, list(range(dty.count)))
                v = intrinsic(fc, f"llvm.smax.{vn}", cat_ty, [v, splat_const(cat_ty, lo)])
                v = intrinsic(fc, f"llvm.smin.{vn}", cat_ty, [v, splat_const(cat_ty, hi)])
                out(fc, fc.b.trunc(v, dty))

            return h

        OPS[f"{dst}.narrow_{src}_s"] = narrow(True)
        OPS[f"{dst}.narrow_{src}_u"] = narrow(False)

    # extension, extended multiplication, pairwise addition, dot product
    for dst, src in WIDENINGS:
        dty = SHAPES[dst]

        def extend(high, signed, src=src, dty=dty):
            def h(fc, ins):
                v = half(fc, as_(fc, fc.pop(), src), high)
                out(fc, (fc.b.sext if signed else fc.b.zext)(v, dty))

            return h

        def extmul(high, signed, src=src, dty=dty):
            def h(fc, ins):
                b = fc.b
                c = (b.sext if signed else b.zext)(half(fc, as_(fc, fc.pop(), src), high), dty)
                a = (b.sext if signed else b.zext)(half(fc, as_(fc, fc.pop(), src), high), dty)
                out(fc, b.mul(a, c))

            return h

        for hi_name, high in (("low", False), ("high", True)):
            for sfx, signed in (("s", True), ("u", False)):
                OPS[f"{dst}.extend_{hi_name}_{src}_{sfx}"] = extend(high, signed)
                OPS[f"{dst}.extmul_{hi_name}_{src}_{sfx}"] = extmul(high, signed)

        if (dst, src) in PAIRWISE_WIDENINGS:
            def extadd(signed, src=src, dty=dty):
                def h(fc, ins):
                    b = fc.b
                    v = as_(fc, fc.pop(), src)
                    n = dty.count
                    ev = shuffle(fc, v, ir.Constant(v.type, ir.Undefined), list(range(0, 2 * n, 2)))
                    od = shuffle(fc, v, ir.Constant(v.type, ir.Undefined), list(range(1, 2 * n, 2)))
                    ext = b.sext if signed else b.zext
                    out(fc, b.add(ext(ev, dty), ext(od, dty)))

                return h

            OPS[f"{dst}.extadd_pairwise_{src}_s"] = extadd(True)
            OPS[f"{dst}.extadd_pairwise_{src}_u"] = extadd(False)

    def dot(fc, ins):
        b = fc.b
        wide = ir.VectorType(I32, 8)
        c = b.sext(as_(fc, fc.pop(), "i16x8"), wide)
        a = b.sext(as_(fc, fc.pop(), "i16x8"), wide)
        p = b.mul(a, c)
        ev = shuffle(fc, p, ir.Constant(wide, ir.Undefined), [0, 2, 4, 6])
        od = shuffle(fc, p, ir.Constant(wide, ir.Undefined), [1, 3, 5, 7])
        out(fc, b.add(ev, od))

    OPS["i32x4.dot_i16x8_s"] = dot

    def q15mulr(fc, ins):
        b = fc.b
        wide = ir.VectorType(I32, 8)
        c = b.sext(as_(fc, fc.pop(), "i16x8"), wide)
        a = b.sext(as_(fc, fc.pop(), "i16x8"), wide)
        r = b.ashr(b.add(b.mul(a, c), splat_const(wide, 0x4000)), splat_const(wide, 15))
        r = intrinsic(fc, "llvm.smin.v8i32", wide, [r, splat_const(wide, 0x7FFF)])
        out(fc, b.trunc(r, SHAPES["i16x8"]))

    OPS["i16x8.q15mulr_sat_s"] = q15mulr


# -- float lanes -----------------------------------------------------------------------------------------
def _float_ops() -> None:
    for shape in FLOAT_SHAPES:
        ty = SHAPES[shape]
        ity = INT_OF[shape]
        w = ity.element.width
        vn = vty_name(ty)

        binop = partial(_lane_binop, shape)
        unop = partial(_lane_unop, shape)

        for name, method in (("add", "fadd"), ("sub", "fsub"), ("mul", "fmul"), ("div", "fdiv")):
            OPS[f"{shape}.{name}"] = binop(lambda fc, a, c, method=method: getattr(fc.b, method)(a, c))
        for name, intr in (("min", "minimum"), ("max", "maximum")):
            def mm(fc, a, c, intr=intr, vn=vn, ty=ty):
                r = intrinsic(fc, f"llvm.{intr}.{vn}", ty, [a, c])
                return intrinsic(fc, f"llvm.canonicalize.{vn}", ty, [r])

            OPS[f"{shape}.{name}"] = binop(mm)
        OPS[f"{shape}.pmin"] = binop(lambda fc, a, c: fc.b.select(fc.b.fcmp_ordered("<", c, a), c, a))
        OPS[f"{shape}.pmax"] = binop(lambda fc, a, c: fc.b.select(fc.b.fcmp_ordered("<", a, c), c, a))
        for name, intr in (("sqrt", "sqrt"), ("ceil", "ceil"), ("floor", "floor"), ("trunc", "trunc"),
                           ("nearest", "roundeven")):
            OPS[f"{shape}.{name}"] = unop(lambda fc, a, intr=intr, vn=vn, ty=ty: intrinsic(fc, f"llvm.{intr}.{vn}", ty, [a]))

        def bits_op(fn, ity=ity, ty=ty, w=w):
            def h(fc, ins):
                x = fc.b.bitcast(fc.pop(), ity)
                out(fc, fn(fc.b, x))

            return h

        OPS[f"{shape}.abs"] = bits_op(lambda b, x, ity=ity, w=w: b.and_(x, splat_const(ity, (1 << (w - 1)) - 1)))
        OPS[f"{shape}.neg"] = bits_op(lambda b, x, ity=ity, w=w: b.xor(x, splat_const(ity, 1 << (w - 1))))

        for name, pred in PREDICATES.items():
            def cmp(fc, a, c, pred=pred, ity=ity):
                r = fc.b.fcmp_unordered(pred, a, c) if pred == "!=" else fc.b.fcmp_ordered(pred, a, c)
                return fc.b.sext(r, ity)

            OPS[f"{shape}.{name}"] = binop(cmp)

    v4i32, v4f32, v2f64 = SHAPES["i32x4"], SHAPES["f32x4"], SHAPES["f64x2"]
    v2i32, v2f32 = ir.VectorType(I32, 2), ir.VectorType(F32, 2)

    def conv(fn, src):
        def h(fc, ins):
            out(fc, fn(fc, as_(fc, fc.pop(), src)))

        return h

    OPS["i32x4.trunc_sat_f32x4_s"] = conv(lambda fc, v: intrinsic(fc, "llvm.fptosi.sat.v4i32.v4f32", v4i32, [v]), "f32x4")
    OPS["i32x4.trunc_sat_f32x4_u"] = conv(lambda fc, v: intrinsic(fc, "llvm.fptoui.sat.v4i32.v4f32", v4i32, [v]), "f32x4")
    OPS["f32x4.convert_i32x4_s"] = conv(lambda fc, v: fc.b.sitofp(v, v4f32), "i32x4")
    OPS["f32x4.convert_i32x4_u"] = conv(lambda fc, v: fc.b.uitofp(v, v4f32), "i32x4")

    def zero_extend_lanes(fc, v2):
        return shuffle(fc, v2, ir.Constant(v2.type, [ir.Constant(v2.type.element, 0)] * 2), [0, 1, 2, 3])

    OPS["i32x4.trunc_sat_f64x2_s_zero"] = conv(
        lambda fc, v: zero_extend_lanes(fc, intrinsic(fc, "llvm.fptosi.sat.v2i32.v2f64", v2i32, [v])), "f64x2")
    OPS["i32x4.trunc_sat_f64x2_u_zero"] = conv(
        lambda fc, v: zero_extend_lanes(fc, intrinsic(fc, "llvm.fptoui.sat.v2i32.v2f64", v2i32, [v])), "f64x2")
    OPS["f64x2.convert_low_i32x4_s"] = conv(lambda fc, v: fc.b.sitofp(half(fc, v, False), v2f64), "i32x4")
    OPS["f64x2.convert_low_i32x4_u"] = conv(lambda fc, v: fc.b.uitofp(half(fc, v, False), v2f64), "i32x4")
    OPS["f32x4.demote_f64x2_zero"] = conv(lambda fc, v: zero_extend_lanes(fc, fc.b.fptrunc(v, v2f32)), "f64x2")
    OPS["f64x2.promote_low_f32x4"] = conv(lambda fc, v: fc.b.fpext(half(fc, v, False), v2f64), "f32x4")


# -- relaxed SIMD (3.0) ------------------------------------------------------------------------------------
def _relaxed_ops() -> None:
    """The same deterministic choice for each relaxed instruction as the interpreter's
    (``exec.simd``, end of the file), so both tiers and every host agree: swizzle, trunc, laneselect,
    min/max and q15mulr are their strict counterparts (out-of-range swizzle lanes are zero, trunc
    saturates, laneselect is bitselect); madd/nmadd round twice (a multiply, then an add: never fused, so
    no host's FMA changes a result); the i7 dot products multiply signed by signed and wrap."""
    for name, strict in RELAXED_AS_STRICT.items():
        OPS[name] = OPS[strict]

    def madd(shape: str, negate: bool):
        mul, add, neg = OPS[f"{shape}.mul"], OPS[f"{shape}.add"], OPS[f"{shape}.neg"]

        def h(fc, ins):
            c = fc.pop()
            mul(fc, ins)
            if negate:
                neg(fc, ins)
            fc.push(c)
            add(fc, ins)

        return h

    for shape in FLOAT_SHAPES:
        OPS[f"{shape}.relaxed_madd"] = madd(shape, False)
        OPS[f"{shape}.relaxed_nmadd"] = madd(shape, True)

    def products(fc, a, b_, lane: ir.IntType):
        """Lane-wise signed products of two i8x16 vectors, each widened to ``lane`` (no overflow)."""
        wide = ir.VectorType(lane, 16)
        return fc.b.mul(fc.b.sext(as_(fc, a, "i8x16"), wide), fc.b.sext(as_(fc, b_, "i8x16"), wide))

    def dot_i16(fc, ins):
        b_ = fc.pop()
        a = fc.pop()
        p = products(fc, a, b_, I16)
        out(fc, fc.b.add(shuffle(fc, p, p, list(range(0, 16, 2))), shuffle(fc, p, p, list(range(1, 16, 2)))))

    def dot_add_i32(fc, ins):
        c = fc.pop()
        b_ = fc.pop()
        a = fc.pop()
        p = products(fc, a, b_, I32)
        acc = as_(fc, c, "i32x4")
        for k in range(4):
            acc = fc.b.add(acc, shuffle(fc, p, p, list(range(k, 16, 4))))
        out(fc, acc)

    OPS["i16x8.relaxed_dot_i8x16_i7x16_s"] = dot_i16
    OPS["i32x4.relaxed_dot_i8x16_i7x16_add_s"] = dot_add_i32


_memory_ops()
_lane_ops()
_bitwise_ops()
_int_ops()
_float_ops()
_relaxed_ops()

SIMD_OPS = OPS
