"""Mapping spectest-interp's report onto per-check outcomes (no wabt needed)."""

from __future__ import annotations

from harness.spec.drivers.wabt import judge, parse_report, report_kind
from harness.spec.traps import kinds_conflict, trap_classes

REPORT = """w.wast:2: mismatch in result 0 of assert_return: expected i32:2, got i32:1
w.wast:4: assert_trap passed: unreachable executed
w.wast:5: assert_invalid passed:
  w.1.wasm:0000019: error: type mismatch in implicit return, expected [i32] but got []
  0000019: error: EndFunctionBody callback failed
w.wast:10: error instantiating module: "invalid import "M.nope""
12/16 tests passed.
"""


def test_parse_report_joins_continuation_lines():
    entries = parse_report(REPORT)
    assert [line for line, _ in entries] == [2, 4, 5, 10]
    assert "type mismatch in implicit return" in entries[2][1]


def test_report_kinds():
    entries = dict(parse_report(REPORT))
    assert report_kind(entries[2]) == "assert_return"
    assert report_kind(entries[4]) == "assert_trap"
    assert report_kind(entries[10]) == "module"


def test_judge_passes_failures_and_kinds():
    entries = dict(parse_report(REPORT))
    assert judge("assert_return", None, entries[2])[0] == "fail"
    assert judge("assert_trap", "unreachable", entries[4]) == ("pass", True, "")
    outcome, strict, _ = judge("assert_trap", "integer overflow", entries[4])
    assert (outcome, strict) == ("fail", False)  # trapped, but with another kind
    outcome, strict, detail = judge("assert_invalid", "type mismatch", entries[5])
    assert (outcome, strict) == ("pass", True)
    outcome, strict, detail = judge("assert_invalid", "unknown local", entries[5])
    assert (outcome, strict) == ("pass", False) and "type mismatch" in detail


def test_ambiguous_engine_messages_cover_several_kinds():
    v8 = "float unrepresentable in integer range"
    assert trap_classes(v8) == {"overflow", "conversion"}
    assert not kinds_conflict("integer overflow", None, v8)
    assert not kinds_conflict("invalid conversion to integer", v8)
    assert kinds_conflict("integer divide by zero", v8)
    assert not kinds_conflict("undefined element", "TABLE_OUT_OF_BOUNDS")
    assert kinds_conflict("uninitialized element", "TABLE_OUT_OF_BOUNDS")
    assert not kinds_conflict("unreachable", None, "some message nobody can classify")


def test_an_exception_that_was_thrown_passes():
    """spectest-interp reports a caught ``assert_exception`` with no message after ``passed``."""
    assert judge("assert_exception", None, "assert_exception passed")[0] == "pass"
