"""Spec conformance items: one per (engine, .wast file); our corpus always, the official suites when present
(spec-2.0, or ``--suite-dir``/``$HARNESS_SPEC_DIR`` instead, and spec-3.0; marked ``official`` and ``slow``,
so run them with ``-m official``).  Options and the shared run id come
from ``suites/conftest.py``.  Engines: ``--engines=LIST`` (write it with ``=`` when no test path is given,
or pytest takes LIST for a path), ``$HARNESS_SPEC_ENGINES``, else the reference engines and ours, and then
the LLVM tier's variants (each bounds mode and optimisation level) on the memory files, official ones
included, in the default run: on x86-64 ``ours:llvm`` uses guard pages, so only ``ours:llvm-explicit``
judges the explicit bounds checks."""

from __future__ import annotations

import os
from fnmatch import fnmatch

import pytest

from harness.spec import pytest_plugin


def _engines(config):
    from harness.adapters import parse_engines
    from harness.adapters.base import SPEC

    text = (config.getoption("--engines", None) or os.environ.get("HARNESS_SPEC_ENGINES")
            or pytest_plugin.DEFAULT_ENGINES)
    return parse_engines(text, capability=SPEC)


MEMORY_FILES = ("memory*.wast", "*address.wast", "bulk.wast", "float_memory.wast", "traps.wast")


def _variants(config):
    """Our engine's tier variants, unless the engines were named."""
    if config.getoption("--engines", None) or os.environ.get("HARNESS_SPEC_ENGINES"):
        return []
    from harness.adapters import get_adapter

    return get_adapter("ours").variants()


def _memory_files(files):
    return [f for f in files if any(fnmatch(f.name, p) for p in MEMORY_FILES)]


def pytest_generate_tests(metafunc):
    if "spec_case" not in metafunc.fixturenames:
        return
    from harness.spec.runner import CORPUS_DIR, discover

    config = metafunc.config
    engines = _engines(config)
    params = []
    variants = _variants(config)
    for wast in discover(CORPUS_DIR):
        for e in engines:
            params.append(pytest.param((e, wast, CORPUS_DIR), id=f"{e.name}-corpus-{wast.name}"))
    for wast in _memory_files(discover(CORPUS_DIR)):
        for e in variants:
            params.append(pytest.param((e, wast, CORPUS_DIR), id=f"{e.name}-corpus-{wast.name}"))
    for name, official in _official_suites(config):
        for wast in discover(official):
            for e in engines:
                params.append(pytest.param((e, wast, official), id=f"{e.name}-{name}-{wast.name}",
                                           marks=[pytest.mark.official, pytest.mark.slow]))
        for wast in _memory_files(discover(official)):
            for e in variants:
                params.append(pytest.param((e, wast, official), id=f"{e.name}-{name}-{wast.name}",
                                           marks=[pytest.mark.official]))
    metafunc.parametrize("spec_case", params)


def _official_suites(config):
    """(id prefix, directory) of each official suite present: the 2.0 one (``spec``, as its ids always were)
    and spec-3.0."""
    from harness.suites.catalog import get_suite

    found = []
    official = pytest_plugin.official_dir(config)
    if official is not None and official.is_dir():
        found.append(("spec", official))
    spec3 = get_suite("spec-3.0").path
    if spec3.is_dir() and not (official is not None and official.resolve() == spec3.resolve()):
        found.append(("spec-3.0", spec3))
    return found
