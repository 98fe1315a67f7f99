"""The WebAssembly 3.0 proposals by name: which rules validation applies, and which ones a module uses.

Why both: the 2.0 and 3.0 testsuites disagree on a few modules (2.0 rejects two memories, or a global
initialiser reading an earlier global of the same module, which 3.0 accepts), so validation takes the
feature set of the version being tested (``WASM2`` or ``WASM3``); and a tier that compiles only part of
3.0 refuses a module by naming what it uses (:func:`used_by`) rather than running it wrong.
"""

from __future__ import annotations

from . import syntax as S

EXTENDED_CONST = "extended-const"
MULTI_MEMORY = "multi-memory"
MEMORY64 = "memory64"
TAIL_CALL = "tail-call"
FUNCTION_REFERENCES = "function-references"
EXCEPTIONS = "exceptions"
RELAXED_SIMD = "relaxed-simd"
GC = "gc"

WASM2: frozenset[str] = frozenset()
WASM3: frozenset[str] = frozenset((EXTENDED_CONST, MULTI_MEMORY, MEMORY64, TAIL_CALL, FUNCTION_REFERENCES,
                                   EXCEPTIONS, RELAXED_SIMD, GC))

_CONST_ARITH = frozenset(("i32.add", "i32.sub", "i32.mul", "i64.add", "i64.sub", "i64.mul"))
_TAIL_CALLS = frozenset(("return_call", "return_call_indirect", "return_call_ref"))


def _const_exprs(m: S.Module):
    for g in m.globals:
        yield g.init
    for e in m.elems:
        if e.offset:
            yield e.offset
        yield from e.init
    for d in m.datas:
        if d.offset:
            yield d.offset


def _instructions(body: list):
    """Every instruction of a body, nested ones included (iteratively: bodies may nest deeply)."""
    stack = [body]
    while stack:
        for ins in stack.pop():
            yield ins
            name = ins[0]
            if name in ("block", "loop"):
                stack.append(ins[2])
            elif name == "if":
                stack.append(ins[2])
                stack.append(ins[3])


def used_by(m: S.Module) -> set[str]:
    """The 3.0 features ``m`` uses (of those a compiled tier may lack), for a tier to refuse it by name."""
    used: set[str] = set()
    mems = [imp.desc for imp in m.imported("memory")] + list(m.mems)
    if len(mems) > 1:
        used.add(MULTI_MEMORY)
    if any(mt.addr == "i64" for mt in mems):
        used.add(MEMORY64)
    tables = [imp.desc for imp in m.imported("table")] + list(m.tables)
    if any(t.addr == "i64" for t in tables):
        used.add(MEMORY64)
    if any(ins[0] in _CONST_ARITH for expr in _const_exprs(m) for ins in expr):
        used.add(EXTENDED_CONST)
    for f in m.funcs:
        for ins in _instructions(f.body):
            if ins[0] in _TAIL_CALLS:
                used.add(TAIL_CALL)
    return used


__all__ = ["EXTENDED_CONST", "MULTI_MEMORY", "MEMORY64", "TAIL_CALL", "FUNCTION_REFERENCES", "EXCEPTIONS",
           "RELAXED_SIMD", "GC", "WASM2", "WASM3", "used_by"]
