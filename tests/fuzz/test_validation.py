"""Validation fuzzing judged by planted faults: fake engines (``validation_fakes.py``, run as real server
processes) that accept a truncated section, crash, hang, raise, or print garbage must each be reported, the
run must survive them, and a real short run of ours against wasmtime must agree."""

from __future__ import annotations

import json
import os
import signal
import time
from pathlib import Path

import pytest

from harness.errors import HarnessError
from harness.fuzz import mutate
from harness.fuzz.validation import judge, minimise, run_validation_fuzz
from harness.fuzz.validation_engines import (
    ACCEPT,
    REJECT,
    EngineSpec,
    ServerValidator,
    Verdict,
    make_validator,
    reference_validator,
    resolve_engines,
)
from harness.spec.convert import wasm_tools

try:
    wasm_tools()
except HarnessError as e:
    pytest.skip(str(e), allow_module_level=True)

FAKES = Path(__file__).with_name("validation_fakes.py")


def fake(name: str, function: str) -> str:
    return f"{name}={FAKES}:{function}"


def small_run(engines, tmp_path, **kw):
    options = {"count": 60, "seconds": None, "seed": 3, "jobs": 1, "findings_dir": tmp_path / "findings",
               "smith_modules": 6, "corpus": True, "timeout": 5.0}
    options.update(kw)
    return run_validation_fuzz(engines, options.pop("count"), options.pop("seconds"), options.pop("seed"),
                               options.pop("jobs"), **options)


def test_an_engine_that_accepts_truncated_sections_is_found_and_minimised(tmp_path):
    report = small_run(["ours", fake("lenient", "accepts_truncated")], tmp_path, count=120,
                       minimise_per_signature=1, minimise_seconds=15)
    assert report.mutants == 120
    planted = [f for f in report.findings if f.engine == "lenient"]
    assert planted, report.summary()
    assert all(f.engine == "lenient" for f in report.findings), report.summary()  # ours agrees throughout
    f = planted[0]
    assert f.category == "disagree" and f.reference["kind"] == REJECT and f.verdicts["lenient"]["kind"] == ACCEPT
    assert "lenient: accepts what wasm-tools rejects" in f.signature
    assert f.reproduced and f.minimised_size is not None and f.minimised_size < f.size
    folder = Path(f.path)
    saved = json.loads((folder / "finding.json").read_text())
    assert saved["mutations"] == f.mutations and saved["base"] == f.base
    mutant = (folder / "mutant.wasm").read_bytes()
    assert len(mutant) == f.size
    small = (folder / "minimised.wasm").read_bytes()
    # the minimised binary keeps the disagreement: the reference rejects it, the fake accepts it
    ref = reference_validator("wasm2,exceptions,extended-const,function-references,gc,memory64,multi-memory,"
                              "relaxed-simd,tail-call", 30)
    lenient = make_validator(resolve_engines([fake("lenient", "accepts_truncated")])[0], 30)
    try:
        assert ref.check(small).kind == REJECT and lenient.check(small).kind == ACCEPT
    finally:
        ref.close()
        lenient.close()
    assert "lenient: accepts what wasm-tools rejects" in report.summary()


def test_crashing_and_hanging_engines_are_findings_and_the_run_goes_on(tmp_path):
    report = small_run([fake("crashy", "crashes"), fake("stuck", "hangs")], tmp_path, count=16, timeout=1.5,
                       corpus=False, minimise_per_signature=1, minimise_seconds=4)
    assert report.mutants == 16  # every mutant was checked despite the deaths and hangs
    crashes = [f for f in report.findings if f.engine == "crashy"]
    hangs = [f for f in report.findings if f.engine == "stuck"]
    assert crashes and all(f.category == "crash" and "SIGSEGV" in f.verdicts["crashy"]["message"] for f in crashes)
    assert all(f.size % 5 == 0 for f in crashes)
    assert hangs and all(f.category == "timeout" and f.size % 7 == 0 for f in hangs)
    assert all(f.reproduced for f in crashes + hangs)
    assert crashes[0].minimised_size is not None and crashes[0].minimised_size <= crashes[0].size
    assert all(f.minimised_size is None for f in hangs)  # a hang is not minimised (each try costs the timeout)
    # and the servers came back: mutants after a crash were answered
    assert report.verdicts["crashy"].get(ACCEPT, 0) + report.verdicts["crashy"].get(REJECT, 0) > 0
    assert report.verdicts["stuck"].get(ACCEPT, 0) + report.verdicts["stuck"].get(REJECT, 0) > 0


def test_an_engine_that_raises_or_prints_garbage_is_reported(tmp_path):
    report = small_run([fake("raiser", "raises"), fake("noisy", "garbage")], tmp_path, count=24, corpus=False,
                       minimise_per_signature=0)
    raised = [f for f in report.findings if f.engine == "raiser"]
    noisy = [f for f in report.findings if f.engine == "noisy"]
    assert raised and all("raised IndexError: planted" in f.verdicts["raiser"]["message"] for f in raised)
    assert noisy and all(f.category == "error" and "unreadable answer" in f.verdicts["noisy"]["message"]
                         for f in noisy)


def test_runs_are_reproducible_per_seed(tmp_path):
    a = small_run(["ours", fake("lenient", "accepts_truncated")], tmp_path / "a", count=40, corpus=False,
                  minimise_per_signature=0)
    b = small_run(["ours", fake("lenient", "accepts_truncated")], tmp_path / "b", count=40, corpus=False, jobs=2,
                  minimise_per_signature=0)
    assert a.findings
    assert [(f.index, f.engine, f.mutations) for f in a.findings] == [(f.index, f.engine, f.mutations)
                                                                     for f in b.findings]
    assert a.verdicts == b.verdicts
    # one mutant again, by its index
    first = a.findings[0]
    again = small_run(["ours", fake("lenient", "accepts_truncated")], tmp_path / "c", count=1, corpus=False,
                      minimise_per_signature=0, start=first.index)
    assert again.mutants == 1
    assert [(f.index, f.engine, f.mutations) for f in again.findings] == [(first.index, first.engine,
                                                                          first.mutations)]


def test_an_unwritable_findings_folder_loses_no_finding(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    report = small_run([fake("lenient", "accepts_truncated")], tmp_path, count=60, findings_dir=blocker / "x",
                       minimise_per_signature=0)
    assert report.findings and all(f.note.startswith("not saved") and f.path is None for f in report.findings)
    assert any("not saved" in e for e in report.errors)


def test_ctrl_c_stops_after_the_batch_in_flight(tmp_path):
    sent = []

    def progress(p):
        if p.done >= 5 and not sent:
            sent.append(p.done)
            os.kill(os.getpid(), signal.SIGINT)

    start = time.monotonic()
    # Ctrl-C as a terminal sends it, to Python's own handler, whatever an earlier test in this process left
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        report = small_run(["ours"], tmp_path, count=None, seconds=120, progress=progress, corpus=False)
    finally:
        signal.signal(signal.SIGINT, previous)
    assert report.interrupted and report.mutants >= 5, (sent, report.errors, report.summary())
    assert time.monotonic() - start < 60


def test_bad_requests_are_refused_before_the_run(tmp_path):
    with pytest.raises(HarnessError, match="cannot drive engine 'nosuch'"):
        small_run(["nosuch"], tmp_path)
    with pytest.raises(HarnessError, match="count or a time limit"):
        small_run(["ours"], tmp_path, count=None, seconds=None)


def test_the_proposals_are_the_adapters():
    from harness.adapters.base import WASM3_FEATURES as declared
    from harness.fuzz.validation_engines import WASM3_FEATURES

    assert WASM3_FEATURES == frozenset(declared)


def test_judge_and_minimise_units():
    spec = EngineSpec("e", "python", "x", frozenset())
    assert judge(spec, Verdict(ACCEPT), Verdict(ACCEPT)) is None
    assert judge(spec, Verdict(REJECT, "a at 0x1f"), Verdict(REJECT, "other words")) is None  # wording aside
    cat, sig = judge(spec, Verdict(REJECT, "unexpected end at 0x1f"), Verdict(ACCEPT))
    assert cat == "disagree" and sig == "e: accepts what wasm-tools rejects (wasm-tools: unexpected end at N)"
    cat, _ = judge(spec, Verdict(ACCEPT), Verdict(REJECT, "too many locals"))
    assert cat == "limit"
    blob = mutate.HEADER + bytes(range(200)) + b"\xab\xcd" + bytes(300)
    assert minimise(blob, lambda d: b"\xab\xcd" in d) == mutate.HEADER + b"\xab\xcd"


def test_a_server_that_dies_on_start_is_a_crash_not_a_hang():
    v = ServerValidator("dead", ["/bin/sh", "-c", "echo broken >&2; exit 3"], timeout=5)
    try:
        got = v.check(b"\0asm\1\0\0\0")
        assert got.kind == "crash" and "status 3" in got.message and "broken" in got.message
    finally:
        v.close()


def test_ours_agrees_with_wasmtime_on_200_mutants(tmp_path):
    """The real thing, small: 200 mutants of smith and corpus modules, ours against wasmtime-py."""
    pytest.importorskip("wasmtime")
    report = small_run(["ours", "wasmtime"], tmp_path, count=200, seed=11, jobs=2)
    assert report.mutants == 200
    assert report.findings == [], report.summary()
    counts = report.verdicts["ours"]
    assert counts.get(ACCEPT, 0) >= 10 and counts.get(REJECT, 0) >= 100  # both answers were exercised


def test_node_and_wabt_are_driven_too(tmp_path):
    """v8 (a node server) and wabt (a process per binary) answer every mutant, with no crash, hang or
    unreadable answer, judged with their own features; ours still agrees with the reference."""
    from harness.fuzz.validation_engines import availability

    specs = resolve_engines(["v8", "wabt"])
    missing = [why for s in specs if (why := availability(s))]
    if missing:
        pytest.skip("; ".join(missing))
    assert specs[0].reference_features() == "wasm2,extended-const,memory64,relaxed-simd,tail-call," \
                                            "legacy-exceptions,threads"
    report = small_run(["ours", "v8", "wabt"], tmp_path, count=64, seed=11, jobs=2, minimise_per_signature=0)
    assert report.mutants == 64
    for engine in ("ours", "v8", "wabt"):
        assert report.verdicts[engine].get(ACCEPT, 0) + report.verdicts[engine].get(REJECT, 0) == 64
    assert not [f for f in report.findings if f.engine == "ours" or f.category in ("crash", "timeout", "error")]


def test_the_proposal_names_are_one_list():
    """The validators judge with our engine's list of 3.0 proposals (light to import in a server); the adapters
    declare features by their own constants: the two must name the same proposals, as smith's switches do."""
    from harness.adapters.base import WASM3_FEATURES as DECLARED
    from harness.fuzz import validation_engines
    from harness.fuzz.generate import ALL_FEATURES, WASM2_OPTIONAL
    from harness.spec import proposals

    assert validation_engines.WASM3_FEATURES == frozenset(DECLARED)
    assert set(ALL_FEATURES) == WASM2_OPTIONAL | set(DECLARED)
    assert {f for name in ("struct", "load64", "load1", "return_call_ref") for f in proposals.file_features(name)} \
        <= set(DECLARED)
