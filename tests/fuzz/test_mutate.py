"""The mutators of validation fuzzing: reproducible per seed, and each one breaks (or keeps) the rule it aims
at, as wasm-tools validate judges it."""

from __future__ import annotations

import random
import subprocess

import pytest

from harness.errors import HarnessError
from harness.fuzz import mutate
from harness.spec.convert import wasm_tools

try:
    WASM_TOOLS = str(wasm_tools())
except HarnessError as e:
    pytest.skip(str(e), allow_module_level=True)

WAT = """(module
  (type (func (param i32 i32) (result i32)))
  (type (func))
  (memory 1)
  (global $g (mut i32) (i32.const 0))
  (func $add (type 0) local.get 0 local.get 1 i32.add)
  (func $f (type 1) i32.const 1 i32.const 2 call $add global.set $g)
  (func (export "run") (result i32) i32.const 7 i32.const 3 i32.sub i32.const 2 i32.mul)
  (data (i32.const 0) "hello"))"""


@pytest.fixture(scope="module")
def module() -> bytes:
    """The module without its name section: a damaged custom section leaves a module valid, which the
    mutators may well do (an engine rejecting that is a finding) but would blur these tests."""
    data = subprocess.run([WASM_TOOLS, "parse", "-"], input=WAT.encode(), capture_output=True, check=True).stdout
    return mutate.join_sections([s for s in mutate.split_sections(data) if s.id != 0])


def valid(data: bytes) -> bool:
    return subprocess.run([WASM_TOOLS, "validate", "-f", "wasm2", "-"], input=data, capture_output=True).returncode == 0


def test_leb128_encodings():
    for value in (0, 1, 127, 128, 300, 2**32 - 1):
        assert mutate.read_uleb(mutate.uleb(value), 0) == (value, len(mutate.uleb(value)))
        overlong = mutate.uleb(value, 5)
        assert len(overlong) == 5 and mutate.read_uleb(overlong, 0) == (value, 5)
    assert mutate.uleb(3, 3) == b"\x83\x80\x00"
    assert mutate.read_uleb(b"\x80\x80", 0) is None  # runs off the end


def test_sections_split_and_join_round_trip(module):
    sections = mutate.split_sections(module)
    assert [s.name for s in sections] == ["type", "function", "memory", "global", "export", "code", "data"]
    assert mutate.join_sections(sections) == module
    assert mutate.split_sections(module[:-2]) is None  # the last section runs past the end
    assert mutate.split_sections(b"not wasm") is None


def test_same_seed_and_index_give_the_same_mutant(module):
    bases = [("a", module), ("b", module + b"\x00\x03abc")]
    first = [mutate.make_mutant(bases, 7, i) for i in range(60)]
    again = [mutate.make_mutant(bases, 7, i) for i in reversed(range(60))][::-1]
    assert first == again
    other_seed = [mutate.make_mutant(bases, 8, i) for i in range(60)]
    assert [m.data for m in first] != [m.data for m in other_seed]
    assert all(m.data != bases[0][1] and m.data != bases[1][1] for m in first)  # every mutant differs
    assert {m.kind for x in first for m in x.mutations} >= {"bit_flip", "opcode_swap", "leb_overlong"}


@pytest.mark.parametrize("kind, stays_valid", [
    ("leb_overlong", True), ("leb_too_long", False), ("type_index", False), ("section_dup", False),
    ("truncate_section", False), ("truncate_file", False), ("section_swap", False),
])
def test_structural_mutators_do_what_they_say(module, kind, stays_valid):
    assert valid(module)
    for i in range(6):
        rng = random.Random(f"{kind}/{i}")
        out, (m,) = mutate.mutate(module, rng, [kind])
        assert m.kind == kind, m  # it found something to act on (no fallback to a bit flip)
        assert out != module
        assert valid(out) is stays_valid, f"{m}: {out.hex()}"


def test_section_size_and_opcode_swap_change_what_they_name(module):
    for i in range(6):
        out, (m,) = mutate.mutate(module, random.Random(f"size/{i}"), ["section_size"])
        assert m.kind == "section_size" and "size field" in m.detail and not valid(out)
        out, (m,) = mutate.mutate(module, random.Random(f"op/{i}"), ["opcode_swap"])
        assert m.kind == "opcode_swap" and len(out) == len(module)
        assert sum(a != b for a, b in zip(out, module, strict=True)) == 1


def test_mutators_fall_back_to_a_bit_flip_when_nothing_to_aim_at():
    header_only = mutate.HEADER + b"\x00\x01\x00"  # one empty custom section: no code, no function section
    out, (m,) = mutate.mutate(header_only, random.Random(1), ["type_index"])
    assert m.kind == "bit_flip" and out != header_only
    out, (m,) = mutate.mutate(mutate.HEADER, random.Random(1), ["opcode_swap"])
    assert out == mutate.HEADER + b"\x00"
