"""Validation of function bodies: the spec's algorithm (operand stack with Unknown, control frames).

The IR is structured (blocks hold their bodies), so instead of recursing into nested bodies the
validator keeps one control frame per open block, each with an iterator over its instruction list:
nesting depth costs list entries, not Python stack frames.
"""

from __future__ import annotations

from .. import syntax as S
from ..binary.opcodes import LANES, NATURAL_ALIGN, SIGNATURES
from ..errors import ValidationError
from .context import Context

UNKNOWN = None  # the operand type of unreachable code
_NUM_VEC = frozenset(("i32", "i64", "f32", "f64", "v128", None))
_REF = frozenset(("funcref", "externref", None))
_DONE = object()


class _Frame:
    __slots__ = ("kind", "params", "results", "height", "unreachable", "it", "else_body")

    def __init__(self, kind, params, results, height, it, else_body=None):
        self.kind = kind
        self.params = params
        self.results = results
        self.height = height
        self.unreachable = False
        self.it = it
        self.else_body = else_body

    def labels(self) -> tuple:
        return self.params if self.kind == "loop" else self.results


def _err(msg: str) -> ValidationError:
    return ValidationError(msg)


def validate_function(c: Context, ftype: S.FuncType, local_types: list[str], body: list) -> None:
    """Type-check ``body`` of a function of type ``ftype``; raises :class:`ValidationError`."""
    locals_ = list(ftype.params) + list(local_types)
    vals: list = []
    ctrls: list[_Frame] = [_Frame("func", (), tuple(ftype.results), 0, iter(body))]
    mismatch = "type mismatch"

    def pop(expect=UNKNOWN):
        frame = ctrls[-1]
        if len(vals) == frame.height:
            if frame.unreachable:
                return expect
            raise _err(mismatch)
        actual = vals.pop()
        if actual is UNKNOWN:
            return expect
        if expect is not UNKNOWN and actual != expect:
            raise _err(mismatch)
        return actual

    def pops(types) -> None:
        for t in reversed(types):
            pop(t)

    def blocktype(bt) -> tuple[tuple, tuple]:
        if bt is None:
            return (), ()
        if isinstance(bt, str):
            return (), (bt,)
        ft = c.type_(bt)
        return ft.params, ft.results

    def label(n: int) -> _Frame:
        if not 0 <= n < len(ctrls):
            raise _err(f"unknown label {n}")
        return ctrls[-1 - n]

    def set_unreachable() -> None:
        frame = ctrls[-1]
        del vals[frame.height:]
        frame.unreachable = True

    def mem(name: str, align: int | None = None) -> None:
        if not c.mems:
            raise _err("unknown memory 0")
        if align is not None and align > NATURAL_ALIGN[name]:
            raise _err("alignment must not be larger than natural")

    def table(t: int) -> S.TableType:
        if not 0 <= t < len(c.tables):
            raise _err(f"unknown table {t}")
        return c.tables[t]

    def elem(e: int) -> str:
        if not 0 <= e < len(c.elems):
            raise _err(f"unknown elem segment {e}")
        return c.elems[e]

    def data(d: int) -> None:
        if not 0 <= d < c.datas:
            raise _err(f"unknown data segment {d}")

    def func(f: int) -> S.FuncType:
        if not 0 <= f < len(c.funcs):
            raise _err(f"unknown function {f}")
        return c.funcs[f]

    def glob(g: int) -> S.GlobalType:
        if not 0 <= g < len(c.globals):
            raise _err(f"unknown global {g}")
        return c.globals[g]

    def local(i: int) -> str:
        if not 0 <= i < len(locals_):
            raise _err(f"unknown local {i}")
        return locals_[i]

    signatures = SIGNATURES
    while ctrls:
        frame = ctrls[-1]
        ins = next(frame.it, _DONE)
        if ins is _DONE:
            pops(frame.results)
            if len(vals) != frame.height:
                raise _err(mismatch)
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
            if len(ins) > 1:  # memory and lane immediates
                if name in NATURAL_ALIGN:
                    mem(name, ins[1])
                    if len(ins) > 3 and ins[3] >= LANES[name]:
                        raise _err("invalid lane index")
                elif name in LANES:
                    if ins[1] >= LANES[name]:
                        raise _err("invalid lane index")
                elif name == "i8x16.shuffle":
                    if any(lane >= 32 for lane in ins[1]):
                        raise _err("invalid lane index")
                elif name == "memory.init":
                    mem(name)
                    data(ins[1])
                elif name == "data.drop":
                    data(ins[1])
                elif name == "table.init":
                    tt = table(ins[2])
                    if tt.elem != elem(ins[1]):
                        raise _err(mismatch)
                elif name == "table.copy":
                    if table(ins[1]).elem != table(ins[2]).elem:
                        raise _err(mismatch)
                elif name == "elem.drop":
                    elem(ins[1])
            elif name in ("memory.size", "memory.grow", "memory.copy", "memory.fill"):
                mem(name)
            params, results = sig
            if params:
                pops(params)
            if results:
                vals.extend(results)
            continue
        if name == "block" or name == "loop":
            params, results = blocktype(ins[1])
            pops(params)
            ctrls.append(_Frame(name, params, results, len(vals), iter(ins[2])))
            vals.extend(params)
        elif name == "if":
            params, results = blocktype(ins[1])
            pop("i32")
            pops(params)
            ctrls.append(_Frame("if", params, results, len(vals), iter(ins[2]), ins[3]))
            vals.extend(params)
        elif name == "local.get":
            vals.append(local(ins[1]))
        elif name == "local.set":
            pop(local(ins[1]))
        elif name == "local.tee":
            t = local(ins[1])
            pop(t)
            vals.append(t)
        elif name == "global.get":
            vals.append(glob(ins[1]).valtype)
        elif name == "global.set":
            g = glob(ins[1])
            if not g.mutable:
                raise _err("global is immutable")
            pop(g.valtype)
        elif name == "br":
            pops(label(ins[1]).labels())
            set_unreachable()
        elif name == "br_if":
            types = label(ins[1]).labels()
            pop("i32")
            pops(types)
            vals.extend(types)
        elif name == "br_table":
            pop("i32")
            default = label(ins[2]).labels()
            arity = len(default)
            for n in ins[1]:
                types = label(n).labels()
                if len(types) != arity:
                    raise _err(mismatch)
                # check that the operands fit this label without consuming them
                before = len(vals)
                tail = vals[before - arity:] if arity <= before else list(vals)
                pops(types)
                removed = before - len(vals)
                if removed:
                    vals.extend(tail[len(tail) - removed:])
            pops(default)
            set_unreachable()
        elif name == "return":
            pops(ctrls[0].results)
            set_unreachable()
        elif name == "unreachable":
            set_unreachable()
        elif name == "nop":
            pass
        elif name == "call":
            ft = func(ins[1])
            pops(ft.params)
            vals.extend(ft.results)
        elif name == "call_indirect":
            tt = table(ins[2])
            if tt.elem != "funcref":
                raise _err(mismatch)
            ft = c.type_(ins[1])
            pop("i32")
            pops(ft.params)
            vals.extend(ft.results)
        elif name == "drop":
            pop()
        elif name == "select":
            if len(ins) > 1:
                if len(ins[1]) != 1:
                    raise _err("invalid result arity")
                t = ins[1][0]
                pop("i32")
                pop(t)
                pop(t)
                vals.append(t)
            else:
                pop("i32")
                t1 = pop()
                t2 = pop()
                if t1 not in _NUM_VEC or t2 not in _NUM_VEC:
                    raise _err(mismatch)
                if t1 is not UNKNOWN and t2 is not UNKNOWN and t1 != t2:
                    raise _err(mismatch)
                vals.append(t2 if t1 is UNKNOWN else t1)
        elif name == "ref.null":
            vals.append(ins[1])
        elif name == "ref.is_null":
            if pop() not in _REF:
                raise _err(mismatch)
            vals.append("i32")
        elif name == "ref.func":
            func(ins[1])
            if ins[1] not in c.refs:
                raise _err("undeclared function reference")
            vals.append("funcref")
        elif name == "table.get":
            t = table(ins[1]).elem
            pop("i32")
            vals.append(t)
        elif name == "table.set":
            t = table(ins[1]).elem
            pop(t)
            pop("i32")
        elif name == "table.size":
            table(ins[1])
            vals.append("i32")
        elif name == "table.grow":
            t = table(ins[1]).elem
            pop("i32")
            pop(t)
            vals.append("i32")
        elif name == "table.fill":
            t = table(ins[1]).elem
            pop("i32")
            pop(t)
            pop("i32")
        else:
            raise _err(f"unknown instruction {name}")
