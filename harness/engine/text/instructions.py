"""Which immediates each plain instruction of wasm 2.0 takes in the text format.

``KINDS`` maps an instruction name to the kind of its immediates; the parser dispatches on the kind.
``NATURAL_ALIGN`` gives the natural alignment (log2 of bytes) of every memory access, the default for
``align=``.
"""

from __future__ import annotations

_INT_OPS = (
    "eqz eq ne lt_s lt_u gt_s gt_u le_s le_u ge_s ge_u clz ctz popcnt add sub mul div_s div_u rem_s rem_u "
    "and or xor shl shr_s shr_u rotl rotr"
)
_FLOAT_OPS = "eq ne lt gt le ge abs neg ceil floor trunc nearest sqrt add sub mul div min max copysign"
_CONVERSIONS = """
i32.wrap_i64 i32.trunc_f32_s i32.trunc_f32_u i32.trunc_f64_s i32.trunc_f64_u
i64.extend_i32_s i64.extend_i32_u i64.trunc_f32_s i64.trunc_f32_u i64.trunc_f64_s i64.trunc_f64_u
f32.convert_i32_s f32.convert_i32_u f32.convert_i64_s f32.convert_i64_u f32.demote_f64
f64.convert_i32_s f64.convert_i32_u f64.convert_i64_s f64.convert_i64_u f64.promote_f32
i32.reinterpret_f32 i64.reinterpret_f64 f32.reinterpret_i32 f64.reinterpret_i64
i32.extend8_s i32.extend16_s i64.extend8_s i64.extend16_s i64.extend32_s
i32.trunc_sat_f32_s i32.trunc_sat_f32_u i32.trunc_sat_f64_s i32.trunc_sat_f64_u
i64.trunc_sat_f32_s i64.trunc_sat_f32_u i64.trunc_sat_f64_s i64.trunc_sat_f64_u
"""
_PLAIN = """
unreachable nop return drop ref.is_null memory.size memory.grow memory.fill memory.copy
v128.not v128.and v128.andnot v128.or v128.xor v128.bitselect v128.any_true
i8x16.swizzle i8x16.splat i16x8.splat i32x4.splat i64x2.splat f32x4.splat f64x2.splat
i8x16.eq i8x16.ne i8x16.lt_s i8x16.lt_u i8x16.gt_s i8x16.gt_u i8x16.le_s i8x16.le_u i8x16.ge_s i8x16.ge_u
i16x8.eq i16x8.ne i16x8.lt_s i16x8.lt_u i16x8.gt_s i16x8.gt_u i16x8.le_s i16x8.le_u i16x8.ge_s i16x8.ge_u
i32x4.eq i32x4.ne i32x4.lt_s i32x4.lt_u i32x4.gt_s i32x4.gt_u i32x4.le_s i32x4.le_u i32x4.ge_s i32x4.ge_u
i64x2.eq i64x2.ne i64x2.lt_s i64x2.gt_s i64x2.le_s i64x2.ge_s
f32x4.eq f32x4.ne f32x4.lt f32x4.gt f32x4.le f32x4.ge
f64x2.eq f64x2.ne f64x2.lt f64x2.gt f64x2.le f64x2.ge
i8x16.abs i8x16.neg i8x16.popcnt i8x16.all_true i8x16.bitmask i8x16.narrow_i16x8_s i8x16.narrow_i16x8_u
i8x16.shl i8x16.shr_s i8x16.shr_u i8x16.add i8x16.add_sat_s i8x16.add_sat_u i8x16.sub i8x16.sub_sat_s
i8x16.sub_sat_u i8x16.min_s i8x16.min_u i8x16.max_s i8x16.max_u i8x16.avgr_u
i16x8.extadd_pairwise_i8x16_s i16x8.extadd_pairwise_i8x16_u i16x8.abs i16x8.neg i16x8.q15mulr_sat_s
i16x8.all_true i16x8.bitmask i16x8.narrow_i32x4_s i16x8.narrow_i32x4_u
i16x8.extend_low_i8x16_s i16x8.extend_high_i8x16_s i16x8.extend_low_i8x16_u i16x8.extend_high_i8x16_u
i16x8.shl i16x8.shr_s i16x8.shr_u i16x8.add i16x8.add_sat_s i16x8.add_sat_u i16x8.sub i16x8.sub_sat_s
i16x8.sub_sat_u i16x8.mul i16x8.min_s i16x8.min_u i16x8.max_s i16x8.max_u i16x8.avgr_u
i16x8.extmul_low_i8x16_s i16x8.extmul_high_i8x16_s i16x8.extmul_low_i8x16_u i16x8.extmul_high_i8x16_u
i32x4.extadd_pairwise_i16x8_s i32x4.extadd_pairwise_i16x8_u i32x4.abs i32x4.neg i32x4.all_true
i32x4.bitmask i32x4.extend_low_i16x8_s i32x4.extend_high_i16x8_s i32x4.extend_low_i16x8_u
i32x4.extend_high_i16x8_u i32x4.shl i32x4.shr_s i32x4.shr_u i32x4.add i32x4.sub i32x4.mul i32x4.min_s
i32x4.min_u i32x4.max_s i32x4.max_u i32x4.dot_i16x8_s i32x4.extmul_low_i16x8_s i32x4.extmul_high_i16x8_s
i32x4.extmul_low_i16x8_u i32x4.extmul_high_i16x8_u
i64x2.abs i64x2.neg i64x2.all_true i64x2.bitmask i64x2.extend_low_i32x4_s i64x2.extend_high_i32x4_s
i64x2.extend_low_i32x4_u i64x2.extend_high_i32x4_u i64x2.shl i64x2.shr_s i64x2.shr_u i64x2.add i64x2.sub
i64x2.mul i64x2.extmul_low_i32x4_s i64x2.extmul_high_i32x4_s i64x2.extmul_low_i32x4_u
i64x2.extmul_high_i32x4_u
f32x4.ceil f32x4.floor f32x4.trunc f32x4.nearest f32x4.abs f32x4.neg f32x4.sqrt f32x4.add f32x4.sub
f32x4.mul f32x4.div f32x4.min f32x4.max f32x4.pmin f32x4.pmax
f64x2.ceil f64x2.floor f64x2.trunc f64x2.nearest f64x2.abs f64x2.neg f64x2.sqrt f64x2.add f64x2.sub
f64x2.mul f64x2.div f64x2.min f64x2.max f64x2.pmin f64x2.pmax
i32x4.trunc_sat_f32x4_s i32x4.trunc_sat_f32x4_u f32x4.convert_i32x4_s f32x4.convert_i32x4_u
i32x4.trunc_sat_f64x2_s_zero i32x4.trunc_sat_f64x2_u_zero f64x2.convert_low_i32x4_s
f64x2.convert_low_i32x4_u f32x4.demote_f64x2_zero f64x2.promote_low_f32x4
i8x16.relaxed_swizzle i32x4.relaxed_trunc_f32x4_s i32x4.relaxed_trunc_f32x4_u i32x4.relaxed_trunc_f64x2_s_zero
i32x4.relaxed_trunc_f64x2_u_zero f32x4.relaxed_madd f32x4.relaxed_nmadd f64x2.relaxed_madd f64x2.relaxed_nmadd
i8x16.relaxed_laneselect i16x8.relaxed_laneselect i32x4.relaxed_laneselect i64x2.relaxed_laneselect
f32x4.relaxed_min f32x4.relaxed_max f64x2.relaxed_min f64x2.relaxed_max i16x8.relaxed_q15mulr_s
i16x8.relaxed_dot_i8x16_i7x16_s i32x4.relaxed_dot_i8x16_i7x16_add_s
"""

NATURAL_ALIGN: dict[str, int] = {
    "i32.load": 2, "i64.load": 3, "f32.load": 2, "f64.load": 3,
    "i32.load8_s": 0, "i32.load8_u": 0, "i32.load16_s": 1, "i32.load16_u": 1,
    "i64.load8_s": 0, "i64.load8_u": 0, "i64.load16_s": 1, "i64.load16_u": 1,
    "i64.load32_s": 2, "i64.load32_u": 2,
    "i32.store": 2, "i64.store": 3, "f32.store": 2, "f64.store": 3,
    "i32.store8": 0, "i32.store16": 1, "i64.store8": 0, "i64.store16": 1, "i64.store32": 2,
    "v128.load": 4, "v128.store": 4,
    "v128.load8x8_s": 3, "v128.load8x8_u": 3, "v128.load16x4_s": 3, "v128.load16x4_u": 3,
    "v128.load32x2_s": 3, "v128.load32x2_u": 3,
    "v128.load8_splat": 0, "v128.load16_splat": 1, "v128.load32_splat": 2, "v128.load64_splat": 3,
    "v128.load32_zero": 2, "v128.load64_zero": 3,
    "v128.load8_lane": 0, "v128.load16_lane": 1, "v128.load32_lane": 2, "v128.load64_lane": 3,
    "v128.store8_lane": 0, "v128.store16_lane": 1, "v128.store32_lane": 2, "v128.store64_lane": 3,
}  # fmt: skip


def _build() -> dict[str, str]:
    kinds: dict[str, str] = {}
    for t in ("i32", "i64"):
        for op in _INT_OPS.split():
            kinds[f"{t}.{op}"] = "none"
    for t in ("f32", "f64"):
        for op in _FLOAT_OPS.split():
            kinds[f"{t}.{op}"] = "none"
    for name in (_CONVERSIONS + _PLAIN).split():
        kinds[name] = "none"
    for name in NATURAL_ALIGN:
        kinds[name] = "memlane" if name.endswith("_lane") else "mem"
    for t in ("i32", "i64", "f32", "f64", "v128"):
        kinds[f"{t}.const"] = "const"
    for shape in ("i8x16", "i16x8"):
        kinds[f"{shape}.extract_lane_s"] = kinds[f"{shape}.extract_lane_u"] = "lane"
        kinds[f"{shape}.replace_lane"] = "lane"
    for shape in ("i32x4", "i64x2", "f32x4", "f64x2"):
        kinds[f"{shape}.extract_lane"] = kinds[f"{shape}.replace_lane"] = "lane"
    kinds.update({
        "block": "block", "loop": "block", "if": "block", "try_table": "block",
        "throw": "tag", "throw_ref": "none",
        "br": "label", "br_if": "label", "br_table": "br_table",
        "call": "func", "ref.func": "func", "call_indirect": "call_indirect",
        "return_call": "func", "return_call_indirect": "call_indirect",
        "call_ref": "type", "return_call_ref": "type", "ref.as_non_null": "none",
        "br_on_null": "label", "br_on_non_null": "label",
        "ref.eq": "none", "ref.i31": "none", "i31.get_s": "none", "i31.get_u": "none",
        "any.convert_extern": "none", "extern.convert_any": "none", "ref.test": "reftype", "ref.cast": "reftype",
        "struct.new": "type", "struct.new_default": "type", "struct.get": "field", "struct.get_s": "field",
        "struct.get_u": "field", "struct.set": "field", "array.new": "type", "array.new_default": "type",
        "array.new_fixed": "type_n", "array.get": "type", "array.get_s": "type", "array.get_u": "type",
        "array.set": "type", "array.len": "none", "array.fill": "type", "array.copy": "type_type",
        "array.new_data": "type_data", "array.init_data": "type_data", "array.new_elem": "type_elem",
        "array.init_elem": "type_elem", "br_on_cast": "br_on_cast", "br_on_cast_fail": "br_on_cast",
        "local.get": "local", "local.set": "local", "local.tee": "local",
        "global.get": "global", "global.set": "global",
        "table.get": "table", "table.set": "table", "table.size": "table", "table.grow": "table",
        "table.fill": "table", "table.copy": "table.copy", "table.init": "table.init",
        "elem.drop": "elem", "memory.init": "memory.init", "data.drop": "data",
        "memory.size": "memory", "memory.grow": "memory", "memory.fill": "memory", "memory.copy": "memory.copy",
        "ref.null": "ref.null", "select": "select", "i8x16.shuffle": "shuffle",
    })  # fmt: skip
    return kinds


KINDS: dict[str, str] = _build()
