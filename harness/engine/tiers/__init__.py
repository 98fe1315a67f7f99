"""Compiler tiers of the engine: alternative ways to execute the same validated modules behind the same
embedding API (:mod:`harness.engine.api`).  ``llvm`` translates functions to LLVM IR and JIT-compiles them.
"""
