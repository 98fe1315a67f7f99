"""Several engines' signal handlers in one process: each fault still reaches the handler it belongs to.

Why: wasmtime, the LLVM tier (guard pages) and the singlepass tier (faults of generated code) each install
a SIGSEGV handler that passes faults it does not claim on to the one installed before it.  Two bugs lived
here: a tier re-installed its handler whenever another had replaced it, so two handlers became each other's
"previous" one and a wasmtime trap bounced between them until the stack overflowed (the process died with
no message); and the LLVM tier's handler, reached through one installed without ``SA_NODEFER``, left the
signal blocked when it jumped out, so the next fault of any engine killed the process; and a handler whose
tier was dropped (a benchmark's copy of the LLVM tier) had its code freed while still installed.  Each sequence runs
in a fresh process, since handlers, once installed, stay for the life of a process.
"""

from __future__ import annotations

import os
import platform
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

pytest.importorskip("wasmtime")
pytest.importorskip("llvmlite")

ROOT = Path(__file__).resolve().parents[2]

SCRIPT = textwrap.dedent('''
    import shutil, sys, tempfile
    from pathlib import Path
    import wasmtime
    from harness.engine import api
    from harness.engine.errors import Trap

    OOB = '(module (memory 1) (func (export "f") (result i32) (i32.load (i32.const 70000))))'

    def wasmtime_trap():
        eng = wasmtime.Engine()
        st = wasmtime.Store(eng)
        inst = wasmtime.Instance(st, wasmtime.Module(eng, OOB), [])
        try:
            inst.exports(st)["f"](st)
        except wasmtime.Trap:
            return "trap"
        return "no trap"

    def ours(tier, **opts):
        inst = api.Store(tier=tier, **opts).instantiate(api.Module.from_text(OOB))
        try:
            inst.invoke("f", [])
        except Trap as e:
            return str(e)
        return "no trap"

    copy = None
    for step in sys.argv[1].split(","):
        if step == "wasmtime":
            print(step, wasmtime_trap(), flush=True)
        elif step == "llvm":
            print(step, ours("llvm", bounds="guard", cache_dir=False), flush=True)
        elif step == "singlepass":
            print(step, ours("singlepass", cache_dir=False), flush=True)
        elif step == "llvmcopy":  # a second copy of the LLVM tier, as benchmarks/llvm_workloads.py --baseline loads
            if copy is None:
                sys.path.insert(0, sys.argv[2])
                import llvm_workloads
                from harness.engine.tiers.llvm import compiler
                where = Path(tempfile.mkdtemp()) / "llvm_copy"
                shutil.copytree(Path(compiler.__file__).parent, where,
                                ignore=shutil.ignore_patterns("__pycache__"))
                copy = llvm_workloads.register_baseline(where, tier="llvm_chain_copy")
            print(step, ours(copy, bounds="guard", cache_dir=False), flush=True)
        elif step == "dropcopy":  # the benchmark drops its copy: the handler it installed must outlive it
            import gc
            api.TIERS.pop(copy, None)
            for name in [m for m in sys.modules if m.startswith("harness.engine.tiers.llvm_chain_copy")]:
                del sys.modules[name]
            gc.collect()
            print(step, "dropped", flush=True)
    print("alive")
''')

SEQUENCES = [
    "wasmtime,llvm,llvmcopy,llvm,wasmtime",
    "wasmtime,llvm,singlepass,llvm,wasmtime",
    "wasmtime,singlepass,llvm,singlepass,wasmtime",
    "llvm,wasmtime,singlepass,llvmcopy,llvm,singlepass,wasmtime,llvm,wasmtime",
    "wasmtime,llvm,llvmcopy,dropcopy,llvm,singlepass,llvm,wasmtime",
]


@pytest.mark.skipif(sys.platform != "linux" or platform.machine() != "x86_64",
                    reason="guard pages and the singlepass tier: Linux x86-64")
@pytest.mark.parametrize("sequence", SEQUENCES)
def test_every_trap_reaches_its_engine(sequence: str, tmp_path: Path) -> None:
    script = tmp_path / "chain.py"
    script.write_text(SCRIPT)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}  # this checkout's harness, whatever the venv points at
    done = subprocess.run([sys.executable, str(script), sequence, str(ROOT / "benchmarks")], cwd=ROOT,
                          env=env, capture_output=True, text=True, timeout=600)
    lines = done.stdout.splitlines()
    assert done.returncode == 0 and lines[-1:] == ["alive"], (
        f"exit {done.returncode} after {lines[-1:] or 'nothing'}\n{done.stderr[-2000:]}")
    steps = sequence.split(",")
    assert [ln.split(" ", 1)[0] for ln in lines[:-1]] == steps
    for ln in lines[:-1]:
        step, outcome = ln.split(" ", 1)
        assert outcome == {"wasmtime": "trap", "dropcopy": "dropped"}.get(step, "out of bounds memory access"), ln
