"""The comparison rules of ``harness fuzz`` (docs/FUZZING.md), each with the disagreement it must report or
the difference it must forgive."""

from __future__ import annotations

from harness.fuzz.compare import GROW_FREE, compare, nan_free

ENGINES = ["ours:interp", "ours:llvm", "wasmtime:cranelift"]


def answer(*calls: dict, inst: dict | None = None) -> dict:
    return {"inst": inst or {"r": "ok", "s": {"g": {}, "m": {}}}, "calls": list(calls)}


def ok(*values: tuple[str, int], g: dict | None = None, m: dict | None = None) -> dict:
    return {"r": "ok", "v": [list(v) for v in values], "s": {"g": g or {}, "m": m or {}}}


def trap(text: str) -> dict:
    return {"r": "trap", "k": text, "s": {"g": {}, "m": {}}}


def same(a: dict) -> dict[str, dict]:
    return {e: a for e in ENGINES}


def test_agreeing_engines_agree():
    v = compare(same(answer(ok(("i32", 5)), trap("integer divide by zero"))), ENGINES)
    assert v.status == "agree" and not v.disagreements and v.steps == 3


def test_one_wrong_result_is_the_minority():
    answers = same(answer(ok(("i32", 5))))
    answers["ours:llvm"] = answer(ok(("i32", 6)))
    v = compare(answers, ENGINES, ["f(0x1)"])
    (d,) = v.disagreements
    assert (d.kind, d.minority, d.where) == ("result", ["ours:llvm"], "call 1: f(0x1)")
    assert sorted(d.majority) == ["ours:interp", "wasmtime:cranelift"]
    assert "i32 0x6" in d.said["ours:llvm"]


def test_nans_compare_by_class_not_bits():
    answers = same(answer(ok(("f32", 0x7FC00000))))
    answers["ours:llvm"] = answer(ok(("f32", 0xFFC00001)))
    assert compare(answers, ENGINES).status == "agree"
    answers["ours:llvm"] = answer(ok(("f32", 0x7F800000)))  # infinity is not a NaN
    assert compare(answers, ENGINES).disagreements[0].kind == "result"
    assert nan_free("f64", 0x7FF8000000000001) == "nan" and nan_free("i32", 0x7FC00000) == 0x7FC00000


def test_trap_against_return_and_trap_kinds():
    answers = same(answer(trap("integer divide by zero")))
    answers["wasmtime:cranelift"] = answer(ok(("i32", 0)))
    d = compare(answers, ENGINES).disagreements[0]
    assert d.kind == "trap" and d.minority == ["wasmtime:cranelift"]
    # two traps of kinds that cannot be the same one
    answers["wasmtime:cranelift"] = answer(trap("wasm trap: out of bounds memory access [MEMORY_OUT_OF_BOUNDS]"))
    d = compare(answers, ENGINES).disagreements[0]
    assert d.kind == "trap-kind" and d.minority == ["wasmtime:cranelift"]
    # an unnamed kind is compatible with any
    answers["wasmtime:cranelift"] = answer(trap("RuntimeError"))
    assert compare(answers, ENGINES).status == "agree"


def test_stack_exhaustion_is_not_a_mismatch_and_leaves_the_comparison():
    answers = same(answer(trap("unreachable"), ok(("i32", 1))))
    answers["ours:interp"] = answer({"r": "exhaustion", "k": "call stack exhausted"}, ok(("i32", 2)))
    v = compare(answers, ENGINES)
    assert v.status == "agree" and any("ours:interp" in n for n in v.notes)


def test_fuel_ends_the_comparison_but_not_what_came_before():
    answers = same(answer(ok(("i32", 1)), ok(("i32", 2))))
    answers["wasmtime:cranelift"] = answer(ok(("i32", 1)), {"r": "fuel"})
    assert compare(answers, ENGINES).status == "too-long"
    answers["ours:llvm"] = answer(ok(("i32", 9)), ok(("i32", 2)))
    assert compare(answers, ENGINES).disagreements[0].step == 1


def test_globals_and_memories_after_each_call():
    answers = same(answer(ok(g={"g": ["i64", 7]}, m={"mem": [65536, "aa"]})))
    answers["ours:llvm"] = answer(ok(g={"g": ["i64", 8]}, m={"mem": [65536, "aa"]}))
    d = compare(answers, ENGINES).disagreements[0]
    assert d.kind == "global" and d.minority == ["ours:llvm"]
    answers["ours:llvm"] = answer(ok(g={"g": ["i64", 7]}, m={"mem": [65536, "bb"]}))
    assert compare(answers, ENGINES).disagreements[0].kind == "memory"
    # an engine whose API cannot read memories is not held to them
    answers["ours:llvm"] = answer(ok(g={"g": ["i64", 7]}))
    assert compare(answers, ENGINES).status == "agree"


def test_a_memory_grow_that_fails_past_the_free_size_is_resource_dependent():
    big, small = GROW_FREE + 65536, GROW_FREE - 65536
    answers = same(answer(ok(("i32", 1), m={"mem": [big, "big"]})))
    answers["ours:llvm"] = answer(ok(("i32", 0xFFFFFFFF), m={"mem": [small, "cc"]}))
    assert compare(answers, ENGINES).status == "resource"
    # below the free size a failed grow is a bug
    answers = same(answer(ok(("i32", 1), m={"mem": [131072, "aa"]})))
    answers["ours:llvm"] = answer(ok(("i32", 0xFFFFFFFF), m={"mem": [65536, "cc"]}))
    assert compare(answers, ENGINES).status == "disagree"


def test_worker_failures_are_findings_and_the_rest_still_compared():
    answers = same(answer(ok(("i32", 1))))
    answers["ours:llvm"] = {"fail": "crash", "k": "killed by SIGSEGV"}
    answers["ours:interp"] = answer(ok(("i32", 2)))
    v = compare(answers, ENGINES)
    kinds = [(d.kind, d.minority) for d in v.disagreements]
    assert ("crash", ["ours:llvm"]) in kinds
    # two engines left, one each side: the tie goes to the trusted reference (wasmtime)
    assert ("result", ["ours:interp"]) in kinds


def test_compile_disagreement_and_internal_errors():
    answers = same(answer(ok(("i32", 1))))
    answers["ours:interp"] = {"compile": "type mismatch", "calls": []}
    d = compare(answers, ENGINES).disagreements[0]
    assert (d.kind, d.minority) == ("validation", ["ours:interp"])
    answers["ours:interp"] = answer({"r": "error", "k": "IndexError: list index out of range"})
    assert compare(answers, ENGINES).disagreements[0].kind == "error"
    rejected = {e: {"compile": "bad", "calls": []} for e in ENGINES}
    assert compare(rejected, ENGINES).status == "rejected"


def test_a_hang_where_another_engine_grew_gigabytes_is_resource_dependent():
    """wasmtime touched all of a memory64 that ours:interp grew to 8 GB (module 2026:875 of the long run)."""
    answers = same(answer(ok(m={"mem": [8 << 30, "big"]})))
    answers["wasmtime:cranelift"] = {"fail": "hang", "k": "no answer within 60s"}
    assert compare(answers, ENGINES).status == "resource"
    answers = same(answer(ok(m={"mem": [65536, "aa"]})))
    answers["wasmtime:cranelift"] = {"fail": "hang", "k": "no answer within 60s"}
    assert compare(answers, ENGINES).disagreements[0].kind == "hang"


def test_an_allocation_refused_for_lack_of_memory_is_resource_dependent():
    """Found by seed 100 (module 6): a global initialiser's gc array of 2.5 GB, which wasmtime refused at
    instantiation ("GC heap out of memory") and ours refused past its own limit with a trap."""
    answers = same(answer(inst=trap("out of bounds array access")))
    answers["wasmtime:cranelift"] = answer(inst={"r": "error", "k": "LinkFailure: GC heap out of memory: no "
                                                 "capacity for allocation of 2563196072 bytes"})
    v = compare(answers, ENGINES)
    assert v.status == "resource" and not v.disagreements
    assert "wasmtime:cranelift refused an allocation" in v.notes[0]
    # the same instantiation error in other words is still a disagreement
    answers["wasmtime:cranelift"] = answer(inst={"r": "error", "k": "LinkFailure: unknown import"})
    assert compare(answers, ENGINES).disagreements[0].kind == "error"
