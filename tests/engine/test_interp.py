"""The interpreter tier: control flow, numerics edge cases, traps, exhaustion, the flat fallback."""

from __future__ import annotations

import struct
import subprocess
from fractions import Fraction
from pathlib import Path

import pytest

from harness.engine import api
from harness.engine.errors import Exhaustion, Trap

WASM_TOOLS = Path(__file__).resolve().parents[2] / ".venv" / "bin" / "wasm-tools"


def wat_bytes(src: str) -> bytes:
    return subprocess.run([str(WASM_TOOLS), "parse", "-"], input=src.encode(), capture_output=True,
                          check=True, timeout=30).stdout


@pytest.fixture(params=[False, True], ids=["structured", "flat"])
def run(request):
    """Instantiate WAT with the structured translation and with the forced flat fallback."""

    def make(src: str, imports=None):
        store = api.Store(tier="interp", force_flat=request.param)
        return store.instantiate(api.Module.from_bytes(wat_bytes(src)), imports)

    return make


def f32(x: float) -> int:
    return struct.unpack("<I", struct.pack("<f", x))[0]


def f64(x: float) -> int:
    return struct.unpack("<Q", struct.pack("<d", x))[0]


CONTROL = r"""
(module
  (func (export "classify") (param i32) (result i32)
    (block $c (block $b (block $a
      (br_table $a $b $c $b (local.get 0)))
      (return (i32.const 10)))
    (return (i32.const 20)))
    (i32.const 30))
  (func (export "multi") (param i32 i32) (result i32 i32)
    (local.get 0) (local.get 1)
    (block (param i32 i32) (result i32 i32)
      (br_if 0 (local.get 1))
      (drop) (drop) (local.get 1) (local.get 0)))
  (func (export "sum") (param $n i32) (result i32) (local $s i32)
    (local.get $n)
    (loop $l (param i32) (result i32)
      (local.set $s (i32.add (local.get $s)))
      (br_if $l (local.tee $n (i32.sub (local.get $n) (i32.const 1))) (local.get $n))
      (drop) (local.get $s)))
  (func (export "nested-exit") (param i32) (result i32) (local $i i32)
    (block $out (loop $a (loop $b
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $out (i32.ge_u (local.get $i) (local.get 0)))
      (br_if $b (i32.and (local.get $i) (i32.const 1)))
      (br $a))))
    (local.get $i))
  (func (export "select") (param i32) (result i64)
    (select (i64.const -1) (i64.const 2) (local.get 0)))
)
"""


def test_control_flow(run):
    inst = run(CONTROL)
    assert [inst.call("classify", i) for i in range(6)] == [10, 20, 30, 20, 20, 20]
    assert inst.call("multi", 1, 0) == (0, 1)
    assert inst.call("multi", 5, 7) == (5, 7)
    assert inst.call("sum", 4) == 10
    assert inst.call("nested-exit", 7) == 7
    assert inst.invoke("select", [1]) == [0xFFFFFFFFFFFFFFFF]
    assert inst.call("select", 0) == 2


INTS = r"""
(module
  (func (export "div_s") (param i32 i32) (result i32) (i32.div_s (local.get 0) (local.get 1)))
  (func (export "rem_s") (param i32 i32) (result i32) (i32.rem_s (local.get 0) (local.get 1)))
  (func (export "div_u64") (param i64 i64) (result i64) (i64.div_u (local.get 0) (local.get 1)))
  (func (export "shr_s") (param i32 i32) (result i32) (i32.shr_s (local.get 0) (local.get 1)))
  (func (export "rotl") (param i64 i64) (result i64) (i64.rotl (local.get 0) (local.get 1)))
  (func (export "bits") (param i32) (result i32 i32 i32)
    (i32.clz (local.get 0)) (i32.ctz (local.get 0)) (i32.popcnt (local.get 0)))
  (func (export "ext") (param i32) (result i64) (i64.extend_i32_s (i32.extend8_s (local.get 0))))
  (func (export "lt_s") (param i32 i32) (result i32) (i32.lt_s (local.get 0) (local.get 1)))
)
"""


def test_integer_numerics_and_traps(run):
    inst = run(INTS)
    assert inst.call("div_s", -7, 2) == -3
    assert inst.call("rem_s", -7, 2) == -1
    assert inst.call("rem_s", -0x80000000, -1) == 0
    with pytest.raises(Trap) as e:
        inst.call("div_s", -0x80000000, -1)
    assert e.value.kind == "integer overflow"
    with pytest.raises(Trap) as e:
        inst.call("div_u64", 1, 0)
    assert e.value.kind == "integer divide by zero"
    assert inst.call("shr_s", -8, 33) == -4
    assert inst.invoke("rotl", [0x8000000000000001, 1]) == [3]
    assert inst.call("bits", 0x00F0) == (24, 4, 4)
    assert inst.call("bits", 0) == (32, 32, 0)
    assert inst.invoke("ext", [0x80]) == [0xFFFFFFFFFFFFFF80]
    assert inst.call("lt_s", -1, 0) == 1 and inst.call("lt_s", 0, -1) == 0


FLOATS = r"""
(module
  (memory 1)
  (global $g (mut f32) (f32.const 0))
  (func (export "f32-roundtrip") (param f32) (result f32) (local f32)
    (local.set 1 (local.get 0))
    (f32.store (i32.const 8) (local.get 1))
    (global.set $g (f32.load (i32.const 8)))
    (f32.neg (f32.neg (global.get $g))))
  (func (export "f32-add") (param f32 f32) (result f32) (f32.add (local.get 0) (local.get 1)))
  (func (export "f64-min") (param f64 f64) (result f64) (f64.min (local.get 0) (local.get 1)))
  (func (export "f32-max") (param f32 f32) (result f32) (f32.max (local.get 0) (local.get 1)))
  (func (export "nearest") (param f64) (result f64) (f64.nearest (local.get 0)))
  (func (export "i64->f32") (param i64) (result f32) (f32.convert_i64_s (local.get 0)))
  (func (export "trunc") (param f64) (result i32) (i32.trunc_f64_s (local.get 0)))
  (func (export "trunc_sat") (param f32) (result i32) (i32.trunc_sat_f32_u (local.get 0)))
  (func (export "demote") (param f64) (result f32) (f32.demote_f64 (local.get 0)))
  (func (export "div0") (param f64) (result f64) (f64.div (local.get 0) (f64.const 0)))
)
"""


def _is_arith_nan32(b: int) -> bool:
    return b & 0x7FC00000 == 0x7FC00000


def test_float_semantics(run):
    inst = run(FLOATS)
    snan = 0x7FA00001
    assert inst.invoke("f32-roundtrip", [snan]) == [snan]  # sNaN payload survives local/memory/global/neg
    assert _is_arith_nan32(inst.invoke("f32-add", [snan, f32(1.0)])[0])
    assert inst.invoke("f32-add", [f32(0.1), f32(0.2)]) == [f32(struct.unpack("<f", struct.pack("<f", 0.1))[0]
                                                               + struct.unpack("<f", struct.pack("<f", 0.2))[0])]
    assert inst.invoke("f64-min", [f64(0.0), f64(-0.0)]) == [f64(-0.0)]
    assert inst.invoke("f32-max", [f32(-0.0), f32(0.0)]) == [f32(0.0)]
    assert inst.call("nearest", 2.5) == 2.0 and inst.call("nearest", -0.5) == 0.0
    assert inst.invoke("nearest", [f64(-0.5)]) == [f64(-0.0)]
    assert inst.invoke("div0", [f64(-1.0)]) == [f64(float("-inf"))]
    with pytest.raises(Trap) as e:
        inst.call("trunc", float("nan"))
    assert e.value.kind == "invalid conversion to integer"
    with pytest.raises(Trap) as e:
        inst.call("trunc", 2147483648.0)
    assert e.value.kind == "integer overflow"
    assert inst.call("trunc", -2147483648.9) == -2147483648
    assert inst.invoke("trunc_sat", [f32(-5.0)]) == [0]
    assert inst.invoke("trunc_sat", [f32(1e10)]) == [0xFFFFFFFF]
    assert inst.invoke("demote", [f64(1e300)]) == [0x7F800000]


def _f32_round_exact(n: int) -> int:
    """Reference: round an integer to the nearest f32 (ties to even) with exact rational arithmetic."""
    e = abs(n).bit_length() - 24
    q, r = divmod(abs(n), 1 << e)
    half = Fraction(1 << e, 2)
    if r > half or (r == half and q & 1):
        q += 1
    v = q << e
    return f32(float(v if n >= 0 else -v))


@pytest.mark.parametrize("n", [(1 << 53) + (1 << 29) + 1, (1 << 60) + (1 << 36), -((1 << 62) + (1 << 38) + 1)])
def test_i64_to_f32_rounds_once(run, n):
    inst = run(FLOATS)
    got = inst.invoke("i64->f32", [n])[0]
    assert got == _f32_round_exact(n)
    if n == (1 << 53) + (1 << 29) + 1:
        double_rounded = f32(float(n))  # the pitfall this guards against
        assert got != double_rounded


def test_memory_traps_and_grow(run):
    inst = run(r"""(module (memory 1 2)
      (func (export "load") (param i32) (result i64) (i64.load offset=4 (local.get 0)))
      (func (export "grow") (param i32) (result i32) (memory.grow (local.get 0)))
      (func (export "size") (result i32) (memory.size))
      (func (export "fill") (param i32 i32 i32) (memory.fill (local.get 0) (local.get 1) (local.get 2))))""")
    assert inst.call("load", 65524) == 0
    with pytest.raises(Trap) as e:
        inst.call("load", 65525)
    assert e.value.kind == "out of bounds memory access"
    with pytest.raises(Trap):
        inst.invoke("load", [0xFFFFFFFF])
    assert inst.call("grow", 1) == 1 and inst.call("size") == 2
    assert inst.call("load", 65525) == 0  # the grown page is visible to code compiled before the grow
    assert inst.call("grow", 1) == -1
    with pytest.raises(Trap):
        inst.call("fill", 131000, 1, 1000)
    inst.call("fill", 0, 0xAB, 3)
    assert inst.exports == inst.raw.exports


def test_call_indirect_traps(run):
    inst = run(r"""(module (type $v (func (result i32))) (type $i (func (param i32) (result i32)))
      (table 3 funcref) (elem (i32.const 0) $a $b)
      (func $a (result i32) (i32.const 1)) (func $b (param i32) (result i32) (local.get 0))
      (func (export "ci") (param i32) (result i32) (call_indirect (type $v) (local.get 0))))""")
    assert inst.call("ci", 0) == 1
    kinds = []
    for i in (1, 2, 3):
        with pytest.raises(Trap) as e:
            inst.call("ci", i)
        kinds.append(e.value.kind)
    assert kinds == ["indirect call type mismatch", "uninitialized element", "undefined element"]


def test_exhaustion_is_clean_and_instance_survives(run):
    inst = run(r"""(module (func $r (export "r") (param i32) (result i32)
        (i32.add (call $r (i32.add (local.get 0) (i32.const 1))) (i32.const 1)))
      (func $f (export "fac") (param i64) (result i64)
        (if (result i64) (i64.eqz (local.get 0)) (then (i64.const 1))
          (else (i64.mul (local.get 0) (call $f (i64.sub (local.get 0) (i64.const 1))))))))""")
    with pytest.raises(Exhaustion):
        inst.call("r", 0)
    assert inst.call("fac", 20) == 2432902008176640000
    assert inst.call("fac", 1000) == 0  # 1000 frames deep is fine


def test_deep_nesting_uses_the_flat_fallback():
    n = 300
    body = "(if (local.get 0) (then " * n + "(local.set 0 (i32.const 42))" + "))" * n
    src = f'(module (func (export "f") (param i32) (result i32) {body} (local.get 0)))'
    store = api.Store()
    module = api.Module.from_bytes(wat_bytes(src))
    inst = store.instantiate(module)
    assert inst.call("f", 1) == 42 and inst.call("f", 0) == 0
    assert store.tier.compile(module.ast).flat  # the structured translation would exceed CPython's limits
    blocks = 2000
    src = f'(module (func (export "g") (result i32) {"(block " * blocks}(br {blocks - 1}){")" * blocks} (i32.const 7)))'
    assert store.instantiate(api.Module.from_bytes(wat_bytes(src))).call("g") == 7


def test_compiled_code_is_cached_per_module():
    store = api.Store()
    module = api.Module.from_bytes(wat_bytes('(module (func (export "f") (result i32) (i32.const 3)))'))
    a, b = store.instantiate(module), store.instantiate(module)
    assert store.tier.compile(module.ast) is store.tier.compile(module.ast)
    assert a.call("f") == b.call("f") == 3 and a.exports["f"] is not b.exports["f"]


def test_v128_memory_and_lanes(run):
    inst = run(r"""(module (memory 1)
      (func (export "rt") (param i32) (result v128)
        (v128.store (i32.const 16) (i32x4.splat (local.get 0)))
        (v128.load32_lane 1 (i32.const 16) (i8x16.add (v128.load (i32.const 16)) (v128.const i32x4 1 0 0 0))))
      (func (export "ext") (param v128) (result f64) (f64x2.extract_lane 1 (local.get 0))))""")
    v = inst.invoke("rt", [5])[0]
    assert [(v >> (32 * i)) & 0xFFFFFFFF for i in range(4)] == [6, 5, 5, 5]
    assert inst.invoke("ext", [f64(2.5) << 64])[0] == f64(2.5)


EXCEPTIONS = r"""
(module
  (memory 1)
  (tag $e (param i32))
  (tag $other)
  (func $grow_then_throw
    (drop (memory.grow (i32.const 1)))
    (i32.store (i32.const 70000) (i32.const 42))
    (throw $e (i32.const 7)))
  (func (export "grown") (result i32)
    (block $h (result i32)
      (try_table (catch $e $h) (call $grow_then_throw))
      (i32.const -1))
    (drop)
    (i32.load (i32.const 70000)))
  (func (export "nested") (param i32) (result i32)
    (block $outer (result i32)
      (try_table (catch $e $outer)
        (block $inner (result i32 exnref)
          (try_table (catch_ref $e $inner)
            (if (local.get 0) (then (throw $e (i32.const 5))))
            (throw $other))
          (unreachable))
        (throw_ref))
      (unreachable)))
  (func (export "other") (result i32)
    (block $h (result i32)
      (try_table (catch $e $h) (throw $other))
      (i32.const -1))))
"""


def test_exceptions_in_both_translations(run):
    """A handler reloads the memory views (the throwing callee grew memory and never reached its reload);
    in the flat fallback each try_table's blocks map to their handler, an uncaught exception goes to the
    enclosing try_table and then out of the function."""
    inst = run(EXCEPTIONS)
    assert inst.invoke("grown", []) == [42]
    assert inst.invoke("nested", [1]) == [5]  # caught by ref inside, rethrown, caught by the outer clause
    with pytest.raises(Exception) as exc:
        inst.invoke("nested", [0])  # $other: neither clause matches
    assert type(exc.value).__name__ == "WasmException"
    with pytest.raises(Exception) as exc:
        inst.invoke("other", [])
    assert type(exc.value).__name__ == "WasmException"
