"""The embedding API (harness.engine.api) with the interpreter tier."""

from __future__ import annotations

import struct
import subprocess
from pathlib import Path

import pytest

from harness.engine import api
from harness.engine.errors import Trap
from harness.engine.syntax import FuncType, GlobalType, Limits, MemType

WASM_TOOLS = Path(__file__).resolve().parents[2] / ".venv" / "bin" / "wasm-tools"


def module(src: str) -> api.Module:
    data = subprocess.run([str(WASM_TOOLS), "parse", "-"], input=src.encode(), capture_output=True,
                          check=True, timeout=30).stdout
    return api.Module.from_bytes(data)


HOSTY = r"""
(module
  (import "env" "add" (func $add (param i32 f64) (result f64)))
  (import "env" "mem" (memory 1))
  (import "env" "g" (global $g (mut i64)))
  (func (export "go") (param i32) (result f64)
    (global.set $g (i64.add (global.get $g) (i64.const 1)))
    (call $add (i32.load (local.get 0)) (f64.const 0.5)))
  (func (export "pair") (result i32 f32) (i32.const -1) (f32.const 1.5))
)
"""


def test_imports_exports_and_host_functions():
    m = module(HOSTY)
    assert [(i[0], i[1], i[2]) for i in m.imports] == [("env", "add", "func"), ("env", "mem", "memory"),
                                                       ("env", "g", "global")]
    assert m.imports[0][3] == FuncType(("i32", "f64"), ("f64",))
    assert [(e[0], e[1]) for e in m.exports] == [("go", "func"), ("pair", "func")]
    seen = []

    def add(i, x_bits):
        seen.append((i, x_bits))
        x = struct.unpack("<d", struct.pack("<Q", x_bits))[0]
        return struct.unpack("<Q", struct.pack("<d", i + x))[0]

    mem = api.MemoryInstance(MemType(Limits(1)))
    g = api.GlobalInstance(GlobalType("i64", True), 41)
    store = api.Store(tier="interp")
    inst = store.instantiate(m, {"env": {"add": api.host_func(FuncType(("i32", "f64"), ("f64",)), add),
                                         "mem": mem, "g": g}})
    mem.write(16, struct.pack("<I", 10))
    assert inst.call("go", 16) == 10.5
    assert seen == [(10, struct.unpack("<Q", struct.pack("<d", 0.5))[0])]
    assert g.value == 42
    assert inst.invoke("pair") == [0xFFFFFFFF, struct.unpack("<I", struct.pack("<f", 1.5))[0]]
    assert inst.call("pair") == (-1, 1.5)
    assert store.invoke(inst.exports["go"], [16]) == [struct.unpack("<Q", struct.pack("<d", 10.5))[0]]


def test_host_trap_propagates_and_unknown_tier_is_rejected():
    m = module('(module (import "e" "t" (func $t)) (func (export "f") (call $t)))')

    def boom():
        raise Trap("unreachable")

    inst = api.Store().instantiate(m, {"e": {"t": api.host_func(FuncType((), ()), boom)}})
    with pytest.raises(Trap):
        inst.call("f")
    with pytest.raises(ValueError, match="unknown engine tier"):
        api.Store(tier="nope")
    with pytest.raises(KeyError):
        inst.call("missing")


def test_modules_link_through_exports():
    a = api.Store().instantiate(module('(module (func (export "seven") (result i32) (i32.const 7)))'))
    b_mod = module('(module (import "a" "seven" (func $s (result i32))) (func (export "f") (result i32) '
                   '(i32.mul (call $s) (i32.const 6))))')
    b = api.Store().instantiate(b_mod, {"a": dict(a.exports)})
    assert b.call("f") == 42
