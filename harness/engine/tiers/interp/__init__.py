"""The interpreter tier (``ours:interp``): each wasm function compiled, on its first call, to the source of
one Python function that CPython compiles and runs: ``api.Store(tier="interp", max_depth=..., force_flat=...)``.

Modules: ``codegen`` (a validated function -> Python source: locals and stack slots as Python locals, pure
expressions folded, blocks as loops only where branched to; ``optable`` holds the per-instruction templates),
``flatgen`` (the state-machine fallback for functions nested too deeply for CPython's compiler),
``helpers`` (what the generated code calls for bulk memory, tables and ``v128`` memory forms), ``tier``
(the object ``api.Store`` uses: lazy translation, linking, traps and the call-depth budget).  The numeric
operators themselves are the engine's, in :mod:`harness.engine.exec`.
"""

from .tier import InterpTier

__all__ = ["InterpTier"]
