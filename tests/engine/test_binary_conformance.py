"""The front end (decode, validate, encode round trip) over every binary module of the official suite.

Slow and needs the spec testsuite; run with ``pytest -m slow tests/engine/test_binary_conformance.py``
or directly as ``python tests/engine/conformance_frontend.py --roundtrip -v``.
"""

from __future__ import annotations

import importlib.util
import io
import sys
from pathlib import Path

import pytest

_spec = importlib.util.spec_from_file_location("conformance_frontend",
                                               Path(__file__).with_name("conformance_frontend.py"))
conformance = importlib.util.module_from_spec(_spec)
sys.modules.setdefault("conformance_frontend", conformance)  # dataclasses look their module up
_spec.loader.exec_module(conformance)

pytestmark = [pytest.mark.slow, pytest.mark.official]


def test_every_binary_module_is_classified_correctly(tmp_path):
    if not conformance.DEFAULT_SUITE.is_dir():
        pytest.skip(f"no spec testsuite at {conformance.DEFAULT_SUITE}")
    cache = conformance.DEFAULT_CACHE if conformance.DEFAULT_CACHE.parent.is_dir() else tmp_path
    out = io.StringIO()
    result = conformance.run(conformance.DEFAULT_SUITE, cache, [], roundtrip=True, verbose=False, out=out)
    totals = result["totals"]
    assert sum(t["total"] for t in totals.values()) > 4000, out.getvalue()
    assert result["failures"] == [], out.getvalue()
