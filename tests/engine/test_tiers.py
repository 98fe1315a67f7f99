"""Every tier in ``api.TIERS`` fulfils the tier contract (``harness.engine.tiers.Tier``): it has each method,
and each method takes the contract's parameters, by the same names, in the same order, with the same
defaults (more parameters only with defaults), so ``api.Store`` can call any tier the same way."""

from __future__ import annotations

import importlib.util
import inspect

import pytest

from harness.engine import api
from harness.engine.tiers import Tier

CONTRACT = [name for name, member in vars(Tier).items() if inspect.isfunction(member) and not name.startswith("_")]
OPTIONS = {"interp": {}, "llvm": {"cache_dir": False}, "singlepass": {}}  # no cache directory touched


def signature_drift(tier: object) -> list[str]:
    """How ``tier``'s methods differ from the contract's (empty when it conforms)."""
    drift = []
    for name in CONTRACT:
        want = list(inspect.signature(getattr(Tier, name)).parameters.values())[1:]  # without self
        method = getattr(tier, name, None)
        if method is None:
            drift.append(f"{name}: missing")
            continue
        have = list(inspect.signature(method).parameters.values())
        for w, h in zip(want, have, strict=False):
            if (w.name, w.kind, w.default) != (h.name, h.kind, h.default):
                drift.append(f"{name}: {h} where the contract has {w}")
        if len(have) < len(want):
            drift.append(f"{name}: takes {len(have)} parameters, the contract {len(want)}")
        drift += [f"{name}: extra parameter {h} has no default" for h in have[len(want):] if h.default is h.empty]
    return drift


def test_the_contract_is_what_the_store_calls():
    assert sorted(CONTRACT) == ["compile", "has_code_for", "instantiate", "run"]


@pytest.mark.parametrize("name", sorted(api.TIERS))
def test_each_tier_fulfils_the_contract(name):
    if name == "llvm" and importlib.util.find_spec("llvmlite") is None:
        pytest.skip("llvmlite is not installed")
    tier = api.Store(tier=name, **OPTIONS[name]).tier
    assert isinstance(tier, Tier)
    assert signature_drift(tier) == []


def test_a_tier_that_drifts_is_caught():
    class Drifted:
        def compile(self, module, data=None):
            return None

        def instantiate(self, module, externs):  # no data: a store passing it would fail
            return None

        def run(self, func, args, depth):  # a parameter the store never passes
            return []

    assert not isinstance(Drifted(), Tier)  # has_code_for is missing
    assert signature_drift(Drifted()) == [
        "instantiate: takes 2 parameters, the contract 3",
        "run: extra parameter depth has no default",
        "has_code_for: missing",
    ]
