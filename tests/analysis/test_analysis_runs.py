"""Which stored runs the perf figures come from."""

from harness.analysis.runs import merged_lines
from harness.results.store import ResultRow, ResultsStore


def test_narrow_later_run_adds_engines_without_replacing_the_main_baseline(tmp_path):
    def rows(engine, tier, label, value):
        return [ResultRow(suite="perf", file="w", item="full", engine=engine, tier=tier, metric="wall_time",
                          value=value * (1 + i / 1000), unit="s", outcome="ok", extra={"label": label})
                for i in range(3)]

    with ResultsStore(tmp_path / "r.db") as st:
        main = st.start_run("perf", command="main")
        st.add(main, rows("native64", None, "native64", 1.0) + rows("native32", None, "native32", 1.1)
               + rows("wasmtime", "cranelift", "wasmtime:cranelift", 1.5))
        narrow = st.start_run("perf", command="narrow")
        st.add(narrow, rows("native64", None, "native64", 2.0) + rows("ours", "llvm", "ours:llvm", 4.0))
        lines, _, _, commands = merged_lines(st)
    by = {ln.engine: ln for ln in lines}
    assert abs(by["native64"].median - 1.0) < 0.01      # the main run's baseline is kept
    assert abs(by["ours:llvm"].ratio - 2.0) < 0.01      # ratio from its own run, side by side
    assert commands["ours:llvm"] == "narrow" and commands["wasmtime:cranelift"] == "main"
