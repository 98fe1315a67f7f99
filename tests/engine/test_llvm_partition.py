"""A module compiled in several processes (``harness.engine.tiers.llvm.partition``) must behave exactly as
the same module compiled in one: calls, tables, traps and stack exhaustion across parts, the cache."""

from __future__ import annotations

import sys
import warnings

import pytest

pytest.importorskip("llvmlite")

from harness.engine import api, errors  # noqa: E402
from harness.engine.binary import decode_module  # noqa: E402
from harness.engine.text import parse_module  # noqa: E402
from harness.engine.tiers.llvm import jit, partition  # noqa: E402
from harness.engine.tiers.llvm.translate import COPY_MAX_BYTES, ModuleCompiler  # noqa: E402

# Functions 0-3 are one part, 4-9 the other: calls go both ways (a small callee, a large one, mutual
# recursion, a runaway pair of calls that LLVM may turn into jumps), the table holds functions of both.
BIG_BODY = " ".join(["(global.set $g (i32.add (global.get $g) (local.get 0)))"] * 40)
WAT = f"""(module
  (type $ii (func (param i32) (result i32)))
  (memory 1)
  (global $g (mut i32) (i32.const 0))
  (table funcref (elem $sq $big1 $sq2 $big2))
  (func $sq (param i32) (result i32) (i32.mul (local.get 0) (local.get 0)))
  (func $big1 (export "big1") (param i32) (result i32)
    {BIG_BODY}
    (i32.add (call $sq2 (local.get 0)) (call $big2 (local.get 0))))
  (func $ping (export "ping") (param i32) (result i32)
    (if (result i32) (i32.eqz (local.get 0)) (then (i32.const 0))
      (else (i32.add (call $pong (i32.sub (local.get 0) (i32.const 1))) (i32.const 1)))))
  (func $runaway0 (export "runaway") (call $runaway1))
  (func $sq2 (param i32) (result i32) (i32.add (call $sq (local.get 0)) (i32.const 1)))
  (func $big2 (param i32) (result i32)
    {BIG_BODY}
    (i32.store (i32.const 16) (global.get $g))
    (i32.load (i32.const 16)))
  (func $pong (param i32) (result i32) (call $ping (local.get 0)))
  (func $runaway1 (call $runaway0))
  (func $oob (export "oob") (param i32) (result i32) (i32.load (local.get 0)))
  (func $dispatch (export "dispatch") (param i32 i32) (result i32)
    (call_indirect (type $ii) (local.get 0) (local.get 1)))
  (func (export "g") (result i32) (global.get $g)))"""
PARTS = [range(0, 4), range(4, 11)]


def _run_all(store: api.Store, inst: api.Instance) -> list:
    out = []
    for name, args in (("big1", [3]), ("ping", [1000]), ("dispatch", [7, 0]), ("dispatch", [7, 2]),
                       ("dispatch", [7, 3]), ("g", [])):
        out.append((name, store.invoke(inst.exports[name], args)))
    for name, args, exc in (("oob", [65535], errors.Trap), ("runaway", [], errors.Exhaustion),
                            ("dispatch", [1, 9], errors.Trap)):  # index 9: beyond the table
        with pytest.raises(exc) as info:
            store.invoke(inst.exports[name], args)
        out.append((name, str(info.value)))
    return out


@pytest.mark.parametrize("opt", [0, 2])
def test_module_compiled_in_parts_behaves_as_one(opt, monkeypatch, tmp_path):
    data = parse_module(WAT)
    whole = api.Store(tier="llvm", opt_level=opt, cache_dir=False, compile_jobs=1)
    expected = _run_all(whole, whole.instantiate(api.Module.from_bytes(data)))

    monkeypatch.setattr(partition, "plan", lambda module, n, jobs: PARTS)
    parted = api.Store(tier="llvm", opt_level=opt, cache_dir=tmp_path, compile_jobs=2)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a worker that fails falls back with a warning: not here
        inst = parted.instantiate(api.Module.from_bytes(data))
    code = next(iter(parted.tier._compiled.values()))[1]
    assert code.code.stats.extra["partitions"] == 2
    assert len(jit.unpack_objects(parted.tier.cache.load(next(iter(_keys(tmp_path)))))) == 2
    assert _run_all(parted, inst) == expected

    # warm: the cached pair of objects, decoded declarations only
    warm = api.Store(tier="llvm", opt_level=opt, cache_dir=tmp_path, compile_jobs=2)
    module = warm.load(data)
    assert module.ast.bodies_skipped
    assert _run_all(warm, warm.instantiate(module)) == expected


def _keys(directory):
    return [p.stem for p in directory.rglob("*.o")]


def test_small_functions_of_other_parts_are_copied_in():
    """Only small callees get a local (inlinable) copy; large ones are called in their own part."""
    module = decode_module(parse_module(WAT))
    sizes = [module.funcs[i + 1].offset - module.funcs[i].offset for i in range(len(module.funcs) - 1)]
    assert sizes[4] <= COPY_MAX_BYTES < sizes[5]  # $sq2 small, $big2 large
    text = str(ModuleCompiler(module, part=PARTS[0]).compile())
    assert '@"wasm_f4.copy"' in text and '@"wasm_f5.copy"' not in text
    assert 'declare tailcc i32 @"wasm_f5.x"' in text  # called where it is defined, through the GOT
    assert 'define internal tailcc i32 @"wasm_f1"' in text and '@"wasm_f1.x" = hidden alias' in text
    assert "@wasm_funcs" in text.replace('"', "")
    other = str(ModuleCompiler(module, part=PARTS[1]).compile())
    assert '@"wasm_f0.copy"' in other  # $sq, called by $sq2's part
    assert "wasm_funcs" not in other  # entries and tables live in the part that starts at function 0


def test_plan_splits_by_code_size_and_only_when_worth_it():
    module = decode_module(data := parse_module(WAT))
    assert partition.plan(module, len(data), jobs=1, min_part_bytes=1) == [range(0, 11)]
    assert partition.plan(module, len(data), jobs=2) == [range(0, 11)]  # far below MIN_PART_BYTES
    two = partition.plan(module, len(data), jobs=2, min_part_bytes=1)
    assert len(two) == 2 and two[0].start == 0 and two[0].stop == two[1].start and two[1].stop == 11
    assert 1 in two[0] and 5 in two[1]  # the two large functions end up in different parts
    many = partition.plan(module, len(data), jobs=64, min_part_bytes=1)
    assert [i for r in many for i in r] == list(range(11)) and all(len(r) for r in many)


def test_packed_objects_round_trip_and_reject_damage():
    assert jit.unpack_objects(b"\x7fELF-one") == [b"\x7fELF-one"]
    packed = jit.pack_objects([b"first", b"second object"])
    assert jit.unpack_objects(packed) == [b"first", b"second object"]
    with pytest.raises(ValueError, match="malformed multi-object payload"):
        jit.unpack_objects(packed[:-1])


def test_workers_that_cannot_start_fall_back_to_one_process(monkeypatch):
    monkeypatch.setattr(partition, "plan", lambda module, n, jobs: PARTS)
    monkeypatch.setattr(sys, "executable", "/nonexistent/python")
    store = api.Store(tier="llvm", opt_level=0, cache_dir=False, compile_jobs=2)
    with pytest.warns(UserWarning, match="cannot start compile worker processes"):
        inst = store.instantiate(api.Module.from_bytes(parse_module(WAT)))
    assert store.invoke(inst.exports["ping"], [10]) == [10]


def test_compile_jobs_must_be_positive():
    from harness.engine.tiers.llvm.tier import LLVMTier

    assert LLVMTier(cache_dir=False).compile_jobs >= 1  # default: the CPUs this process may use
    for bad in (0, -2, 1.5, "2"):
        with pytest.raises(ValueError, match="compile_jobs must be a positive integer"):
            LLVMTier(cache_dir=False, compile_jobs=bad)
