"""Every official spec .wast file (wasm 2.0, incl. SIMD) against the LLVM tier at O0 and O2, through the
same direct API runner as the interpreter (interp_spec_direct.py), so both tiers meet the same bar.
Slow: ``.venv/bin/pytest -m slow tests/engine/test_llvm_spec.py -n 2``.  ``HARNESS_LLVM_SPEC_OPT_LEVELS=2``
runs one level only (``scripts/aarch64 test`` does, under emulation); ``HARNESS_LLVM_SPEC_BOUNDS=guard`` or
``explicit`` picks the bounds-check mode (default: the tier's own choice for this host)."""

from __future__ import annotations

import os

import pytest

pytest.importorskip("llvmlite")

from interp_spec_direct import SUITE, run_file  # noqa: E402

pytestmark = [pytest.mark.slow, pytest.mark.official]

NAMES = sorted(p.stem for p in SUITE.glob("*.wast")) if SUITE.is_dir() else []
OPT_LEVELS = [int(x) for x in os.environ.get("HARNESS_LLVM_SPEC_OPT_LEVELS", "0,2").split(",")]
BOUNDS = os.environ.get("HARNESS_LLVM_SPEC_BOUNDS", "auto")


@pytest.mark.skipif(not NAMES, reason="spec testsuite not fetched")
@pytest.mark.parametrize("opt_level", OPT_LEVELS)
@pytest.mark.parametrize("name", NAMES)
def test_wast_file(name, opt_level):
    passed, total, fails = run_file(name, "llvm", opt_level=opt_level, cache_dir=False, bounds=BOUNDS)
    assert passed == total, "\n".join(fails[:20])
