"""The runtime: store objects shared by every tier, and instantiation.

* :class:`MemoryInstance` (mmap-backed, stable ``address``), :class:`TableInstance`,
  :class:`GlobalInstance`, :class:`FuncInstance` (wasm or host), :class:`TagInstance`, :class:`ModuleInstance`;
* :func:`resolve_imports` (linking, ``LinkError``) and :func:`instantiate` (globals, segments, start).
"""

from .instance import CompiledModule, ModuleInstance, eval_const, extern_matches, instantiate, resolve_imports
from .memory import PAGE_SIZE, MemoryInstance
from .objects import FuncInstance, GlobalInstance, TableInstance, TagInstance, normalize_raw

__all__ = ["MemoryInstance", "TableInstance", "GlobalInstance", "FuncInstance", "TagInstance", "ModuleInstance",
           "CompiledModule", "instantiate", "resolve_imports", "extern_matches", "eval_const", "normalize_raw",
           "PAGE_SIZE"]
