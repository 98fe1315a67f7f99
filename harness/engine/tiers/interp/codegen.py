"""Translate a wasm function into the source of one Python function (the interpreter tier's "compiler").

Why: a loop over decoded instruction tuples costs a dispatch per instruction; generated Python lets the
CPython bytecode compiler do the dispatching once.  The translation:

* wasm locals are Python locals ``l0, l1, ...``; operand-stack slot ``k`` is the Python local ``s<k>``;
* pure operations are not evaluated one by one: the code generator keeps a compile-time stack of
  *expressions* and folds them (``local.get 0; i32.const 1; i32.add; local.set 0`` becomes
  ``l0 = ((l0 + 1) & 0xffffffff)``).  Anything that can trap or touches mutable state (loads, stores,
  calls, globals, tables) is emitted as a statement at once, so side effects and traps keep program order;
* comparisons stay Python booleans when consumed by ``if``/``br_if``/``select``/``eqz``;
* a ``block``/``if``/``loop`` that some branch targets becomes ``while True: ... break``; branching to it
  is ``break`` (block/if) or ``continue`` (loop).  A branch across several such loops sets ``_br`` to the
  target's id and breaks; after each loop, a check re-dispatches.  Untargeted blocks cost nothing;
* ``br_table`` becomes a binary tree of ``if`` over index ranges; ``return`` is ``return``.

Internal value representation: i32/i64 unsigned ints, f32 raw bits (int), f64 Python float, v128 int,
references ``None``/objects.  A function returns ``None``, its single result, or a tuple.

Python limits the nesting of loops (20) and of indentation (100): :class:`TooDeep` is raised when a
function would exceed them, and the caller falls back to :mod:`.flatgen` (a flat state machine).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any, ClassVar

from ...binary.opcodes import memory_index
from ...syntax import FuncType, Module
from .helpers import LD_EXTEND, LD_SPLAT
from .optable import LOADS, OPS, STORES, VIEWS

MAX_EXPR_DEPTH = 24
MAX_PYLOOPS = 18
MAX_INDENT = 80

_ZERO = {"i32": "0", "i64": "0", "f32": "0", "f64": "0.0", "v128": "0", "funcref": "None", "externref": "None"}


_MB_RELOAD = "#reload-mb"
_LITERAL = re.compile(r"\d+$")
_SIGN_FLIP = re.compile(r"\((\d+) \^ (0x80000000|0x8000000000000000)\)")
_SHIFTS = {"shl": "(({0} << {k}) & {m})", "shr_u": "({0} >> {k})", "shr_s": "(((({0} ^ {s}) - {s}) >> {k}) & {m})"}


class TooDeep(Exception):
    """The function nests deeper than CPython's compiler allows for the structured translation."""


class Entry:
    """A compile-time operand-stack entry: a Python expression plus what it reads."""

    __slots__ = ("expr", "cond", "deps", "depth")

    def __init__(self, expr: str, deps: frozenset = frozenset(), depth: int = 0, cond: str | None = None):
        self.expr = expr
        self.deps = deps
        self.depth = depth
        self.cond = cond


class Label:
    __slots__ = ("kind", "height", "arity", "nres", "uid", "pyloop", "escapes", "tail_of")

    def __init__(self, kind: str, height: int, arity: int, nres: int, uid: int, pyloop: bool):
        self.kind = kind
        self.height = height
        self.arity = arity
        self.nres = nres
        self.uid = uid
        self.pyloop = pyloop
        self.escapes: set[int] = set()
        # for a loop that is the last instruction of the body of a block/if: that label (leaving the loop
        # then reaches the end of that construct, so a branch there is a plain ``break`` of the loop)
        self.tail_of: Label | None = None


_BRANCHES = frozenset(("br", "br_if", "br_on_null", "br_on_non_null", "br_on_cast", "br_on_cast_fail"))  # one label immediate


def scan_targets(body: list, targeted: dict[int, bool]) -> set[int]:
    """Relative branch depths escaping ``body``; records for each construct whether a branch targets it."""
    out: set[int] = set()
    for ins in body:
        op = ins[0]
        if op in _BRANCHES:
            out.add(ins[1])
        elif op == "br_table":
            out.update(ins[1])
            out.add(ins[2])
        elif op == "block" or op == "loop":
            inner = scan_targets(ins[2], targeted)
            targeted[id(ins)] = 0 in inner
            out.update(d - 1 for d in inner if d)
        elif op == "try_table":  # a catch clause's label is counted from outside the try_table
            inner = scan_targets(ins[2], targeted) | {label + 1 for _, _, label in ins[3]}
            targeted[id(ins)] = 0 in inner
            out.update(d - 1 for d in inner if d)
        elif op == "if":
            inner = scan_targets(ins[2], targeted) | scan_targets(ins[3] or [], targeted)
            targeted[id(ins)] = 0 in inner
            out.update(d - 1 for d in inner if d)
    return out


class ModuleContext:
    """What the code generator needs to know about the module, plus constants shared by its functions."""

    def __init__(self, module: Module):
        self.module = module
        self.types = module.types
        self.func_types: list[FuncType] = [module.func_type(i) for i in
                                           range(len(module.imported("func")) + len(module.funcs))]
        self.global_types = [imp.desc for imp in module.imported("global")] + [g.type for g in module.globals]
        self.n_imported_funcs = len(module.imported("func"))
        self.tag_types = [module.types[i.desc] for i in module.imported("tag")] + [module.types[t] for t in module.tags]
        self.has_mem = bool(module.mems or module.imported("memory"))
        # address type of each memory and table (memory64: "i64")
        self.mem_addr = [imp.desc.addr for imp in module.imported("memory")] + [mt.addr for mt in module.mems]
        self.table_addr = [imp.desc.addr for imp in module.imported("table")] + [t.addr for t in module.tables]
        self.consts: dict[str, Any] = {}  # name -> Python value, bound into the namespace
        self.fold: dict[str, Any] | None = None  # helper namespace for constant folding (set by the tier)
        self._const_names: dict[tuple, str] = {}

    def const(self, key: tuple, value: Any) -> str:
        name = self._const_names.get(key)
        if name is None:
            name = f"K{len(self._const_names)}"
            self._const_names[key] = name
            self.consts[name] = value
        return name

    def block_type(self, bt) -> tuple[tuple[str, ...], tuple[str, ...]]:
        if bt is None:
            return (), ()
        if isinstance(bt, str):
            return (), (bt,)
        ft = self.types[bt]
        return ft.params, ft.results


def f64_literal(ctx: ModuleContext, bits: int) -> str:
    from ...exec.num_float import f64_from_bits

    x = f64_from_bits(bits)
    if x != x or x in (float("inf"), float("-inf")):
        return ctx.const(("f64", bits), x)
    r = repr(x)
    return f"({r})" if r.startswith("-") else r


class FuncCodegen:
    """Generates ``def f<index>(l0, ...)`` for one defined function."""

    # instruction -> handler(self, ins), False when what follows is unreachable (the numeric instructions
    # are OPS templates instead); filled in below the handlers, and flatgen's replaces the control ones
    handlers: ClassVar[dict[str, Handler]]

    def __init__(self, ctx: ModuleContext, func_index: int):
        self.ctx = ctx
        self.index = func_index
        self.func = ctx.module.funcs[func_index - ctx.n_imported_funcs]
        self.type = ctx.func_types[func_index]
        self.local_types = list(self.type.params) + list(self.func.locals)
        self.lines: list[str] = []
        self.ind = 1
        self.stack: list[Entry] = []
        self.labels: list[Label] = []
        self.targeted: dict[int, bool] = {}
        self.ntemp = 0
        self.nuid = 0
        self.pyloops = 0
        self.uses_mem = False
        self.views: set[str] = set()  # typed memory views used (u16, u32, u64, f64)
        self.uses_br = False
        self.fresh: tuple[Entry, int] | None = None  # the slot statement emitted last, for retarget_fresh
        self.at_tail = False  # is the instruction being translated the last of its body?
        self.tail_calls = False  # does it make tail calls (then its body returns TailCall, see tier.py)?

    # ---- output ----
    def emit(self, line: str) -> None:
        self.lines.append("    " * self.ind + line)

    def indent(self) -> None:
        self.ind += 1
        if self.ind > MAX_INDENT:
            raise TooDeep("indentation")

    # ---- compile-time stack ----
    def push(self, expr: str, deps: frozenset = frozenset(), depth: int = 0, cond: str | None = None) -> None:
        e = Entry(expr, deps, depth, cond)
        self.stack.append(e)
        if depth > MAX_EXPR_DEPTH:
            self.materialize(len(self.stack) - 1)

    def pop(self) -> Entry:
        return self.stack.pop()

    def popn(self, n: int) -> list[Entry]:
        if n == 0:
            return []
        es = self.stack[-n:]
        del self.stack[-n:]
        return es

    def write_var(self, var: str, expr: str, exclude: Entry | None = None) -> None:
        """Emit ``var = expr`` after moving pending expressions that read ``var`` into temporaries."""
        for e in self.stack:
            if e is not exclude and var in e.deps:
                t = f"t{self.ntemp}"
                self.ntemp += 1
                self.emit(f"{t} = {e.expr}")
                e.expr, e.deps, e.depth, e.cond = t, frozenset((t,)), 0, None
        self.emit(f"{var} = {expr}")

    def materialize(self, p: int) -> None:
        e = self.stack[p]
        name = f"s{p}"
        if e.expr == name:
            return
        self.write_var(name, e.expr, e)
        e.expr, e.deps, e.depth, e.cond = name, frozenset((name,)), 0, None

    def flush(self) -> None:
        for p in range(len(self.stack)):
            self.materialize(p)

    def push_stmt(self, expr: str) -> None:
        """Evaluate ``expr`` now (it may trap or read mutable state) into the next slot."""
        p = len(self.stack)
        name = f"s{p}"
        self.write_var(name, expr)
        e = Entry(name, frozenset((name,)))
        self.stack.append(e)
        self.fresh = (e, len(self.lines) - 1)

    def retarget_fresh(self, e: Entry, var: str) -> bool:
        """``s<p> = X`` just emitted for ``e`` and now ``var = s<p>``: write ``var = X`` instead."""
        fresh = self.fresh
        if fresh is None or fresh[0] is not e:
            return False
        i = fresh[1]
        if not all(ln.endswith(_MB_RELOAD) for ln in self.lines[i + 1 :]):
            return False
        if any(var in x.deps for x in self.stack):
            return False
        line = self.lines[i]
        body = line.lstrip(" ")
        head = f"{e.expr} = "
        if not body.startswith(head):
            return False
        self.lines[i] = line[: len(line) - len(body)] + f"{var} = " + body[len(head) :]
        self.fresh = None
        return True

    def push_results(self, n: int, expr: str) -> None:
        """Emit a call-like ``expr`` producing ``n`` results into fresh slots."""
        if n == 0:
            self.emit(expr)
            return
        base = len(self.stack)
        names = [f"s{base + i}" for i in range(n)]
        for name in names:
            self.write_var_prepare(name)
        self.emit(f"{', '.join(names)} = {expr}" if n > 1 else f"{names[0]} = {expr}")
        for name in names:
            self.stack.append(Entry(name, frozenset((name,))))
        if n == 1:
            self.fresh = (self.stack[-1], len(self.lines) - 1)

    def write_var_prepare(self, var: str) -> None:
        for e in self.stack:
            if var in e.deps:
                t = f"t{self.ntemp}"
                self.ntemp += 1
                self.emit(f"{t} = {e.expr}")
                e.expr, e.deps, e.depth, e.cond = t, frozenset((t,)), 0, None

    @staticmethod
    def cval(e: Entry) -> str:
        return e.cond if e.cond is not None else e.expr

    def slot_entries(self, lo: int, hi: int) -> list[Entry]:
        return [Entry(f"s{p}", frozenset((f"s{p}",))) for p in range(lo, hi)]

    def reset_stack(self, height: int, nres: int) -> None:
        self.stack = self.stack[:height] + self.slot_entries(height, height + nres)

    # ---- pure operations ----
    def op(self, kind: str, tmpl: str, n: int, opname: str | None = None) -> None:
        args = self.popn(n)
        exprs = [a.expr for a in args]
        deps = frozenset().union(*(a.deps for a in args)) if n else frozenset()
        depth = 1 + max((a.depth for a in args), default=0)
        if kind == "c":
            if n == 1 and tmpl == "{0} == 0" and args[0].cond is not None:
                cond = f"not ({args[0].cond})"
            else:
                cond = _SIGN_FLIP.sub(lambda m: str(int(m[1]) ^ int(m[2], 16)), tmpl.format(*exprs))
            self.push(f"(1 if {cond} else 0)", deps, depth, cond)
        elif kind == "p":
            if n and all(_LITERAL.match(x) for x in exprs) and self.ctx.fold is not None:
                try:
                    v = eval(tmpl.format(*exprs), self.ctx.fold)  # noqa: S307 - our own templates on literals
                except Exception:  # noqa: BLE001 - a trap while folding: leave it to run time
                    v = None
                if isinstance(v, int):
                    self.push(str(v))
                    return
            if n == 2 and _LITERAL.match(exprs[1]) and opname is not None:
                ty, _, base = opname.partition(".")
                if base in _SHIFTS and ty in ("i32", "i64"):
                    bits = 32 if ty == "i32" else 64
                    k = int(exprs[1]) & (bits - 1)
                    self.push(_SHIFTS[base].format(exprs[0], k=k, m=hex((1 << bits) - 1), s=hex(1 << (bits - 1))),
                              deps, depth)
                    return
            self.push(tmpl.format(*exprs), deps, depth)
        else:
            self.push_stmt(tmpl.format(*exprs))

    # ---- the function ----
    def generate(self) -> list[str]:
        body = self.func.body
        scan_targets(body, self.targeted)
        nres = len(self.type.results)
        self.labels.append(Label("func", 0, nres, nres, self._uid(), False))
        if self.body(body):
            self.do_return()
        head = self.prologue()
        if self.uses_br:
            head.append("    _br = 0")
        if len(self.lines) == 0:
            self.lines.append("    pass")
        return head + self.resolve_reloads(self.lines)

    def prologue(self) -> list[str]:
        """The ``def`` line, the zeroing of the declared locals and the first load of the memory views.

        Shared with :mod:`.flatgen`, whose functions start the same way.
        """
        params = ", ".join(f"l{i}" for i in range(len(self.type.params)))
        head = [f"def f{self.index}({params}):"]
        np = len(self.type.params)
        groups: dict[str, list[str]] = {}
        for i, t in enumerate(self.func.locals):
            groups.setdefault(_ZERO.get(t, "None"), []).append(f"l{np + i}")  # references: None
        for zero, names in groups.items():
            for k in range(0, len(names), 200):
                head.append("    " + " = ".join(names[k : k + 200]) + f" = {zero}")
        if self.uses_mem:
            head.append("    " + self.mem_reload())
        return head

    def resolve_reloads(self, lines: list[str]) -> list[str]:
        """Turn the reload markers into view reloads, or drop them when the function uses no memory.

        Why markers: whether the function touches memory is only known once all of it is translated.
        """
        if self.uses_mem:
            return [ln.replace(_MB_RELOAD, self.mem_reload()) for ln in lines]
        return [ln for ln in lines if not ln.endswith(_MB_RELOAD)]

    def mem_reload(self) -> str:
        """(Re)load the memory views this function uses (after anything that may have grown memory)."""
        return "; ".join(["mb = M0.buf"] + [f"m{v} = M0.{v}" for v in sorted(self.views)])

    def _uid(self) -> int:
        self.nuid += 1
        return self.nuid

    def do_return(self) -> None:
        n = len(self.type.results)
        vals = [e.expr for e in self.stack[len(self.stack) - n :]] if n else []
        if n == 0:
            self.emit("return")
        elif n == 1:
            self.emit(f"return {vals[0]}")
        else:
            self.emit(f"return ({', '.join(vals)})")

    def body(self, instrs: list, lab: Label | None = None) -> bool:
        """Emit a sequence; False when its end is unreachable.

        With ``lab``, the sequence is the body of that construct, whose label is innermost meanwhile (all a
        construct no branch targets needs).  The label is pushed here rather than in a helper so that a
        nesting level costs no extra Python frame: the recursion limit bounds how deep a function may nest.
        """
        if lab is not None:
            self.labels.append(lab)
        falls = True
        last = len(instrs) - 1
        for i, ins in enumerate(instrs):
            self.at_tail = i == last
            if not self.instr(ins):
                falls = False
                break
        if lab is not None:
            self.labels.pop()
        return falls

    # ---- branches ----
    def branch_target(self, depth: int) -> int | None:
        """Start a branch to label ``depth``: move the values it carries into the target's stack slots.

        Returns the index of the target in ``self.labels``, or None when the target is the function
        itself (the branch is then a return, already emitted).  Shared with :mod:`.flatgen`, which
        differs only in how it then jumps.
        """
        idx = len(self.labels) - 1 - depth
        lab = self.labels[idx]
        if lab.kind == "func":
            self.do_return()
            return None
        n = lab.arity
        if n:
            srcs = [e.expr for e in self.stack[len(self.stack) - n :]]
            dsts = [f"s{lab.height + i}" for i in range(n)]
            pairs = [(d, s) for d, s in zip(dsts, srcs, strict=True) if d != s]
            if pairs:
                self.emit(f"{', '.join(d for d, _ in pairs)} = {', '.join(s for _, s in pairs)}")
        return idx

    def branch(self, depth: int) -> None:
        """Emit an unconditional jump to label ``depth`` (does not change the compile-time stack)."""
        idx = self.branch_target(depth)
        if idx is None:
            return
        lab = self.labels[idx]
        crossed = [L for L in self.labels[idx + 1 :] if L.pyloop]
        if len(crossed) == 1 and crossed[0].tail_of is lab and lab.kind != "loop":
            crossed = []  # the loop is the last thing in the target: leaving it reaches the target's end
        if not crossed:
            self.emit("continue" if lab.kind == "loop" else "break")
        else:
            self.uses_br = True
            crossed[-1].escapes.add(lab.uid)
            self.emit(f"_br = {lab.uid}")
            self.emit("break")

    def after_loop(self, lab: Label) -> None:
        if not lab.escapes:
            return
        outer = next(L for L in reversed(self.labels) if L.pyloop)
        self.emit("if _br:")
        self.indent()
        esc = lab.escapes
        jump = "continue" if outer.kind == "loop" else "break"
        if outer.uid in esc:
            if len(esc) == 1:
                self.emit("_br = 0")
                self.emit(jump)
            else:
                self.emit(f"if _br == {outer.uid}:")
                self.indent()
                self.emit("_br = 0")
                self.emit(jump)
                self.ind -= 1
                self.emit("break")
                outer.escapes |= esc - {outer.uid}
        else:
            self.emit("break")
            outer.escapes |= esc
        self.ind -= 1

    def open_pyloop(self, lab: Label) -> None:
        self.pyloops += 1
        if self.pyloops > MAX_PYLOOPS:
            raise TooDeep("loops")
        self.emit("while True:")
        self.indent()

    def close_pyloop(self, lab: Label) -> None:
        self.ind -= 1
        self.pyloops -= 1
        self.after_loop(lab)

    def br_table(self, labels: tuple, default: int) -> None:
        idx = self.pop()
        iv = idx.expr
        if not iv.isidentifier():
            iv = "_i"
            self.emit(f"_i = {idx.expr}")
        segs: list[list[int]] = []  # [start, depth]
        for i, d in enumerate(labels):
            if segs and segs[-1][1] == d:
                continue
            segs.append([i, d])
        if segs and segs[-1][1] == default:
            pass
        else:
            segs.append([len(labels), default])
        self._tree(iv, segs)

    def _tree(self, iv: str, segs: list[list[int]]) -> None:
        if len(segs) == 1:
            self.branch(segs[0][1])
            return
        mid = len(segs) // 2
        self.emit(f"if {iv} < {segs[mid][0]}:")
        self.indent()
        self._tree(iv, segs[:mid])
        self.ind -= 1
        self.emit("else:")
        self.indent()
        self._tree(iv, segs[mid:])
        self.ind -= 1

    # ---- structured control (block, loop and if_ are their instructions' handlers: no frame between them
    # and ``body``, see there) ----
    def if_start(self, ins: tuple) -> tuple[tuple[str, ...], tuple[str, ...], str, int]:
        """Pop an ``if``'s condition and spill the stack, since both arms must start from the slots.

        Returns the block type's params and results, the condition as a Python expression and the
        stack height below the params.  Shared with :mod:`.flatgen`.
        """
        params, results = self.ctx.block_type(ins[1])
        c = self.pop()
        cond = self.cval(c)
        self.flush()
        return params, results, cond, len(self.stack) - len(params)

    def block(self, ins: tuple) -> bool:
        self.fresh = None
        params, results = self.ctx.block_type(ins[1])
        h = len(self.stack) - len(params)
        targeted = self.targeted.get(id(ins), False)
        if not targeted:
            return self.body(ins[2], Label("block", h, len(results), len(results), self._uid(), False))
        self.flush()
        lab = Label("block", h, len(results), len(results), self._uid(), True)
        self.labels.append(lab)
        self.open_pyloop(lab)
        if self.body(ins[2]):
            self.flush()
        self.emit("break")
        self.labels.pop()
        self.close_pyloop(lab)
        self.reset_stack(h, len(results))
        return True

    def loop(self, ins: tuple) -> bool:
        self.fresh = None
        params, results = self.ctx.block_type(ins[1])
        h = len(self.stack) - len(params)
        if not self.targeted.get(id(ins), False):
            return self.body(ins[2], Label("loop", h, len(params), len(results), self._uid(), False))
        self.flush()
        lab = Label("loop", h, len(params), len(results), self._uid(), True)
        if self.at_tail:
            lab.tail_of = self.labels[-1]
        self.labels.append(lab)
        self.open_pyloop(lab)
        falls = self.body(ins[2])
        if falls:
            self.flush()
            self.emit("break")
        self.labels.pop()
        self.close_pyloop(lab)
        self.reset_stack(h, len(results))
        return falls

    def if_(self, ins: tuple) -> bool:
        self.fresh = None
        params, results, cond, h = self.if_start(ins)
        targeted = self.targeted.get(id(ins), False)
        lab = Label("if", h, len(results), len(results), self._uid(), targeted)
        self.labels.append(lab)
        if targeted:
            self.open_pyloop(lab)
        base = self.stack[:h]
        self.emit(f"if {cond}:")
        self.indent()
        self.stack = base + self.slot_entries(h, h + len(params))
        n0 = len(self.lines)
        r1 = self.body(ins[2])
        if r1:
            self.flush()
        if len(self.lines) == n0:
            self.emit("pass")
        self.ind -= 1
        self.stack = base + self.slot_entries(h, h + len(params))
        r2 = True
        if ins[3]:
            self.emit("else:")
            self.indent()
            n0 = len(self.lines)
            r2 = self.body(ins[3])
            if r2:
                self.flush()
            if len(self.lines) == n0:
                self.emit("pass")
            self.ind -= 1
        # (an if without else passes its params through as its results: validation makes them equal)
        self.labels.pop()
        if targeted:
            self.emit("break")
            self.close_pyloop(lab)
        self.reset_stack(h, len(results))
        return r1 or r2 or targeted

    def try_table(self, ins: tuple) -> bool:
        """``try:`` around the body; its ``except`` branches to each matching catch clause's label with the
        exception's values (and the exception itself for the ``_ref`` forms), or re-raises."""
        self.fresh = None
        params, results = self.ctx.block_type(ins[1])
        h = len(self.stack) - len(params)
        self.flush()
        targeted = self.targeted.get(id(ins), False)
        lab = Label("block", h, len(results), len(results), self._uid(), targeted)
        self.labels.append(lab)
        if targeted:
            self.open_pyloop(lab)
        base = self.stack[:h]
        self.emit("try:")
        self.indent()
        n0 = len(self.lines)
        falls = self.body(ins[2])
        if falls:
            self.flush()
        if targeted:
            self.emit("break")
        if len(self.lines) == n0:
            self.emit("pass")
        self.ind -= 1
        x = f"_x{lab.uid}"
        self.emit(f"except WasmException as {x}:")
        self.indent()
        self.catch_clauses(ins[3], x, base, 1, "raise")
        self.ind -= 1
        self.labels.pop()
        if targeted:
            self.close_pyloop(lab)
        self.reset_stack(h, len(results))
        return falls or targeted

    def catch_clauses(self, clauses: list, x: str, base: list, outside: int, reraise: str) -> None:
        """A try_table's handler: branch to the first clause matching the exception named ``x`` with its
        values (and itself for the ``_ref`` forms) above ``base``, else ``reraise``.  A clause's label counts
        from outside the try_table: ``outside`` is how many labels are innermost meanwhile.  Shared with
        :mod:`.flatgen`, whose handler is a basic block of its own."""
        self.emit(_MB_RELOAD)  # the throwing callee may have grown memory: its reload after the call never ran
        for kind, tag, label in clauses:
            payload = []
            if tag is not None:
                n = len(self.ctx.tag_types[tag].params)
                payload = [Entry(f"{x}.values[{i}]") for i in range(n)]
                self.emit(f"if {x}.tag is TG{tag}:")
                self.indent()
            if kind.endswith("_ref"):
                payload.append(Entry(x))
            self.stack = base + payload
            self.branch(label + outside)
            if tag is None:
                return  # catch_all: nothing after it is reached
            self.ind -= 1
        self.emit(reraise)

    # ---- one instruction; False when what follows is unreachable ----
    def instr(self, ins: tuple) -> bool:
        op = ins[0]
        spec = OPS.get(op)
        if spec is not None:
            kind, tmpl = spec
            self.op(kind, tmpl, (tmpl.count("{1}") + 1) if "{0}" in tmpl else 0, op)
            return True
        handler = self.handlers.get(op)
        if handler is None:
            handler = _other_handler(op)
        return handler(self, ins)


# ---- the instructions OPS does not cover: one handler each, False when what follows is unreachable ----
Handler = Callable[[FuncCodegen, tuple], bool]


def _addr(a: Entry, off: int, wide: bool = False) -> str:
    """The effective address; a memory64's is clamped below 2**63, so an address no buffer reaches still
    fails as an index (IndexError, struct.error: out of bounds) instead of overflowing ``ssize_t``."""
    e = f"{a.expr} + {off}" if off else a.expr
    return f"min({e}, 0x7fffffffffffffff)" if wide else e


def _mem(g: FuncCodegen, ins: tuple) -> tuple[int, bool]:
    """The memory ``ins`` accesses and whether it is a memory64."""
    x = memory_index(ins)
    return x, g.ctx.mem_addr[x] == "i64"


# -- variables --
def _local_get(g: FuncCodegen, ins: tuple) -> bool:
    name = f"l{ins[1]}"
    g.push(name, frozenset((name,)))
    return True


def _local_set(g: FuncCodegen, ins: tuple) -> bool:
    e = g.pop()
    name = f"l{ins[1]}"
    if e.expr != name and not g.retarget_fresh(e, name):
        g.write_var(name, e.expr)
    return True


def _local_tee(g: FuncCodegen, ins: tuple) -> bool:
    _local_set(g, ins)
    name = f"l{ins[1]}"
    g.push(name, frozenset((name,)))
    return True


def _global_get(g: FuncCodegen, ins: tuple) -> bool:
    gt = g.ctx.global_types[ins[1]]
    expr = f"G{ins[1]}.value"
    if gt.valtype == "f64":
        expr = f"f64_from_bits({expr})"
    if gt.mutable:
        g.push_stmt(expr)
    else:
        g.push(expr, frozenset(), 1)
    return True


def _global_set(g: FuncCodegen, ins: tuple) -> bool:
    gt = g.ctx.global_types[ins[1]]
    e = g.pop()
    v = f"f64_bits({e.expr})" if gt.valtype == "f64" else e.expr
    g.emit(f"G{ins[1]}.value = {v}")
    return True


# -- constants --
def _const(g: FuncCodegen, ins: tuple) -> bool:  # i32, i64, f32 (raw bits) and v128: the integer itself
    g.push(str(ins[1]))
    return True


def _f64_const(g: FuncCodegen, ins: tuple) -> bool:
    g.push(f64_literal(g.ctx, ins[1]))
    return True


# -- memory --
def _load(g: FuncCodegen, ins: tuple) -> bool:
    helper, post = LOADS[ins[0]]
    a = g.pop()
    x, wide = _mem(g, ins)
    addr = _addr(a, ins[2], wide)
    if x:  # another memory than 0: through its current buffer, without the typed views
        buf = f"M{x}.buf"
        v = f"{buf}[{addr}]" if helper is None else f"{helper}({buf}, {addr})[0]"
        g.push_stmt(post.format(v=v))
        return True
    g.uses_mem = True
    if helper is None:
        v = f"mb[{addr}]"
    elif helper in VIEWS:
        view, mask, shift = VIEWS[helper]
        g.views.add(view)
        v = f"(m{view}[_a >> {shift}] if not (_a := {addr}) & {mask} else {helper}(mb, _a)[0])"
    else:
        v = f"{helper}(mb, {addr})[0]"
    g.push_stmt(post.format(v=v))
    return True


def _store(g: FuncCodegen, ins: tuple) -> bool:
    helper, vt = STORES[ins[0]]
    v, a = g.pop(), g.pop()
    x, wide = _mem(g, ins)
    addr = _addr(a, ins[2], wide)
    val = vt.format(v=v.expr)
    if x:
        buf = f"M{x}.buf"
        g.emit(f"{buf}[{addr}] = {val}" if helper is None else f"{helper}({buf}, {addr}, {val})")
        return True
    g.uses_mem = True
    if helper is None:
        g.emit(f"mb[{addr}] = {val}")
    elif helper in VIEWS:
        view, mask, shift = VIEWS[helper]
        g.views.add(view)
        g.emit(f"if (_a := {addr}) & {mask}: {helper}(mb, _a, {val})")
        g.emit(f"else: m{view}[_a >> {shift}] = {val}")
    else:
        g.emit(f"{helper}(mb, {addr}, {val})")
    return True


def _memory_size(g: FuncCodegen, ins: tuple) -> bool:
    x = memory_index(ins)
    if x:
        g.push_stmt(f"(len(M{x}.buf) >> 16)")
        return True
    g.uses_mem = True
    g.push_stmt("(len(mb) >> 16)")
    return True


def _memory_grow(g: FuncCodegen, ins: tuple) -> bool:
    x, wide = _mem(g, ins)
    n = g.pop()
    g.push_stmt(f"(M{x}.grow({n.expr}) & {'0xffffffffffffffff' if wide else '0xffffffff'})")
    if not x:
        g.uses_mem = True
        g.emit(_MB_RELOAD)
    return True


def _memory_fill(g: FuncCodegen, ins: tuple) -> bool:
    n, v, d = g.pop(), g.pop(), g.pop()
    g.emit(f"mem_fill(M{memory_index(ins)}, {d.expr}, {v.expr}, {n.expr})")
    return True


def _memory_copy(g: FuncCodegen, ins: tuple) -> bool:
    n, s, d = g.pop(), g.pop(), g.pop()
    dst, src = memory_index(ins), memory_index(ins, source=True)
    g.emit(f"mem_copy(M{dst}, M{src}, {d.expr}, {s.expr}, {n.expr})")
    return True


def _memory_init(g: FuncCodegen, ins: tuple) -> bool:
    n, s, d = g.pop(), g.pop(), g.pop()
    g.emit(f"mem_init(M{memory_index(ins)}, INST, {ins[1]}, {d.expr}, {s.expr}, {n.expr})")
    return True


def _data_drop(g: FuncCodegen, ins: tuple) -> bool:
    g.emit(f"INST.datas[{ins[1]}] = None")
    return True


# -- control (block, loop and if are FuncCodegen's methods, which the flat fallback overrides) --
def _br(g: FuncCodegen, ins: tuple) -> bool:
    g.branch(ins[1])
    return False


def _br_if(g: FuncCodegen, ins: tuple) -> bool:
    c = g.pop()
    g.emit(f"if {g.cval(c)}:")
    g.indent()
    g.branch(ins[1])
    g.ind -= 1
    return True


def _br_table(g: FuncCodegen, ins: tuple) -> bool:
    g.br_table(ins[1], ins[2])
    return False


def _return(g: FuncCodegen, ins: tuple) -> bool:
    g.do_return()
    return False


def _unreachable(g: FuncCodegen, ins: tuple) -> bool:
    g.emit("raise Trap('unreachable')")
    return False


def _nop(g: FuncCodegen, ins: tuple) -> bool:
    return True


def _call(g: FuncCodegen, ins: tuple) -> bool:
    ft = g.ctx.func_types[ins[1]]
    args = g.popn(len(ft.params))
    g.push_results(len(ft.results), f"f{ins[1]}({', '.join(a.expr for a in args)})")
    if g.ctx.has_mem:
        g.emit(_MB_RELOAD)
    return True


def _indirect_callee(g: FuncCodegen, ins: tuple, nparams: int) -> list:
    """``call_indirect``'s and ``return_call_indirect``'s shared part: pops the index and the arguments,
    emits the table lookup and the signature check that leave the callee in ``_f``; returns the arguments."""
    idx = g.pop()
    args = g.popn(nparams)
    iv = idx.expr
    if not (iv.isidentifier() or iv.isdigit()):
        g.emit(f"_i = {iv}")
        iv = "_i"
    g.emit(f"_e = T{ins[2]}.elements")
    g.emit(f"if {iv} >= len(_e): raise Trap(TRAP_UNDEFINED_ELEMENT)")
    g.emit(f"_f = _e[{iv}]")
    g.emit(f"if _f is None or (_f.type is not TY{ins[1]} and not type_ok(_f, RT{ins[1]})): call_fail(_f)")
    return args


def _call_indirect(g: FuncCodegen, ins: tuple) -> bool:
    ft = g.ctx.types[ins[1]]
    args = _indirect_callee(g, ins, len(ft.params))
    g.push_results(len(ft.results), f"(_f.interp or interp_callable(_f))({', '.join(a.expr for a in args)})")
    if g.ctx.has_mem:
        g.emit(_MB_RELOAD)
    return True


def _return_call(g: FuncCodegen, ins: tuple) -> bool:
    """``ft<i>``: the body of function i when it makes tail calls itself, else its callable (tier.py)."""
    ft = g.ctx.func_types[ins[1]]
    args = g.popn(len(ft.params))
    g.tail_calls = True
    g.emit(f"return TailCall(ft{ins[1]}, ({''.join(a.expr + ', ' for a in args)}))")
    return False


def _funcref_callee(g: FuncCodegen, ins: tuple) -> list[Entry]:
    """Pop a ``call_ref``'s arguments and reference; the reference is in ``_f`` after a null check."""
    ft = g.ctx.types[ins[1]]
    ref = g.pop()
    args = g.popn(len(ft.params))
    g.emit(f"_f = {ref.expr}")
    g.emit("if _f is None: raise Trap('null function reference')")
    return args


def _call_ref(g: FuncCodegen, ins: tuple) -> bool:
    args = _funcref_callee(g, ins)
    n = len(g.ctx.types[ins[1]].results)
    g.push_results(n, f"(_f.interp or interp_callable(_f))({', '.join(a.expr for a in args)})")
    if g.ctx.has_mem:
        g.emit(_MB_RELOAD)
    return True


def _return_call_ref(g: FuncCodegen, ins: tuple) -> bool:
    args = _funcref_callee(g, ins)
    g.tail_calls = True
    g.emit(f"return TailCall(_f.tail or _f.interp or interp_callable(_f), "
           f"({''.join(a.expr + ', ' for a in args)}))")
    return False


def _ref_as_non_null(g: FuncCodegen, ins: tuple) -> bool:
    e = g.pop()
    g.push_stmt(e.expr)
    g.emit(f"if {g.stack[-1].expr} is None: raise Trap('null reference')")
    return True


def _br_on_null(g: FuncCodegen, ins: tuple) -> bool:
    e = g.pop()
    g.push_stmt(e.expr)
    ref = g.pop()
    g.emit(f"if {ref.expr} is None:")
    g.indent()
    g.branch(ins[1])
    g.ind -= 1
    g.stack.append(ref)
    return True


def _br_on_non_null(g: FuncCodegen, ins: tuple) -> bool:
    e = g.pop()
    g.push_stmt(e.expr)  # in its slot: the branch carries it as the label's last value
    g.emit(f"if {g.stack[-1].expr} is not None:")
    g.indent()
    g.branch(ins[1])
    g.ind -= 1
    g.pop()
    return True


def _return_call_indirect(g: FuncCodegen, ins: tuple) -> bool:
    ft = g.ctx.types[ins[1]]
    args = _indirect_callee(g, ins, len(ft.params))
    g.tail_calls = True
    g.emit(f"return TailCall(_f.tail or _f.interp or interp_callable(_f), "
           f"({''.join(a.expr + ', ' for a in args)}))")
    return False


# -- GC references: i31, ref.eq, conversions, tests and casts (runtime/gcref.py) --
def _ref_i31(g: FuncCodegen, ins: tuple) -> bool:
    e = g.pop()
    g.push(f"I31({e.expr})", e.deps, e.depth + 1)
    return True


def _i31_get(g: FuncCodegen, ins: tuple) -> bool:
    e = g.pop()
    g.push_stmt(f"i31_get({e.expr}, {ins[0] == 'i31.get_s'})")
    return True


def _ref_eq(g: FuncCodegen, ins: tuple) -> bool:
    b, a = g.pop(), g.pop()
    cond = f"ref_eq({a.expr}, {b.expr})"
    g.push(f"(1 if {cond} else 0)", a.deps | b.deps, 1 + max(a.depth, b.depth), cond)
    return True


def _convert(g: FuncCodegen, ins: tuple) -> bool:
    e = g.pop()
    fn = "any_convert_extern" if ins[0] == "any.convert_extern" else "extern_convert_any"
    g.push(f"{fn}({e.expr})", e.deps, e.depth + 1)
    return True


def _test_args(ins: tuple) -> str:
    from ... import types

    nullable, heap = types.parse(ins[1])
    return f"{nullable}, {heap!r}, {f'RT{heap}' if isinstance(heap, int) else 'None'}"


def _ref_test(g: FuncCodegen, ins: tuple) -> bool:
    e = g.pop()
    g.push_stmt(f"(1 if ref_test({e.expr}, {_test_args(ins)}) else 0)")
    return True


def _ref_cast(g: FuncCodegen, ins: tuple) -> bool:
    e = g.pop()
    g.push_stmt(e.expr)
    g.emit(f"if not ref_test({g.stack[-1].expr}, {_test_args(ins)}): raise Trap('cast failure')")
    return True


# -- structs and arrays --
_PACK_MASK = {"i8": "0xff", "i16": "0xffff"}
_PACK_SIGN = {"i8": "0x80", "i16": "0x8000"}


def _stored(storage: str, expr: str) -> str:
    mask = _PACK_MASK.get(storage)
    return f"({expr} & {mask})" if mask else expr


def _loaded(name: str, storage: str, expr: str) -> str:
    if name.endswith("_s"):
        sign = _PACK_SIGN[storage]
        return f"((({expr} ^ {sign}) - {sign}) & 0xffffffff)"
    return expr


def _struct_new(g: FuncCodegen, ins: tuple) -> bool:
    fields = g.ctx.types[ins[1]].fields
    if ins[0] == "struct.new":
        vals = [_stored(f.storage, a.expr) for f, a in zip(fields, g.popn(len(fields)), strict=True)]
    else:
        vals = [_ZERO.get(f.storage, "None") if f.storage not in _PACK_MASK else "0" for f in fields]
    g.push_stmt(f"StructRef(RT{ins[1]}, [{', '.join(vals)}])")
    return True


def _struct_get(g: FuncCodegen, ins: tuple) -> bool:
    f = g.ctx.types[ins[1]].fields[ins[2]]
    e = g.pop()
    g.push_stmt(_loaded(ins[0], f.storage, f"struct_get({e.expr}, {ins[2]})"))
    return True


def _struct_set(g: FuncCodegen, ins: tuple) -> bool:
    f = g.ctx.types[ins[1]].fields[ins[2]]
    v, r = g.pop(), g.pop()
    g.emit(f"struct_set({r.expr}, {ins[2]}, {_stored(f.storage, v.expr)})")
    return True


def _array_new(g: FuncCodegen, ins: tuple) -> bool:
    storage = g.ctx.types[ins[1]].field.storage
    name = ins[0]
    if name == "array.new_fixed":
        vals = [_stored(storage, a.expr) for a in g.popn(ins[2])]
        g.push_stmt(f"ArrayRef(RT{ins[1]}, [{', '.join(vals)}])")
        return True
    n = g.pop()
    v = _stored(storage, g.pop().expr) if name == "array.new" else (
        "0" if storage in _PACK_MASK else _ZERO.get(storage, "None"))
    g.push_stmt(f"array_new(RT{ins[1]}, {v}, {n.expr})")
    return True


def _array_get(g: FuncCodegen, ins: tuple) -> bool:
    storage = g.ctx.types[ins[1]].field.storage
    i, r = g.pop(), g.pop()
    g.push_stmt(_loaded(ins[0], storage, f"array_get({r.expr}, {i.expr})"))
    return True


def _array_set(g: FuncCodegen, ins: tuple) -> bool:
    storage = g.ctx.types[ins[1]].field.storage
    v, i, r = g.pop(), g.pop(), g.pop()
    g.emit(f"array_set({r.expr}, {i.expr}, {_stored(storage, v.expr)})")
    return True


def _array_segment(g: FuncCodegen, ins: tuple) -> bool:  # array.new_data/_elem, array.init_data/_elem
    name, x, seg = ins
    storage = g.ctx.types[x].field.storage
    source = f"{storage!r}, INST.datas[{seg}]" if name.endswith("_data") else f"INST.elems[{seg}]"
    if name.startswith("array.new"):
        n, s = g.pop(), g.pop()
        g.push_stmt(f"{name.replace('.', '_')}(RT{x}, {source}, {s.expr}, {n.expr})")
    else:
        n, s, d, r = g.pop(), g.pop(), g.pop(), g.pop()
        g.emit(f"{name.replace('.', '_')}({r.expr}, {source}, {d.expr}, {s.expr}, {n.expr})")
    return True


def _array_fill(g: FuncCodegen, ins: tuple) -> bool:
    storage = g.ctx.types[ins[1]].field.storage
    n, v, d, r = g.pop(), g.pop(), g.pop(), g.pop()
    g.emit(f"array_fill({r.expr}, {d.expr}, {_stored(storage, v.expr)}, {n.expr})")
    return True


def _array_copy(g: FuncCodegen, ins: tuple) -> bool:
    n, s, sr, d, dr = g.pop(), g.pop(), g.pop(), g.pop(), g.pop()
    g.emit(f"array_copy({dr.expr}, {d.expr}, {sr.expr}, {s.expr}, {n.expr})")
    return True


def _array_len(g: FuncCodegen, ins: tuple) -> bool:
    e = g.pop()
    g.push_stmt(f"array_len({e.expr})")
    return True


def _br_on_cast(g: FuncCodegen, ins: tuple) -> bool:
    e = g.pop()
    g.push_stmt(e.expr)  # in its slot: a taken branch carries it as the label's last value
    test = f"ref_test({g.stack[-1].expr}, {_test_args(('', ins[3]))})"
    g.emit(f"if {test if ins[0] == 'br_on_cast' else 'not ' + test}:")
    g.indent()
    g.branch(ins[1])
    g.ind -= 1
    return True


# -- exceptions --
def _throw(g: FuncCodegen, ins: tuple) -> bool:
    args = g.popn(len(g.ctx.tag_types[ins[1]].params))
    g.emit(f"raise WasmException(TG{ins[1]}, ({''.join(a.expr + ', ' for a in args)}))")
    return False


def _throw_ref(g: FuncCodegen, ins: tuple) -> bool:
    e = g.pop()
    g.emit(f"_e = {e.expr}")
    g.emit("if _e is None: raise Trap('null exception reference')")
    g.emit("raise _e.with_traceback(None)")
    return False


# -- parametric --
def _drop(g: FuncCodegen, ins: tuple) -> bool:
    g.pop()
    return True


def _select(g: FuncCodegen, ins: tuple) -> bool:
    c, b, a = g.pop(), g.pop(), g.pop()
    g.push(f"({a.expr} if {g.cval(c)} else {b.expr})", a.deps | b.deps | c.deps, 1 + max(a.depth, b.depth, c.depth))
    return True


# -- references --
def _ref_null(g: FuncCodegen, ins: tuple) -> bool:
    g.push("None")
    return True


def _ref_is_null(g: FuncCodegen, ins: tuple) -> bool:
    e = g.pop()
    cond = f"{e.expr} is None"
    g.push(f"(1 if {cond} else 0)", e.deps, e.depth + 1, cond)
    return True


def _ref_func(g: FuncCodegen, ins: tuple) -> bool:
    g.push(f"F{ins[1]}")
    return True


# -- tables --
def _table_get(g: FuncCodegen, ins: tuple) -> bool:
    i = g.pop()
    g.push_stmt(f"tbl_get(T{ins[1]}, {i.expr})")
    return True


def _table_set(g: FuncCodegen, ins: tuple) -> bool:
    v, i = g.pop(), g.pop()
    g.emit(f"tbl_set(T{ins[1]}, {i.expr}, {v.expr})")
    return True


def _table_size(g: FuncCodegen, ins: tuple) -> bool:
    g.push_stmt(f"len(T{ins[1]}.elements)")
    return True


def _table_grow(g: FuncCodegen, ins: tuple) -> bool:
    n, v = g.pop(), g.pop()
    mask = "0xffffffffffffffff" if g.ctx.table_addr[ins[1]] == "i64" else "0xffffffff"
    g.push_stmt(f"(tbl_grow(T{ins[1]}, {v.expr}, {n.expr}) & {mask})")
    return True


def _table_fill(g: FuncCodegen, ins: tuple) -> bool:
    n, v, i = g.pop(), g.pop(), g.pop()
    g.emit(f"tbl_fill(T{ins[1]}, {i.expr}, {v.expr}, {n.expr})")
    return True


def _table_copy(g: FuncCodegen, ins: tuple) -> bool:
    n, s, d = g.pop(), g.pop(), g.pop()
    g.emit(f"tbl_copy(T{ins[1]}, T{ins[2]}, {d.expr}, {s.expr}, {n.expr})")
    return True


def _table_init(g: FuncCodegen, ins: tuple) -> bool:
    n, s, d = g.pop(), g.pop(), g.pop()
    g.emit(f"tbl_init(T{ins[2]}, INST, {ins[1]}, {d.expr}, {s.expr}, {n.expr})")
    return True


def _elem_drop(g: FuncCodegen, ins: tuple) -> bool:
    g.emit(f"INST.elems[{ins[1]}] = None")
    return True


# -- v128 memory forms (the arithmetic is exec.simd's, see _simd) --
def _vmem(g: FuncCodegen, ins: tuple, a: Entry) -> tuple[str, str]:
    """The buffer and effective address of a ``v128`` memory form."""
    x, wide = _mem(g, ins)
    if x:
        return f"M{x}.buf", _addr(a, ins[2], wide)
    g.uses_mem = True
    return "mb", _addr(a, ins[2], wide)


def _v128_load(g: FuncCodegen, ins: tuple) -> bool:
    buf, addr = _vmem(g, ins, g.pop())
    g.push_stmt(f"ld_v128({buf}, {addr})")
    return True


def _v128_store(g: FuncCodegen, ins: tuple) -> bool:
    v = g.pop()
    buf, addr = _vmem(g, ins, g.pop())
    g.emit(f"st_v128({buf}, {addr}, {v.expr})")
    return True


def _v128_load_widened(g: FuncCodegen, ins: tuple) -> bool:  # extending, splatting and zero-filling loads
    op = ins[0]
    buf, addr = _vmem(g, ins, g.pop())
    name = g.ctx.const(("vld", op), (LD_EXTEND.get(op) or LD_SPLAT[op]))
    g.push_stmt(f"{name}({buf}, {addr})")
    return True


def _v128_load_lane(g: FuncCodegen, ins: tuple) -> bool:
    v = g.pop()
    buf, addr = _vmem(g, ins, g.pop())
    g.push_stmt(f"ld_lane({buf}, {addr}, {v.expr}, {_LANE_BYTES[ins[0]]}, {ins[3]})")
    return True


def _v128_store_lane(g: FuncCodegen, ins: tuple) -> bool:
    v = g.pop()
    buf, addr = _vmem(g, ins, g.pop())
    g.emit(f"st_lane({buf}, {addr}, {v.expr}, {_LANE_BYTES[ins[0]]}, {ins[3]})")
    return True


_LANE_BYTES = {f"v128.{access}{bits}_lane": bits // 8 for access in ("load", "store") for bits in (8, 16, 32, 64)}


def _simd(g: FuncCodegen, ins: tuple) -> bool:
    """A ``v128`` instruction that computes on values: a call of its ``exec.simd`` function (pure)."""
    from ...exec.simd import SIMD_ARITY, SIMD_OPS, SIMD_TYPES

    op = ins[0]
    fn = SIMD_OPS.get(op)
    if fn is None:
        raise NotImplementedError(f"interpreter: SIMD instruction {op!r} is not supported")
    n = SIMD_ARITY[op]
    args = g.popn(n)
    argtypes, rtype = SIMD_TYPES[op]
    exprs = [f"f64_bits({a.expr})" if t == "f64" else a.expr for a, t in zip(args, argtypes, strict=True)]
    imms = [repr(tuple(x)) if isinstance(x, (tuple, list)) else repr(x) for x in ins[1:]]
    name = g.ctx.const(("simd", op), fn)
    call = f"{name}({', '.join(exprs + imms)})"
    if rtype == "f64":
        call = f"f64_from_bits({call})"
    deps = frozenset().union(*(a.deps for a in args)) if args else frozenset()
    g.push(call, deps, 1 + max((a.depth for a in args), default=0))
    return True


_INSTRUCTIONS: dict[str, Handler] = {
    "local.get": _local_get,
    "local.set": _local_set,
    "local.tee": _local_tee,
    "global.get": _global_get,
    "global.set": _global_set,
    "i32.const": _const,
    "i64.const": _const,
    "f32.const": _const,
    "v128.const": _const,
    "f64.const": _f64_const,
    **dict.fromkeys(LOADS, _load),
    **dict.fromkeys(STORES, _store),
    "memory.size": _memory_size,
    "memory.grow": _memory_grow,
    "memory.fill": _memory_fill,
    "memory.copy": _memory_copy,
    "memory.init": _memory_init,
    "data.drop": _data_drop,
    "block": FuncCodegen.block,
    "loop": FuncCodegen.loop,
    "if": FuncCodegen.if_,
    "try_table": FuncCodegen.try_table,
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
    "call_ref": _call_ref,
    "ref.i31": _ref_i31,
    "i31.get_s": _i31_get,
    "i31.get_u": _i31_get,
    "ref.eq": _ref_eq,
    "any.convert_extern": _convert,
    "extern.convert_any": _convert,
    "ref.test": _ref_test,
    "ref.cast": _ref_cast,
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
    "array.new_data": _array_segment,
    "array.new_elem": _array_segment,
    "array.init_data": _array_segment,
    "array.init_elem": _array_segment,
    "array.fill": _array_fill,
    "array.copy": _array_copy,
    "br_on_cast": _br_on_cast,
    "br_on_cast_fail": _br_on_cast,
    "return_call_ref": _return_call_ref,
    "ref.as_non_null": _ref_as_non_null,
    "br_on_null": _br_on_null,
    "br_on_non_null": _br_on_non_null,
    "drop": _drop,
    "select": _select,
    "ref.null": _ref_null,
    "ref.is_null": _ref_is_null,
    "ref.func": _ref_func,
    "table.get": _table_get,
    "table.set": _table_set,
    "table.size": _table_size,
    "table.grow": _table_grow,
    "table.fill": _table_fill,
    "table.copy": _table_copy,
    "table.init": _table_init,
    "elem.drop": _elem_drop,
    "v128.load": _v128_load,
    "v128.store": _v128_store,
    **dict.fromkeys(LD_EXTEND, _v128_load_widened),
    **dict.fromkeys(LD_SPLAT, _v128_load_widened),
    **{name: _v128_load_lane for name in _LANE_BYTES if ".load" in name},
    **{name: _v128_store_lane for name in _LANE_BYTES if ".store" in name},
}


FuncCodegen.handlers = _INSTRUCTIONS


def _other_handler(op: str) -> Handler:
    """The ``v128`` arithmetic (its table is imported only by modules that use SIMD), or unsupported."""
    if op.startswith("v128.") or "x" in op.split(".")[0]:
        return _simd
    raise NotImplementedError(f"interpreter: instruction {op!r} is not supported")
