"""WebAssembly 3.0 memories: several per module (multi-memory) and 64-bit addresses (memory64, table64), in
the decoder, the text format, the validator and the interpreter; the 2.0 binary format stays as it was."""

from __future__ import annotations

import pytest

from harness.engine import api, features
from harness.engine.binary import decode_module
from harness.engine.binary.encode import encode_module
from harness.engine.errors import MalformedError, Trap, UnsupportedFeature, ValidationError
from harness.engine.text import parse_module

MULTI = """(module
  (memory $a 1)
  (memory $b 2)
  (data (memory $b) (i32.const 8) "\\01\\02\\03\\04")
  (func (export "sizes") (result i32 i32) (memory.size $a) (memory.size $b))
  (func (export "load-b") (param i32) (result i32) (i32.load $b (local.get 0)))
  (func (export "copy-b-to-a") (memory.copy $a $b (i32.const 0) (i32.const 8) (i32.const 4)))
  (func (export "load-a") (param i32) (result i32) (i32.load $a (local.get 0)))
  (func (export "grow-b") (result i32) (memory.grow $b (i32.const 1)))
  (func (export "store-b") (param i32 i32) (i32.store8 $b offset=1 (local.get 0) (local.get 1))))"""

MEM64 = """(module
  (memory i64 1 3)
  (data (i64.const 16) "\\2a")
  (func (export "load") (param i64) (result i32) (i32.load8_u (local.get 0)))
  (func (export "size") (result i64) (memory.size))
  (func (export "grow") (param i64) (result i64) (memory.grow (local.get 0)))
  (func (export "fill") (param i64 i32 i64) (memory.fill (local.get 0) (local.get 1) (local.get 2))))"""


def _instance(src: str) -> api.Instance:
    return api.Store("interp").instantiate(api.Module.from_text(src))


def test_multi_memory() -> None:
    inst = _instance(MULTI)
    assert inst.call("sizes") == (1, 2)
    assert inst.call("load-b", 8) == 0x04030201
    inst.call("copy-b-to-a")
    assert inst.call("load-a", 0) == 0x04030201
    assert inst.call("grow-b") == 2
    assert inst.call("sizes") == (1, 3)
    inst.call("store-b", 3 * 65536 - 2, 7)
    with pytest.raises(Trap, match="out of bounds memory access"):
        inst.call("store-b", 3 * 65536 - 1, 7)


def test_memory64() -> None:
    inst = _instance(MEM64)
    assert inst.call("load", 16) == 42
    for addr in (65536, -1, 1 << 63):
        with pytest.raises(Trap, match="out of bounds memory access"):
            inst.call("load", addr)
    assert inst.call("size") == 1
    assert inst.call("grow", 2) == 1
    assert inst.call("grow", 1) == -1
    assert inst.call("grow", -1) == -1
    inst.call("fill", 3 * 65536 - 4, 9, 4)
    with pytest.raises(Trap, match="out of bounds memory access"):
        inst.call("fill", -1, 9, 2)


def test_binary_round_trip_keeps_memory_indices_and_address_types() -> None:
    for src in (MULTI, MEM64):
        data = parse_module(src)
        assert encode_module(decode_module(data)) == data
    m = decode_module(parse_module(MULTI))
    assert ("i32.load", 2, 0, 1) in m.funcs[1].body
    assert m.funcs[2].body[-1] == ("memory.copy", 0, 1)
    assert decode_module(parse_module(MEM64)).mems[0].addr == "i64"


@pytest.mark.parametrize("src, message", [
    ("(module (memory 1) (func (drop (i32.load 1 (i32.const 0)))))", "unknown memory 1"),
    ("(module (memory i64 1) (func (drop (i32.load (i32.const 0)))))", "type mismatch"),
    ("(module (memory i64 1) (func (result i32) (memory.size)))", "type mismatch"),
    ("(module (memory 1) (memory i64 1) (func (memory.copy 0 1 (i32.const 0) (i64.const 0) (i64.const 0))))",
     "type mismatch"),
    ("(module (memory i64 0x1_0000_0000_0001))", "memory size"),
    ("(module (table i64 1 funcref) (func (drop (table.get 0 (i32.const 0)))))", "type mismatch"),
])
def test_invalid(src: str, message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        api.Module.from_text(src)


def test_the_2_0_binary_format_wants_zero_bytes() -> None:
    # memory.grow with a memory index of 0 written in two bytes: a reserved byte that is not zero in 2.0
    data = bytes.fromhex("0061736d01000000" "010401600000" "03020100" "0503010000" "0a0a010800" "4100" "408000" "1a0b")
    decode_module(data)
    with pytest.raises(MalformedError, match="zero byte expected"):
        decode_module(data, features=features.WASM2)
    with pytest.raises(MalformedError, match="malformed limits flags"):
        decode_module(bytes.fromhex("0061736d01000000" "0502010800"))


def test_compiled_tiers_refuse_multi_memory_by_name(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(api.TIER_FEATURES, "interp", features.WASM2)  # a tier with 2.0 only
    with pytest.raises(UnsupportedFeature, match="memory64"):
        _instance(MEM64)
    with pytest.raises(UnsupportedFeature, match="multi-memory"):
        _instance(MULTI)
