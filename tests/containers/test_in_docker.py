"""Runtimes in their container images, for real: our WASI programs give the same outcome per test in the
image as on the host, a hanging program's container is killed and removed, and perf's timing is taken
inside the container.  Skipped, saying what to build, where Docker or the images are missing (as on a
fresh CI machine: building the base takes minutes and needs root)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from harness.adapters.base import EngineSpec, Invocation
from harness.adapters.registry import get_adapter
from harness.images import docker
from harness.perf.measure import run_measured
from harness.wasi.execute import run_program
from harness.wasi.programs import build_own_suite
from harness.wasi.runner import run_test
from harness.wasi.testsuite import discover

# (module (memory (export "memory") 1) (func (export "_start") (loop (br 0))))
SPIN = bytes.fromhex("0061736d01000000" "010401600000" "03020100" "0503010001"
                     "071302065f7374617274000006" "6d656d6f72790200" "0a09010700" "03400c000b0b")


def _needs(runtime: str) -> None:
    av = get_adapter(f"{runtime}@docker").available(get_adapter(runtime).default_tier)
    if not av:
        pytest.skip(f"{runtime}@docker: {av.reason} ({av.install})")


def _ours(pid: int) -> list[str]:
    """Containers started by the harness in process ``pid`` (named ``harness-RUNTIME-PID-N``), running or
    not: other runs on this machine may have theirs."""
    return [n for n in docker.leftover_containers() if n.split("-")[-2:-1] == [str(pid)]]


def _no_leftovers(pid: int | None = None, deadline: float = 20.0) -> list[str]:
    """Our containers still there once the guards have had ``deadline`` seconds to remove them."""
    end = time.monotonic() + deadline
    while (left := _ours(pid or os.getpid())) and time.monotonic() < end:
        time.sleep(0.5)
    return left


@pytest.fixture(scope="module")
def own():
    return discover(build_own_suite())


@pytest.mark.parametrize("runtime", ["wasmtime", "wasmi"])
def test_own_programs_same_outcome_in_the_image(runtime, own):
    _needs(runtime)
    local = EngineSpec(runtime, get_adapter(runtime).default_tier)
    if not get_adapter(runtime).available(local.tier):
        pytest.skip(f"{local} is not available here to compare with")
    boxed = EngineSpec(f"{runtime}@docker", local.tier)
    outcomes = {t.id: (run_test(local, t, 60).outcome, run_test(boxed, t, 60).outcome) for t in own}
    assert {k: v for k, v in outcomes.items() if v[0] != v[1]} == {}
    assert _no_leftovers() == []


def test_a_hanging_program_is_killed_and_its_container_removed(tmp_path):
    _needs("wasmtime")
    wasm = tmp_path / "spin.wasm"
    wasm.write_bytes(SPIN)
    t0 = time.monotonic()
    result = run_program(EngineSpec("wasmtime@docker", "cranelift"), Invocation(wasm), timeout=5)
    assert result.timed_out and time.monotonic() - t0 < 30
    assert _no_leftovers() == []


def test_ctrl_c_leaves_no_container(tmp_path):
    _needs("wasmtime")
    wasm = tmp_path / "spin.wasm"
    wasm.write_bytes(SPIN)
    proc = subprocess.Popen([sys.executable, "-m", "harness", "run", "--engine", "wasmtime@docker", str(wasm)],
                            stderr=subprocess.DEVNULL)
    end = time.monotonic() + 30
    while not _ours(proc.pid) and time.monotonic() < end:  # until its container runs
        time.sleep(0.2)
    assert _ours(proc.pid), "the container never started"
    proc.send_signal(signal.SIGINT)
    assert proc.wait(timeout=30) in (130, -signal.SIGINT)  # exit 130, or dying of the signal as a shell shows 130
    assert _no_leftovers(proc.pid) == []


# _start grows memory by 2,000 pages (125 MiB) and writes a byte every 4 KiB, so all of it is resident
HOG = """(module (memory (export "memory") 1)
  (func (export "_start") (local $p i32)
    (drop (memory.grow (i32.const 2000)))
    (local.set $p (i32.const 65536))
    (loop $l
      (i32.store8 (local.get $p) (i32.const 1))
      (local.set $p (i32.add (local.get $p) (i32.const 4096)))
      (br_if $l (i32.lt_u (local.get $p) (i32.const 131137536))))))"""


def test_a_container_killed_by_the_oom_killer_says_so_in_one_line(tmp_path, monkeypatch):
    """With ``$HARNESS_CONTAINER_MEMORY`` below what the program needs, the kernel kills the runtime in its
    container: the run's message is the guard's line naming the out-of-memory killer and the fix, not a bare
    'exit code 137', and the container is gone.  The same program fits without the limit."""
    _needs("wasmtime")
    from harness.engine.text import parse_module
    from harness.wasi.runner import judge

    wasm = tmp_path / "hog.wasm"
    wasm.write_bytes(parse_module(HOG))
    engine = EngineSpec("wasmtime@docker", "cranelift")
    assert run_program(engine, Invocation(wasm), timeout=120).exit_code == 0
    monkeypatch.setenv("HARNESS_CONTAINER_MEMORY", "48m")
    result = run_program(engine, Invocation(wasm), timeout=120)
    assert result.exit_code == 137, result
    test = type("T", (), {"spec": type("S", (), {"exit_code": 0, "reads": [], "exact_output": False})()})()
    outcome, message = judge(test, result)
    assert outcome.value == "crash" and message.startswith("harness: the container "), message
    assert "out-of-memory killer" in message and "memory limit of 48m" in message and "fix:" in message
    assert _no_leftovers() == []


def test_perf_times_the_runtime_inside_the_container(tmp_path):
    _needs("wasmtime")
    hello = next(t for t in discover(build_own_suite()) if t.id.endswith("/hello"))
    argv = get_adapter("wasmtime@docker").run_command("cranelift", Invocation(Path(hello.path)), tmp_path)
    t0 = time.monotonic()
    m = run_measured(argv, None, tmp_path / "out", 120)
    elapsed = time.monotonic() - t0
    assert m.returncode == 0 and (tmp_path / "out").read_bytes().startswith(b"Hello")
    # the container's start (most of a second) is outside the helper's figures
    assert m.rss_exact and m.wall < elapsed / 2, (m.wall, elapsed)
