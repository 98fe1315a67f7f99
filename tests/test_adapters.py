"""Engine names parse as runtime:tier, unknown names are one clear error, and availability explains itself."""

import pytest

from harness.adapters import UnknownEngineError, adapters, get_adapter, parse_engines
from harness.runtimes_cmd import collect


def test_bare_runtime_means_default_tier():
    assert [e.name for e in parse_engines("wasmtime,v8")] == ["wasmtime:cranelift", "v8:turbofan"]


def test_explicit_tiers_and_deduplication():
    names = [e.name for e in parse_engines("wasmtime:winch, wasmtime:winch ,v8:liftoff")]
    assert names == ["wasmtime:winch", "v8:liftoff"]


@pytest.mark.parametrize("text, fragment", [
    ("nosuch", "unknown runtime 'nosuch'"),
    ("wasmtime:turbo", "unknown tier 'turbo' for wasmtime"),
])
def test_unknown_names_say_what_is_known(text, fragment):
    with pytest.raises(UnknownEngineError, match=fragment):
        parse_engines(text)


def test_capability_is_checked():
    with pytest.raises(UnknownEngineError, match="cannot run spec"):
        parse_engines("native64", capability="spec")


def test_every_unavailable_engine_says_why_and_how():
    for row in collect():
        if not row["available"]:
            assert row["why_not"], row
            assert row["install"], row


def test_tier_flags():
    wasmtime = get_adapter("wasmtime")
    assert wasmtime.cli_flags("winch") == ["-C", "compiler=winch"]
    assert get_adapter("v8").node_flags("liftoff") == ["--liftoff-only"]
    # --no-concurrent-marking: node 20 crashes after TurboFan-only runs without it (see node_flags)
    assert get_adapter("v8").node_flags("turbofan") == ["--no-liftoff", "--no-concurrent-marking"]
    assert "ours" in adapters() and "native32" in adapters()
