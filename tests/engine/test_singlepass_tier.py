"""The singlepass tier against the interpreter, module by module: the same results, the same traps (the
spec's trap kinds), exhaustion as ``Exhaustion``, host calls, tables and globals shared with the host, and
a clear refusal of what it does not compile yet.  Values cross the API raw (docs/ENGINE_API.md)."""

from __future__ import annotations

import pytest

from harness.engine import api
from harness.engine.errors import Exhaustion, Trap
from harness.engine.tiers.singlepass import unavailable_reason
from harness.engine.tiers.singlepass.errors import UnsupportedError

pytestmark = pytest.mark.skipif(bool(unavailable_reason()), reason=unavailable_reason() or "available")

F32_NAN = 0x7FC00000
F64_NAN = 0x7FF8000000000000


def is_nan(t: str, bits: int) -> bool:
    if t == "f32":
        return bits & 0x7F800000 == 0x7F800000 and bits & 0x7FFFFF != 0
    return t == "f64" and bits & 0x7FF0000000000000 == 0x7FF0000000000000 and bits & 0xFFFFFFFFFFFFF != 0


def outcome(inst: api.Instance, name: str, args: list) -> tuple:
    """Results (a NaN as "nan": the spec leaves the sign and payload of most NaNs open), or the trap."""
    types = inst.exports[name].type.results
    try:
        return ("ok", ["nan" if is_nan(t, v) else v for t, v in zip(types, inst.invoke(name, args), strict=True)])
    except Exhaustion as e:
        return ("exhaustion", e.kind)
    except Trap as e:
        return ("trap", e.kind)


def both(src: str, imports: dict | None = None) -> tuple[api.Instance, api.Instance]:
    module = api.Module.from_text(src)
    out = []
    for tier in ("interp", "singlepass"):
        store = api.Store(tier=tier)
        out.append(store.instantiate(store.load(module.data), imports))
    return out[0], out[1]


def assert_same(src: str, calls: list[tuple[str, list]], imports: dict | None = None) -> None:
    interp, single = both(src, imports)
    for name, args in calls:
        assert outcome(single, name, args) == outcome(interp, name, args), (name, args)


INTEGERS = """(module
  (func (export "i32") (param i32 i32) (result i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32)
    (i32.add (local.get 0) (local.get 1)) (i32.sub (local.get 0) (local.get 1))
    (i32.mul (local.get 0) (local.get 1)) (i32.and (local.get 0) (local.get 1))
    (i32.or (local.get 0) (local.get 1)) (i32.xor (local.get 0) (local.get 1))
    (i32.shl (local.get 0) (local.get 1)) (i32.shr_s (local.get 0) (local.get 1))
    (i32.shr_u (local.get 0) (local.get 1)) (i32.rotl (local.get 0) (local.get 1))
    (i32.rotr (local.get 0) (local.get 1)))
  (func (export "i64") (param i64 i64) (result i64 i64 i64 i64 i64 i64 i64)
    (i64.add (local.get 0) (i64.const 0x123456789)) (i64.mul (local.get 0) (local.get 1))
    (i64.shl (local.get 0) (i64.const 65)) (i64.rotr (local.get 0) (local.get 1))
    (i64.clz (local.get 0)) (i64.ctz (local.get 1)) (i64.popcnt (local.get 0)))
  (func (export "cmp") (param i32 i32) (result i32 i32 i32 i32 i32 i32)
    (i32.lt_s (local.get 0) (local.get 1)) (i32.lt_u (local.get 0) (local.get 1))
    (i32.ge_s (local.get 0) (i32.const -5)) (i32.eqz (local.get 0))
    (i32.clz (local.get 0)) (i32.ctz (local.get 1)))
  (func (export "div") (param i32 i32) (result i32 i32 i32 i32)
    (i32.div_s (local.get 0) (local.get 1)) (i32.div_u (local.get 0) (local.get 1))
    (i32.rem_s (local.get 0) (local.get 1)) (i32.rem_u (local.get 0) (local.get 1)))
  (func (export "rem64") (param i64 i64) (result i64) (i64.rem_s (local.get 0) (local.get 1)))
  (func (export "div64") (param i64 i64) (result i64) (i64.div_s (local.get 0) (local.get 1)))
  (func (export "ext") (param i32 i64) (result i64 i64 i32 i64 i32)
    (i64.extend_i32_s (local.get 0)) (i64.extend_i32_u (local.get 0)) (i32.wrap_i64 (local.get 1))
    (i64.extend16_s (local.get 1)) (i32.extend8_s (local.get 0))))"""


def test_integer_operations_match_the_interpreter() -> None:
    pairs = [(0, 0), (1, 2), (0xFFFFFFFF, 1), (0x80000000, 31), (12345, 0xFFFFFFFB), (7, 33)]
    calls = [("i32", list(p)) for p in pairs] + [("cmp", list(p)) for p in pairs] + [("div", list(p)) for p in pairs]
    calls += [("i64", [a * 0x100000001, b]) for a, b in pairs]
    calls += [("ext", [a, b * 0x8000000180]) for a, b in pairs]
    calls += [("rem64", [1 << 63, (1 << 64) - 1]), ("div64", [1 << 63, (1 << 64) - 1]), ("div64", [5, 0]),
              ("div", [0x80000000, 0xFFFFFFFF])]
    assert_same(INTEGERS, calls)


FLOATS = """(module
  (func (export "f64") (param f64 f64) (result f64 f64 f64 f64 f64 f64 f64 f64)
    (f64.add (local.get 0) (local.get 1)) (f64.div (local.get 0) (local.get 1))
    (f64.min (local.get 0) (local.get 1)) (f64.max (local.get 0) (local.get 1))
    (f64.copysign (local.get 0) (local.get 1)) (f64.nearest (local.get 0))
    (f64.neg (local.get 0)) (f64.abs (local.get 1)))
  (func (export "f32") (param f32 f32) (result f32 f32 f32 f32 i32 i32 i32)
    (f32.mul (local.get 0) (local.get 1)) (f32.sqrt (local.get 0)) (f32.floor (local.get 1))
    (f32.min (local.get 0) (local.get 1)) (f32.eq (local.get 0) (local.get 1)) (f32.ne (local.get 0) (local.get 1))
    (f32.le (local.get 0) (local.get 1)))
  (func (export "conv") (param f64) (result i32 i64 f32 i64)
    (i32.trunc_sat_f64_s (local.get 0)) (i64.trunc_sat_f64_u (local.get 0)) (f32.demote_f64 (local.get 0))
    (i64.reinterpret_f64 (local.get 0)))
  (func (export "trunc_u") (param f64) (result i64) (i64.trunc_f64_u (local.get 0)))
  (func (export "trunc_s") (param f32) (result i32) (i32.trunc_f32_s (local.get 0)))
  (func (export "from_u64") (param i64) (result f32 f64) (f32.convert_i64_u (local.get 0))
    (f64.convert_i64_u (local.get 0))))"""


def f64(x: float) -> int:
    import struct

    return struct.unpack("<Q", struct.pack("<d", x))[0]


def f32(x: float) -> int:
    import struct

    return struct.unpack("<I", struct.pack("<f", x))[0]


def test_float_operations_and_conversions_match_the_interpreter() -> None:
    values = [0.0, -0.0, 1.5, -2.5, 3e9, -1e300, 1.8446744073709552e19, 9.3e18, float("inf")]
    calls = [("f64", [f64(a), f64(b)]) for a in values[:5] for b in values[3:]]
    calls += [("f64", [F64_NAN, f64(1.0)]), ("f64", [f64(-0.0), f64(0.0)]), ("f64", [f64(0.0), f64(-0.0)])]
    calls += [("f32", [f32(a), f32(b)]) for a in values[:4] for b in values[:4]] + [("f32", [F32_NAN, 0])]
    calls += [(name, [f64(v)]) for name in ("conv", "trunc_u") for v in values] + [("conv", [F64_NAN])]
    calls += [("trunc_u", [F64_NAN]), ("trunc_s", [f32(2147483648.0)]), ("trunc_s", [f32(-2147483648.0)])]
    calls += [("from_u64", [v]) for v in (0, 1, (1 << 64) - 1, (1 << 63) + 1025, 0x7FFFFFFFFFFFFDFF)]
    assert_same(FLOATS, calls)


CONTROL = """(module
  (func (export "switch") (param i32) (result i32 i32)
    (block $d (result i32 i32) (block $c (result i32 i32) (block $b (result i32 i32) (block $a (result i32 i32)
      (i32.const 10) (i32.const 20) (br_table $a $b $c $d (local.get 0)))
      (i32.add) (i32.const 1) (return))
      (i32.sub) (i32.const 2) (return))
      (i32.mul) (i32.const 3) (return)))
  (func (export "loop") (param i32) (result i32) (local i32 i64)
    (loop $l (result i32)
      (local.set 1 (i32.add (local.get 1) (local.get 0)))
      (local.set 2 (i64.add (local.get 2) (i64.const 3)))
      (br_if $l (local.tee 0 (i32.sub (local.get 0) (i32.const 1))))
      (i32.add (local.get 1) (i32.wrap_i64 (local.get 2)))))
  (func (export "if") (param i32) (result i32)
    (if (result i32) (local.get 0) (then (i32.const 7) (br_if 0 (i32.const 1)) (drop) (i32.const 9))
      (else (i32.const 8))))
  (func (export "select") (param i32 f64 f64) (result f64 i64)
    (select (local.get 1) (local.get 2) (local.get 0))
    (select (i64.const -1) (i64.const 5) (local.get 0)))
  (func (export "spills") (param i32) (result i32)
    (i32.add (local.get 0) (i32.add (i32.mul (local.get 0) (i32.const 3)) (i32.add (local.get 0)
    (i32.add (local.get 0) (i32.add (local.get 0) (i32.add (local.get 0) (i32.add (local.get 0)
    (i32.add (local.get 0) (i32.add (local.get 0) (i32.add (local.get 0) (i32.add (local.get 0)
    (i32.add (local.get 0) (i32.add (local.get 0) (i32.add (local.get 0) (i32.div_u (local.get 0)
    (i32.add (local.get 0) (i32.const 1))))))))))))))))))
  (func (export "locals") (param i32 i64) (result i32 i32 i32 i64 i64)
    (local.get 0)
    (local.set 0 (i32.add (local.get 0) (i32.const 1)))
    (local.get 0)
    (local.tee 0 (i32.mul (local.get 0) (local.get 0)))
    (local.get 1)
    (block (result i64) (local.set 1 (i64.sub (local.get 1) (local.get 1))) (local.get 1)))
  (func (export "unreachable") (unreachable)))"""


def test_control_flow_matches_the_interpreter() -> None:
    calls = [("switch", [i]) for i in (0, 1, 2, 3, 4, 0xFFFFFFFF)] + [("loop", [n]) for n in (1, 5, 1000)]
    calls += [("if", [c]) for c in (0, 1)] + [("select", [c, f64(1.5), f64(-2.0)]) for c in (0, 3)]
    calls += [("spills", [v]) for v in (0, 5, 0xFFFFFFFF)] + [("unreachable", [])]
    calls += [("locals", [v, 7]) for v in (0, 5, 0xFFFFFFFF)]
    assert_same(CONTROL, calls)


MEMORY = """(module
  (memory (export "mem") 1 3)
  (data (i32.const 8) "\\01\\02\\03\\04\\05\\06\\07\\08")
  (func (export "loads") (param i32) (result i64 i32 i32 i64 f32)
    (i64.load offset=8 (local.get 0)) (i32.load8_s offset=15 (local.get 0)) (i32.load16_u offset=9 (local.get 0))
    (i64.load32_s offset=8 (local.get 0)) (f32.load offset=4 (local.get 0)))
  (func (export "store") (param i32 i64) (i64.store32 offset=2 (local.get 0) (local.get 1)))
  (func (export "load") (param i32) (result i64) (i64.load (local.get 0)))
  (func (export "far") (param i32) (result i32) (i32.load offset=0xFFFFFFF0 (local.get 0)))
  (func (export "grow") (param i32) (result i32 i32) (memory.grow (local.get 0)) (memory.size))
  (func (export "bulk") (param i32 i32 i32)
    (memory.fill (local.get 0) (i32.const 0xAB) (local.get 2))
    (memory.copy (local.get 1) (local.get 0) (local.get 2))))"""


def test_memory_accesses_bounds_and_growth_match_the_interpreter() -> None:
    calls = [("loads", [a]) for a in (0, 1, 65512, 65513, 0xFFFFFFFF)]
    calls += [("store", [a, 0x1122334455667788]) for a in (0, 65530, 65531)] + [("load", [0]), ("far", [16])]
    calls += [("grow", [1]), ("load", [65536 + 65528]), ("grow", [2]), ("grow", [0])]
    calls += [("bulk", [100, 200, 50]), ("load", [200]), ("bulk", [100, 131000, 100])]
    assert_same(MEMORY, calls)


BULK = """(module
  (memory (export "mem") 1)
  (data (i32.const 0) "0123456789abcdefghij")
  (func (export "copy") (param i32 i32 i32) (memory.copy (local.get 0) (local.get 1) (local.get 2)))
  (func (export "fill") (param i32 i32 i32) (memory.fill (local.get 0) (local.get 1) (local.get 2)))
  (func (export "init") (param i32 i32 i32) (memory.init 0 (local.get 0) (local.get 1) (local.get 2)))
  (func (export "drop") (data.drop 0))
  (func (export "peek") (param i32) (result i64 i64 i64)
    (i64.load (local.get 0)) (i64.load offset=8 (local.get 0)) (i64.load offset=16 (local.get 0))))"""


def test_bulk_memory_matches_the_interpreter_overlapping_and_out_of_bounds() -> None:
    calls = [("copy", [2, 0, 10]), ("peek", [0]), ("copy", [0, 3, 10]), ("peek", [0]), ("copy", [5, 5, 8]),
             ("fill", [4, 0x17A, 3]), ("peek", [0]), ("copy", [65530, 0, 6]), ("copy", [65530, 0, 7]),
             ("copy", [0, 65531, 6]), ("fill", [65536, 1, 0]), ("fill", [65537, 1, 0]), ("fill", [1, 2, 0xFFFFFFFF]),
             ("peek", [65512]), ("init", [30, 2, 5]), ("peek", [24]), ("init", [0, 18, 3]), ("drop", []),
             ("init", [0, 0, 0]), ("init", [0, 0, 1]), ("copy", [0xFFFFFFFF, 0, 0]), ("copy", [1, 1, 0])]
    assert_same(BULK, calls)


CALLS = """(module
  (type $ii (func (param i32) (result i32)))
  (import "host" "twice" (func $twice (param i32) (result i32)))
  (import "host" "fail" (func $fail (param i32)))
  (global $g (export "g") (mut i64) (i64.const 5))
  (table $t (export "t") 4 funcref)
  (elem (i32.const 0) $inc $twice $dbl)
  (func $inc (param i32) (result i32) (i32.add (local.get 0) (i32.const 1)))
  (func $dbl (param i64) (result i64) (i64.add (local.get 0) (local.get 0)))
  (func (export "indirect") (param i32 i32) (result i32) (call_indirect (type $ii) (local.get 1) (local.get 0)))
  (func (export "host") (param i32) (result i32) (call $twice (call $twice (local.get 0))))
  (func (export "fail") (param i32) (call $fail (local.get 0)))
  (func (export "bump") (result i64) (global.set $g (i64.add (global.get $g) (i64.const 1))) (global.get $g))
  (func $deep (export "deep") (param i32) (result i32) (call $deep (i32.add (local.get 0) (i32.const 1))))
  (func (export "set") (param i32) (table.set $t (local.get 0) (ref.func $inc)))
  (func (export "grow") (result i32) (table.grow $t (ref.null func) (i32.const 2))))"""


def host_imports() -> dict:
    def fail(x: int) -> None:
        if x == 1:
            raise Trap("unreachable")
        raise ValueError("host failure")

    ii = api.FuncType(("i32",), ("i32",))
    return {"host": {"twice": api.host_func(ii, lambda x: [2 * x]),
                     "fail": api.host_func(api.FuncType(("i32",), ()), fail)}}


def test_calls_indirect_calls_globals_and_tables_match_the_interpreter() -> None:
    calls = [("indirect", [i, 41]) for i in (0, 1, 2, 3, 4, 0xFFFFFFFF)] + [("host", [5]), ("fail", [1])]
    calls += [("bump", []), ("bump", []), ("deep", [0]), ("set", [3]), ("indirect", [3, 1]), ("grow", []),
              ("indirect", [5, 1]), ("set", [6]), ("set", [7])]
    assert_same(CALLS, calls, host_imports())


def test_host_exceptions_pass_through_and_the_tier_keeps_working() -> None:
    _, single = both(CALLS, host_imports())
    with pytest.raises(ValueError, match="host failure"):
        single.invoke("fail", [2])
    with pytest.raises(Exhaustion):
        single.invoke("deep", [0])
    assert single.invoke("host", [3]) == [12]


def test_globals_and_tables_are_shared_with_the_host() -> None:
    _, single = both(CALLS, host_imports())
    g, table = single.exports["g"], single.exports["t"]
    g.value = 100
    assert single.invoke("bump", []) == [101]
    assert g.value == 101
    table.elements[3] = table.elements[0]
    assert single.invoke("indirect", [3, 9]) == [10]


def test_a_host_function_may_call_back_into_wasm() -> None:
    src = """(module (import "host" "cb" (func $cb (param i32) (result i32)))
      (func (export "f") (param i32) (result i32)
        (if (result i32) (local.get 0) (then (call $cb (i32.sub (local.get 0) (i32.const 1)))) (else (i32.const 0)))))"""
    store = api.Store(tier="singlepass")
    holder: dict = {}
    cb = api.host_func(api.FuncType(("i32",), ("i32",)), lambda x: [holder["f"].invoke("f", [x])[0] + 1])
    inst = store.instantiate(api.Module.from_text(src), {"host": {"cb": cb}})
    holder["f"] = inst
    assert inst.invoke("f", [20]) == [20]
    with pytest.raises(Exhaustion):
        inst.invoke("f", [1000])


def test_functions_of_another_instance_are_called_directly() -> None:
    store = api.Store(tier="singlepass")
    lib = store.instantiate(api.Module.from_text(
        '(module (func (export "sq") (param i64) (result i64) (i64.mul (local.get 0) (local.get 0))))'))
    user = store.instantiate(api.Module.from_text(
        '(module (import "lib" "sq" (func $sq (param i64) (result i64)))'
        ' (func (export "f") (param i64) (result i64) (call $sq (call $sq (local.get 0)))))'),
        {"lib": lib.exports})
    assert user.invoke("f", [3]) == [81]


def test_deep_nesting_compiles_without_python_recursion() -> None:
    depth = 5000
    body = "(block " * depth + "(br 0)" + ")" * depth
    assert_same(f'(module (func (export "f") (result i32) {body} (i32.const 7)))', [("f", [])])


def test_what_it_cannot_compile_is_refused_naming_the_function_and_the_instruction() -> None:
    store = api.Store(tier="singlepass")
    src = """(module (func $ok) (func $tail (result i32) (return_call 2)) (func (result i32) (i32.const 1)))"""
    with pytest.raises(UnsupportedError, match=r"function 1 \(\$?tail\)?.*instruction return_call"):
        store.tier.compile(api.Module.from_text(src).ast)  # the store refuses the 3.0 feature before this


def test_generated_code_is_never_writable_and_executable() -> None:
    store = api.Store(tier="singlepass")
    module = api.Module.from_text('(module (func (export "f") (result i32) (i32.const 1)))')
    compiled = store.tier.compile(module.ast)
    start = compiled.code.address
    with open("/proc/self/maps") as maps:
        perms = [line.split()[1] for line in maps
                 if int(line.split("-")[0], 16) <= start < int(line.split()[0].split("-")[1], 16)]
    assert perms == ["r-xp"]
