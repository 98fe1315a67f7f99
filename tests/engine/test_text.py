"""Unit tests of the text format: lexer, literals, desugaring, identifier resolution, errors."""

from __future__ import annotations

import random
import struct

import pytest

from harness.engine.binary import decode_module
from harness.engine.errors import MalformedError
from harness.engine.syntax import Elem, Export, FuncType, GlobalType, Import, Limits, MemType, TableType
from harness.engine.text import parse_module, parse_module_ast
from harness.engine.text.lexer import STRING, tokenize
from harness.engine.text.numbers import NumberError, float_bits, int_bits
from harness.engine.text.script import parse_script


def ast(src: str):
    m = parse_module_ast(src)
    assert not isinstance(m, bytes)
    return m


def body(src: str, i: int = 0) -> list:
    return ast(src).funcs[i].body


def malformed(src: str, wording: str) -> MalformedError:
    with pytest.raises(MalformedError) as info:
        parse_module(src)
    assert info.value.message.startswith(wording), info.value.message
    return info.value


# ------------------------------------------------------------------------------------------ literals


@pytest.mark.parametrize(
    "text, bits, expected",
    [
        ("0", 32, 0), ("-1", 32, 0xFFFFFFFF), ("0xffff_ffff", 32, 0xFFFFFFFF), ("-0x8000_0000", 32, 0x80000000),
        ("+42", 32, 42), ("+0xffffffff", 32, 0xFFFFFFFF), ("1_000_000", 64, 1000000), ("-9223372036854775808", 64, 1 << 63),
        ("18446744073709551615", 64, (1 << 64) - 1),
    ],
)  # fmt: skip
def test_int_literals(text, bits, expected):
    assert int_bits(text, bits) == expected


@pytest.mark.parametrize("text", ["4294967296", "-2147483649", "+4294967296", "0x1_0000_0000", "-0xffffffff"])
def test_i32_out_of_range(text):
    with pytest.raises(NumberError, match="constant out of range"):
        int_bits(text, 32)


@pytest.mark.parametrize("text", ["_1", "1_", "1__0", "0x", "0x_1", "1a", "--1", "+_1"])
def test_bad_int_syntax(text):
    with pytest.raises(NumberError):
        int_bits(text, 32)


@pytest.mark.parametrize(
    "text, expected",
    [
        ("0x1.000001p0", 0x3F800000),  # tie: to even (down)
        ("0x1.000003p0", 0x3F800002),  # tie: to even (up)
        ("0x1.0000011p0", 0x3F800001),  # just above the tie
        ("1.000000059604644775390625", 0x3F800000),  # decimal exact tie
        ("1.0000000596046447753906251", 0x3F800001),  # a hair above: double rounding would miss it
        ("0x1p-149", 0x00000001), ("0x1p-150", 0), ("0x1.0000000001p-150", 1),  # subnormals
        ("0x1.fffffcp-127", 0x007FFFFF), ("0x1.fffffep-127", 0x00800000),  # rounding into the normals
        ("0x1.fffffefp127", 0x7F7FFFFF), ("-0", 0x80000000), ("inf", 0x7F800000), ("-inf", 0xFF800000),
        ("nan", 0x7FC00000), ("-nan", 0xFFC00000), ("nan:0x1", 0x7F800001), ("+nan:0x7f_ffff", 0x7FFFFFFF),
        ("1e-46", 0), ("1_0.2_5e1", struct.unpack("<I", struct.pack("<f", 102.5))[0]), ("1.", 0x3F800000),
        ("0x1P+2", 0x40800000), ("0x.8", None),
    ],
)  # fmt: skip
def test_f32_literals(text, expected):
    if expected is None:
        with pytest.raises(NumberError):
            float_bits(text, 32)
    else:
        assert float_bits(text, 32) == expected


@pytest.mark.parametrize("text", ["0x1.ffffffp127", "1e39", "-3.4028236e38", "nan:0x0", "nan:0x80_0000"])
def test_f32_out_of_range(text):
    with pytest.raises(NumberError, match="constant out of range"):
        float_bits(text, 32)


def test_f64_decimal_matches_python_rounding():
    rng = random.Random(1234)
    for _ in range(2000):
        digits = "".join(rng.choice("0123456789") for _ in range(rng.randint(1, 25)))
        text = f"{digits[:1]}.{digits[1:]}e{rng.randint(-330, 310)}"
        try:
            expected = struct.unpack("<Q", struct.pack("<d", float(text)))[0]
        except OverflowError:
            continue
        if expected & 0x7FF0000000000000 == 0x7FF0000000000000:  # overflow is an error in the text format
            with pytest.raises(NumberError):
                float_bits(text, 64)
        else:
            assert float_bits(text, 64) == expected, text


def test_f64_hex_and_special():
    assert float_bits("0x1p-1074", 64) == 1
    with pytest.raises(NumberError):
        float_bits("0x1.fffffffffffff8p1023", 64)  # tie rounds to even = 2^1024: out of range
    assert float_bits("0x1.fffffffffffff7ffp1023", 64) == 0x7FEFFFFFFFFFFFFF
    assert float_bits("nan:0xf_ffff_ffff_ffff", 64) == 0x7FFFFFFFFFFFFFFF
    assert float_bits("-0x0.0p0", 64) == 1 << 63


# ------------------------------------------------------------------------------------------ lexer


def test_strings_and_escapes():
    (tok,) = tokenize(r'"a\t\n\r\"\'\\\41\u{1F600}\u{0}é"')
    assert tok.kind == STRING
    assert tok.value == b"a\t\n\r\"'\\A" + "\U0001f600".encode() + b"\x00" + "é".encode()


@pytest.mark.parametrize("src", [r'"\u{D800}"', r'"\u{110000}"', r'"\x"', '"a\x01"', '"abc'])
def test_bad_strings(src):
    with pytest.raises(MalformedError):
        tokenize(src)


def test_comments_and_annotations_are_skipped():
    src = '(module (; outer (; nested ;) still ;) ;; line\n (@custom "x" (a b) "c)") (func))'
    m = ast(src)
    assert len(m.funcs) == 1


def test_tokens_need_separation():
    malformed("(module (func br 0drop))", "unknown operator")
    malformed('(module (data $l"a"))', "unknown operator")
    assert len(ast("(module (func(nop)(nop)))").funcs[0].body) == 2


def test_error_has_line_and_column():
    e = malformed("(module\n  (func\n    (i32.const 1)\n    (bogus.op)))", "unknown operator")
    assert "4:6" in e.message
    assert e.offset == "(module\n  (func\n    (i32.const 1)\n    (".__len__()


def test_malformed_utf8_in_names():
    malformed('(module (import "\\80" "x" (func)))', "malformed UTF-8 encoding")
    malformed('(module (func (export "\\ff")))', "malformed UTF-8 encoding")
    # data strings are arbitrary bytes
    assert ast('(module (memory 1) (data (i32.const 0) "\\80\\ff"))').datas[0].init == b"\x80\xff"


# ------------------------------------------------------------------------------------------ module forms


def test_module_forms():
    plain = parse_module('(module $m (func (export "f") (result i32) (i32.const 7)))')
    bare = parse_module('(func (export "f") (result i32) (i32.const 7))')
    quoted = parse_module('(module quote "(func (export \\"f\\")" " (result i32) (i32.const 7))")')
    assert plain == bare == quoted
    assert parse_module('(module binary "\\00asm" "\\01\\00\\00\\00")') == b"\x00asm\x01\x00\x00\x00"
    assert parse_module('(module quote "(module (memory 1))")') == parse_module("(memory 1)")
    malformed("(module) (module)", "unexpected token")
    malformed("(module (func)", "unexpected end of input")


def test_round_trip_through_decoder():
    src = """(module
      (type $t (func (param i32) (result i32)))
      (import "env" "f" (func $imp (type $t)))
      (memory (export "mem") 1 2)
      (global $g (mut i64) (i64.const -1))
      (func $f (export "f") (type $t) (local i64)
        (i32.add (local.get 0) (call $imp (i32.const 1)))))"""
    m = decode_module(parse_module(src))
    assert m.types == [FuncType(("i32",), ("i32",))]
    assert m.imports == [Import("env", "f", "func", 0)]
    assert m.mems == [MemType(Limits(1, 2))]
    assert m.globals[0].type == GlobalType("i64", True) and m.globals[0].init == [
        ("i64.const", (1 << 64) - 1)
    ]
    assert m.funcs[0].locals == ["i64"]
    assert m.funcs[0].body == [("local.get", 0), ("i32.const", 1), ("call", 0), ("i32.add",)]
    assert {e.name for e in m.exports} == {"mem", "f"}
    assert m.func_names == {0: "imp", 1: "f"}


# ------------------------------------------------------------------------------------------ type uses


def test_inline_types_are_shared_and_appended():
    m = ast("""(module
      (func (param i32))
      (type $a (func (param i32)))
      (func (param i64) (result i64) (local.get 0))
      (func (type $a))
      (func (param $x i64) (result i64) (local.get $x)))""")
    assert m.types == [FuncType(("i32",), ()), FuncType(("i64",), ("i64",))]
    assert [f.type_idx for f in m.funcs] == [0, 1, 0, 1]


def test_inline_type_must_match_explicit():
    ast("(module (type $t (func (param i32))) (func (type $t) (param i32)))")
    malformed("(module (type $t (func (param i32))) (func (type $t) (param i64)))", "inline function type")
    malformed("(module (type $t (func)) (func (type $t) (result i32) (param i32)))", "unexpected token")
    malformed("(module (func (type 3) (param i32)))", "unknown type")
    malformed("(module (func (type $nope)))", "unknown type")


def test_block_types():
    b = body("""(module (type $t (func (param i32) (result i32)))
      (func (block) (block (result i32) (i32.const 1)) (block (type $t) (param i32) (result i32))
            (block (param i32 i32) (result i32) (i32.add)) (loop $l (result f32) (f32.const 0))))""")
    # type 1 is the function's own [] -> [], appended before the block's [i32 i32] -> [i32]
    assert [ins[1] for ins in b] == [None, "i32", 0, 2, "f32"]


# ------------------------------------------------------------------------------------------ instructions


def test_folded_and_plain_instructions_agree():
    folded = parse_module("(func (result i32) (i32.mul (i32.add (i32.const 1) (i32.const 2)) (i32.const 3)))")
    plain = parse_module("(func (result i32) i32.const 1 i32.const 2 i32.add i32.const 3 i32.mul)")
    assert folded == plain


def test_if_forms():
    b = body(
        "(module (func (param i32) (result i32) "
        "(if (result i32) (local.get 0) (then (i32.const 1)) (else (i32.const 2)))"
        " local.get 0 if $l (result i32) i32.const 3 else $l i32.const 4 end $l drop))"
    )
    assert b[0] == ("local.get", 0)
    assert b[1] == ("if", "i32", [("i32.const", 1)], [("i32.const", 2)])
    assert b[3] == ("if", "i32", [("i32.const", 3)], [("i32.const", 4)])


def test_labels_resolve_to_depths():
    b = body(
        "(module (func (block $out (loop $in (br $in) (br_if $out (i32.const 0)) "
        "(block (br_table $in $out 0 (i32.const 1)))))))"
    )
    loop = b[0][2][0]
    assert loop[2][0] == ("br", 0) and loop[2][2] == ("br_if", 1)
    assert loop[2][3][2][1] == ("br_table", (1, 2), 0)
    malformed("(module (func (block $a (br $b))))", "unknown label")
    malformed("(module (func block $a end $b))", "mismatching label")
    malformed("(module (func block end $b))", "mismatching label")


def test_shadowed_labels_use_innermost():
    b = body("(module (func (block $l (block $l (br $l)))))")
    assert b[0][2][0][2] == [("br", 0)]


def test_locals_and_duplicates():
    b = body("(module (func (param $a i32) (param i64) (local $b f32) (local f64) (drop (local.get $b))))")
    assert b[0] == ("local.get", 2)
    malformed("(module (func (param $x i32) (local $x i32)))", "duplicate local")
    malformed("(module (func $f) (func $f))", "duplicate func")
    malformed('(module (import "" "" (global $g i32)) (global $g i32 (i32.const 0)))', "duplicate global")
    malformed("(module (func (local.get $nope)))", "unknown local")
    malformed("(module (func (call $nope)))", "unknown function")


def test_memarg():
    b = body(
        "(module (memory 1) (func (drop (i32.load (i32.const 0))) (drop (i64.load8_u offset=0x10 align=1 "
        "(i32.const 0))) (v128.store offset=4294967295 align=16 (i32.const 0) (v128.const i64x2 0 0))))"
    )
    assert b[1] == ("i32.load", 2, 0)
    assert b[4] == ("i64.load8_u", 0, 16)
    assert b[-1] == ("v128.store", 4, 0xFFFFFFFF)
    malformed("(module (memory 1) (func (drop (i32.load align=3 (i32.const 0)))))", "alignment")
    malformed("(module (memory 1) (func (drop (i32.load offset=4294967296 (i32.const 0)))))", "i32 constant")


def test_call_indirect_and_select():
    b = body(
        "(module (type $t (func (param i32))) (table $tab 1 funcref) (table $t2 1 funcref) "
        "(func (call_indirect (type $t) (i32.const 1) (i32.const 0)) "
        "(call_indirect $t2 (param i64) (i64.const 1) (i32.const 0)) "
        "(drop (select (result i32) (i32.const 1) (i32.const 2) (i32.const 3))) "
        "(drop (select (i32.const 1) (i32.const 2) (i32.const 3)))))"
    )
    assert b[2] == ("call_indirect", 0, 0)
    assert b[5] == ("call_indirect", 2, 1)
    assert b[9] == ("select", ("i32",))
    assert b[14] == ("select",)


def test_simd_syntax():
    b = body(
        "(module (func (result v128) (i8x16.shuffle 0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 31 "
        "(v128.const i32x4 1 -1 0x10 0) (v128.const f32x4 1.0 -0 nan inf)) "
        "(i32x4.replace_lane 3 (i32.const 5)) (drop (i8x16.extract_lane_u 15 (v128.const i8x16 "
        "0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 -1)))))"
    )
    assert b[0] == ("v128.const", 1 | (0xFFFFFFFF << 32) | (0x10 << 64))
    assert b[1] == ("v128.const", 0x3F800000 | (0x80000000 << 32) | (0x7FC00000 << 64) | (0x7F800000 << 96))
    assert b[2] == ("i8x16.shuffle", tuple(range(15)) + (31,))
    assert b[4] == ("i32x4.replace_lane", 3)
    assert b[5][0] == "v128.const" and b[5][1] >> 120 == 0xFF
    assert b[6] == ("i8x16.extract_lane_u", 15)
    malformed("(module (func (v128.const i32x4 0 0 0)))", "wrong number of lane literals")
    malformed("(module (func (i8x16.extract_lane_s 256 (v128.const i64x2 0 0))))", "malformed lane index")
    malformed("(module (func (i8x16.shuffle 0 1 2 (v128.const i64x2 0 0))))", "invalid lane length")


def test_reference_and_table_instructions():
    b = body(
        "(module (table $a 1 funcref) (table $b 1 externref) (elem $e func $f) (func $f "
        "(drop (ref.is_null (ref.null extern))) (drop (ref.func $f)) (table.copy $a $a "
        "(i32.const 0) (i32.const 0) (i32.const 0)) (table.init $e (i32.const 0) (i32.const 0) "
        "(i32.const 0)) (table.init $a $e (i32.const 0) (i32.const 0) (i32.const 0)) (elem.drop $e) "
        "(drop (table.size $b)) (table.fill 1 (i32.const 0) (ref.null extern) (i32.const 0))))"
    )
    names = [i for i in b if i[0] not in ("i32.const", "drop")]
    assert names == [("ref.null", "externref"), ("ref.is_null",), ("ref.func", 0), ("table.copy", 0, 0),
                     ("table.init", 0, 0), ("table.init", 0, 0), ("elem.drop", 0), ("table.size", 1),
                     ("ref.null", "externref"), ("table.fill", 1)]  # fmt: skip


def test_bulk_memory_sets_data_count():
    m = ast(
        '(module (memory 1) (data $d "x") (func (memory.init $d (i32.const 0) (i32.const 0) (i32.const 1)) '
        "(data.drop $d) (memory.copy (i32.const 0) (i32.const 0) (i32.const 0))))"
    )
    assert m.data_count == 1
    assert m.funcs[0].body[3] == ("memory.init", 0)
    assert ast('(module (memory 1) (data "x"))').data_count is None


# ------------------------------------------------------------------------------------------ fields


def test_inline_imports_and_exports():
    m = ast(
        '(module (func $f (export "a") (export "b") (import "m" "f") (param i32)) '
        '(table (export "t") (import "m" "t") 1 funcref) (memory (import "m" "mem") 1) '
        '(global (export "g") (import "m" "g") (mut i32)) (func (export "c")))'
    )
    assert [i.kind for i in m.imports] == ["func", "table", "memory", "global"]
    assert m.imports[1].desc == TableType(Limits(1), "funcref")
    assert m.imports[3].desc == GlobalType("i32", True)
    assert m.exports == [Export("a", "func", 0), Export("b", "func", 0), Export("t", "table", 0),
                         Export("g", "global", 0), Export("c", "func", 1)]  # fmt: skip


@pytest.mark.parametrize(
    "kind, field",
    [
        ("function", "(func)"),
        ("global", "(global i32 (i32.const 0))"),
        ("table", "(table 0 funcref)"),
        ("memory", "(memory 0)"),
    ],
)
def test_imports_must_come_first(kind, field):
    malformed(f'(module {field} (import "" "" (func)))', f"import after {kind}")
    malformed(f'(module {field} (func (import "" "")))', f"import after {kind}")


def test_inline_elem_and_data():
    m = ast('(module (func $f) (table $t funcref (elem $f $f 0)) (memory (data "ab" "c")))')
    assert m.tables == [TableType(Limits(3, 3), "funcref")]
    assert m.elems[0].init == [[("ref.func", 0)]] * 3 and m.elems[0].offset == [("i32.const", 0)]
    assert m.mems == [MemType(Limits(1, 1))] and m.datas[0].init == b"abc"


def test_all_elem_forms():
    m = ast("""(module (table $t 10 funcref) (table $u 10 externref) (func $f)
      (elem (i32.const 0) $f)
      (elem func $f)
      (elem (table $t) (offset (i32.const 1)) func $f $f)
      (elem declare func $f)
      (elem (i32.const 2) funcref (ref.func $f) (ref.null func))
      (elem funcref (item ref.func $f) (item (ref.null func)))
      (elem (table $u) (i32.const 3) externref (ref.null extern))
      (elem declare funcref (ref.func $f)))""")
    e = m.elems
    assert [x.mode for x in e] == ["active", "passive", "active", "declarative", "active", "passive", "active",
                                   "declarative"]  # fmt: skip
    # function-index lists are of type (ref func) (3.0; they encode as 2.0's index lists)
    assert e[0] == Elem("(ref func)", [[("ref.func", 0)]], "active", 0, [("i32.const", 0)])
    assert e[2].offset == [("i32.const", 1)] and len(e[2].init) == 2
    assert e[4].init == [[("ref.func", 0)], [("ref.null", "funcref")]]
    assert e[5].init == [[("ref.func", 0)], [("ref.null", "funcref")]]
    assert e[6].table == 1 and e[6].type == "externref"


def test_data_forms_and_memory_limits():
    m = ast(
        '(module (memory $m 1) (data (i32.const 1) "a") (data (memory $m) (offset (i32.const 2)) "b") '
        '(data $p "c" "d"))'
    )
    assert [(d.mode, d.init) for d in m.datas] == [("active", b"a"), ("active", b"b"), ("passive", b"cd")]
    malformed("(module (memory 0x1_0000_0000))", "i32 constant out of range")


def test_start_field():
    assert ast("(module (func) (func $s) (start $s))").start == 1
    malformed("(module (func $a) (start $a) (start $a))", "multiple start sections")


def test_obsolete_names_are_unknown():
    malformed("(module (func (local i32) (drop (get_local 0))))", "unknown operator")
    malformed("(module (global anyfunc (ref.null func)))", "unknown operator")


# ------------------------------------------------------------------------------------------ scripts


def test_parse_script_splits_commands():
    src = """;; a script
    (module $M (func (export "f") (result i32) (i32.const 1))) (; c ;)
    (register "m" $M)
    (assert_return (invoke "f") (i32.const 1))
    (assert_malformed (module quote "(func \\")") "unexpected token")"""
    cmds = parse_script(src)
    assert [c.kind for c in cmds] == ["module", "register", "assert_return", "assert_malformed"]
    assert cmds[0].name == "$M" and cmds[0].line == 2
    assert cmds[1].children == ['"m"', "$M"]
    assert cmds[3].children[0].startswith("(module quote") and cmds[3].children[1] == '"unexpected token"'
    assert parse_module(cmds[0].text) == parse_module('(func (export "f") (result i32) (i32.const 1))')


def test_parse_script_bare_fields_is_one_module():
    cmds = parse_script("(memory 1)\n(func)")
    assert len(cmds) == 1 and cmds[0].kind == "module"
    assert parse_module(cmds[0].text) == parse_module("(module (memory 1) (func))")


def test_deep_nesting_does_not_crash():
    n = 3000
    data = parse_module("(func " + "(block " * n + ")" * n + ")")
    assert len(decode_module(data).funcs) == 1


def test_extreme_exponents_are_quick():
    assert float_bits("1e-400000000", 64) == 0
    assert float_bits("-0x1p-99999999999", 32) == 0x80000000
    for text in ("1e99999999999", "0x1p99999999999"):
        with pytest.raises(NumberError, match="constant out of range"):
            float_bits(text, 64)


def test_quoted_identifiers():
    m = ast('(module (func $"my func" (call $"my func")) (func $plain (call $"plain")))')
    assert [f.body for f in m.funcs] == [[("call", 0)], [("call", 1)]]
    assert m.func_names == {0: "my func", 1: "plain"}
    malformed('(module (func $a"b"))', "unknown operator")


def test_glued_string_makes_one_reserved_token():
    toks = tokenize('ab"c" $l"a" x')
    assert [(t.kind, t.text) for t in toks] == [
        ("reserved", 'ab"c"'),
        ("reserved", '$l"a"'),
        ("keyword", "x"),
    ]


def test_parse_value():
    from harness.engine.text.script import parse_value

    assert parse_value("(i32.const -1)") == ("i32", 0xFFFFFFFF)
    assert parse_value("(i64.const 0x10)") == ("i64", 16)
    assert parse_value("(f32.const -0x1p-1)") == ("f32", 0xBF000000)
    assert parse_value("(f64.const nan:canonical)") == ("f64", "nan:canonical")
    assert parse_value("(v128.const i16x8 1 0 0 0 0 0 0 -1)") == ("v128", 1 | (0xFFFF << 112))
    assert parse_value("(v128.const f32x4 0 nan:arithmetic 1 2)")[1][1][1] == "nan:arithmetic"
    assert parse_value("(ref.null extern)") == ("externref", None)
    assert parse_value("(ref.extern 7)") == ("externref", 7)
    with pytest.raises(MalformedError):
        parse_value("(i32.const 1 2)")
    with pytest.raises(MalformedError, match="constant out of range"):
        parse_value("(i32.const 0x1_0000_0000)")


def test_folded_if_condition_is_outside_the_if():
    b = body("(module (func (result i32) (block $b (result i32) (if $i (result i32) (br_if $b (i32.const 1) "
             "(i32.const 0)) (then (br $i (i32.const 2))) (else (i32.const 3))))))")  # fmt: skip
    block = b[0]
    assert block[2][2] == ("br_if", 0)  # $b seen from the condition: depth 0
    assert block[2][3] == ("if", "i32", [("i32.const", 2), ("br", 0)], [("i32.const", 3)])


@pytest.mark.slow
@pytest.mark.parametrize("t", ["f32", "f64"])
def test_random_float_literals_match_wasm_tools(t, tmp_path):
    """Exact rounding, cross-checked against an independent implementation (wasm-tools)."""
    import shutil
    import subprocess
    import sys
    from pathlib import Path

    tool = Path(sys.executable).with_name("wasm-tools")
    tool = str(tool) if tool.exists() else shutil.which("wasm-tools")
    if tool is None:
        pytest.skip("wasm-tools not installed")
    rng = random.Random(99)
    lits = []
    for _ in range(1000):
        digits = "".join(rng.choice("0123456789abcdef") for _ in range(rng.randint(1, 24)))
        if rng.random() < 0.5:
            dec = "".join(c for c in digits if c.isdigit()) or "7"
            lits.append(f"{rng.choice(['', '-'])}{dec[0]}.{dec[1:]}e{rng.randint(-50, 38)}")
        else:
            lits.append(f"{rng.choice(['', '-'])}0x{digits[0]}.{digits[1:]}p{rng.randint(-160, 120)}")
    good = []
    for lit in lits:
        try:
            float_bits(lit, int(t[1:]))
            good.append(lit)
        except NumberError:
            pass
    src = "(module " + " ".join(f"(func (result {t}) ({t}.const {lit}))" for lit in good) + ")"
    out = tmp_path / "f.wasm"
    subprocess.run([tool, "parse", "-", "-o", str(out)], input=src.encode(), check=True, timeout=60)
    theirs = decode_module(out.read_bytes())
    mine = decode_module(parse_module(src))
    assert [f.body for f in mine.funcs] == [f.body for f in theirs.funcs]


@pytest.mark.parametrize("src, message", [("(@a \x01)", "illegal character"), ("(@a \udc80)", "malformed UTF-8")])
def test_annotation_bodies_are_tokens(src: str, message: str) -> None:
    with pytest.raises(MalformedError, match=message):
        parse_module(src)
    parse_module("(@a \t\r\n x (y \"s\") ;; \x01\n)")


@pytest.mark.parametrize("newline", ["\n", "\r", "\r\n"])
def test_a_line_comment_ends_at_every_newline_the_text_format_has(newline):
    """U+0A, U+0D and U+0D U+0A each end a line comment (the spec's comments.wast f1-f3): a lexer that
    only knew U+0A swallowed the (return ...) after a lone carriage return."""
    from harness.engine import api

    src = f'(func (export "f") (result i32) (i32.const 1) ;; comment{newline} (return (i32.const 2)))'
    store = api.Store("interp")
    inst = store.instantiate(api.Module.from_text(src))
    assert store.invoke(inst.exports["f"], []) == [2]
