"""The instruction table of wasm 2.0 and the 3.0 additions, shared by the decoder, the encoder, the validator and the text parser.

One row per instruction: text-format name, binary encoding, immediate kind and (for instructions whose
typing is a fixed signature) the stack signature.  Everything else in the engine derives from this
table, so adding an instruction means adding one row here.

Public tables:

* ``OPCODES: dict[str, tuple[int | tuple[int, int], str]]`` -- name -> (encoding, immediate kind).
  The encoding is a single opcode byte (``0x6a``) or ``(prefix, subopcode)`` for the ``0xFC`` and ``0xFD``
  prefixed instructions (the subopcode is written as a LEB128 u32).
* ``BY_BYTE: dict[int, str]`` and ``BY_PREFIX: dict[int, dict[int, str]]`` -- the reverse maps.
* ``SIGNATURES: dict[str, tuple[tuple[str, ...], tuple[str, ...]]]`` -- (params, results) for every
  instruction whose type does not depend on its immediates or the module (arithmetic, comparisons,
  conversions, most SIMD).  Control, variable, reference, table and memory-index instructions are
  typed by the validator itself.
* ``NATURAL_ALIGN: dict[str, int]`` -- log2 of the access width of every memory instruction.
* ``LANES: dict[str, int]`` -- number of lanes for instructions with a lane-index immediate.

Immediate kinds and the matching IR immediates (see :mod:`harness.engine.syntax`):

========================  =============================================  ===============================
kind                      binary                                         IR immediates
========================  =============================================  ===============================
``""``                    none                                           none
``"block"``               blocktype, instrs, ``end``                     ``bt, body``
``"if"``                  blocktype, instrs, [``else`` instrs], ``end``  ``bt, then, else``
``"label"``               u32                                            ``l``
``"br_table"``            vec(u32) u32                                   ``(l, ...), default``
``"idx"``                 u32 (local/global/func/table/data/elem index)  ``i``
``"call_indirect"``       typeidx u32, tableidx u32                      ``typeidx, tableidx``
``"select_t"``            vec(valtype)                                   ``(valtype, ...)``
``"memarg"``              flags u32, [memidx u32], offset u32/u64        ``align_log2, offset[, memidx]``
``"memarg_lane"``         memarg, lane byte                              ``align_log2, offset, lane[, memidx]``
``"zero"``                memidx u32 (2.0: one 0x00 byte)                ``[memidx]``
``"zero2"``               two memidx u32 (dst, src)                      ``[dst, src]``
``"idx_zero"``            dataidx u32, memidx u32 (memory.init)          ``dataidx[, memidx]``
``"idx2"``                u32 u32 (table.init, table.copy)               ``a, b`` (binary order)
``"i32"`` / ``"i64"``     signed LEB128                                  unsigned bit pattern
``"f32"`` / ``"f64"``     little-endian IEEE bits                        raw bits (unsigned int)
``"v128"``                16 bytes                                       128-bit unsigned int
``"shuffle"``             16 lane bytes                                  ``(l0, ..., l15)``
``"lane"``                one lane byte                                  ``lane``
``"reftype"``             reference type byte                            ``"funcref"`` / ``"externref"``
========================  =============================================  ===============================
"""

from __future__ import annotations

FB, FC, FD = 0xFB, 0xFC, 0xFD

# ---------------------------------------------------------------------------------------------- helpers
_ROWS: list[tuple[str, int | tuple[int, int], str, str | None]] = []


def _row(name: str, code: int | tuple[int, int], imm: str = "", sig: str | None = None) -> None:
    _ROWS.append((name, code, imm, sig))


# ------------------------------------------------------------------------------------------ control etc.
_row("unreachable", 0x00)
_row("nop", 0x01)
_row("block", 0x02, "block")
_row("loop", 0x03, "block")
_row("if", 0x04, "if")
_row("throw", 0x08, "idx")  # exception handling (3.0)
_row("throw_ref", 0x0A)
_row("try_table", 0x1F, "try_table")
_row("br", 0x0C, "label")
_row("br_if", 0x0D, "label")
_row("br_table", 0x0E, "br_table")
_row("return", 0x0F)
_row("call", 0x10, "idx")
_row("call_indirect", 0x11, "call_indirect")
_row("return_call", 0x12, "idx")  # tail calls (3.0)
_row("return_call_indirect", 0x13, "call_indirect")
_row("call_ref", 0x14, "idx")  # typed function references (3.0)
_row("return_call_ref", 0x15, "idx")
_row("drop", 0x1A)
_row("select", 0x1B)  # also 0x1C with a type vector; see SELECT_T
_row("local.get", 0x20, "idx")
_row("local.set", 0x21, "idx")
_row("local.tee", 0x22, "idx")
_row("global.get", 0x23, "idx")
_row("global.set", 0x24, "idx")
_row("table.get", 0x25, "idx")
_row("table.set", 0x26, "idx")

SELECT_T = 0x1C  # typed select: ("select", (t,)) encodes with this byte
ELSE, END = 0x05, 0x0B

# ------------------------------------------------------------------------------------------------ memory
_MEM = [
    ("i32.load", 0x28, 2, "i32:i32"), ("i64.load", 0x29, 3, "i32:i64"),
    ("f32.load", 0x2A, 2, "i32:f32"), ("f64.load", 0x2B, 3, "i32:f64"),
    ("i32.load8_s", 0x2C, 0, "i32:i32"), ("i32.load8_u", 0x2D, 0, "i32:i32"),
    ("i32.load16_s", 0x2E, 1, "i32:i32"), ("i32.load16_u", 0x2F, 1, "i32:i32"),
    ("i64.load8_s", 0x30, 0, "i32:i64"), ("i64.load8_u", 0x31, 0, "i32:i64"),
    ("i64.load16_s", 0x32, 1, "i32:i64"), ("i64.load16_u", 0x33, 1, "i32:i64"),
    ("i64.load32_s", 0x34, 2, "i32:i64"), ("i64.load32_u", 0x35, 2, "i32:i64"),
    ("i32.store", 0x36, 2, "i32 i32:"), ("i64.store", 0x37, 3, "i32 i64:"),
    ("f32.store", 0x38, 2, "i32 f32:"), ("f64.store", 0x39, 3, "i32 f64:"),
    ("i32.store8", 0x3A, 0, "i32 i32:"), ("i32.store16", 0x3B, 1, "i32 i32:"),
    ("i64.store8", 0x3C, 0, "i32 i64:"), ("i64.store16", 0x3D, 1, "i32 i64:"),
    ("i64.store32", 0x3E, 2, "i32 i64:"),
]
NATURAL_ALIGN: dict[str, int] = {}
for _n, _c, _a, _s in _MEM:
    _row(_n, _c, "memarg", _s)
    NATURAL_ALIGN[_n] = _a
_row("memory.size", 0x3F, "zero", ":i32")
_row("memory.grow", 0x40, "zero", "i32:i32")

# --------------------------------------------------------------------------------------------- constants
_row("i32.const", 0x41, "i32", ":i32")
_row("i64.const", 0x42, "i64", ":i64")
_row("f32.const", 0x43, "f32", ":f32")
_row("f64.const", 0x44, "f64", ":f64")


# -------------------------------------------------------------------------------------- numeric families
def _family(t: str, start: int, ops: str, sig: str) -> int:
    code = start
    for op in ops.split():
        _row(f"{t}.{op}", code, "", sig.replace("T", t))
        code += 1
    return code


_row("i32.eqz", 0x45, "", "i32:i32")
_family("i32", 0x46, "eq ne lt_s lt_u gt_s gt_u le_s le_u ge_s ge_u", "T T:i32")
_row("i64.eqz", 0x50, "", "i64:i32")
_family("i64", 0x51, "eq ne lt_s lt_u gt_s gt_u le_s le_u ge_s ge_u", "T T:i32")
_family("f32", 0x5B, "eq ne lt gt le ge", "T T:i32")
_family("f64", 0x61, "eq ne lt gt le ge", "T T:i32")
for _t, _base in (("i32", 0x67), ("i64", 0x79)):
    _c = _family(_t, _base, "clz ctz popcnt", "T:T")
    _family(_t, _c, "add sub mul div_s div_u rem_s rem_u and or xor shl shr_s shr_u rotl rotr", "T T:T")
for _t, _base in (("f32", 0x8B), ("f64", 0x99)):
    _c = _family(_t, _base, "abs neg ceil floor trunc nearest sqrt", "T:T")
    _family(_t, _c, "add sub mul div min max copysign", "T T:T")

_CONV = [
    ("i32.wrap_i64", "i64:i32"), ("i32.trunc_f32_s", "f32:i32"), ("i32.trunc_f32_u", "f32:i32"),
    ("i32.trunc_f64_s", "f64:i32"), ("i32.trunc_f64_u", "f64:i32"), ("i64.extend_i32_s", "i32:i64"),
    ("i64.extend_i32_u", "i32:i64"), ("i64.trunc_f32_s", "f32:i64"), ("i64.trunc_f32_u", "f32:i64"),
    ("i64.trunc_f64_s", "f64:i64"), ("i64.trunc_f64_u", "f64:i64"), ("f32.convert_i32_s", "i32:f32"),
    ("f32.convert_i32_u", "i32:f32"), ("f32.convert_i64_s", "i64:f32"), ("f32.convert_i64_u", "i64:f32"),
    ("f32.demote_f64", "f64:f32"), ("f64.convert_i32_s", "i32:f64"), ("f64.convert_i32_u", "i32:f64"),
    ("f64.convert_i64_s", "i64:f64"), ("f64.convert_i64_u", "i64:f64"), ("f64.promote_f32", "f32:f64"),
    ("i32.reinterpret_f32", "f32:i32"), ("i64.reinterpret_f64", "f64:i64"),
    ("f32.reinterpret_i32", "i32:f32"), ("f64.reinterpret_i64", "i64:f64"),
    ("i32.extend8_s", "i32:i32"), ("i32.extend16_s", "i32:i32"), ("i64.extend8_s", "i64:i64"),
    ("i64.extend16_s", "i64:i64"), ("i64.extend32_s", "i64:i64"),
]
for _i, (_n, _s) in enumerate(_CONV):
    _row(_n, 0xA7 + _i, "", _s)

# ------------------------------------------------------------------------------------------- references
_row("ref.null", 0xD0, "reftype")
_row("ref.is_null", 0xD1)
_row("ref.func", 0xD2, "idx")
_row("ref.eq", 0xD3)  # GC (3.0): references to i31 and host values, tests and casts
_row("struct.new", (FB, 0), "idx")
_row("struct.new_default", (FB, 1), "idx")
_row("struct.get", (FB, 2), "idx2")
_row("struct.get_s", (FB, 3), "idx2")
_row("struct.get_u", (FB, 4), "idx2")
_row("struct.set", (FB, 5), "idx2")
_row("array.new", (FB, 6), "idx")
_row("array.new_default", (FB, 7), "idx")
_row("array.new_fixed", (FB, 8), "idx2")
_row("array.new_data", (FB, 9), "idx2")
_row("array.new_elem", (FB, 10), "idx2")
_row("array.fill", (FB, 16), "idx")
_row("array.copy", (FB, 17), "idx2")
_row("array.init_data", (FB, 18), "idx2")
_row("array.init_elem", (FB, 19), "idx2")
_row("array.get", (FB, 11), "idx")
_row("array.get_s", (FB, 12), "idx")
_row("array.get_u", (FB, 13), "idx")
_row("array.set", (FB, 14), "idx")
_row("array.len", (FB, 15))
_row("br_on_cast", (FB, 24), "br_on_cast")
_row("br_on_cast_fail", (FB, 25), "br_on_cast")
_row("ref.test", (FB, 20), "heaptype")
_row("ref.test_null", (FB, 21), "heaptype")
_row("ref.cast", (FB, 22), "heaptype")
_row("ref.cast_null", (FB, 23), "heaptype")
_row("any.convert_extern", (FB, 26))
_row("extern.convert_any", (FB, 27))
_row("ref.i31", (FB, 28))
_row("i31.get_s", (FB, 29), "", "i31ref:i32")
_row("i31.get_u", (FB, 30), "", "i31ref:i32")
_row("ref.as_non_null", 0xD4)
_row("br_on_null", 0xD5, "label")
_row("br_on_non_null", 0xD6, "label")

# ------------------------------------------------------------------------------------------ 0xFC prefix
_SAT = [("i32.trunc_sat_f32_s", "f32:i32"), ("i32.trunc_sat_f32_u", "f32:i32"),
        ("i32.trunc_sat_f64_s", "f64:i32"), ("i32.trunc_sat_f64_u", "f64:i32"),
        ("i64.trunc_sat_f32_s", "f32:i64"), ("i64.trunc_sat_f32_u", "f32:i64"),
        ("i64.trunc_sat_f64_s", "f64:i64"), ("i64.trunc_sat_f64_u", "f64:i64")]
for _i, (_n, _s) in enumerate(_SAT):
    _row(_n, (FC, _i), "", _s)
_row("memory.init", (FC, 8), "idx_zero", "i32 i32 i32:")
_row("data.drop", (FC, 9), "idx", ":")
_row("memory.copy", (FC, 10), "zero2", "i32 i32 i32:")
_row("memory.fill", (FC, 11), "zero", "i32 i32 i32:")
_row("table.init", (FC, 12), "idx2", "i32 i32 i32:")
_row("elem.drop", (FC, 13), "idx", ":")
_row("table.copy", (FC, 14), "idx2", "i32 i32 i32:")
_row("table.grow", (FC, 15), "idx")
_row("table.size", (FC, 16), "idx")
_row("table.fill", (FC, 17), "idx")

# ------------------------------------------------------------------------------------------ 0xFD (SIMD)
V, I = "v128", "i32"
LANES: dict[str, int] = {}

_SIMD_MEM = [  # name, subop, natural align, sig
    ("v128.load", 0, 4, "i32:v128"),
    ("v128.load8x8_s", 1, 3, "i32:v128"), ("v128.load8x8_u", 2, 3, "i32:v128"),
    ("v128.load16x4_s", 3, 3, "i32:v128"), ("v128.load16x4_u", 4, 3, "i32:v128"),
    ("v128.load32x2_s", 5, 3, "i32:v128"), ("v128.load32x2_u", 6, 3, "i32:v128"),
    ("v128.load8_splat", 7, 0, "i32:v128"), ("v128.load16_splat", 8, 1, "i32:v128"),
    ("v128.load32_splat", 9, 2, "i32:v128"), ("v128.load64_splat", 10, 3, "i32:v128"),
    ("v128.store", 11, 4, "i32 v128:"),
    ("v128.load32_zero", 92, 2, "i32:v128"), ("v128.load64_zero", 93, 3, "i32:v128"),
]
for _n, _c, _a, _s in _SIMD_MEM:
    _row(_n, (FD, _c), "memarg", _s)
    NATURAL_ALIGN[_n] = _a
for _i, _w in enumerate((8, 16, 32, 64)):
    for _kind, _base, _sig in (("load", 84, "i32 v128:v128"), ("store", 88, "i32 v128:")):
        _n = f"v128.{_kind}{_w}_lane"
        _row(_n, (FD, _base + _i), "memarg_lane", _sig)
        NATURAL_ALIGN[_n] = _i
        LANES[_n] = 128 // _w

_row("v128.const", (FD, 12), "v128", ":v128")
_row("i8x16.shuffle", (FD, 13), "shuffle", "v128 v128:v128")
_row("i8x16.swizzle", (FD, 14), "", "v128 v128:v128")
for _i, (_shape, _t) in enumerate((("i8x16", I), ("i16x8", I), ("i32x4", I), ("i64x2", "i64"),
                                   ("f32x4", "f32"), ("f64x2", "f64"))):
    _row(f"{_shape}.splat", (FD, 15 + _i), "", f"{_t}:v128")

_LANE_OPS = [  # name, subop, scalar type, is replace
    ("i8x16.extract_lane_s", 21, I, False), ("i8x16.extract_lane_u", 22, I, False),
    ("i8x16.replace_lane", 23, I, True),
    ("i16x8.extract_lane_s", 24, I, False), ("i16x8.extract_lane_u", 25, I, False),
    ("i16x8.replace_lane", 26, I, True),
    ("i32x4.extract_lane", 27, I, False), ("i32x4.replace_lane", 28, I, True),
    ("i64x2.extract_lane", 29, "i64", False), ("i64x2.replace_lane", 30, "i64", True),
    ("f32x4.extract_lane", 31, "f32", False), ("f32x4.replace_lane", 32, "f32", True),
    ("f64x2.extract_lane", 33, "f64", False), ("f64x2.replace_lane", 34, "f64", True),
]
for _n, _c, _t, _rep in _LANE_OPS:
    _row(_n, (FD, _c), "lane", f"v128 {_t}:v128" if _rep else f"v128:{_t}")
    LANES[_n] = int(_n.split(".")[0].split("x")[1])

_UN, _BIN, _TEST, _SHIFT = "v128:v128", "v128 v128:v128", "v128:i32", "v128 i32:v128"
_SIMD: list[tuple[int, str, str]] = []  # (subop, name, sig)


def _simd(code: int, ops: str, sig: str) -> None:
    for op in ops.split():
        _SIMD.append((code, op, sig))
        code += 1


_simd(35, "i8x16.eq i8x16.ne i8x16.lt_s i8x16.lt_u i8x16.gt_s i8x16.gt_u i8x16.le_s i8x16.le_u "
      "i8x16.ge_s i8x16.ge_u", _BIN)
_simd(45, "i16x8.eq i16x8.ne i16x8.lt_s i16x8.lt_u i16x8.gt_s i16x8.gt_u i16x8.le_s i16x8.le_u "
      "i16x8.ge_s i16x8.ge_u", _BIN)
_simd(55, "i32x4.eq i32x4.ne i32x4.lt_s i32x4.lt_u i32x4.gt_s i32x4.gt_u i32x4.le_s i32x4.le_u "
      "i32x4.ge_s i32x4.ge_u", _BIN)
_simd(65, "f32x4.eq f32x4.ne f32x4.lt f32x4.gt f32x4.le f32x4.ge", _BIN)
_simd(71, "f64x2.eq f64x2.ne f64x2.lt f64x2.gt f64x2.le f64x2.ge", _BIN)
_simd(77, "v128.not", _UN)
_simd(78, "v128.and v128.andnot v128.or v128.xor", _BIN)
_simd(82, "v128.bitselect", "v128 v128 v128:v128")
_simd(83, "v128.any_true", _TEST)
_simd(94, "f32x4.demote_f64x2_zero f64x2.promote_low_f32x4", _UN)
_simd(96, "i8x16.abs i8x16.neg i8x16.popcnt", _UN)
_simd(99, "i8x16.all_true i8x16.bitmask", _TEST)
_simd(101, "i8x16.narrow_i16x8_s i8x16.narrow_i16x8_u", _BIN)
_simd(103, "f32x4.ceil f32x4.floor f32x4.trunc f32x4.nearest", _UN)
_simd(107, "i8x16.shl i8x16.shr_s i8x16.shr_u", _SHIFT)
_simd(110, "i8x16.add i8x16.add_sat_s i8x16.add_sat_u i8x16.sub i8x16.sub_sat_s i8x16.sub_sat_u", _BIN)
_simd(116, "f64x2.ceil f64x2.floor", _UN)
_simd(118, "i8x16.min_s i8x16.min_u i8x16.max_s i8x16.max_u", _BIN)
_simd(122, "f64x2.trunc", _UN)
_simd(123, "i8x16.avgr_u", _BIN)
_simd(124, "i16x8.extadd_pairwise_i8x16_s i16x8.extadd_pairwise_i8x16_u "
      "i32x4.extadd_pairwise_i16x8_s i32x4.extadd_pairwise_i16x8_u i16x8.abs i16x8.neg", _UN)
_simd(130, "i16x8.q15mulr_sat_s", _BIN)
_simd(131, "i16x8.all_true i16x8.bitmask", _TEST)
_simd(133, "i16x8.narrow_i32x4_s i16x8.narrow_i32x4_u", _BIN)
_simd(135, "i16x8.extend_low_i8x16_s i16x8.extend_high_i8x16_s i16x8.extend_low_i8x16_u "
      "i16x8.extend_high_i8x16_u", _UN)
_simd(139, "i16x8.shl i16x8.shr_s i16x8.shr_u", _SHIFT)
_simd(142, "i16x8.add i16x8.add_sat_s i16x8.add_sat_u i16x8.sub i16x8.sub_sat_s i16x8.sub_sat_u", _BIN)
_simd(148, "f64x2.nearest", _UN)
_simd(149, "i16x8.mul i16x8.min_s i16x8.min_u i16x8.max_s i16x8.max_u", _BIN)
_simd(155, "i16x8.avgr_u i16x8.extmul_low_i8x16_s i16x8.extmul_high_i8x16_s i16x8.extmul_low_i8x16_u "
      "i16x8.extmul_high_i8x16_u", _BIN)
_simd(160, "i32x4.abs i32x4.neg", _UN)
_simd(163, "i32x4.all_true i32x4.bitmask", _TEST)
_simd(167, "i32x4.extend_low_i16x8_s i32x4.extend_high_i16x8_s i32x4.extend_low_i16x8_u "
      "i32x4.extend_high_i16x8_u", _UN)
_simd(171, "i32x4.shl i32x4.shr_s i32x4.shr_u", _SHIFT)
_simd(174, "i32x4.add", _BIN)
_simd(177, "i32x4.sub", _BIN)
_simd(181, "i32x4.mul i32x4.min_s i32x4.min_u i32x4.max_s i32x4.max_u i32x4.dot_i16x8_s", _BIN)
_simd(188, "i32x4.extmul_low_i16x8_s i32x4.extmul_high_i16x8_s i32x4.extmul_low_i16x8_u "
      "i32x4.extmul_high_i16x8_u", _BIN)
_simd(192, "i64x2.abs i64x2.neg", _UN)
_simd(195, "i64x2.all_true i64x2.bitmask", _TEST)
_simd(199, "i64x2.extend_low_i32x4_s i64x2.extend_high_i32x4_s i64x2.extend_low_i32x4_u "
      "i64x2.extend_high_i32x4_u", _UN)
_simd(203, "i64x2.shl i64x2.shr_s i64x2.shr_u", _SHIFT)
_simd(206, "i64x2.add", _BIN)
_simd(209, "i64x2.sub", _BIN)
_simd(213, "i64x2.mul i64x2.eq i64x2.ne i64x2.lt_s i64x2.gt_s i64x2.le_s i64x2.ge_s "
      "i64x2.extmul_low_i32x4_s i64x2.extmul_high_i32x4_s i64x2.extmul_low_i32x4_u "
      "i64x2.extmul_high_i32x4_u", _BIN)
_simd(224, "f32x4.abs f32x4.neg", _UN)
_simd(227, "f32x4.sqrt", _UN)
_simd(228, "f32x4.add f32x4.sub f32x4.mul f32x4.div f32x4.min f32x4.max f32x4.pmin f32x4.pmax", _BIN)
_simd(236, "f64x2.abs f64x2.neg", _UN)
_simd(239, "f64x2.sqrt", _UN)
_simd(240, "f64x2.add f64x2.sub f64x2.mul f64x2.div f64x2.min f64x2.max f64x2.pmin f64x2.pmax", _BIN)
_simd(248, "i32x4.trunc_sat_f32x4_s i32x4.trunc_sat_f32x4_u f32x4.convert_i32x4_s f32x4.convert_i32x4_u "
      "i32x4.trunc_sat_f64x2_s_zero i32x4.trunc_sat_f64x2_u_zero f64x2.convert_low_i32x4_s "
      "f64x2.convert_low_i32x4_u", _UN)
# relaxed SIMD (3.0)
_simd(0x100, "i8x16.relaxed_swizzle", _BIN)
_simd(0x101, "i32x4.relaxed_trunc_f32x4_s i32x4.relaxed_trunc_f32x4_u i32x4.relaxed_trunc_f64x2_s_zero "
      "i32x4.relaxed_trunc_f64x2_u_zero", _UN)
_simd(0x105, "f32x4.relaxed_madd f32x4.relaxed_nmadd f64x2.relaxed_madd f64x2.relaxed_nmadd "
      "i8x16.relaxed_laneselect i16x8.relaxed_laneselect i32x4.relaxed_laneselect i64x2.relaxed_laneselect",
      "v128 v128 v128:v128")
_simd(0x10D, "f32x4.relaxed_min f32x4.relaxed_max f64x2.relaxed_min f64x2.relaxed_max i16x8.relaxed_q15mulr_s "
      "i16x8.relaxed_dot_i8x16_i7x16_s", _BIN)
_simd(0x113, "i32x4.relaxed_dot_i8x16_i7x16_add_s", "v128 v128 v128:v128")
for _c, _n, _s in _SIMD:
    _row(_n, (FD, _c), "", _s)

# ------------------------------------------------------------------------------------------ the tables


def _parse_sig(sig: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    params, results = sig.split(":")
    return tuple(params.split()), tuple(results.split())


OPCODES: dict[str, tuple[int | tuple[int, int], str]] = {}
SIGNATURES: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {}
BY_BYTE: dict[int, str] = {}
BY_PREFIX: dict[int, dict[int, str]] = {FB: {}, FC: {}, FD: {}}

for _n, _c, _imm, _sig in _ROWS:
    if _n in OPCODES:
        raise AssertionError(f"duplicate instruction {_n}")
    OPCODES[_n] = (_c, _imm)
    if _sig is not None:
        SIGNATURES[_n] = _parse_sig(_sig)
    if isinstance(_c, tuple):
        if _c[1] in BY_PREFIX[_c[0]]:
            raise AssertionError(f"duplicate encoding {_c} for {_n}")
        BY_PREFIX[_c[0]][_c[1]] = _n
    else:
        if _c in BY_BYTE:
            raise AssertionError(f"duplicate encoding {_c:#x} for {_n}")
        BY_BYTE[_c] = _n

# Where an instruction's memory index sits in its IR tuple (absent: memory 0, the 2.0 shape), by immediate kind.
_MEMIDX_AT = {"memarg": 3, "memarg_lane": 4, "zero": 1, "zero2": 1, "idx_zero": 2}


def memory_index(ins: tuple, source: bool = False) -> int:
    """The memory an instruction accesses (``source``: memory.copy's source memory)."""
    at = _MEMIDX_AT[OPCODES[ins[0]][1]] + (1 if source else 0)
    return ins[at] if len(ins) > at else 0


# Value type and reference type bytes.
VALTYPE_BYTES: dict[int, str] = {0x7F: "i32", 0x7E: "i64", 0x7D: "f32", 0x7C: "f64", 0x7B: "v128",
                                 0x70: "funcref", 0x6F: "externref"}
REFTYPE_BYTES: dict[int, str] = {0x70: "funcref", 0x6F: "externref"}
VALTYPE_CODES: dict[str, int] = {v: k for k, v in VALTYPE_BYTES.items()}
EMPTY_BLOCKTYPE = 0x40
