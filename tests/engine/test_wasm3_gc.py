"""GC instructions (3.0) in the interpreter: structs and arrays (Python objects with their runtime type), i31,
``ref.eq``, the extern/any conversions, ``ref.test``/``ref.cast``/``br_on_cast``, the traps of each; and
constant expressions that allocate."""

from __future__ import annotations

import pytest

from harness.engine import api
from harness.engine.errors import Trap, ValidationError

GC = """(module
  (type $pt (sub (struct (field $x (mut i32)) (field $y i8))))
  (type $pt3 (sub final $pt (struct (field $x (mut i32)) (field $y i8) (field $z f64))))
  (type $bytes (array (mut i8)))
  (data $d "\\01\\02\\ff")
  (global $g (ref $pt) (struct.new $pt (i32.const 5) (i32.const 300)))
  (func (export "point") (param i32) (result i32 i32)
    (local $p (ref $pt))
    (local.set $p (struct.new $pt (local.get 0) (i32.const -1)))
    (struct.set $pt $x (local.get $p) (i32.add (struct.get $pt $x (local.get $p)) (i32.const 1)))
    (struct.get $pt $x (local.get $p)) (struct.get_s $pt $y (local.get $p)))
  (func (export "global-y") (result i32) (struct.get_u $pt $y (global.get $g)))
  (func (export "bytes") (param i32) (result i32 i32)
    (local $a (ref $bytes))
    (local.set $a (array.new_data $bytes $d (i32.const 0) (i32.const 3)))
    (array.get_s $bytes (local.get $a) (local.get 0)) (array.len (local.get $a)))
  (func (export "null-get") (result i32) (struct.get $pt $x (ref.null $pt)))
  (func (export "oob") (result i32) (array.get_u $bytes (array.new_default $bytes (i32.const 2)) (i32.const 2)))
  (func (export "test") (param i32) (result i32)
    (local $r anyref)
    (local.set $r (if (result anyref) (local.get 0)
      (then (struct.new_default $pt3)) (else (ref.i31 (i32.const 7)))))
    (i32.add (i32.add (ref.test (ref $pt) (local.get $r)) (i32.shl (ref.test (ref i31) (local.get $r)) (i32.const 1)))
             (i32.shl (ref.test eqref (local.get $r)) (i32.const 2))))
  (func (export "cast-fails") (drop (ref.cast (ref $pt3) (struct.new_default $pt))))
  (func (export "on-cast") (param i32) (result i32)
    (block $is (result (ref $pt3))
      (br_on_cast $is anyref (ref $pt3)
        (if (result anyref) (local.get 0) (then (struct.new_default $pt3)) (else (ref.null any))))
      (return (i32.const -1)))
    (drop) (i32.const 1))
  (func (export "eq") (result i32 i32)
    (ref.eq (ref.i31 (i32.const 3)) (ref.i31 (i32.const 3)))
    (ref.eq (struct.new_default $pt) (struct.new_default $pt)))
  (func (export "round-trip") (param externref) (result externref)
    (extern.convert_any (any.convert_extern (local.get 0)))))"""


@pytest.fixture()
def inst() -> api.Instance:
    return api.Store("interp").instantiate(api.Module.from_text(GC))


def test_structs_arrays_and_i31(inst: api.Instance) -> None:
    assert inst.call("point", 41) == (42, -1)
    assert inst.call("global-y") == 44  # 300 stored in an i8 field
    assert inst.call("bytes", 2) == (-1, 3)
    with pytest.raises(Trap, match="null structure reference"):
        inst.call("null-get")
    with pytest.raises(Trap, match="out of bounds array access"):
        inst.call("oob")


def test_tests_casts_and_equality(inst: api.Instance) -> None:
    assert inst.call("test", 1) == 1 + 4
    assert inst.call("test", 0) == 2 + 4
    with pytest.raises(Trap, match="cast failure"):
        inst.call("cast-fails")
    assert inst.call("on-cast", 1) == 1 and inst.call("on-cast", 0) == -1
    assert inst.call("eq") == (1, 0)
    host = object()
    assert inst.invoke("round-trip", [host]) == [host]


@pytest.mark.parametrize("src, message", [
    ("(module (type $s (struct (field i32))) (func (param (ref $s)) (struct.set $s 0 (local.get 0) (i32.const 1))))",
     "field is immutable"),
    ("(module (type $s (struct (field i8))) (func (param (ref $s)) (result i32) (struct.get $s 0 (local.get 0))))",
     "type mismatch"),
    ("(module (type $s (struct (field (ref any)))) (func (drop (struct.new_default $s))))", "type mismatch"),
    ("(module (func (param anyref) (result i32) (ref.test (ref func) (local.get 0))))", "type mismatch"),
])
def test_invalid(src: str, message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        api.Module.from_text(src)
