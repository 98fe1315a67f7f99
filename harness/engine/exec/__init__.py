"""Execution: numerics and the interpreter tier.

* :mod:`.num_int`, :mod:`.num_float`, :mod:`.num_convert` (re-exported by :mod:`.numerics`): scalar
  numerics on the interpreter's value representation;
* :mod:`.simd`: ``v128`` lane arithmetic (a name -> function table);
* :mod:`.codegen` / :mod:`.flatgen`: wasm function -> Python source; :mod:`.helpers`: what that code calls;
* :mod:`.interp`: the ``interp`` tier (:class:`~.interp.InterpTier`).
"""
