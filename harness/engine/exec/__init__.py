"""The spec's numerics (execution, section 4.3): pure functions on values, independent of any tier.

* :mod:`.num_int`, :mod:`.num_float`, :mod:`.num_convert` (re-exported by :mod:`.numerics`): scalar
  numerics on the interpreter's value representation (i32/i64 unsigned ints, f32 raw bits, f64 floats);
* :mod:`.simd`: ``v128`` lane arithmetic on raw bits (a name -> function table).

The interpreter tier (:mod:`harness.engine.tiers.interp`) calls them from its generated code, and the tests
check them on their own against the spec suite and wasmtime; the LLVM tier lowers the same operators to
LLVM IR instead (``tiers/llvm/scalar.py``, ``tiers/llvm/simd.py``).
"""
