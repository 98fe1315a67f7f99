"""Fallback translation for functions too deeply nested for the structured one (see :mod:`.codegen`).

Why: CPython refuses more than 20 nested loops and 100 indentation levels, and a wasm function may nest
thousands of blocks.  Here control flow becomes a state machine: the function is cut into basic blocks
at every branch target, each block ends with ``pc = <next>; continue``, and a binary tree of ``if pc <
k`` dispatches inside one ``while True``.  Straight-line code (and so the numerics) is shared with the
structured generator; only the control instructions differ.  Slower, but nesting depth no longer matters.
"""

from __future__ import annotations

from .codegen import FuncCodegen, Label, scan_targets


class FlatCodegen(FuncCodegen):
    def __init__(self, ctx, func_index: int):
        super().__init__(ctx, func_index)
        self.bbs: list[list[str] | None] = []
        self.ind = 0
        self.targets: dict[int, int] = {}  # label uid -> basic block
        self.handler: int | None = None  # the handler block of the innermost try_table being translated
        self.handler_of: list[int | None] = []  # basic block -> the handler block for what it raises

    # ---- basic blocks ----
    def new_bb(self) -> int:
        self.bbs.append(None)
        self.handler_of.append(None)
        return len(self.bbs) - 1

    def start_bb(self, k: int) -> None:
        self.handler_of[k] = self.handler
        self.bbs[k] = self.lines = []
        self.ind = 0
        self.fresh = None

    def jump(self, k: int) -> None:
        self.emit(f"pc = {k}")
        self.emit("continue")

    def indent(self) -> None:
        self.ind += 1

    # ---- control ----
    def branch(self, depth: int) -> None:
        idx = self.branch_target(depth)
        if idx is not None:
            self.jump(self.targets[self.labels[idx].uid])

    def block(self, ins: tuple) -> bool:
        self.fresh = None
        params, results = self.ctx.block_type(ins[1])
        h = len(self.stack) - len(params)
        lab = Label("block", h, len(results), len(results), self._uid(), False)
        if not self.targeted.get(id(ins), False):
            return self.body(ins[2], lab)
        self.flush()
        after = self.new_bb()
        self.targets[lab.uid] = after
        if self.body(ins[2], lab):
            self.flush()
            self.jump(after)
        self.start_bb(after)
        self.reset_stack(h, len(results))
        return True

    def loop(self, ins: tuple) -> bool:
        self.fresh = None
        params, results = self.ctx.block_type(ins[1])
        h = len(self.stack) - len(params)
        lab = Label("loop", h, len(params), len(results), self._uid(), False)
        if not self.targeted.get(id(ins), False):
            return self.body(ins[2], lab)
        self.flush()
        head = self.new_bb()
        self.targets[lab.uid] = head
        self.jump(head)
        self.start_bb(head)
        return self.body(ins[2], lab)

    def if_(self, ins: tuple) -> bool:
        self.fresh = None
        params, results, cond, h = self.if_start(ins)
        lab = Label("if", h, len(results), len(results), self._uid(), False)
        after = self.new_bb()
        other = self.new_bb() if ins[3] else after
        self.targets[lab.uid] = after
        base = self.stack[:h]
        self.emit(f"if not ({cond}):")
        self.ind += 1
        self.jump(other)
        self.ind -= 1
        self.labels.append(lab)
        self.stack = base + self.slot_entries(h, h + len(params))
        if self.body(ins[2]):
            self.flush()
            self.jump(after)
        if ins[3]:
            self.start_bb(other)
            self.stack = base + self.slot_entries(h, h + len(params))
            if self.body(ins[3]):
                self.flush()
                self.jump(after)
        self.labels.pop()
        self.start_bb(after)
        self.reset_stack(h, len(results))
        return True

    def try_table(self, ins: tuple) -> bool:
        """The body gets basic blocks of its own, each mapped to this try_table's handler block; the
        dispatch loop's ``except`` jumps to the handler of the block that raised (``pc`` still names it: a
        block only sets ``pc`` right before it continues).  The handler block itself belongs to the
        enclosing try_table, so an exception no clause catches is re-raised to that one."""
        self.fresh = None
        params, results = self.ctx.block_type(ins[1])
        h = len(self.stack) - len(params)
        lab = Label("block", h, len(results), len(results), self._uid(), False)
        self.flush()
        base = self.stack[:h]
        after, handler, inside = self.new_bb(), self.new_bb(), self.new_bb()
        self.targets[lab.uid] = after
        self.jump(inside)
        outer = self.handler
        self.handler = handler
        self.start_bb(inside)
        falls = self.body(ins[2], lab)
        if falls:
            self.flush()
            self.jump(after)
        self.handler = outer
        self.start_bb(handler)
        self.catch_clauses(ins[3], "_exc", base, 0, "raise _exc")  # the try_table's label is popped here
        self.start_bb(after)
        self.reset_stack(h, len(results))
        return True

    handlers = {**FuncCodegen.handlers, "block": block, "loop": loop, "if": if_, "try_table": try_table}

    # ---- the function ----
    def generate(self) -> list[str]:
        body = self.func.body
        scan_targets(body, self.targeted)
        nres = len(self.type.results)
        self.labels.append(Label("func", 0, nres, nres, self._uid(), False))
        self.start_bb(self.new_bb())
        if self.body(body):
            self.do_return()
        out = self.prologue()
        out.append("    pc = 0")
        out.append("    while True:")
        if not any(k is not None for k in self.handler_of):
            self._dispatch(out, 0, len(self.bbs), 2)
            return self.resolve_reloads(out)
        out.insert(1, f"    _handler_of = {tuple(self.handler_of)!r}")
        out.append("        try:")
        self._dispatch(out, 0, len(self.bbs), 3)
        out.append("        except WasmException as _x:")
        out.append("            if _handler_of[pc] is None:")
        out.append("                raise")
        out.append("            _exc = _x")
        out.append("            pc = _handler_of[pc]")
        return self.resolve_reloads(out)

    def _dispatch(self, out: list[str], lo: int, hi: int, ind: int) -> None:
        pad = "    " * ind
        if hi - lo == 1:
            code = self.bbs[lo] or []
            if not code:
                out.append(pad + "raise AssertionError('unreachable basic block')")
            out.extend(pad + ln for ln in code)
            return
        mid = (lo + hi) // 2
        out.append(f"{pad}if pc < {mid}:")
        self._dispatch(out, lo, mid, ind + 1)
        out.append(f"{pad}else:")
        self._dispatch(out, mid, hi, ind + 1)
