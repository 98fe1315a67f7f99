"""Which stored perf runs a figure comes from, and their rows with the machine that measured them.

Every perf line is computed from one run's rows (its own baseline measured side by side), so choosing
runs is part of the analysis: the throughput table merges runs (the widest comparison wins, then the
newest), the startup ladder and the cross-check take the newest run that has them, claim 6 the newest
run that measured the emulator.
"""

from __future__ import annotations

import pandas as pd

from ..results.store import ResultsStore
from .perf_table import Line, summarize_rows

BASELINE = "native64"
EMULATED = "qemu-user"


def perf_rows(store: ResultsStore, run_ids: list[str], suite: str = "perf") -> pd.DataFrame:
    """The rows of ``suite`` in these runs, with a ``cores`` column: the core count of the machine each
    row's run was measured on (its fingerprint in ``runs.machine``)."""
    df = store.dataframe(run_ids, suite=suite)
    cores = {r["run_id"]: r["machine"].get("cores") for r in store.runs()}
    return df.assign(cores=pd.to_numeric(df["run_id"].map(cores), errors="coerce"))


def _measured_runs(store: ResultsStore) -> list[dict]:
    """Perf runs that measured throughput (cross-check runs re-time other runs' command lines)."""
    return [r for r in store.runs("perf") if not (r.get("extra") or {}).get("crosscheck_of")]


def merged_lines(store: ResultsStore) -> tuple[list[Line], pd.DataFrame | None, dict | None, dict[str, str]]:
    """Lines of every perf run, the newest run winning per (workload, size, engine).

    Each run carries its own baseline, so every ratio stays one measured side by side; a later run
    that adds an engine (say ``--engines ours:llvm,native64``) adds its lines without replacing the
    others.  Returns the lines, the rows of the runs used, the newest run, and per engine label the
    command of the run its lines come from.
    """
    merged: dict[tuple[str, str, str], Line] = {}
    commands: dict[str, str] = {}
    sources: dict[str, str] = {}
    frames, newest, runs = [], None, []
    for run in _measured_runs(store):
        df = perf_rows(store, [run["run_id"]])
        if df.empty:
            continue
        runs.append((run, df, df["engine"].astype(str).str.cat(df["tier"].fillna("").astype(str)).nunique()))
    # Runs with more engines win over narrower ones (a small `--engines x,native64` run must not replace
    # the baseline lines of the main comparison); among equals the newest wins.
    runs.sort(key=lambda r: (r[2], r[0]["started"]))
    for run, df, _ in runs:
        if newest is None or run["started"] > newest["started"]:
            newest = run
        frames.append(df)
        for ln in summarize_rows(df, BASELINE):
            merged[(ln.workload, ln.size_class, ln.engine)] = ln
            commands[ln.engine] = run.get("command") or ""
            sources[ln.engine] = run["run_id"]
    df = pd.concat(frames, ignore_index=True) if frames else None
    if df is not None:
        # keep, per engine, only the rows of the run its lines come from (phases, memory, compile)
        labels = df["extra"].map(lambda e: e.get("label", "")) if len(df) else df["engine"]
        keep = [sources.get(lb) == rid for lb, rid in zip(labels, df["run_id"], strict=True)]
        df = df[keep]
    lines = sorted(merged.values(), key=lambda ln: (ln.workload, ln.size_class, ln.engine))
    return lines, df, newest, commands


def latest(store: ResultsStore, suite: str) -> tuple[dict | None, pd.DataFrame | None]:
    """The newest perf run that has rows of ``suite``, and those rows."""
    for run in reversed(store.runs("perf")):
        df = perf_rows(store, [run["run_id"]], suite=suite)
        if not df.empty:
            return run, df
    return None, None


def emulation_run(store: ResultsStore) -> tuple[list[Line], str] | None:
    """Lines and command of the newest perf run that measured the qemu-user engine (claim 6): its
    emulated, native and wasm figures come from the same run, inputs and machine state."""
    for run in reversed(_measured_runs(store)):
        df = perf_rows(store, [run["run_id"]])
        if not df.empty and (df["engine"] == EMULATED).any():
            return summarize_rows(df, BASELINE), run.get("command") or ""
    return None
