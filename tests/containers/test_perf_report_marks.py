"""The perf report marks containerised rows: ``RUNTIME@docker`` as run in its image, ``RUNTIME@docker-ARCH``
as emulated as well, and leaves the local engine's rows unmarked.  No Docker needed: rows are planted."""

from __future__ import annotations

import re

from harness.report.perf import render_perf_report
from harness.results.store import ResultRow, ResultsStore

ENGINES = (("native64", None), ("wasmtime", "cranelift"), ("wasmtime@docker", "cranelift"),
           ("wasmtime@docker-arm64", "cranelift"))


def _report(tmp_path) -> str:
    db = tmp_path / "r.db"
    with ResultsStore(db) as st:
        run = st.start_run("perf", command="harness perf --repeat 3", extra={"repeat": 3})
        st.add(run, [ResultRow(suite="perf", file=wl, item="full", engine=engine, tier=tier, metric="wall_time",
                               value=0.1 + i * 0.001, unit="s", outcome="ok")
                     for wl in ("gzip-compress", "micro-matmul") for engine, tier in ENGINES for i in range(3)])
        st.finish_run(run)
    return render_perf_report(db, tmp_path / "out").read_text()


def _engine_cells(text: str) -> dict[str, str]:
    """The 'All figures' table's engine cell of each gzip-compress line, by engine name."""
    table = text.split('id="table"', 1)[1]
    cells = re.findall(r'<td class="name">gzip-compress</td><td class="name">full</td><td class="name">(.*?)</td>',
                       table)
    return {re.sub(r"\s*<span.*", "", c, flags=re.S): c for c in cells}


def test_container_rows_are_marked_and_local_rows_are_not(tmp_path):
    cells = _engine_cells(_report(tmp_path))
    assert set(cells) == {"native64", "wasmtime:cranelift", "wasmtime@docker:cranelift",
                          "wasmtime@docker-arm64:cranelift"}
    assert "container" not in cells["wasmtime:cranelift"] and "container" not in cells["native64"]
    assert ">container<" in cells["wasmtime@docker:cranelift"]
    assert "container, emulated" in cells["wasmtime@docker-arm64:cranelift"]
    assert "emulated" not in cells["wasmtime@docker:cranelift"]
