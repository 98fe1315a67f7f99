"""Validation of a whole module (wasm 2.0, and 3.0 where ``features`` says so): limits, constant
expressions, segments, exports, start, code."""

from __future__ import annotations

from .. import syntax as S
from .. import types
from ..errors import ValidationError
from ..features import EXTENDED_CONST, FUNCTION_REFERENCES, GC, MULTI_MEMORY, WASM3
from .code import validate_function
from .context import Context, build_context
from .typedefs import check_types

MAX_PAGES = 65536
MAX_PAGES64 = 1 << 48
_CONST_OPS = {"i32.const": "i32", "i64.const": "i64", "f32.const": "f32", "f64.const": "f64",
              "v128.const": "v128"}
_CONST_ARITH = {"i32.add": "i32", "i32.sub": "i32", "i32.mul": "i32",
                "i64.add": "i64", "i64.sub": "i64", "i64.mul": "i64"}


def validate_module(m: S.Module, features: frozenset[str] = WASM3) -> None:
    """Raise :class:`ValidationError` (spec wording) unless ``m`` is valid under the rules of ``features``
    (:data:`~harness.engine.features.WASM3` by default, ``WASM2`` for the 2.0 rules)."""
    c = build_context(m, features)
    check_types(c, m.types, m.groups(), m.subs)
    try:
        for t in [imp.desc.valtype for imp in m.imported("global")] + [g.type.valtype for g in m.globals]:
            c.check_type(t)
        for t in [imp.desc.elem for imp in m.imported("table")] + [t.elem for t in m.tables] + [e.type for e in m.elems]:
            c.check_type(t)
    except ValidationError as e:
        raise ValidationError(e.message, "types") from None
    for i, imp in enumerate(m.imports):
        where = f"import {i} ({imp.module}.{imp.name})"
        if imp.kind == "table":
            _check_table(imp.desc, where)
        elif imp.kind == "memory":
            _check_memory(imp.desc, where)
    ntables = len(m.imported("table"))
    for i, t in enumerate(m.tables):
        where = f"table {ntables + i}"
        _check_table(t, where)
        init = m.table_inits.get(i)
        if init is not None:  # tables come before globals: only imported ones are there to read
            check_const(c, init, t.elem, where, c.imported_globals)
        elif not types.nullable(t.elem):
            raise ValidationError("type mismatch", where)
    for i, mt in enumerate(m.mems):
        _check_memory(mt, f"memory {i}")
    if len(c.mems) > 1 and MULTI_MEMORY not in features:
        raise ValidationError("multiple memories")
    for i, g in enumerate(m.globals):
        # 3.0: an initialiser may read any earlier immutable global; 2.0: imported ones only
        readable = c.imported_globals + i if GC in features else c.imported_globals
        check_const(c, g.init, g.type.valtype, f"global {c.imported_globals + i}", readable)
    for i, e in enumerate(m.elems):
        where = f"elem segment {i}"
        if e.mode == "active":
            if not 0 <= e.table < len(c.tables):
                raise ValidationError(f"unknown table {e.table}", where)
            check_const(c, e.offset or [], c.tables[e.table].addr, where)
            if c.tables[e.table].elem != e.type and not c.matches(e.type, c.tables[e.table].elem):
                raise ValidationError("type mismatch", where)
        for item in e.init:
            check_const(c, item, e.type, where)
    for i, d in enumerate(m.datas):
        where = f"data segment {i}"
        if d.mode == "active":
            if not 0 <= d.memory < len(c.mems):
                raise ValidationError(f"unknown memory {d.memory}", where)
            check_const(c, d.offset or [], c.mems[d.memory].addr, where)
    nimported = len(c.funcs) - len(m.funcs)
    for i, f in enumerate(m.funcs):
        idx = nimported + i
        try:
            validate_function(c, c.funcs[idx], f.locals, f.body)
        except ValidationError as e:
            name = m.func_names.get(idx)
            raise ValidationError(e.message, f"func {idx}" + (f" ${name}" if name else "")) from None
    if m.start is not None:
        if not 0 <= m.start < len(c.funcs):
            raise ValidationError(f"unknown function {m.start}", "start")
        ft = c.funcs[m.start]
        if ft.params or ft.results:
            raise ValidationError("start function must have type [] -> []", "start")
    for i, tt in enumerate(c.tags):
        if tt.results:
            raise ValidationError("non-empty tag result type", f"tag {i}")
    names: set[str] = set()
    spaces = {"func": c.funcs, "table": c.tables, "memory": c.mems, "global": c.globals, "tag": c.tags}
    for exp in m.exports:
        space = spaces[exp.kind]
        if not 0 <= exp.index < len(space):
            what = "function" if exp.kind == "func" else exp.kind
            raise ValidationError(f"unknown {what} {exp.index}", f"export {exp.name!r}")
        if exp.name in names:
            raise ValidationError("duplicate export name", f"export {exp.name!r}")
        names.add(exp.name)


def _check_memory(mt: S.MemType, where: str) -> None:
    if mt.addr == "i64":
        _check_limits(mt.limits, MAX_PAGES64, "memory size must be at most 2^48 pages (16 EiB)", where)
    else:
        _check_limits(mt.limits, MAX_PAGES, "memory size must be at most 65536 pages (4GiB)", where)


def _check_table(t: S.TableType, where: str) -> None:
    if t.addr == "i64":
        _check_limits(t.limits, None, "", where)
    else:
        _check_limits(t.limits, 0xFFFFFFFF, "table size must be at most 2^32-1", where)


def _check_limits(lim: S.Limits, bound: int | None, message: str, where: str) -> None:
    if bound is not None:
        if lim.min > bound or (lim.max is not None and lim.max > bound):
            raise ValidationError(message, where)
    if lim.max is not None and lim.min > lim.max:
        raise ValidationError("size minimum must not be greater than maximum", where)


_CONST_ALLOC = frozenset(("struct.new", "struct.new_default", "array.new", "array.new_default", "array.new_fixed"))


def _const_alloc(c: Context, stack: list[str], ins: tuple, where: str) -> None:
    """A struct or array made in a constant expression (3.0): its operands typed as in code."""
    from .code import const_operands

    try:
        needed = const_operands(c, ins)
    except ValidationError as e:
        raise ValidationError(e.message, where) from None
    n = len(needed)
    got = stack[len(stack) - n:] if n else []
    if len(got) != n or any(a != b and not c.matches(a, b) for a, b in zip(got, needed, strict=True)):
        raise ValidationError("type mismatch", where)
    del stack[len(stack) - n:]
    stack.append(types.ref(False, ins[1]))


def check_const(c: Context, expr: list, expected: str, where: str, readable: int | None = None) -> None:
    """A constant expression of type ``expected``: consts, ref.null, ref.func, immutable globals (the first
    ``readable`` ones: by default all of them in 3.0, the imported ones in 2.0), and in 3.0 the
    extended-const integer arithmetic."""
    if readable is None:
        readable = len(c.globals) if GC in c.features else c.imported_globals
    stack: list[str] = []
    for ins in expr:
        name = ins[0]
        if name in _CONST_OPS:
            stack.append(_CONST_OPS[name])
        elif name == "ref.i31" and GC in c.features:
            if stack[-1:] != ["i32"]:
                raise ValidationError("type mismatch", where)
            stack[-1] = "(ref i31)"
        elif name in ("any.convert_extern", "extern.convert_any") and GC in c.features:
            source, target = ("extern", "any") if name == "any.convert_extern" else ("any", "extern")
            if not stack or not (stack[-1] == types.ref(True, source) or c.matches(stack[-1], types.ref(True, source))):
                raise ValidationError("type mismatch", where)
            stack[-1] = types.ref(types.nullable(stack[-1]), target)
        elif name in _CONST_ALLOC and GC in c.features:
            _const_alloc(c, stack, ins, where)
        elif name in _CONST_ARITH and EXTENDED_CONST in c.features:
            t = _CONST_ARITH[name]
            if stack[-2:] != [t, t]:
                raise ValidationError("type mismatch", where)
            stack.pop()
        elif name == "ref.null":
            c.check_type(ins[1])
            stack.append(ins[1])
        elif name == "ref.func":
            if not 0 <= ins[1] < len(c.funcs):
                raise ValidationError(f"unknown function {ins[1]}", where)
            stack.append(types.ref(False, c.func_type_idx[ins[1]]) if FUNCTION_REFERENCES in c.features
                         else "funcref")
        elif name == "global.get":
            x = ins[1]
            if not 0 <= x < readable:
                raise ValidationError(f"unknown global {x}", where)
            g = c.globals[x]
            if g.mutable:
                raise ValidationError("constant expression required", where)
            stack.append(g.valtype)
        else:
            raise ValidationError("constant expression required", where)
    if len(stack) != 1 or (stack[0] != expected and not c.matches(stack[0], expected)):
        raise ValidationError("type mismatch", where)
