"""Compilation targets and the ``zig cc`` command line for each.

Every program is built with the same compiler (zig's clang), the same -O2 and the same source flags for
every target, so differences between targets are the target's, not the build's.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass

from ..adapters.native import HOSTS, host_triples


@dataclass(frozen=True)
class Target:
    name: str  # our name: native64, native32, foreign64, wasm32, wasm64
    triple: str  # zig's -target
    wasm: bool
    pointer_bits: int
    static: bool = True
    foreign: bool = False  # built for the other 64-bit architecture: runs only under emulation (qemu-user)


def foreign_triple(machine: str | None = None) -> str:
    """zig's triple for the 64-bit architecture that is *not* the host's (aarch64 on x86-64, x86-64 on
    aarch64): claim 6 compares that binary under user-mode emulation with the same program native."""
    return (host_triples(machine) or HOSTS["x86_64"]).foreign64


def targets_for(machine: str | None = None) -> dict[str, Target]:
    """The targets on ``machine`` (default the host): native64 is the host's own architecture.  A host we
    have no triples for gets x86-64's, and the native engines say they are unavailable there."""
    host = host_triples(machine) or HOSTS["x86_64"]
    return {
        "native64": Target("native64", host.native64, False, 64),
        "native32": Target("native32", host.native32, False, 32),
        "foreign64": Target("foreign64", host.foreign64, False, 64, foreign=True),
        "wasm32": Target("wasm32", "wasm32-wasi", True, 32, static=False),
        "wasm64": Target("wasm64", "wasm64-wasi", True, 64, static=False),
    }


TARGETS: dict[str, Target] = targets_for()

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
