"""Typed function references (3.0): reference types as value types, ``call_ref``, ``ref.as_non_null``,
``br_on_null``/``br_on_non_null``, non-nullable locals (set before use, per block), tables with an
initialiser, in the decoder, the text format, the validator and the interpreter."""

from __future__ import annotations

import pytest

from harness.engine import api, features, types
from harness.engine.binary import decode_module
from harness.engine.binary.encode import encode_module
from harness.engine.errors import Trap, UnsupportedFeature, ValidationError
from harness.engine.text import parse_module

FUNCREFS = """(module
  (type $t (func (param i32) (result i32)))
  (func $sq (type $t) (i32.mul (local.get 0) (local.get 0)))
  (elem declare func $sq)
  (table $tab 2 (ref null $t) (ref.func $sq))
  (func $apply (param $f (ref null $t)) (param i32) (result i32) (call_ref $t (local.get 1) (local.get $f)))
  (func (export "clear-1") (table.set $tab (i32.const 1) (ref.null $t)))
  (func (export "apply-sq") (param i32) (result i32) (call $apply (ref.func $sq) (local.get 0)))
  (func (export "apply-null") (result i32) (call $apply (ref.null $t) (i32.const 1)))
  (func (export "from-table") (param i32) (result i32)
    (call_ref $t (i32.const 5) (ref.as_non_null (table.get $tab (local.get 0)))))
  (func (export "on-null") (param i32) (result i32)
    (block $null
      (return (call_ref $t (i32.const 3) (br_on_null $null (table.get $tab (local.get 0))))))
    (i32.const -1))
  (func (export "on-non-null") (param i32) (result i32)
    (call_ref $t (i32.const 4)
      (block $some (result (ref $t))
        (br_on_non_null $some (table.get $tab (local.get 0)))
        (return (i32.const -2)))))
  (func (export "tail") (param i32) (result i32)
    (local $f (ref $t))
    (local.set $f (ref.func $sq))
    (return_call_ref $t (local.get 0) (local.get $f))))"""


@pytest.mark.parametrize("force_flat", [False, True])
def test_typed_function_references(force_flat: bool) -> None:
    inst = api.Store("interp", force_flat=force_flat).instantiate(api.Module.from_text(FUNCREFS))
    assert inst.call("apply-sq", 7) == 49
    with pytest.raises(Trap, match="null function reference"):
        inst.call("apply-null")
    assert inst.call("from-table", 1) == 25  # the table's initialiser filled it
    inst.call("clear-1")
    assert inst.call("from-table", 0) == 25
    with pytest.raises(Trap, match="null reference"):
        inst.call("from-table", 1)
    assert inst.call("on-null", 0) == 9
    assert inst.call("on-null", 1) == -1
    assert inst.call("on-non-null", 0) == 16
    assert inst.call("on-non-null", 1) == -2
    assert inst.call("tail", 6) == 36


def test_round_trip_and_type_strings() -> None:
    data = parse_module(FUNCREFS)
    m = decode_module(data)
    assert encode_module(m) == data
    assert m.tables[0].elem == "(ref null 0)" and 0 in m.table_inits
    assert types.parse("(ref 3)") == (False, 3) and types.parse("funcref") == (True, "func")
    assert types.ref(True, "extern") == "externref" and types.non_null("anyref") == "(ref any)"


@pytest.mark.parametrize("src, message", [
    ("(module (func (local $x (ref extern)) (drop (local.get $x))))", "uninitialized local"),
    ("(module (func (param $p (ref extern)) (local $x (ref extern))"
     " (block (local.set $x (local.get $p))) (drop (local.get $x))))", "uninitialized local"),
    ("(module (type $t (func)) (func (param (ref null $t)) (call $g (local.get 0))) (func $g (param (ref $t))))",
     "type mismatch"),
    ("(module (table 1 (ref func)))", "type mismatch"),
    ("(module (func (local (ref null 1))))", "unknown type"),
    ("(module (func (drop (br_on_non_null 0 (ref.null func)))))", "type mismatch"),
])
def test_invalid(src: str, message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        api.Module.from_text(src)


def test_a_non_nullable_local_set_before_use_is_valid() -> None:
    api.Module.from_text("(module (func (param $p (ref extern)) (local $x (ref extern))"
                         " (local.set $x (local.get $p)) (block (drop (local.get $x)))))")


def test_compiled_tiers_refuse_typed_references_by_name(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(api.TIER_FEATURES, "interp", features.WASM2)  # a tier with 2.0 only
    with pytest.raises(UnsupportedFeature, match="function-references"):
        api.Store("interp").instantiate(api.Module.from_text(FUNCREFS))
