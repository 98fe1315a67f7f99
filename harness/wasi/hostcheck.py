"""Run a WASI module with *our* WASI host (harness.engine.wasi) on wasmtime's Python API as the executor.

Why: it checks our preview1 implementation against the official wasi-testsuite at native speed and
independently of our interpreter, so host bugs and interpreter bugs never hide each other.  The
``hostcheck`` pseudo-engine of ``harness wasi``/``harness run`` uses it; it is not a runtime of its own.
"""

from __future__ import annotations

import ctypes
from typing import Any

from ..engine.wasi import IMPORT_MODULE, SIGNATURES, WasiConfig, WasiHost, check_command, find_proc_exit

TRAP_EXIT_CODE = 134


class _WasmtimeMemory:
    """Gives a wasmtime Memory the ``.buf`` our host expects (a writable view of the current bytes)."""

    def __init__(self, store: Any, memory: Any):
        self.store, self.memory = store, memory

    @property
    def buf(self) -> memoryview:
        n = self.memory.data_len(self.store)
        if n == 0:
            return memoryview(bytearray())
        ptr = self.memory.data_ptr(self.store)
        array = (ctypes.c_ubyte * n).from_address(ctypes.addressof(ptr.contents))
        return memoryview(array).cast("B")


def _to_signed(v: int, bits: int) -> int:
    v &= (1 << bits) - 1
    return v - (1 << bits) if v >> (bits - 1) else v


def run_module(data: bytes, config: WasiConfig) -> int:
    """Exit code of the module's ``_start`` (134 and a message on stderr for a trap)."""
    import wasmtime

    engine = wasmtime.Engine()
    module = wasmtime.Module(engine, data)
    check_command([(i.module, i.name) for i in module.imports], [(e.name,) for e in module.exports])
    store = wasmtime.Store(engine)
    host = WasiHost(config)
    try:
        linker = wasmtime.Linker(engine)
        fns = host.functions()
        vt = {"i32": wasmtime.ValType.i32(), "i64": wasmtime.ValType.i64()}
        for name, (params, results) in SIGNATURES.items():
            fn = fns[name]
            bits = tuple(32 if p == "i32" else 64 for p in params)

            def wrapped(*args: int, _fn: Any = fn, _bits: tuple = bits) -> Any:
                out = _fn(*(a & ((1 << b) - 1) for a, b in zip(args, _bits, strict=True)))
                return _to_signed(out[0], 32) if out else None

            ty = wasmtime.FuncType([vt[p] for p in params], [vt[r] for r in results])
            linker.define_func(IMPORT_MODULE, name, ty, wrapped)
        instance = linker.instantiate(store, module)
        memory = instance.exports(store).get("memory")
        if memory is not None:
            host.bind_memory(_WasmtimeMemory(store, memory))
        start = instance.exports(store)["_start"]
        try:
            start(store)
        except Exception as e:
            found = find_proc_exit(e)
            if found is not None:
                return found.code & 0xFFFFFFFF
            if isinstance(e, wasmtime.Trap | wasmtime.WasmtimeError):
                import os

                os.write(config.stderr, f"error: wasm trap: {e}\n".encode())
                return TRAP_EXIT_CODE
            raise
        return 0
    finally:
        host.close()
