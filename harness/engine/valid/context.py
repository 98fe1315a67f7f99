"""The validation context C of the spec: the types of everything a module's code can refer to."""

from __future__ import annotations

from .. import syntax as S
from ..errors import ValidationError
from ..features import WASM3
from ..records import Record


class Context(Record):
    __slots__ = ("types", "funcs", "tables", "mems", "globals", "imported_globals", "elems", "datas", "refs",
                 "features")

    def __init__(self, types: list[S.FuncType], funcs: list[S.FuncType], tables: list[S.TableType],
                 mems: list[S.MemType], globals: list[S.GlobalType], imported_globals: int, elems: list[str],
                 datas: int, refs: set[int] | None = None, features: frozenset[str] = WASM3):
        self.types = types
        self.funcs = funcs  # imports first
        self.tables = tables
        self.mems = mems
        self.globals = globals
        self.imported_globals = imported_globals
        self.elems = elems  # reference type of each element segment
        self.datas = datas  # number of data segments
        self.refs = set() if refs is None else refs  # C.refs: functions that ref.func in code may name
        self.features = features  # the proposals whose rules apply (features.WASM2 or WASM3)

    def type_(self, idx: int) -> S.FuncType:
        if not 0 <= idx < len(self.types):
            raise ValidationError(f"unknown type {idx}")
        return self.types[idx]


def build_context(m: S.Module, features: frozenset[str] = WASM3) -> Context:
    """Collect C from the module; raises "unknown type" for a function whose type index is out of range."""
    types = list(m.types)

    def ftype(idx: int, where: str) -> S.FuncType:
        if not 0 <= idx < len(types):
            raise ValidationError(f"unknown type {idx}", where)
        return types[idx]

    funcs: list[S.FuncType] = []
    tables: list[S.TableType] = []
    mems: list[S.MemType] = []
    globals_: list[S.GlobalType] = []
    for i, imp in enumerate(m.imports):
        if imp.kind == "func":
            funcs.append(ftype(imp.desc, f"import {i} ({imp.module}.{imp.name})"))
        elif imp.kind == "table":
            tables.append(imp.desc)
        elif imp.kind == "memory":
            mems.append(imp.desc)
        else:
            globals_.append(imp.desc)
    imported_globals = len(globals_)
    for f in m.funcs:
        funcs.append(ftype(f.type_idx, f"func {len(funcs)}"))
    tables.extend(m.tables)
    mems.extend(m.mems)
    globals_.extend(g.type for g in m.globals)
    refs: set[int] = set()
    for exp in m.exports:
        if exp.kind == "func":
            refs.add(exp.index)
    for expr in [g.init for g in m.globals] + [e for el in m.elems for e in el.init]:
        for ins in expr:
            if ins[0] == "ref.func":
                refs.add(ins[1])
    return Context(types, funcs, tables, mems, globals_, imported_globals,
                   [e.type for e in m.elems], len(m.datas), refs, features)
