"""Every official spec .wast file (wasm 2.0, SIMD included) on the singlepass tier through the harness's spec
executor in this process, as the other tiers are checked (``official_spec.py``).
Slow: ``.venv/bin/pytest -m slow tests/engine/test_singlepass_spec.py -n 2``."""

from __future__ import annotations

import pytest
from official_spec import NOT_FETCHED, WAST_FILES, assert_all_pass, run_on_ours

from harness.engine.tiers.singlepass import unavailable_reason

pytestmark = [pytest.mark.slow, pytest.mark.official,
              pytest.mark.skipif(bool(unavailable_reason()), reason=unavailable_reason() or "available")]


@pytest.mark.skipif(not WAST_FILES, reason=NOT_FETCHED)
@pytest.mark.parametrize("wast", WAST_FILES, ids=lambda p: p.stem)
def test_wast_file(wast):
    assert_all_pass(run_on_ours(wast, "singlepass"))
