"""The LLVM tier on WebAssembly 3.0: memory64, multi-memory, tail calls, typed function references, relaxed
SIMD and exception handling.  Each test plants the fault its mechanism exists to catch: a tail call made as an
ordinary call (the stack runs out), a memory64 address wrapped to 32 bits, a memory size kept across a call
that grew it, locals promoted to registers across a throw, a handler left installed after a branch out of its
try_table (the next throw would ``longjmp`` into a dead frame)."""

from __future__ import annotations

import struct

import pytest

pytest.importorskip("llvmlite")

from harness.engine import errors, syntax  # noqa: E402
from harness.engine.api import TIER_FEATURES  # noqa: E402
from harness.engine.binary import decode_module  # noqa: E402
from harness.engine.errors import WasmException  # noqa: E402
from harness.engine.runtime import FuncInstance, resolve_imports  # noqa: E402
from harness.engine.text import parse_module  # noqa: E402
from harness.engine.tiers.interp import InterpTier  # noqa: E402
from harness.engine.tiers.llvm.tier import LLVMTier  # noqa: E402
from harness.engine.valid import validate_module  # noqa: E402

VARIANTS = [dict(opt_level=0, bounds="explicit"), dict(opt_level=2, bounds="explicit"), dict(opt_level=2)]


def load(wat: str, imports: dict | None = None, tier=None, **kw):
    data = parse_module(wat)
    module = decode_module(data)
    validate_module(module)
    tier = tier or LLVMTier(cache_dir=False, **kw)
    return tier, tier.instantiate(module, resolve_imports(module, imports or {}), data)


def caller(tier, inst):
    return lambda name, *a: tier.run(inst.exports[name], list(a))


def test_features_declared():
    assert {"memory64", "multi-memory", "tail-call", "function-references", "relaxed-simd",
            "exceptions"} <= TIER_FEATURES["llvm"]


TAIL = """
(module
  (func $even (export "even") (param i64) (result i32)
    (if (result i32) (i64.eqz (local.get 0)) (then (i32.const 1))
      (else (return_call $odd (i64.sub (local.get 0) (i64.const 1))))))
  (func $odd (param i64) (result i32)
    (if (result i32) (i64.eqz (local.get 0)) (then (i32.const 0))
      (else (return_call $even (i64.sub (local.get 0) (i64.const 1))))))
  ;; mutual recursion between functions of different signatures: musttail needs tailcc here
  (func $a (export "a") (param i64) (result i64)
    (if (result i64) (i64.eqz (local.get 0)) (then (i64.const 7))
      (else (return_call $b (i64.sub (local.get 0) (i64.const 1)) (f64.const 1) (i32.const 2) (i64.const 3)))))
  (func $b (param i64 f64 i32 i64) (result i64)
    (return_call $a (i64.add (local.get 0) (i64.sub (local.get 3) (i64.const 3)))))
  ;; arguments on the stack: an ordinary call then a return (LLVM 22 miscompiles musttail there)
  (func $p (export "p") (param i64) (result i64)
    (if (result i64) (i64.eqz (local.get 0)) (then (i64.const 8))
      (else (return_call $q (i64.sub (local.get 0) (i64.const 1)) (f64.const 1) (i32.const 2) (i64.const 3)
                            (i64.const 4) (i64.const 5) (i64.const 6) (i64.const 7)))))
  (func $q (param i64 f64 i32 i64 i64 i64 i64 i64) (result i64)
    (return_call $p (i64.add (local.get 0) (i64.sub (local.get 7) (i64.const 7)))))
  (type $t (func (param i64) (result i64)))
  (table 1 funcref) (elem (i32.const 0) $c)
  (func $c (export "c") (type $t)
    (if (result i64) (i64.eqz (local.get 0)) (then (i64.const 9))
      (else (return_call_indirect (type $t) (i64.sub (local.get 0) (i64.const 1)) (i32.const 0)))))
  (elem declare func $d)
  (func $d (export "d") (type $t)
    (if (result i64) (i64.eqz (local.get 0)) (then (i64.const 11))
      (else (return_call_ref $t (i64.sub (local.get 0) (i64.const 1)) (ref.func $d)))))
)"""


@pytest.mark.parametrize("kw", VARIANTS)
def test_tail_calls_run_in_constant_stack(kw):
    tier, inst = load(TAIL, **kw)
    call = caller(tier, inst)
    n = 1_000_000  # far more frames than the 4 MiB stack budget holds as ordinary calls
    assert call("even", n) == [1]
    assert call("even", n + 1) == [0]
    assert call("a", n) == [7]
    assert call("c", n) == [9]
    assert call("d", n) == [11]
    assert call("p", 1000) == [8]


FUNCREFS = """
(module
  (type $ii (func (param i32) (result i32)))
  (func $inc (type $ii) (i32.add (local.get 0) (i32.const 1)))
  (elem declare func $inc)
  (global $f (mut (ref null $ii)) (ref.null $ii))
  (func (export "set") (global.set $f (ref.func $inc)))
  (func (export "call") (param i32) (result i32) (call_ref $ii (local.get 0) (global.get $f)))
  (func (export "non_null") (result i32) (ref.is_null (ref.as_non_null (global.get $f))))
  (func (export "on_null") (result i32)
    (block $l (br_on_null $l (global.get $f)) (drop) (return (i32.const 1))) (i32.const 0))
  (func (export "on_non_null") (result i32)
    (call_ref $ii (i32.const 5)
      (block $l (result (ref $ii)) (br_on_non_null $l (global.get $f)) (return (i32.const 0)))))
)"""


@pytest.mark.parametrize("kw", VARIANTS[:2])
def test_function_references(kw):
    tier, inst = load(FUNCREFS, **kw)
    call = caller(tier, inst)
    with pytest.raises(errors.Trap, match="null function reference"):
        call("call", 1)
    with pytest.raises(errors.Trap, match="null reference"):
        call("non_null")
    assert call("on_null") == [0]
    assert call("on_non_null") == [0]
    call("set")
    assert call("call", 41) == [42]
    assert call("non_null") == [0]
    assert call("on_null") == [1]
    assert call("on_non_null") == [6]


MEM64 = """
(module
  (memory (export "m") i64 1 4)
  (func (export "load") (param i64) (result i32) (i32.load (local.get 0)))
  (func (export "load_off") (param i64) (result i32) (i32.load offset=8 (local.get 0)))
  (func (export "store") (param i64 i32) (i32.store (local.get 0) (local.get 1)))
  (func (export "size") (result i64) (memory.size))
  (func (export "grow") (param i64) (result i64) (memory.grow (local.get 0)))
  (func (export "fill") (param i64 i64) (memory.fill (local.get 0) (i32.const 7) (local.get 1)))
)"""


@pytest.mark.parametrize("kw", VARIANTS)
def test_memory64_addresses_are_64_bits(kw):
    tier, inst = load(MEM64, **kw)
    call = caller(tier, inst)
    call("store", 65532, 0x01020304)
    assert call("load", 65532) == [0x01020304]
    oob = "out of bounds memory access"
    # 2**32 + 8 would wrap to 8, in bounds, if the address were cut to 32 bits (or left to guard pages)
    for addr in (65533, 1 << 32, (1 << 32) + 8, (1 << 64) - 4):
        with pytest.raises(errors.Trap, match=oob):
            call("load", addr)
    with pytest.raises(errors.Trap, match=oob):
        call("load_off", (1 << 64) - 4)  # address + offset wraps past 2**64
    with pytest.raises(errors.Trap, match=oob):
        call("fill", (1 << 64) - 8, 16)  # start + length wraps
    assert call("size") == [1]
    assert call("grow", (1 << 64) - 1) == [(1 << 64) - 1]  # -1: a delta no memory can take
    assert call("grow", 1) == [1]
    assert call("load", 65536 + 65532) == [0]


MULTI = """
(module
  (memory $a 1) (memory $b (export "b") 1)
  (func $grow_b (drop (memory.grow $b (i32.const 1))))
  (func (export "grow_then_load") (result i32)
    (drop (i32.load $b (i32.const 0)))  ;; memory $b's size, read before the call that grows it
    (call $grow_b)
    (i32.store $b (i32.const 70000) (i32.const 6))
    (i32.load $b (i32.const 70000)))
  (func (export "sizes") (result i32 i32) (memory.size $a) (memory.size $b))
  (func (export "copy") (i32.store $a (i32.const 8) (i32.const 0xabcd))
    (memory.copy $b $a (i32.const 16) (i32.const 8) (i32.const 4)))
  (func (export "load_b") (param i32) (result i32) (i32.load $b (local.get 0)))
)"""


@pytest.mark.parametrize("kw", VARIANTS)
def test_multi_memory_sizes_follow_growth(kw):
    tier, inst = load(MULTI, **kw)
    call = caller(tier, inst)
    with pytest.raises(errors.Trap, match="out of bounds memory access"):
        call("load_b", 70000)  # memory $b has one page
    assert call("grow_then_load") == [6]  # after the call that grew it, the larger size is used
    assert call("sizes") == [1, 2]
    call("copy")
    assert call("load_b", 16) == [0xabcd]


EXN = """
(module
  (import "env" "host" (func $host (param i32)))
  (tag $e (export "e") (param i32))
  (tag $f (param i64 f64))
  (func $thrower (param i32) (throw $e (local.get 0)))
  (func (export "locals") (result i32) (local $x i32)
    (block $h (result i32)
      (try_table (catch $e $h)
        (local.set $x (i32.const 42))
        (call $thrower (i32.const 1)))
      (i32.const -1))
    (drop) (local.get $x))
  (func (export "payload") (param i32) (result i32)
    (block $h (result i32)
      (try_table (result i32) (catch $e $h) (call $thrower (local.get 0)) (i32.const 0))))
  (func (export "two") (result i64)
    (block $h (result i64 f64)
      (try_table (catch $f $h) (throw $f (i64.const 5) (f64.const 2.5))) (unreachable))
    (drop))
  (func (export "left") (param i32) (result i32)
    ;; a branch out of the try_table: its handler must not stay installed
    (block $out
      (try_table (catch_all $out) (br_if $out (local.get 0))))
    (call $thrower (i32.const 3))
    (i32.const 0))
  (func $leave (block $out (try_table (catch_all $out) (br $out))))
  (func (export "left_callee") (result i32)
    ;; $leave's handler frame is dead once it returns: a throw must reach this try_table, not that frame
    (block $h (result i32)
      (try_table (result i32) (catch $e $h) (call $leave) (call $thrower (i32.const 5)) (i32.const 0))))
  (func (export "rethrow") (result i32)
    (block $h (result i32)
      (try_table (result i32) (catch $e $h)
        (block $r (result exnref)
          (try_table (catch_all_ref $r) (call $thrower (i32.const 8)))
          (unreachable))
        (throw_ref)))
    (i32.const 1) (i32.add))
  (func (export "null_ref") (throw_ref (ref.null exn)))
  (func (export "from_host") (result i32)
    (block $h (result i32)
      (try_table (result i32) (catch $e $h) (call $host (i32.const 12)) (i32.const 0))))
  (func (export "trap_inside") (result i32)
    (block $h
      (try_table (catch_all $h) (unreachable)))
    (i32.const 0))
  (func (export "after_trap") (result i32)
    (block $h (result i32)
      (try_table (result i32) (catch $e $h) (call $thrower (i32.const 77)) (i32.const 0))))
)"""


@pytest.mark.parametrize("kw", VARIANTS)
def test_exceptions(kw):
    holder = {}

    def host(x):
        raise WasmException(holder["inst"].exports["e"], (x + 1,))

    imports = {"env": {"host": FuncInstance(syntax.FuncType(("i32",), ()), host=host)}}
    tier, inst = load(EXN, imports, **kw)
    holder["inst"] = inst
    call = caller(tier, inst)
    assert call("locals") == [42]  # set in the try body before the throw: not the value at try entry
    assert call("payload", 17) == [17]
    assert call("two") == [5]
    for leave_by_branch in (0, 1):  # the throw after the try_table is not its to catch: it leaves wasm
        with pytest.raises(WasmException) as e:
            call("left", leave_by_branch)
        assert e.value.tag is inst.exports["e"] and e.value.values == (3,)
    assert call("left_callee") == [5]
    assert call("rethrow") == [9]
    with pytest.raises(errors.Trap, match="null exception reference"):
        call("null_ref")
    assert call("from_host") == [13]  # a host's wasm exception reaches the wasm handler
    with pytest.raises(errors.Trap, match="unreachable"):
        call("trap_inside")  # traps are not exceptions: catch_all does not see them
    assert call("after_trap") == [77]  # ... and the trap left no handler behind


RELAXED = """
(module
  (func (export "madd") (param f32 f32 f32) (result f32)
    (f32x4.extract_lane 0 (f32x4.relaxed_madd (f32x4.splat (local.get 0)) (f32x4.splat (local.get 1))
                                               (f32x4.splat (local.get 2)))))
  (func (export "dot") (param i32 i32) (result i32)
    (i32x4.extract_lane 0 (i32x4.relaxed_dot_i8x16_i7x16_add_s (i8x16.splat (local.get 0))
                                                              (i8x16.splat (local.get 1)) (v128.const i32x4 1 1 1 1))))
  (func (export "dot16") (param i32 i32) (result i32)
    (i16x8.extract_lane_s 0 (i16x8.relaxed_dot_i8x16_i7x16_s (i8x16.splat (local.get 0)) (i8x16.splat (local.get 1)))))
  (func (export "swizzle") (param i32) (result i32)
    (i8x16.extract_lane_u 0 (i8x16.relaxed_swizzle (v128.const i8x16 9 9 9 9 9 9 9 9 9 9 9 9 9 9 9 9)
                                                   (i8x16.splat (local.get 0)))))
  (func (export "trunc") (param f32) (result i32)
    (i32x4.extract_lane 0 (i32x4.relaxed_trunc_f32x4_s (f32x4.splat (local.get 0)))))
)"""


def _f32(x: float) -> int:
    return struct.unpack("<I", struct.pack("<f", x))[0]


def test_relaxed_simd_makes_the_interpreters_choices():
    # madd: 1 + 2**-23 squared, minus 1 + 2**-22: 2**-46 if fused, 0 when rounded twice
    one_ulp = _f32(1 + 2**-23)
    cases = [("madd", one_ulp, one_ulp, _f32(-(1 + 2**-22))), ("dot", 0x80, 0x80), ("dot", 0x7F, 0x80),
             ("dot16", 0x80, 0x80), ("swizzle", 3), ("swizzle", 200), ("trunc", _f32(3e9)), ("trunc", 0x7FC00000)]
    tier, inst = load(RELAXED, opt_level=2)
    itier, iinst = load(RELAXED, tier=InterpTier())
    for name, *args in cases:
        assert tier.run(inst.exports[name], args) == itier.run(iinst.exports[name], args), (name, args)
    assert tier.run(inst.exports["madd"], cases[0][1:]) == [0]
