"""What one process of our engine imports before it runs a program (``python -m harness.wasi.child``, which
``harness run`` and every WASI test and perf run start): the modules a start does not need stay out,
as each costs milliseconds on every run (``dataclasses`` and ``inspect`` alone cost 35 ms of 115 on a
slow core).  A warm ``ours:llvm`` start needs neither LLVM nor anything only a compile uses."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from harness.engine.text import parse_module

# Imported only when they are needed: a compile (LLVM, the partition workers' json and argparse, the cache
# writer's tempfile), an error (traceback), or never on this path (dataclasses, inspect, platformdirs).
NOT_ON_A_WARM_START = ("dataclasses", "inspect", "tempfile", "shutil", "json", "traceback", "platformdirs",
                       "llvmlite.binding", "harness.engine.tiers.llvm.translate",
                       "harness.engine.tiers.llvm.partition")

RUN_CHILD = """
import sys
watch = sys.argv[1].split(",")
from harness.wasi import child  # what `python -m harness.wasi.child` runs, minus its os._exit
code = child.main(sys.argv[2:])
print("exit", code, "imported", ",".join(m for m in watch if m in sys.modules) or "-", file=sys.__stderr__)
"""

@pytest.mark.parametrize("tier", ["interp", "llvm"])
def test_a_warm_start_imports_only_what_it_runs(tmp_path, tier):
    wasm = tmp_path / "hello.wasm"
    wasm.write_bytes(parse_module('(module (memory (export "memory") 1) (func (export "_start")))'))
    script = tmp_path / "run_child.py"
    script.write_text(RUN_CHILD)
    env = {**os.environ, "HARNESS_LLVM_CACHE": str(tmp_path / "cache")}
    env.pop("HARNESS_LLVM_LOADER", None)
    cmd = [sys.executable, str(script), ",".join(NOT_ON_A_WARM_START), "--engine", f"ours:{tier}", str(wasm)]
    runs = [subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=120) for _ in range(2)]
    last = runs[1].stderr.strip().splitlines()[-1]
    assert last.startswith("exit 0 imported"), runs[0].stderr + runs[1].stderr
    assert last == "exit 0 imported -", f"a warm ours:{tier} start imported: {last.split()[-1]}"
