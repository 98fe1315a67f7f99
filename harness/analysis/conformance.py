"""Conformance counts from stored rows: per suite, engine and file, how many checks passed, failed,
were skipped or were known failures.

When several runs measured the same (suite, engine, file), the latest one wins, so partial runs (one
engine tonight, another tomorrow, two CI shards) combine into one matrix.
"""

from __future__ import annotations

from pathlib import PurePosixPath

import pandas as pd

from ..results import ResultsStore
from ..results.labels import engine_label

CONFORMANCE_SUITES = ("spec", "corpus", "wasi", "wasi-corpus", "wasi-own")
CONFORMANCE_METRICS = ("assertion", "test")  # one row per check; timings and other metrics are not counted


def latest_rows(store: ResultsStore, suites: tuple[str, ...] = CONFORMANCE_SUITES) -> pd.DataFrame:
    """Result rows of the conformance suites, keeping for each (suite, engine, file) only the latest run."""
    df = store.dataframe()
    if df.empty:
        return df
    df = df[df["suite"].isin(suites) & df["metric"].isin(CONFORMANCE_METRICS)].copy()
    if df.empty:
        return df
    df["label"] = [engine_label(e, t) for e, t in zip(df["engine"], df["tier"], strict=True)]
    # A WASI row is one whole test program: group them by their folder (c, rust, assemblyscript...), and keep
    # the test's name as the item, so the matrix stays readable.
    is_test = df["metric"] == "test"
    df.loc[is_test, "item"] = [f if not i else i for f, i in zip(df.loc[is_test, "file"], df.loc[is_test, "item"], strict=True)]
    df.loc[is_test, "file"] = [str(PurePosixPath(f).parent) if "/" in f else f for f in df.loc[is_test, "file"]]
    runs = {r["run_id"]: r["started"] for r in store.runs()}
    df["started"] = df["run_id"].map(runs).fillna(0)
    newest = df.groupby(["suite", "label", "file"])["started"].transform("max")
    return df[df["started"] == newest]


def summarise(df: pd.DataFrame) -> dict:
    """Per suite, per engine, per file: passed/failed/skipped/... counts."""
    out: dict = {}
    for (suite, label, file), g in df.groupby(["suite", "label", "file"]):
        counts = g["outcome"].value_counts().to_dict()
        total = int(len(g))
        passed = int(sum(counts.get(k, 0) for k in ("pass", "xpass")))
        out.setdefault(suite, {}).setdefault(label, {})[file] = {
            "total": total, "passed": passed,
            "failed": int(sum(counts.get(k, 0) for k in ("fail", "crash", "timeout", "error"))),
            "skipped": int(counts.get("skip", 0) + counts.get("unsupported", 0)),
            "xfail": int(counts.get("xfail", 0)), "xpass": int(counts.get("xpass", 0)),
        }
    return out
