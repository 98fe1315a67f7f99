"""The LLVM tier object that ``api.Store(tier="llvm", ...)`` dispatches to.

Options: ``opt_level`` (0-3, default 2), ``cache_dir`` (object cache directory; ``None`` = the default
location, ``False`` = no disk cache), ``stack_budget`` (bytes of native stack compiled code may use),
``unsafe_omit`` (checks to leave out of compiled code -- "bounds", "stack" -- to measure what they cost;
unsafe: an out-of-bounds access or runaway recursion then corrupts or kills the process), ``compile_jobs``
(processes that may compile one large module, ``None`` = the CPUs this process may use, 1 = compile in
this process only; see ``partition``), ``bounds`` (how memory accesses are kept in bounds: "guard" lets the
memory's guard pages fault and turns the fault into the trap (``faults``), "explicit" compares every
address with the memory's size; "auto", the default, is "guard" on x86-64 Linux and "explicit" elsewhere:
``faults.preferred`` says why not on aarch64, where "guard" can still be asked for; "auto" falls back to
"explicit", with a warning, when the fault handler cannot be installed).
"""

from __future__ import annotations

import os
import warnings
from pathlib import Path
from typing import Any

from ... import syntax
from ...runtime.instance import ModuleInstance, instantiate
from ...runtime.objects import FuncInstance
from . import faults
from .cache import ObjectCache, default_cache_dir
from .checks import BOUNDS_MODES, checks_to_omit
from .compiler import bytes_identity, compile_module, object_key
from .instance import CompiledLLVM
from .native import NativeStore


class LLVMTier:
    name = "llvm"

    def __init__(self, opt_level: int = 2, cache_dir: str | Path | bool | None = None, stack_budget: int | None = None,
                 unsafe_omit: tuple[str, ...] | frozenset[str] = (), compile_jobs: int | None = None,
                 bounds: str = "auto"):
        if opt_level not in (0, 1, 2, 3):
            raise ValueError(f"LLVM tier: opt_level must be 0, 1, 2 or 3, not {opt_level!r}")
        if compile_jobs is None:
            compile_jobs = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
        if not isinstance(compile_jobs, int) or compile_jobs < 1:
            raise ValueError(f"LLVM tier: compile_jobs must be a positive integer or None, not {compile_jobs!r}")
        self.compile_jobs = compile_jobs
        self.omit = checks_to_omit(unsafe_omit)
        auto = bounds == "auto"
        if auto:
            bounds = "guard" if faults.preferred() else "explicit"
        if bounds not in BOUNDS_MODES:
            raise ValueError(f"LLVM tier: bounds must be 'auto' or one of {BOUNDS_MODES}, not {bounds!r}")
        self.opt_level = opt_level
        if cache_dir is False:
            directory = None
        elif cache_dir is None or cache_dir is True:
            directory = default_cache_dir()
        else:
            directory = Path(cache_dir)
        self.cache = ObjectCache(directory)
        if bounds == "guard":
            try:  # load and install the fault handler now: a failure is the tier's, here
                faults.guard(self.cache)
            except (OSError, RuntimeError) as e:  # the handler cannot be built or installed on this host
                if not auto:
                    raise
                warnings.warn(f"LLVM tier: guard pages unavailable ({e}); using explicit bounds checks",
                              stacklevel=2)
                bounds = "explicit"
        self.bounds = bounds
        self.native = NativeStore(stack_budget, guard=bounds == "guard")
        self.native.cache = self.cache
        self._compiled: dict[int, tuple[syntax.Module, CompiledLLVM]] = {}

    def compile(self, module: syntax.Module, data: bytes | None = None) -> CompiledLLVM:
        """Native code for ``module`` (memoised per module object, and on disk by content)."""
        hit = self._compiled.get(id(module))
        if hit is not None and hit[0] is module:
            return hit[1]
        compiled = CompiledLLVM(self.native, compile_module(module, self.opt_level, self.cache, data, self.omit,
                                                            self.compile_jobs, self.bounds))
        self._compiled[id(module)] = (module, compiled)
        return compiled

    def has_code_for(self, data: bytes) -> bool:
        """Whether the object cache holds this tier's code for exactly these (validated) module bytes; if
        so it is loaded and kept for the ``compile`` that follows (``api.Store.load``)."""
        if self.cache.directory is None:
            return False
        return self.cache.hold(object_key(bytes_identity(data), self.opt_level, self.omit, self.bounds))

    def run(self, func: FuncInstance, args: list) -> list:
        """Invoke ``func`` (wasm or host) with raw arguments; raises ``Trap``/``Exhaustion``."""
        return func.call(list(args))

    def instantiate(self, module: syntax.Module, externs: list[Any], data: bytes | None = None) -> ModuleInstance:
        return instantiate(module, externs, self.compile(module, data), self.run)
