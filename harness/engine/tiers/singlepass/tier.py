"""The singlepass tier object that ``api.Store(tier="singlepass")`` dispatches to.

Options: ``stack_budget`` (bytes of native stack generated code may use below the outermost entry; default
4 MiB on the main thread); ``cache_dir`` (the code cache, ``cache.py``: None for the default directory, False
for none).  Memory accesses are bounds-checked explicitly (a compare with the memory's size
before each access).
"""

from __future__ import annotations

import time
from typing import Any

from ... import syntax
from ...runtime.instance import ModuleInstance, instantiate
from ...runtime.objects import FuncInstance
from . import cpu_identity, faults, isa_module, unavailable_reason
from .cache import CodeCache, cache_key, default_cache_dir
from .codemem import CodeBlock
from .errors import UnsupportedError
from .instance import CompiledSinglepass
from .native import NativeStore


class SinglepassTier:
    name = "singlepass"

    def __init__(self, stack_budget: int | None = None, cache_dir: Any = None):
        reason = unavailable_reason()
        if reason:
            raise UnsupportedError(reason)
        self.native = NativeStore(stack_budget)
        self.cache = CodeCache(None if cache_dir is False else (cache_dir or default_cache_dir()))
        self._compiled: dict[int, tuple[syntax.Module, CompiledSinglepass]] = {}

    def compile(self, module: syntax.Module, data: bytes | None = None) -> CompiledSinglepass:
        """Machine code for every function of ``module``: memoised per module object, and on disk by content
        when the module's (validated) bytes are known."""
        hit = self._compiled.get(id(module))
        if hit is not None and hit[0] is module:
            return hit[1]
        start = time.perf_counter()
        key = cache_key(data, cpu_identity()) if data is not None and self.cache.directory is not None else None
        entry = self.cache.load(key) if key is not None else None
        if entry is not None:
            code, offsets = entry
        else:
            code, offsets = isa_module("codegen").compile_module(module)
            if key is not None:
                self.cache.store(key, code, offsets)
        stats = {"compile_seconds": time.perf_counter() - start, "code_bytes": len(code), "cached": entry is not None}
        block = CodeBlock(code)
        faults.name_code(block, _namer(module, offsets))
        compiled = CompiledSinglepass(self.native, block, offsets, stats)
        self._compiled[id(module)] = (module, compiled)
        return compiled

    def has_code_for(self, data: bytes) -> bool:
        """Whether the code cache holds this tier's code for exactly these (validated) bytes; if so it is loaded
        and kept for the ``compile`` that follows (``api.Store.load`` then skips decoding the bodies)."""
        if self.cache.directory is None:
            return False
        return self.cache.hold(cache_key(data, cpu_identity()))

    def run(self, func: FuncInstance, args: list) -> list:
        """Invoke ``func`` (wasm or host) with raw arguments; raises ``Trap``/``Exhaustion``."""
        return func.call(list(args))

    def instantiate(self, module: syntax.Module, externs: list[Any], data: bytes | None = None) -> ModuleInstance:
        return instantiate(module, externs, self.compile(module, data), self.run)


def _namer(module: syntax.Module, offsets: list[int]):
    """offset in a module's code block -> "function 3 ($name) + 0x1a", for a fault's message."""
    n_imported = len(module.imported("func"))
    names = dict(module.func_names)

    def name(offset: int) -> str:
        best = max((i for i, o in enumerate(offsets) if o <= offset), default=None, key=lambda i: offsets[i])
        if best is None:
            return f"offset {offset:#x} of a module's code"
        idx = n_imported + best
        label = f" (${names[idx]})" if idx in names else ""
        return f"function {idx}{label} + {offset - offsets[best]:#x}"

    return name
