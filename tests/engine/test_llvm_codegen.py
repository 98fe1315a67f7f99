"""The LLVM tier's code-generation facts and shared machinery: alias/invariance metadata must not change
what globals and memory hold, host-call thunks are compiled in batches through the object cache, and the
benchmark script can load a second copy of the tier for side-by-side runs."""

from __future__ import annotations

import platform
import shutil
import sys
from pathlib import Path

import pytest

pytest.importorskip("llvmlite")

from test_llvm_tier import OPT_LEVELS, f64, load  # noqa: E402

from harness.engine import api, syntax  # noqa: E402
from harness.engine.runtime import FuncInstance  # noqa: E402
from harness.engine.tiers.llvm import compiler  # noqa: E402
from harness.engine.tiers.llvm.tier import LLVMTier  # noqa: E402

# Stores to linear memory and to globals interleaved, inside a loop: TBAA says they never alias, the
# invariant loads say the cells' addresses never change; the values must still be exactly right.
GLOBALS_AND_MEMORY = """
(module
  (memory 1)
  (global $g (mut i32) (i32.const 7))
  (global $h (mut i64) (i64.const 0))
  (global $v (mut v128) (v128.const i64x2 1 2))
  (func (export "mix") (param $n i32) (result i32) (local $i i32)
    (block $done (loop $l
      (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
      (global.set $g (i32.add (global.get $g) (local.get $i)))
      (i32.store (i32.mul (local.get $i) (i32.const 4)) (global.get $g))
      (global.set $h (i64.add (global.get $h) (i64.extend_i32_u (i32.load (i32.mul (local.get $i) (i32.const 4))))))
      (i32.store (i32.const 0) (i32.const 0))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $l)))
    (i32.add (global.get $g) (i32.load (i32.const 4))))
  (func (export "h") (result i64) (global.get $h))
  (func (export "swap_v") (param i64) (result i64)
    (global.set $v (i64x2.replace_lane 1 (global.get $v) (local.get 0)))
    (i64x2.extract_lane 0 (global.get $v)))
  (func (export "v1") (result i64) (i64x2.extract_lane 1 (global.get $v)))
  (func (export "adjacent") (param $p i32) (result i64)
    (i64.add (i64.load offset=8 (local.get $p)) (i64.load32_u offset=65530 (local.get $p))))
)"""


@pytest.mark.parametrize("opt", OPT_LEVELS)
def test_globals_and_memory_stay_exact_under_alias_metadata(opt):
    tier, inst = load(GLOBALS_AND_MEMORY, opt)
    g, h, mem = 7, 0, {}
    for i in range(10):  # the same loop in Python, memory as a dict of 32-bit words
        g += i
        mem[4 * i] = g
        h += mem[4 * i]
        mem[0] = 0
    assert tier.run(inst.exports["mix"], [10]) == [g + mem[4]]
    assert tier.run(inst.exports["h"], []) == [h]
    assert tier.run(inst.exports["swap_v"], [99]) == [1]
    assert tier.run(inst.exports["v1"], []) == [99]
    # two accesses at one base, the later one reaching further: the first is in bounds, the second traps
    assert tier.run(inst.exports["adjacent"], [0]) == [mem[8] | (mem[12] << 32)]
    with pytest.raises(Exception) as e:
        tier.run(inst.exports["adjacent"], [3])
    assert getattr(e.value, "kind", None) == "out of bounds memory access"


# Signatures no other test uses, so their thunks are compiled here, in one batch.
_T1 = syntax.FuncType(("f32", "i64", "f64", "i32", "i32", "f32"), ("f64", "i32"))
_T2 = syntax.FuncType(("i64", "i64", "i64", "i32", "f64", "f64", "i64"), ("i64",))

HOSTS = """
(module
  (import "env" "a" (func $a (param f32 i64 f64 i32 i32 f32) (result f64 i32)))
  (import "env" "b" (func $b (param i64 i64 i64 i32 f64 f64 i64) (result i64)))
  (func (export "run") (param i32) (result i64)
    (call $a (f32.const 1.5) (i64.const 2) (f64.const 0.25) (local.get 0) (i32.const 4) (f32.const 0))
    (drop)
    (i64.trunc_f64_s)
    (call $b (i64.const 1) (i64.const 2) (i64.const 3) (local.get 0) (f64.const 0) (f64.const 0) (i64.const 5))
    (i64.add))
)"""


def test_host_thunks_are_batched_and_cached(tmp_path):
    if _T1 in compiler._thunks or _T2 in compiler._thunks:
        pytest.skip("these thunk types were already compiled in this process")

    def a(x, y, z, i, j, w):
        return f64(10.0 + i), j

    def b(p, q, r, i, x, y, s):
        return p + q + r + i + s

    imports = {"env": {"a": FuncInstance(_T1, host=a), "b": FuncInstance(_T2, host=b)}}
    tier = LLVMTier(opt_level=2, cache_dir=tmp_path)
    _, inst = load(HOSTS, tier=tier, imports=imports)
    assert tier.run(inst.exports["run"], [3]) == [13 + 1 + 2 + 3 + 3 + 5]
    # both thunks came from one compiled object, which went to the cache next to the module's
    assert compiler._thunks[_T1][0] is compiler._thunks[_T2][0]
    assert tier.cache.misses == 2
    assert len(list(tmp_path.rglob("*.o"))) == 2


def test_bench_baseline_copy_runs_side_by_side(tmp_path, monkeypatch):
    """``benchmarks/llvm_workloads.py --baseline DIR`` loads a copy of the tier under another name."""
    monkeypatch.syspath_prepend(str(Path(__file__).resolve().parents[2] / "benchmarks"))
    import llvm_workloads as bench

    src = Path(compiler.__file__).parent
    copy = tmp_path / "llvm_copy"
    shutil.copytree(src, copy, ignore=shutil.ignore_patterns("__pycache__"))
    name = bench.register_baseline(copy, tier="llvm_test_copy")
    try:
        w = next(w for w in bench.WORKLOADS if w.name == "fib")
        ours = bench.OursRunner(w, name, opt_level=0, cache_dir=False)
        assert type(ours.store.tier).__module__.startswith("harness.engine.tiers.llvm_test_copy")
        assert ours(20) == 6765
    finally:
        api.TIERS.pop(name, None)
        for mod in [m for m in sys.modules if m.startswith("harness.engine.tiers.llvm_test_copy")]:
            del sys.modules[mod]


STATIC = """
(module
  (import "env" "mem" (memory 1))
  (func (export "last") (result i32) (i32.load (i32.const 65532)))
  (func (export "past") (result i32) (i32.load (i32.const 65533)))
  (func (export "off") (result i32) (i32.load offset=65532 (i32.const 0)))
  (func (export "above_min") (result i32) (i32.load (i32.const 70000)))
  (func (export "wrap") (result i32) (i32.load offset=4 (i32.const -1)))
)"""


@pytest.mark.parametrize("opt", OPT_LEVELS)
def test_static_addresses_below_the_declared_minimum(opt):
    """Accesses at constant addresses below the import type's minimum skip the bounds check; the others
    keep it (the memory may be larger than declared, or not)."""
    from harness.engine.runtime import MemoryInstance

    def trap_kind(inst, tier, name):
        with pytest.raises(Exception) as e:
            tier.run(inst.exports[name], [])
        return getattr(e.value, "kind", None)

    for pages in (1, 2):
        mem = MemoryInstance(syntax.MemType(syntax.Limits(pages, None)))
        mem.write(65532, (0x12345678).to_bytes(4, "little"))
        if pages == 2:
            mem.write(70000, (7).to_bytes(4, "little"))
        tier, inst = load(STATIC, opt, {"env": {"mem": mem}})
        assert tier.run(inst.exports["last"], []) == [0x12345678]
        assert tier.run(inst.exports["off"], []) == [0x12345678]
        assert trap_kind(inst, tier, "wrap") == "out of bounds memory access"
        if pages == 1:
            assert trap_kind(inst, tier, "past") == "out of bounds memory access"
            assert trap_kind(inst, tier, "above_min") == "out of bounds memory access"
        else:  # the memory is larger than its import type says: the checked accesses see that
            assert tier.run(inst.exports["past"], []) == [0x123456]
            assert tier.run(inst.exports["above_min"], []) == [7]


FIB = """(module
  (func $fib (export "fib") (param $n i32) (result i32)
    (if (result i32) (i32.lt_u (local.get $n) (i32.const 2)) (then (local.get $n))
      (else (i32.add (call $fib (i32.sub (local.get $n) (i32.const 1)))
                     (call $fib (i32.sub (local.get $n) (i32.const 2))))))))"""


def optimised_ir(wat: str, opt_level: int) -> str:
    from harness.engine.binary import decode_module
    from harness.engine.text import parse_module
    from harness.engine.tiers.llvm import jit
    from harness.engine.tiers.llvm.translate import ModuleCompiler

    return str(jit.optimised(str(ModuleCompiler(decode_module(parse_module(wat))).compile()), opt_level))


def test_o2_turns_tail_recursion_into_a_loop():
    """The stack floor argument (not ``notail`` calls) is what keeps runaway recursion a trap, so LLVM's
    tail-recursion elimination may run: fib keeps one of its two calls."""
    ir_text = optimised_ir(FIB, 2)
    body = ir_text[ir_text.index("define internal tailcc i32 @wasm_f0"):]
    body = body[: body.index("\n}")]
    assert body.count("call tailcc i32 @wasm_f0(") == 1
    tier, inst = load(FIB, 2)
    assert tier.run(inst.exports["fib"], [20]) == [6765]


def test_o2_unrolls_fib_into_itself_and_keeps_one_call():
    """``recursion``: at O2 fib is translated with two ``alwaysinline`` copies whose first self-call goes
    round the ring; after the pipeline the copies are inlined and gone, one call is left (the ring closing
    on ``wasm_f0``), and the results are fib's."""
    from harness.engine.binary import decode_module
    from harness.engine.text import parse_module
    from harness.engine.tiers.llvm import jit, recursion
    from harness.engine.tiers.llvm.translate import ModuleCompiler

    module = decode_module(parse_module(FIB))
    assert recursion.candidates(module) == {0: 2}
    raw = str(ModuleCompiler(module, unroll_recursion=2).compile())
    assert raw.count('define internal tailcc i32 @"wasm_f0.rec') == 2
    assert raw.count("alwaysinline") == 2
    assert "wasm_f0.rec" not in str(ModuleCompiler(module, unroll_recursion=0).compile())
    opt = str(jit.optimised(raw, 2))
    assert "@wasm_f0.rec" not in opt  # inlined and deleted (block labels keep the name)
    body = opt[opt.index("define internal tailcc i32 @wasm_f0"):]
    body = body[: body.index("\n}")]
    assert body.count("call tailcc i32 @wasm_f0(") == 1
    tier, inst = load(FIB, 2)
    fib = [0, 1]
    while len(fib) < 26:
        fib.append(fib[-1] + fib[-2])
    assert [tier.run(inst.exports["fib"], [n])[0] for n in range(26)] == fib


def test_recursion_candidates_need_two_direct_self_calls_and_a_small_body():
    from harness.engine.binary import decode_module
    from harness.engine.text import parse_module
    from harness.engine.tiers.llvm import recursion

    big = " ".join(["(drop (i32.const 0))"] * recursion.MAX_INSTRUCTIONS)
    wat = f"""(module (import "env" "h" (func $h (param i32) (result i32)))
      (func $one (param i32) (result i32) (call $one (local.get 0)))
      (func $two_nested (param i32) (result i32)
        (block (result i32) (loop (result i32)
          (if (result i32) (local.get 0) (then (call $two_nested (i32.const 0)))
            (else (call $two_nested (i32.const 1)))))))
      (func $other (param i32) (result i32) (i32.add (call $one (local.get 0)) (call $h (local.get 0))))
      (func $big (param i32) (result i32) {big}
        (i32.add (call $big (local.get 0)) (call $big (local.get 0)))))"""
    module = decode_module(parse_module(wat))
    assert recursion.candidates(module) == {1: 2}
    assert recursion.candidates(module, range(0, 1)) == {}
    assert recursion.depth_for(0) == recursion.depth_for(1) == 0 < recursion.depth_for(2)


BULK_AND_ROUNDING = """(module (memory 1)
  (func (export "copy") (param i32 i32 i32)
    (memory.copy (local.get 0) (local.get 1) (local.get 2))
    (memory.fill (local.get 0) (i32.const 7) (local.get 2)))
  (func (export "round") (param f32 f64) (result f64)
    (f64.add (f64.promote_f32 (f32.nearest (local.get 0))) (f64.min (f64.floor (local.get 1)) (f64.trunc (local.get 1)))))
  (func (export "sw") (param i32) (result i32)
    (block (block (block (br_table 0 1 2 (local.get 0))) (return (i32.const 10))) (return (i32.const 11)))
    (i32.const 12)))"""


@pytest.mark.parametrize("opt", [1, 2, 3])
def test_optimised_objects_reach_external_functions_through_the_got(opt):
    """O1-O3 objects use the small code model, loaded as one block: a PC-relative call to an external
    symbol (memcpy, setjmp, ...) would need a PLT stub the loader does not reserve room for."""
    from harness.engine.binary import decode_module
    from harness.engine.text import parse_module
    from harness.engine.tiers.llvm import jit
    from harness.engine.tiers.llvm.translate import ModuleCompiler, build_host_thunks

    module = decode_module(parse_module(BULK_AND_ROUNDING))
    for text in (str(ModuleCompiler(module).compile()), str(build_host_thunks([syntax.FuncType(("i32",), ())]))):
        obj = jit._compile(text, opt, True)
        assert jit.external_pc_relative(obj) == []
    tier, inst = load(BULK_AND_ROUNDING, opt)
    tier.run(inst.exports["copy"], [0, 8, 4])
    assert tier.run(inst.exports["round"], [0x3FC00000, f64(2.5)]) == [f64(4.0)]
    assert [tier.run(inst.exports["sw"], [i])[0] for i in range(4)] == [10, 11, 12, 12]


@pytest.mark.skipif(platform.machine() not in ("x86_64", "AMD64"), reason="reads x86-64 ELF relocations")
def test_external_pc_relative_relocations_are_found():
    """The check behind the fallback to the large code model: a plain external call in a small-model
    object is reported (and an object loaded anyway would have aborted the process)."""
    from harness.engine.tiers.llvm import jit

    text = """declare void @some_external(i32)
define void @f(i32 %x) {
  call void @some_external(i32 %x)
  ret void
}"""
    assert jit.external_pc_relative(jit._compile(text, 2, True)) == ["some_external"]
    assert jit.external_pc_relative(jit._compile(text, 2, False)) == []
    assert jit.external_pc_relative(b"not an object") == []


@pytest.mark.skipif(platform.machine() not in ("aarch64", "arm64"), reason="aarch64 loading (scripts/aarch64 test)")
def test_aarch64_small_model_external_calls_load_and_run():
    """aarch64 has no fallback check: a plain external call (R_AARCH64_CALL26) in a small-model object is
    routed through a stub the loader makes inside the object's own block, so it must load and run as it
    is.  Pins that, with a libc function called both plainly and through the GOT."""
    import ctypes

    from harness.engine.tiers.llvm import jit

    text = """declare i64 @labs(i64)
declare i64 @llabs(i64) nonlazybind
define i64 @f(i64 %x) {
  %a = call i64 @labs(i64 %x)
  %b = call i64 @llabs(i64 %x)
  %s = add i64 %a, %b
  ret i64 %s
}
!llvm.module.flags = !{!0}
!0 = !{i32 7, !"RtLibUseGOT", i32 1}"""
    obj = jit._compile(text, 2, True)
    assert jit.external_pc_relative(obj) == []
    loaded = jit.LoadedObject(obj, 2)
    f = ctypes.CFUNCTYPE(ctypes.c_int64, ctypes.c_int64)(loaded.symbol("f"))
    assert f(-21) == 42


def test_unsafe_omit_leaves_out_exactly_the_named_checks(tmp_path):
    """The measuring aid behind ``benchmarks/llvm_workloads.py --gap``: "bounds" drops the load/store checks,
    "stack" the stack-floor compare, each variant has its own cache entry, and nothing else is accepted."""
    from harness.engine.binary import decode_module
    from harness.engine.text import parse_module
    from harness.engine.tiers.llvm import jit
    from harness.engine.tiers.llvm.translate import ModuleCompiler

    wat = """(module (memory 1)
      (func $f (export "f") (param i32) (result i32) (i32.add (i32.load (local.get 0)) (call $g)))
      (func $g (result i32) (i32.const 1)))"""
    module = decode_module(parse_module(wat))

    def trap_calls(omit):
        text = str(jit.optimised(str(ModuleCompiler(module, omit=frozenset(omit)).compile()), 0))
        return text.count("call void @wasm_trap(")

    assert trap_calls(()) == 2  # the bounds check of the load and the stack check of the call
    assert trap_calls(("bounds",)) == 1
    assert trap_calls(("stack",)) == 1
    assert trap_calls(("bounds", "stack")) == 0
    with pytest.raises(ValueError, match="unsafe_omit"):
        LLVMTier(unsafe_omit=("alignment",))
    # objects made once per process (the guard-mode signal handler, host thunks) go into the first cache a
    # tier uses: let a throwaway cache take them, so the count below does not depend on the tests before
    load(wat, tier=LLVMTier(opt_level=2, cache_dir=tmp_path / "process-wide", unsafe_omit=("stack",)))
    for omit in ((), ("bounds",)):
        tier, inst = load(wat, tier=LLVMTier(opt_level=2, cache_dir=tmp_path / "modules", unsafe_omit=omit))
        assert tier.run(inst.exports["f"], [0]) == [1]
    assert len(list((tmp_path / "modules").rglob("*.o"))) == 2
