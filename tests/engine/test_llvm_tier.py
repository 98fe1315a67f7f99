"""The LLVM tier (ours:llvm): semantics at the edges, traps, host calls, multi-value, tables, memory growth,
stack exhaustion, optimisation levels and the on-disk object cache."""

from __future__ import annotations

import struct

import pytest

pytest.importorskip("llvmlite")

from harness.engine import errors, syntax  # noqa: E402
from harness.engine.binary import decode_module  # noqa: E402
from harness.engine.runtime import FuncInstance, GlobalInstance, MemoryInstance, resolve_imports  # noqa: E402
from harness.engine.text import parse_module  # noqa: E402
from harness.engine.tiers.llvm.tier import LLVMTier  # noqa: E402
from harness.engine.valid import validate_module  # noqa: E402

OPT_LEVELS = [0, 2]


def load(wat: str, opt_level: int = 0, imports: dict | None = None, tier: LLVMTier | None = None, **kw):
    data = parse_module(wat)
    module = decode_module(data)
    validate_module(module)
    tier = tier or LLVMTier(opt_level=opt_level, cache_dir=False, **kw)
    inst = tier.instantiate(module, resolve_imports(module, imports or {}), data)
    return tier, inst


def f32(x: float) -> int:
    return struct.unpack("<I", struct.pack("<f", x))[0]


def f64(x: float) -> int:
    return struct.unpack("<Q", struct.pack("<d", x))[0]


ARITH = """
(module
  (func (export "div_s") (param i32 i32) (result i32) (i32.div_s (local.get 0) (local.get 1)))
  (func (export "rem_s") (param i32 i32) (result i32) (i32.rem_s (local.get 0) (local.get 1)))
  (func (export "rem_s64") (param i64 i64) (result i64) (i64.rem_s (local.get 0) (local.get 1)))
  (func (export "shl") (param i32 i32) (result i32) (i32.shl (local.get 0) (local.get 1)))
  (func (export "rotl") (param i64 i64) (result i64) (i64.rotl (local.get 0) (local.get 1)))
  (func (export "clz") (param i32) (result i32) (i32.clz (local.get 0)))
  (func (export "ctz") (param i64) (result i64) (i64.ctz (local.get 0)))
  (func (export "trunc") (param f64) (result i32) (i32.trunc_f64_s (local.get 0)))
  (func (export "trunc_u") (param f32) (result i64) (i64.trunc_f32_u (local.get 0)))
  (func (export "sat") (param f64) (result i32) (i32.trunc_sat_f64_s (local.get 0)))
  (func (export "min") (param f32 f32) (result f32) (f32.min (local.get 0) (local.get 1)))
  (func (export "nearest") (param f64) (result f64) (f64.nearest (local.get 0)))
  (func (export "neg") (param f32) (result f32) (f32.neg (local.get 0)))
  (func (export "copysign") (param f64 f64) (result f64) (f64.copysign (local.get 0) (local.get 1)))
)"""


@pytest.mark.parametrize("opt", OPT_LEVELS)
def test_integer_edges(opt):
    tier, inst = load(ARITH, opt)
    call = lambda name, *a: tier.run(inst.exports[name], list(a))  # noqa: E731
    assert call("div_s", -7 & 0xFFFFFFFF, 2) == [-3 & 0xFFFFFFFF]
    assert call("rem_s", 0x80000000, 0xFFFFFFFF) == [0]
    assert call("rem_s64", 1 << 63, (1 << 64) - 1) == [0]
    assert call("shl", 1, 33) == [2]
    assert call("rotl", 0x8000000000000001, 65) == [3]
    assert call("clz", 0) == [32]
    assert call("ctz", 0) == [64]
    with pytest.raises(errors.Trap) as e:
        call("div_s", 0x80000000, 0xFFFFFFFF)
    assert e.value.kind == "integer overflow"
    with pytest.raises(errors.Trap) as e:
        call("div_s", 1, 0)
    assert e.value.kind == "integer divide by zero"


@pytest.mark.parametrize("opt", OPT_LEVELS)
def test_float_edges(opt):
    tier, inst = load(ARITH, opt)
    call = lambda name, *a: tier.run(inst.exports[name], list(a))  # noqa: E731
    assert call("trunc", f64(-2147483648.9)) == [0x80000000]
    with pytest.raises(errors.Trap) as e:
        call("trunc", f64(2147483648.0))
    assert e.value.kind == "integer overflow"
    with pytest.raises(errors.Trap) as e:
        call("trunc", f64(float("nan")))
    assert e.value.kind == "invalid conversion to integer"
    assert call("trunc_u", f32(-0.9)) == [0]
    assert call("sat", f64(1e300)) == [0x7FFFFFFF]
    assert call("sat", f64(float("nan"))) == [0]
    assert call("min", f32(0.0), f32(-0.0)) == [f32(-0.0)]
    (nan,) = call("min", 0x7FA00000, f32(1.0))  # signalling NaN in, quiet NaN out
    assert nan & 0x7FC00000 == 0x7FC00000
    assert call("nearest", f64(2.5)) == [f64(2.0)]
    assert call("neg", 0x7FA00001) == [0xFFA00001]  # payload preserved
    assert call("copysign", f64(1.5), f64(-0.0)) == [f64(-1.5)]


MEMORY = """
(module
  (memory (export "mem") 1 3)
  (data (i32.const 8) "\\01\\02\\03\\04")
  (func (export "load") (param i32) (result i32) (i32.load offset=4 (local.get 0)))
  (func (export "store") (param i32 i64) (i64.store (local.get 0) (local.get 1)))
  (func (export "grow") (param i32) (result i32) (memory.grow (local.get 0)))
  (func (export "size") (result i32) (memory.size))
  (func (export "fill") (param i32 i32 i32) (memory.fill (local.get 0) (local.get 1) (local.get 2)))
  (func (export "copy") (param i32 i32 i32) (memory.copy (local.get 0) (local.get 1) (local.get 2)))
)"""


@pytest.mark.parametrize("opt", OPT_LEVELS)
def test_memory_bounds_and_growth(opt):
    tier, inst = load(MEMORY, opt)
    call = lambda name, *a: tier.run(inst.exports[name], list(a))  # noqa: E731
    assert call("load", 4) == [0x04030201]
    assert call("load", 65532 - 4) == [0]
    for addr in (65533 - 4, 0xFFFFFFFF):
        with pytest.raises(errors.Trap) as e:
            call("load", addr)
        assert e.value.kind == "out of bounds memory access"
    with pytest.raises(errors.Trap):
        call("store", 65530, 1)
    assert call("grow", 1) == [1]
    assert call("size") == [2]
    call("store", 65530, 0x1122334455667788)
    assert inst.exports["mem"].read(65530, 8) == struct.pack("<Q", 0x1122334455667788)
    assert call("grow", 5) == [0xFFFFFFFF]
    # the host grows the memory: compiled code sees the new size on the next call
    inst.exports["mem"].grow(1)
    assert call("size") == [3]
    call("fill", 3 * 65536 - 4, 0xAB, 4)
    with pytest.raises(errors.Trap):
        call("fill", 3 * 65536 - 4, 0xAB, 5)
    call("copy", 0, 8, 4)
    assert inst.exports["mem"].read(0, 4) == b"\x01\x02\x03\x04"
    with pytest.raises(errors.Trap):
        call("copy", 0, 0xFFFFFFFF, 2)


HOST = """
(module
  (import "env" "add" (func $add (param i32 i64) (result i64)))
  (import "env" "boom" (func $boom))
  (import "env" "g" (global $g (mut i32)))
  (func (export "via_host") (param i32) (result i64) (call $add (local.get 0) (i64.const 10)))
  (func (export "boom") (call $boom))
  (func (export "bump") (result i32) (global.set $g (i32.add (global.get $g) (i32.const 1))) (global.get $g))
  (func (export "pair") (param i32) (result i32 i64 f64) (local.get 0) (i64.const -1) (f64.const 0.5))
)"""


@pytest.mark.parametrize("opt", OPT_LEVELS)
def test_host_functions_globals_and_multivalue(opt):
    seen = []

    def add(a, b):
        seen.append((a, b))
        return a + b

    def boom():
        raise errors.Trap("host says no")

    g = GlobalInstance(syntax.GlobalType("i32", True), 41)
    imports = {
        "env": {
            "add": FuncInstance(syntax.FuncType(("i32", "i64"), ("i64",)), host=add),
            "boom": FuncInstance(syntax.FuncType((), ()), host=boom),
            "g": g,
        }
    }
    tier, inst = load(HOST, opt, imports)
    assert tier.run(inst.exports["via_host"], [5]) == [15]
    assert seen == [(5, 10)]
    with pytest.raises(errors.Trap) as e:
        tier.run(inst.exports["boom"], [])
    assert e.value.kind == "host says no"
    assert tier.run(inst.exports["bump"], []) == [42]
    assert g.value == 42
    g.value = 100
    assert tier.run(inst.exports["bump"], []) == [101]
    assert tier.run(inst.exports["pair"], [7]) == [7, (1 << 64) - 1, f64(0.5)]


TABLES = """
(module
  (type $ii (func (param i32) (result i32)))
  (table (export "t") 4 funcref)
  (elem (i32.const 0) $double $inc)
  (func $double (type $ii) (i32.mul (local.get 0) (i32.const 2)))
  (func $inc (type $ii) (i32.add (local.get 0) (i32.const 1)))
  (func $nullary (result i32) (i32.const 0))
  (elem declare func $nullary)
  (func (export "dispatch") (param i32 i32) (result i32) (call_indirect (type $ii) (local.get 1) (local.get 0)))
  (func (export "set") (param i32) (table.set (local.get 0) (ref.func $nullary)))
  (func (export "grow") (param i32) (result i32) (table.grow (ref.null func) (local.get 0)))
)"""


@pytest.mark.parametrize("opt", OPT_LEVELS)
def test_call_indirect_and_table_ops(opt):
    tier, inst = load(TABLES, opt)
    call = lambda name, *a: tier.run(inst.exports[name], list(a))  # noqa: E731
    assert call("dispatch", 0, 21) == [42]
    assert call("dispatch", 1, 41) == [42]
    for idx, kind in ((2, "uninitialized element"), (4, "undefined element")):
        with pytest.raises(errors.Trap) as e:
            call("dispatch", idx, 0)
        assert e.value.kind == kind
    call("set", 2)
    with pytest.raises(errors.Trap) as e:
        call("dispatch", 2, 0)
    assert e.value.kind == "indirect call type mismatch"
    assert call("grow", 2) == [4]
    assert inst.exports["t"].size == 6
    # the host edits the table: compiled code sees it
    inst.exports["t"].elements[5] = inst.exports["t"].elements[0]
    assert call("dispatch", 5, 4) == [8]


RECURSE = """
(module
  (type $proc (func))
  (table funcref (elem $tail))
  (func $tail (export "tail_runaway") (call_indirect (type $proc) (i32.const 0)))
  (func $r (export "runaway") (param i64) (result i64) (i64.add (call $r (local.get 0)) (i64.const 1)))
  (func $fac (export "fac") (param i64) (result i64)
    (if (result i64) (i64.eqz (local.get 0)) (then (i64.const 1))
      (else (i64.mul (local.get 0) (call $fac (i64.sub (local.get 0) (i64.const 1))))))))"""


@pytest.mark.parametrize("opt", OPT_LEVELS)
def test_stack_exhaustion_is_a_trap(opt):
    tier, inst = load(RECURSE, opt)
    with pytest.raises(errors.Exhaustion):
        tier.run(inst.exports["runaway"], [0])
    with pytest.raises(errors.Exhaustion):
        tier.run(inst.exports["tail_runaway"], [])
    # the store is usable afterwards, and deep but finite recursion works
    assert tier.run(inst.exports["fac"], [20]) == [2432902008176640000]
    with pytest.raises(errors.Exhaustion):
        tier.run(inst.exports["runaway"], [0])


# Recursion LLVM may turn into loops or jumps at O2 (self tail calls, accumulator recursion, sibling
# calls): each must still end in "call stack exhausted", and finite recursion of the same shapes must work.
LOOPING_RECURSION = """
(module
  (func $self (export "self_tail") (param i32) (result i32) (call $self (i32.add (local.get 0) (i32.const 1))))
  (func $acc (export "acc_runaway") (param i32) (result i32) (i32.add (call $acc (local.get 0)) (local.get 0)))
  (func $ping (export "ping") (param i32) (result i32) (call $pong (i32.add (local.get 0) (i32.const 1))))
  (func $pong (param i32) (result i32) (call $ping (i32.add (local.get 0) (i32.const 2))))
  (func $count (export "count") (param i32) (result i32)
    (if (result i32) (i32.eqz (local.get 0)) (then (i32.const 0))
      (else (call $count (i32.sub (local.get 0) (i32.const 1))))))
  (func $alt (export "alt") (param i64) (result i64)
    (if (result i64) (i64.eqz (local.get 0)) (then (i64.const 0))
      (else (i64.sub (local.get 0) (call $alt (i64.sub (local.get 0) (i64.const 1)))))))
  ;; two self-calls: unrolled into itself at O2 (recursion.py), the second call a loop
  (func $tree (export "tree_runaway") (param i32) (result i32)
    (i32.add (call $tree (i32.add (local.get 0) (i32.const 1))) (call $tree (i32.add (local.get 0) (i32.const 2)))))
  (func $deep (export "deep") (param i32) (result i32)
    (if (result i32) (i32.eqz (local.get 0)) (then (i32.const 1))
      (else (i32.add (call $deep (i32.sub (local.get 0) (i32.const 1)))
                     (call $deep (i32.const 0))))))
)"""


def run_isolated(code: str, timeout: float = 120) -> str:
    """Run ``code`` in a fresh interpreter: a regression here is an endless loop, which must fail the
    test instead of hanging the run."""
    import subprocess
    import sys

    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=timeout)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


@pytest.mark.parametrize("opt", OPT_LEVELS)
def test_recursion_that_llvm_makes_a_loop_still_exhausts(opt):
    out = run_isolated(f"""
import sys
sys.path.insert(0, {str(__import__("pathlib").Path(__file__).parent)!r})
from test_llvm_tier import LOOPING_RECURSION, load
from harness.engine import errors
tier, inst = load(LOOPING_RECURSION, {opt})
for name in ("self_tail", "acc_runaway", "ping", "tree_runaway"):
    try:
        tier.run(inst.exports[name], [0])
    except errors.Exhaustion:
        print(name, "exhausted")
print(tier.run(inst.exports["count"], [20000]), tier.run(inst.exports["alt"], [10000]),
      tier.run(inst.exports["deep"], [10000]))
for name, n in (("count", 10**8), ("alt", 10**7), ("deep", 10**7)):
    try:
        tier.run(inst.exports[name], [n])
    except errors.Exhaustion:
        print(name, "deep exhausted")
""")
    assert out.split("\n")[:4] == ["self_tail exhausted", "acc_runaway exhausted", "ping exhausted",
                                    "tree_runaway exhausted"]
    # alt(n) = n - alt(n-1) = ceil(n/2); deep(n) = deep(n-1) + 1 = n + 1
    assert out.split("\n")[4] == "[0] [5000] [10001]"
    assert out.split("\n")[5:8] == ["count deep exhausted", "alt deep exhausted", "deep deep exhausted"]


def test_trap_inside_nested_host_call_unwinds_both_levels():
    wat = """(module (import "env" "cb" (func $cb (param i32) (result i32)))
      (func (export "outer") (param i32) (result i32) (call $cb (local.get 0)))
      (func (export "inner") (param i32) (result i32) (i32.div_u (i32.const 1) (local.get 0))))"""
    holder = {}

    def cb(x):
        return holder["tier"].run(holder["inst"].exports["inner"], [x])

    imports = {"env": {"cb": FuncInstance(syntax.FuncType(("i32",), ("i32",)), host=cb)}}
    tier, inst = load(wat, 2, imports)
    holder.update(tier=tier, inst=inst)
    assert tier.run(inst.exports["outer"], [1]) == [1]
    with pytest.raises(errors.Trap) as e:
        tier.run(inst.exports["outer"], [0])
    assert e.value.kind == "integer divide by zero"
    assert tier.run(inst.exports["outer"], [1]) == [1]


def test_object_cache_warm_start_and_corrupt_entries(tmp_path):
    from harness.engine.tiers.llvm import faults

    if faults.supported():  # the fault handler is loaded once per process: not through this test's cache
        faults.guard()
    wat = '(module (func (export "f") (param i32) (result i32) (i32.mul (local.get 0) (i32.const 3))))'
    cold = LLVMTier(opt_level=2, cache_dir=tmp_path)
    _, inst = load(wat, tier=cold)
    assert cold.run(inst.exports["f"], [5]) == [15]
    assert (cold.cache.hits, cold.cache.misses) == (0, 1)
    files = list(tmp_path.rglob("*.o"))
    assert len(files) == 1

    warm = LLVMTier(opt_level=2, cache_dir=tmp_path)
    _, inst = load(wat, tier=warm)
    assert warm.cache.hits == 1
    assert warm.run(inst.exports["f"], [7]) == [21]

    # another opt level is another entry
    other = LLVMTier(opt_level=0, cache_dir=tmp_path)
    load(wat, tier=other)
    assert other.cache.misses == 1
    assert len(list(tmp_path.rglob("*.o"))) == 2

    # a truncated entry is a miss: recompiled and overwritten
    data = files[0].read_bytes()
    files[0].write_bytes(data[: len(data) // 2])
    again = LLVMTier(opt_level=2, cache_dir=tmp_path)
    _, inst = load(wat, tier=again)
    assert (again.cache.hits, again.cache.misses) == (0, 1)
    assert again.run(inst.exports["f"], [2]) == [6]
    assert files[0].read_bytes() == data


def test_unwritable_cache_warns_once_and_code_still_runs(tmp_path):
    import warnings

    blocker = tmp_path / "file"
    blocker.write_bytes(b"")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        tier = LLVMTier(opt_level=2, cache_dir=blocker / "llvm")  # a directory under a regular file
        for k in (3, 5):
            wat = f'(module (func (export "f") (param i32) (result i32) (i32.mul (local.get 0) (i32.const {k}))))'
            _, inst = load(wat, tier=tier)
            assert tier.run(inst.exports["f"], [2]) == [2 * k]
    messages = [str(w.message) for w in caught if issubclass(w.category, RuntimeWarning)]
    assert len(messages) == 1 and "HARNESS_LLVM_CACHE" in messages[0] and str(blocker) in messages[0]
    assert tier.cache.store_failed


def test_cache_write_that_fails_leaves_no_temporary_file(tmp_path, monkeypatch):
    from harness.engine.tiers import code_cache
    from harness.engine.tiers.llvm import cache as cache_mod

    def no_rename(src, dst):
        raise OSError(28, "No space left on device")

    cache = cache_mod.ObjectCache(tmp_path)
    monkeypatch.setattr(code_cache.os, "replace", no_rename)
    with pytest.warns(RuntimeWarning, match="No space left"):
        cache.store("ab" + "0" * 62, b"object bytes")
    assert [p.name for p in tmp_path.rglob("*") if p.is_file()] == []


@pytest.mark.parametrize("xdg", [None, "", "   ", "/tmp/elsewhere"])
def test_default_cache_dir_is_where_platformdirs_puts_the_harness_cache(monkeypatch, xdg):
    """The tier works out the user cache directory itself on Linux (importing platformdirs cost every
    start), so it must agree with ``harness.paths``, which asks platformdirs."""
    import platformdirs

    from harness.engine.tiers.llvm import cache as cache_mod

    for var in ("HARNESS_LLVM_CACHE", "HARNESS_CACHE"):
        monkeypatch.delenv(var, raising=False)
    if xdg is None:
        monkeypatch.delenv("XDG_CACHE_HOME", raising=False)
    else:
        monkeypatch.setenv("XDG_CACHE_HOME", xdg)
    expected = platformdirs.user_cache_dir("wasm-harness")
    assert cache_mod.default_cache_dir() == cache_mod.Path(expected) / "llvm"
    monkeypatch.setenv("HARNESS_CACHE", "/tmp/hc")
    assert str(cache_mod.default_cache_dir()) == "/tmp/hc/llvm"


def test_imported_memory_shared_between_instances():
    mem = MemoryInstance(syntax.MemType(syntax.Limits(1, 4)))
    wat = """(module (import "env" "mem" (memory 1))
      (func (export "grow") (result i32) (memory.grow (i32.const 1)))
      (func (export "poke") (param i32 i32) (i32.store (local.get 0) (local.get 1))))"""
    tier = LLVMTier(opt_level=2, cache_dir=False)
    _, a = load(wat, tier=tier, imports={"env": {"mem": mem}})
    _, b = load(wat, tier=tier, imports={"env": {"mem": mem}})
    with pytest.raises(errors.Trap):
        tier.run(b.exports["poke"], [65536, 1])
    assert tier.run(a.exports["grow"], []) == [1]
    tier.run(b.exports["poke"], [65536, 0x01020304])  # b sees a's growth
    assert mem.read(65536, 4) == b"\x04\x03\x02\x01"


def test_bad_opt_level_is_rejected():
    with pytest.raises(ValueError, match="opt_level"):
        LLVMTier(opt_level=7)


WARM = """(module (memory 1) (global $g (mut i32) (i32.const 5))
  (data (i32.const 8) "\\2a")
  (func $h (param i32) (result i32) (i32.add (local.get 0) (global.get $g)))
  (func (export "f") (param i32) (result i32) (local i64) (call $h (i32.add (local.get 0) (i32.load8_u (i32.const 8))))))"""


def test_warm_start_decodes_declarations_only_and_skips_validation(tmp_path):
    """``api.Store.load``: with this module's code in the cache, function bodies are not decoded and the
    module is not validated again; the result runs exactly like a cold load."""
    from harness.engine import api
    from harness.engine.binary import decode_module

    data = parse_module(WARM)
    lean = decode_module(data, bodies=False)
    full = decode_module(data)
    assert lean.bodies_skipped and not full.bodies_skipped
    assert [f.type_idx for f in lean.funcs] == [f.type_idx for f in full.funcs]
    assert (lean.types, lean.imports, lean.exports, lean.datas, lean.globals) == \
           (full.types, full.imports, full.exports, full.datas, full.globals)
    assert all(f.body == [] and f.locals == [] for f in lean.funcs) and full.funcs[1].locals == ["i64"]

    cold = api.Store(tier="llvm", cache_dir=tmp_path)
    m = cold.load(data)
    assert not m.ast.bodies_skipped
    assert cold.instantiate(m).call("f", 1) == 48
    warm = api.Store(tier="llvm", cache_dir=tmp_path)
    m = warm.load(data)
    assert m.ast.bodies_skipped
    for path in tmp_path.rglob("*.o"):  # held when found: removing the entry now changes nothing
        path.unlink()
    assert warm.instantiate(m).call("f", 2) == 49
    # another opt level has no code yet: a full, validated load
    assert not api.Store(tier="llvm", cache_dir=tmp_path, opt_level=1).load(data).ast.bodies_skipped


def test_code_of_an_unvalidated_module_never_vouches_for_its_bytes(tmp_path):
    """A module instantiated without validation is compiled under a key its bytes cannot find, so a
    later ``Store.load`` of the same bytes still validates them (and rejects them)."""
    from harness.engine import api

    data = parse_module('(module (func (export "f") (result i32) (i32.const 1)) (export "g" (func 0)))')
    bad = bytearray(data)
    bad[bad.index(b"\x01g")+1] = ord("f")  # two exports named "f": decodes and compiles, does not validate
    unchecked = api.Module.from_bytes(bytes(bad), validate=False)
    api.Store(tier="llvm", cache_dir=tmp_path).instantiate(unchecked)
    assert len(list(tmp_path.rglob("*.o"))) == 1
    with pytest.raises(errors.ValidationError, match="duplicate export"):
        api.Store(tier="llvm", cache_dir=tmp_path).load(bytes(bad))


def test_values_cross_the_python_boundary_masked_and_counted():
    """Calls from Python into compiled code take a per-signature fast path for numeric types: arguments
    are masked to their width (a negative i32 is its two's complement), results come back unsigned raw
    bits, reference and v128 signatures still go through the general path, and a wrong argument count
    is the interpreter's error instead of a call with garbage."""
    tier, inst = load("""(module
      (func (export "mix") (param i32 i64 f32 f64) (result i64 i32 f64)
        (i64.add (local.get 1) (i64.extend_i32_u (local.get 0))) (local.get 0) (local.get 3))
      (func (export "ref") (param externref) (result externref) (local.get 0))
      (func (export "v") (param v128) (result v128) (local.get 0)))""")
    assert tier.run(inst.exports["mix"], [-1, 1 << 40, f32(1.5), f64(-2.0)]) == [
        (1 << 40) + 0xFFFFFFFF, 0xFFFFFFFF, f64(-2.0)]
    marker = object()
    assert tier.run(inst.exports["ref"], [marker]) == [marker]
    assert tier.run(inst.exports["ref"], [None]) == [None]
    assert tier.run(inst.exports["v"], [(1 << 127) | 5]) == [(1 << 127) | 5]
    with pytest.raises(TypeError, match=r"takes 4 arguments, got 2"):
        tier.run(inst.exports["mix"], [1, 2])


def test_a_compile_is_reported_on_the_llvm_logger_and_a_cache_hit_is_not(tmp_path, caplog):
    """``harness run`` shows these on a terminal: a first run of a large program is otherwise silent for
    seconds to a minute."""
    import logging

    caplog.set_level(logging.INFO, logger="harness.engine.llvm")
    wat = '(module (func (export "f") (result i32) (i32.const 1)) (func (export "g")))'
    load(wat, tier=LLVMTier(opt_level=0, cache_dir=tmp_path))
    messages = [r.getMessage() for r in caplog.records if r.name == "harness.engine.llvm"]
    assert len(messages) == 2
    assert messages[0].startswith("compiling 2 functions with LLVM at O0") and str(tmp_path) in messages[0]
    assert messages[1].startswith("compiled in ")
    caplog.clear()
    load(wat, tier=LLVMTier(opt_level=0, cache_dir=tmp_path))
    assert [r for r in caplog.records if r.name == "harness.engine.llvm"] == []
