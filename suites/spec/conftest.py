"""Spec conformance items: one per (engine, .wast file); our corpus always, the official suite when present
(marked ``official`` and ``slow``, so run it with ``-m official``).  Options and the shared run id come
from ``suites/conftest.py``.  Engines: ``--engines=LIST`` (write it with ``=`` when no test path is given,
or pytest takes LIST for a path), ``$HARNESS_SPEC_ENGINES``, else the reference engines and ours."""

from __future__ import annotations

import os

import pytest

from harness.spec import pytest_plugin


def _engines(config):
    from harness.adapters import parse_engines
    from harness.adapters.base import SPEC

    text = (config.getoption("--engines", None) or os.environ.get("HARNESS_SPEC_ENGINES")
            or pytest_plugin.DEFAULT_ENGINES)
    return parse_engines(text, capability=SPEC)


def pytest_generate_tests(metafunc):
    if "spec_case" not in metafunc.fixturenames:
        return
    from harness.spec.runner import CORPUS_DIR, discover

    config = metafunc.config
    engines = _engines(config)
    params = []
    for wast in discover(CORPUS_DIR):
        for e in engines:
            params.append(pytest.param((e, wast, CORPUS_DIR), id=f"{e.name}-corpus-{wast.name}"))
    official = pytest_plugin.official_dir(config)
    if official is not None and official.is_dir():
        for wast in discover(official):
            for e in engines:
                params.append(pytest.param((e, wast, official), id=f"{e.name}-spec-{wast.name}",
                                           marks=[pytest.mark.official, pytest.mark.slow]))
    metafunc.parametrize("spec_case", params)
