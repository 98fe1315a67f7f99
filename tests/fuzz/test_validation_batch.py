"""The reference judged in batches (one ``wasm-tools wast`` per batch) must say what ``wasm-tools validate``
says of each binary alone, and fall back to it whenever the batch run cannot be trusted."""

from __future__ import annotations

import random
import stat
import subprocess

import pytest

from harness.errors import HarnessError
from harness.fuzz import mutate
from harness.fuzz.validation_engines import ACCEPT, REJECT, BatchReference, reference_validator
from harness.spec.convert import wasm_tools

try:
    WASM_TOOLS = str(wasm_tools())
except HarnessError as e:
    pytest.skip(str(e), allow_module_level=True)

FEATURES = "wasm2,tail-call"
WAT = """(module (type (func (param i32) (result i32))) (memory 1) (table 2 funcref)
  (func $inc (type 0) local.get 0 i32.const 1 i32.add) (func $f (export "f") (result i32) i32.const 2 call 0)
  (elem (i32.const 0) func 0 1) (data (i32.const 8) "abc"))"""


@pytest.fixture(scope="module")
def mutants() -> list[bytes]:
    base = subprocess.run([WASM_TOOLS, "parse", "-"], input=WAT.encode(), capture_output=True, check=True).stdout
    sections = mutate.split_sections(base)
    assert sections[-1].name == "custom"  # the name section ($inc, $f)
    names = sections[-1].payload
    # a name section cut short inside a name: wasm-tools wast rejects it, validate (rightly) does not
    broken_names = mutate.join_sections([*sections[:-1], mutate.Section(0, 0, names[:-2])])
    out = [base, broken_names, mutate.HEADER, b"", b"garbage"]
    out += [mutate.mutate(base, random.Random(i))[0] for i in range(80)]
    return out


def test_batch_verdicts_are_those_of_validate_alone(mutants):
    batch, single = BatchReference(FEATURES, 30), reference_validator(FEATURES, 30)
    try:
        together = batch.check_many(mutants)
        alone = [single.check(m) for m in mutants]
    finally:
        batch.close()
        single.close()
    assert [v.kind for v in together] == [v.kind for v in alone]
    assert {v.kind for v in alone} == {ACCEPT, REJECT}
    assert alone[1].kind == ACCEPT
    # the same words, except where validate alone read a file without the binary magic as text
    binary = [i for i, m in enumerate(mutants) if m.startswith(b"\0asm")]
    assert len(binary) == len(mutants) - 2
    assert [together[i].message for i in binary] == [alone[i].message for i in binary]
    assert batch.fallbacks < len(mutants) // 4  # the batch answered most


def test_an_untrustworthy_batch_run_falls_back_to_one_process_each(mutants, tmp_path):
    broken = tmp_path / "wasm-tools"
    broken.write_text("#!/bin/sh\necho 'thread main panicked' >&2\nexit 101\n")
    broken.chmod(broken.stat().st_mode | stat.S_IEXEC)
    batch = BatchReference(FEATURES, 30)
    batch.tool = str(broken)
    single = reference_validator(FEATURES, 30)
    try:
        got = batch.check_many(mutants[:10])
        assert batch.fallbacks == 10
        assert [v.kind for v in got] == [single.check(m).kind for m in mutants[:10]]
    finally:
        batch.close()
        single.close()
