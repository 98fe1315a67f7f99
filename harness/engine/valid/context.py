"""The validation context C of the spec: the types of everything a module's code can refer to."""

from __future__ import annotations

from .. import syntax as S
from .. import types
from ..errors import ValidationError
from ..features import WASM3
from ..records import Record
from .typedefs import Hierarchy


class Context(Record):
    __slots__ = ("types", "funcs", "tables", "mems", "globals", "imported_globals", "elems", "datas", "refs",
                 "features", "kinds", "supers", "canon", "func_type_idx", "tags")

    def __init__(self, types: list[S.FuncType], funcs: list[S.FuncType], tables: list[S.TableType],
                 mems: list[S.MemType], globals: list[S.GlobalType], imported_globals: int, elems: list[str],
                 datas: int, refs: set[int] | None = None, features: frozenset[str] = WASM3,
                 func_type_idx: list[int] | None = None, tags: list[S.FuncType] | None = None,
                 hierarchy: Hierarchy | None = None):
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
        h = hierarchy if hierarchy is not None else Hierarchy(types, [(i, 1) for i in range(len(types))], {})
        self.kinds = h.kinds  # what each defined type is: "func", "struct", "array"
        self.supers = h.supers  # declared supertype of each (GC)
        self.canon = h.canon  # equivalent types share an id
        self.func_type_idx = [] if func_type_idx is None else func_type_idx  # type index of each function
        self.tags = [] if tags is None else tags  # each tag's type (imports first)

    def matches(self, actual: str, expected: str) -> bool:
        """Value subtyping beyond equality (3.0 reference types)."""
        a, b = types.parse(actual), types.parse(expected)
        if a is None or b is None or (a[0] and not b[0]):
            return False
        return types.heap_sub(a[1], b[1], self.kinds, self.supers, self.canon)

    def check_type(self, t: str) -> None:
        """``unknown type`` for a reference to a type index the module does not define."""
        parsed = types.parse(t)
        if parsed is not None and isinstance(parsed[1], int) and parsed[1] >= len(self.types):
            raise ValidationError(f"unknown type {parsed[1]}")

    def type_(self, idx: int) -> S.FuncType:
        """Function type ``idx`` ("type mismatch" for a struct or array type)."""
        if not 0 <= idx < len(self.types):
            raise ValidationError(f"unknown type {idx}")
        if self.kinds[idx] != "func":
            raise ValidationError("type mismatch")
        return self.types[idx]


def build_context(m: S.Module, features: frozenset[str] = WASM3) -> Context:
    """Collect C from the module; raises "unknown type" for a function whose type index is out of range."""
    types = list(m.types)

    def ftype(idx: int, where: str) -> S.FuncType:
        if not 0 <= idx < len(types):
            raise ValidationError(f"unknown type {idx}", where)
        if not isinstance(types[idx], S.FuncType):
            raise ValidationError("type mismatch", where)
        return types[idx]

    funcs: list[S.FuncType] = []
    func_type_idx: list[int] = []
    tags: list[S.FuncType] = []
    tables: list[S.TableType] = []
    mems: list[S.MemType] = []
    globals_: list[S.GlobalType] = []
    for i, imp in enumerate(m.imports):
        if imp.kind == "func":
            funcs.append(ftype(imp.desc, f"import {i} ({imp.module}.{imp.name})"))
            func_type_idx.append(imp.desc)
        elif imp.kind == "table":
            tables.append(imp.desc)
        elif imp.kind == "memory":
            mems.append(imp.desc)
        elif imp.kind == "tag":
            tags.append(ftype(imp.desc, f"import {i} ({imp.module}.{imp.name})"))
        else:
            globals_.append(imp.desc)
    imported_globals = len(globals_)
    for f in m.funcs:
        funcs.append(ftype(f.type_idx, f"func {len(funcs)}"))
        func_type_idx.append(f.type_idx)
    tags.extend(ftype(t, f"tag {len(tags)}") for t in m.tags)
    tables.extend(m.tables)
    mems.extend(m.mems)
    globals_.extend(g.type for g in m.globals)
    refs: set[int] = set()
    for exp in m.exports:
        if exp.kind == "func":
            refs.add(exp.index)
    for expr in [g.init for g in m.globals] + [e for el in m.elems for e in el.init] + list(m.table_inits.values()):
        for ins in expr:
            if ins[0] == "ref.func":
                refs.add(ins[1])
    return Context(types, funcs, tables, mems, globals_, imported_globals,
                   [e.type for e in m.elems], len(m.datas), refs, features, func_type_idx, tags,
                   Hierarchy(types, m.groups(), m.subs))
