"""Figures the perf report builds on the summary lines: the pointer study (native32, wasm32 and wasm64
against native64; wasm32 against wasm64 on one engine is ``pointer_width``'s), compile time against
execution speed per tier, and memory per workload and engine."""

from __future__ import annotations

import math

import pandas as pd

from .perf_table import Line
from .runs import BASELINE
from .stats import median, summarize


def find_line(lines: list[Line], workload: str, engine: str, size: str = "full") -> Line | None:
    return next((ln for ln in lines if ln.workload == workload and ln.engine == engine and ln.size_class == size), None)


def pointer_study(lines: list[Line]) -> tuple[list[str], dict[str, dict[str, Line | None]]]:
    """Per workload: native32, wasm32 (best wasm tier, precompiled when measured) and wasm64 (the
    freestanding wasm64 build, on the wasm32 column's engine when it ran it) against native64."""
    workloads = sorted({ln.workload for ln in lines if ln.size_class == "full"})
    wasm_pref = ["wasmtime:cranelift (precompiled)", "wasmtime:cranelift", "v8:turbofan"]
    table: dict[str, dict[str, Line | None]] = {}
    for wl in workloads:
        measured = (find_line(lines, wl, e) for e in wasm_pref)
        wasm = next((ln for ln in measured if ln and ln.outcome == "ok"), None)
        wide = [find_line(lines, wl, f"{e} [wasm64]") for e in ([wasm.engine] if wasm else []) + wasm_pref]
        table[wl] = {"native32": find_line(lines, wl, "native32"), "wasm32": wasm,
                     "wasm64": next((ln for ln in wide if ln and ln.outcome == "ok"), None)}
    return workloads, table


def compile_vs_exec(df: pd.DataFrame, lines: list[Line]) -> list[dict]:
    """Per tier: median compile time (per program) and the execution ratio of its precompiled code."""
    out = []
    # the line whose ratio goes with a compile: wasmtime's precompiled runs; ours:llvm's own runs, which
    # load the compiled code from its cache (so a whole-process ratio)
    exec_label = {"wasmtime": "wasmtime:{} (precompiled)", "ours": "ours:{}"}
    comp = df[(df["metric"] == "compile_time") & (df["outcome"] == "ok") & df["engine"].isin(list(exec_label))]
    for (engine, file, tier), g in comp.groupby(["engine", "file", "tier"]):
        used = str(g["extra"].iloc[0].get("used_by", ""))
        label = exec_label[engine].format(tier)
        ex = [ln for ln in lines if ln.engine == label and ln.workload in used.split(",") and ln.outcome == "ok"]
        out.append({"engine": f"{engine}:{tier}", "program": file.removeprefix("compile:"),
                    "compile": median(list(g["value"].dropna())),
                    "exec_ratio": ex[0].ratio if ex else math.nan, "exec_lo": ex[0].ratio_lo if ex else math.nan,
                    "exec_hi": ex[0].ratio_hi if ex else math.nan, "workload": ex[0].workload if ex else ""})
    ph = df[(df["metric"] == "compile_time") & (df["engine"] == "v8") & (df["outcome"] == "ok")]
    ex_rows = df[(df["metric"] == "execute_time") & (df["engine"] == "v8") & (df["outcome"] == "ok")]
    for (wl, tier), g in ph.groupby(["file", "tier"]):
        ex = ex_rows[(ex_rows["file"] == wl) & (ex_rows["tier"] == tier)]["value"].dropna()
        base = find_line(lines, wl, BASELINE)
        usable = bool(len(ex) and base and base.median)
        s = summarize(list(ex))
        # bounds from the two intervals' ends: the execute phase's own, and the baseline's whole run
        out.append({"engine": f"v8:{tier}", "program": wl, "compile": median(list(g["value"].dropna())),
                    "exec_ratio": s.median / base.median if usable else math.nan,
                    "exec_lo": s.lo / base.hi if usable else math.nan,
                    "exec_hi": s.hi / base.lo if usable else math.nan, "workload": wl})
    return out


def memory_medians(df: pd.DataFrame | None) -> pd.DataFrame:
    """Median peak RSS and reserved virtual memory (KiB) per (workload, engine label) of the correct runs."""
    if df is None or df.empty:
        return pd.DataFrame()
    rss = df[(df["metric"].isin(["peak_rss", "vm_peak"])) & (df["outcome"] == "ok") & (~df["file"].str.startswith("compile:"))]
    if rss.empty:
        return pd.DataFrame()
    rss = rss.assign(label=rss["extra"].map(lambda e: e.get("label", "")))
    return rss.groupby(["file", "label", "metric"])["value"].median().unstack("metric")
