"""The front end (decode, validate, encode round trip) over every binary module of the official suite.

Slow and needs the spec testsuite; run with ``pytest -m slow tests/engine/test_binary_conformance.py``
or directly as ``python tests/engine/conformance_frontend.py --roundtrip -v``.
"""

from __future__ import annotations

import io

import conformance_frontend as conformance
import pytest
from official_spec import NOT_FETCHED

pytestmark = [pytest.mark.slow, pytest.mark.official]


def test_every_binary_module_is_classified_correctly():
    if conformance.SUITE is None:
        pytest.skip(NOT_FETCHED)
    out = io.StringIO()
    result = conformance.run(conformance.SUITE, [], roundtrip=True, verbose=False, out=out)
    totals = result["totals"]
    assert sum(t["total"] for t in totals.values()) > 4000, out.getvalue()
    assert result["failures"] == [], out.getvalue()
