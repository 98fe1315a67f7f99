"""Spec conformance: every (engine, .wast file) is one item; the failure message is the per-check table.

Rows go to the results store (suite "corpus" for ours, "spec" for the official 2.0 suite, "spec-3.0" for 3.0's).  Known failures
come from suites/spec/expectations/<runtime>-<tier>.toml; an unexpected pass fails the item too, so the
expectations stay honest.
"""

from __future__ import annotations

import pytest

from harness.adapters import get_adapter
from harness.outcomes import Outcome
from harness.spec import pytest_plugin
from harness.spec.drivers import supports_spec
from harness.spec.expectations import apply_expectations, skip_reason
from harness.spec.runner import run_file, suite_name
from harness.spec.summary import failure_table


def test_spec(spec_case, request):
    engine, wast, suite_dir = spec_case
    if not supports_spec(engine.runtime):
        pytest.skip(f"{engine} has no spec driver")
    avail = get_adapter(engine.runtime).available(engine.tier)
    if not avail:
        pytest.skip(f"{engine} is not available: {avail.reason}")
    why = skip_reason(engine.name, suite_name(suite_dir), wast.name)
    if why:
        pytest.skip(why)
    result = run_file(engine, wast, suite_dir, timeout=request.config.getoption("--spec-timeout", 300.0))
    apply_expectations(result)
    pytest_plugin.record(result)
    assert result.total > 0, f"{wast.name} has no checks"
    assert result.as_expected, failure_table(result)
    if result.count(Outcome.XFAIL):
        pytest.xfail(f"{result.count(Outcome.XFAIL)} known failures: "
                     + (result.expected_failure or "see the expectations file"))
