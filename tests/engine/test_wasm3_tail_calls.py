"""Tail calls (``return_call``, ``return_call_indirect``) in the interpreter: a chain of them runs in constant
Python stack (a trampoline makes each call the body returns), in both code generators."""

from __future__ import annotations

import pytest

from harness.engine import api, features
from harness.engine.errors import Trap, UnsupportedFeature, ValidationError

EVEN_ODD = """(module
  (type $t (func (param i64) (result i32)))
  (table funcref (elem $even-i $odd-i))
  (func $even (export "even") (param i64) (result i32)
    (if (result i32) (i64.eqz (local.get 0)) (then (i32.const 44))
      (else (return_call $odd (i64.sub (local.get 0) (i64.const 1))))))
  (func $odd (export "odd") (param i64) (result i32)
    (if (result i32) (i64.eqz (local.get 0)) (then (i32.const 99))
      (else (return_call $even (i64.sub (local.get 0) (i64.const 1))))))
  (func $even-i (export "even-i") (param i64) (result i32)
    (if (result i32) (i64.eqz (local.get 0)) (then (i32.const 44))
      (else (return_call_indirect (type $t) (i64.sub (local.get 0) (i64.const 1)) (i32.const 1)))))
  (func $odd-i (param i64) (result i32)
    (if (result i32) (i64.eqz (local.get 0)) (then (i32.const 99))
      (else (return_call_indirect (type $t) (i64.sub (local.get 0) (i64.const 1)) (i32.const 0)))))
  (func (export "via-call") (param i64) (result i32) (i32.add (call $even (local.get 0)) (i32.const 1)))
  (func (export "bad-index") (result i32) (return_call_indirect (type $t) (i64.const 0) (i32.const 7))))"""


@pytest.mark.parametrize("force_flat", [False, True])
def test_tail_calls_run_in_constant_stack(force_flat: bool) -> None:
    inst = api.Store("interp", max_depth=200, force_flat=force_flat).instantiate(api.Module.from_text(EVEN_ODD))
    assert inst.call("even", 100_001) == 99
    assert inst.call("odd", 100_001) == 44
    assert inst.call("even-i", 50_000) == 44
    assert inst.call("via-call", 10_000) == 45
    with pytest.raises(Trap, match="undefined element"):
        inst.call("bad-index")


@pytest.mark.parametrize("src", [
    "(module (func $f (result i64) (i64.const 0)) (func (result i32) (return_call $f)))",
    "(module (func $f (param i32)) (func (return_call $f)))",
    "(module (type $t (func)) (table 1 externref) (func (return_call_indirect (type $t) (i32.const 0))))",
])
def test_invalid(src: str) -> None:
    with pytest.raises(ValidationError, match="type mismatch"):
        api.Module.from_text(src)


def test_compiled_tiers_refuse_tail_calls_by_name(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(api.TIER_FEATURES, "interp", features.WASM2)  # a tier with 2.0 only
    with pytest.raises(UnsupportedFeature, match="tail-call"):
        api.Store("interp").instantiate(api.Module.from_text(EVEN_ODD))
