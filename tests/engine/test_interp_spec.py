"""Every official spec .wast file (wasm 2.0, incl. SIMD) on the interpreter tier, through the harness's spec
executor in this process (``official_spec.py``).  Slow: ``.venv/bin/pytest -m slow tests/engine/test_interp_spec.py``."""

from __future__ import annotations

import pytest
from official_spec import NOT_FETCHED, WAST_FILES, assert_all_pass, run_on_ours

pytestmark = [pytest.mark.slow, pytest.mark.official]


@pytest.mark.skipif(not WAST_FILES, reason=NOT_FETCHED)
@pytest.mark.parametrize("wast", WAST_FILES, ids=lambda p: p.stem)
def test_wast_file(wast):
    assert_all_pass(run_on_ours(wast, "interp"))
