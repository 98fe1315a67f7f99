"""Running an engine from outside the harness (declared in TOML, or a plugin package) through ``harness
spec``, ``wasi``, ``run`` and ``perf`` in subprocesses, as a runtime author would: the shared steps of
``test_declared_wasmtime.py`` and ``test_plugins.py``."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

from harness.engine.text import parse_module
from harness.paths import cache_dir

GREETING = "hello from an engine\n"
HELLO_WAT = """(module
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 16) "hello from an engine\\n")
  (func (export "_start")
    (i32.store (i32.const 0) (i32.const 16)) (i32.store (i32.const 4) (i32.const 21))
    (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))))"""


def harness(env: dict[str, str], *args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "harness", *args], env=env, cwd=cwd, capture_output=True,
                          text=True, timeout=600)


def hello(tmp_path: Path) -> Path:
    wasm = tmp_path / "hello.wasm"
    wasm.write_bytes(parse_module(HELLO_WAT))
    return wasm


def runs_a_program(env: dict[str, str], engine: str, tmp_path: Path, *global_args: str) -> None:
    r = harness(env, *global_args, "run", "--engine", engine, str(hello(tmp_path)))
    assert (r.returncode, r.stdout) == (0, GREETING), r.stderr


def runs_the_wasi_suite(env: dict[str, str], engine: str, tmp_path: Path) -> dict:
    suite = tmp_path / "wasi-suite"
    suite.mkdir()
    shutil.copy(hello(tmp_path), suite / "hello.wasm")
    (suite / "hello.json").write_text(json.dumps({"exit_code": 0, "stdout": GREETING}))
    out = tmp_path / "wasi.json"
    r = harness(env, "wasi", "--engines", engine, "--suite-dir", str(suite), "--no-store", "--json", str(out))
    assert r.returncode == 0, r.stdout + r.stderr
    assert "1/1" in r.stdout, r.stdout
    return json.loads(out.read_text())


def runs_spec_files(env: dict[str, str], engine: str, tmp_path: Path, *selection: str) -> dict:
    """``harness spec`` with ``selection`` (``--file``, ``--suite-dir``...): the JSON summary."""
    out = tmp_path / "spec.json"
    r = harness(env, "spec", "--engines", engine, *selection, "--no-store", "--json", str(out))
    assert r.returncode == 0, r.stdout + r.stderr
    return json.loads(out.read_text())


def fake_perf_cache(cache: Path, wasm32: Path, native_script: str) -> None:
    """A perf cache under ``cache`` holding the micro workload ``calls``, built: ``native_script`` (a shell
    script) as its native64 build, whose output the engine's must equal, ``wasm32`` as its wasm32 build,
    and no native32 build.  The rusage helper is copied in when it was built already (it spares a zig build)."""
    bins = cache / "perf" / "bin"
    native = bins / "native64" / "calls"
    native.parent.mkdir(parents=True)
    native.write_text(native_script)
    native.chmod(0o755)
    (bins / "wasm32").mkdir()
    shutil.copy(wasm32, bins / "wasm32" / "calls.wasm")
    for target, path in (("native64", native), ("native32", None), ("wasm32", bins / "wasm32" / "calls.wasm")):
        (bins / target).mkdir(exist_ok=True)
        (bins / target / "calls.json").write_text(json.dumps({
            "program": "calls", "target": target, "ok": path is not None, "path": str(path) if path else None,
            "argv": [], "seconds": 0.0, "sha256": "0" * 64, "message": "", "key": "test"}))
    helper = cache_dir() / "perf" / "tools" / "rusage_exec"
    if helper.exists():
        (cache / "perf" / "tools").mkdir(parents=True)
        shutil.copy2(helper, cache / "perf" / "tools" / "rusage_exec")


def times_a_workload(env: dict[str, str], engine: str, tmp_path: Path) -> None:
    """``harness perf`` on a perf cache holding one micro workload's builds (a shell script stands in for
    the native build, whose output the engine's must equal)."""
    env = {**env, "HARNESS_CACHE": str(tmp_path / "cache")}
    fake_perf_cache(tmp_path / "cache", hello(tmp_path), f"#!/bin/sh\nprintf '{GREETING.strip()}\\n'\n")
    out = tmp_path / "perf.json"
    r = harness(env, "perf", "--engines", engine, "--workloads", "micro-calls", "--metrics", "throughput",
                "--repeat", "1", "--warmup", "0", "--db", str(tmp_path / "r.db"), "--json", str(out))
    assert r.returncode == 0, r.stdout + r.stderr
    lines = {ln["engine"]: ln for ln in json.loads(out.read_text())["table"]}
    assert lines[engine]["outcome"] == "ok", lines
