"""The example declared engine (``examples/declared-wasmtime/harness.toml``: wasmtime's CLI by its command
lines, no Python) through ``harness runtimes``, ``run``, ``wasi``, ``perf`` and, one process per action,
``spec``: each check of a script written for it ends as the format says (passed, skipped for a NaN printed
without its bits, ``unsupported`` where a fresh process cannot stand for the live instance)."""

from __future__ import annotations

import json
import os
import sqlite3
import sys
from pathlib import Path

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
  (func $r (export "rec") (call $r))
  (func (export "ext") (param externref) (result externref) (local.get 0)))
(assert_return (invoke "add" (i32.const -1) (i32.const 5)) (i32.const 4))
(assert_return (invoke "neg" (f32.const 1e-45)) (f32.const -1e-45))
(assert_return (invoke "pair" (i64.const -9) (f64.const 0x1.8p+1)) (f64.const 3) (i64.const -9))
(assert_return (invoke "ext" (ref.extern 3)) (ref.extern 3))
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
    '(assert_return (invoke "ext"': "pass",  # ref.extern 3 made as an i31 (extern_refs = "i31")
    '(assert_trap (invoke "div"': "pass",
    '(assert_exhaustion': "pass",
    '(assert_return (invoke "neg" (f32.const nan': "pass",  # its bits come back through the wrapper
    '(assert_return (invoke "get") (i32.const 0': "pass",
    '(invoke "inc")': "pass",
    '(assert_return (invoke "get") (i32.const 1': "pass",  # "inc" is replayed first
    '(assert_invalid': "pass",
    '(assert_malformed': "pass",
    '(module $M': "pass",
    '(module (func (import "M"': "pass",  # $M preloaded as "M"
    '(assert_return (invoke "seven")': "pass",
    '(assert_unlinkable': "pass",
    '(assert_trap (module': "pass",
}
# the same script with wrap = false: one --invoke of the module itself per action
DIRECT = {**OUTCOMES,
          '(assert_return (invoke "neg" (f32.const nan': "skip",  # wasmtime prints NaN without its bits
          '(assert_return (invoke "ext"': "skip",  # no host reference on a command line
          '(assert_return (invoke "get") (i32.const 1': "unsupported",  # after "inc" changed the instance
          '(module (func (import "M"': "unsupported",  # links to a registered instance
          '(assert_return (invoke "seven")': "unsupported"}  # an action on that module


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


def _spec_outcomes(env, tmp_path, script: str, tier: str = "") -> tuple[dict[str, str], dict[str, str]]:
    """(outcome, message) by item of every check of ``script`` on the engine ``env`` declares."""
    suite = tmp_path / "suite"
    suite.mkdir(exist_ok=True)
    (suite / "declared.wast").write_text(script)
    db = tmp_path / "r.db"
    harness(env, "spec", "--engines", f"{ENGINE}:{tier}" if tier else ENGINE, "--suite-dir", str(suite),
            "--db", str(db))
    with sqlite3.connect(db) as con:
        rows = con.execute("SELECT item, outcome, message FROM results WHERE engine = ?", (ENGINE,)).fetchall()
    return {item: outcome for item, outcome, _ in rows}, {item: message for item, _, message in rows}


def test_harness_spec_judges_each_check_through_wrappers_with_state_replayed(env, tmp_path):
    got, _ = _spec_outcomes(env, tmp_path, SCRIPT)
    assert got == {f"line {_line(start)}": outcome for start, outcome in OUTCOMES.items()}


# winch has no externref (wasmtime 49: "Unsupported Wasm type"), so its script leaves out "ext"
WINCH_SCRIPT = "".join(")\n" if '(func (export "ext")' in ln else ln for ln in SCRIPT.splitlines(keepends=True)
                       if '(invoke "ext"' not in ln)


@pytest.mark.parametrize("own_commands", [True, False])
def test_winch_runs_with_its_own_spec_commands(env, tmp_path, own_commands):
    """``[engine.wasmtime-cli.spec.tiers.winch]``: the engine's commands turn GC on (for ``extern_refs``),
    which winch refuses before compiling anything, so without its own commands every check of winch
    fails; the same table is the container image's (``containers/spec/wasmtime.toml``)."""
    if not own_commands:
        text = EXAMPLE.read_text()
        plain = tmp_path / "plain.toml"
        plain.write_text(text[:text.index("[engine.wasmtime-cli.spec.tiers.winch]")])
        env = {**os.environ, ENV: str(plain)}
    got, messages = _spec_outcomes(env, tmp_path, WINCH_SCRIPT, tier="winch")
    lines = {f"line {n}" for n, text in enumerate(WINCH_SCRIPT.splitlines(keepends=True), 1)
             for start in OUTCOMES if text.startswith(start)}
    assert set(got) == lines
    if own_commands:
        assert set(got.values()) == {"pass"}, messages
    else:
        failed = {item for item, outcome in got.items() if outcome == "fail"}
        assert len(failed) > len(lines) // 2, got
        assert any("not supported on this compiler configuration" in messages[item] for item in failed), messages


def test_without_wrap_each_action_is_one_invoke_of_the_module(tmp_path):
    direct = tmp_path / "direct.toml"
    text = EXAMPLE.read_text().replace("\nwrap = true", "\nwrap = false")
    direct.write_text("\n".join(ln for ln in text.splitlines() if not ln.startswith("extern_refs")))
    got, _ = _spec_outcomes({**os.environ, ENV: str(direct)}, tmp_path, SCRIPT)
    assert got == {f"line {_line(start)}": outcome for start, outcome in DIRECT.items()}


# -- planted faults: a CLI that lies must fail the checks it lies on --------------------------------------

LIAR = Path(__file__).with_name("declared_liar.py")
FAULTS = """\
(module
  (global $g (export "g") (mut f32) (f32.const 0))
  (func (export "half") (param f32) (result f32) (f32.mul (local.get 0) (f32.const 0.5)))
  (func (export "set") (param f32) (global.set $g (local.get 0)))
  (func (export "read") (result f32) (global.get $g)))
(assert_return (invoke "half" (f32.const 3)) (f32.const 1.5))
(invoke "set" (f32.const nan:0x200000))
(assert_return (invoke "read") (f32.const nan:0x200000))
(assert_return (get "g") (f32.const nan:0x200000))
"""
FAULT_LINES = {"line 1": "module", "line 6": "half", "line 7": "set", "line 8": "read", "line 9": "get"}


def _liar(tmp_path, mode: str) -> dict[str, str]:
    real = WasmtimeAdapter().binary()
    text = EXAMPLE.read_text().replace('binary = "wasmtime"', f'binary = "{sys.executable}"')
    text = text.replace('binary_package = "wasmtime_cli"', "").replace(
        '"{binary}", ', f'"{{binary}}", "{LIAR}", "{mode}", "{real}", ')
    declared = tmp_path / f"{mode}.toml"
    declared.write_text(text)
    return {**os.environ, ENV: str(declared)}


@pytest.mark.parametrize("mode, failing, words", [
    ("honest", set(), ""),
    ("off-by-one", {"half", "read", "get"}, ""),  # a float's bits off by one are another float
    ("garbage", {"half", "set", "read", "get"}, "unreadable results"),  # text where no result is due too
    ("no-replay", {"read", "get"}, ""),  # the state "set" left is lost
])
def test_a_cli_that_lies_fails_the_checks_it_lies_on(tmp_path, mode, failing, words):
    got, messages = _spec_outcomes(_liar(tmp_path, mode), tmp_path, FAULTS)
    by_name = {FAULT_LINES[item]: outcome for item, outcome in got.items()}
    assert by_name == {name: "fail" if name in failing else "pass" for name in FAULT_LINES.values()}, messages
    assert all(words in messages[item] for item, name in FAULT_LINES.items() if name in failing)


PARTIAL = """\
(module $Mt (table (export "tab") 10 funcref) (type $t (func (result i32)))
  (func (export "call") (param i32) (result i32) (call_indirect (type $t) (local.get 0))))
(register "Mt" $Mt)
(assert_trap (module (table (import "Mt" "tab") 10 funcref) (func $f (result i32) (i32.const 5))
  (elem (i32.const 7) $f) (elem (i32.const 8) $f $f $f $f $f)) "out of bounds table access")
(assert_return (invoke $Mt "call" (i32.const 7)) (i32.const 5))
(assert_trap (invoke $Mt "call" (i32.const 8)) "uninitialized element")
(assert_trap (module (table (import "Mt" "tab") 10 funcref) (func $f (result i32) (i32.const 6))
  (elem (i32.const 2) $f) (func $s (table.set (i32.const 3) (ref.func $f)) (unreachable)) (start $s)) "unreachable")
(assert_return (invoke $Mt "call" (i32.const 2)) (i32.const 6))
"""


def test_a_module_that_traps_while_instantiating_leaves_its_earlier_segments_and_no_more(env, tmp_path):
    """The first element segment was written before the second trapped, and its function stays callable;
    a start function that may have written before trapping leaves the table dirty: unsupported."""
    got, messages = _spec_outcomes(env, tmp_path, PARTIAL)
    assert [got[f"line {n}"] for n in (4, 6, 7, 8, 10)] == ["pass", "pass", "pass", "pass", "unsupported"], messages
    assert "start function that trapped" in messages["line 10"]
