"""Which checks compiled code makes, and how: shared by the translator and the tier, and kept apart from
``translate`` so that loading cached code does not import the translator (and llvmlite's IR builder)."""

from __future__ import annotations

# Checks the LLVM tier can leave out, only to measure their cost (``LLVMTier(unsafe_omit=...)``): without
# "bounds" an out-of-bounds load or store reads or corrupts the process; without "stack" runaway recursion
# overflows the native stack and kills it.  Bulk memory and table operations keep their checks.
OMITTABLE_CHECKS = frozenset({"bounds", "stack"})

# How memory accesses are kept in bounds (``ModuleCompiler(bounds=...)``): "explicit" compares every address
# with the current size; "guard" leaves the comparison to the memory's guard pages (see ``faults``), and
# makes every access to linear memory -- and every global.set -- volatile: LLVM treats an ordinary load as
# free of side effects, so it would delete one whose value is unused or move it across a store, and a
# fault would then not be the trap wasm requires at that point (a dropped out-of-bounds load must trap; a
# store before it must be visible afterwards).  Volatile accesses are neither deleted nor reordered among
# themselves or across calls.
BOUNDS_MODES = ("explicit", "guard")


def checks_to_omit(omit) -> frozenset[str]:
    """``omit`` as a frozenset, or ValueError naming what is not in OMITTABLE_CHECKS."""
    omit = frozenset(omit)
    if not omit <= OMITTABLE_CHECKS:
        raise ValueError(f"LLVM tier: unsafe_omit takes {sorted(OMITTABLE_CHECKS)}, not {sorted(omit)}")
    return omit
