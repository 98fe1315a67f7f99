"""Guard-page bounds checks in the LLVM tier (``bounds="guard"``, ``tiers/llvm/faults.py``): an access past
the memory's size faults on its reservation and becomes the wasm trap, exactly where and when the spec says;
a fault anywhere else stays a crash; the handler survives ``faulthandler``, nesting, other stores and
threads."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import threading
from pathlib import Path

import pytest

pytest.importorskip("llvmlite")

from test_llvm_tier import load  # noqa: E402

from harness.engine import errors, syntax  # noqa: E402
from harness.engine.runtime import FuncInstance, MemoryInstance  # noqa: E402
from harness.engine.runtime.memory import GUARDED_RESERVATION  # noqa: E402
from harness.engine.tiers.llvm import faults  # noqa: E402
from harness.engine.tiers.llvm.compiler import object_key  # noqa: E402
from harness.engine.tiers.llvm.tier import LLVMTier  # noqa: E402

pytestmark = pytest.mark.skipif(not faults.supported(), reason="guard pages need Linux on x86-64 or aarch64")

OPT_LEVELS = [0, 2]
OOB = "out of bounds memory access"

ACCESSES = """
(module
  (memory (export "mem") 1 4)
  (global $g (export "g") (mut i32) (i32.const 0))
  (func (export "load") (param i32) (result i32) (i32.load (local.get 0)))
  (func (export "load8") (param i32) (result i32) (i32.load8_u offset=7 (local.get 0)))
  (func (export "load64") (param i32) (result i64) (i64.load offset=4294967295 (local.get 0)))
  (func (export "drop32") (param i32) (drop (i32.load (local.get 0))))
  (func (export "drop_far") (param i32) (drop (i64.load offset=4294967295 (local.get 0))))
  (func (export "drop_v128") (param i32) (drop (v128.load (local.get 0))))
  (func (export "unused_product") (param i32) (result i32) (i32.mul (i32.load (local.get 0)) (i32.const 0)))
  (func (export "store") (param i32 i32) (i32.store (local.get 0) (local.get 1)))
  (func (export "then_trap") (param i32)
    (i32.store (i32.const 16) (i32.const 77))
    (global.set $g (i32.const 5))
    (drop (i32.load (local.get 0)))
    (i32.store (i32.const 16) (i32.const 88))
    (global.set $g (i32.const 6)))
  (func (export "loop_store") (param i32 i32)
    (loop $l
      (i32.store8 (local.get 0) (i32.const 1))
      (global.set $g (i32.add (global.get $g) (i32.const 1)))
      (local.set 0 (i32.add (local.get 0) (i32.const 1)))
      (br_if $l (local.tee 1 (i32.sub (local.get 1) (i32.const 1))))))
  (func (export "grow") (param i32) (result i32) (memory.grow (local.get 0)))
)"""


def guarded(wat: str, opt: int, imports: dict | None = None):
    tier, inst = load(wat, opt, imports, bounds="guard")
    assert tier.bounds == "guard"
    return tier, inst, (lambda name, *a: tier.run(inst.exports[name], list(a)))


def traps(call, *args, kind: str = OOB) -> None:
    with pytest.raises(errors.Trap) as e:
        call(*args)
    assert e.value.kind == kind


@pytest.mark.parametrize("opt", OPT_LEVELS)
def test_out_of_bounds_accesses_trap_at_the_exact_edge(opt):
    tier, inst, call = guarded(ACCESSES, opt)
    assert call("load", 65532) == [0]
    traps(call, "load", 65533)
    traps(call, "load", 0xFFFFFFFF)
    assert call("load8", 65528) == [0]
    traps(call, "load8", 65529)
    traps(call, "load64", 0)  # the farthest any access reaches: 4 GiB - 1 + 4 GiB - 1 + 8
    traps(call, "load64", 0xFFFFFFFF)
    traps(call, "store", 65533, 1)
    assert call("grow", 1) == [1]  # the new page is accessible at once, the one after it still faults
    call("store", 65536 * 2 - 4, 0x12345678)
    assert call("load", 65536 * 2 - 4) == [0x12345678]
    traps(call, "load", 65536 * 2 - 3)
    inst.exports["mem"].grow(1)  # grown by the host
    assert call("load", 65536 * 3 - 4) == [0]


@pytest.mark.parametrize("opt", OPT_LEVELS)
def test_a_store_straddling_the_end_writes_nothing(opt):
    tier, inst, call = guarded(ACCESSES, opt)
    traps(call, "store", 65534, 0x11223344)
    assert inst.exports["mem"].read(65532, 4) == bytes(4)


def test_auto_picks_guard_pages_on_x86_64_linux_with_room_only():
    import platform

    from harness.engine.runtime.memory import address_space_limit

    expected = "guard" if (sys.platform.startswith("linux") and platform.machine() in ("x86_64", "amd64")
                           and address_space_limit() >= 1 << 40) else "explicit"
    assert LLVMTier(cache_dir=False).bounds == expected


@pytest.mark.parametrize("opt", OPT_LEVELS)
def test_loads_whose_value_is_unused_still_trap(opt):
    """LLVM deletes an ordinary load whose value is unused; a guard-mode load must stay and fault."""
    tier, inst, call = guarded(ACCESSES, opt)
    call("drop32", 0)
    for name in ("drop32", "drop_far", "drop_v128", "unused_product"):
        traps(call, name, 65536)
    traps(call, "drop_far", 0)


@pytest.mark.parametrize("opt", OPT_LEVELS)
def test_effects_before_the_faulting_access_are_visible_after_it(opt):
    """A store to memory and a global.set before the access that traps happened; the ones after it did
    not -- LLVM may neither sink the first past the faulting load nor hoist the second above it."""
    tier, inst, call = guarded(ACCESSES, opt)
    traps(call, "then_trap", 70000)
    assert inst.exports["mem"].read(16, 4) == (77).to_bytes(4, "little")
    assert inst.exports["g"].value == 5
    inst.exports["g"].value = 0
    # a loop that updates a global every round and runs off the end of memory: each finished round counts
    traps(call, "loop_store", 65530, 100)
    assert inst.exports["g"].value == 6
    assert inst.exports["mem"].read(65530, 6) == b"\x01" * 6


def test_trap_inside_a_host_call_inside_compiled_code_unwinds_the_inner_call_only():
    wat = """(module (import "env" "cb" (func $cb (param i32) (result i32))) (memory 1)
      (func (export "outer") (param i32) (result i32) (i32.add (call $cb (local.get 0)) (i32.const 1)))
      (func (export "inner") (param i32) (result i32) (i32.load (local.get 0))))"""
    holder = {}
    caught = []

    def cb(x):
        try:
            return holder["tier"].run(holder["inst"].exports["inner"], [x])[0]
        except errors.Trap as e:
            caught.append(e.kind)
            return 41

    imports = {"env": {"cb": FuncInstance(syntax.FuncType(("i32",), ("i32",)), host=cb)}}
    tier, inst, call = guarded(wat, 2, imports)
    holder.update(tier=tier, inst=inst)
    assert call("outer", 0) == [1]
    assert call("outer", 65536) == [42]  # the inner call trapped, the outer one carried on
    assert caught == [OOB]


def test_trap_in_another_store_called_from_a_host_function():
    """Two stores, one State each: the fault belongs to the innermost entry on this thread's stack."""
    other_tier, other, _ = guarded('(module (memory 1) (func (export "f") (param i32) (result i32) '
                                   '(i32.load (local.get 0))))', 2)

    def cb(x):
        try:
            return other_tier.run(other.exports["f"], [x])[0]
        except errors.Trap:
            return 7

    wat = """(module (import "env" "cb" (func $cb (param i32) (result i32))) (memory 1)
      (func (export "outer") (param i32) (result i32) (call $cb (local.get 0)))
      (func (export "own") (param i32) (result i32) (i32.load (local.get 0))))"""
    imports = {"env": {"cb": FuncInstance(syntax.FuncType(("i32",), ("i32",)), host=cb)}}
    tier, inst, call = guarded(wat, 2, imports)
    assert call("outer", 65536) == [7]
    traps(call, "own", 65536)
    assert call("outer", 0) == [0]


def test_out_of_bounds_access_on_another_thread_is_that_threads_trap():
    tier, inst, call = guarded(ACCESSES, 2)
    results = {}

    def worker():
        try:
            call("load", 65536)
        except errors.Trap as e:
            results["kind"] = e.kind
        results["ok"] = call("load", 0)

    t = threading.Thread(target=worker)
    t.start()
    t.join(60)
    assert results == {"kind": OOB, "ok": [0]}
    traps(call, "load", 65536)


def test_auto_falls_back_to_explicit_checks_when_the_handler_cannot_be_installed(monkeypatch):
    def broken(cache=None):
        raise OSError(22, "sigaction(SIGSEGV) failed")

    monkeypatch.setattr(faults, "guard", broken)
    monkeypatch.setattr(faults, "preferred", lambda: True)
    with pytest.warns(UserWarning, match="explicit bounds checks"):
        tier = LLVMTier(cache_dir=False)
    assert tier.bounds == "explicit" and not tier.native.guard
    with pytest.raises(OSError):
        LLVMTier(cache_dir=False, bounds="guard")  # asked for by name: the failure is reported


def test_explicit_mode_still_checks_and_is_cached_apart():
    tier, inst = load(ACCESSES, 2, bounds="explicit")
    with pytest.raises(errors.Trap):
        tier.run(inst.exports["drop32"], [65536])
    assert object_key(b"m", 2, bounds="guard") != object_key(b"m", 2, bounds="explicit")
    with pytest.raises(ValueError, match="bounds"):
        LLVMTier(cache_dir=False, bounds="pages")


def test_memory_without_a_guarded_reservation_is_refused_with_advice():
    mem = MemoryInstance(syntax.MemType(syntax.Limits(1, 1)))
    assert mem.guarded and mem.reserved == GUARDED_RESERVATION
    mem.guarded = False  # as when the host could not reserve 8 GiB of address space
    wat = '(module (import "env" "m" (memory 1 1)) (func (export "f") (result i32) (i32.load (i32.const 0))))'
    with pytest.raises(MemoryError, match="bounds='explicit'"):
        load(wat, 0, {"env": {"m": mem}}, bounds="guard")


def test_under_an_address_space_limit_auto_uses_explicit_checks_and_many_memories_fit():
    # ulimit -v 5 GiB: not one guarded 8 GiB reservation fits, so "auto" must not pick guard pages, and
    # memories take small reservations that 30 live stores can share
    proc = _run("""
        import resource
        resource.setrlimit(resource.RLIMIT_AS, (5 << 30, resource.getrlimit(resource.RLIMIT_AS)[1]))
        from harness.engine.runtime import memory
        if memory._reserve(memory.GUARDED_RESERVATION) is not None:
            sys.exit("limit not enforced")  # qemu-user ignores a guest's RLIMIT_AS
        from test_llvm_guard import ACCESSES
        from test_llvm_tier import load
        from harness.engine import errors
        from harness.engine.tiers.llvm.tier import LLVMTier
        assert LLVMTier(cache_dir=False).bounds == "explicit"
        kept = []
        for _ in range(30):
            tier, inst = load(ACCESSES, 0)
            kept.append((tier, inst))
            mem = inst.exports["mem"]
            assert not mem.guarded and mem.max_reachable == 4, (mem.reserved, mem.max_reachable)
            assert tier.run(inst.exports["grow"], [3]) == [1]
            assert tier.run(inst.exports["grow"], [1]) == [0xFFFFFFFF]  # -1 as u32
            try:
                tier.run(inst.exports["load"], [4 * 65536 - 3])
            except errors.Trap as e:
                assert e.kind == "out of bounds memory access", e.kind
            else:
                raise AssertionError("no trap past the end")
        print("ok")
    """)
    if "limit not enforced" in proc.stderr:
        pytest.skip("this host does not enforce RLIMIT_AS (qemu-user ignores it)")
    assert proc.returncode == 0 and "ok" in proc.stdout, proc.stderr


def test_registries_reuse_the_entries_of_freed_memories_and_stores():
    import gc

    guard = faults.guard()
    for _ in range(3):
        for _ in range(40):
            guarded(ACCESSES, 0)
        gc.collect()
    assert len(guard.memories.slots) < 40
    assert guard.memories.arrays[-1][0] <= 64
    assert guard.states.arrays[-1][0] <= 64


def _run(code: str) -> subprocess.CompletedProcess:
    prelude = f"import sys; sys.path.insert(0, {str(Path(__file__).parent)!r})\n"
    return subprocess.run([sys.executable, "-c", prelude + textwrap.dedent(code)], capture_output=True,
                          text=True, timeout=120)


def test_faulthandler_enabled_later_does_not_turn_a_trap_into_a_crash():
    proc = _run("""
        import faulthandler
        from test_llvm_guard import ACCESSES, guarded
        from harness.engine import errors
        tier, inst, call = guarded(ACCESSES, 2)
        faulthandler.enable()
        try:
            call("load", 65536)
        except errors.Trap as e:
            print("trap:", e.kind)
        faulthandler.disable()
        try:
            call("load", 65536)
        except errors.Trap as e:
            print("trap:", e.kind)
    """)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines() == [f"trap: {OOB}"] * 2
    assert "Fatal Python error" not in proc.stderr


@pytest.mark.parametrize("with_faulthandler", [False, True])
def test_a_fault_outside_wasm_memory_is_still_a_crash(with_faulthandler):
    """The handler passes on what is not its own: a bad pointer in the process dies of SIGSEGV as before,
    through faulthandler's report when that was enabled first."""
    proc = _run(f"""
        import ctypes, faulthandler
        if {with_faulthandler}:
            faulthandler.enable()
        from test_llvm_guard import ACCESSES, guarded
        tier, inst, call = guarded(ACCESSES, 2)
        print("ready", flush=True)
        ctypes.string_at(8)
        print("survived")
    """)
    assert proc.stdout.strip() == "ready"
    assert proc.returncode == -11  # SIGSEGV
    assert ("Fatal Python error: Segmentation fault" in proc.stderr) == with_faulthandler


def test_a_finalizer_running_inside_the_locked_registry_does_not_deadlock():
    """The garbage collector may run a dead memory's finalizer while this thread holds the registry lock
    (it did: an allocation inside ``guard()`` collected a store, and the test run hung)."""
    guard = faults.guard()
    guard.memories.add(12345, (1 << 40, (1 << 40) + 4096))
    done = threading.Event()

    def inside_the_lock():
        with faults._lock:
            faults._unregister(guard.memories, 12345)
        done.set()

    t = threading.Thread(target=inside_the_lock, daemon=True)
    t.start()
    assert done.wait(10), "unregistering a memory under the registry lock blocked"
    faults.check()  # drains the queue
    assert 12345 not in guard.memories.slots
