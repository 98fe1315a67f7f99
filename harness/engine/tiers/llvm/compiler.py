"""Module -> loaded native code, through the on-disk cache; and the per-signature host thunks."""

from __future__ import annotations

import contextlib
import gc
import hashlib
import os
import sys
import threading
import time
import warnings
from pathlib import Path
from typing import TYPE_CHECKING

from ... import syntax
from ...records import Record
from . import jit, recursion
from .cache import ObjectCache, cache_key

if TYPE_CHECKING:
    import subprocess


class CompileStats(Record):
    """Where the time of one module went (seconds); ``cached`` when the object came from disk."""

    __slots__ = ("cached", "translate", "llvm", "load", "object_bytes", "extra")

    def __init__(self, cached: bool = False, translate: float = 0.0, llvm: float = 0.0, load: float = 0.0,
                 object_bytes: int = 0, extra: dict | None = None):
        self.cached = cached
        self.translate = translate
        self.llvm = llvm
        self.load = load
        self.object_bytes = object_bytes
        self.extra = {} if extra is None else extra


class NativeCode(Record):
    """A module's code, loaded: addresses of each defined function and of the entry trampoline per type."""

    __slots__ = ("loaded", "funcs", "entries", "stats")

    def __init__(self, loaded: jit.LoadedObject, funcs: list[int], entries: list[int], stats: CompileStats):
        self.loaded = loaded
        self.funcs = funcs
        self.entries = entries
        self.stats = stats


def bytes_identity(data: bytes) -> bytes:
    return b"bytes:" + hashlib.sha256(data).digest()


def module_identity(module: syntax.Module, data: bytes | None) -> bytes:
    """What the cache knows a module by: its bytes, or for a module given without them (instantiated
    unvalidated) its encoding, under a prefix bytes cannot reach.  The encoder walks bodies iteratively,
    where ``repr`` recursed once per nesting level."""
    if data is not None:
        return bytes_identity(data)
    from ...binary.encode import encode_module  # only for modules without their bytes

    return b"ast:" + hashlib.sha256(encode_module(module)).digest()


@contextlib.contextmanager
def _gc_paused():
    """Building IR allocates ~10^6 small objects that all stay alive until the text is printed: the cyclic
    collector would rescan them over and over (about a third of IR building time) and free nothing."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def object_key(identity: bytes, opt_level: int, omit: frozenset[str] = frozenset(), bounds: str = "explicit") -> str:
    """The cache key of a module's object: content, engine version, variant (opt level, bounds-check mode,
    omitted checks), CPU."""
    variant = f"{opt_level}" + ("-guard" if bounds == "guard" else "") + (f"-omit:{','.join(sorted(omit))}" if omit else "")
    return cache_key(identity, jit.engine_version(), variant, jit.host_cpu())


def compile_module(module: syntax.Module, opt_level: int, cache: ObjectCache, data: bytes | None = None,
                   omit: frozenset[str] = frozenset(), jobs: int = 1, bounds: str = "explicit") -> NativeCode:
    """``jobs`` > 1: a module with enough code is compiled by that many processes (``partition``); that
    needs its bytes (``data``), which the workers decode again."""
    stats = CompileStats()
    key = object_key(module_identity(module, data), opt_level, omit, bounds)
    obj = cache.load(key)
    if obj is None and module.bodies_skipped:
        raise RuntimeError("LLVM tier: a module decoded without its function bodies has no compiled code in "
                           "the cache (it was removed in between?); load it again with api.Module.from_bytes")
    if obj is None:
        from . import partition  # a cache miss only: it imports argparse and json for its workers

        ranges = partition.plan(module, len(data), jobs) if data is not None and jobs > 1 else []
        t_start = time.perf_counter()
        _progress(f"compiling {len(module.funcs)} functions with LLVM at O{opt_level}"
                  + (f" in {len(ranges)} processes" if len(ranges) > 1 else "")
                  + (f"; the code is cached in {cache.directory} for later runs" if cache.directory else ""))
        if len(ranges) > 1:
            obj = _compile_in_processes(data, ranges, opt_level, omit, bounds, stats)
        if obj is None:
            t0 = time.perf_counter()
            from .translate import ModuleCompiler  # only on a miss: a warm start never imports the translator

            with _gc_paused():
                text = str(ModuleCompiler(module, omit=omit, bounds=bounds,
                                          unroll_recursion=recursion.depth_for(opt_level)).compile())
            t1 = time.perf_counter()
            obj = jit.compile_ir(text, opt_level)
            t2 = time.perf_counter()
            stats.translate, stats.llvm = t1 - t0, t2 - t1
        cache.store(key, obj)
        _progress(f"compiled in {time.perf_counter() - t_start:.1f} s")
    else:
        stats.cached = True
    t3 = time.perf_counter()
    loaded = jit.LoadedObject(obj, opt_level)
    funcs = loaded.pointer_table("wasm_funcs", len(module.funcs))
    entries = loaded.pointer_table("wasm_entries", len(module.types))
    stats.load = time.perf_counter() - t3
    stats.object_bytes = len(obj)
    return NativeCode(loaded, funcs, entries, stats)


def _progress(message: str) -> None:
    """Report a compile on the ``harness.engine.llvm`` logger, which ``harness run`` shows on a terminal:
    compiling a large program takes seconds to a minute, and nothing else would say why it is quiet.
    ``logging`` is imported only here, on a cache miss: a warm start does not pay for it."""
    import logging

    logging.getLogger("harness.engine.llvm").info("%s", message)


def _compile_in_processes(data: bytes, ranges: list[range], opt_level: int, omit: frozenset[str], bounds: str,
                          stats: CompileStats) -> bytes | None:
    """The module's objects, one per range, each made by a ``partition`` worker process, packed into one
    payload; ``stats`` gets the workers' summed translate and LLVM times, ``extra`` the parts and the
    wall time.  None (with a warning) when a worker cannot be started or fails: the caller then compiles
    in this process, which reports a real error in the module or the compiler as itself."""
    import json
    import subprocess
    import tempfile

    root = Path(__file__).resolve().parents[4]  # the directory holding the top-level package
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [str(root), os.environ.get("PYTHONPATH")])))
    t0 = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="wasm-llvm-") as tmp:
        src = Path(tmp) / "module.wasm"
        src.write_bytes(data)
        procs = []
        try:
            for k, r in enumerate(ranges):
                cmd = [sys.executable, "-m", f"{__package__}.partition", str(src), str(Path(tmp) / f"{k}.o"),
                       "--opt", str(opt_level), "--range", f"{r.start}:{r.stop}", "--omit", ",".join(sorted(omit)),
                       "--bounds", bounds]
                procs.append(subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env))
            outcomes = [p.communicate() for p in procs]
        except OSError as e:
            _kill(procs)
            warnings.warn(f"LLVM tier: cannot start compile worker processes ({e}); compiling in one", stacklevel=3)
            return None
        except BaseException:  # interrupted (Ctrl-C, a timeout signal): leave no worker running
            _kill(procs)
            raise
        objs = []
        for k, (p, (out, err)) in enumerate(zip(procs, outcomes, strict=True)):
            if p.returncode != 0:
                last = (err.decode(errors="replace").strip().splitlines() or ["no message"])[-1]
                warnings.warn(f"LLVM tier: compile worker for functions {ranges[k].start}-{ranges[k].stop - 1} "
                              f"failed (exit {p.returncode}: {last}); compiling in one process", stacklevel=3)
                return None
            times = json.loads(out.decode().strip().splitlines()[-1])
            stats.translate += times["translate"]
            stats.llvm += times["llvm"]
            objs.append((Path(tmp) / f"{k}.o").read_bytes())
    stats.extra.update(partitions=len(ranges), parallel_wall=time.perf_counter() - t0)
    return jit.pack_objects(objs)


def _kill(procs: list[subprocess.Popen]) -> None:
    for p in procs:
        if p.poll() is None:
            p.kill()
            p.wait()


_thunks: dict[syntax.FuncType, tuple[jit.LoadedObject, int]] = {}
_thunk_lock = threading.Lock()


def prepare_host_thunks(fts, cache: ObjectCache | None = None) -> None:
    """Make the thunks for all of ``fts`` exist, compiling the missing ones together as one module through
    the object cache: a WASI program imports ~17 distinct types, and compiling them one by one, uncached,
    cost every fresh process ~0.2 s even when the module itself came from the cache."""
    with _thunk_lock:
        missing = sorted({ft for ft in fts if ft not in _thunks}, key=repr)
        if not missing:
            return
        key = cache_key(b"host-thunks:" + repr(missing).encode(), jit.engine_version(), 1, jit.host_cpu())
        obj = cache.load(key) if cache is not None else None
        if obj is None:
            from .translate import build_host_thunks

            obj = jit.compile_ir(str(build_host_thunks(missing)), 1)
            if cache is not None:
                cache.store(key, obj)
        loaded = jit.LoadedObject(obj, 1)
        for i, ft in enumerate(missing):
            _thunks[ft] = (loaded, loaded.symbol(f"wasm_host_thunk_{i}"))


def host_thunk(ft: syntax.FuncType, cache: ObjectCache | None = None) -> int:
    """Address of the compiled thunk through which compiled code calls a host function of type ``ft``."""
    entry = _thunks.get(ft)
    if entry is None:
        prepare_host_thunks([ft], cache)
        entry = _thunks[ft]
    return entry[1]
