"""Compilation targets and the ``zig cc`` command line for each.

Every program is built with the same compiler (zig's clang), the same -O2 and the same source flags for
every target, so differences between targets are the target's, not the build's.

wasm64 has no WASI libc (zig ships none for ``wasm64-wasi``), so it is a *freestanding* target: the program
is linked with our small runtime in ``suites/perf/support/freestanding/`` (allocator, printf, WASI preview1
imports for arguments, output and exit) instead of a libc.  ``wasm32-free`` is the same freestanding build
for wasm32, so wasm32 against wasm64 compares like with like (same allocator, same output path); the
``wasm32`` libc build stays what every wasm engine runs by default; ``wasm32-mvp`` is that build with
WebAssembly 1.0's instructions only, for an engine that declares it as its ``program_target``.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass

from ..adapters.native import HOSTS, host_triples
from .recipes import PERF_SUITE


@dataclass(frozen=True)
class Target:
    name: str  # our name: native64, native32, foreign64, wasm32, wasm64
    triple: str  # zig's -target
    wasm: bool
    pointer_bits: int
    static: bool = True
    foreign: bool = False  # built for the other 64-bit architecture: runs only under emulation (qemu-user)
    freestanding: bool = False  # no libc: linked with FREESTANDING_RUNTIME (only programs that declare it)
    cflags: tuple[str, ...] = ()  # what the target adds to every compile (``-mcpu=mvp``)


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
        # WebAssembly 1.0 alone (no bulk memory, sign extension or saturating conversions, which zig's clang
        # emits by default), the libc built the same way: for engines that predate them (wasm3 0.4.7)
        "wasm32-mvp": Target("wasm32-mvp", "wasm32-wasi", True, 32, static=False, cflags=("-mcpu=mvp",)),
        "wasm32-free": Target("wasm32-free", "wasm32-freestanding", True, 32, static=False, freestanding=True),
        "wasm64": Target("wasm64", "wasm64-freestanding", True, 64, static=False, freestanding=True),
    }


TARGETS: dict[str, Target] = targets_for()

OPT = ["-O2"]

FREESTANDING = PERF_SUITE / "support" / "freestanding"
# The runtime every freestanding build links, and the headers that stand in for the libc's.
FREESTANDING_RUNTIME = tuple(str(FREESTANDING / f) for f in ("start.c", "printf.c", "malloc.c", "string.c", "strtol.c",
                                                                 "builtins.c"))
FREESTANDING_INCLUDE = str(FREESTANDING / "include")


def freestanding_files() -> list[str]:
    """Every file of the freestanding runtime (sources and headers): a change to any rebuilds its programs."""
    return sorted(str(p) for p in FREESTANDING.rglob("*") if p.suffix in (".c", ".h"))


def zig_cc() -> list[str]:
    return [sys.executable, "-m", "ziglang", "cc"]


def compile_argv(target: Target, sources: list[str], out: str, include: list[str], cflags: list[str],
                 wasm_cflags: list[str], wasm_libs: list[str]) -> list[str]:
    argv = zig_cc() + ["-target", target.triple, *target.cflags, *OPT, "-s", "-o", out]
    if target.static:
        argv.append("-static")
    if target.freestanding:  # our headers first: they stand in for the libc's
        argv.append(f"-I{FREESTANDING_INCLUDE}")
    argv += [f"-I{i}" for i in include]
    argv += cflags
    if target.wasm and not target.freestanding:  # WASI libc emulation flags mean nothing without the libc
        argv += wasm_cflags
    argv += sources
    if target.freestanding:
        # -nostdlib: no compiler-rt either; zig's adds a 64-bit function table, which V8 11.3 rejects
        argv += [*FREESTANDING_RUNTIME, "-nostdlib", "-Wl,--export=_start"]
    elif target.wasm:
        argv += wasm_libs
    return argv
