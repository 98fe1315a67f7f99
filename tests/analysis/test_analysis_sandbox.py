"""Claim 7's verdict comes from stored WASI escape-program rows and spec assert_unlinkable rows."""

from harness.analysis.sandbox import sandbox_claim_figure
from harness.results import ResultRow, ResultsStore


def _escape_row(engine, tier, outcome, message=""):
    return ResultRow("wasi", "own/wasm32-wasip1", engine, "test", item="own/wasm32-wasip1/sandbox_escape",
                     tier=tier, outcome=outcome, message=message)


def test_holds_when_every_engine_blocks_every_attempt(tmp_path):
    store = ResultsStore(tmp_path / "r.db")
    run = store.start_run("wasi")
    store.add(run, [_escape_row("wasmtime", "cranelift", "pass"), _escape_row("ours", "interp", "pass")])
    store.add(run, [ResultRow("spec", "linking.wast", "ours", "assertion", item="line 3", tier="interp",
                              outcome="pass", extra={"command": "assert_unlinkable"})])
    figure, verdict, _ = sandbox_claim_figure(store)
    assert verdict == "holds"
    assert "ours:interp" in figure and "ours:interp 1/1" in figure


def test_a_failure_without_an_escape_is_not_a_verdict(tmp_path):
    store = ResultsStore(tmp_path / "r.db")
    run = store.start_run("wasi")
    store.add(run, [_escape_row("wasmtime", "cranelift", "pass"), _escape_row("pywasm", None, "fail", "stdout differs")])
    figure, verdict, _ = sandbox_claim_figure(store)
    assert verdict == "can't tell here" and "pywasm" in figure


def test_an_escape_seen_by_the_guest_is_named_but_not_a_refutation(tmp_path):
    # The guest cannot tell a virtual filesystem (wasmer's own "/") from the host's, so no "does not hold".
    store = ResultsStore(tmp_path / "r.db")
    run = store.start_run("wasi")
    store.add(run, [_escape_row("wasmtime", "cranelift", "pass"),
                    _escape_row("leaky", "x", "fail", "stdout 'dotdot: blocked\\nopendir /: ESCAPED\\nhard link out: ESCAPED\\n'")])
    figure, verdict, _ = sandbox_claim_figure(store)
    assert verdict == "can't tell here"
    assert "leaky:x (hard link out, opendir /)" in figure


def test_nothing_stored_says_what_to_run(tmp_path):
    figure, verdict, _ = sandbox_claim_figure(ResultsStore(tmp_path / "r.db"))
    assert verdict == "can't tell here" and "harness wasi --own" in figure


def test_a_change_seen_on_the_host_refutes_the_claim(tmp_path):
    from harness.wasi.runner import HOST_CHANGED

    store = ResultsStore(tmp_path / "r.db")
    run = store.start_run("wasi")
    store.add(run, [_escape_row("wasmtime", "cranelift", "pass"),
                    ResultRow("wasi", "own/wasm32-wasip1", "leaky", "test", item="own/wasm32-wasip1/rename_unlink",
                              tier="x", outcome="fail", message=f"{HOST_CHANGED}: escape.dir/moved.txt")])
    figure, verdict, _ = sandbox_claim_figure(store)
    assert verdict == "does not hold" and "leaky:x" in figure
