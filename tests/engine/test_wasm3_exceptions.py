"""Exception handling with exnref (3.0): tags, ``throw``, ``throw_ref`` and ``try_table``'s four catch
clauses in the decoder, the text format, the validator and the interpreter; an exception no wasm code
catches reaches the host as ``WasmException``."""

from __future__ import annotations

import pytest

from harness.engine import api, features
from harness.engine.binary import decode_module
from harness.engine.binary.encode import encode_module
from harness.engine.errors import Trap, UnsupportedFeature, ValidationError, WasmException
from harness.engine.text import parse_module

EXN = """(module
  (tag $e (export "e") (param i32 i64))
  (tag $other)
  (func $thrower (param i32)
    (if (i32.eqz (local.get 0)) (then (throw $other)))
    (throw $e (local.get 0) (i64.const 7)))
  (func (export "catch") (param i32) (result i32 i64)
    (block $h (result i32 i64)
      (try_table (catch $e $h) (call $thrower (local.get 0)))
      (unreachable)))
  (func (export "catch-all") (param i32) (result i32)
    (block $h
      (try_table (catch $other $h) (catch_all $h) (call $thrower (local.get 0)))
      (return (i32.const -1)))
    (i32.const 100))
  (func (export "rethrow") (param i32) (result i32)
    (block $h (result i32 i64 exnref)
      (try_table (catch_ref $e $h) (call $thrower (local.get 0)))
      (unreachable))
    (throw_ref))
  (func (export "outer") (param i32) (result i32)
    (block $h (result i32 i64)
      (try_table (catch $e $h) (drop (call 3 (local.get 0))))
      (return (i32.const -2)))
    (drop))
  (func (export "null-ref") (throw_ref (ref.null exn)))
  (func (export "trap-not-caught") (result i32)
    (block $h (try_table (catch_all $h) (unreachable)))
    (i32.const 0)))"""


@pytest.fixture()
def inst() -> api.Instance:
    return api.Store("interp").instantiate(api.Module.from_text(EXN))


def test_catch_clauses(inst: api.Instance) -> None:
    assert inst.call("catch", 5) == (5, 7)
    with pytest.raises(WasmException) as info:
        inst.call("catch", 0)
    assert info.value.tag is not inst.exports["e"]
    assert inst.call("catch-all", 0) == 100
    assert inst.call("catch-all", 5) == 100


def test_rethrown_exceptions_keep_their_values(inst: api.Instance) -> None:
    with pytest.raises(WasmException) as info:
        inst.call("rethrow", 9)
    assert info.value.tag is inst.exports["e"] and info.value.values == (9, 7)
    assert inst.call("outer", 3) == 3


def test_traps_are_not_exceptions(inst: api.Instance) -> None:
    with pytest.raises(Trap, match="null exception reference"):
        inst.call("null-ref")
    with pytest.raises(Trap, match="unreachable"):
        inst.call("trap-not-caught")


def test_round_trip() -> None:
    data = parse_module(EXN)
    m = decode_module(data)
    assert encode_module(m) == data
    assert len(m.tags) == 2 and m.exports[0].kind == "tag"


@pytest.mark.parametrize("src, message", [
    ("(module (tag (result i32)))", "non-empty tag result type"),
    ("(module (func (throw 0)))", "unknown tag 0"),
    ("(module (func (throw_ref)))", "type mismatch"),
    ("(module (tag) (func (try_table (catch_ref 0 0))))", "type mismatch"),
    ("(module (func (result exnref) (try_table (catch_all 0)) (unreachable)))", "type mismatch"),
])
def test_invalid(src: str, message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        api.Module.from_text(src)


def test_compiled_tiers_refuse_exceptions_by_name(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(api.TIER_FEATURES, "interp", features.WASM2)  # a tier with 2.0 only
    with pytest.raises(UnsupportedFeature, match="exceptions"):
        api.Store("interp").instantiate(api.Module.from_text(EXN))
    # tags alone are instantiation's: a tier without exception handling takes them
    tags = api.Store("interp").instantiate(api.Module.from_text('(module (tag (export "t") (param i32)))'))
    assert tags.exports["t"].type.params == ("i32",)
