"""The WASI sandbox stays proven on every WASI engine available here, not only the default set: our
hostile program (``programs/sandbox_escape.c``: ``..``, absolute paths, symlinks out incl. chains and ones
it creates, rename and hard link out, embedded NUL, 5,000 path components, a directory fd then ``..``,
trailing slashes) must print ``blocked`` for each attempt, and the runner's host snapshot around the jail
must show nothing changed outside it.  A known escape would be an expectation entry like any failure."""

from __future__ import annotations

import pytest

from harness.adapters import adapters
from harness.adapters.base import WASI, EngineSpec
from harness.outcomes import Outcome
from harness.wasi import expectations
from harness.wasi.runner import run_test
from harness.wasi.testsuite import PREVIEW1

PROGRAM = f"own/{PREVIEW1}/sandbox_escape"


def _wasi_engines() -> list[EngineSpec]:
    return [e for a in adapters().values() for e in a.engines()
            if WASI in a.capabilities(e.tier) and a.available(e.tier)]


@pytest.mark.parametrize("engine", _wasi_engines(), ids=str)
def test_no_way_out(engine, own_tests):
    result = run_test(engine, own_tests[PROGRAM], 120, expectations.load(engine.runtime, engine.tier).reason(PROGRAM))
    verdict = result.verdict
    if verdict == Outcome.UNSUPPORTED:
        pytest.skip(result.message)
    if verdict == Outcome.XFAIL:
        pytest.xfail(f"{result.outcome}: {result.expected_fail}")
    assert verdict == Outcome.PASS, f"{engine}: {verdict}: {result.message}"
