"""Crash and hang isolation: a fake engine that kills its worker process or never returns costs only
the rest of its file; outcomes streamed before are kept."""

from __future__ import annotations

import json

import pytest

from harness.adapters.base import EngineSpec
from harness.engine.text import parse_module
from harness.spec.drivers import EXTRA_ENV
from harness.spec.runner import fill_gaps, run_in_worker
from harness.spec.script import load_script

FAKES = "fake=tests.spec.spec_fake_drivers:MisbehavingDriver;broken=tests.spec.spec_fake_drivers:BrokenStartDriver"


@pytest.fixture(autouse=True)
def fake_drivers(monkeypatch):
    monkeypatch.setenv(EXTRA_ENV, FAKES)


def script_with(tmp_path, *fields):
    # the executor acts only on exports the module declares: export every field the fake answers for
    exports = " ".join(f'(func (export "{f}"))' for f in sorted(set(fields)))
    (tmp_path / "m.wasm").write_bytes(parse_module(f"(module {exports})"))
    commands = [{"type": "module", "line": 1, "filename": "m.wasm", "module_type": "binary"}]
    for i, f in enumerate(fields):
        commands.append({"type": "assert_return", "line": i + 2, "expected": [{"type": "i32", "value": "1"}],
                         "action": {"type": "invoke", "field": f, "args": []}})
    path = tmp_path / "s.json"
    path.write_text(json.dumps({"commands": commands}))
    return load_script(path)


def test_crash_keeps_earlier_outcomes_and_marks_the_rest(tmp_path):
    script = script_with(tmp_path, "f", "raise", "f", "crash", "f", "f")
    raw = run_in_worker(EngineSpec("fake", "x"), script, timeout=60)
    assert raw.status == "crash" and "139" in raw.message
    got = fill_gaps(script.checks(), raw)
    assert [o.outcome for o in got] == ["pass", "pass", "crash", "pass", "crash", "crash", "crash"]
    assert got[2].message.startswith("ZeroDivisionError")


def test_hang_times_out_and_keeps_earlier_outcomes(tmp_path):
    script = script_with(tmp_path, "f", "hang", "f")
    raw = run_in_worker(EngineSpec("fake", "x"), script, timeout=3)
    assert raw.status == "timeout"
    assert [o.outcome for o in fill_gaps(script.checks(), raw)] == ["pass", "pass", "timeout", "timeout"]


def test_driver_that_cannot_start_is_an_error_not_a_crash(tmp_path):
    script = script_with(tmp_path, "f")
    raw = run_in_worker(EngineSpec("broken", "x"), script, timeout=60)
    assert raw.status == "error" and "cannot load the engine library" in raw.message
    assert {o.outcome for o in fill_gaps(script.checks(), raw)} == {"error"}
