"""Outcome classification of every command kind, with a scripted in-memory driver."""

from __future__ import annotations

import json
from typing import Any

import pytest

from harness.spec.drivers.base import (
    CompileFailure,
    Driver,
    ExhaustionFailure,
    LinkFailure,
    TrapFailure,
)
from harness.spec.executor import TEXT_ONLY, run_script
from harness.spec.script import load_script


class ScriptedDriver(Driver):
    """Modules are JSON in the .wasm files: {"compile": ..., "instantiate": ..., "exports": {...}}."""

    def __init__(self, reads_text: bool = False):
        super().__init__("t")
        self.reads_text = reads_text

    def compile(self, binary: bytes | None, text: str | None = None) -> Any:
        spec = json.loads(binary or text)
        if spec.get("compile"):
            raise CompileFailure(spec["compile"])
        return spec

    def instantiate(self, module: Any, registry: dict[str, Any]) -> Any:
        for name in module.get("imports", []):
            if name not in registry:
                raise LinkFailure("unknown import")
        if module.get("link"):
            raise LinkFailure(module["link"])
        if module.get("trap"):
            raise TrapFailure(module["trap"], module["trap"])
        return module

    def invoke(self, instance: Any, field: str, args: list[tuple[str, Any]]) -> list[tuple[str, Any]]:
        behaviour = instance["exports"][field]
        if behaviour == "crash":
            raise ZeroDivisionError("engine bug")
        if behaviour == "exhaust":
            raise ExhaustionFailure("stack overflow")
        if isinstance(behaviour, str):
            raise TrapFailure(f"wasm trap: {behaviour}", None)
        return [(t, r) for t, r in behaviour]

    def get(self, instance: Any, field: str) -> tuple[str, Any]:
        return tuple(instance["exports"][field][0])


def make_script(tmp_path, modules: dict[str, Any], commands: list[dict[str, Any]]):
    for name, spec in modules.items():
        (tmp_path / name).write_text(json.dumps(spec))
    for i, c in enumerate(commands):
        c.setdefault("line", i + 1)
    path = tmp_path / "s.json"
    path.write_text(json.dumps({"source_filename": "s.wast", "commands": commands}))
    return load_script(path)


def outcomes(tmp_path, modules, commands, driver=None):
    return [(o.outcome, o.strict) for o in run_script(driver or ScriptedDriver(), make_script(tmp_path, modules, commands))]


I32 = lambda n: {"type": "i32", "value": str(n)}  # noqa: E731
MOD = {"exports": {"one": [["i32", 1]], "div": "integer divide by zero", "oob": "out of bounds memory access",
                   "bug": "crash", "rec": "exhaust", "g": [["i32", 7]]}}


def mod(**extra):
    return {"type": "module", "filename": "m.wasm", "module_type": "binary", **extra}


def invoke(field, **extra):
    return {"action": {"type": "invoke", "field": field, "args": []}, **extra}


def test_assert_return_and_actions(tmp_path):
    got = outcomes(tmp_path, {"m.wasm": MOD}, [
        mod(),
        {"type": "assert_return", **invoke("one"), "expected": [I32(1)]},
        {"type": "assert_return", **invoke("one"), "expected": [I32(2)]},
        {"type": "assert_return", **invoke("one"), "expected": []},
        {"type": "assert_return", **invoke("div"), "expected": [I32(1)]},
        {"type": "action", **invoke("one")},
        {"type": "action", **invoke("div")},
        {"type": "assert_return", "action": {"type": "get", "field": "g"}, "expected": [I32(7)]},
    ])
    assert [o for o, _ in got] == ["pass", "pass", "fail", "fail", "fail", "pass", "fail", "pass"]


def test_traps_need_the_right_kind_and_report_wording(tmp_path):
    got = outcomes(tmp_path, {"m.wasm": MOD}, [
        mod(),
        {"type": "assert_trap", **invoke("div"), "text": "integer divide by zero"},
        {"type": "assert_trap", **invoke("oob"), "text": "integer divide by zero"},
        {"type": "assert_trap", **invoke("one"), "text": "unreachable"},
        {"type": "assert_exhaustion", **invoke("rec"), "text": "call stack exhausted"},
        {"type": "assert_exhaustion", **invoke("div"), "text": "call stack exhausted"},
        {"type": "assert_trap", **invoke("rec"), "text": "integer divide by zero"},
    ])
    assert got == [("pass", None), ("pass", True), ("fail", False), ("fail", False), ("pass", False),
                   ("fail", False), ("fail", False)]


def test_module_assertions(tmp_path):
    modules = {"m.wasm": MOD, "bad.wasm": {"compile": "type mismatch in block"},
               "link.wasm": {"link": "incompatible import type", "exports": {}},
               "trap.wasm": {"trap": "out of bounds memory access", "exports": {}}}
    got = outcomes(tmp_path, modules, [
        {"type": "assert_invalid", "filename": "bad.wasm", "module_type": "binary", "text": "type mismatch"},
        {"type": "assert_invalid", "filename": "bad.wasm", "module_type": "binary", "text": "unknown local"},
        {"type": "assert_malformed", "filename": "m.wasm", "module_type": "binary", "text": "unexpected end"},
        {"type": "assert_unlinkable", "filename": "link.wasm", "module_type": "binary", "text": "incompatible import type"},
        {"type": "assert_unlinkable", "filename": "trap.wasm", "module_type": "binary", "text": "unknown import"},
        {"type": "assert_uninstantiable", "filename": "trap.wasm", "module_type": "binary",
         "text": "out of bounds memory access"},
        {"type": "assert_uninstantiable", "filename": "link.wasm", "module_type": "binary", "text": "unreachable"},
        {"type": "assert_uninstantiable", "filename": "bad.wasm", "module_type": "binary", "text": "unreachable"},
    ])
    assert got == [("pass", True), ("pass", False), ("fail", False), ("pass", True), ("fail", False),
                   ("pass", True), ("fail", False), ("fail", False)]


def test_a_failed_module_fails_what_uses_it_and_a_crash_is_contained(tmp_path):
    modules = {"m.wasm": MOD, "trap.wasm": {"trap": "unreachable", "exports": {}}}
    script = make_script(tmp_path, modules, [
        mod(name="$A"),
        {"type": "module", "filename": "trap.wasm", "module_type": "binary"},
        {"type": "assert_return", **invoke("one"), "expected": [I32(1)]},
        {"type": "assert_return", "action": {"type": "invoke", "module": "$A", "field": "one", "args": []},
         "expected": [I32(1)]},
        {"type": "assert_return", **invoke("bug", action={"type": "invoke", "module": "$A", "field": "bug",
                                                         "args": []}), "expected": []},
        {"type": "assert_return", "action": {"type": "invoke", "module": "$A", "field": "one", "args": []},
         "expected": [I32(1)]},
    ])
    got = list(run_script(ScriptedDriver(), script))
    assert [o.outcome for o in got] == ["pass", "fail", "fail", "pass", "crash", "pass"]
    assert "line 2 did not instantiate" in got[2].actual
    assert "ZeroDivisionError" in got[4].message


def test_registered_modules_satisfy_imports(tmp_path):
    modules = {"m.wasm": MOD, "user.wasm": {"imports": ["lib"], "exports": {}}}
    got = outcomes(tmp_path, modules, [
        {"type": "module", "filename": "user.wasm", "module_type": "binary"},
        mod(name="$L"),
        {"type": "register", "name": "$L", "as": "lib"},
        {"type": "module", "filename": "user.wasm", "module_type": "binary"},
    ])
    assert [o for o, _ in got] == ["fail", "pass", "pass"]


@pytest.mark.parametrize("reads_text", [False, True])
def test_text_modules(tmp_path, reads_text):
    modules = {"m.wasm": MOD, "q.wat": {"compile": "unexpected token"}, "t.wat": MOD}
    got = outcomes(tmp_path, modules, [
        {"type": "assert_malformed", "filename": "q.wat", "module_type": "text", "text": "unexpected token"},
        {"type": "module", "filename": "t.wat", "module_type": "text", "binary_filename": "m.wasm"},
    ], driver=ScriptedDriver(reads_text=reads_text))
    if reads_text:
        assert got == [("pass", True), ("pass", None)]
    else:  # no text reader: the quote module is skipped, the text module falls back to its binary
        assert got == [("skip", None), ("pass", None)]


def test_skip_reason_is_given(tmp_path):
    script = make_script(tmp_path, {"q.wat": {"compile": "x"}},
                         [{"type": "assert_malformed", "filename": "q.wat", "module_type": "text", "text": "x"}])
    (o,) = run_script(ScriptedDriver(), script)
    assert o.outcome == "skip" and o.message == TEXT_ONLY


def test_only_line_runs_earlier_commands_but_reports_one(tmp_path):
    script = make_script(tmp_path, {"m.wasm": MOD}, [
        mod(), {"type": "assert_return", **invoke("one"), "expected": [I32(1)]},
        {"type": "assert_return", **invoke("one"), "expected": [I32(3)]},
        {"type": "assert_return", **invoke("one"), "expected": [I32(1)]},
    ])
    (o,) = run_script(ScriptedDriver(), script, only_line=3)
    assert (o.line, o.outcome) == (3, "fail")
