"""Locals cached in registers, constants known per local, results stored into the caller's slots, and the
8-byte slot stores of the singlepass tier's x86-64 code generator (docs/SINGLEPASS_TIER.md, "Locals").

Random statement sequences set, tee and read a handful of locals of every scalar type across blocks, loops
(whose headers must forget the cache), ifs, branches, calls (which clobber every register) and memory
accesses that use locals as addresses, with enough locals live at once to run the register pool dry; each
function is run on the interpreter and on the singlepass tier and the results must agree.  Targeted cases
check the code itself: an i32 argument is stored 8 bytes wide (so the callee's 8-byte read is forwarded
from the store buffer), and a call of the module's own function does not reload the memory registers."""

from __future__ import annotations

import random

import pytest

from harness.engine import api
from harness.engine.errors import Trap
from harness.engine.tiers.singlepass import unavailable_reason

pytestmark = pytest.mark.skipif(bool(unavailable_reason()), reason=unavailable_reason() or "available")

LOCALS = {"$a": "i32", "$b": "i32", "$c": "i64", "$d": "f64", "$e": "i32", "$g": "i64", "$h": "f32"}
PARAMS = {"$p": "i32", "$q": "i64", "$r": "f64"}
ALL = {**PARAMS, **LOCALS}


def names(t: str) -> list[str]:
    return [n for n, ty in ALL.items() if ty == t]


def expr(rng: random.Random, t: str, depth: int) -> str:
    """An expression of type ``t`` that reads (and sometimes tees) locals."""
    if depth <= 0 or rng.random() < 0.25:
        if rng.random() < 0.7:
            return f"(local.get {rng.choice(names(t))})"
        value = rng.choice([0, 1, 3, -1, 0x7FFF, rng.getrandbits(16)])
        return f"({t}.const {value})"
    r = rng.random()
    if r < 0.15:
        return f"(local.tee {rng.choice(names(t))} {expr(rng, t, depth - 1)})"
    if r < 0.22:
        return f"(call $id_{t} {expr(rng, t, depth - 1)})"
    if r < 0.28 and t in ("i32", "i64"):
        addr = f"(i32.and {expr(rng, 'i32', depth - 1)} (i32.const 0xff8))"
        return f"({t}.load offset=8 {addr})"
    if r < 0.34:
        return f"(select {expr(rng, t, depth - 1)} {expr(rng, t, depth - 1)} {cond(rng, depth - 1)})"
    if r < 0.40:
        return f"(if (result {t}) {cond(rng, depth - 1)} (then {expr(rng, t, depth - 1)}) " \
               f"(else {expr(rng, t, depth - 1)}))"
    ops = ["add", "sub", "mul"] + (["and", "or", "xor", "shl", "rotl"] if t in ("i32", "i64") else ["min"])
    return f"({t}.{rng.choice(ops)} {expr(rng, t, depth - 1)} {expr(rng, t, depth - 1)})"


def cond(rng: random.Random, depth: int) -> str:
    t = rng.choice(["i32", "i64"])
    if rng.random() < 0.3:
        return f"({t}.eqz {expr(rng, t, depth)})"
    return f"({t}.{rng.choice(['lt_u', 'gt_s', 'ne', 'eq'])} {expr(rng, t, depth)} {expr(rng, t, depth)})"


def stmts(rng: random.Random, depth: int, n: int) -> str:
    out = []
    for _ in range(n):
        r = rng.random()
        if depth > 0 and r < 0.12:
            out.append(f"(block {stmts(rng, depth - 1, 3)} (br_if 0 {cond(rng, 2)}) {stmts(rng, depth - 1, 3)})")
        elif depth > 0 and r < 0.22:
            out.append(f"(if {cond(rng, 2)} (then {stmts(rng, depth - 1, 3)}) (else {stmts(rng, depth - 1, 2)}))")
        elif depth > 0 and r < 0.30:  # a bounded loop on its own counter; the body changes other locals
            n = f"$n{depth}"  # one counter per nesting depth: an inner loop leaves the outer one's alone
            out.append(f"(local.set {n} (i32.const {rng.randint(1, 4)})) (loop {stmts(rng, depth - 1, 3)} "
                       f"(br_if 0 (local.tee {n} (i32.sub (local.get {n}) (i32.const 1)))))")
        elif r < 0.36:
            out.append("(call $clobber)")
        elif r < 0.44:
            addr = f"(i32.and {expr(rng, 'i32', 2)} (i32.const 0xff8))"
            t = rng.choice(["i32", "i64"])
            out.append(f"({t}.store offset=8 {addr} {expr(rng, t, 2)})")
        elif r < 0.50:
            t = rng.choice(["i32", "i64", "f64"])
            out.append(f"(drop (local.tee {rng.choice(names(t))} {expr(rng, t, 3)}))")
        else:
            name = rng.choice(list(ALL))
            out.append(f"(local.set {name} {expr(rng, ALL[name], 3)})")
    return " ".join(out)


def digest() -> str:
    """Every local folded into one i64 (floats through trunc_sat: NaN bits may differ between tiers)."""
    parts = []
    for name, t in ALL.items():
        if t == "i32":
            parts.append(f"(i64.extend_i32_u (local.get {name}))")
        elif t == "i64":
            parts.append(f"(local.get {name})")
        else:
            parts.append(f"(i64.trunc_sat_{t}_s (local.get {name}))")
    acc = parts[0]
    for p in parts[1:]:
        acc = f"(i64.add (i64.rotl {acc} (i64.const 7)) {p})"
    return acc


def module(rng: random.Random) -> str:
    params = " ".join(f"(param {n} {t})" for n, t in PARAMS.items())
    locals_ = " ".join(f"(local {n} {t})" for n, t in LOCALS.items()) + " (local $n1 i32) (local $n2 i32) (local $n3 i32)"
    funcs = [f'(func (export "f{i}") {params} (result i64) {locals_} {stmts(rng, 3, 10)} {digest()})'
             for i in range(4)]
    ids = " ".join(f"(func $id_{t} (param {t}) (result {t}) (local.get 0))" for t in ("i32", "i64", "f32", "f64"))
    # a callee that uses every register and writes memory the caller reads back
    clobber = ("(func $clobber (local i32 i64) (local.set 0 (i32.load offset=8 (i32.const 16))) "
               "(i64.store offset=8 (i32.const 24) (i64.add (i64.load offset=8 (i32.const 24)) "
               + "".join("(i64.mul (i64.extend_i32_u (local.get 0)) " for _ in range(10)) + "(i64.const 3)"
               + ")" * 10 + ")))")
    return f"(module (memory 1) {ids} {clobber} {' '.join(funcs)})"


def outcome(inst: api.Instance, name: str, args: list):
    try:
        return inst.invoke(name, args)
    except Trap as e:
        return e.kind


@pytest.mark.parametrize("seed", range(24))
def test_random_local_traffic_matches_the_interpreter(seed: int) -> None:
    rng = random.Random(seed)
    m = api.Module.from_text(module(rng))
    interp, single = (api.Store(tier=t, **({"cache_dir": False} if t == "singlepass" else {}))
                      for t in ("interp", "singlepass"))
    a, b = interp.instantiate(m), single.instantiate(m)
    for name in [n for n in a.exports if n.startswith("f")]:
        for args in ([0, 0, 0], [5, 1 << 40, 2.5], [0xFFFFFFFF, (1 << 64) - 1, -1e300], [rng.getrandbits(32),
                                                                                          rng.getrandbits(64), 7.0]):
            args = [args[0], args[1], _f64(args[2])]
            assert outcome(b, name, args) == outcome(a, name, args), (seed, name, args)


def _f64(x: float) -> int:
    import struct

    return struct.unpack("<Q", struct.pack("<d", x))[0]


def test_a_loop_header_forgets_the_cache() -> None:
    """The loop's second iteration must read the local the first iteration set, not a register that held
    its value before the loop."""
    src = """(module (func (export "f") (param i32) (result i32) (local $i i32) (local $s i32)
      (local.set $s (i32.const 100)) (local.set $i (local.get 0))
      (loop (local.set $s (i32.add (local.get $s) (local.get $i)))
            (br_if 0 (local.tee $i (i32.sub (local.get $i) (i32.const 1)))))
      (local.get $s)))"""
    m = api.Module.from_text(src)
    single = api.Store(tier="singlepass", cache_dir=False).instantiate(m)
    assert single.invoke("f", [4]) == [110]


def test_an_if_without_else_forgets_what_the_then_branch_set() -> None:
    src = """(module (func (export "f") (param i32) (result i32) (local $x i32)
      (local.set $x (i32.const 7))
      (if (local.get 0) (then (local.set $x (i32.const 9))))
      (i32.add (local.get $x) (i32.const 0))))"""
    single = api.Store(tier="singlepass", cache_dir=False).instantiate(api.Module.from_text(src))
    assert single.invoke("f", [0]) == [7]
    assert single.invoke("f", [1]) == [9]


def test_a_call_leaves_the_callers_cached_locals_intact() -> None:
    """The callee clobbers every register; the caller's locals are re-read from their slots."""
    src = """(module (func $burn (param i64) (result i64) (local i64 i64 i64)
        (local.set 1 (i64.mul (local.get 0) (i64.const 3))) (local.set 2 (i64.add (local.get 1) (i64.const 5)))
        (local.set 3 (i64.xor (local.get 2) (local.get 1))) (i64.add (local.get 3) (local.get 2)))
      (func (export "f") (param i64) (result i64) (local $x i64) (local $y i64)
        (local.set $x (i64.add (local.get 0) (i64.const 1)))
        (local.set $y (i64.mul (local.get $x) (i64.const 2)))
        (i64.add (i64.add (local.get $x) (local.get $y)) (call $burn (local.get $y)))))"""
    m = api.Module.from_text(src)
    want = api.Store(tier="interp").instantiate(m).invoke("f", [10])
    assert api.Store(tier="singlepass", cache_dir=False).instantiate(m).invoke("f", [10]) == want


def _disassembly(src: str, func: int) -> list[str]:
    capstone = pytest.importorskip("capstone")
    from harness.engine.tiers.singlepass.x86_64 import codegen

    m = api.Module.from_text(src)
    code, offsets = codegen.compile_module(m.ast)
    end = min([o for o in offsets if o > offsets[func]] + [len(code)])
    md = capstone.Cs(capstone.CS_ARCH_X86, capstone.CS_MODE_64)
    return [f"{i.mnemonic} {i.op_str}" for i in md.disasm(code[offsets[func]:end], 0)]


FIB = """(module (memory 1) (func $fib (param i32) (result i32)
  (if (result i32) (i32.lt_u (local.get 0) (i32.const 2)) (then (local.get 0))
    (else (i32.add (call $fib (i32.sub (local.get 0) (i32.const 1)))
                   (call $fib (i32.sub (local.get 0) (i32.const 2))))))))"""


def test_slots_and_locals_are_written_eight_bytes_wide() -> None:
    """A 4-byte store read back by an 8-byte load (argument copies, spills, results) is not forwarded from
    the store buffer: every store into the frame is a qword."""
    lines = _disassembly(FIB, 0)
    frame_stores = [line for line in lines if line.startswith("mov") and ("[rsp" in line.split(",")[0])]
    assert frame_stores, lines
    assert all(line.split()[1] == "qword" for line in frame_stores), frame_stores


def test_a_call_of_the_modules_own_function_keeps_the_memory_registers() -> None:
    lines = _disassembly(FIB, 0)
    pins = [line for line in lines if line.startswith("mov r13,")]
    assert len(pins) == 1, pins  # at entry only, not after each of the two calls
    assert sum(line.startswith("call ") for line in lines) == 2


def test_a_call_through_an_import_reloads_the_memory_registers() -> None:
    src = """(module (import "m" "g" (func $g (param i32) (result i32))) (memory 1)
      (func (param i32) (result i32) (i32.add (call $g (local.get 0)) (i32.load (local.get 0)))))"""
    lines = _disassembly(src, 0)
    assert len([line for line in lines if line.startswith("mov r13,")]) == 2, lines


def test_a_loop_header_keeps_read_only_locals_and_back_edges_reload_them() -> None:
    """$k and $m are read-only in the loop, so the header keeps them in registers; the call in the body
    clobbers every register, so the back edge must reload them (and a br_if out of an inner block must not
    disturb the registers the fall-through path still uses)."""
    src = """(module
      (func $clobber (param i64) (result i64) (local i64 i64 i64 i64)
        (local.set 1 (i64.mul (local.get 0) (i64.const 3))) (local.set 2 (i64.add (local.get 1) (i64.const 5)))
        (local.set 3 (i64.xor (local.get 2) (local.get 1))) (local.set 4 (i64.sub (local.get 3) (local.get 2)))
        (i64.add (local.get 4) (local.get 1)))
      (func (export "f") (param $n i32) (param $k i64) (result i64) (local $m i64) (local $s i64)
        (local.set $m (i64.mul (local.get $k) (i64.const 7)))
        (loop $top
          (local.set $s (i64.add (local.get $s) (i64.add (local.get $k) (local.get $m))))
          (if (i32.and (local.get $n) (i32.const 1))
            (then (local.set $s (i64.add (local.get $s) (call $clobber (local.get $s))))))
          (block $skip (br_if $skip (i64.eqz (local.get $k)))
            (local.set $s (i64.xor (local.get $s) (local.get $m))))
          (br_if $top (local.tee $n (i32.sub (local.get $n) (i32.const 1)))))
        (i64.add (local.get $s) (i64.add (local.get $k) (local.get $m)))))"""
    m = api.Module.from_text(src)
    a = api.Store(tier="interp").instantiate(m)
    b = api.Store(tier="singlepass", cache_dir=False).instantiate(m)
    for n, k in [(1, 0), (2, 3), (9, 5), (16, (1 << 64) - 2)]:
        assert b.invoke("f", [n, k]) == a.invoke("f", [n, k]), (n, k)


def _run_moves(lines: list[str], regs: dict[str, str]) -> dict[str, str]:
    """Interpret the register moves and slot loads of a fix-up sequence on symbolic register contents."""
    canon = {"eax": "rax", "ecx": "rcx", "edx": "rdx", "ebx": "rbx", "esi": "rsi", "edi": "rdi",
             "r8d": "r8", "r9d": "r9", "r12d": "r12"}
    regs = dict(regs)
    for line in lines:
        mnemonic, _, ops = line.partition(" ")
        dst, src = (o.strip() for o in ops.split(",", 1))
        assert mnemonic == "mov", line
        dst = canon.get(dst, dst)
        if "[rsp" in src:
            disp = src.split("[rsp")[1].strip(" +]")
            regs[dst] = f"local{int(disp, 16) // 16 if disp else 0}"
        else:
            regs[dst] = regs[canon.get(src, src)]
    return regs


@pytest.mark.parametrize("cycle", [
    [(0, "rcx"), (1, "rdx"), (2, "rax")],  # a 3-cycle: rax -> rcx -> rdx -> rax
    [(0, "rcx"), (1, "rax")],              # a swap
    [(0, "rcx"), (1, "rdx")],              # a chain: rdx must be filled from rcx before rcx is overwritten
])
def test_back_edge_fixups_order_their_moves(cycle: list) -> None:
    """Locals 0, 1, 2 are cached in rax, rcx, rdx; the loop header wants them where ``cycle`` says.  The
    moves must not overwrite a register another move still reads (a cycle is broken by a slot load)."""
    capstone = pytest.importorskip("capstone")
    from harness.engine.tiers.singlepass.x86_64 import codegen, encoder

    m = api.Module.from_text("(module (func (local i32 i32 i32)))")
    layout = codegen.ModuleLayout(m.ast)
    asm = encoder.Assembler()
    fc = codegen.FunctionCompiler(layout, asm, 0)
    regnum = {"rax": encoder.RAX, "rcx": encoder.RCX, "rdx": encoder.RDX}
    fc.cached = {0: encoder.RAX, 1: encoder.RCX, 2: encoder.RDX}
    fc.emit_fixups([(i, regnum[r]) for i, r in cycle])
    md = capstone.Cs(capstone.CS_ARCH_X86, capstone.CS_MODE_64)
    lines = [f"{i.mnemonic} {i.op_str}" for i in md.disasm(bytes(asm.buf), 0)]
    after = _run_moves(lines, {"rax": "local0", "rcx": "local1", "rdx": "local2"})
    for i, r in cycle:
        assert after[r] == f"local{i}", (lines, after)


BOUNDS = """(module (memory 1)
  (func (export "twice") (param $p i32) (result i32)
    (i32.add (i32.load offset=4 (local.get $p)) (i32.load (local.get $p))))
  (func (export "after_set") (param $p i32) (result i32)
    (drop (i32.load (local.get $p)))
    (local.set $p (i32.add (local.get $p) (i32.const 8)))
    (i32.load (local.get $p)))
  (func (export "after_if") (param $p i32) (param $c i32) (result i32)
    (if (local.get $c) (then (drop (i32.load offset=100 (local.get $p)))))
    (i32.load offset=50 (local.get $p)))
  (func (export "after_block") (param $p i32) (param $c i32) (result i32)
    (block (br_if 0 (local.get $c)) (drop (i32.load offset=100 (local.get $p))))
    (i32.load offset=50 (local.get $p)))
  (func (export "further") (param $p i32) (result i32)
    (i32.add (i32.load (local.get $p)) (i32.load offset=100 (local.get $p))))
  (func (export "in_loop") (param $p i32) (param $n i32) (result i32) (local $s i32)
    (drop (i32.load offset=16 (local.get $p)))
    (loop $l
      (local.set $s (i32.add (local.get $s) (i32.load offset=8 (local.get $p))))
      (local.set $p (i32.add (local.get $p) (i32.const 4)))
      (br_if $l (local.tee $n (i32.sub (local.get $n) (i32.const 1)))))
    (local.get $s)))"""


def test_bounds_checks_are_elided_only_where_an_earlier_check_covers_them() -> None:
    """A second access through the same local, reaching no further, needs no check; a changed local, another
    path (the then-branch not taken) or a loop that moves the pointer must still be checked, and trap."""
    m = api.Module.from_text(BOUNDS)
    a = api.Store(tier="interp").instantiate(m)
    b = api.Store(tier="singlepass", cache_dir=False).instantiate(m)
    end = 65536
    cases = [("twice", [0]), ("twice", [end - 8]), ("twice", [end - 6]), ("twice", [end - 4]),
             ("after_set", [end - 12]), ("after_set", [end - 8]), ("after_set", [end - 4]),
             ("after_if", [end - 60, 0]), ("after_if", [end - 60, 1]), ("after_if", [end - 200, 1]),
             ("after_if", [end - 52, 0]), ("after_if", [end - 52, 1]), ("after_block", [end - 52, 1]),
             ("after_block", [end - 52, 0]), ("after_block", [end - 200, 0]), ("further", [end - 50]),
             ("further", [end - 200]),
             ("in_loop", [end - 40, 5]), ("in_loop", [end - 40, 8]), ("in_loop", [end - 40, 9])]
    for name, args in cases:
        assert outcome(b, name, args) == outcome(a, name, args), (name, args)
    compares = [line for line in _disassembly(BOUNDS, 0) if line.startswith("cmp r11")]
    assert len(compares) == 1, compares  # offset=4 (end 8) covers the plain load (end 4)
