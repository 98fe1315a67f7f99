"""Summaries of perf rows: one line per (workload, size class, engine variant) with the median, its
CI, the ratio to the baseline measured at the same size, the verdict and any failure.  Used by the CLI
table, ``--json``, the cross-check and the HTML report, from stored rows alone."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import pandas as pd

from ..results.labels import engine_label
from .stats import geomean, ratio, spread_warning, summarize
from .units import fmt

_LINE = ["file", "size_class", "label"]  # the row columns that make one line


@dataclass
class Line:
    workload: str
    size_class: str
    engine: str  # label, e.g. "wasmtime:cranelift (precompiled)"
    n: int
    median: float
    lo: float
    hi: float
    ratio: float
    ratio_lo: float
    ratio_hi: float
    verdict: str
    outcome: str  # ok or the failure
    message: str = ""
    warning: str = ""
    argv: str = ""
    loadavg: float = math.nan


def _load_and_cores(g: pd.DataFrame) -> tuple[float | None, int]:
    """The highest load average seen while a line was measured, and the core count of the machine that
    saw it (from its run's fingerprint; 0 when unknown, which turns the busy check off)."""
    loads = g["loadavg"].dropna()
    if loads.empty:
        return None, 0
    cores = g["cores"][g["loadavg"] == loads.max()].iloc[0]
    return float(loads.max()), int(cores) if pd.notna(cores) else 0


def with_labels(rows: pd.DataFrame) -> pd.DataFrame:
    """``rows`` with each row's engine-variant ``label`` (``wasmtime:cranelift (precompiled)``, ``... [wasm64]``:
    the label the run stored, else runtime:tier) and its ``size_class`` (full unless stored)."""
    return rows.assign(label=[e.get("label") or engine_label(eng, t)
                              for e, eng, t in zip(rows["extra"], rows["engine"], rows["tier"], strict=True)],
                       size_class=rows["item"].fillna("full"))


def summarize_rows(df: pd.DataFrame, baseline: str = "native64", metric: str = "wall_time") -> list[Line]:
    """``df``: perf rows as ``analysis.runs.perf_rows`` reads them (possibly several runs), with each
    run's core count in a ``cores`` column, so a busy machine is judged against its own cores.

    ``metric`` is ``wall_time`` (the headline) or ``cpu_time`` (user+sys, robust to a busy machine);
    failures are only recorded as wall_time rows, so with cpu_time they are taken from those.
    """
    wt = df[(df["metric"] == metric) | ((df["metric"] == "wall_time") & (df["outcome"] != "ok"))]
    if wt.empty:
        return []
    wt = with_labels(wt).assign(
        loadavg=pd.to_numeric(wt["extra"].map(lambda e: e.get("loadavg")), errors="coerce"),
        shell=wt["extra"].map(lambda e: e.get("shell") or ""))
    ok = wt[(wt["outcome"] == "ok") & wt["value"].notna()]
    samples = {key: list(g["value"]) for key, g in ok.groupby(_LINE, sort=False)}
    lines = []
    for (wl, sc, label), g in wt.groupby(_LINE, sort=False):
        s = summarize(samples.get((wl, sc, label), []))
        rt = ratio(samples.get((wl, sc, label), []), samples.get((wl, sc, baseline), []))
        bad = g[g["outcome"] != "ok"]
        message = bad["message"].iloc[0] if len(bad) else ""
        load, cores = _load_and_cores(g)
        shells = g["shell"][g["shell"] != ""]
        lines.append(Line(wl, sc, label, s.n, s.median, s.lo, s.hi, rt.value, rt.lo, rt.hi,
                          rt.verdict if label != baseline else "baseline",
                          bad["outcome"].iloc[0] if len(bad) else "ok", message if isinstance(message, str) else "",
                          spread_warning(s, load, cores) or "", shells.iloc[0] if len(shells) else "",
                          load if load is not None else math.nan))
    lines.sort(key=lambda ln: (ln.workload, ln.size_class, ln.engine))
    return lines


REAL, MICRO = "real programs", "micro-benchmarks"
GEOMEAN_DEFINITION = (f"geometric mean of an engine's ratios to the baseline over the full-size workloads it ran "
                      f"correctly, {REAL} (gzip, bzip2, sqlite...) and {MICRO} (micro-*) never mixed; its bounds "
                      "are the geometric means of the ratios' 95% interval ends")


def workload_set(workload: str) -> str:
    return MICRO if workload.startswith("micro-") else REAL


@dataclass
class Geomean:
    """One engine's geometric mean over one workload set (``GEOMEAN_DEFINITION``)."""

    value: float
    lo: float  # NaN when any ratio has no interval (a single repeat)
    hi: float
    workloads: list[str]


def geomean_figures(lines: list[Line], workloads: str = REAL) -> dict[str, Geomean]:
    """Per engine, its ``Geomean`` over ``workloads`` (``REAL`` or ``MICRO``)."""
    per: dict[str, list[Line]] = {}
    for ln in lines:
        if (ln.outcome == "ok" and ln.size_class == "full" and not math.isnan(ln.ratio)
                and workload_set(ln.workload) == workloads):
            per.setdefault(ln.engine, []).append(ln)
    out = {}
    for engine, lns in per.items():
        los, his = [ln.ratio_lo for ln in lns], [ln.ratio_hi for ln in lns]
        bounded = not any(math.isnan(x) for x in los + his)
        out[engine] = Geomean(geomean([ln.ratio for ln in lns]), geomean(los) if bounded else math.nan,
                              geomean(his) if bounded else math.nan, sorted(ln.workload for ln in lns))
    return out


def geomeans(lines: list[Line], workloads: str = REAL) -> dict[str, float]:
    """Per engine, the value of its ``Geomean`` over ``workloads``."""
    return {k: g.value for k, g in geomean_figures(lines, workloads).items()}


def format_table(lines: list[Line], baseline: str) -> str:
    head = f"{'workload':22s} {'size':5s} {'engine':34s} {'n':>2s} {'median s':>9s} {'95% CI':>17s} " \
           f"{'x ' + baseline:>10s} {'ratio CI':>13s}  verdict / outcome"
    out = [head, "-" * len(head)]
    for ln in lines:
        ci = f"[{fmt(ln.lo, '.3f')}, {fmt(ln.hi, '.3f')}]" if ln.n else ""
        rci = f"[{fmt(ln.ratio_lo, '.2f')}, {fmt(ln.ratio_hi, '.2f')}]" if ln.n else ""
        tail = ln.verdict if ln.outcome == "ok" else f"{ln.outcome.upper()}: {ln.message[:80]}"
        if ln.warning:
            tail += f"  ! {ln.warning}"
        out.append(f"{ln.workload:22s} {ln.size_class:5s} {ln.engine:34s} {ln.n:2d} {fmt(ln.median, '9.3f'):>9s} "
                   f"{ci:>17s} {fmt(ln.ratio, '10.2f'):>10s} {rci:>13s}  {tail}")
    for kind in (REAL, MICRO):
        gm = geomeans(lines, kind)
        if gm:
            out.append("")
            out.append(f"geometric mean of ratios over the {kind} (full size, correct runs): "
                       + ", ".join(f"{k} {v:.2f}" for k, v in sorted(gm.items(), key=lambda kv: kv[1])))
    return "\n".join(out)


def format_compile(df: pd.DataFrame) -> str:
    """Per program and engine: median cold compile time, warm start from a cache (ours:llvm), code size."""
    if df.empty:
        return ""
    rows = df[df["file"].astype(str).str.startswith("compile:") & (df["outcome"] == "ok")]
    if rows.empty:
        return ""
    out = [f"{'compile (cold, whole process)':32} {'engine':22} {'n':>3} {'median s':>10} {'warm start s':>13} "
           f"{'code bytes':>11}", "-" * 97]
    def med(g, metric: str) -> float:
        v = g[g["metric"] == metric]["value"].dropna()
        return float(v.median()) if len(v) else math.nan

    for (file, engine, tier), g in rows.groupby(["file", "engine", "tier"], dropna=False):
        n = int((g["metric"] == "compile_time").sum())
        warm, size = med(g, "warm_start_time"), med(g, "code_size")
        out.append(f"{str(file).removeprefix('compile:'):32} {engine + ':' + str(tier):22} {n:3d} "
                   f"{med(g, 'compile_time'):10.3f} {'-' if math.isnan(warm) else f'{warm:.3f}':>13} "
                   f"{'-' if math.isnan(size) else f'{size:.0f}':>11}")
    return "\n".join(out)


def lines_json(lines: list[Line]) -> list[dict]:
    return [{k: (None if isinstance(v, float) and math.isnan(v) else v) for k, v in asdict(ln).items()} for ln in lines]
