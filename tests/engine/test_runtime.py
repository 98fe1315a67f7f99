"""Runtime objects and instantiation (harness.engine.runtime), independent of any tier's code."""

from __future__ import annotations

import ctypes
import subprocess
from pathlib import Path

import pytest

from harness.engine import api
from harness.engine.errors import LinkError, Trap
from harness.engine.runtime import GlobalInstance, MemoryInstance, TableInstance
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
