"""Every official spec .wast file (wasm 2.0, incl. SIMD) on the LLVM tier at O0 and O2, through the harness's
spec executor in this process like the interpreter (``official_spec.py``), so both tiers meet the same bar.
Slow: ``.venv/bin/pytest -m slow tests/engine/test_llvm_spec.py -n 2``.  ``HARNESS_LLVM_SPEC_OPT_LEVELS=2``
runs one level only (``scripts/aarch64 test`` does, under emulation); ``HARNESS_LLVM_SPEC_BOUNDS=guard`` or
``explicit`` picks the bounds-check mode (default: the tier's own choice for this host)."""

from __future__ import annotations

import os

import pytest

pytest.importorskip("llvmlite")

from official_spec import NOT_FETCHED, WAST_FILES, assert_all_pass, run_on_ours  # noqa: E402

pytestmark = [pytest.mark.slow, pytest.mark.official]

OPT_LEVELS = [int(x) for x in os.environ.get("HARNESS_LLVM_SPEC_OPT_LEVELS", "0,2").split(",")]
BOUNDS = os.environ.get("HARNESS_LLVM_SPEC_BOUNDS", "auto")


@pytest.mark.skipif(not WAST_FILES, reason=NOT_FETCHED)
@pytest.mark.parametrize("opt_level", OPT_LEVELS)
@pytest.mark.parametrize("wast", WAST_FILES, ids=lambda p: p.stem)
def test_wast_file(wast, opt_level):
    assert_all_pass(run_on_ours(wast, "llvm", opt_level=opt_level, cache_dir=False, bounds=BOUNDS))
