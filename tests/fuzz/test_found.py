"""Real bugs of ours that ``harness fuzz`` found, each pinned by its minimised module until it is fixed.

``found/llvm_musttail.wat``: ours:llvm aborts (``LLVM ERROR: failed to perform tail call elimination on a call
site marked musttail``) compiling a ``return_call`` between two functions of a multi-value type; found 11 times
in 3,000 modules of the long run (docs/FUZZING.md).  It needs the tail-call proposal, so it lives here rather
than in the 2.0 corpus.  Fixed: a ``return_call*`` whose results the calling convention returns through memory
is an ordinary call and a return (``translate._results_in_registers``); this test keeps it fixed.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from harness.cli import main
from harness.fuzz.generate import smith_tool

FOUND = Path(__file__).with_name("found")


def test_llvm_compiles_the_musttail_module(tmp_path):
    pytest.importorskip("llvmlite")
    wasm = tmp_path / "m.wasm"
    subprocess.run([str(smith_tool()), "parse", str(FOUND / "llvm_musttail.wat"), "-o", str(wasm)], check=True)
    assert main(["fuzz", "replay", str(wasm), "--engines", "ours:interp,ours:llvm", "--name", "77:62"]) == 0
