"""Recursive inlining: small functions that call themselves more than once (fib, tree walks) get copies of
their own body inlined into themselves (``UNROLL_DEPTH`` levels deep) at O2 and above.

Why: such a function is bound by its calls, and LLVM's inliner never inlines a function into itself.  gcc
does, at -O2 (``max-inline-recursive-depth-auto``): native fib built by gcc without ``noinline`` runs 2.1x
faster than the same function kept out of line, which is what this tier produced before.

How: function ``f`` (wasm index ``n``) is translated ``UNROLL_DEPTH + 1`` times, as ``wasm_f<n>`` and as
``alwaysinline`` copies ``wasm_f<n>.rec1`` ... ``.rec<d>``.  In each, the *last* self-call site in code
order keeps calling that same function -- so tail-recursion elimination can still turn it into a loop with
an accumulator, which is what makes LLVM's fib fast -- and every other self-call calls the next copy in
the ring (the last copy calls ``wasm_f<n>`` again).  Because the always-inliner runs at the start of the
O2 pipeline, before tail-recursion elimination, ``jit.optimised`` first runs a short function pipeline
(SROA, instcombine, simplifycfg, tail-call elimination) over these functions alone; the O2 pipeline then
inlines the already-looped copies into ``wasm_f<n>`` and deletes them.

Semantics are untouched: every copy is the same wasm function, and each inlined call still raises the
stack floor by its charge (``FunctionCompiler.stack_check``), so runaway recursion still traps.
"""

from __future__ import annotations

from ... import syntax

# fib(32) on an Intel Xeon, side by side with depth 2: depth 1 0.0055 s, 2 0.0059 s, 3 0.0054 s, 4 0.0061 s,
# 5 0.0066-0.0071 s (none: 0.0067 s).  One copy gets nearly all of it for the least code.
UNROLL_DEPTH = 1
# Larger bodies gain little (their calls are a smaller share of their time) and would cost their size in
# code and compile time UNROLL_DEPTH more times.
MAX_INSTRUCTIONS = 120
COPY_SUFFIX = ".rec"
# A body with these is never copied: an inlined ``musttail`` call would no longer be in tail position
# (return_call*), and a handler's ``setjmp`` must stay in its own frame (try_table).
_NOT_INLINABLE = frozenset(("return_call", "return_call_indirect", "return_call_ref", "try_table"))


def self_call_sites(body: list, own_index: int) -> tuple[int, int]:
    """(instruction count, direct self-call sites) of a function body and the bodies nested in it;
    ``own_index`` in the function index space (imports first).  Iterative: nesting is as deep as the
    validator accepts."""
    size = sites = 0
    pending = [body]
    while pending:
        for ins in pending.pop():
            size += 1
            if ins[0] == "call" and ins[1] == own_index:
                sites += 1
            elif ins[0] in _NOT_INLINABLE:
                return size, 0
            for part in ins[1:]:
                if isinstance(part, list) and part and isinstance(part[0], tuple):
                    pending.append(part)
    return size, sites


def candidates(module: syntax.Module, defined: range | None = None) -> dict[int, int]:
    """Index (among defined functions) -> number of direct self-call sites, of the functions to unroll:
    at most ``MAX_INSTRUCTIONS`` instructions and at least two direct self-calls (with one,
    tail-recursion elimination or plain recursion leaves nothing for a copy to do)."""
    n_imported = len(module.imported("func"))
    found = {}
    for i in defined if defined is not None else range(len(module.funcs)):
        size, sites = self_call_sites(module.funcs[i].body, n_imported + i)
        if sites >= 2 and size <= MAX_INSTRUCTIONS:
            found[i] = sites
    return found


def is_unrolled(name: str) -> bool:
    """Whether an LLVM function name is a recursion copy (for ``jit.optimised``'s pre-pipeline)."""
    return COPY_SUFFIX in name


def depth_for(opt_level: int) -> int:
    """The number of copies at ``opt_level``: none below O2, where compile time matters more."""
    return UNROLL_DEPTH if opt_level >= 2 else 0
