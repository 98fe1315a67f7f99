"""The LLVM tier (``ours:llvm``): validated modules translated to LLVM IR with llvmlite, optimised, compiled
to host object code (cached on disk), loaded by the tier's own ELF loader (``loader``; MCJIT where that does
not apply) and run behind the same embedding API as the interpreter:
``api.Store(tier="llvm", opt_level=2, cache_dir=None, stack_budget=None)``.

Design in brief (details in each module's docstring):

* Calling convention: every wasm function is ``ret f(ptr ctx, i64 floor, params...)``; ``ctx`` is the
  instance's VMContext (``layout``), ``floor`` its stack floor, multi-value results are LLVM struct
  returns.  Python enters compiled code only
  through per-type entry trampolines ``i32 entry(code, ctx, slots)`` (arguments/results in 16-byte slots).
* Traps: compiled code calls ``wasm_trap(ctx, code)``, which stores the code and ``longjmp``s to the
  innermost entry trampoline (``_setjmp``); host functions and helpers always *return* to compiled code
  (with a status), so no Python frame is ever skipped.  Stack exhaustion: each function compares the stack
  pointer with its ``floor`` argument: the outermost entry passes the lowest address of a fixed byte
  budget, every call passes ``floor + 16``.  So LLVM may turn tail recursion into loops (fib: half the
  calls) or calls into jumps, and runaway recursion still ends in the trap.
* Memory: explicit bounds checks against the size in the memory cell (reloaded after every call), one
  signed i64 compare against a loop-invariant ``size - (offset + width)``; none for constant addresses
  below the declared minimum size (memories never shrink).  The base address is the runtime's stable mmap
  reservation.  Alias facts for LLVM (``translate._Metadata``): VMContext fields, function records and the
  memory base are ``!invariant.load``; TBAA separates linear memory from global cells.  Tables/globals: native mirrors/cells kept
  in step with the runtime objects at every Python<->native boundary (``native``).
* Host functions (WASI included) are reached through per-signature compiled thunks (all of an instance's
  import types compiled as one module, through the object cache) and one ctypes callback; rare instructions (memory.grow/init, table mutation, drops) through a helper callback.
* Cache: object files keyed by module hash, engine version (incl. this package's source digest), opt
  level and host CPU; corrupt entries are recompiled and overwritten (``cache``).
* Pipeline: LLVM's O1-O3 module pipeline for the host CPU (name and features), SLP vectorisation on from
  O2; IR is built with Python's cyclic GC paused (it only rescans live IR objects).

Modules: ``translate`` (wasm -> LLVM IR; ``scalar``/``simd`` hold the per-instruction lowering), ``jit``
(target machine, passes, object emission and loading), ``cache``, ``compiler`` (module -> loaded code,
host thunks), ``native`` (native state, cells, callbacks), ``instance`` (linking a ``ModuleInstance``),
``tier`` (the object ``api.Store`` uses).  A store is not thread-safe (one native state per store).
"""

from .tier import LLVMTier

__all__ = ["LLVMTier"]
