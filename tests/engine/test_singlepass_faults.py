"""A signal from the singlepass tier's generated code is reported, not fatal (``singlepass/faults.py``).

Valid wasm never makes our code fault, so each test plants the fault: the code generator's ``nop`` handler is
replaced by one that emits a faulting instruction (a load from address 16, ``ud2``, a division by zero
without the check).  The call then raises ``GeneratedCodeFault`` naming the signal and the function, the
store stays usable, and the spec executor reports that one check as an engine crash and runs the rest of the
file.  A fault anywhere else still ends the process as it would without the tier.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from harness.engine import api
from harness.engine.errors import Trap
from harness.engine.tiers.singlepass import isa, unavailable_reason
from harness.engine.tiers.singlepass.faults import GeneratedCodeFault
from harness.engine.tiers.singlepass.x86_64 import codegen
from harness.engine.tiers.singlepass.x86_64.encoder import R10, R11, RAX, RDX, Mem
from harness.paths import REPO_ROOT

pytestmark = pytest.mark.skipif(bool(unavailable_reason()), reason=unavailable_reason() or "available")
X86_PLANTS = pytest.mark.skipif(isa() != "x86_64", reason="plants x86-64 instructions (the aarch64 plants: "
                                "test_singlepass_aarch64_native.py)")

SRC = """(module (memory 1)
  (func $boom (export "boom") (result i32) nop (i32.const 1))
  (func (export "fine") (result i32) (i32.const 2))
  (func (export "oob") (result i32) (i32.load (i32.const 70000))))"""


def _segv(self, ins) -> None:
    self.a.alu_rr("xor", R11, R11, True)
    self.a.load(R11, Mem(R11, 16))


def _ill(self, ins) -> None:
    self.a.ud2()


def _fpe(self, ins) -> None:
    self.a.alu_rr("xor", R10, R10, False)
    self.a.alu_rr("xor", RDX, RDX, False)
    self.a.mov_ri(RAX, 1, w=False)
    self.a.unary("div", R10, False)


@X86_PLANTS
@pytest.mark.parametrize(("emit", "signal_name"), [(_segv, "SIGSEGV"), (_ill, "SIGILL"), (_fpe, "SIGFPE")])
def test_a_signal_in_generated_code_raises_naming_the_function(monkeypatch, emit, signal_name: str) -> None:
    monkeypatch.setitem(codegen.FunctionCompiler.HANDLERS, "nop", emit)
    store = api.Store(tier="singlepass", cache_dir=False)  # planted code must not reach the code cache
    inst = store.instantiate(api.Module.from_text(SRC))
    for _ in range(2):  # the handler stays in place, and the unwinding leaves the store usable
        with pytest.raises(GeneratedCodeFault, match=rf"{signal_name} in generated code at function 0 \(\$boom\)"):
            inst.invoke("boom", [])
        assert inst.invoke("fine", []) == [2]
        with pytest.raises(Trap, match="out of bounds memory access"):
            inst.invoke("oob", [])


@X86_PLANTS
def test_the_spec_executor_reports_a_crash_for_the_check_and_goes_on(monkeypatch, tmp_path: Path) -> None:
    from harness.outcomes import Outcome
    from harness.spec.convert import convert
    from harness.spec.drivers.ours import OursDriver
    from harness.spec.executor import run_script
    from harness.spec.script import load_script

    monkeypatch.setitem(codegen.FunctionCompiler.HANDLERS, "nop", _segv)
    monkeypatch.setenv("HARNESS_SINGLEPASS_CACHE", str(tmp_path / "cache"))  # planted code stays here
    wast = tmp_path / "planted.wast"
    wast.write_text(SRC + '\n(assert_return (invoke "fine") (i32.const 2))\n(assert_return (invoke "boom") '
                    '(i32.const 1))\n(assert_return (invoke "fine") (i32.const 2))\n'
                    '(assert_trap (invoke "oob") "out of bounds memory access")\n')
    driver = OursDriver("singlepass")
    try:
        outcomes = list(run_script(driver, load_script(convert(wast))))
    finally:
        driver.close()
    assert [o.outcome for o in outcomes] == [Outcome.PASS, Outcome.PASS, Outcome.CRASH, Outcome.PASS, Outcome.PASS]
    assert "SIGSEGV in generated code" in outcomes[2].message


PROGRAM = """
import ctypes, faulthandler, sys
if sys.argv[1] == "faulthandler":
    faulthandler.enable()
from harness.engine import api
store = api.Store(tier="singlepass")
inst = store.instantiate(api.Module.from_text('(module (func (export "f") (result i32) (i32.const 3)))'))
assert inst.invoke("f", []) == [3]
print("handler installed", flush=True)
if sys.argv[2] == "kill":
    import os, signal
    os.kill(os.getpid(), signal.SIGSEGV)
else:
    ctypes.string_at(16)
print("survived", flush=True)
"""


@pytest.mark.parametrize("how", ["fault", "kill"])
@pytest.mark.parametrize("handler", ["faulthandler", "default"])
def test_a_fault_elsewhere_still_ends_the_process(handler: str, how: str) -> None:
    p = subprocess.run([sys.executable, "-c", PROGRAM, handler, how], capture_output=True, text=True, timeout=120,
                       cwd=REPO_ROOT)
    assert "handler installed" in p.stdout and "survived" not in p.stdout, (p.stdout, p.stderr)
    assert p.returncode == -11, (p.returncode, p.stderr[-2000:])
    if handler == "faulthandler":
        assert "Fatal Python error: Segmentation fault" in p.stderr


COLLECTING = """
import gc
from harness.engine import api
from harness.engine.tiers.singlepass import faults
gc.set_threshold(1, 1, 1)  # collect at nearly every allocation
for k in range(60):
    store = api.Store(tier="singlepass", cache_dir=False)
    inst = store.instantiate(api.Module.from_text(f'(module (func (export "f") (result i32) (i32.const {k})))'))
    assert inst.invoke("f", []) == [k]
    del store, inst
gc.collect()
guard = faults.guard()
guard.drain()
print(len(guard.ranges))
"""


def test_code_blocks_collected_while_others_register_do_not_deadlock() -> None:
    """A block's finalizer may run inside another block's registration (a collection triggered by an
    allocation there): it must not take the registry's lock (a smith run of thousands of modules hung so).
    In a child process, so that a deadlock fails the test instead of hanging it."""
    p = subprocess.run([sys.executable, "-c", COLLECTING], capture_output=True, text=True, timeout=120,
                       cwd=REPO_ROOT)
    assert p.returncode == 0, p.stderr[-2000:]
    assert int(p.stdout) < 60  # the collected blocks' ranges were dropped
