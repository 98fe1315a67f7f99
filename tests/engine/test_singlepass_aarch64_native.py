"""The aarch64 code generator's code, run: on an aarch64 host only (on x86-64, ``test_singlepass_aarch64_emulated``
runs this file inside the emulated root filesystem).  Each module against ``ours:interp``: integer edge cases
of every width, division traps, float NaN/-0 rules of min/max/nearest/copysign, every trapping truncation's
bounds, calls through tables and host functions re-entering wasm, bulk memory overlaps, the stack check, and
planted faults (a load from address 16, ``udf``) reported as ``GeneratedCodeFault`` naming the function."""

from __future__ import annotations

import struct

import pytest

from harness.engine import api
from harness.engine.errors import Exhaustion, Trap
from harness.engine.tiers import singlepass
from harness.engine.tiers.singlepass.faults import GeneratedCodeFault

pytestmark = pytest.mark.skipif(singlepass.isa() != "aarch64", reason="runs aarch64 code: needs an aarch64 host "
                                "(from x86-64: test_singlepass_aarch64_emulated.py)")


def both(src: str, imports=None):
    """The module instantiated on the singlepass and the interpreter tiers."""
    mod = api.Module.from_text(src)
    out = []
    for tier in ("singlepass", "interp"):
        store = api.Store(tier=tier, **({"cache_dir": False} if tier == "singlepass" else {}))
        out.append(store.instantiate(mod, imports(store) if imports else None))
    return out


def outcome(inst, name, args):
    try:
        return inst.invoke(name, args)
    except Exhaustion:
        return ("exhaustion",)
    except Trap as exc:
        return ("trap", exc.kind)


def agree(src: str, calls, imports=None):
    sp, ip = both(src, imports)
    for name, args in calls:
        assert outcome(sp, name, args) == outcome(ip, name, args), (name, args)


EDGES32 = [0, 1, 2, 31, 32, 0x7FFFFFFF, 0x80000000, 0xFFFFFFFF, 0xFFFFFFFE, 12345678]
EDGES64 = [0, 1, 63, 64, 0x7FFFFFFFFFFFFFFF, 0x8000000000000000, 0xFFFFFFFFFFFFFFFF, 0x123456789ABCDEF0]


@pytest.mark.parametrize("t, edges", [("i32", EDGES32), ("i64", EDGES64)])
def test_integer_operations(t, edges):
    bin_ops = ["add", "sub", "mul", "and", "or", "xor", "shl", "shr_s", "shr_u", "rotl", "rotr", "div_s", "div_u",
               "rem_s", "rem_u", "eq", "ne", "lt_s", "lt_u", "gt_s", "gt_u", "le_s", "le_u", "ge_s", "ge_u"]
    un_ops = ["clz", "ctz", "popcnt", "eqz", "extend8_s", "extend16_s"] + (["extend32_s"] if t == "i64" else [])
    funcs = [f'(func (export "{o}") (param {t} {t}) (result {"i32" if o in ("eq", "ne") or "_" in o and o[:2] in ("lt", "gt", "le", "ge") else t}) ({t}.{o} (local.get 0) (local.get 1)))'
             for o in bin_ops]
    funcs += [f'(func (export "{o}") (param {t}) (result {"i32" if o == "eqz" else t}) ({t}.{o} (local.get 0)))'
              for o in un_ops]
    # constant right operands: the immediate forms (add/sub/logical/compare/shift)
    funcs += [f'(func (export "{o}_c{k}") (param {t}) (result {t}) ({t}.{o} (local.get 0) ({t}.const {c})))'
              for o in ("add", "sub", "and", "or", "xor", "shl", "rotl", "shr_s") for k, c in enumerate((1, -1, 4096, 0xFF0, -4096))]
    calls = [(o, [a, b]) for o in bin_ops for a in edges for b in edges]
    calls += [(o, [a]) for o in un_ops for a in edges]
    calls += [(f"{o}_c{k}", [a]) for o in ("add", "sub", "and", "or", "xor", "shl", "rotl", "shr_s")
              for k in range(5) for a in edges]
    agree(f"(module {' '.join(funcs)})", calls)


def f32(x: float) -> int:
    return struct.unpack("<I", struct.pack("<f", x))[0]


def f64(x: float) -> int:
    return struct.unpack("<Q", struct.pack("<d", x))[0]


FLOATS = [0.0, -0.0, 1.5, -2.5, 0.5, -0.5, 2.5, 1e30, -1e30, float("inf"), float("-inf"), 2.0**31, -2.0**31,
          2.0**32, 2.0**63, -2.0**63 - 2048.0, 2.0**64, 4294967295.5, -1.0, -0.999]


@pytest.mark.parametrize("t, bits", [("f32", f32), ("f64", f64)])
def test_float_operations(t, bits):
    vals = [bits(x) for x in FLOATS] + ([0x7FC00000, 0xFFC00001, 0x7F800001] if t == "f32" else
                                        [0x7FF8000000000000, 0xFFF8000000000001])
    bin_ops = ["add", "sub", "mul", "div", "min", "max", "copysign"]
    cmp_ops = ["eq", "ne", "lt", "gt", "le", "ge"]
    un_ops = ["sqrt", "ceil", "floor", "trunc", "nearest", "neg", "abs"]
    it = "i32" if t == "f32" else "i64"
    funcs = [f'(func (export "{o}") (param {it} {it}) (result {it}) ({it}.reinterpret_{t} ({t}.{o} '
             f"({t}.reinterpret_{it} (local.get 0)) ({t}.reinterpret_{it} (local.get 1)))))" for o in bin_ops]
    funcs += [f'(func (export "{o}") (param {it} {it}) (result i32) ({t}.{o} ({t}.reinterpret_{it} (local.get 0)) '
              f"({t}.reinterpret_{it} (local.get 1))))" for o in cmp_ops]
    funcs += [f'(func (export "if_{o}") (param {it} {it}) (result i32) (if (result i32) ({t}.{o} '
              f"({t}.reinterpret_{it} (local.get 0)) ({t}.reinterpret_{it} (local.get 1))) "
              "(then (i32.const 7)) (else (i32.const 9))))" for o in cmp_ops]
    funcs += [f'(func (export "{o}") (param {it}) (result {it}) ({it}.reinterpret_{t} ({t}.{o} '
              f"({t}.reinterpret_{it} (local.get 0)))))" for o in un_ops]
    conv = [f"{i}.trunc{sat}_{t}_{s}" for i in ("i32", "i64") for sat in ("", "_sat") for s in ("s", "u")]
    funcs += [f'(func (export "{c}") (param {it}) (result {c[:3]}) ({c} ({t}.reinterpret_{it} (local.get 0))))'
              for c in conv]
    src = f"(module {' '.join(funcs)})"
    sp, ip = both(src)

    def norm(r):  # NaN results compare by NaN-ness (the spec allows any arithmetic NaN there)
        if isinstance(r, list) and r and isinstance(r[0], int):
            exp = 0x7F800000 if t == "f32" else 0x7FF0000000000000
            frac = 0x7FFFFF if t == "f32" else 0xFFFFFFFFFFFFF
            return ["nan" if v & exp == exp and v & frac else v for v in r]
        return r

    for o in bin_ops + cmp_ops + [f"if_{c}" for c in cmp_ops]:
        for a in vals:
            for b in vals:
                assert norm(outcome(sp, o, [a, b])) == norm(outcome(ip, o, [a, b])), (o, hex(a), hex(b))
    for o in un_ops + conv:
        for a in vals:
            assert norm(outcome(sp, o, [a])) == norm(outcome(ip, o, [a])), (o, hex(a))


def test_conversions_from_integers():
    funcs = [f'(func (export "{f}.convert_{i}_{s}") (param {i}) (result {f}) ({f}.convert_{i}_{s} (local.get 0)))'
             for f in ("f32", "f64") for i in ("i32", "i64") for s in ("s", "u")]
    calls = [(f"{f}.convert_{i}_{s}", [v]) for f in ("f32", "f64") for i, edges in (("i32", EDGES32), ("i64", EDGES64))
             for s in ("s", "u") for v in edges]
    agree(f"(module {' '.join(funcs)})", calls)


def test_memory_accesses_bounds_and_bulk_operations():
    src = """(module (memory 1 3)
      (func (export "ld") (param i32) (result i64) (i64.load offset=65528 (local.get 0)))
      (func (export "ld8") (param i32) (result i32) (i32.load8_s (local.get 0)))
      (func (export "st") (param i32 i64) (i64.store16 offset=1 (local.get 0) (local.get 1)))
      (func (export "fill") (param i32 i32 i32) (memory.fill (local.get 0) (local.get 1) (local.get 2)))
      (func (export "copy") (param i32 i32 i32) (memory.copy (local.get 0) (local.get 1) (local.get 2)))
      (func (export "grow") (param i32) (result i32) (memory.grow (local.get 0)))
      (func (export "size") (result i32) (memory.size))
      (func (export "sum") (param i32 i32) (result i64) (local $s i64)
        (block (loop (br_if 1 (i32.eqz (local.get 1)))
          (local.set $s (i64.add (local.get $s) (i64.load8_u (local.get 0))))
          (local.set 0 (i32.add (local.get 0) (i32.const 1)))
          (local.set 1 (i32.sub (local.get 1) (i32.const 1))) (br 0)))
        (local.get $s)))"""
    calls = [("ld", [0]), ("ld", [1]), ("ld", [0xFFFFFFFF]), ("st", [65533, 0x1234]), ("st", [65534, 7]),
             ("ld8", [65534]), ("ld8", [65536]), ("fill", [10, 0x1AB, 37]), ("sum", [0, 64]),
             ("copy", [20, 10, 30]), ("sum", [0, 64]), ("copy", [5, 15, 30]), ("sum", [0, 64]),
             ("copy", [0, 65530, 7]), ("fill", [65530, 1, 7]), ("fill", [65536, 1, 0]), ("grow", [1]),
             ("size", []), ("ld", [65536]), ("st", [131070, 9]), ("grow", [5]), ("size", [])]
    agree(src, calls)


def test_calls_tables_host_functions_and_reentry():
    src = """(module (type $ii (func (param i32) (result i32)))
      (import "env" "host" (func $host (param i32) (result i32)))
      (table 4 funcref) (elem (i32.const 0) $inc $dbl $host)
      (global $g (mut i64) (i64.const 5))
      (func $inc (type $ii) (i32.add (local.get 0) (i32.const 1)))
      (func $dbl (type $ii) (global.set $g (i64.add (global.get $g) (i64.const 1))) (i32.mul (local.get 0) (i32.const 2)))
      (func (export "ind") (param i32 i32) (result i32) (call_indirect (type $ii) (local.get 1) (local.get 0)))
      (func (export "wrong") (result i32) (call_indirect (result i32) (i32.const 0)))
      (func (export "g") (result i64) (global.get $g))
      (func $fact (export "fact") (param i64) (result i64)
        (if (result i64) (i64.eqz (local.get 0)) (then (i64.const 1))
          (else (i64.mul (local.get 0) (call $fact (i64.sub (local.get 0) (i64.const 1)))))))
      (func $deep (export "deep") (param i32) (result i32) (call $deep (i32.add (local.get 0) (i32.const 1))))
      (func (export "tbl") (param i32) (result i32)
        (block (block (block (block (br_table 0 1 2 3 (local.get 0))) (return (i32.const 10)))
          (return (i32.const 11))) (return (i32.const 12))) (i32.const 13)))"""

    def imports(store):
        def host(x):
            inst = holder[store]
            return [inst.invoke("ind", [x, 1])[0] + 100] if x < 50 else [x]
        return {"env": {"host": api.host_func(api.FuncType(("i32",), ("i32",)), host)}}

    holder = {}
    mod = api.Module.from_text(src)
    results = []
    for tier in ("singlepass", "interp"):
        store = api.Store(tier=tier, **({"cache_dir": False} if tier == "singlepass" else {}))
        holder[store] = inst = store.instantiate(mod, imports(store))
        calls = [("ind", [0, 5]), ("ind", [1, 5]), ("ind", [2, 5]), ("ind", [3, 5]), ("ind", [4, 5]),
                 ("wrong", []), ("g", []), ("fact", [20]), ("deep", [0]), ("ind", [0, 7])]
        calls += [("tbl", [k]) for k in (0, 1, 2, 3, 4, 0xFFFFFFFF)]
        results.append([outcome(inst, n, a) for n, a in calls])
    assert results[0] == results[1]
    assert ("exhaustion",) in results[0]


def test_register_pressure_and_spills():
    """A deep expression tree of many live values: every register taken, the oldest spilled."""
    n = 40
    body = "".join(f"(i64.mul (local.get 0) (i64.const {k + 3}))" for k in range(n)) + "(i64.add)" * (n - 1)
    fbody = "".join(f"(f64.mul (local.get 1) (f64.const {k + 0.5}))" for k in range(n)) + "(f64.add)" * (n - 1)
    src = f"""(module (func (export "f") (param i64 f64) (result i64 f64) {body} {fbody}))"""
    agree(src, [("f", [v, f64(x)]) for v in (1, 0xFFFFFFFF, 1 << 63) for x in (1.0, -3.5)])


def test_simd_lane_operations_against_the_interpreter():
    shapes = {"i8x16": "i32", "i16x8": "i32", "i32x4": "i32", "i64x2": "i64"}
    funcs, calls = [], []
    vals = [0, (1 << 128) - 1, 0x0123456789ABCDEF_FEDCBA9876543210, 0x80000000_7FFFFFFF_00000001_FFFFFFFF,
            0x8000_7FFF_0001_FFFF_8080_7F7F_0101_FEFE]
    ops = ["add", "sub", "eq", "ne", "lt_s", "gt_s", "le_s", "ge_s"]
    for shape in shapes:
        for op in ops:
            funcs.append(f'(func (export "{shape}.{op}") (param v128 v128) (result v128) ({shape}.{op} (local.get 0) (local.get 1)))')
            calls += [(f"{shape}.{op}", [a, b]) for a in vals for b in vals]
        funcs.append(f'(func (export "{shape}.bitmask") (param v128) (result i32) ({shape}.bitmask (local.get 0)))')
        funcs.append(f'(func (export "{shape}.all_true") (param v128) (result i32) ({shape}.all_true (local.get 0)))')
        funcs.append(f'(func (export "{shape}.shr_s") (param v128 i32) (result v128) ({shape}.shr_s (local.get 0) (local.get 1)))')
        calls += [(f"{shape}.bitmask", [a]) for a in vals] + [(f"{shape}.all_true", [a]) for a in vals]
        calls += [(f"{shape}.shr_s", [a, n]) for a in vals for n in (0, 1, 7, 9, 33, 65)]
    funcs.append('(func (export "shuf") (param v128 v128) (result v128) (i8x16.shuffle 31 0 1 16 5 21 2 30 3 3 17 8 9 10 11 12 (local.get 0) (local.get 1)))')
    funcs.append('(func (export "swz") (param v128 v128) (result v128) (i8x16.swizzle (local.get 0) (local.get 1)))')
    funcs.append('(func (export "i64mul") (param v128 v128) (result v128) (i64x2.mul (local.get 0) (local.get 1)))')
    calls += [(f, [a, b]) for f in ("shuf", "swz", "i64mul") for a in vals for b in vals]
    agree(f"(module {' '.join(funcs)})", calls)


def _plant(monkeypatch, words: list[int]) -> None:
    from harness.engine.tiers.singlepass.aarch64 import codegen

    def emit(self, ins) -> None:
        for w in words:
            self.a.emit(w)

    monkeypatch.setitem(codegen.FunctionCompiler.HANDLERS, "nop", emit)


SRC = """(module (memory 1)
  (func $boom (export "boom") (result i32) nop (i32.const 1))
  (func (export "fine") (result i32) (i32.const 2))
  (func (export "oob") (result i32) (i32.load (i32.const 70000))))"""


@pytest.mark.parametrize("words, signal_name", [
    ([0xD2800011, 0xF9400A31], "SIGSEGV"),  # mov x17, #0; ldr x17, [x17, #16]
    ([0x00000000], "SIGILL"),  # udf #0
])
def test_a_signal_in_generated_code_raises_naming_the_function(monkeypatch, words, signal_name):
    _plant(monkeypatch, words)
    store = api.Store(tier="singlepass", cache_dir=False)
    inst = store.instantiate(api.Module.from_text(SRC))
    for _ in range(2):
        with pytest.raises(GeneratedCodeFault, match=rf"{signal_name} in generated code at function 0 \(\$boom\)"):
            inst.invoke("boom", [])
        assert inst.invoke("fine", []) == [2]
        with pytest.raises(Trap, match="out of bounds memory access"):
            inst.invoke("oob", [])
