"""Python expression templates for the numeric instructions, used by the code generator.

Each entry is ``name -> (kind, template)``: ``kind`` is ``"p"`` (pure, may be deferred and folded into
later expressions), ``"c"`` (a comparison: the template is a Python boolean, used directly by ``if``/
``br_if``/``select``), or ``"t"`` (may trap: evaluated at once, in program order).  ``{0}``, ``{1}`` are the
operands in stack order.  Representation: i32/i64 unsigned ints, f32 raw bits, f64 Python floats.
"""

from __future__ import annotations

OPS: dict[str, tuple[str, str]] = {}


def _int(t: str, bits: int) -> None:
    m = hex((1 << bits) - 1)
    s = hex(1 << (bits - 1))
    sh = bits - 1
    o = OPS
    o[f"{t}.add"] = ("p", f"(({{0}} + {{1}}) & {m})")
    o[f"{t}.sub"] = ("p", f"(({{0}} - {{1}}) & {m})")
    o[f"{t}.mul"] = ("p", f"(({{0}} * {{1}}) & {m})")
    o[f"{t}.div_s"] = ("t", f"{t}_div_s({{0}}, {{1}})")
    o[f"{t}.rem_s"] = ("t", f"{t}_rem_s({{0}}, {{1}})")
    o[f"{t}.div_u"] = ("t", "int_div_u({0}, {1})")
    o[f"{t}.rem_u"] = ("t", "int_rem_u({0}, {1})")
    o[f"{t}.and"] = ("p", "({0} & {1})")
    o[f"{t}.or"] = ("p", "({0} | {1})")
    o[f"{t}.xor"] = ("p", "({0} ^ {1})")
    o[f"{t}.shl"] = ("p", f"(({{0}} << ({{1}} & {sh})) & {m})")
    o[f"{t}.shr_u"] = ("p", f"({{0}} >> ({{1}} & {sh}))")
    o[f"{t}.shr_s"] = ("p", f"(((({{0}} ^ {s}) - {s}) >> ({{1}} & {sh})) & {m})")
    o[f"{t}.rotl"] = ("p", f"{t}_rotl({{0}}, {{1}})")
    o[f"{t}.rotr"] = ("p", f"{t}_rotr({{0}}, {{1}})")
    o[f"{t}.clz"] = ("p", f"({bits} - ({{0}}).bit_length())")
    o[f"{t}.ctz"] = ("p", f"{t}_ctz({{0}})")
    o[f"{t}.popcnt"] = ("p", "({0}).bit_count()")
    o[f"{t}.eqz"] = ("c", "{0} == 0")
    o[f"{t}.eq"] = ("c", "{0} == {1}")
    o[f"{t}.ne"] = ("c", "{0} != {1}")
    for op, py in (("lt", "<"), ("gt", ">"), ("le", "<="), ("ge", ">=")):
        o[f"{t}.{op}_u"] = ("c", f"{{0}} {py} {{1}}")
        o[f"{t}.{op}_s"] = ("c", f"({{0}} ^ {s}) {py} ({{1}} ^ {s})")
    for n in (8, 16, 32):
        if n < bits:
            nm, ns = hex((1 << n) - 1), hex(1 << (n - 1))
            o[f"{t}.extend{n}_s"] = ("p", f"(((({{0}} & {nm}) ^ {ns}) - {ns}) & {m})")


_int("i32", 32)
_int("i64", 64)

for _op in ("add", "sub", "mul", "div", "min", "max", "sqrt", "ceil", "floor", "trunc", "nearest"):
    _n = 1 if _op in ("sqrt", "ceil", "floor", "trunc", "nearest") else 2
    OPS[f"f32.{_op}"] = ("p", f"f32_{_op}({{0}}{', {1}' if _n == 2 else ''})")
    if _op not in ("add", "sub", "mul"):
        OPS[f"f64.{_op}"] = ("p", f"f64_{_op}({{0}}{', {1}' if _n == 2 else ''})")
OPS["f64.add"] = ("p", "({0} + {1})")
OPS["f64.sub"] = ("p", "({0} - {1})")
OPS["f64.mul"] = ("p", "({0} * {1})")
OPS["f32.abs"] = ("p", "({0} & 0x7fffffff)")
OPS["f32.neg"] = ("p", "({0} ^ 0x80000000)")
OPS["f32.copysign"] = ("p", "(({0} & 0x7fffffff) | ({1} & 0x80000000))")
OPS["f64.abs"] = ("p", "abs({0})")
OPS["f64.neg"] = ("p", "(-{0})")
OPS["f64.copysign"] = ("p", "copysign({0}, {1})")
for _op, _py in (("eq", "=="), ("ne", "!="), ("lt", "<"), ("gt", ">"), ("le", "<="), ("ge", ">=")):
    OPS[f"f32.{_op}"] = ("c", f"f32v({{0}}) {_py} f32v({{1}})")
    OPS[f"f64.{_op}"] = ("c", f"{{0}} {_py} {{1}}")

# conversions
OPS["i32.wrap_i64"] = ("p", "({0} & 0xffffffff)")
OPS["i64.extend_i32_s"] = ("p", "((({0} ^ 0x80000000) - 0x80000000) & 0xffffffffffffffff)")
OPS["i64.extend_i32_u"] = ("p", "{0}")
for _it in ("i32", "i64"):
    for _ft in ("f32", "f64"):
        for _sg in ("s", "u"):
            OPS[f"{_it}.trunc_{_ft}_{_sg}"] = ("t", f"{_it}_trunc_{_ft}_{_sg}({{0}})")
            OPS[f"{_it}.trunc_sat_{_ft}_{_sg}"] = ("p", f"{_it}_trunc_sat_{_ft}_{_sg}({{0}})")
OPS["f32.convert_i32_s"] = ("p", "f32_convert_i32_s({0})")
OPS["f32.convert_i32_u"] = ("p", "f32_convert_i32_u({0})")
OPS["f32.convert_i64_s"] = ("p", "f32_convert_i64_s({0})")
OPS["f32.convert_i64_u"] = ("p", "f32_convert_i64_u({0})")
OPS["f64.convert_i32_s"] = ("p", "f64_convert_i32_s({0})")
OPS["f64.convert_i32_u"] = ("p", "float({0})")
OPS["f64.convert_i64_s"] = ("p", "f64_convert_i64_s({0})")
OPS["f64.convert_i64_u"] = ("p", "float({0})")
OPS["f32.demote_f64"] = ("p", "f32b({0})")
OPS["f64.promote_f32"] = ("p", "f32v({0})")
OPS["i32.reinterpret_f32"] = ("p", "{0}")
OPS["f32.reinterpret_i32"] = ("p", "{0}")
OPS["i64.reinterpret_f64"] = ("p", "f64_bits({0})")
OPS["f64.reinterpret_i64"] = ("p", "f64_from_bits({0})")

# memory loads: name -> (struct helper or None for a byte index, post-processing template of {v})
LOADS: dict[str, tuple[str | None, str]] = {
    "i32.load": ("LD_I", "{v}"),
    "i64.load": ("LD_Q", "{v}"),
    "f32.load": ("LD_I", "{v}"),
    "f64.load": ("LD_d", "{v}"),
    "i32.load8_s": (None, "(((({v}) ^ 0x80) - 0x80) & 0xffffffff)"),
    "i32.load8_u": (None, "{v}"),
    "i32.load16_s": ("LD_h", "({v} & 0xffffffff)"),
    "i32.load16_u": ("LD_H", "{v}"),
    "i64.load8_s": (None, "(((({v}) ^ 0x80) - 0x80) & 0xffffffffffffffff)"),
    "i64.load8_u": (None, "{v}"),
    "i64.load16_s": ("LD_h", "({v} & 0xffffffffffffffff)"),
    "i64.load16_u": ("LD_H", "{v}"),
    "i64.load32_s": ("LD_i", "({v} & 0xffffffffffffffff)"),
    "i64.load32_u": ("LD_I", "{v}"),
}
# memory stores: name -> (struct helper or None for a byte store, value template)
STORES: dict[str, tuple[str | None, str]] = {
    "i32.store": ("ST_I", "{v}"),
    "i64.store": ("ST_Q", "{v}"),
    "f32.store": ("ST_I", "{v}"),
    "f64.store": ("ST_d", "{v}"),
    "i32.store8": (None, "({v} & 0xff)"),
    "i32.store16": ("ST_H", "({v} & 0xffff)"),
    "i64.store8": (None, "({v} & 0xff)"),
    "i64.store16": ("ST_H", "({v} & 0xffff)"),
    "i64.store32": ("ST_I", "({v} & 0xffffffff)"),
}

# aligned fast paths: struct helper -> (typed view attribute of MemoryInstance, alignment mask, shift)
VIEWS: dict[str, tuple[str, int, int]] = {
    "LD_H": ("u16", 1, 1), "ST_H": ("u16", 1, 1),
    "LD_I": ("u32", 3, 2), "ST_I": ("u32", 3, 2),
    "LD_Q": ("u64", 7, 3), "ST_Q": ("u64", 7, 3),
    "LD_d": ("f64", 7, 3), "ST_d": ("f64", 7, 3),
}
