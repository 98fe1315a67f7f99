"""Which 3.0 proposal a check needs: by the testsuite file, the module's binary, the engine's words; and which
suites are 3.0."""

from __future__ import annotations

import pytest

from harness.spec.proposals import CORE, file_features, module_features, named_in, proposal, suite_is_3_0
from harness.suites.catalog import wasm_version

# Modules as ``wasm-tools parse`` writes them.
MODULES = {
    "(module (memory i64 1))": ("0061736d010000000503010401", {"memory64"}),
    "(module (memory 1) (memory 1))": ("0061736d0100000005050200010001", {"multi-memory"}),
    "(module (tag))": ("0061736d010000000104016000000d03010000", {"exceptions"}),
    "(module (type (struct (field i32))))": ("0061736d010000000105015f017f00", {"gc"}),
    "(module (type $t (func)) (func (param (ref $t))))": (
        "0061736d010000000109026000006001640000030201010a040102000b000b046e616d65040401000174",
        {"function-references"}),
    "(module (func (result exnref) (ref.null exn)))": (
        "0061736d0100000001050160000169030201000a06010400d0690b", {"exceptions"}),
    "(module (global i32 (i32.add (i32.const 1) (i32.const 2))))": (
        "0061736d010000000609017f00410141026a0b", {"extended-const"}),
    "(module (global $a i32 (i32.const 1)) (global i32 (global.get $a)))": (
        "0061736d01000000060b027f0041010b7f0023000b000b046e616d65070401000161", {"gc"}),
    '(module (global $a (import "m" "g") i32) (global i32 (global.get $a)))': (
        "0061736d01000000020801016d0167037f000606017f0023000b000b046e616d65070401000161", set()),
    "(module (type $t (func)) (table 1 funcref) (func $f) (elem (i32.const 0) (ref $t) (ref.func $f)))": (
        "0061736d0100000001040160000003020100040401700001090c01060041000b640001d2000b0a040102000b0011046e616d6501"
        "0401000166040401000174", {"function-references"}),
    "(module (memory 1) (func (result i32) (i32.const 1)) (global i32 (i32.const 1)))": (
        "0061736d010000000105016000017f0302010005030100010606017f0041010b0a0601040041010b", set()),
}


@pytest.mark.parametrize(("name", "want"), [
    ("struct.wast", ("gc",)), ("br_on_cast_fail.wast", ("gc",)), ("type-rec.wast", ("gc",)),
    ("call_ref.wast", ("function-references",)), ("try_table.wast", ("exceptions",)),
    ("return_call.wast", ("tail-call",)), ("return_call_ref.wast", ("tail-call", "function-references")),
    ("load64.wast", ("memory64",)), ("binary_leb128_64.wast", ("memory64",)), ("table_copy_mixed.wast", ("memory64",)),
    ("load1.wast", ("multi-memory",)), ("memory_size3.wast", ("multi-memory",)), ("memory-multi.wast", ("multi-memory",)),
    ("relaxed_min_max.wast", ("relaxed-simd",)), ("i8x16_relaxed_swizzle.wast", ("relaxed-simd",)),
    # 2.0's names, some extended in place by 3.0: core
    ("i64.wast", ()), ("f32.wast", ()), ("i31.wast", ("gc",)), ("simd_load64_lane.wast", ()),
    ("simd_i16x8_arith2.wast", ()), ("global.wast", ()), ("utf8-import-field.wast", ()), ("binary-leb128.wast", ()),
])
def test_files_by_name(name, want):
    assert file_features(name) == want
    assert proposal(name) == (want[0] if want else CORE)


@pytest.mark.parametrize("wat", list(MODULES))
def test_features_of_a_module_binary(wat):
    hex_bytes, want = MODULES[wat]
    assert module_features(bytes.fromhex(hex_bytes)) == want


def test_a_binary_cut_short_or_not_wasm_gives_what_was_found():
    assert module_features(b"(module)") == set()
    assert module_features(bytes.fromhex("0061736d010000000d03010000") + b"\x05\x09") == {"exceptions"}


@pytest.mark.parametrize(("message", "want"), [
    ("function references support is not enabled (at offset 0x1f)", {"function-references"}),
    ("struct indexed types not supported without the gc feature", {"gc"}),
    ("function references required for non-nullable types (at offset 0x78)", {"function-references"}),
    ("CompileError: WebAssembly.Module(): invalid memory limits flags 0x4 (enable via --experimental-wasm-memory64)",
     {"memory64"}),
    ("memory count of 2 exceeds internal limit of 1", {"multi-memory"}),
    ("memory size must be at most 65536 pages", set()),  # not said to be a missing feature
    ("only one memory per module is supported", {"multi-memory"}),
    ("WebAssembly.Module(): At most one memory is supported @+8", {"multi-memory"}),
    ("type mismatch: expected i32, found i64", set()),
    ("", set()),
])
def test_engine_words(message, want):
    assert named_in(message) == want


def test_a_suite_is_3_0_when_a_file_belongs_to_a_proposal(tmp_path):
    assert not suite_is_3_0(["i32.wast", "memory.wast"])
    assert suite_is_3_0(["i32.wast", "try_table.wast"])
    two = tmp_path / "two"
    two.mkdir()
    (two / "i32.wast").write_text("(module)")
    three = tmp_path / "three"
    three.mkdir()
    (three / "struct.wast").write_text("(module)")
    assert wasm_version(two) == "2.0"
    assert wasm_version(three) == "3.0"



def test_imports_count_memories_and_globals():
    """Two imported memories are multi-memory; an imported global read in a constant expression is 2.0."""
    # (module (import "M" "a" (memory 1)) (import "M" "b" (memory 1)) (import "M" "g" (global i32))
    #         (global i32 (global.get 0)))
    binary = bytes.fromhex("0061736d01000000021603014d0161020001014d0162020001014d0167037f000606017f0023000b")
    assert module_features(binary) == {"multi-memory"}
