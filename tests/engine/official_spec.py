"""The official spec testsuite for the engine's own tests, run through the harness's real spec runner.

As wasmtime's ``tests/wast.rs`` hands each script to its ``WastContext``, ``run_on_ours`` hands a converted
script to ``harness.spec.executor`` with ``OursDriver`` in this process: conversion (wasm-tools, cached by
content), the ``spectest`` module, value and NaN matching and the scoring of every assertion are those of
``harness spec``, while a failing check can be followed into the engine with a debugger or profiler (no
worker process in between).  Per-file counts on the command line: ``harness spec --engines ours:interp
--suite-dir official`` (``-k NAME`` for some files).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from harness.errors import HarnessError
from harness.outcomes import Outcome
from harness.spec.convert import convert
from harness.spec.drivers.ours import OursDriver
from harness.spec.executor import run_script
from harness.spec.runner import FileResult
from harness.spec.script import load_script
from harness.spec.summary import failure_table
from harness.suites.catalog import spec_suite_dir


def _suite() -> Path | None:
    """The spec-2.0 suite (``$HARNESS_SPEC_DIR`` or what ``harness suites fetch`` got), None if absent."""
    try:
        return spec_suite_dir()
    except HarnessError:
        return None


SUITE = _suite()
WAST_FILES = sorted(SUITE.glob("*.wast")) if SUITE else []
NOT_FETCHED = "official spec testsuite not found (harness suites fetch spec-2.0, or set HARNESS_SPEC_DIR)"


def run_on_ours(wast: Path, tier: str, **store_options: Any) -> FileResult:
    """Every check of ``wast`` on ``ours:tier``; ``store_options`` go to ``api.Store`` (e.g. ``opt_level``)."""
    options = " ".join(f"{k}={v}" for k, v in store_options.items())
    result = FileResult(engine=f"ours:{tier}" + (f" ({options})" if options else ""), suite="spec",
                        file=wast.name, path=wast)
    driver = OursDriver(tier, **store_options)
    try:
        result.outcomes = list(run_script(driver, load_script(convert(wast))))
    finally:
        driver.close()
    return result


def assert_all_pass(result: FileResult) -> None:
    """Fail with the harness's table of the checks that did not pass (line, command, expected, actual);
    a skipped check fails too: our engine has no check it cannot express."""
    assert result.outcomes, f"{result.file} has no checks"
    skips = [o for o in result.outcomes if o.outcome == Outcome.SKIP]
    table = failure_table(result, limit=20) + "".join(
        f"\n  line {o.line:<6} {o.command:<22} {Outcome.SKIP:<8} {o.message}" for o in skips[:20])
    assert all(o.outcome == Outcome.PASS for o in result.outcomes), table
