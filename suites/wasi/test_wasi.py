"""WASI programs on every engine: exit code and output as the expectations say.

A known failure (a ``[wasi."<test id>"]`` entry in suites/wasi/expectations/<runtime>.toml or
<runtime>-<tier>.toml) is an xfail; an unexpected pass of a listed test fails the item, so stale entries
are noticed, except for a ``flaky`` one, which may pass.
"""

from __future__ import annotations

import os

import pytest

from harness.adapters.base import RunnerUnavailable
from harness.wasi import expectations
from harness.wasi.drivers import check_available
from harness.wasi.runner import run_test

TIMEOUT = float(os.environ.get("HARNESS_WASI_TIMEOUT", "120"))


def test_wasi(wasi_case, request):
    engine, kind, test = wasi_case
    try:
        check_available(engine)
    except RunnerUnavailable as e:
        pytest.skip(str(e))
    if kind == "own":
        test = request.getfixturevalue("own_tests")[test]
    exp = expectations.load(engine.runtime, engine.tier)
    specific = exp.fail.get(test.id)
    result = run_test(engine, test, TIMEOUT, exp.reason(test.id))
    if result.outcome == "unsupported":
        pytest.skip(result.message)
    if result.outcome == "pass":
        assert not specific, f"{test.id} passes on {engine}: remove it from the expectations ({specific})"
        return
    if exp.reason(test.id):
        pytest.xfail(f"{result.outcome}: {exp.reason(test.id)}")
    pytest.fail(f"{test.id} on {engine}: {result.outcome}: {result.message}", pytrace=False)
