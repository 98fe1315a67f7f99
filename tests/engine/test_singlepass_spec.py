"""Every official spec .wast file (wasm 2.0) on the singlepass tier through the harness's spec executor in this
process, as the other tiers are checked (``official_spec.py``).  SIMD is a later milestone: those files are
checked to be refused at compile time (UnsupportedError naming a v128 function or instruction), not run.
Slow: ``.venv/bin/pytest -m slow tests/engine/test_singlepass_spec.py -n 2``."""

from __future__ import annotations

import pytest
from official_spec import NOT_FETCHED, WAST_FILES, assert_all_pass, run_on_ours

from harness.engine.tiers.singlepass import unavailable_reason

pytestmark = [pytest.mark.slow, pytest.mark.official,
              pytest.mark.skipif(bool(unavailable_reason()), reason=unavailable_reason() or "available")]

SCALAR = [p for p in WAST_FILES if not p.stem.startswith("simd")]
SIMD = [p for p in WAST_FILES if p.stem.startswith("simd")]


@pytest.mark.skipif(not WAST_FILES, reason=NOT_FETCHED)
@pytest.mark.parametrize("wast", SCALAR, ids=lambda p: p.stem)
def test_wast_file(wast):
    assert_all_pass(run_on_ours(wast, "singlepass"))


@pytest.mark.skipif(not WAST_FILES, reason=NOT_FETCHED)
@pytest.mark.parametrize("wast", SIMD, ids=lambda p: p.stem)
def test_simd_file_is_refused_not_miscompiled(wast):
    result = run_on_ours(wast, "singlepass")
    failed = [o for o in result.outcomes if o.outcome.value != "pass"]
    refused = [o for o in failed if o.message.startswith("UnsupportedError: singlepass tier")
               or o.actual.startswith("the module of line")]
    assert failed == refused, [(o.line, o.actual) for o in failed if o not in refused][:5]
