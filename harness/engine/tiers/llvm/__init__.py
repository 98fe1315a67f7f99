"""The LLVM tier (``ours:llvm``): validated modules translated to LLVM IR with llvmlite, optimised, compiled
to host object code (cached on disk) and run through MCJIT behind the same embedding API as the interpreter.

Modules: ``translate`` (wasm -> LLVM IR; ``scalar``/``simd`` hold the per-instruction lowering), ``jit``
(target machine, passes, object emission and loading), ``cache`` (object cache on disk), ``compiler``
(module -> loaded code, host thunks), ``native`` (native state, cells, callbacks), ``instance`` (linking a
runtime ``ModuleInstance``), ``tier`` (the object ``api.Store(tier="llvm")`` uses).
"""

from .tier import LLVMTier

__all__ = ["LLVMTier"]
