"""Findings on disk (the .wast asserts what the majority did), the refuel surgery, triage signatures, and the
fuzz page of the conformance report."""

from __future__ import annotations

import json
import subprocess

from harness.fuzz.compare import Disagreement
from harness.fuzz.findings import wast_script, wast_value
from harness.fuzz.generate import generate, smith_tool
from harness.fuzz.plan import make_plan
from harness.fuzz.refuel import REFUEL, add_refuel
from harness.fuzz.triage import class_of_text, instruction_class, known_signatures, signature
from harness.report.fuzz import render_fuzz_page
from harness.results.store import ResultRow, ResultsStore

TOOL = smith_tool()


def parse(wat: str) -> bytes:
    return subprocess.run([str(TOOL), "parse", "-"], input=wat.encode(), capture_output=True, check=True).stdout


def wast_ok(text: str, tmp_path) -> None:
    """wasm-tools reads the script (every module valid, every assertion well-formed)."""
    f = tmp_path / "t.wast"
    f.write_text(text)
    p = subprocess.run([str(TOOL), "json-from-wast", str(f), "-o", str(tmp_path / "t.json"),
                        "--wasm-dir", str(tmp_path)], capture_output=True, text=True)
    assert p.returncode == 0, p.stderr


def test_the_wast_asserts_the_majority_up_to_the_disagreement(tmp_path):
    wasm = parse('(module (global (export "g") (mut i32) (i32.const 0)) (func (export "f") (param i32) (result i32)'
                 ' local.get 0 i32.const 1 i32.rotl) (func (export "t") (unreachable)))')
    plan = make_plan(wasm, "1:1").to_json()
    calls = [{"r": "ok", "v": [["i32", 2]], "s": {"g": {"g": ["i32", 0]}, "m": {}}}] * 3 + \
            [{"r": "trap", "k": "wasm trap: unreachable"}] * 3
    majority = {"inst": {"r": "ok", "s": {"g": {"g": ["i32", 0]}, "m": {}}}, "calls": calls}
    d = Disagreement("result", "call 2: f(...)", 2, ["ours:interp"], ["planted:rotl"], {"planted:rotl": "x"})
    text = wast_script(wasm, plan, majority, d, ["a finding"])
    assert text.startswith(";; a finding\n(module binary")
    assert text.count("(assert_return (invoke \"f\"") == 2  # up to and including the disagreeing call
    wast_ok(text, tmp_path)
    d = Disagreement("crash", "worker", -1, ["ours:interp"], ["planted:crash"], {})
    text = wast_script(wasm, plan, majority, d, [])
    assert text.count("assert_trap") == 3  # a crash: every call the majority made
    wast_ok(text, tmp_path)


def test_wabt_gives_its_opinion_of_the_majority():
    from harness.fuzz.wabt_opinion import wabt_opinion

    module = '(module (func (export "f") (result i32) i32.const 1 i32.const 33 i32.rotl))'
    assert wabt_opinion(module + '\n(assert_return (invoke "f") (i32.const 2))') == "agrees with the majority"
    said = wabt_opinion(module + '\n(assert_return (invoke "f") (i32.const 4))')
    assert said.startswith("disagrees: 2: ") and "expected i32:4, got i32:2" in said
    assert wabt_opinion("(module").startswith("no opinion: wast2json cannot read")


def test_wast_values_are_exact():
    assert wast_value("i32", 0xFFFFFFFF) == "(i32.const 0xffffffff)"
    assert wast_value("f32", 0x3F800000) == "(f32.const 0x1.0000000000000p+0)"
    assert wast_value("f64", 0xFFF0000000000000) == "(f64.const -inf)"
    assert wast_value("f32", 0x7FC00001, result=True) == "(f32.const nan:arithmetic)"
    assert wast_value("f32", 0xFFC00001) == "(f32.const -nan:0x400001)"
    assert wast_value("funcref", None) == "(ref.null func)"


def test_refuel_gives_every_call_fuel_and_keeps_the_module_valid():
    wasm = generate(TOOL, 1, 0, frozenset({"simd"}))
    refuelled = add_refuel(wasm, 100)
    assert refuelled != wasm and len(refuelled) > len(wasm)
    assert subprocess.run([str(TOOL), "validate", "-"], input=refuelled, capture_output=True).returncode == 0
    plan = make_plan(refuelled, "1:0")
    assert plan.refuel == REFUEL and REFUEL not in {c.export for c in plan.calls}
    no_fuel = parse('(module (func (export "f")))')
    assert add_refuel(no_fuel, 100) == no_fuel  # no fuel global: unchanged


def test_signatures_name_the_instructions_left_after_the_boilerplate():
    wat = """(module (global (mut i32) (i32.const 9)) (func (param i32) (result i32)
        global.get 0 i32.eqz if unreachable end global.get 0 i32.const 1 i32.sub global.set 0
        local.get 0 i32.const 3 i32.rotl))"""
    assert instruction_class(parse(wat), TOOL) == "i32.rotl"
    assert instruction_class(parse("(module (global i32 (i32.const 1)) (func global.get 0 i32.eqz drop))"),
                             TOOL) == "global.get i32.eqz"
    assert class_of_text("  i32.add\n  f32.sqrt\n  i64.clz\n  i32.popcnt\n  f64.abs\n") == \
        "f32.sqrt f64.abs i32.add i32.popcnt +1"
    assert signature("result", "a vs b", "i32.rotl") == "result | a vs b | i32.rotl"


def test_the_report_page_groups_findings_by_signature_across_runs(tmp_path):
    db = tmp_path / "r.db"
    sig = "result | planted:rotl vs ours:interp | i32.rotl"
    with ResultsStore(db) as store:
        for n, (run_modules, extra_sig) in enumerate([(100, None), (50, "crash | x vs y | empty")]):
            rid = store.start_run("fuzz", command=f"harness fuzz #{n}", engines={"ours:interp": None})
            rows = [ResultRow(suite="fuzz", file=sig, item=f"1:{n}", engine="planted", tier="rotl", metric="finding",
                              value=90 - n, outcome="fail", extra={"kind": "result", "minimised_size": 90 - n,
                                                                   "reproduce": f"harness fuzz replay x{n}"}),
                    ResultRow(suite="fuzz", file="totals", engine="harness", metric="modules", value=run_modules)]
            if extra_sig:
                rows.append(ResultRow(suite="fuzz", file=extra_sig, item="1:9", engine="x", metric="finding",
                                      outcome="crash", extra={"kind": "crash"}))
            store.add(rid, rows)
            store.finish_run(rid)
        assert known_signatures(store)[sig] == 2
    page = render_fuzz_page(db, tmp_path).read_text()
    assert sig in page and "harness fuzz replay x1" in page  # the smallest reproduction is shown
    row_of = page[page.index("crash | x vs y"):]
    assert page.index("crash | x vs y") > page.index(sig)  # most seen first
    assert '<span class="new">new</span>' in page[page.rindex("<tr>", 0, page.index("crash | x vs y")):][:200]
    assert row_of and json.dumps("harness fuzz #1")[1:-1] in page


def test_the_report_page_lists_the_reference_engines_known_bugs_with_their_findings(tmp_path, monkeypatch):
    from harness.fuzz import expectations

    (tmp_path / "exp").mkdir()
    (tmp_path / "exp" / "wabt.toml").write_text(
        '["fuzz-validation"."wabt: accepts what wasm-tools rejects (wasm-tools: *data segment*)"]\n'
        'reason = "wabt bug: data segment flags 4 accepted"\n')
    monkeypatch.setattr(expectations, "EXPECTATIONS_DIR", tmp_path / "exp")
    db = tmp_path / "r.db"
    sig = "wabt: accepts what wasm-tools rejects (wasm-tools: error: invalid flags byte in data segment (at offset N))"
    with ResultsStore(db) as store:
        rid = store.start_run("fuzz", command="harness fuzz validate", engines={"wabt": None})
        store.add(rid, [ResultRow(suite="fuzz-validation", file=sig, item=f"v1:{i}", engine="wabt", metric="finding",
                                  outcome="xfail", extra={}) for i in range(3)]
                  + [ResultRow(suite="fuzz-validation", file="wabt: crash (x)", item="v1:9", engine="wabt",
                               metric="finding", outcome="crash", extra={})])
        store.finish_run(rid)
    page = render_fuzz_page(db, tmp_path).read_text()
    known = page[page.index('id="known"'):page.index('id="runs"')]
    assert "wabt bug: data segment flags 4 accepted" in known and "<td>3</td>" in known


def test_a_memory_is_hashed_again_only_when_a_call_changed_it(monkeypatch):
    """The worker keeps each memory's contents and hash between the calls of a module: an unchanged memory
    reuses its hash (hashing 1 MiB after every call on every engine was ~14% of a run's CPU), a changed one
    gets a new one, also when a call changes it back, and the next module starts over."""
    import hashlib
    from types import SimpleNamespace

    from harness.fuzz import worker

    hashed, sha256 = [], hashlib.sha256
    monkeypatch.setattr(worker, "hashlib", SimpleNamespace(sha256=lambda data: hashed.append(len(data)) or sha256(data)))
    wasm = parse('(module (memory (export "m") 1) (func (export "set") (param i32) (i32.store8 (i32.const 7)'
                 ' (local.get 0))) (func (export "nop") (param i32)))')
    plan = {"calls": [["nop", [["i32", 0]]], ["set", [["i32", 1]]], ["nop", [["i32", 0]]], ["set", [["i32", 0]]]],
            "globals": [], "memories": ["m"], "refuel": None}
    zeros = sha256(bytes(65536)).hexdigest()[:16]
    changed = bytearray(65536)
    changed[7] = 1
    one = sha256(changed).hexdigest()[:16]
    for tier in ("interp", "llvm"):
        session = worker.Session("ours", tier, None)
        for _ in range(2):  # the second module is a new one: nothing carried over
            hashed.clear()
            answer = session.run(wasm, plan)
            hashes = [answer["inst"]["s"]["m"]["m"][1]] + [c["s"]["m"]["m"][1] for c in answer["calls"]]
            assert hashes == [zeros, zeros, one, one, zeros], tier
            assert len(hashed) == 3, tier  # instantiation and the two calls that changed it
