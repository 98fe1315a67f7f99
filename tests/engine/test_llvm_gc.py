"""GC (3.0) in the LLVM tier: structs and arrays are the runtime's Python objects reached through the store's
handle table, i31 values are tagged words, casts compare runtime types, and the handle table is emptied
between calls (``NativeStore.collect``) without ever losing a reachable object.

Faults planted: a collection that forgets to rewrite one kind of native holder (a table mirror, a global
cell, an exception payload) must be caught by the reachability test; ``call_indirect`` comparing type ids
only (no subtype) must be caught by the subtype test; i31 words and handles must never be confused."""

from __future__ import annotations

import pytest

pytest.importorskip("llvmlite")

from harness.engine import errors, syntax  # noqa: E402
from harness.engine.api import TIER_FEATURES  # noqa: E402
from harness.engine.binary import decode_module  # noqa: E402
from harness.engine.runtime import FuncInstance, resolve_imports  # noqa: E402
from harness.engine.runtime.gcref import I31, StructRef  # noqa: E402
from harness.engine.text import parse_module  # noqa: E402
from harness.engine.tiers.interp import InterpTier  # noqa: E402
from harness.engine.tiers.llvm import native as N  # noqa: E402
from harness.engine.tiers.llvm.tier import LLVMTier  # noqa: E402
from harness.engine.valid import validate_module  # noqa: E402

VARIANTS = [dict(opt_level=0, bounds="explicit"), dict(opt_level=2, bounds="explicit"), dict(opt_level=2)]


def load(wat: str, tier=None, **kw):
    data = parse_module(wat)
    module = decode_module(data)
    validate_module(module)
    tier = tier or LLVMTier(cache_dir=False, **kw)
    return tier, tier.instantiate(module, resolve_imports(module, {}), data)


def caller(tier, inst):
    return lambda name, *a: tier.run(inst.exports[name], list(a))


def test_gc_feature_declared():
    assert "gc" in TIER_FEATURES["llvm"]


OBJECTS = """
(module
  (type $p (struct (field $x (mut i32)) (field $y (mut f64)) (field $b (mut i8)) (field $h (mut i16))
                   (field $l (mut i64)) (field $f (mut f32)) (field $v (mut v128)) (field $r (mut anyref))))
  (type $a8 (array (mut i8)))
  (type $af (array (mut f64)))
  (type $ar (array (mut (ref null $p))))
  (data $d "\\01\\02\\ff\\80")
  (global $g (mut (ref null $p)) (ref.null $p))
  (func (export "fields") (param i32 f64 i32 i32 i64 f32) (result i32 f64 i32 i32 i32 i32 i64 f32 i64)
    (local $s (ref $p))
    (local.set $s (struct.new $p (local.get 0) (local.get 1) (local.get 2) (local.get 3) (local.get 4)
                    (local.get 5) (v128.const i64x2 7 9) (ref.i31 (i32.const 5))))
    (struct.get $p $x (local.get $s)) (struct.get $p $y (local.get $s))
    (struct.get_s $p $b (local.get $s)) (struct.get_u $p $b (local.get $s))
    (struct.get_s $p $h (local.get $s)) (struct.get_u $p $h (local.get $s))
    (struct.get $p $l (local.get $s)) (struct.get $p $f (local.get $s))
    (i64x2.extract_lane 1 (struct.get $p $v (local.get $s))))
  (func (export "default") (result i32 f64 i32)
    (local $s (ref $p))
    (local.set $s (struct.new_default $p))
    (struct.get $p $x (local.get $s)) (struct.get $p $y (local.get $s))
    (ref.is_null (struct.get $p $r (local.get $s))))
  (func (export "arrays") (result i32 i32 i32 f64 i32)
    (local $a (ref $a8)) (local $f (ref $af))
    (local.set $a (array.new_data $a8 $d (i32.const 0) (i32.const 4)))
    (local.set $f (array.new $af (f64.const 1.5) (i32.const 3)))
    (array.set $af (local.get $f) (i32.const 2) (f64.const -0.25))
    (array.fill $a8 (local.get $a) (i32.const 0) (i32.const 300) (i32.const 1))
    (array.get_u $a8 (local.get $a) (i32.const 0))
    (array.get_s $a8 (local.get $a) (i32.const 2))
    (array.len (local.get $a))
    (f64.add (array.get $af (local.get $f) (i32.const 0)) (array.get $af (local.get $f) (i32.const 2)))
    (array.len (array.new_fixed $a8 3 (i32.const 1) (i32.const 2) (i32.const 3))))
  (func (export "oob") (param i32) (result i32)
    (array.get_u $a8 (array.new_default $a8 (i32.const 2)) (local.get 0)))
  (func (export "null_struct") (result i32) (struct.get $p $x (global.get $g)))
  (func (export "null_i31") (result i32) (i31.get_u (ref.null i31)))
  (func (export "i31") (param i32) (result i32 i32 i32)
    (i31.get_s (ref.i31 (local.get 0))) (i31.get_u (ref.i31 (local.get 0)))
    (ref.eq (ref.i31 (local.get 0)) (ref.i31 (i32.xor (local.get 0) (i32.const 0x80000000)))))
  (func (export "eq") (result i32 i32 i32)
    (local $s (ref $p))
    (local.set $s (struct.new_default $p))
    (ref.eq (local.get $s) (local.get $s))
    (ref.eq (local.get $s) (struct.new_default $p))
    ;; an i31 whose word would be a small handle if tags were confused
    (ref.eq (ref.i31 (i32.const 1)) (struct.new_default $p)))
  (func (export "cast") (param i32) (result i32)
    (local $r anyref)
    (local.set $r (if (result anyref) (local.get 0) (then (struct.new_default $p)) (else (ref.i31 (i32.const 3)))))
    (block $is_struct (result (ref $p))
      (br_on_cast $is_struct anyref (ref $p) (local.get $r))
      (return (i32.add (i32.const 100) (i31.get_u (ref.cast (ref i31) (local.get $r))))))
    (struct.get $p $x)
    (i32.add (i32.const 200)))
  (func (export "bad_cast") (result i32) (ref.test (ref $p) (ref.cast (ref $p) (ref.i31 (i32.const 0)))))
  (func (export "extern") (param externref) (result i32 externref)
    (ref.test (ref i31) (any.convert_extern (extern.convert_any (ref.i31 (i32.const 9)))))
    (extern.convert_any (any.convert_extern (local.get 0))))
)
"""


@pytest.mark.parametrize("kw", VARIANTS)
def test_objects_fields_arrays_and_traps(kw):
    tier, inst = load(OBJECTS, **kw)
    call = caller(tier, inst)
    f64 = 0x4004000000000000  # 2.5
    r = call("fields", 0xFFFFFFFF, f64, 0x1FF, 0x18000, 0x123456789, 0x3FC00000)
    assert r == [0xFFFFFFFF, f64, 0xFFFFFFFF, 0xFF, 0xFFFF8000, 0x8000, 0x123456789, 0x3FC00000, 9]
    assert call("default") == [0, 0, 1]
    assert call("arrays") == [44, 0xFFFFFFFF, 4, 0x3FF4000000000000, 3]  # 300 & 0xff = 44; 1.5 - 0.25
    assert call("oob", 1) == [0]
    with pytest.raises(errors.Trap, match="out of bounds array access"):
        call("oob", 2)
    with pytest.raises(errors.Trap, match="null structure reference"):
        call("null_struct")
    with pytest.raises(errors.Trap, match="null i31 reference"):
        call("null_i31")
    assert call("i31", 0x7FFFFFFF) == [0xFFFFFFFF, 0x7FFFFFFF, 1]
    assert call("i31", 0x40000000) == [0xC0000000, 0x40000000, 1]
    assert call("eq") == [1, 0, 0]
    assert call("cast", 1) == [200]
    assert call("cast", 0) == [103]
    with pytest.raises(errors.Trap, match="cast failure"):
        call("bad_cast")
    host = object()
    assert call("extern", host) == [1, host]


def test_values_agree_with_the_interpreter():
    """The same calls on both tiers give the same values (f64 fields are floats in both: objects made by
    either side, or by constant expressions, look the same)."""
    args = {"fields": (0x80000001, 0x7FF8000000000001, 0x80, 0x7FFF, 2**64 - 1, 0x7FC00001),
            "default": (), "arrays": (), "i31": (0xC0000001,), "eq": (), "cast": (0,)}
    tier, inst = load(OBJECTS)
    itier, iinst = load(OBJECTS, tier=InterpTier())
    for name, a in args.items():
        assert caller(tier, inst)(name, *a) == caller(itier, iinst)(name, *a), name


SUBTYPES = """
(module
  (type $base (sub (func (result i32))))
  (type $derived (sub $base (func (result i32))))
  (type $other (func (result i32)))
  (table 3 funcref)
  (elem (i32.const 0) func $d $o $b)
  (func $b (type $base) (i32.const 1))
  (func $d (type $derived) (i32.const 2))
  (func $o (type $other) (i32.const 3))
  (func (export "call_base") (param i32) (result i32) (call_indirect (type $base) (local.get 0)))
  (func (export "call_derived") (param i32) (result i32) (call_indirect (type $derived) (local.get 0)))
)
"""


@pytest.mark.parametrize("kw", VARIANTS[:2])
def test_call_indirect_accepts_a_subtype_function(kw):
    tier, inst = load(SUBTYPES, **kw)
    call = caller(tier, inst)
    assert call("call_base", 0) == [2]  # $derived <: $base: passes (an exact id compare would trap)
    assert call("call_base", 2) == [1]
    assert call("call_derived", 0) == [2]
    for name, i in (("call_base", 1), ("call_derived", 2)):  # not subtypes: still trap
        with pytest.raises(errors.Trap, match="indirect call type mismatch"):
            call(name, i)


# Objects kept reachable only through each kind of native holder: a mutable global, an immutable global
# (made by a constant expression), a table, an exception payload (an exnref in a global), a struct field;
# and a loop that allocates garbage so handles are reused after each collection.
KEEP = """
(module
  (type $node (struct (field $v i32) (field $next (ref null $node))))
  (type $box (array (mut (ref null $node))))
  (tag $t (param (ref null $node)))
  (global $list (mut (ref null $node)) (ref.null $node))
  (global $const (ref $node) (struct.new $node (i32.const 777) (ref.null $node)))
  (global $exn (mut exnref) (ref.null exn))
  (global $boxed (mut (ref null $box)) (ref.null $box))
  (table $keep 8 (ref null $node))
  ;; push n nodes with values start..start+n-1 onto the list; every 4th also goes to the table, and the box
  ;; holds the last one; garbage nodes are made along the way
  (func (export "push") (param $start i32) (param $n i32)
    (local $i i32) (local $tmp (ref null $node))
    (if (ref.is_null (global.get $boxed))
      (then (global.set $boxed (array.new_default $box (i32.const 1)))))
    (loop $l
      (local.set $tmp (struct.new $node (i32.add (local.get $start) (local.get $i)) (global.get $list)))
      (drop (struct.new $node (i32.const -1) (local.get $tmp)))  ;; garbage
      (global.set $list (local.get $tmp))
      (if (i32.eqz (i32.and (local.get $i) (i32.const 3)))
        (then (table.set $keep (i32.and (i32.shr_u (local.get $i) (i32.const 2)) (i32.const 7)) (local.get $tmp))))
      (array.set $box (global.get $boxed) (i32.const 0) (local.get $tmp))
      (br_if $l (i32.lt_u (local.tee $i (i32.add (local.get $i) (i32.const 1))) (local.get $n)))))
  (func (export "keep_exn") (param i32)
    (block $h (result exnref)
      (try_table (catch_all_ref $h) (throw $t (struct.new $node (local.get 0) (ref.null $node))))
      (unreachable))
    (global.set $exn))
  (func (export "exn_value") (result i32)
    (block $h (result (ref null $node))
      (try_table (catch $t $h) (throw_ref (global.get $exn)))
      (unreachable))
    (struct.get $node $v))
  ;; sum and length of the list, walked natively
  (func (export "walk") (result i32 i32)
    (local $s i32) (local $n i32) (local $p (ref null $node))
    (local.set $p (global.get $list))
    (block $done (loop $l
      (br_if $done (ref.is_null (local.get $p)))
      (local.set $s (i32.add (local.get $s) (struct.get $node $v (local.get $p))))
      (local.set $n (i32.add (local.get $n) (i32.const 1)))
      (local.set $p (struct.get $node $next (local.get $p)))
      (br $l)))
    (local.get $s) (local.get $n))
  (func (export "table_value") (param i32) (result i32) (struct.get $node $v (table.get $keep (local.get 0))))
  (func (export "const_value") (result i32) (struct.get $node $v (global.get $const)))
  (func (export "boxed_value") (result i32)
    (struct.get $node $v (array.get $box (global.get $boxed) (i32.const 0))))
)
"""


def _stress(kw: dict, rounds: int = 40, per_round: int = 100, limit: int = 50):
    tier, inst = load(KEEP, **kw)
    store = tier.native
    store.collect_at = store.collect_limit = limit
    call = caller(tier, inst)
    call("keep_exn", 4242)
    biggest = 0
    for r in range(rounds):
        call("push", r * per_round, per_round)
        biggest = max(biggest, len(store.handles))
        # everything reachable reads back right after every collection
        n = (r + 1) * per_round
        assert call("walk") == [n * (n - 1) // 2 & 0xFFFFFFFF, n], r
        assert call("exn_value") == [4242], r
        assert call("const_value") == [777], r
        assert call("boxed_value") == [n - 1], r
        for k in range(8):  # slot k: the last node i of the round with i % 4 == 0 and (i >> 2) % 8 == k
            last = max(i for i in range(per_round) if i % 4 == 0 and (i >> 2) % 8 == k)
            assert call("table_value", k) == [r * per_round + last], (r, k)
    return store, biggest


@pytest.mark.parametrize("kw", VARIANTS[1:])
def test_stress_many_allocations_reachable_objects_survive_collections(kw):
    store, biggest = _stress(kw)
    assert store.epochs >= 20  # the table was emptied again and again ...
    # ... and stays small: garbage and dead handles go (the list itself is reached through one global, so
    # only handles made since the last collection are in it)
    assert biggest < 4 * 100 + 60


@pytest.mark.parametrize("holder", ["tables", "globals", "exns"])
def test_planted_collection_fault_is_caught(monkeypatch, holder):
    """A collection that does not rewrite one kind of holder leaves it naming a handle of the old epoch:
    a freed handle, reachable.  The stress test must see it (a wrong value, or an object of the wrong
    type: the handle now names another object, or none)."""
    original = N.NativeStore.collect

    def faulty(self):
        saved = getattr(self, holder)
        setattr(self, holder, {})
        try:
            original(self)
        finally:
            setattr(self, holder, saved)

    monkeypatch.setattr(N.NativeStore, "collect", faulty)
    with pytest.raises((AssertionError, errors.Trap, IndexError, AttributeError, TypeError)):
        _stress(VARIANTS[1], rounds=6)


def test_collection_frees_unreachable_objects():
    """After a collection the handle table no longer holds garbage: only objects a holder reaches get
    handles again (CPython frees the rest)."""
    tier, inst = load(KEEP, opt_level=0, bounds="explicit")
    store = tier.native
    call = caller(tier, inst)
    call("push", 0, 500)  # 1,000 structs, half garbage; one global and the table and box reach the list
    assert len(store.handles) > 500
    store.collect()
    live = [h for h in store.handles if isinstance(h, StructRef)]
    # the list head (global), the box, the immutable global's node and the 8 table entries' nodes
    assert len(live) <= 1 + 8 + 1
    assert all(h.fields[0] != 0xFFFFFFFF for h in live)  # no garbage node
    assert call("walk") == [500 * 499 // 2, 500]


def test_collect_refuses_while_compiled_code_runs():
    store = N.NativeStore()
    store.depth = 1
    with pytest.raises(RuntimeError, match="while compiled code runs"):
        store.collect()


def test_i31_words_and_handles_never_meet():
    store = N.NativeStore()
    obj = object()
    h = store.ref_to_native(obj)
    w = store.ref_to_native(I31(0))
    assert h % 2 == 0 and w % 2 == 1
    assert store.ref_from_native("anyref", h) is obj and store.ref_from_native("anyref", w) == I31(0)
    assert store.ref_from_native("anyref", store.ref_to_native(I31(0x7FFFFFFF))) == I31(0x7FFFFFFF)


HOST = """
(module
  (type $b (struct (field $v (mut i32))))
  (import "host" "keep" (func $keep (param anyref)))
  (import "host" "give" (func $give (result anyref)))
  (func (export "make") (param i32) (call $keep (struct.new $b (local.get 0))))
  (func (export "bump") (result i32)
    (local $s (ref $b))
    (local.set $s (ref.cast (ref $b) (call $give)))
    (struct.set $b $v (local.get $s) (i32.add (struct.get $b $v (local.get $s)) (i32.const 1)))
    (struct.get $b $v (local.get $s)))
)
"""


def test_objects_only_the_host_keeps_survive_collections():
    """A struct handed to a host function lives in Python only; after the handle table is emptied it comes
    back (a new handle, the same object) with its fields."""
    kept: list = []
    imports = {"host": {"keep": FuncInstance(syntax.FuncType(("anyref",), ()), host=kept.append),
                        "give": FuncInstance(syntax.FuncType((), ("anyref",)), host=lambda: kept[-1])}}
    data = parse_module(HOST)
    module = decode_module(data)
    validate_module(module)
    tier = LLVMTier(cache_dir=False, opt_level=2, bounds="explicit")
    inst = tier.instantiate(module, resolve_imports(module, imports), data)
    call = caller(tier, inst)
    call("make", 41)
    assert isinstance(kept[0], StructRef) and kept[0].fields == [41]
    for i in range(3):
        tier.native.collect()
        assert tier.native.handles == [None]  # nothing native holds the struct: only the host does
        assert call("bump") == [42 + i]
    assert kept[0].fields == [44]
