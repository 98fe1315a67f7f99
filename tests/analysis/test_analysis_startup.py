"""The startup ladder's summary from stored rungs: fastest first, failed rungs kept with their reason."""

import math

from harness.analysis.startup import format_ladder, ladder_summary
from harness.results.store import ResultRow, ResultsStore


def _rung(rung, engine, value, cache="n/a", outcome="ok", message=None):
    return ResultRow(suite="perf-startup", file=rung, item=cache, engine=engine, metric="startup_time", value=value,
                     unit="s", outcome=outcome, message=message, extra={"argv": [engine], "method": "spawn"})


def test_rungs_fastest_first_with_failures_last(tmp_path):
    with ResultsStore(tmp_path / "r.db") as st:
        run = st.start_run("perf")
        st.add(run, [_rung("native64 process", "native64", v) for v in (0.002, 0.001, 0.003)]
               + [_rung("wasmtime-py instantiate", "wasmtime-py", v, "in-memory") for v in (0.0004, 0.0003)]
               + [_rung("docker run", "docker", None, "cold", "unsupported", "Docker engine not reachable")])
        df = st.dataframe([run], suite="perf-startup")
    ladder = ladder_summary(df)
    assert [r["rung"] for r in ladder] == ["wasmtime-py instantiate", "native64 process", "docker run"]
    native = ladder[1]
    assert (native["n"], native["median"], native["min"], native["argv"]) == (3, 0.002, 0.001, ["native64"])
    docker = ladder[2]
    assert docker["n"] == 0 and math.isnan(docker["median"]) and docker["outcome"] == "unsupported"
    text = format_ladder(df)
    assert "2.000 ms" in text and "unsupported: Docker engine not reachable" in text
