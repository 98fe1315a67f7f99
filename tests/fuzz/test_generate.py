"""Module generation: seeded, the feature set every engine shares, smith's command line, argument plans."""

from __future__ import annotations

import subprocess

import pytest

from harness.adapters.v8 import FEATURES as V8_FEATURES
from harness.engine.api import TIER_FEATURES
from harness.errors import HarnessError
from harness.fuzz.generate import GeneratorFailure, choose_features, generate, smith_flags, smith_tool
from harness.fuzz.plan import make_plan


def test_features_are_what_every_engine_shares():
    both = choose_features([("ours", "interp"), ("wasmtime", "cranelift")], None)
    assert "simd" in both.features and "relaxed-simd" not in both.features  # nondeterministic: never by default
    # our tiers' 3.0 proposals come from the engine's own list (api.TIER_FEATURES); all of 2.0 is theirs
    with_sp = choose_features([("ours", "interp"), ("ours", "singlepass")], None)
    assert with_sp.features == {"simd", "reference-types"} | (TIER_FEATURES["singlepass"] - {"relaxed-simd"})
    assert with_sp.dropped["gc"] == ["ours:singlepass"] and with_sp.wasm_version == "3.0"
    assert choose_features([("ours", "interp")], []).wasm_version == "2.0"
    with_wasm3 = choose_features([("ours", "interp"), ("wasm3", "")], None)
    assert with_wasm3.dropped["simd"] == with_wasm3.dropped["reference-types"] == ["wasm3:"]


def test_a_proposal_an_engine_has_in_part_is_not_generated():
    """V8 11.3's memory64 has 64-bit memories but not 64-bit tables, which smith makes with them: every such
    module was a false validation finding against v8 (docs/FUZZING.md)."""
    assert V8_FEATURES["memory64"].supported and V8_FEATURES["memory64"].partial
    choice = choose_features([("ours", "interp"), ("v8", "turbofan")], None)
    assert "memory64" not in choice.features and choice.dropped["memory64"] == ["v8:turbofan"]
    assert "tail-call" in choice.features


def test_asking_for_a_feature_some_engine_lacks_names_it():
    with pytest.raises(HarnessError, match="gc is not supported by ours:singlepass"):
        choose_features([("ours", "interp"), ("ours", "singlepass")], ["gc"])
    with pytest.raises(HarnessError, match="unknown feature"):
        choose_features([("ours", "interp")], ["threads-of-doom"])


def test_smith_gets_each_switch_once():
    flags = smith_flags(frozenset({"simd", "multi-memory", "gc"}))
    switches = [f for f in flags if f.startswith("--")]
    assert len(switches) == len(set(switches))
    assert flags[flags.index("--simd-enabled") + 1] == "true"
    assert flags[flags.index("--max-memories") + 1] == "2"


def test_a_module_is_named_by_seed_and_index():
    tool = smith_tool()
    a = generate(tool, 5, 3, frozenset({"simd"}))
    assert a == generate(tool, 5, 3, frozenset({"simd"}))
    assert a != generate(tool, 5, 4, frozenset({"simd"}))
    assert subprocess.run([str(tool), "validate", "-"], input=a, capture_output=True).returncode == 0


def test_a_failing_generator_is_an_outcome_with_its_words(tmp_path):
    broken = tmp_path / "wasm-tools"
    broken.write_text("#!/bin/sh\necho 'error: planted generator failure' >&2\nexit 3\n")
    broken.chmod(0o755)
    with pytest.raises(GeneratorFailure, match="exited 3: error: planted generator failure"):
        generate(broken, 1, 0, frozenset())
    with pytest.raises(GeneratorFailure, match="cannot run"):
        generate(tmp_path / "missing", 1, 0, frozenset())


def test_the_plan_calls_every_carried_export_with_arguments_seeded_by_its_name():
    tool = smith_tool()
    wasm = subprocess.run([str(tool), "parse", "-"], capture_output=True, check=True, input=b"""
        (module (memory (export "m") 1) (global (export "g") (mut i64) (i64.const 0))
          (func (export "f") (param i32 f64) (result i32) local.get 0)
          (func (export "h") (param i32)))""").stdout
    plan = make_plan(wasm, "1:2")
    assert [c.export for c in plan.calls] == ["f"] * 3 + ["h"] * 3
    assert plan.globals == ["g"] and plan.memories == ["m"]
    again = make_plan(wasm, "1:2")
    assert [c.args for c in plan.calls] == [c.args for c in again.calls]
    assert [c.args for c in make_plan(wasm, "1:3").calls] != [c.args for c in plan.calls]
    assert make_plan(b"\0asm\1\0\0\0\1\5", "x").calls == []  # cut short: nothing to call, no crash


def test_typed_references_in_the_type_section_do_not_derail_the_plan():
    """The small reader knows only 2.0 value types: a ``(ref func)`` parameter sends the module through our
    engine's decoder, so the other exports are still called with the right types (once it crashed the run)."""
    tool = smith_tool()
    wasm = subprocess.run([str(tool), "parse", "-"], capture_output=True, check=True, input=b"""
        (module (type $t (func)) (func $h (type $t))
          (func (export "f") (param (ref $t)) (result i32) i32.const 1)
          (func (export "g") (param i64) (result i32) i32.const 2))""").stdout
    plan = make_plan(wasm, "1:1")
    assert [c.export for c in plan.calls] == ["g"] * 3 and all(c.args[0][0] == "i64" for c in plan.calls)
