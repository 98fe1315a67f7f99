"""Engine names parse as runtime:tier, unknown names are one clear error, and availability explains itself."""

import pytest

from harness.adapters import UnknownEngineError, adapters, get_adapter, parse_engines
from harness.commands.runtimes import collect


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


def test_wasmtime_uses_its_compile_cache_only_when_asked(tmp_path):
    from harness.adapters.base import Invocation

    wasmtime = get_adapter("wasmtime")
    if wasmtime.binary() is None:
        pytest.skip("the wasmtime CLI is not installed")
    cold = wasmtime.wasi_command("cranelift", Invocation(tmp_path / "p.wasm"), tmp_path)
    warm = wasmtime.wasi_command("cranelift", Invocation(tmp_path / "p.wasm", compile_cache=True), tmp_path)
    assert "cache=n" in cold and "cache=y" not in cold
    assert "cache=y" in warm and "cache=n" not in warm


def test_every_stage_finds_its_driver_through_the_adapter():
    from harness.spec.drivers import in_process_drivers, out_of_process_drivers

    assert in_process_drivers()["wasmtime"] == "harness.spec.drivers.wasmtime_py:WasmtimeDriver"
    assert out_of_process_drivers() == {"wabt": "harness.spec.drivers.wabt:run_file"}
    assert {n for n, a in adapters().items() if a.slow_tiers} >= {"ours", "wasm3", "pywasm", "wasmtime"}


def test_an_engine_without_a_capability_says_so(tmp_path):
    from harness.adapters.base import RunnerUnavailable
    from harness.wasi.drivers import check_available, parse_engine

    with pytest.raises(RunnerUnavailable, match="wabt:interp cannot run wasi"):
        check_available(parse_engine("wabt"))
    with pytest.raises(RunnerUnavailable, match="native64 cannot run wasi"):
        check_available(parse_engine("native64"))


def test_hostcheck_is_a_wasi_engine_but_not_a_runtime(tmp_path):
    from harness.adapters.base import Invocation
    from harness.wasi.drivers import HOSTCHECK, command, parse_engine

    assert parse_engine("hostcheck") == HOSTCHECK and "hostcheck" not in adapters()
    argv = command(HOSTCHECK, Invocation(tmp_path / "p.wasm", ["a"]), tmp_path)
    assert argv[1:5] == ["-m", "harness.wasi.child", "--engine", "hostcheck"] and argv[-2:] == ["--", "a"]
