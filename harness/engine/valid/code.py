"""Validation of function bodies: the spec's algorithm (operand stack with Unknown, control frames).

The IR is structured (blocks hold their bodies), so instead of recursing into nested bodies the
validator keeps one control frame per open block, each with an iterator over its instruction list:
nesting depth costs list entries, not Python stack frames.

Instructions are typed by two tables: ``SIGNATURES`` (the opcode table's fixed stack signatures), with
``_IMMEDIATES`` checking the indices and lanes some of them carry, and ``_INSTRUCTIONS``, one handler per
instruction whose typing depends on its immediates or the context (control, variables, references,
tables).  Opening a block is a handler that pushes a frame; the loop below is the only one that walks.
"""

from __future__ import annotations

from collections.abc import Callable

from .. import syntax as S
from .. import types
from ..binary.opcodes import LANES, NATURAL_ALIGN, SIGNATURES, memory_index
from ..errors import ValidationError
from ..features import FUNCTION_REFERENCES
from .context import Context

UNKNOWN = None  # the operand type of unreachable code
_NUM_VEC = frozenset(("i32", "i64", "f32", "f64", "v128", None))
_REF = frozenset(("funcref", "externref", None))
_DEFAULTABLE = frozenset(("i32", "i64", "f32", "f64", "v128"))
_DONE = object()
_MISMATCH = "type mismatch"


class _Frame:
    __slots__ = ("kind", "params", "results", "height", "unreachable", "it", "else_body", "uninit")

    def __init__(self, kind, params, results, height, it, else_body=None, uninit=None):
        self.kind = kind
        self.params = params
        self.results = results
        self.height = height
        self.unreachable = False
        self.it = it
        self.else_body = else_body
        self.uninit = uninit  # the locals not yet set when the block began (None: all were)

    def labels(self) -> tuple:
        return self.params if self.kind == "loop" else self.results


def _err(msg: str) -> ValidationError:
    return ValidationError(msg)


class _Checker:
    """The state of one function body's check: the context, its locals, the operand and control stacks,
    and the spec's auxiliary operations on them (``pop``, ``label``, ``set_unreachable``, index lookups)."""

    __slots__ = ("c", "locals", "vals", "ctrls", "uninit")

    def __init__(self, c: Context, local_types: list[str], ctrls: list[_Frame], uninit: set[int]):
        self.c = c
        self.locals = local_types
        self.vals: list = []
        self.ctrls = ctrls
        self.uninit = uninit  # non-nullable reference locals not set yet on this path (3.0)

    def pop(self, expect=UNKNOWN):
        frame = self.ctrls[-1]
        vals = self.vals
        if len(vals) == frame.height:
            if frame.unreachable:
                return expect
            raise _err(_MISMATCH)
        actual = vals.pop()
        if actual is UNKNOWN:
            return expect
        if expect is not UNKNOWN and actual != expect and not self.c.matches(actual, expect):
            raise _err(_MISMATCH)
        return actual

    def pops(self, types) -> None:
        for t in reversed(types):
            self.pop(t)

    def open(self, kind: str, bt, body: list, else_body: list | None = None, cond: bool = False) -> None:
        """Enter a block, loop or if (``cond``: pop its i32 condition first)."""
        params, results = self.blocktype(bt)
        if cond:
            self.pop("i32")
        self.pops(params)
        uninit = frozenset(self.uninit) if self.uninit else None
        self.ctrls.append(_Frame(kind, params, results, len(self.vals), iter(body), else_body, uninit))
        self.vals.extend(params)

    def blocktype(self, bt) -> tuple[tuple, tuple]:
        if bt is None:
            return (), ()
        if isinstance(bt, str):
            self.c.check_type(bt)
            return (), (bt,)
        ft = self.c.type_(bt)
        return ft.params, ft.results

    def label(self, n: int) -> _Frame:
        if not 0 <= n < len(self.ctrls):
            raise _err(f"unknown label {n}")
        return self.ctrls[-1 - n]

    def set_unreachable(self) -> None:
        frame = self.ctrls[-1]
        del self.vals[frame.height:]
        frame.unreachable = True

    def mem(self, x: int) -> str:
        """Memory ``x``'s address type."""
        if not 0 <= x < len(self.c.mems):
            raise _err(f"unknown memory {x}")
        return self.c.mems[x].addr

    def table(self, t: int) -> S.TableType:
        if not 0 <= t < len(self.c.tables):
            raise _err(f"unknown table {t}")
        return self.c.tables[t]

    def elem(self, e: int) -> str:
        if not 0 <= e < len(self.c.elems):
            raise _err(f"unknown elem segment {e}")
        return self.c.elems[e]

    def data(self, d: int) -> None:
        if not 0 <= d < self.c.datas:
            raise _err(f"unknown data segment {d}")

    def func(self, f: int) -> S.FuncType:
        if not 0 <= f < len(self.c.funcs):
            raise _err(f"unknown function {f}")
        return self.c.funcs[f]

    def tag(self, x: int) -> S.FuncType:
        if not 0 <= x < len(self.c.tags):
            raise _err(f"unknown tag {x}")
        return self.c.tags[x]

    def glob(self, g: int) -> S.GlobalType:
        if not 0 <= g < len(self.c.globals):
            raise _err(f"unknown global {g}")
        return self.c.globals[g]

    def local(self, i: int) -> str:
        if not 0 <= i < len(self.locals):
            raise _err(f"unknown local {i}")
        return self.locals[i]


Handler = Callable[[_Checker, tuple], None]


# -- immediates of instructions typed by a fixed signature: checked before their operands are popped --------
def _lane(v: _Checker, ins: tuple) -> None:
    if ins[1] >= LANES[ins[0]]:
        raise _err("invalid lane index")


def _shuffle(v: _Checker, ins: tuple) -> None:
    if any(lane >= 32 for lane in ins[1]):
        raise _err("invalid lane index")


def _data_drop(v: _Checker, ins: tuple) -> None:
    v.data(ins[1])


def _elem_drop(v: _Checker, ins: tuple) -> None:
    v.elem(ins[1])


_IMMEDIATES: dict[str, Handler] = {
    **{name: _lane for name in LANES if name not in NATURAL_ALIGN},
    "i8x16.shuffle": _shuffle,
    "data.drop": _data_drop,
    "elem.drop": _elem_drop,
}


# -- memory: the address type is the memory's (i64 for a memory64) ----------------------------------------
def _access(v: _Checker, ins: tuple) -> None:  # loads and stores, scalar and v128, lanes too
    name = ins[0]
    at = v.mem(memory_index(ins))
    if ins[1] > NATURAL_ALIGN[name]:
        raise _err("alignment must not be larger than natural")
    if at == "i32" and ins[2] >= 1 << 32:
        raise _err("offset out of range")
    if name in LANES and ins[3] >= LANES[name]:
        raise _err("invalid lane index")
    params, results = SIGNATURES[name]
    v.pops((at,) + params[1:])
    v.vals.extend(results)


def _memory_size(v: _Checker, ins: tuple) -> None:
    v.vals.append(v.mem(memory_index(ins)))


def _memory_grow(v: _Checker, ins: tuple) -> None:
    at = v.mem(memory_index(ins))
    v.pop(at)
    v.vals.append(at)


def _memory_fill(v: _Checker, ins: tuple) -> None:
    at = v.mem(memory_index(ins))
    v.pops((at, "i32", at))


def _memory_copy(v: _Checker, ins: tuple) -> None:
    dst = v.mem(memory_index(ins))
    src = v.mem(memory_index(ins, source=True))
    v.pops((dst, src, "i32" if "i32" in (dst, src) else "i64"))


def _memory_init(v: _Checker, ins: tuple) -> None:
    at = v.mem(memory_index(ins))
    v.data(ins[1])
    v.pops((at, "i32", "i32"))


_TABLE_INDEXED = frozenset(("table.copy", "table.init"))  # typed by their tables' address types, below
_MEMORY: dict[str, Handler] = {
    **dict.fromkeys(NATURAL_ALIGN, _access),
    "memory.size": _memory_size,
    "memory.grow": _memory_grow,
    "memory.fill": _memory_fill,
    "memory.copy": _memory_copy,
    "memory.init": _memory_init,
}
# the fixed signatures, less the memory instructions (their address type depends on the memory)
_FIXED = {name: sig for name, sig in SIGNATURES.items() if name not in _MEMORY and name not in _TABLE_INDEXED}


# -- control ---------------------------------------------------------------------------------------------
def _block(v: _Checker, ins: tuple) -> None:  # block and loop
    v.open(ins[0], ins[1], ins[2])


def _try_table(v: _Checker, ins: tuple) -> None:
    """A block whose catch clauses branch (from outside it) with the caught exception's values."""
    for kind, tag, label in ins[3]:
        payload = tuple(v.tag(tag).params) if tag is not None else ()
        if kind.endswith("_ref"):
            payload += ("(ref exn)",)
        types_ = v.label(label).labels()
        if len(types_) != len(payload) or any(a != b and not v.c.matches(a, b)
                                              for a, b in zip(payload, types_, strict=True)):
            raise _err(_MISMATCH)
    v.open("block", ins[1], ins[2])


def _throw(v: _Checker, ins: tuple) -> None:
    v.pops(v.tag(ins[1]).params)
    v.set_unreachable()


def _throw_ref(v: _Checker, ins: tuple) -> None:
    v.pop("exnref")
    v.set_unreachable()


def _if(v: _Checker, ins: tuple) -> None:
    v.open("if", ins[1], ins[2], ins[3], cond=True)


def _br(v: _Checker, ins: tuple) -> None:
    v.pops(v.label(ins[1]).labels())
    v.set_unreachable()


def _br_if(v: _Checker, ins: tuple) -> None:
    types = v.label(ins[1]).labels()
    v.pop("i32")
    v.pops(types)
    v.vals.extend(types)


def _br_table(v: _Checker, ins: tuple) -> None:
    vals = v.vals
    v.pop("i32")
    default = v.label(ins[2]).labels()
    arity = len(default)
    for n in ins[1]:
        types = v.label(n).labels()
        if len(types) != arity:
            raise _err(_MISMATCH)
        # check that the operands fit this label without consuming them
        before = len(vals)
        tail = vals[before - arity:] if arity <= before else list(vals)
        v.pops(types)
        removed = before - len(vals)
        if removed:
            vals.extend(tail[len(tail) - removed:])
    v.pops(default)
    v.set_unreachable()


def _return(v: _Checker, ins: tuple) -> None:
    v.pops(v.ctrls[0].results)
    v.set_unreachable()


def _unreachable(v: _Checker, ins: tuple) -> None:
    v.set_unreachable()


def _nop(v: _Checker, ins: tuple) -> None:
    pass


def _call(v: _Checker, ins: tuple) -> None:
    ft = v.func(ins[1])
    v.pops(ft.params)
    v.vals.extend(ft.results)


def _call_indirect(v: _Checker, ins: tuple) -> None:
    if not _is_funcs(v, v.table(ins[2]).elem):
        raise _err(_MISMATCH)
    ft = v.c.type_(ins[1])
    v.pop(v.table(ins[2]).addr)
    v.pops(ft.params)
    v.vals.extend(ft.results)


def _tail(v: _Checker, ft: S.FuncType) -> None:
    """A tail call returns the callee's results as the caller's own: they must be the same types."""
    own = v.ctrls[0].results
    if len(ft.results) != len(own) or any(a != b and not v.c.matches(a, b)
                                          for a, b in zip(ft.results, own, strict=True)):
        raise _err(_MISMATCH)
    v.pops(ft.params)
    v.set_unreachable()


def _return_call(v: _Checker, ins: tuple) -> None:
    _tail(v, v.func(ins[1]))


def _is_funcs(v: _Checker, t: str) -> bool:
    return t == "funcref" or v.c.matches(t, "funcref")


def _return_call_indirect(v: _Checker, ins: tuple) -> None:
    t = v.table(ins[2])
    if not _is_funcs(v, t.elem):
        raise _err(_MISMATCH)
    ft = v.c.type_(ins[1])
    v.pop(t.addr)
    _tail(v, ft)


# -- parametric ------------------------------------------------------------------------------------------
def _drop(v: _Checker, ins: tuple) -> None:
    v.pop()


def _select(v: _Checker, ins: tuple) -> None:
    if len(ins) > 1:  # select t*: typed by its immediate
        if len(ins[1]) != 1:
            raise _err("invalid result arity")
        t = ins[1][0]
        v.c.check_type(t)
        v.pop("i32")
        v.pop(t)
        v.pop(t)
        v.vals.append(t)
        return
    v.pop("i32")
    t1 = v.pop()
    t2 = v.pop()
    if t1 not in _NUM_VEC or t2 not in _NUM_VEC:
        raise _err(_MISMATCH)
    if t1 is not UNKNOWN and t2 is not UNKNOWN and t1 != t2:
        raise _err(_MISMATCH)
    v.vals.append(t2 if t1 is UNKNOWN else t1)


# -- variables -------------------------------------------------------------------------------------------
def _local_get(v: _Checker, ins: tuple) -> None:
    t = v.local(ins[1])
    if v.uninit and ins[1] in v.uninit:
        raise _err("uninitialized local")
    v.vals.append(t)


def _local_set(v: _Checker, ins: tuple) -> None:
    v.pop(v.local(ins[1]))
    if v.uninit:
        v.uninit.discard(ins[1])


def _local_tee(v: _Checker, ins: tuple) -> None:
    t = v.local(ins[1])
    v.pop(t)
    if v.uninit:
        v.uninit.discard(ins[1])
    v.vals.append(t)


def _global_get(v: _Checker, ins: tuple) -> None:
    v.vals.append(v.glob(ins[1]).valtype)


def _global_set(v: _Checker, ins: tuple) -> None:
    g = v.glob(ins[1])
    if not g.mutable:
        raise _err("global is immutable")
    v.pop(g.valtype)


# -- references ------------------------------------------------------------------------------------------
def _ref_null(v: _Checker, ins: tuple) -> None:
    v.c.check_type(ins[1])
    v.vals.append(ins[1])


def _pop_ref(v: _Checker) -> str | None:
    t = v.pop()
    if t not in _REF and not types.is_ref(t):
        raise _err(_MISMATCH)
    return t


def _ref_is_null(v: _Checker, ins: tuple) -> None:
    _pop_ref(v)
    v.vals.append("i32")


def _ref_func(v: _Checker, ins: tuple) -> None:
    v.func(ins[1])
    if ins[1] not in v.c.refs:
        raise _err("undeclared function reference")
    # 3.0: a reference to the function's own type (a subtype of funcref)
    v.vals.append(types.ref(False, v.c.func_type_idx[ins[1]]) if FUNCTION_REFERENCES in v.c.features else "funcref")


def _ref_as_non_null(v: _Checker, ins: tuple) -> None:
    t = _pop_ref(v)
    v.vals.append(UNKNOWN if t is UNKNOWN else types.non_null(t))


def _br_on_null(v: _Checker, ins: tuple) -> None:
    t = _pop_ref(v)
    labels = v.label(ins[1]).labels()
    v.pops(labels)
    v.vals.extend(labels)
    v.vals.append(UNKNOWN if t is UNKNOWN else types.non_null(t))


def _br_on_non_null(v: _Checker, ins: tuple) -> None:
    labels = v.label(ins[1]).labels()
    if not labels or not types.is_ref(labels[-1]):
        raise _err(_MISMATCH)
    t = _pop_ref(v)
    if t is not UNKNOWN and not v.c.matches(types.non_null(t), labels[-1]):
        raise _err(_MISMATCH)
    rest = labels[:-1]
    v.pops(rest)
    v.vals.extend(rest)


def _ref_eq(v: _Checker, ins: tuple) -> None:
    v.pop("eqref")
    v.pop("eqref")
    v.vals.append("i32")


def _ref_i31(v: _Checker, ins: tuple) -> None:
    v.pop("i32")
    v.vals.append("(ref i31)")


def _convert(source: str, target: str) -> Handler:
    """``any.convert_extern`` / ``extern.convert_any``: the other hierarchy's top, nullability kept."""

    def handler(v: _Checker, ins: tuple) -> None:
        t = v.pop(types.ref(True, source))
        v.vals.append(types.ref(t is UNKNOWN or types.nullable(t), target))

    return handler


def _ref_test(v: _Checker, ins: tuple) -> None:  # ref.test and ref.cast: the operand is of the target's hierarchy
    rt = ins[1]
    v.c.check_type(rt)
    heap = types.parse(rt)[1]
    v.pop(types.ref(True, types.top_of(heap, v.c.kinds)))
    v.vals.append("i32" if ins[0] == "ref.test" else rt)


def _unpacked(storage: str) -> str:
    return "i32" if storage in ("i8", "i16") else storage


def _struct(v: _Checker, x: int) -> S.StructType:
    if not 0 <= x < len(v.c.types):
        raise _err(f"unknown type {x}")
    t = v.c.types[x]
    if not isinstance(t, S.StructType):
        raise _err(_MISMATCH)
    return t


def _array(v: _Checker, x: int) -> S.ArrayType:
    if not 0 <= x < len(v.c.types):
        raise _err(f"unknown type {x}")
    t = v.c.types[x]
    if not isinstance(t, S.ArrayType):
        raise _err(_MISMATCH)
    return t


def _field(v: _Checker, ins: tuple) -> S.FieldType:
    """The struct field an access names, checking that a packed one is read with _s/_u (and only it)."""
    t = _struct(v, ins[1])
    if not 0 <= ins[2] < len(t.fields):
        raise _err(f"unknown field {ins[2]}")
    return t.fields[ins[2]]


def _check_packing(name: str, f: S.FieldType) -> None:
    packed = f.storage in ("i8", "i16")
    if name.endswith(("_s", "_u")) != packed:
        raise _err(_MISMATCH)


def _defaultable(f: S.FieldType) -> bool:
    return f.storage in ("i8", "i16") or f.storage in _DEFAULTABLE or types.nullable(f.storage)


def const_operands(c: Context, ins: tuple) -> tuple[str, ...]:
    """What a struct or array allocation pops (for constant expressions, which have no checker)."""
    name, x = ins[0], ins[1]
    t = c.types[x] if 0 <= x < len(c.types) else None
    if t is None:
        raise _err(f"unknown type {x}")
    if name.startswith("struct."):
        if not isinstance(t, S.StructType):
            raise _err(_MISMATCH)
        if name == "struct.new":
            return tuple(_unpacked(f.storage) for f in t.fields)
        if not all(_defaultable(f) for f in t.fields):
            raise _err(_MISMATCH)
        return ()
    if not isinstance(t, S.ArrayType):
        raise _err(_MISMATCH)
    elem = _unpacked(t.field.storage)
    if name == "array.new_fixed":
        return (elem,) * ins[2]
    if name == "array.new":
        return (elem, "i32")
    if not _defaultable(t.field):
        raise _err(_MISMATCH)
    return ("i32",)


def _struct_new(v: _Checker, ins: tuple) -> None:
    t = _struct(v, ins[1])
    if ins[0] == "struct.new":
        v.pops(tuple(_unpacked(f.storage) for f in t.fields))
    elif not all(_defaultable(f) for f in t.fields):
        raise _err(_MISMATCH)
    v.vals.append(types.ref(False, ins[1]))


def _struct_get(v: _Checker, ins: tuple) -> None:
    f = _field(v, ins)
    _check_packing(ins[0], f)
    v.pop(types.ref(True, ins[1]))
    v.vals.append(_unpacked(f.storage))


def _struct_set(v: _Checker, ins: tuple) -> None:
    f = _field(v, ins)
    if not f.mutable:
        raise _err("field is immutable")
    v.pop(_unpacked(f.storage))
    v.pop(types.ref(True, ins[1]))


def _array_new(v: _Checker, ins: tuple) -> None:
    t = _array(v, ins[1])
    name = ins[0]
    if name == "array.new_fixed":
        v.pops((_unpacked(t.field.storage),) * ins[2])
    else:
        v.pop("i32")
        if name == "array.new":
            v.pop(_unpacked(t.field.storage))
        elif not _defaultable(t.field):
            raise _err(_MISMATCH)
    v.vals.append(types.ref(False, ins[1]))


def _array_get(v: _Checker, ins: tuple) -> None:
    t = _array(v, ins[1])
    _check_packing(ins[0], t.field)
    v.pop("i32")
    v.pop(types.ref(True, ins[1]))
    v.vals.append(_unpacked(t.field.storage))


def _array_set(v: _Checker, ins: tuple) -> None:
    t = _array(v, ins[1])
    if not t.field.mutable:
        raise _err("array is immutable")
    v.pop(_unpacked(t.field.storage))
    v.pop("i32")
    v.pop(types.ref(True, ins[1]))


def _mutable_array(v: _Checker, x: int) -> S.ArrayType:
    t = _array(v, x)
    if not t.field.mutable:
        raise _err("array is immutable")
    return t


def _array_new_segment(v: _Checker, ins: tuple) -> None:  # array.new_data / array.new_elem
    t = _array(v, ins[1])
    _segment_fits(v, ins[0], t, ins[2])
    v.pops(("i32", "i32"))
    v.vals.append(types.ref(False, ins[1]))


def _segment_fits(v: _Checker, name: str, t: S.ArrayType, seg: int) -> None:
    if name.endswith("_data"):
        v.data(seg)
        if types.is_ref(t.field.storage):
            raise _err(_MISMATCH)
    else:
        e = v.elem(seg)
        if e != t.field.storage and not v.c.matches(e, t.field.storage):
            raise _err(_MISMATCH)


def _array_init_segment(v: _Checker, ins: tuple) -> None:  # array.init_data / array.init_elem
    t = _mutable_array(v, ins[1])
    _segment_fits(v, ins[0], t, ins[2])
    v.pops((types.ref(True, ins[1]), "i32", "i32", "i32"))


def _array_fill(v: _Checker, ins: tuple) -> None:
    t = _mutable_array(v, ins[1])
    v.pops((types.ref(True, ins[1]), "i32", _unpacked(t.field.storage), "i32"))


def _array_copy(v: _Checker, ins: tuple) -> None:
    dst = _mutable_array(v, ins[1])
    src = _array(v, ins[2])
    a, b = src.field.storage, dst.field.storage
    if a != b and not v.c.matches(a, b):
        raise _err(_MISMATCH)
    v.pops((types.ref(True, ins[1]), "i32", types.ref(True, ins[2]), "i32", "i32"))


def _array_len(v: _Checker, ins: tuple) -> None:
    v.pop("arrayref")
    v.vals.append("i32")


def _br_on_cast(v: _Checker, ins: tuple) -> None:
    """Branch with the operand cast to the second type (br_on_cast) or, failing, as it was (_fail)."""
    rt1, rt2 = ins[2], ins[3]
    v.c.check_type(rt1)
    v.c.check_type(rt2)
    if rt2 != rt1 and not v.c.matches(rt2, rt1):
        raise _err(_MISMATCH)
    labels = v.label(ins[1]).labels()
    if not labels:
        raise _err(_MISMATCH)
    diff = types.ref(types.nullable(rt1) and not types.nullable(rt2), types.parse(rt1)[1])
    taken, kept = (rt2, diff) if ins[0] == "br_on_cast" else (diff, rt2)
    if taken != labels[-1] and not v.c.matches(taken, labels[-1]):
        raise _err(_MISMATCH)
    v.pop(rt1)
    v.pops(labels[:-1])
    v.vals.extend(labels[:-1])
    v.vals.append(kept)


def _func_type(v: _Checker, x: int) -> S.FuncType:
    ft = v.c.type_(x)
    if v.c.kinds[x] != "func":
        raise _err(_MISMATCH)
    return ft


def _call_ref(v: _Checker, ins: tuple) -> None:
    ft = _func_type(v, ins[1])
    v.pop(types.ref(True, ins[1]))
    v.pops(ft.params)
    v.vals.extend(ft.results)


def _return_call_ref(v: _Checker, ins: tuple) -> None:
    ft = _func_type(v, ins[1])
    v.pop(types.ref(True, ins[1]))
    _tail(v, ft)


# -- tables ----------------------------------------------------------------------------------------------
def _table_get(v: _Checker, ins: tuple) -> None:
    t = v.table(ins[1])
    v.pop(t.addr)
    v.vals.append(t.elem)


def _table_set(v: _Checker, ins: tuple) -> None:
    t = v.table(ins[1])
    v.pop(t.elem)
    v.pop(t.addr)


def _table_size(v: _Checker, ins: tuple) -> None:
    v.vals.append(v.table(ins[1]).addr)


def _table_grow(v: _Checker, ins: tuple) -> None:
    t = v.table(ins[1])
    v.pop(t.addr)
    v.pop(t.elem)
    v.vals.append(t.addr)


def _table_fill(v: _Checker, ins: tuple) -> None:
    t = v.table(ins[1])
    v.pop(t.addr)
    v.pop(t.elem)
    v.pop(t.addr)


def _table_copy(v: _Checker, ins: tuple) -> None:
    dst, src = v.table(ins[1]), v.table(ins[2])
    if dst.elem != src.elem and not v.c.matches(src.elem, dst.elem):
        raise _err(_MISMATCH)
    v.pops((dst.addr, src.addr, "i32" if "i32" in (dst.addr, src.addr) else "i64"))


def _table_init(v: _Checker, ins: tuple) -> None:
    t = v.table(ins[2])
    e = v.elem(ins[1])
    if t.elem != e and not v.c.matches(e, t.elem):
        raise _err(_MISMATCH)
    v.pops((t.addr, "i32", "i32"))


_INSTRUCTIONS: dict[str, Handler] = {
    "block": _block,
    "loop": _block,
    "if": _if,
    "try_table": _try_table,
    "throw": _throw,
    "throw_ref": _throw_ref,
    "br": _br,
    "br_if": _br_if,
    "br_table": _br_table,
    "return": _return,
    "unreachable": _unreachable,
    "nop": _nop,
    "call": _call,
    "call_indirect": _call_indirect,
    "return_call": _return_call,
    "return_call_indirect": _return_call_indirect,
    "drop": _drop,
    "select": _select,
    "local.get": _local_get,
    "local.set": _local_set,
    "local.tee": _local_tee,
    "global.get": _global_get,
    "global.set": _global_set,
    "ref.null": _ref_null,
    "ref.is_null": _ref_is_null,
    "ref.func": _ref_func,
    "ref.as_non_null": _ref_as_non_null,
    "br_on_null": _br_on_null,
    "br_on_non_null": _br_on_non_null,
    "call_ref": _call_ref,
    "ref.eq": _ref_eq,
    "ref.i31": _ref_i31,
    "any.convert_extern": _convert("extern", "any"),
    "extern.convert_any": _convert("any", "extern"),
    "ref.test": _ref_test,
    "ref.cast": _ref_test,
    "struct.new": _struct_new,
    "struct.new_default": _struct_new,
    "struct.get": _struct_get,
    "struct.get_s": _struct_get,
    "struct.get_u": _struct_get,
    "struct.set": _struct_set,
    "array.new": _array_new,
    "array.new_default": _array_new,
    "array.new_fixed": _array_new,
    "array.get": _array_get,
    "array.get_s": _array_get,
    "array.get_u": _array_get,
    "array.set": _array_set,
    "array.len": _array_len,
    "array.new_data": _array_new_segment,
    "array.new_elem": _array_new_segment,
    "array.init_data": _array_init_segment,
    "array.init_elem": _array_init_segment,
    "array.fill": _array_fill,
    "array.copy": _array_copy,
    "br_on_cast": _br_on_cast,
    "br_on_cast_fail": _br_on_cast,
    "return_call_ref": _return_call_ref,
    "table.get": _table_get,
    "table.set": _table_set,
    "table.size": _table_size,
    "table.grow": _table_grow,
    "table.fill": _table_fill,
    "table.copy": _table_copy,
    "table.init": _table_init,
    **_MEMORY,
}


def validate_function(c: Context, ftype: S.FuncType, local_types: list[str], body: list) -> None:
    """Type-check ``body`` of a function of type ``ftype``; raises :class:`ValidationError`."""
    ctrls = [_Frame("func", (), tuple(ftype.results), 0, iter(body))]
    np = len(ftype.params)
    for t in local_types:
        c.check_type(t)
    uninit = {np + i for i, t in enumerate(local_types) if t not in _DEFAULTABLE and not types.nullable(t)}
    v = _Checker(c, list(ftype.params) + list(local_types), ctrls, uninit)
    vals, pops = v.vals, v.pops
    signatures, immediates, instructions = _FIXED, _IMMEDIATES, _INSTRUCTIONS
    while ctrls:
        frame = ctrls[-1]
        ins = next(frame.it, _DONE)
        if ins is _DONE:
            pops(frame.results)
            if len(vals) != frame.height:
                raise _err(_MISMATCH)
            if frame.uninit is not None:  # what a block sets is unset again after it (3.0)
                v.uninit = set(frame.uninit)
            if frame.else_body is not None:  # end of the then-branch: start the else-branch
                frame.it = iter(frame.else_body)
                frame.else_body = None
                frame.unreachable = False
                vals.extend(frame.params)
                continue
            ctrls.pop()
            vals.extend(frame.results)
            continue
        name = ins[0]
        sig = signatures.get(name)
        if sig is not None:
            check = immediates.get(name)
            if check is not None:
                check(v, ins)
            params, results = sig
            if params:
                pops(params)
            if results:
                vals.extend(results)
            continue
        handler = instructions.get(name)
        if handler is None:
            raise _err(f"unknown instruction {name}")
        handler(v, ins)
