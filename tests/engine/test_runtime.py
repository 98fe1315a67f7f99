"""Runtime objects and instantiation (harness.engine.runtime), independent of any tier's code."""

from __future__ import annotations

import ctypes
import subprocess
import sys
from pathlib import Path

import pytest

from harness.engine import api
from harness.engine.errors import LinkError, Trap
from harness.engine.runtime import GlobalInstance, MemoryInstance, TableInstance
from harness.engine.runtime.memory import GUARD_BOUNDED, GUARDED_RESERVATION, reservation_sizes
from harness.engine.syntax import FuncType, GlobalType, Limits, MemType, TableType

WASM_TOOLS = Path(__file__).resolve().parents[2] / ".venv" / "bin" / "wasm-tools"


def wat(src: str) -> api.Module:
    data = subprocess.run([str(WASM_TOOLS), "parse", "-"], input=src.encode(), capture_output=True,
                          check=True, timeout=30).stdout
    return api.Module.from_bytes(data)


def test_memory_grow_keeps_address_and_resizes_buf():
    mem = MemoryInstance(MemType(Limits(1, 3)))
    base = mem.address
    assert len(mem.buf) == 65536 and mem.size == 1
    mem.write(65530, b"abcdef")
    assert mem.grow(2) == 1
    assert mem.address == base and len(mem.buf) == 3 * 65536
    assert len(mem.u32) == 3 * 16384 and mem.u32[65528 // 4] == int.from_bytes(mem.read(65528, 4), "little")
    assert mem.read(65530, 6) == b"abcdef"
    assert mem.grow(1) == -1 and mem.size == 3
    assert mem.type.limits == Limits(3, 3)


def test_memory_address_points_at_the_bytes():
    mem = MemoryInstance(MemType(Limits(1)))
    mem.write(100, b"\x2a")
    assert ctypes.c_ubyte.from_address(mem.address + 100).value == 42
    assert mem.reserved >= (1 << 32)  # unbounded: 4 GiB plus guard reserved up front


def test_reservations_fall_back_from_guarded_to_the_maximum_then_halve_to_the_minimum():
    page = 65536
    assert reservation_sizes(1, 4, limit=float("inf")) == [
        GUARDED_RESERVATION, 4 * page + GUARD_BOUNDED, 2 * page + GUARD_BOUNDED, 1 * page + GUARD_BOUNDED]
    unbounded = reservation_sizes(3, None, guarded=False, limit=float("inf"))
    assert unbounded[0] == (1 << 32) + GUARD_BOUNDED and unbounded[-1] == 3 * page + GUARD_BOUNDED
    assert unbounded == sorted(unbounded, reverse=True)
    # under a 6 GiB address-space limit: no guarded reservation, none over 1/64 of the limit (96 MiB)
    limited = reservation_sizes(1, None, limit=6 << 30)
    assert limited[0] == (6 << 30) // 64 + GUARD_BOUNDED and limited[-1] == page + GUARD_BOUNDED
    assert reservation_sizes(1, 1, limit=2 << 40)[0] == GUARDED_RESERVATION
    # a minimum larger than the cap is still reserved in full
    assert reservation_sizes(4000, None, guarded=False, limit=6 << 30) == [4000 * page + GUARD_BOUNDED]


def test_memory_in_a_small_reservation_grows_to_its_end_then_returns_minus_one():
    # as when ulimit -v leaves too little address space: the spec lets memory.grow fail for any reason
    code = """
import resource
resource.setrlimit(resource.RLIMIT_AS, (3 << 30, resource.getrlimit(resource.RLIMIT_AS)[1]))
from harness.engine.runtime import MemoryInstance, memory
if memory._reserve(memory.GUARDED_RESERVATION) is not None:
    raise SystemExit("limit not enforced")  # qemu-user ignores a guest's RLIMIT_AS
from harness.engine.syntax import Limits, MemType
mems = [MemoryInstance(MemType(Limits(1))) for _ in range(40)]  # 40 x 4 GiB would not fit
m = mems[0]
assert not m.guarded and m.max_reachable == (3 << 30) // 64 // 65536, (m.reserved, m.max_reachable)
assert m.grow(m.max_reachable - 1) == 1 and m.grow(1) == -1 and m.size == m.max_reachable
m.write(m.size * 65536 - 4, b"wxyz")
assert m.read(m.size * 65536 - 4, 4) == b"wxyz"
print("ok")
"""
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    if "limit not enforced" in proc.stderr:
        pytest.skip("this host does not enforce RLIMIT_AS (qemu-user ignores it)")
    assert proc.returncode == 0 and "ok" in proc.stdout, proc.stderr


def test_memory_error_when_not_even_the_minimum_fits_says_what_to_do():
    code = """
import resource
resource.setrlimit(resource.RLIMIT_AS, (1 << 30, resource.getrlimit(resource.RLIMIT_AS)[1]))
from harness.engine.runtime import MemoryInstance
from harness.engine.syntax import Limits, MemType
try:
    MemoryInstance(MemType(Limits(32768)))  # 2 GiB minimum
except MemoryError as e:
    print(e)
else:
    print("limit not enforced")  # qemu-user ignores a guest's RLIMIT_AS
"""
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    if "limit not enforced" in proc.stdout:
        pytest.skip("this host does not enforce RLIMIT_AS (qemu-user ignores it)")
    assert "cannot reserve" in proc.stdout and "ulimit -v" in proc.stdout, proc.stdout + proc.stderr


def test_a_view_kept_after_its_memory_is_gone_still_reads_the_bytes():
    import gc

    mem = MemoryInstance(MemType(Limits(1)))
    mem.write(7, b"k")
    view = mem.buf
    del mem
    gc.collect()
    assert view[7] == ord("k")  # the mapping lives as long as any view of it


def test_memory_bounds_trap():
    mem = MemoryInstance(MemType(Limits(1, 1)))
    with pytest.raises(Trap) as e:
        mem.read(65535, 2)
    assert e.value.kind == "out of bounds memory access"
    with pytest.raises(Trap):
        mem.write(65536, b"x")


def test_table_and_global_objects():
    t = TableInstance(TableType(Limits(2, 4), "funcref"))
    assert t.size == 2 and t.grow(2, "x") == 2 and t.elements[3] == "x" and t.grow(1) == -1
    g = GlobalInstance(GlobalType("i32", True), -1)
    assert g.value == 0xFFFFFFFF


def test_unknown_and_incompatible_imports_are_link_errors():
    m = wat('(module (import "env" "mem" (memory 2 3)))')
    store = api.Store()
    with pytest.raises(LinkError):
        store.instantiate(m, {})
    small = MemoryInstance(MemType(Limits(1, 3)))
    with pytest.raises(LinkError):
        store.instantiate(m, {"env": {"mem": small}})
    unbounded = MemoryInstance(MemType(Limits(2)))
    with pytest.raises(LinkError):  # expected max 3, actual has none
        store.instantiate(m, {"env": {"mem": unbounded}})
    ok = MemoryInstance(MemType(Limits(2, 3)))
    store.instantiate(m, {"env": {"mem": ok}})
    with pytest.raises(LinkError):  # wrong kind
        store.instantiate(m, {"env": {"mem": GlobalInstance(GlobalType("i32", False), 1)}})


def test_func_import_type_must_match_exactly():
    m = wat('(module (import "env" "f" (func (param i32))))')
    store = api.Store()
    with pytest.raises(LinkError):
        store.instantiate(m, {"env": {"f": api.host_func(FuncType(("i64",), ()), lambda x: None)}})
    store.instantiate(m, {"env": {"f": api.host_func(FuncType(("i32",), ()), lambda x: None)}})


def test_segments_apply_in_order_and_earlier_writes_persist():
    mem = MemoryInstance(MemType(Limits(1)))
    m = wat('(module (import "env" "mem" (memory 1)) (data (i32.const 0) "ok") (data (i32.const 65535) "xy"))')
    with pytest.raises(Trap) as e:
        api.Store().instantiate(m, {"env": {"mem": mem}})
    assert e.value.kind == "out of bounds memory access"
    assert mem.read(0, 2) == b"ok"


def test_elem_segment_out_of_bounds_traps_with_table_kind():
    m = wat('(module (table 1 funcref) (func $f) (elem (i32.const 1) $f))')
    with pytest.raises(Trap) as e:
        api.Store().instantiate(m)
    assert e.value.kind == "out of bounds table access"


def test_globals_initialised_from_imports_and_start_runs():
    m = wat('''(module (import "env" "g" (global i32)) (global $h (mut i32) (global.get 0))
        (func $start (global.set $h (i32.add (global.get $h) (i32.const 1)))) (start $start)
        (export "h" (global $h)))''')
    inst = api.Store().instantiate(m, {"env": {"g": GlobalInstance(GlobalType("i32", False), 41)}})
    assert inst.exports["h"].value == 42


def test_start_trap_is_reported_from_instantiate():
    m = wat("(module (func $s unreachable) (start $s))")
    with pytest.raises(Trap) as e:
        api.Store().instantiate(m)
    assert e.value.kind == "unreachable"
