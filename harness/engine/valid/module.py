"""Validation of a whole module (wasm 2.0): limits, constant expressions, segments, exports, start, code."""

from __future__ import annotations

from .. import syntax as S
from ..errors import ValidationError
from .code import validate_function
from .context import Context, build_context

MAX_PAGES = 65536
_CONST_OPS = {"i32.const": "i32", "i64.const": "i64", "f32.const": "f32", "f64.const": "f64",
              "v128.const": "v128"}


def validate_module(m: S.Module) -> None:
    """Raise :class:`ValidationError` (spec wording) unless ``m`` is valid."""
    c = build_context(m)
    for i, imp in enumerate(m.imports):
        where = f"import {i} ({imp.module}.{imp.name})"
        if imp.kind == "table":
            _check_limits(imp.desc.limits, None, where)
        elif imp.kind == "memory":
            _check_limits(imp.desc.limits, MAX_PAGES, where)
    for i, t in enumerate(m.tables):
        _check_limits(t.limits, None, f"table {i}")
    for i, mt in enumerate(m.mems):
        _check_limits(mt.limits, MAX_PAGES, f"memory {i}")
    if len(c.mems) > 1:
        raise ValidationError("multiple memories")
    for i, g in enumerate(m.globals):
        check_const(c, g.init, g.type.valtype, f"global {c.imported_globals + i}")
    for i, e in enumerate(m.elems):
        where = f"elem segment {i}"
        if e.mode == "active":
            if not 0 <= e.table < len(c.tables):
                raise ValidationError(f"unknown table {e.table}", where)
            check_const(c, e.offset or [], "i32", where)
            if c.tables[e.table].elem != e.type:
                raise ValidationError("type mismatch", where)
        for item in e.init:
            check_const(c, item, e.type, where)
    for i, d in enumerate(m.datas):
        where = f"data segment {i}"
        if d.mode == "active":
            if not 0 <= d.memory < len(c.mems):
                raise ValidationError(f"unknown memory {d.memory}", where)
            check_const(c, d.offset or [], "i32", where)
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
    names: set[str] = set()
    spaces = {"func": c.funcs, "table": c.tables, "memory": c.mems, "global": c.globals}
    for exp in m.exports:
        space = spaces[exp.kind]
        if not 0 <= exp.index < len(space):
            what = "function" if exp.kind == "func" else exp.kind
            raise ValidationError(f"unknown {what} {exp.index}", f"export {exp.name!r}")
        if exp.name in names:
            raise ValidationError("duplicate export name", f"export {exp.name!r}")
        names.add(exp.name)


def _check_limits(lim: S.Limits, bound: int | None, where: str) -> None:
    if bound is not None:
        if lim.min > bound or (lim.max is not None and lim.max > bound):
            raise ValidationError("memory size must be at most 65536 pages (4GiB)", where)
    if lim.max is not None and lim.min > lim.max:
        raise ValidationError("size minimum must not be greater than maximum", where)


def check_const(c: Context, expr: list, expected: str, where: str) -> None:
    """A constant expression of type ``expected`` (2.0: consts, ref.null, ref.func, imported immutable globals)."""
    stack: list[str] = []
    for ins in expr:
        name = ins[0]
        if name in _CONST_OPS:
            stack.append(_CONST_OPS[name])
        elif name == "ref.null":
            stack.append(ins[1])
        elif name == "ref.func":
            if not 0 <= ins[1] < len(c.funcs):
                raise ValidationError(f"unknown function {ins[1]}", where)
            stack.append("funcref")
        elif name == "global.get":
            x = ins[1]
            if not 0 <= x < c.imported_globals:
                raise ValidationError(f"unknown global {x}", where)
            g = c.globals[x]
            if g.mutable:
                raise ValidationError("constant expression required", where)
            stack.append(g.valtype)
        else:
            raise ValidationError("constant expression required", where)
    if stack != [expected]:
        raise ValidationError("type mismatch", where)
