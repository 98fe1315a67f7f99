import json
import platform
import subprocess
import sys

import pytest

from harness.adapters import adapters
from harness.adapters.base import WASI, EngineSpec, Invocation, RunnerUnavailable
from harness.adapters.native import NativeAdapter, QemuUserAdapter
from harness.engine.text import parse_module
from harness.perf import launch, measure
from harness.perf.launch import Variant
from harness.perf.measure import run_measured
from harness.perf.targets import targets_for
from harness.wasi import drivers


def test_exit_code_and_output(tmp_path):
    out = tmp_path / "out"
    m = run_measured(["sh", "-c", "echo hi; exit 3"], None, out, 20)
    assert m.returncode == 3 and not m.timed_out
    assert out.read_text() == "hi\n"
    assert m.wall > 0


def test_timeout_kills(tmp_path):
    m = run_measured(["sleep", "10"], None, tmp_path / "o", 0.5)
    assert m.timed_out and m.wall < 5


def test_peak_rss_is_the_programs_own(tmp_path):
    small = run_measured(["sh", "-c", "true"], None, tmp_path / "o", 20)
    big = run_measured([sys.executable, "-c", "b = bytearray(150 * 1024 * 1024); b[::4096] = b'x' * len(b[::4096])"],
                       None, tmp_path / "o2", 60)
    assert big.returncode == 0
    assert big.max_rss_kb > 140 * 1024
    if small.rss_exact:
        # forked from a small helper, not from this Python process: far below our own RSS
        assert small.max_rss_kb < 8 * 1024


def test_stdin_redirect(tmp_path):
    (tmp_path / "in").write_bytes(b"abc")
    run_measured(["cat"], tmp_path / "in", tmp_path / "out", 20)
    assert (tmp_path / "out").read_bytes() == b"abc"


def test_wasmtime_command_lines_use_real_binary_and_tier_flags(tmp_path):
    wasm = tmp_path / "p.wasm"
    inv = launch.invocation(Variant(EngineSpec("wasmtime", "winch")), wasm, ["-9"], tmp_path)
    assert inv.argv[0].endswith("wasmtime_cli/wasmtime")
    assert inv.argv[1] == "run" and "compiler=winch" in inv.argv and "cache=n" in inv.argv
    assert inv.argv[-2:] == [str(wasm), "-9"]
    aot = launch.invocation(Variant(EngineSpec("wasmtime", "cranelift"), "aot"), wasm, [], tmp_path)
    assert "--allow-precompiled" in aot.argv and aot.argv[-1].endswith(".cranelift.cwasm")


def test_node_command_line_selects_liftoff_only(tmp_path):
    inv = launch.invocation(Variant(EngineSpec("v8", "liftoff")), tmp_path / "p.wasm", ["x"], tmp_path)
    assert "--liftoff-only" in inv.argv and inv.phases_file is not None
    assert inv.argv[-1] == "x"


def test_native_and_labels(tmp_path):
    v = Variant(EngineSpec("native32", ""))
    assert v.target == "native32" and v.label == "native32" and not v.slow
    assert launch.invocation(v, tmp_path / "prog", ["1"], tmp_path).argv == [str(tmp_path / "prog"), "1"]
    assert Variant(EngineSpec("wasmtime", "cranelift"), "aot").label == "wasmtime:cranelift (precompiled)"


HELLO_WAT = """(module
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 16) "hi from perf\\n")
  (func (export "_start")
    (i32.store (i32.const 0) (i32.const 16)) (i32.store (i32.const 4) (i32.const 13))
    (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))))"""


def test_our_engine_runs_in_one_process_through_the_wasi_driver(tmp_path):
    """Not through `harness run`, which starts the same driver as a second process: that would time two
    Python start-ups for our engine and one for everybody else."""
    wasm = tmp_path / "hello.wasm"
    wasm.write_bytes(parse_module(HELLO_WAT))
    inv = launch.invocation(Variant(EngineSpec("ours", "interp")), wasm, ["a"], tmp_path)
    assert inv.argv[:3] == [sys.executable, "-m", "harness.wasi.child"]
    assert inv.argv[-3:] == [str(wasm), "--", "a"]
    m = run_measured(inv.argv, None, tmp_path / "out", 120)
    assert m.returncode == 0
    assert (tmp_path / "out").read_text() == "hi from perf\n"


def test_a_tier_of_ours_that_is_not_available_is_unsupported_not_a_crash(tmp_path, monkeypatch):
    from harness.engine.tiers import singlepass

    monkeypatch.setattr(singlepass, "unavailable_reason", lambda: "no code generator for this host")
    with pytest.raises(RunnerUnavailable, match="no code generator for this host"):
        launch.invocation(Variant(EngineSpec("ours", "singlepass")), tmp_path / "p.wasm", [], tmp_path)


def test_startup_ladder_times_our_engine_as_whole_processes(tmp_path, monkeypatch):
    """The startup ladder has a process rung per tier of ours, as ``harness perf`` runs it (one Python
    process); the LLVM rung is a warm start, primed once."""
    pytest.importorskip("llvmlite")
    from harness.perf import startup

    monkeypatch.setenv("HARNESS_LLVM_CACHE", str(tmp_path / "llvm"))
    wat = tmp_path / "trivial.wat"
    wat.write_text('(module (memory (export "memory") 1) (func (export "_start")))')
    rows = []
    startup._ours_process_rungs(rows.extend, wat, ["interp", "llvm"], 2, tmp_path, log=print)
    assert [(r.file, r.item, r.outcome) for r in rows] == [
        ("ours interp process", "n/a", "ok"), ("ours interp process", "n/a", "ok"),
        ("ours llvm process", "warm-cache", "ok"), ("ours llvm process", "warm-cache", "ok")]
    assert all(0 < r.value < 10 for r in rows)


def test_startup_ladder_times_the_wasmtime_cli_with_its_adapters_command_lines(tmp_path):
    """Cold (compiling every run), warm (its compile cache primed) and precompiled: each the argv the
    adapter gives ``harness perf`` for that invocation."""
    from harness.perf import startup

    wasmtime = adapters()["wasmtime"]
    if not wasmtime.available("cranelift") or wasmtime.binary() is None:
        pytest.skip("the wasmtime CLI is not installed")
    wasm = tmp_path / "trivial.wasm"
    wasm.write_bytes(parse_module('(module (memory (export "memory") 1) (func (export "_start")))'))
    rows = []
    startup._wasmtime_cli_rungs(rows.extend, wasm, "cranelift", 1, tmp_path, log=print)
    assert [(r.file, r.item, r.outcome) for r in rows] == [
        ("wasmtime CLI cranelift cold", "cold", "ok"), ("wasmtime CLI cranelift warm cache", "warm-cache", "ok"),
        ("wasmtime CLI cranelift precompiled", "precompiled", "ok")]
    cold, warm, precompiled = (r.extra["argv"] for r in rows)
    assert cold == wasmtime.run_command("cranelift", Invocation(wasm), tmp_path)
    assert warm == wasmtime.run_command("cranelift", Invocation(wasm, compile_cache=True), tmp_path)
    assert precompiled == wasmtime.run_command("cranelift", Invocation(wasm, precompiled=True), tmp_path)


def _wasi_engines() -> list[EngineSpec]:
    return [e for a in adapters().values() for e in a.engines()
            if WASI in a.capabilities(e.tier) and a.available(e.tier)]


@pytest.mark.parametrize("engine", _wasi_engines(), ids=str)
def test_perf_times_the_command_line_the_wasi_runner_runs(engine, tmp_path):
    """One command line per engine: perf adds only where node writes its phases."""
    wasm = tmp_path / "p.wasm"
    timed = launch.invocation(Variant(engine), wasm, ["-9"], tmp_path).argv
    if "--phases" in timed:
        i = timed.index("--phases")
        timed = timed[:i] + timed[i + 2:]
    assert timed == drivers.command(engine, Invocation(wasm, ["-9"]), tmp_path)


def test_wasm3_and_the_slow_engines_run_the_small_inputs():
    assert Variant(EngineSpec("wasm3", "interp")).slow and Variant(EngineSpec("wasmtime", "pulley")).slow
    assert not Variant(EngineSpec("wasmtime", "cranelift")).slow


EXIT7_WAT = """(module
  (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
  (memory (export "memory") 1)
  (func (export "_start") (call $exit (i32.const 7))))"""


@pytest.mark.parametrize("wat, code", [(HELLO_WAT, 0), (EXIT7_WAT, 7)], ids=["returns", "proc_exit"])
def test_node_writes_its_phases_whether_the_program_returns_or_calls_proc_exit(wat, code, tmp_path):
    """returnOnExit is off (node 20 crashes returning from start() after proc_exit), so proc_exit ends
    node at once: the driver must still write the phases and keep the program's exit status."""
    if not adapters()["v8"].available("turbofan"):
        pytest.skip("node is not installed")
    wasm = tmp_path / "p.wasm"
    wasm.write_bytes(parse_module(wat))
    inv = launch.invocation(Variant(EngineSpec("v8", "turbofan")), wasm, [], tmp_path)
    m = run_measured(inv.argv, None, tmp_path / "out", 60)
    assert m.returncode == code, m.stderr
    phases = json.loads(inv.phases_file.read_text())
    assert {"compile_ms", "instantiate_ms", "execute_ms"} <= set(phases)


@pytest.mark.parametrize("machine, native64, native32, foreign64", [
    ("x86_64", "x86_64-linux-musl", "x86-linux-musl", "aarch64-linux-musl"),
    ("aarch64", "aarch64-linux-musl", "arm-linux-musleabihf", "x86_64-linux-musl"),
    ("arm64", "aarch64-linux-musl", "arm-linux-musleabihf", "x86_64-linux-musl"),
])
def test_native64_is_the_host(monkeypatch, machine, native64, native32, foreign64):
    monkeypatch.setattr(platform, "machine", lambda: machine)
    t = targets_for()
    assert (t["native64"].triple, t["native32"].triple, t["foreign64"].triple) == (native64, native32, foreign64)
    assert QemuUserAdapter().arch == foreign64.split("-")[0]


def test_native_engines_say_why_on_a_host_without_triples(monkeypatch):
    monkeypatch.setattr(platform, "machine", lambda: "riscv64")
    av = NativeAdapter("native64", "").available("")
    assert not av and "riscv64" in av.reason and av.install


def test_the_rusage_helper_is_built_for_the_host(monkeypatch, tmp_path):
    monkeypatch.setenv("HARNESS_CACHE", str(tmp_path))
    monkeypatch.setattr(measure, "TARGETS", targets_for("aarch64"))
    seen = []
    monkeypatch.setattr(subprocess, "run", lambda argv, **kw: seen.append(argv) or subprocess.CompletedProcess(argv, 1))
    assert measure.rusage_helper() is None
    assert seen[0][seen[0].index("-target") + 1] == "aarch64-linux-musl"
