"""Random structured control flow, run by our interpreter (both translations) and by wasmtime.

Why: the code generator's branch handling (multi-level breaks across Python loops, tail loops, values
carried by branches, br_table trees) has many combinations; seeded random functions probe them.  Loops only
branch back while a shared ``$fuel`` local stays positive, so every function terminates.
"""

from __future__ import annotations

import random
import subprocess
from pathlib import Path

import pytest

from harness.engine import api

wasmtime = pytest.importorskip("wasmtime")
WASM_TOOLS = Path(__file__).resolve().parents[2] / ".venv" / "bin" / "wasm-tools"


class Gen:
    def __init__(self, rng: random.Random):
        self.rng = rng
        self.n = 0

    def label(self) -> str:
        self.n += 1
        return f"$L{self.n}"

    def expr(self, labels: list, depth: int) -> str:
        r = self.rng.random()
        if depth > 3 or r < 0.3:
            return self.rng.choice(["(local.get $a)", "(local.get $b)", "(local.get $x)",
                                    f"(i32.const {self.rng.randint(-5, 20)})"])
        if r < 0.55:
            op = self.rng.choice(["add", "sub", "mul", "xor", "and", "shl", "lt_s", "eq", "rotl"])
            return f"(i32.{op} {self.expr(labels, depth + 1)} {self.expr(labels, depth + 1)})"
        if r < 0.7:
            lab = self.label()
            inner = labels + [(lab, "block", 1)]
            return f"(block {lab} (result i32) {self.stmts(inner, depth + 1)} {self.expr(inner, depth + 1)})"
        if r < 0.8:
            lab = self.label()
            inner = labels + [(lab, "if", 1)]
            return (f"(if {lab} (result i32) {self.expr(labels, depth + 1)} (then {self.stmts(inner, depth + 1)} "
                    f"{self.expr(inner, depth + 1)}) (else {self.expr(inner, depth + 1)}))")
        if r < 0.85:
            return f"(select {self.expr(labels, depth + 1)} {self.expr(labels, depth + 1)} {self.expr(labels, depth + 1)})"
        if r < 0.93:
            load = self.rng.choice(["i32.load", "i32.load8_s", "i32.load16_u"])
            return f"({load} offset={self.rng.choice([0, 4, 65530])} {self.addr(labels, depth)})"
        return f"(call $h {self.expr(labels, depth + 1)})"

    def addr(self, labels: list, depth: int) -> str:
        return f"(i32.and {self.expr(labels, depth + 1)} (i32.const 1020))"

    def branch_to(self, labels: list, depth: int, cond: str | None) -> str:
        lab, kind, arity = self.rng.choice(labels)
        if kind == "loop":
            guard = "(i32.gt_s (local.tee $fuel (i32.sub (local.get $fuel) (i32.const 1))) (i32.const 0))"
            return f"(br_if {lab} {guard})"
        if kind == "func":
            return f"(if {cond or '(i32.const 1)'} (then (return {self.expr(labels, depth + 1)})))"
        if arity:
            v = self.expr(labels, depth + 1)
            return f"(drop (br_if {lab} {v} {cond or self.expr(labels, depth + 1)}))"
        return f"(br_if {lab} {cond or self.expr(labels, depth + 1)})"

    def stmt(self, labels: list, depth: int) -> str:
        r = self.rng.random()
        if depth > 5 or r < 0.25:
            return f"(local.set $x {self.expr(labels, depth + 1)})"
        if r < 0.3:
            store = self.rng.choice(["i32.store", "i32.store8", "i32.store16"])
            return f"({store} offset={self.rng.choice([0, 8])} {self.addr(labels, depth)} {self.expr(labels, depth + 1)})"
        if r < 0.5:
            return self.branch_to(labels, depth, None)
        if r < 0.62:
            lab = self.label()
            return f"(block {lab} {self.stmts(labels + [(lab, 'block', 0)], depth + 1)})"
        if r < 0.77:
            lab = self.label()
            inner = labels + [(lab, "loop", 0)]
            body = self.stmts(inner, depth + 1)
            back = self.branch_to([(lab, "loop", 0)], depth, None)
            return f"(loop {lab} {body} {back})"
        if r < 0.9:
            lab = self.label()
            inner = labels + [(lab, "if", 0)]
            return (f"(if {lab} {self.expr(labels, depth + 1)} (then {self.stmts(inner, depth + 1)}) "
                    f"(else {self.stmts(inner, depth + 1)}))")
        targets = [lab for lab, kind, arity in labels if arity == 0 and kind != "func"]
        if not targets:
            return "(nop)"
        k = self.rng.randint(1, 6)
        tab = " ".join(self.rng.choice(targets) for _ in range(k))
        guard = "(i32.gt_s (local.tee $fuel (i32.sub (local.get $fuel) (i32.const 1))) (i32.const 0))"
        # loops among the targets would spin: only take the table while fuel lasts
        return f"(if {guard} (then (br_table {tab} {self.rng.choice(targets)} {self.expr(labels, depth + 1)})))"

    def stmts(self, labels: list, depth: int) -> str:
        return " ".join(self.stmt(labels, depth) for _ in range(self.rng.randint(1, 3)))

    def func(self, k: int) -> str:
        labels = [("$func", "func", 1)]
        body = self.stmts(labels, 0)
        return (f'(func (export "f{k}") (param $a i32) (param $b i32) (result i32) (local $x i32) (local $fuel i32)'
                f" (local.set $fuel (i32.const 40)) {body} (i32.add (local.get $x) (local.get $fuel)))")


def _outcome(fn):
    try:
        return ("ok", fn())
    except Exception as e:  # noqa: BLE001 - a trap in either engine; compared as "trapped"
        return ("trap", "wasmtime" if "wasmtime" in type(e).__module__ else "ours") [:1]


def build(seed: int, count: int) -> str:
    g = Gen(random.Random(seed))
    funcs = [g.func(k) for k in range(count)]
    helper = "(func $h (param i32) (result i32) (i32.add (i32.mul (local.get 0) (i32.const 3)) (i32.const 1)))"
    helper += ' (func (export "sum") (result i32) (local $i i32) (local $s i32) (loop $l (local.set $s (i32.add' \
              ' (i32.rotl (local.get $s) (i32.const 5)) (i32.load (local.get $i)))) (br_if $l (i32.lt_u (local.tee $i' \
              ' (i32.add (local.get $i) (i32.const 4))) (i32.const 1100)))) (local.get $s))'
    return "(module (memory 1) " + helper + " " + "\n".join(funcs) + ")"


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_random_control_flow_matches_wasmtime(seed):
    count = 40
    src = build(seed, count)
    engine = wasmtime.Engine()
    wstore = wasmtime.Store(engine)
    wexp = wasmtime.Instance(wstore, wasmtime.Module(engine, src), []).exports(wstore)
    data = subprocess.run([str(WASM_TOOLS), "parse", "-"], input=src.encode(), capture_output=True, check=True,
                          timeout=60).stdout
    module = api.Module.from_bytes(data)
    ours = [api.Store(force_flat=flat).instantiate(module) for flat in (False, True)]
    bad = []
    for k in range(count):
        for a, b in ((0, 0), (1, 2), (7, -3), (100, 5)):
            want = _outcome(lambda k=k, a=a, b=b: wexp[f"f{k}"](wstore, a, b))
            want_mem = wexp["sum"](wstore)
            for inst in ours:
                got = _outcome(lambda inst=inst, k=k, a=a, b=b: inst.call(f"f{k}", a, b))
                if got != want or inst.call("sum") != want_mem:
                    bad.append((k, a, b, got, want, inst.store.tier.force_flat))
    assert not bad, bad[:10]
