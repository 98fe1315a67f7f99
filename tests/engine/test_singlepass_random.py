"""Seeded random expression trees through the singlepass tier and the interpreter: deep operand stacks run
the register pool dry (spills), and blocks, ifs and calls in the middle of an expression spill what is
live, so every path of the value stack (constant, register, slot) meets every operation."""

from __future__ import annotations

import random

import pytest

from harness.engine import api
from harness.engine.errors import Trap
from harness.engine.tiers.singlepass import unavailable_reason

pytestmark = pytest.mark.skipif(bool(unavailable_reason()), reason=unavailable_reason() or "available")

BINARY = ["add", "sub", "mul", "and", "or", "xor", "shl", "shr_s", "shr_u", "rotl", "rotr", "div_s", "div_u",
          "rem_s", "rem_u", "eq", "ne", "lt_s", "lt_u", "gt_s", "gt_u", "le_s", "le_u", "ge_s", "ge_u"]
UNARY = ["clz", "ctz", "popcnt", "eqz"]
COMPARES = {"eq", "ne", "lt_s", "lt_u", "gt_s", "gt_u", "le_s", "le_u", "ge_s", "ge_u", "eqz"}


def expr(rng: random.Random, t: str, depth: int) -> str:
    """A wasm text expression of type ``t`` (i32 or i64)."""
    if depth == 0 or rng.random() < 0.15:
        if rng.random() < 0.5:
            return f"(local.get {0 if t == 'i32' else 1})"
        return f"({t}.const {rng.choice([0, 1, -1, 7, 31, 63, 0x7FFFFFFF, -(1 << 31), rng.getrandbits(32)])})"
    r = rng.random()
    if r < 0.08:
        return f"(block (result {t}) {expr(rng, t, depth - 1)})"
    if r < 0.16:
        return f"(if (result {t}) {expr(rng, 'i32', depth - 1)} (then {expr(rng, t, depth - 1)}) " \
               f"(else {expr(rng, t, depth - 1)}))"
    if r < 0.22:
        return f"(call $id_{t} {expr(rng, t, depth - 1)})"
    if r < 0.28:
        return f"(select {expr(rng, t, depth - 1)} {expr(rng, t, depth - 1)} {expr(rng, 'i32', depth - 1)})"
    if r < 0.34:
        other = "i64" if t == "i32" else "i32"
        conv = "i32.wrap_i64" if t == "i32" else "i64.extend_i32_s"
        return f"({conv} {expr(rng, other, depth - 1)})"
    if r < 0.42:
        op = rng.choice(UNARY)
        if op in COMPARES:  # i32 result: only where an i32 is wanted
            operand = rng.choice(["i32", "i64"])
            inner = f"({operand}.eqz {expr(rng, operand, depth - 1)})"
            return inner if t == "i32" else f"(i64.extend_i32_u {inner})"
        return f"({t}.{op} {expr(rng, t, depth - 1)})"
    op = rng.choice(BINARY)
    if op in COMPARES:
        operand = rng.choice(["i32", "i64"])
        inner = f"({operand}.{op} {expr(rng, operand, depth - 1)} {expr(rng, operand, depth - 1)})"
        return inner if t == "i32" else f"(i64.extend_i32_u {inner})"
    return f"({t}.{op} {expr(rng, t, depth - 1)} {expr(rng, t, depth - 1)})"


def module(rng: random.Random) -> str:
    funcs = [f'(func (export "f{i}") (param i32 i64) (result {t}) {expr(rng, t, 7)})'
             for i, t in enumerate(rng.choice(["i32", "i64"]) for _ in range(6))]
    # a right-nested chain keeps every left operand live: more values than registers
    chain = expr(rng, "i64", 2)
    for _ in range(16):
        chain = f"(i64.{rng.choice(['add', 'xor', 'sub', 'mul'])} {expr(rng, 'i64', 2)} {chain})"
    funcs.append(f'(func (export "chain") (param i32 i64) (result i64) {chain})')
    return ("(module (func $id_i32 (param i32) (result i32) (local.get 0))"
            " (func $id_i64 (param i64) (result i64) (local.get 0)) " + " ".join(funcs) + ")")


def outcome(inst: api.Instance, name: str, args: list):
    try:
        return inst.invoke(name, args)
    except Trap as e:
        return e.kind


@pytest.mark.parametrize("seed", range(12))
def test_random_expressions_match_the_interpreter(seed: int) -> None:
    rng = random.Random(seed)
    src = module(rng)
    m = api.Module.from_text(src)
    interp, single = (api.Store(tier=t) for t in ("interp", "singlepass"))
    a, b = interp.instantiate(m), single.instantiate(m)
    for name in a.exports:
        for args in ([0, 0], [1, 1], [0xFFFFFFFF, 1 << 63], [rng.getrandbits(32), rng.getrandbits(64)]):
            assert outcome(b, name, args) == outcome(a, name, args), (seed, name, args)
