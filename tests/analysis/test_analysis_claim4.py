"""Claim 4 (baseline compilers compile much faster, code somewhat slower) from every runtime's pair of tiers.

Why: the claim's own comparison is a singlepass compiler against an LLVM one, which our engine has; the
verdict must come from ours:singlepass vs ours:llvm when both were measured, and from wasmtime's or V8's
pairs otherwise, with every measured pair shown.
"""

from __future__ import annotations

from harness.analysis.claims import claims


def _point(engine: str, program: str, compile_s: float, ratio: float) -> dict:
    return {"engine": engine, "program": program, "compile": compile_s, "exec_ratio": ratio,
            "exec_lo": ratio * 0.97, "exec_hi": ratio * 1.03, "workload": program}


def _claim4(points: list[dict]):
    return claims([], [], points, "cmd", ("f", "can't tell here", "c"), {})[3]


PROGRAMS = ("bzip2", "minigzip", "micro-calls")


def test_our_tiers_decide_and_every_pair_is_shown():
    points = [p for prog in PROGRAMS for p in (
        _point("ours:singlepass", prog, 0.1, 1.4), _point("ours:llvm", prog, 4.0, 1.0),  # 40x, 1.4x: holds
        _point("wasmtime:winch", prog, 0.2, 1.3), _point("wasmtime:cranelift", prog, 1.0, 1.0))]  # 5x: no
    c = _claim4(points)
    assert c.verdict == "holds"
    assert "ours:singlepass compiles 40.0x faster than ours:llvm" in c.figure
    assert "wasmtime:winch compiles 5.0x faster than wasmtime:cranelift" in c.figure
    assert "the verdict is ours:singlepass's" in c.figure


def test_without_our_tiers_wasmtime_decides():
    points = [p for prog in PROGRAMS for p in (
        _point("wasmtime:winch", prog, 0.2, 1.3), _point("wasmtime:cranelift", prog, 1.0, 1.0))]
    c = _claim4(points)
    assert c.verdict == "does not hold"
    assert "the direction holds, the claimed compile-speed magnitude does not" in c.figure


def test_slower_code_beyond_the_claim_does_not_hold_and_missing_pairs_cannot_tell():
    points = [p for prog in PROGRAMS for p in (
        _point("ours:singlepass", prog, 0.1, 2.5), _point("ours:llvm", prog, 4.0, 1.0))]
    assert _claim4(points).verdict == "does not hold"
    alone = [_point("ours:singlepass", "bzip2", 0.1, 1.4)]  # no optimising tier to compare with
    assert _claim4(alone).verdict == "can't tell here"
