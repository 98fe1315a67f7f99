"""Fallback translation for functions too deeply nested for the structured one (see :mod:`.codegen`).

Why: CPython refuses more than 20 nested loops and 100 indentation levels, and a wasm function may nest
thousands of blocks.  Here control flow becomes a state machine: the function is cut into basic blocks
at every branch target, each block ends with ``pc = <next>; continue``, and a binary tree of ``if pc <
k`` dispatches inside one ``while True``.  Straight-line code (and so the numerics) is shared with the
structured generator; only the control instructions differ.  Slower, but nesting depth no longer matters.
"""

from __future__ import annotations

from .codegen import _MB_RELOAD, FuncCodegen, Label, scan_targets


class FlatCodegen(FuncCodegen):
    def __init__(self, ctx, func_index: int):
        super().__init__(ctx, func_index)
        self.bbs: list[list[str] | None] = []
        self.ind = 0
        self.targets: dict[int, int] = {}  # label uid -> basic block

    # ---- basic blocks ----
    def new_bb(self) -> int:
        self.bbs.append(None)
        return len(self.bbs) - 1

    def start_bb(self, k: int) -> None:
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
        idx = len(self.labels) - 1 - depth
        lab = self.labels[idx]
        if lab.kind == "func":
            self.do_return()
            return
        n = lab.arity
        if n:
            srcs = [e.expr for e in self.stack[len(self.stack) - n :]]
            dsts = [f"s{lab.height + i}" for i in range(n)]
            pairs = [(d, s) for d, s in zip(dsts, srcs, strict=True) if d != s]
            if pairs:
                self.emit(f"{', '.join(d for d, _ in pairs)} = {', '.join(s for _, s in pairs)}")
        self.jump(self.targets[lab.uid])

    def block(self, ins: tuple, kind: str) -> bool:
        params, results = self.ctx.block_type(ins[1])
        h = len(self.stack) - len(params)
        lab = Label(kind, h, len(results), len(results), self._uid(), False)
        if not self.targeted.get(id(ins), False):
            self.labels.append(lab)
            ok = self.body(ins[2])
            self.labels.pop()
            return ok
        self.flush()
        after = self.new_bb()
        self.targets[lab.uid] = after
        self.labels.append(lab)
        if self.body(ins[2]):
            self.flush()
            self.jump(after)
        self.labels.pop()
        self.start_bb(after)
        self.reset_stack(h, len(results))
        return True

    def loop(self, ins: tuple) -> bool:
        params, results = self.ctx.block_type(ins[1])
        h = len(self.stack) - len(params)
        lab = Label("loop", h, len(params), len(results), self._uid(), False)
        if not self.targeted.get(id(ins), False):
            self.labels.append(lab)
            ok = self.body(ins[2])
            self.labels.pop()
            return ok
        self.flush()
        head = self.new_bb()
        self.targets[lab.uid] = head
        self.jump(head)
        self.start_bb(head)
        self.labels.append(lab)
        falls = self.body(ins[2])
        self.labels.pop()
        return falls

    def if_(self, ins: tuple) -> bool:
        params, results = self.ctx.block_type(ins[1])
        c = self.pop()
        cond = self.cval(c)
        self.flush()
        h = len(self.stack) - len(params)
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

    # ---- the function ----
    def generate(self) -> list[str]:
        body = self.func.body
        scan_targets(body, self.targeted)
        nres = len(self.type.results)
        self.labels.append(Label("func", 0, nres, nres, self._uid(), False))
        self.start_bb(self.new_bb())
        if self.body(body):
            self.do_return()
        params = ", ".join(f"l{i}" for i in range(len(self.type.params)))
        out = [f"def f{self.index}({params}):"]
        np = len(self.type.params)
        groups: dict[str, list[str]] = {}
        from .codegen import _ZERO

        for i, t in enumerate(self.func.locals):
            groups.setdefault(_ZERO[t], []).append(f"l{np + i}")
        for zero, names in groups.items():
            for k in range(0, len(names), 200):
                out.append("    " + " = ".join(names[k : k + 200]) + f" = {zero}")
        if self.uses_mem:
            out.append("    " + self.mem_reload())
        out.append("    pc = 0")
        out.append("    while True:")
        self._dispatch(out, 0, len(self.bbs), 2)
        if self.uses_mem:
            return [ln.replace(_MB_RELOAD, self.mem_reload()) for ln in out]
        return [ln for ln in out if not ln.endswith(_MB_RELOAD)]

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
