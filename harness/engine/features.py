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
_GC = frozenset(("ref.eq", "ref.i31", "i31.get_s", "i31.get_u", "any.convert_extern", "extern.convert_any",
                 "ref.test", "ref.cast", "br_on_cast", "br_on_cast_fail", "array.len"))
_EXCEPTIONS = frozenset(("throw", "throw_ref", "try_table"))
_FUNCTION_REFERENCES = frozenset(("call_ref", "return_call_ref", "ref.as_non_null", "br_on_null", "br_on_non_null"))
_TYPES_2_0 = frozenset(S.VAL_TYPES)


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
            if name in ("block", "loop", "try_table"):
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
    if m.rec_groups or m.subs or any(not isinstance(t, S.FuncType) for t in m.types):
        used.add(GC)
    # (tags alone are the shared instantiation's: a tier needs exception handling only for the instructions)
    declared = [t for ft in m.types if isinstance(ft, S.FuncType) for t in ft.params + ft.results]
    declared += [t.elem for t in tables]
    declared += [g.type.valtype for g in m.globals] + [imp.desc.valtype for imp in m.imported("global")]
    # (element segments are the shared instantiation's: 3.0 types function indices (ref func), harmlessly)
    if m.table_inits or any(t not in _TYPES_2_0 for t in declared):
        used.add(FUNCTION_REFERENCES)
    for f in m.funcs:
        if any(t not in _TYPES_2_0 for t in f.locals):
            used.add(FUNCTION_REFERENCES)
        for ins in _instructions(f.body):
            name = ins[0]
            if name in _TAIL_CALLS:
                used.add(TAIL_CALL)
            if name in _EXCEPTIONS:
                used.add(EXCEPTIONS)
            if name in _GC or name.startswith(("struct.", "array.")):
                used.add(GC)
            if ".relaxed_" in name:
                used.add(RELAXED_SIMD)
            if name in _FUNCTION_REFERENCES or (name == "ref.null" and ins[1] not in _TYPES_2_0):
                used.add(FUNCTION_REFERENCES)
    return used


__all__ = ["EXTENDED_CONST", "MULTI_MEMORY", "MEMORY64", "TAIL_CALL", "FUNCTION_REFERENCES", "EXCEPTIONS",
           "RELAXED_SIMD", "GC", "WASM2", "WASM3", "used_by"]
