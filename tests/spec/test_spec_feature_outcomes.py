"""A check needing a feature the engine declares it lacks is ``unsupported``, named; any other failure stays
a failure."""

from __future__ import annotations

import json

from harness.spec.executor import run_script
from harness.spec.script import load_script
from tests.spec.test_spec_executor import MOD, ScriptedDriver, invoke, mod

I32 = {"type": "i32", "value": "1"}


def run(tmp_path, source, commands, off=frozenset(), modules=None):
    for name, spec in (modules or {"m.wasm": MOD}).items():
        (tmp_path / name).write_text(json.dumps(spec))
    for i, c in enumerate(commands):
        c.setdefault("line", i + 1)
    path = tmp_path / "s.json"
    path.write_text(json.dumps({"source_filename": source, "commands": commands}))
    driver = ScriptedDriver()
    driver.features_off = frozenset(off)
    return [(o.outcome, o.message) for o in run_script(driver, load_script(path))]


BAD = {"bad.wasm": {"compile": "struct indexed types not supported without the gc feature"}, "m.wasm": MOD}


def test_a_proposal_file_in_an_engine_lacking_it(tmp_path):
    got = run(tmp_path, "struct.wast", [
        {"type": "module", "filename": "bad.wasm", "module_type": "binary"},
        {"type": "assert_return", **invoke("one"), "expected": [I32]},
        mod(),
        {"type": "assert_return", **invoke("one"), "expected": [I32]},
    ], off={"gc"}, modules=BAD)
    assert [o for o, _ in got] == ["unsupported", "unsupported", "pass", "pass"]
    assert got[0][1] == "feature gc off in this engine"
    assert "feature gc off in this engine" in got[1][1]


def test_the_same_failures_in_an_engine_that_has_the_feature(tmp_path):
    got = run(tmp_path, "struct.wast", [
        {"type": "module", "filename": "bad.wasm", "module_type": "binary"},
        {"type": "assert_return", **invoke("one"), "expected": [I32]},
    ], off={"exceptions"}, modules=BAD)
    assert [o for o, _ in got] == ["fail", "fail"]


def test_a_core_file_blames_what_the_engine_says_is_off(tmp_path):
    got = run(tmp_path, "global.wast", [{"type": "module", "filename": "bad.wasm", "module_type": "binary"}],
              off={"gc"}, modules=BAD)
    assert got == [("unsupported", "feature gc off in this engine")]
    other = run(tmp_path, "global.wast", [{"type": "module", "filename": "bad.wasm", "module_type": "binary"}],
                off={"memory64"}, modules=BAD)
    assert [o for o, _ in other] == ["fail"]


def test_module_definitions_and_instances(tmp_path):
    got = run(tmp_path, "instance.wast", [
        {"type": "module_definition", "name": "M", "filename": "m.wasm", "module_type": "binary"},
        {"type": "module_instance", "instance": "I1", "module": "M"},
        {"type": "assert_return", "action": {"type": "invoke", "module": "I1", "field": "one", "args": []},
         "expected": [I32]},
        {"type": "module_instance", "instance": "I2", "module": "nowhere"},
        {"type": "assert_return", "action": {"type": "invoke", "module": "I2", "field": "one", "args": []},
         "expected": [I32]},
    ])
    assert [o for o, _ in got] == ["pass", "fail"]
