"""WASI items: one per (engine, program).  Our own C programs always run; the official wasi-testsuite runs
when present ($HARNESS_WASI_DIR or the fetched suite), marked ``official`` and ``slow`` (``-m official``).

Engines: $HARNESS_WASI_ENGINES (comma-separated runtime[:tier]), default the reference engines, our
host on wasmtime (hostcheck) and our interpreter.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

DEFAULT_ENGINES = "wasmtime,v8,pywasm,hostcheck,ours:interp"


def wasi_engines() -> list:
    from harness.wasi.drivers import parse_engine

    text = os.environ.get("HARNESS_WASI_ENGINES", DEFAULT_ENGINES)
    return [parse_engine(e.strip()) for e in text.split(",") if e.strip()]


def official_dir() -> Path | None:
    env = os.environ.get("HARNESS_WASI_DIR")
    if env:
        return Path(env)
    try:
        from harness.suites.catalog import get_suite

        path = get_suite("wasi").path
    except Exception:
        return None
    return path if path.is_dir() else None


def pytest_generate_tests(metafunc):
    if "wasi_case" not in metafunc.fixturenames:
        return
    from harness.wasi.programs import load_table
    from harness.wasi.testsuite import PREVIEW1, discover

    engines = wasi_engines()
    params = []
    for name in sorted(load_table()):
        for e in engines:
            params.append(pytest.param((e, "own", f"own/{PREVIEW1}/{name}"), id=f"{e.name}-own-{name}"))
    official = official_dir()
    if official is not None and official.is_dir():
        for test in discover(official, (PREVIEW1,)):
            for e in engines:
                params.append(pytest.param((e, "official", test), id=f"{e.name}-{test.id}",
                                           marks=[pytest.mark.official, pytest.mark.slow]))
    metafunc.parametrize("wasi_case", params)


@pytest.fixture(scope="session")
def own_tests():
    """Our programs compiled once per session (zig's first libc build takes about a minute)."""
    from harness.wasi.programs import build_own_suite
    from harness.wasi.testsuite import discover

    return {t.id: t for t in discover(build_own_suite())}
