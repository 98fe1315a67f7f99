"""The singlepass tier object that ``api.Store(tier="singlepass")`` dispatches to.

Options: ``stack_budget`` (bytes of native stack generated code may use below the outermost entry; default
4 MiB on the main thread).  Memory accesses are bounds-checked explicitly (a compare with the memory's size
before each access).
"""

from __future__ import annotations

import time
from typing import Any

from ... import syntax
from ...runtime.instance import ModuleInstance, instantiate
from ...runtime.objects import FuncInstance
from . import faults, unavailable_reason
from .codemem import CodeBlock
from .errors import UnsupportedError
from .instance import CompiledSinglepass
from .native import NativeStore


class SinglepassTier:
    name = "singlepass"

    def __init__(self, stack_budget: int | None = None):
        reason = unavailable_reason()
        if reason:
            raise UnsupportedError(reason)
        self.native = NativeStore(stack_budget)
        self._compiled: dict[int, tuple[syntax.Module, CompiledSinglepass]] = {}

    def compile(self, module: syntax.Module, data: bytes | None = None) -> CompiledSinglepass:
        """Machine code for every function of ``module`` (memoised per module object)."""
        hit = self._compiled.get(id(module))
        if hit is not None and hit[0] is module:
            return hit[1]
        from .x86_64.codegen import compile_module

        start = time.perf_counter()
        code, offsets = compile_module(module)
        stats = {"compile_seconds": time.perf_counter() - start, "code_bytes": len(code)}
        block = CodeBlock(code)
        faults.name_code(block, _namer(module, offsets))
        compiled = CompiledSinglepass(self.native, block, offsets, stats)
        self._compiled[id(module)] = (module, compiled)
        return compiled

    def has_code_for(self, data: bytes) -> bool:
        """False: the tier keeps no code between processes (compiling again is its point)."""
        return False

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
