"""Every trap stays where the program puts it, whatever becomes of the trapping operation's result
(issue 26).

A wasm load out of bounds traps whether or not its value is used, and so do a division by zero, a
float-to-int truncation of NaN, a bulk memory operation out of range, a table access past the end and an
indirect call to a bad entry.  An optimiser that treats such an operation as free of side effects may
delete it when its value is unused, sink it into the one branch that uses the value, turn a ``select`` of
it into a branch, or move it out of a loop: the trap then goes too.  ``ours:llvm`` returned 7 instead of
trapping on the issue's example (a guard-page load whose value only the untaken branch used: LLVM's x86
back end made the select a branch and the load went into it).

Here a seeded generator writes functions that perform one trapping operation (each load and store width,
with offsets; ``memory.fill``/``copy``/``init``; ``table.get``/``set``; ``call_indirect`` with a bad index,
a null entry or a wrong signature; integer division and remainder; every float-to-int truncation), whose
result is then unused, used on one branch only, used only by a ``select``, used only after a loop, or
overwritten (or followed or preceded by another trap: the first one must win; or made in a function of its
own, whose caller drops or selects the result), and calls each with inputs
that trap and inputs that do not, on both sides of each branch.

Many functions share one module, compiled once per configuration: ``ours:interp``, ``ours:llvm`` at O0 and
O2 (O1 and O3 too under ``-m slow``) with guard pages and with explicit bounds checks, ``ours:singlepass``
on the modules without SIMD (every other seed; it has no SIMD yet), and ``wasmtime:cranelift`` (the
wasmtime package, the reference).  Each call's result, or the class of its trap, must be the same
everywhere, and so must the memory and the table ``$data`` after the last call (a store that traps writes
nothing; the ones before it stay).

The default run checks 6 modules of 80 functions (480 cases, ~4,500 calls per configuration, a few seconds);
``pytest -m slow`` checks 40 more modules (3,200 cases) at every optimisation level.  Without the fix for the
issue (``jit._init``), 5 of the 6 default modules fail, on guard-page loads at O1-O3 (3 to 15 calls each).
"""

from __future__ import annotations

import ctypes
import hashlib
import random
import struct
from collections.abc import Callable
from typing import NamedTuple

import pytest

from harness.engine import api, errors
from harness.engine.text import parse_module
from harness.spec.traps import trap_class

wasmtime = pytest.importorskip("wasmtime")
pytest.importorskip("llvmlite")

from harness.engine.tiers.llvm import faults  # noqa: E402
from harness.engine.tiers.singlepass import unavailable_reason  # noqa: E402

PAGE = 65536
FUNCS_PER_MODULE = 80
DEFAULT_SEEDS = range(6)
SLOW_SEEDS = range(100, 140)
BOUNDS = ["explicit"] + (["guard"] if faults.supported() else [])
SINGLEPASS = not unavailable_reason()


class Op(NamedTuple):
    """A trapping operation: the WAT of an expression of type ``type`` built around ``X``, the i32 operand
    each call chooses, and the values of ``X`` to call it with (some trap, some do not)."""

    name: str
    type: str
    wat: str
    inputs: tuple[int, ...]


# -- the operations --------------------------------------------------------------------------------------
_LOADS = [("i32.load", "i32", 4), ("i32.load8_s", "i32", 1), ("i32.load8_u", "i32", 1), ("i32.load16_s", "i32", 2),
          ("i32.load16_u", "i32", 2), ("i64.load", "i64", 8), ("i64.load8_s", "i64", 1), ("i64.load8_u", "i64", 1),
          ("i64.load16_s", "i64", 2), ("i64.load16_u", "i64", 2), ("i64.load32_s", "i64", 4),
          ("i64.load32_u", "i64", 4), ("f32.load", "f32", 4), ("f64.load", "f64", 8), ("v128.load", "v128", 16)]
_STORES = [("i32.store", "i32", 4), ("i32.store8", "i32", 1), ("i32.store16", "i32", 2), ("i64.store", "i64", 8),
           ("i64.store8", "i64", 1), ("i64.store16", "i64", 2), ("i64.store32", "i64", 4), ("f32.store", "f32", 4),
           ("f64.store", "f64", 8), ("v128.store", "v128", 16)]
_DIVS = [f"{t}.{op}" for t in ("i32", "i64") for op in ("div_s", "div_u", "rem_s", "rem_u")]
_TRUNCS = [f"{i}.trunc_{f}_{s}" for i in ("i32", "i64") for f in ("f32", "f64") for s in ("s", "u")]
# f32 bits: 1.5, -0.75, NaN, +inf, 3e9 (past i32), -2.0 (below unsigned), 1e19 (past i64, not u64)
_FLOAT_INPUTS = (0x3FC00000, 0xBF400000, 0x7FC00000, 0x7F800000, 0x4F32D05E, 0xC0000000, 0x5F0AC723)
_FAR = (0xFFFFFFFF, 0x80000000)


def _const(t: str, rng: random.Random) -> str:
    if t == "v128":
        return f"(v128.const i64x2 {rng.randrange(1 << 63)} {rng.randrange(1 << 63)})"
    if t in ("f32", "f64"):
        return f"({t}.const {rng.choice(['1.5', '-0.25', '1e10', '-7'])})"
    return f"({t}.const {rng.choice([0, 1, -1, 77, 0x1234567])})"


def _access_inputs(offset: int, size: int) -> tuple[int, ...]:
    edge = PAGE - offset - size  # the last in-bounds address
    safe = (0, edge) if edge >= 0 else ()
    return tuple(dict.fromkeys((*safe, edge + 1 if edge >= 0 else 0, *_FAR)))


def _scalar(t: str, expr: str) -> tuple[str, str]:
    """A v128 value made scalar (its use), so every operation has a scalar type."""
    return ("i64", f"(i64x2.extract_lane 1 {expr})") if t == "v128" else (t, expr)


def _load(rng: random.Random, simd: bool) -> Op:
    name, t, size = rng.choice([load for load in _LOADS if simd or load[1] != "v128"])
    offset = rng.choice([0, 0, 3, 100, PAGE - size, PAGE])
    t, wat = _scalar(t, f"({name} offset={offset} X)")
    return Op(name, t, wat, _access_inputs(offset, size))


def _store(rng: random.Random, simd: bool) -> Op:
    name, t, size = rng.choice([store for store in _STORES if simd or store[1] != "v128"])
    offset = rng.choice([0, 0, 5, PAGE - size, PAGE])
    store = f"({name} offset={offset} X {_const(t, rng)})"
    if rng.random() < 0.5:  # the stored value read back: the load may be folded into the store
        load = {"i32.store": "i32.load", "i64.store": "i64.load", "f32.store": "f32.load", "f64.store": "f64.load",
                "v128.store": "v128.load"}.get(name, t + ".load8_u")
        rt, back = _scalar(t, f"({load} offset={offset} X)")
        return Op(name + "+reload", rt, f"(block (result {rt}) {store} {back})", _access_inputs(offset, size))
    return Op(name, "i32", f"(block (result i32) {store} (i32.const 9))", _access_inputs(offset, size))


def _bulk(rng: random.Random, simd: bool) -> Op:
    n = rng.choice([1, 4, 16])
    kind = rng.choice(["fill-dst", "fill-len", "copy-dst", "copy-src", "init-dst", "init-src"])
    if kind == "fill-dst":
        body, inputs = f"(memory.fill X (i32.const {rng.randrange(256)}) (i32.const {n}))", _access_inputs(0, n)
    elif kind == "fill-len":
        body, inputs = f"(memory.fill (i32.const {PAGE - 8}) (i32.const 3) X)", (0, 8, 9, *_FAR)
    elif kind == "copy-dst":
        body, inputs = f"(memory.copy X (i32.const 16) (i32.const {n}))", _access_inputs(0, n)
    elif kind == "copy-src":
        body, inputs = f"(memory.copy (i32.const 64) X (i32.const {n}))", _access_inputs(0, n)
    elif kind == "init-dst":
        body, inputs = "(memory.init $passive X (i32.const 2) (i32.const 4))", _access_inputs(0, 4)
    else:  # the passive segment is 8 bytes long
        body, inputs = "(memory.init $passive (i32.const 32) X (i32.const 4))", (0, 4, 5, *_FAR)
    return Op(f"memory.{kind}", "i32", f"(block (result i32) {body} (i32.const 5))", inputs)


def _table(rng: random.Random, simd: bool) -> Op:
    kind = rng.choice(["get", "set", "call", "call"])
    if kind == "get":
        return Op("table.get", "i32", "(ref.is_null (table.get $data X))", (0, 3, 4, *_FAR))
    if kind == "set":
        ref = rng.choice(["(ref.null func)", "(ref.func $a)"])
        return Op("table.set", "i32", f"(block (result i32) (table.set $data X {ref}) (i32.const 4))", (0, 3, 4, *_FAR))
    # $calls holds: $a (-> i32), $b (-> i64, a signature mismatch), null, $c (-> i32)
    return Op("call_indirect", "i32", "(call_indirect $calls (type $to_i32) X)", (0, 3, 1, 2, 4, *_FAR))


def _division(rng: random.Random, simd: bool) -> Op:
    name = rng.choice(_DIVS)
    t = name[:3]
    x = "X" if t == "i32" else "(i64.extend_i32_s X)"
    smallest = "-2147483648" if t == "i32" else "-9223372036854775808"
    if rng.random() < 0.5:  # X divides
        wat = f"({name} ({t}.const {rng.choice(['100', '-7', smallest])}) {x})"
        inputs = (3, 0xFFFFFFFD, 0, 0xFFFFFFFF)
    else:  # X is divided
        wat = f"({name} {x} ({t}.const {rng.choice(['0', '-1', '7'])}))"
        inputs = (5, 0x80000000, 0xFFFFFFFF)
    return Op(name, t, wat, inputs)


def _truncation(rng: random.Random, simd: bool) -> Op:
    name = rng.choice(_TRUNCS)
    source = "(f32.reinterpret_i32 X)" if "_f32_" in name else "(f64.promote_f32 (f32.reinterpret_i32 X))"
    return Op(name, name[:3], f"({name} {source})", _FLOAT_INPUTS)


_OP_KINDS: list[tuple[Callable[[random.Random, bool], Op], int]] = [
    (_load, 5), (_store, 3), (_bulk, 2), (_table, 2), (_division, 3), (_truncation, 2)]


# -- what becomes of the result ------------------------------------------------------------------------------
def _use(t: str, v: str) -> str:
    """``v`` of type ``t`` as the function's i64 result (float results by their bits)."""
    return {"i32": f"(i64.extend_i32_u {v})", "i64": v, "f32": f"(i64.extend_i32_u (i32.reinterpret_f32 {v}))",
            "f64": f"(i64.reinterpret_f64 {v})"}[t]


_LOOP = ("(loop $l (local.set $i (i32.add (local.get $i) (i32.const 1)))"
         " (br_if $l (i32.lt_u (local.get $i) (i32.const 5))))")

SHAPES: dict[str, str] = {
    "unused": "(drop {op}) {k}",
    "unused-product": "(i64.mul {use_op} (i64.const 0))",
    "then-only": "(local.set $v {op}) (if (result i64) (local.get $c) (then {use_v}) (else {k}))",
    "else-only": "(local.set $v {op}) (if (result i64) (local.get $c) (then {k}) (else {use_v}))",
    "select": "(select {use_op} {k} (local.get $c))",
    "select-other": "(select {k} {use_op} (local.get $c))",
    "select-raw": "(local.set $v (select {const_t} {op} (local.get $c))) {use_v}",
    "br_if-past": "(block $b (result i64) (local.set $v {op}) (drop (br_if $b {k} (local.get $c))) {use_v})",
    "return-before-use": "(local.set $v {op}) (if (local.get $c) (then (return {k}))) {use_v}",
    "after-loop": "(local.set $v {op}) " + _LOOP
                  + " (if (result i64) (local.get $c) (then {k}) (else (i64.add {use_v} (i64.extend_i32_u (local.get $i)))))",
    "in-loop": "(loop $l (local.set $v {op}) (local.set $i (i32.add (local.get $i) (i32.const 1)))"
               " (br_if $l (i32.lt_u (local.get $i) (i32.const 3)))) (if (result i64) (local.get $c) (then {k}) (else {use_v}))",
    "overwritten": "(local.set $v {op}) (local.set $v {const_t}) {use_v}",
    # two traps in a row: with $c = 0 the division traps too, and only the first trap may be reported
    "before-other-trap": "(local.set $v {op}) (drop (i32.div_u (i32.const 1) (local.get $c))) {use_v}",
    "after-other-trap": "(drop (i32.div_u (i32.const 1) (local.get $c))) (local.set $v {op}) {k}",
    # the operation alone in a function of its own, which LLVM may inline and then find the result unused
    "in-callee": "(drop {call}) {k}",
    "in-callee-select": "(select {use_call} {k} (local.get $c))",
}


class Case(NamedTuple):
    op: Op
    shape: str
    wat: str  # the function


def uses_simd(seed: int) -> bool:
    """Odd seeds make modules without SIMD, which ours:singlepass (no SIMD yet) runs too."""
    return seed % 2 == 0


def generate(seed: int, n: int = FUNCS_PER_MODULE) -> tuple[str, list[Case]]:
    """A module of ``n`` generated functions ``f0``... ``(param $x i32) (param $c i32) (result i64)``."""
    rng = random.Random(seed)
    kinds, weights = zip(*_OP_KINDS, strict=True)
    simd = uses_simd(seed)
    cases = []
    for i in range(n):
        op = kinds[i](rng, simd) if i < len(kinds) else rng.choices(kinds, weights)[0](rng, simd)
        shape = rng.choice(sorted(SHAPES))
        expr = op.wat.replace("X", "(local.get $x)")
        call = f"(call $h{i} (local.get $x))"
        body = SHAPES[shape].format(op=expr, k=f"(i64.const {rng.randrange(1000)})", use_op=_use(op.type, expr),
                                    use_v=_use(op.type, "(local.get $v)"), const_t=_const(op.type, rng),
                                    call=call, use_call=_use(op.type, call))
        wat = (f'(func (export "f{i}") (param $x i32) (param $c i32) (result i64) (local $v {op.type}) (local $i i32)\n'
               f"  {body})")
        if "{call}" in SHAPES[shape] or "{use_call}" in SHAPES[shape]:
            wat += f"\n(func $h{i} (param $x i32) (result {op.type}) {expr})"
        cases.append(Case(op, shape, wat))
    return MODULE.format(funcs="\n".join(c.wat for c in cases)), cases


MODULE = """(module
  (type $to_i32 (func (result i32)))
  (type $to_i64 (func (result i64)))
  (memory (export "mem") 1 1)
  (table $calls 4 funcref)
  (table $data (export "data") 4 funcref)
  (elem (table $calls) (i32.const 0) func $a $b)
  (elem (table $calls) (i32.const 3) func $c)
  (elem (table $data) (i32.const 0) func $a $c $b $a)
  (data (i32.const 0) "\\01\\02\\03\\04\\05\\06\\07\\08\\09\\0a\\0b\\0c\\0d\\0e\\0f\\10\\81\\92\\a3\\b4")
  (data (i32.const 65520) "\\f1\\e2\\d3\\c4\\b5\\a6\\97\\88\\79\\6a\\5b\\4c\\3d\\2e\\1f\\ff")
  (data $passive "\\aa\\bb\\cc\\dd\\ee\\ff\\11\\22")
  (func $a (type $to_i32) (i32.const 11))
  (func $b (type $to_i64) (i64.const 12))
  (func $c (type $to_i32) (i32.const 13))
{funcs})"""


# -- running -------------------------------------------------------------------------------------------------
Outcome = tuple[str, object]  # ("ok", u64 result) | ("trap", class); last: ("state", memory digest, nulls)


def calls(cases: list[Case]) -> list[tuple[str, int, int]]:
    return [(f"f{i}", x, c) for i, case in enumerate(cases) for x in case.op.inputs for c in (0, 1)]


def run_ours(data: bytes, todo: list[tuple[str, int, int]], **options) -> list[Outcome]:
    inst = api.Store(**options).instantiate(api.Module.from_bytes(data))
    out: list[Outcome] = []
    for name, x, c in todo:
        try:
            out.append(("ok", inst.invoke(name, [x, c])[0] & (1 << 64) - 1))
        except errors.Trap as e:
            out.append(("trap", trap_class(e.kind) or e.kind))
    nulls = tuple(ref is None for ref in inst.exports["data"].elements)
    out.append(("state", hashlib.sha256(bytes(inst.exports["mem"].buf)).hexdigest(), nulls))
    return out


def run_wasmtime(data: bytes, todo: list[tuple[str, int, int]]) -> list[Outcome]:
    store = wasmtime.Store(wasmtime.Engine())
    exports = wasmtime.Instance(store, wasmtime.Module(store.engine, data), []).exports(store)
    out: list[Outcome] = []
    for name, x, c in todo:
        try:
            out.append(("ok", exports[name](store, struct.unpack("<i", struct.pack("<I", x))[0], c) & (1 << 64) - 1))
        except wasmtime.Trap as e:
            out.append(("trap", trap_class(e.message) or e.message))
    mem, table = exports["mem"], exports["data"]
    data = ctypes.string_at(ctypes.addressof(mem.data_ptr(store).contents), mem.data_len(store))
    refs = [table.get(store, i) for i in range(4)]  # a null comes back wrapped in a Val
    out.append(("state", hashlib.sha256(data).hexdigest(),
                tuple((r.value if isinstance(r, wasmtime.Val) else r) is None for r in refs)))
    return out


def configurations(opt_levels: tuple[int, ...], simd: bool = True) -> dict[str, dict]:
    configs: dict[str, dict] = {"ours:interp": {"tier": "interp"}}
    if SINGLEPASS and not simd:
        configs["ours:singlepass"] = {"tier": "singlepass"}
    for opt in opt_levels:
        for bounds in BOUNDS:
            configs[f"ours:llvm O{opt} {bounds}"] = {"tier": "llvm", "opt_level": opt, "bounds": bounds,
                                                      "cache_dir": False}
    return configs


def check_module(seed: int, opt_levels: tuple[int, ...]) -> None:
    text, cases = generate(seed)
    data = parse_module(text)
    todo = calls(cases)
    expected = run_wasmtime(data, todo)
    assert any(o[0] == "trap" for o in expected) and any(o[0] == "ok" for o in expected)
    for label, options in configurations(opt_levels, uses_simd(seed)).items():
        got = run_ours(data, todo, **options)
        assert got[-1] == expected[-1], f"{label}: memory or table $data differs from wasmtime's after the calls"
        wrong = [(call, want, have) for call, want, have in zip(todo, expected, got, strict=False) if want != have]
        if wrong:
            (name, x, c), want, have = wrong[0]
            case = cases[int(name[1:])]
            raise AssertionError(
                f"{label} differs from wasmtime in {len(wrong)} of {len(todo)} calls (seed {seed}); first: "
                f"{name}({x:#x}, {c}) [{case.op.name}, {case.shape}]: wasmtime {want}, {label} {have}\n{case.wat}")


@pytest.mark.parametrize("seed", DEFAULT_SEEDS)
def test_generated_traps_stay(seed):
    check_module(seed, (0, 2))


@pytest.mark.slow
@pytest.mark.parametrize("seed", SLOW_SEEDS)
def test_generated_traps_stay_many(seed):
    check_module(seed, (0, 1, 2, 3))


def test_generator_covers_every_operation_and_shape():
    """The default seeds reach every shape and every kind of operation, and each operation's inputs
    include some that trap and some that do not (checked against wasmtime in the tests above)."""
    seen_ops, seen_shapes = set(), set()
    for seed in DEFAULT_SEEDS:
        for case in generate(seed)[1]:
            seen_ops.add(case.op.name.split(".")[0] if case.op.name.startswith(("memory", "table")) else case.op.name)
            seen_shapes.add(case.shape)
    assert seen_shapes == set(SHAPES)
    assert {"memory", "table", "call_indirect"} <= seen_ops
    assert len(seen_ops & {name for name, _, _ in _LOADS}) >= 12
    assert len(seen_ops & set(_DIVS)) == len(_DIVS) and len(seen_ops & set(_TRUNCS)) == len(_TRUNCS)


ISSUE_26 = """(module
  (memory 1)
  (func (export "unused-in-if") (param i32 i32) (result i32)
    (local i32)
    (local.set 2 (i32.load (local.get 0)))
    (if (result i32) (local.get 1) (then (i32.const 7)) (else (local.get 2)))))"""


ISSUE_CONFIGS = configurations((0, 1, 2, 3), simd=False)


@pytest.mark.parametrize("label", sorted(ISSUE_CONFIGS))
def test_issue_example_traps(label):
    """The issue's example: the load's value is used only by the branch not taken."""
    options = ISSUE_CONFIGS[label]
    inst = api.Store(**options).instantiate(api.Module.from_bytes(parse_module(ISSUE_26)))
    with pytest.raises(errors.Trap) as e:
        inst.invoke("unused-in-if", [65534, 1])
    assert e.value.kind == "out of bounds memory access"
    assert inst.invoke("unused-in-if", [65532, 1]) == [7]
