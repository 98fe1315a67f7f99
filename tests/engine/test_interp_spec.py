"""Every official spec .wast file (wasm 2.0, incl. SIMD) against the interpreter tier, directly through the
API (see interp_spec_direct.py).  Slow: ``.venv/bin/pytest -m slow tests/engine/test_interp_spec.py``."""

from __future__ import annotations

import pytest
from interp_spec_direct import SUITE, run_file

pytestmark = [pytest.mark.slow, pytest.mark.official]

NAMES = sorted(p.stem for p in SUITE.glob("*.wast")) if SUITE.is_dir() else []


@pytest.mark.skipif(not NAMES, reason="spec testsuite not fetched")
@pytest.mark.parametrize("name", NAMES)
def test_wast_file(name):
    passed, total, fails = run_file(name, "interp")
    assert passed == total, "\n".join(fails[:20])
