"""The example declared engine (``examples/declared-wasmtime/harness.toml``: wasmtime's CLI by its command
lines, no Python) through ``harness runtimes``, ``run``, ``wasi``, ``perf`` and, one process per action,
``spec``: each check of a script written for it ends as the format says (passed, skipped for a NaN printed
without its bits, ``unsupported`` where a fresh process cannot stand for the live instance)."""

from __future__ import annotations

import json
import os
import sqlite3

import pytest
from stage_runs import harness, hello, runs_a_program, runs_the_wasi_suite, times_a_workload

from harness.adapters.declared import ENV
from harness.adapters.wasmtime import WasmtimeAdapter
from harness.paths import REPO_ROOT

EXAMPLE = REPO_ROOT / "examples" / "declared-wasmtime" / "harness.toml"
ENGINE = "wasmtime-cli"

pytestmark = pytest.mark.skipif(WasmtimeAdapter().binary() is None, reason="the wasmtime CLI is not installed")

SCRIPT = """\
(module
  (import "spectest" "print_i32" (func (param i32)))
  (global $g (mut i32) (i32.const 0))
  (func (export "add") (param i32 i32) (result i32) (i32.add (local.get 0) (local.get 1)))
  (func (export "div") (param i32 i32) (result i32) (i32.div_s (local.get 0) (local.get 1)))
  (func (export "neg") (param f32) (result f32) (f32.neg (local.get 0)))
  (func (export "pair") (param i64 f64) (result f64 i64) (local.get 1) (local.get 0))
  (func (export "inc") (global.set $g (i32.add (global.get $g) (i32.const 1))))
  (func (export "get") (result i32) (global.get $g))
  (func $r (export "rec") (call $r)))
(assert_return (invoke "add" (i32.const -1) (i32.const 5)) (i32.const 4))
(assert_return (invoke "neg" (f32.const 1e-45)) (f32.const -1e-45))
(assert_return (invoke "pair" (i64.const -9) (f64.const 0x1.8p+1)) (f64.const 3) (i64.const -9))
(assert_trap (invoke "div" (i32.const 1) (i32.const 0)) "integer divide by zero")
(assert_exhaustion (invoke "rec") "call stack exhausted")
(assert_return (invoke "neg" (f32.const nan)) (f32.const nan:canonical))
(assert_return (invoke "get") (i32.const 0))
(invoke "inc")
(assert_return (invoke "get") (i32.const 1))
(assert_invalid (module (func (result i32))) "type mismatch")
(assert_malformed (module binary "\\00asm") "unexpected end")
(module $M (func (export "seven") (result i32) (i32.const 7)))
(register "M" $M)
(module (func (import "M" "seven") (result i32)) (export "seven" (func 0)))
(assert_return (invoke "seven") (i32.const 7))
(assert_unlinkable (module (import "spectest" "no-such-export" (func))) "unknown import")
(assert_trap (module (func $s unreachable) (start $s)) "unreachable")
"""
# the outcome of each check above, by a text that starts its line (the module of line 1 passes)
OUTCOMES = {
    '(module\n': "pass",
    '(assert_return (invoke "add"': "pass",
    '(assert_return (invoke "neg" (f32.const 1e-45': "pass",
    '(assert_return (invoke "pair"': "pass",
    '(assert_trap (invoke "div"': "pass",
    '(assert_exhaustion': "pass",
    '(assert_return (invoke "neg" (f32.const nan': "skip",  # wasmtime prints NaN without its bits
    '(assert_return (invoke "get") (i32.const 0': "pass",
    '(invoke "inc")': "pass",
    '(assert_return (invoke "get") (i32.const 1': "unsupported",  # after "inc" changed the instance
    '(assert_invalid': "pass",
    '(assert_malformed': "pass",
    '(module $M': "pass",
    '(module (func (import "M"': "unsupported",  # links to a registered instance
    '(assert_return (invoke "seven")': "unsupported",  # an action on that module
    '(assert_unlinkable': "pass",
    '(assert_trap (module': "pass",
}


def _line(start: str) -> int:
    (number,) = [n for n, text in enumerate(SCRIPT.splitlines(keepends=True), 1) if text.startswith(start)]
    return number


@pytest.fixture
def env():
    return {**os.environ, ENV: str(EXAMPLE)}


def test_harness_runtimes_lists_it_as_declared(tmp_path):
    """From the example's directory: ``harness.toml`` in the working directory is read."""
    clean = {k: v for k, v in os.environ.items() if k != ENV}
    r = harness(clean, "runtimes", "--json", cwd=EXAMPLE.parent)
    rows = {row["engine"]: row for row in json.loads(r.stdout)}
    row = rows[f"{ENGINE}:cranelift"]
    assert row["available"] and row["version"].startswith("wasmtime "), row
    assert row["source"] == f"declared in {EXAMPLE}" and rows["wasmtime:cranelift"]["source"] == "built-in"


def test_a_broken_declaration_is_one_line_and_the_others_run(tmp_path):
    broken = tmp_path / "engines.toml"
    broken.write_text(EXAMPLE.read_text().replace('"{program}", "{args}"]', '"{args}"]'))
    r = harness(dict(os.environ), "--engines-file", str(broken), "runtimes")
    assert r.returncode == 0, r.stderr
    errors = [ln for ln in r.stdout.splitlines() if ln.startswith("error: ")]
    assert len(errors) == 1 and f"{broken}:" in errors[0] and "lacks the placeholder {program}" in errors[0]
    assert any(ln.startswith("wasmtime:cranelift ") and " yes " in ln for ln in r.stdout.splitlines())
    r = harness(dict(os.environ), "--engines-file", str(broken), "run", "--engine", ENGINE, str(hello(tmp_path)))
    assert r.returncode != 0 and "lacks the placeholder {program}" in r.stderr, r.stderr


def test_harness_run_runs_it(env, tmp_path):
    runs_a_program(dict(os.environ), ENGINE, tmp_path, "--engines-file", str(EXAMPLE))


def test_harness_wasi_runs_it(env, tmp_path):
    runs_the_wasi_suite(env, ENGINE, tmp_path)


def test_harness_perf_times_it(env, tmp_path):
    times_a_workload(env, f"{ENGINE}:cranelift", tmp_path)


def test_harness_spec_judges_each_check_one_process_per_action(env, tmp_path):
    suite = tmp_path / "suite"
    suite.mkdir()
    (suite / "declared.wast").write_text(SCRIPT)
    db = tmp_path / "r.db"
    r = harness(env, "spec", "--engines", ENGINE, "--suite-dir", str(suite), "--db", str(db))
    assert r.returncode == 0, r.stdout + r.stderr
    with sqlite3.connect(db) as con:
        got = dict(con.execute("SELECT item, outcome FROM results WHERE engine = ?", (ENGINE,)))
    assert got == {f"line {_line(start)}": outcome for start, outcome in OUTCOMES.items()}
