"""Compilation targets and the ``zig cc`` command line for each.

Every program is built with the same compiler (zig's clang), the same -O2 and the same source flags for
every target, so differences between targets are the target's, not the build's.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass


@dataclass(frozen=True)
class Target:
    name: str  # our name: native64, native32, wasm32, wasm64
    triple: str  # zig's -target
    wasm: bool
    pointer_bits: int
    static: bool = True


TARGETS: dict[str, Target] = {
    "native64": Target("native64", "x86_64-linux-musl", False, 64),
    "native32": Target("native32", "x86-linux-musl", False, 32),
    "wasm32": Target("wasm32", "wasm32-wasi", True, 32, static=False),
    "wasm64": Target("wasm64", "wasm64-wasi", True, 64, static=False),
}

OPT = ["-O2"]


def zig_cc() -> list[str]:
    return [sys.executable, "-m", "ziglang", "cc"]


def compile_argv(target: Target, sources: list[str], out: str, include: list[str], cflags: list[str],
                 wasm_cflags: list[str], wasm_libs: list[str]) -> list[str]:
    argv = zig_cc() + ["-target", target.triple, *OPT, "-s", "-o", out]
    if target.static:
        argv.append("-static")
    argv += [f"-I{i}" for i in include]
    argv += cflags
    if target.wasm:
        argv += wasm_cflags
    argv += sources
    if target.wasm:
        argv += wasm_libs
    return argv
