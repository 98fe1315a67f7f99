"""GC type definitions (3.0): recursion groups, sub types (final or not), struct and array types in the
decoder, the text format and the validator; equivalence is iso-recursive (by canonical id) and subtyping
follows declared supertypes (the instructions: test_wasm3_gc)."""

from __future__ import annotations

import pytest

from harness.engine import api, features
from harness.engine import syntax as S
from harness.engine.binary import decode_module
from harness.engine.binary.encode import encode_module
from harness.engine.errors import LinkError, Trap, UnsupportedFeature, ValidationError
from harness.engine.text import parse_module
from harness.engine.valid.context import build_context

TYPES = """(module
  (rec (type $l (struct (field i32) (field (ref null $l)))) (type $f (func (param (ref null $l)))))
  (rec (type $l2 (struct (field i32) (field (ref null $l2)))) (type $f2 (func (param (ref null $l2)))))
  (type $base (sub (struct (field (mut i8)) (field anyref))))
  (type $derived (sub final $base (struct (field (mut i8)) (field (ref null $derived)) (field i64))))
  (type $a (array (mut i16)))
  (func (param (ref $f2)) (call_ref $f (ref.null $l) (local.get 0)))
  (func (param (ref $derived)) (result (ref null $base)) (local.get 0)))"""


def test_decode_encode_and_canonical_equivalence() -> None:
    data = parse_module(TYPES)
    m = decode_module(data)
    assert encode_module(m) == data
    assert m.rec_groups == [2, 2, 1, 1, 1, 1, 1]  # the two groups, then single types (funcs' inline types too)
    assert m.subs[5] == S.SubInfo((4,), True)
    assert m.types[4] == S.StructType((S.FieldType("i8", True), S.FieldType("anyref", False)))
    assert m.types[6] == S.ArrayType(S.FieldType("i16", True))
    c = build_context(m)
    assert c.canon[0] == c.canon[2] and c.canon[1] == c.canon[3] and c.canon[0] != c.canon[1]
    assert c.matches("(ref 5)", "(ref null 4)") and not c.matches("(ref 4)", "(ref 5)")
    assert c.matches("(ref 4)", "structref") and c.matches("(ref 6)", "(ref eq)")
    api.Module.from_bytes(data)


@pytest.mark.parametrize("src, message", [
    ("(module (type $s (struct)) (type (sub $s (struct))))", "sub type"),  # a final supertype
    ("(module (type $s (sub (struct (field i32)))) (type (sub $s (struct (field i64)))))", "sub type"),
    ("(module (type $s (sub (struct (field (mut i32))))) (type (sub $s (struct (field i32)))))", "sub type"),
    ("(module (type $s (sub (func))) (type (sub $s (struct))))", "sub type"),
    ("(module (type (struct (field (ref 1)))) (type (struct)))", "unknown type"),
    ("(module (type $s (struct)) (func (type $s)))", "type mismatch"),
])
def test_invalid(src: str, message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        api.Module.from_text(src)


def test_compiled_tiers_refuse_gc_by_name(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(api.TIER_FEATURES, "interp", features.WASM2)  # a tier with 2.0 only
    assert features.GC in api.Module.from_text(TYPES).features
    with pytest.raises(UnsupportedFeature, match="gc"):
        api.Store("interp").instantiate(api.Module.from_text(TYPES))


def test_runtime_types_compare_across_modules() -> None:
    """Equivalent types of two modules are one runtime type: imports and call_indirect match by it."""
    store = api.Store("interp")
    a = store.instantiate(api.Module.from_text("""(module
      (type $s (sub (struct)))
      (type $t (sub final $s (struct (field i32))))
      (type $f (func (param (ref null $t))))
      (func (export "f") (type $f))
      (table (export "tab") 1 funcref (ref.func 0)))"""))
    b_src = """(module
      (type $x (struct))
      (type $s (sub (struct)))
      (type $t (sub final $s (struct (field i32))))
      (type $f (func (param (ref null $t))))
      (type $g (func (param (ref null $s))))
      (import "a" "f" (func (type $f)))
      (import "a" "tab" (table 1 funcref))
      (func (export "same") (call_indirect (type $f) (ref.null $t) (i32.const 0)))
      (func (export "other") (call_indirect (type $g) (ref.null $s) (i32.const 0))))"""
    b = store.instantiate(api.Module.from_text(b_src), {"a": a.exports})
    b.call("same")
    with pytest.raises(Trap, match="indirect call type mismatch"):
        b.call("other")
    with pytest.raises(LinkError, match="incompatible import type"):
        store.instantiate(api.Module.from_text(
            '(module (type $s (struct)) (import "a" "f" (func (param (ref null $s)))))'), {"a": a.exports})


def test_imported_globals_of_reference_types_match_by_runtime_type() -> None:
    store = api.Store("interp")
    a = store.instantiate(api.Module.from_text("""(module (type $x (struct)) (type $t (func)) (func $f (type $t))
      (global (export "ref") (ref $t) (ref.func $f)) (global (export "var") (mut (ref null $t)) (ref.null $t)))"""))
    ok = """(module (type $t (func)) (global (import "a" "ref") (ref null $t)) (global (import "a" "ref") funcref)
      (global (import "a" "var") (mut (ref null $t))))"""
    store.instantiate(api.Module.from_text(ok), {"a": a.exports})
    for bad in ['(module (type $t (func)) (global (import "a" "var") (mut (ref null func))))',
                '(module (type $t (func (param i32))) (global (import "a" "ref") (ref $t)))']:
        with pytest.raises(LinkError, match="incompatible import type"):
            store.instantiate(api.Module.from_text(bad), {"a": a.exports})
