"""The WebAssembly 3.0 feature declarations of the adapters, and what the spec drivers make of them."""

from __future__ import annotations

import pytest

from harness.adapters import adapters
from harness.adapters.base import WASM3_FEATURES, Adapter, FeatureSupport, supported, unsupported
from harness.spec.drivers.base import WASM_VERSION_ENV, enabled_features, features_off

SPEC_RUNTIMES = ("ours", "wasmtime", "v8", "wabt", "wasm3", "pywasm")


@pytest.mark.parametrize("runtime", SPEC_RUNTIMES)
def test_every_spec_runtime_declares_every_3_0_feature_for_every_tier(runtime):
    adapter = adapters()[runtime]
    for tier in adapter.tiers:
        declared = adapter.features(tier)
        assert set(declared) == set(WASM3_FEATURES), (runtime, tier)
        for feature, support in declared.items():
            assert isinstance(support, FeatureSupport)
            assert support.supported or support.note, f"{runtime}:{tier} lacks {feature} without saying why"


def test_what_the_reference_engines_declare():
    wasmtime, v8, wabt = adapters()["wasmtime"], adapters()["v8"], adapters()["wabt"]
    assert wasmtime.unsupported_features("cranelift") == frozenset()
    assert wasmtime.unsupported_features("pulley") == frozenset()
    assert wasmtime.unsupported_features("winch") == {"gc", "function-references", "relaxed-simd"}
    assert wasmtime.features("cranelift")["gc"].enable == ("wasm_gc", "wasm_function_references")
    assert v8.unsupported_features("turbofan") == {"gc", "function-references", "exceptions", "multi-memory"}
    assert v8.features("liftoff")["memory64"].enable == ("--experimental-wasm-memory64",)
    assert wabt.features("interp")["function-references"].enable == ("--enable-function-references",)


def test_describe_says_how_or_why_not():
    assert supported().describe() == "on"
    assert supported("--flag", "--other").describe() == "--flag --other"
    assert unsupported("no code generation").describe() == "unsupported (no code generation)"


def test_an_adapter_without_declarations_lacks_nothing():
    """Only a declared lack makes a check unsupported: an undeclared engine's failures stay failures."""
    bare = Adapter(runtime="bare", tiers=("t",))
    assert bare.features("t") == {}
    assert bare.unsupported_features("t") == frozenset()


def test_drivers_turn_features_on_only_under_a_3_0_suite(monkeypatch):
    monkeypatch.delenv(WASM_VERSION_ENV, raising=False)
    assert enabled_features("wasmtime", "winch") == {}
    assert features_off("wasmtime", "winch") == frozenset()
    monkeypatch.setenv(WASM_VERSION_ENV, "3.0")
    on = enabled_features("wasmtime", "winch")
    assert "exceptions" in on and "gc" not in on
    assert features_off("wasmtime", "winch") == {"gc", "function-references", "relaxed-simd"}
    assert features_off("wasmtime", "winch", version="2.0") == frozenset()
