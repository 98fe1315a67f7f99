"""The cross-check re-times the command line of each full-size line, never the small input's."""

from harness.perf.crosscheck import full_size_commands
from harness.results.store import ResultRow, ResultsStore


def _row(item, shell, outcome="ok", label="native64"):
    return ResultRow(suite="perf", file="micro-calls", item=item, engine="native64", metric="wall_time",
                     value=1.0 if outcome == "ok" else None, unit="s", outcome=outcome,
                     extra={"label": label, "shell": shell, "argv": shell.split()})


def test_commands_come_from_correct_full_size_runs(tmp_path):
    with ResultsStore(tmp_path / "r.db") as st:
        run = st.start_run("perf")
        st.add(run, [_row("small", "calls 10 > OUT"), _row("full", "calls 1000 > OUT", outcome="crash"),
                     _row("full", "calls 1000 > OUT"), _row("full", "calls 999 > OUT"),
                     _row("full", "wasmtime run calls.wasm 1000 > OUT", label="wasmtime:cranelift")])
        df = st.dataframe([run], suite="perf")
    assert full_size_commands(df) == {
        ("micro-calls", "native64"): ("calls 1000 > OUT", ["calls", "1000", ">", "OUT"]),
        ("micro-calls", "wasmtime:cranelift"): ("wasmtime run calls.wasm 1000 > OUT",
                                                ["wasmtime", "run", "calls.wasm", "1000", ">", "OUT"])}
