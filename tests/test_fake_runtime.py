"""Adding a runtime is one adapter module and one registry line: a fake runtime, written here into a
temporary package and named in ``$HARNESS_ADAPTERS`` (the registry's line for extra adapters), is seen by
``harness spec``, ``harness wasi``, ``harness run`` and ``harness perf`` with nothing else changed.

The fake is our interpreter under another name; each stage must reach it through its adapter (the module
logs every call), so a stage that kept a list of its own would fail here.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from stage_runs import fake_perf_cache

from harness.adapters.registry import EXTRA_ENV
from harness.engine.text import parse_module
from harness.paths import REPO_ROOT

FAKE_ADAPTER = '''
"""A fake runtime for tests: our interpreter under the name ``fake``."""

import os
from pathlib import Path

from harness.adapters.base import ALL, Adapter, Availability, Invocation, child_command
from harness.spec.drivers.ours import OursDriver


def _log(what: str) -> None:
    with open(os.environ["FAKE_RUNTIME_LOG"], "a") as f:
        f.write(what + "\\n")


class FakeDriver(OursDriver):
    def __init__(self, tier: str) -> None:
        _log("spec_driver")
        super().__init__("interp")


class FakeAdapter(Adapter):
    def __init__(self) -> None:
        super().__init__(runtime="fake", tiers=("interp",), default_tier="interp", description="a test's fake",
                         capabilities_by_tier={"interp": ALL}, spec_driver="fake_runtime:FakeDriver")

    def _probe(self, tier: str) -> Availability:
        return Availability(True)

    def wasi_command(self, tier: str, inv: Invocation, scratch: Path) -> list[str]:
        _log("wasi_command")
        return child_command("ours:interp", inv)


ADAPTER = FakeAdapter()
'''

HELLO_WAT = """(module
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 16) "hi from fake\\n")
  (func (export "_start")
    (i32.store (i32.const 0) (i32.const 16)) (i32.store (i32.const 4) (i32.const 13))
    (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))))"""


@pytest.fixture
def fake(tmp_path):
    """(env, log path, hello.wasm): the environment that registers the fake runtime."""
    pkg = tmp_path / "pkg"
    pkg.mkdir()
    (pkg / "fake_runtime.py").write_text(FAKE_ADAPTER)
    wasm = tmp_path / "hello.wasm"
    wasm.write_bytes(parse_module(HELLO_WAT))
    log = tmp_path / "calls.log"
    env = {**os.environ, EXTRA_ENV: "fake_runtime", "FAKE_RUNTIME_LOG": str(log),
           "PYTHONPATH": os.pathsep.join([str(pkg), str(REPO_ROOT), os.environ.get("PYTHONPATH", "")])}
    return env, log, wasm


def _harness(env: dict[str, str], *args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "harness", *args], env=env, cwd=cwd, capture_output=True,
                          text=True, timeout=600)


def _calls(log: Path) -> list[str]:
    calls = log.read_text().split() if log.exists() else []
    log.unlink(missing_ok=True)
    return calls


def test_harness_runtimes_lists_it(fake):
    env, _, _ = fake
    rows = {row["engine"]: row for row in json.loads(_harness(env, "runtimes", "--json").stdout)}
    assert rows["fake:interp"]["available"]


def test_harness_run_runs_it(fake):
    env, log, wasm = fake
    r = _harness(env, "run", "--engine", "fake", str(wasm))
    assert (r.returncode, r.stdout) == (0, "hi from fake\n"), r.stderr
    assert _calls(log) == ["wasi_command"]


def test_harness_wasi_runs_it(fake, tmp_path):
    env, log, wasm = fake
    suite = tmp_path / "wasi-suite"
    suite.mkdir()
    shutil.copy(wasm, suite / "hello.wasm")
    (suite / "hello.json").write_text(json.dumps({"exit_code": 0, "stdout": "hi from fake\n"}))
    out = tmp_path / "wasi.json"
    r = _harness(env, "wasi", "--engines", "fake", "--suite-dir", str(suite), "--no-store", "--json", str(out))
    assert r.returncode == 0, r.stdout + r.stderr
    assert "fake:interp" in r.stdout and "1/1" in r.stdout
    assert _calls(log) == ["wasi_command"]


def test_harness_spec_runs_it(fake, tmp_path):
    env, log, _ = fake
    out = tmp_path / "spec.json"
    r = _harness(env, "spec", "--engines", "fake", "--file", "globals.wast", "--no-store", "--json", str(out))
    assert r.returncode == 0, r.stdout + r.stderr
    assert "fake:interp" in out.read_text()
    assert _calls(log) == ["spec_driver"]


def test_harness_perf_times_it(fake, tmp_path):
    """A perf cache holding one micro workload's builds (a shell script stands in for the native build);
    the fake's output is checked against native64's."""
    env, log, wasm = fake
    env = {**env, "HARNESS_CACHE": str(tmp_path / "cache")}
    fake_perf_cache(tmp_path / "cache", wasm, "#!/bin/sh\necho hi from fake\n")
    out = tmp_path / "perf.json"
    r = _harness(env, "perf", "--engines", "fake", "--workloads", "micro-calls", "--metrics", "throughput",
                 "--repeat", "1", "--warmup", "0", "--db", str(tmp_path / "r.db"), "--json", str(out))
    assert r.returncode == 0, r.stdout + r.stderr
    lines = {ln["engine"]: ln for ln in json.loads(out.read_text())["table"]}
    assert lines["fake:interp"]["outcome"] == "ok", lines
    assert _calls(log) == ["wasi_command"]
