"""The binary decoder and encoder on small hand-built modules: every section, every error class (errors in the
2.0 binary format: ``malformed`` decodes with ``features.WASM2``; test_wasm3_memory checks where 3.0 differs)."""

from __future__ import annotations

import pytest

from harness.engine import syntax as S
from harness.engine.binary import decode_module, encode_module
from harness.engine.binary.encode import sleb, uleb
from harness.engine.binary.opcodes import BY_BYTE, BY_PREFIX, FC, FD, OPCODES, SIGNATURES
from harness.engine.binary.reader import Reader
from harness.engine.errors import MalformedError
from harness.engine.features import WASM2

HEADER = b"\x00asm\x01\x00\x00\x00"


def sec(sid: int, payload: bytes) -> bytes:
    return bytes([sid]) + uleb(len(payload)) + payload


def vec(*items: bytes) -> bytes:
    return uleb(len(items)) + b"".join(items)


def name(s: str) -> bytes:
    raw = s.encode()
    return uleb(len(raw)) + raw


def func_module(body: bytes, locals_: bytes = b"\x00", functype: bytes = b"\x60\x00\x00",
                extra_before_code: bytes = b"", after_code: bytes = b"") -> bytes:
    code = locals_ + body
    return (HEADER + sec(1, vec(functype)) + sec(3, vec(b"\x00")) + extra_before_code
            + sec(10, vec(uleb(len(code)) + code)) + after_code)


def body_of(body: bytes, **kw) -> list:
    return decode_module(func_module(body, **kw)).funcs[0].body


def malformed(data: bytes, message: str) -> MalformedError:
    with pytest.raises(MalformedError) as info:
        decode_module(data, features=WASM2)
    assert info.value.message.startswith(message), info.value.message
    return info.value


# ------------------------------------------------------------------------------------------- header
def test_empty_module():
    m = decode_module(HEADER)
    assert m == S.Module()


@pytest.mark.parametrize("data,msg", [
    (b"", "unexpected end"), (b"\x00as", "unexpected end"), (b"\x00asm\x01\x00", "unexpected end"),
    (b"asm\x00\x01\x00\x00\x00", "magic header not detected"),
    (b"\x00asm\x02\x00\x00\x00", "unknown binary version"),
])
def test_header_errors(data, msg):
    malformed(data, msg)


# --------------------------------------------------------------------------------------------- LEB128
@pytest.mark.parametrize("raw,value", [
    (b"\x00", 0), (b"\x7f", 127), (b"\x80\x01", 128), (b"\xff\xff\xff\xff\x0f", 0xFFFFFFFF),
    (b"\x80\x80\x80\x80\x00", 0),  # padded but within 5 bytes: fine
])
def test_u32(raw, value):
    r = Reader(raw)
    assert r.u32() == value and r.eof()


@pytest.mark.parametrize("raw,msg", [
    (b"\xff\xff\xff\xff\x1f", "integer too large"),
    (b"\x80\x80\x80\x80\x80\x00", "integer representation too long"),
    (b"\x80\x80", "unexpected end"),
])
def test_u32_errors(raw, msg):
    with pytest.raises(MalformedError) as info:
        Reader(raw).u32()
    assert info.value.message.startswith(msg)


@pytest.mark.parametrize("raw,bits,value", [
    (b"\x7f", 32, -1), (b"\xff\xff\xff\xff\x07", 32, 0x7FFFFFFF), (b"\x80\x80\x80\x80\x78", 32, -(2 ** 31)),
    (b"\xff\xff\xff\xff\x7f", 32, -1), (b"\x40", 7, -64), (b"\x3f", 7, 63),
    (b"\xff" * 9 + b"\x00", 64, 2 ** 63 - 1), (b"\x80" * 9 + b"\x7f", 64, -(2 ** 63)),
])
def test_sleb(raw, bits, value):
    r = Reader(raw)
    assert r.sleb(bits) == value and r.eof()


@pytest.mark.parametrize("raw,bits,msg", [
    (b"\x80\x80\x80\x80\x70", 32, "integer too large"),  # sign bits do not agree
    (b"\xff\xff\xff\xff\x0f", 32, "integer too large"),
    (b"\x80" * 9 + b"\x02", 64, "integer too large"),
    (b"\x80" * 10 + b"\x00", 64, "integer representation too long"),
])
def test_sleb_errors(raw, bits, msg):
    with pytest.raises(MalformedError) as info:
        Reader(raw).sleb(bits)
    assert info.value.message == msg


@pytest.mark.parametrize("n", [0, 1, 63, 64, 127, 128, 2 ** 31 - 1, -1, -64, -65, -(2 ** 31), 2 ** 63 - 1, -(2 ** 63)])
def test_leb_roundtrip(n):
    assert Reader(sleb(n)).sleb(64) == n
    if n >= 0:
        assert Reader(uleb(n)).uleb(64) == n


def test_huge_count_fails_fast():
    # a type section claiming 2**32-1 entries: rejected from the count alone, nothing allocated
    malformed(HEADER + sec(1, b"\xff\xff\xff\xff\x0f"), "length out of bounds")


# ------------------------------------------------------------------------------------------- sections
def test_all_sections_decode():
    types = sec(1, vec(b"\x60\x02\x7f\x7e\x01\x7d", b"\x60\x00\x00"))
    imports = sec(2, vec(name("m") + name("f") + b"\x00\x01",
                         name("m") + name("t") + b"\x01\x70\x01\x01\x05",
                         name("m") + name("mem") + b"\x02\x00\x01",
                         name("m") + name("g") + b"\x03\x7f\x01"))
    funcs = sec(3, vec(b"\x00", b"\x01"))
    tables = sec(4, vec(b"\x6f\x00\x02"))
    globals_ = sec(6, vec(b"\x7e\x00\x42\x7f\x0b"))
    exports = sec(7, vec(name("f") + b"\x00\x01", name("g") + b"\x03\x01"))
    start = sec(8, b"\x01")
    elems = sec(9, vec(b"\x00\x41\x00\x0b" + vec(b"\x00"),          # 0: active table 0, func indices
                       b"\x01\x00" + vec(b"\x01"),                      # 1: passive, func indices
                       b"\x02\x00\x41\x01\x0b\x00" + vec(b"\x02"),      # 2: active, table index
                       b"\x03\x00" + vec(b"\x00"),                      # 3: declarative
                       b"\x04\x41\x02\x0b" + vec(b"\xd2\x00\x0b"),      # 4: active, expressions
                       b"\x05\x6f" + vec(b"\xd0\x6f\x0b"),              # 5: passive, expressions
                       b"\x06\x01\x41\x00\x0b\x6f" + vec(b"\xd0\x6f\x0b"),  # 6: active, table 1
                       b"\x07\x70" + vec(b"\xd2\x01\x0b")))             # 7: declarative, expressions
    datacount = sec(12, b"\x03")
    code = sec(10, vec(b"\x07\x01\x02\x7f\x41\x00\x1a\x0b",  # size 7, locals 2 x i32, body
                       b"\x02\x00\x0b"))
    data = sec(11, vec(b"\x00\x41\x00\x0b" + vec(b"a"), b"\x01" + vec(b"b", b"c"),
                       b"\x02\x00\x41\x08\x0b" + vec(b"d")))
    names = sec(0, name("name") + sec(1, vec(b"\x01" + name("second"))))
    m = decode_module(HEADER + types + imports + funcs + tables + globals_ + exports + start + elems
                      + datacount + code + data + names)
    assert m.types == [S.FuncType(("i32", "i64"), ("f32",)), S.FuncType((), ())]
    assert [i.kind for i in m.imports] == ["func", "table", "memory", "global"]
    assert m.imports[1].desc == S.TableType(S.Limits(1, 5), "funcref")
    assert m.imports[2].desc == S.MemType(S.Limits(1))
    assert m.imports[3].desc == S.GlobalType("i32", True)
    assert [f.type_idx for f in m.funcs] == [0, 1]
    assert m.funcs[0].locals == ["i32", "i32"]
    assert m.funcs[0].body == [("i32.const", 0), ("drop",)]
    assert m.tables == [S.TableType(S.Limits(2), "externref")]
    assert m.globals[0].type == S.GlobalType("i64", False)
    assert m.globals[0].init == [("i64.const", 2 ** 64 - 1)]
    assert m.exports == [S.Export("f", "func", 1), S.Export("g", "global", 1)]
    assert m.start == 1
    assert [e.mode for e in m.elems] == ["active", "passive", "active", "declarative"] * 2
    # function indices are references that cannot be null in 3.0 (funcref in 2.0)
    assert [e.type for e in m.elems] == ["(ref func)"] * 4 + ["funcref", "externref", "externref", "funcref"]
    assert m.elems[0].init == [[("ref.func", 0)]] and m.elems[0].offset == [("i32.const", 0)]
    assert m.elems[6].table == 1 and m.elems[5].init == [[("ref.null", "externref")]]
    assert m.data_count == 3
    assert [d.mode for d in m.datas] == ["active", "passive", "active"]
    assert m.datas[1].init == b"bc" and m.datas[2].offset == [("i32.const", 8)]
    assert m.func_names == {1: "second"}
    assert m.customs[0].name == "name"
    again = decode_module(encode_module(m))
    for f in again.funcs:
        f.offset = 0
    for f in m.funcs:
        f.offset = 0
    assert again == m


@pytest.mark.parametrize("data,msg", [
    (HEADER + b"\x0d\x00", "malformed section id"),
    (HEADER + sec(1, b"\x00") + sec(1, b"\x00"), "unexpected content after last section"),
    (HEADER + sec(3, b"\x00") + sec(1, b"\x00"), "unexpected content after last section"),
    (HEADER + sec(1, b"\x00\x00"), "section size mismatch"),
    (HEADER + b"\x01\x05\x00", "length out of bounds"),
    (HEADER + sec(0, b"\x02\xc0\x80"), "malformed UTF-8 encoding"),
    (HEADER + sec(0, b"\x03\xed\xb2\xbf"), "malformed UTF-8"),  # an encoded surrogate
    (HEADER + sec(1, vec(b"\x60\x01\x7a\x00")), "malformed value type"),
    (HEADER + sec(1, vec(b"\x61\x00\x00")), "malformed function type"),
    (HEADER + sec(2, vec(name("a") + name("b") + b"\x04")), "malformed import kind"),
    (HEADER + sec(2, vec(name("a") + name("b") + b"\x03\x7f\x02")), "malformed mutability"),
    (HEADER + sec(4, vec(b"\x7f\x00\x00")), "malformed reference type"),
    (HEADER + sec(5, vec(b"\x02\x00")), "integer too large"),  # limits flag
    (HEADER + sec(5, vec(b"\x81\x00\x00")), "integer representation too long"),
    (HEADER + sec(3, vec(b"\x00")), "function and code section have inconsistent lengths"),
    (HEADER + sec(12, b"\x01"), "data count and data section have inconsistent lengths"),
    (HEADER + sec(11, vec(b"\x03")), "malformed data segment kind"),
    (HEADER + sec(9, vec(b"\x08")), "malformed elements segment kind"),
    (HEADER + sec(9, vec(b"\x01\x01\x00")), "malformed element kind"),
    (HEADER + sec(7, vec(name("e") + b"\x04\x00")), "malformed export kind"),
    (HEADER + sec(6, vec(b"\x7f\x00\x41\x00")), "unexpected end"),
    (HEADER + sec(0, b""), "unexpected end"),
])
def test_section_errors(data, msg):
    malformed(data, msg)


def test_custom_section_payload_kept():
    m = decode_module(HEADER + sec(0, name("hello") + b"\x01\x02"))
    assert m.customs == [S.Custom("hello", b"\x01\x02")]


def test_broken_name_section_is_ignored():
    m = decode_module(HEADER + sec(0, name("name") + b"\x01\x7f"))
    assert m.func_names == {}


# ------------------------------------------------------------------------------------------- code
def test_function_body_errors():
    malformed(func_module(b"\x01"), "unexpected end")  # no end
    malformed(func_module(b"\x06\x0b"), "illegal opcode")
    malformed(func_module(b"\xfc\x7f\x0b"), "illegal opcode")
    malformed(func_module(b"\xfd\x9a\x01\x0b"), "illegal opcode")  # 154: unassigned
    malformed(func_module(b"\x05\x0b"), "END opcode expected")  # else outside an if
    malformed(func_module(b"\x3f\x01\x1a\x0b"), "zero byte expected")
    malformed(func_module(b"\x41\x00\x28\x20\x00\x1a\x0b"), "malformed memop flags")
    malformed(func_module(b"\x0b\x0b"), "section size mismatch")  # bytes left after end
    malformed(func_module(b"\x0b", locals_=b"\x02\xff\xff\xff\xff\x0f\x7f\x02\x7e"), "too many locals")
    malformed(func_module(b"\xfc\x09\x00\x0b"), "data count section required")
    malformed(func_module(b"\x41\x00\x41\x00\x41\x00\xfc\x08\x00\x01\x0b"), "zero byte expected")


def test_structured_control():
    body = body_of(b"\x02\x40\x03\x7f\x41\x01\x0b\x1a\x0b"
                   b"\x41\x00\x04\x7e\x42\x01\x05\x42\x02\x0b\x1a"
                   b"\x41\x00\x04\x40\x0b"
                   b"\x02\x00\x0b"
                   b"\x41\x00\x0e\x02\x00\x00\x00"
                   b"\x0b")
    assert body[0] == ("block", None, [("loop", "i32", [("i32.const", 1)]), ("drop",)])
    assert body[2] == ("if", "i64", [("i64.const", 1)], [("i64.const", 2)])
    assert body[5] == ("if", None, [], [])
    assert body[6] == ("block", 0, [])
    assert body[8] == ("br_table", (0, 0), 0)


def test_constants_and_immediates():
    body = body_of(b"\x41\x7f\x42\x80\x7f\x43\x01\x00\xc0\x7f\x44" + bytes(8)
                   + b"\xfd\x0c" + bytes(range(16))
                   + b"\xfd\x0d" + bytes(range(16, 32))
                   + b"\xfd\x15\x03"
                   + b"\xfd\x54\x00\x04\x07"
                   + b"\x28\x02\x10"
                   + b"\x1c\x01\x7f\x1b"
                   + b"\xd0\x70\xd0\x6f\xd1\xd2\x00"
                   + b"\x11\x01\x02\x25\x03"
                   + b"\xfc\x0c\x01\x02\xfc\x0e\x03\x04\xfc\x0a\x00\x00\xfc\x0b\x00\xfc\x00\xfc\x08\x05\x00"
                   + b"\x0b", extra_before_code=sec(12, b"\x06"),
                   after_code=sec(11, vec(*[b"\x01\x00"] * 6)))
    assert body[0] == ("i32.const", 0xFFFFFFFF)
    assert body[1] == ("i64.const", 2 ** 64 - 128)
    assert body[2] == ("f32.const", 0x7FC00001)  # NaN payload preserved
    assert body[3] == ("f64.const", 0)
    assert body[4] == ("v128.const", int.from_bytes(bytes(range(16)), "little"))
    assert body[5] == ("i8x16.shuffle", tuple(range(16, 32)))
    assert body[6] == ("i8x16.extract_lane_s", 3)
    assert body[7] == ("v128.load8_lane", 0, 4, 7)
    assert body[8] == ("i32.load", 2, 16)
    assert body[9] == ("select", ("i32",)) and body[10] == ("select",)
    assert body[11:15] == [("ref.null", "funcref"), ("ref.null", "externref"), ("ref.is_null",), ("ref.func", 0)]
    assert body[15] == ("call_indirect", 1, 2) and body[16] == ("table.get", 3)
    assert body[17] == ("table.init", 1, 2) and body[18] == ("table.copy", 3, 4)
    assert body[19:23] == [("memory.copy",), ("memory.fill",), ("i32.trunc_sat_f32_s",), ("memory.init", 5)]


def test_deep_nesting_decodes_and_encodes():
    n = 100_000
    body = b"\x02\x40" * n + b"\x0b" * n + b"\x0b"
    data = func_module(body)
    m = decode_module(data)
    depth, cur = 0, m.funcs[0].body
    while cur:
        depth += 1
        cur = cur[0][2]
    assert depth == n
    assert encode_module(m) == data


def test_unterminated_deep_nesting_is_malformed():
    malformed(func_module(b"\x02\x40" * 50_000), "unexpected end")


# ------------------------------------------------------------------------------------------- tables
def test_opcode_table_is_consistent():
    assert len(OPCODES) == len(set(OPCODES))
    for n, (code, _imm) in OPCODES.items():
        if isinstance(code, tuple):
            assert BY_PREFIX[code[0]][code[1]] == n
        else:
            assert BY_BYTE[code] == n
    assert OPCODES["i32.add"] == (0x6A, "")
    assert OPCODES["f64x2.convert_low_i32x4_u"] == ((FD, 255), "")
    assert OPCODES["table.fill"] == ((FC, 17), "idx")
    assert SIGNATURES["i64.extend_i32_u"] == (("i32",), ("i64",))
    assert len(BY_PREFIX[FD]) == 236 + 20  # every fixed-width SIMD instruction of wasm 2.0, and 3.0's relaxed


def test_encode_hand_built_ir():
    m = S.Module(types=[S.FuncType(("i32",), ("i32",))],
                 funcs=[S.Func(0, ["i64"], [("local.get", 0), ("if", "i32", [("i32.const", 2 ** 32 - 1)],
                                                                 [("i32.const", 7)])])],
                 mems=[S.MemType(S.Limits(1, 2))],
                 exports=[S.Export("f", "func", 0)],
                 datas=[S.Data(b"xy", "passive")])
    data = encode_module(m)
    back = decode_module(data)
    back.funcs[0].offset = 0
    assert back.funcs == m.funcs and back.exports == m.exports and back.mems == m.mems
    assert back.datas == m.datas and back.data_count is None


def test_encoder_adds_data_count_when_code_needs_it():
    m = S.Module(types=[S.FuncType((), ())], funcs=[S.Func(0, [], [("data.drop", 0)])],
                 datas=[S.Data(b"", "passive")])
    assert decode_module(encode_module(m)).data_count == 1
