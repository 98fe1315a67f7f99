"""WebAssembly 3.0 constant expressions: extended-const arithmetic and reading earlier globals, which the 2.0
rules (``features.WASM2``) reject; a compiled tier without a feature refuses the module by naming it."""

from __future__ import annotations

import pytest

from harness.engine import api, features
from harness.engine.errors import UnsupportedFeature, ValidationError

EXTENDED = """(module
  (global $a i32 (i32.const 6))
  (global $b i64 (i64.mul (i64.const 7) (i64.sub (i64.const 10) (i64.const 4))))
  (global (export "c") i32 (i32.add (global.get $a) (i32.mul (i32.const 3) (i32.const 5))))
  (memory 1)
  (data (i32.sub (global.get $a) (i32.const 2)) "\\2a")
  (func (export "b") (result i64) (global.get $b))
  (func (export "m") (result i32) (i32.load8_u (i32.const 4))))"""


def test_extended_const_evaluates_at_instantiation() -> None:
    inst = api.Store("interp").instantiate(api.Module.from_text(EXTENDED))
    assert inst.exports["c"].value == 21
    assert inst.call("b") == 42
    assert inst.call("m") == 42


@pytest.mark.parametrize("src, message", [
    (EXTENDED, "constant expression required"),
    ("(module (global i32 (i32.const 1)) (global i32 (global.get 0)))", "unknown global"),
    ("(module (memory 1) (memory 1))", "multiple memories"),
])
def test_wasm2_rules_reject_what_3_0_accepts(src: str, message: str) -> None:
    api.Module.from_text(src)
    with pytest.raises(ValidationError, match=message):
        api.Module.from_text(src, features=features.WASM2)


@pytest.mark.parametrize("src, message", [
    ("(module (global i32 (i32.add (i32.const 1) (i64.const 2))))", "type mismatch"),
    ("(module (global i32 (i32.add (i32.const 1))))", "type mismatch"),
    ("(module (global i32 (i32.div_u (i32.const 1) (i32.const 1))))", "constant expression required"),
    ("(module (global i32 (global.get 0)))", "unknown global"),
    ("(module (global (mut i32) (i32.const 0)) (global i32 (global.get 0)))", "constant expression required"),
])
def test_invalid_constant_expressions(src: str, message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        api.Module.from_text(src)


def test_used_features() -> None:
    assert features.used_by(api.Module.from_text(EXTENDED).ast) == {features.EXTENDED_CONST}
    assert features.used_by(api.Module.from_text("(module (memory 1) (memory 1))").ast) == {features.MULTI_MEMORY}
    assert features.used_by(api.Module.from_text("(module (memory 1))").ast) == set()


def test_a_tier_without_a_feature_refuses_the_module_by_name(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(api.TIER_FEATURES, "interp", frozenset())
    with pytest.raises(UnsupportedFeature, match="extended-const"):
        api.Store("interp").instantiate(api.Module.from_text(EXTENDED))
