"""Summaries of perf rows: one line per (workload, size class, engine variant) with the median, its
CI, the ratio to the baseline measured at the same size, the verdict and any failure.  Used by the CLI
table, ``--json`` and the HTML report, from stored rows alone."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

from .stats import geomean, ratio, spread_warning, summarize


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


def _label(row) -> str:
    extra = row["extra"] or {}
    if extra.get("label"):
        return extra["label"]
    return f"{row['engine']}:{row['tier']}" if row["tier"] else row["engine"]


def summarize_rows(df, baseline: str = "native64", cores: int = 2, metric: str = "wall_time") -> list[Line]:
    """``df``: a store DataFrame (possibly several runs) restricted to suite 'perf'.

    ``metric`` is ``wall_time`` (the headline) or ``cpu_time`` (user+sys, robust to a busy machine);
    failures are only recorded as wall_time rows, so with cpu_time they are taken from those.
    """
    wt = df[(df["metric"] == metric) | ((df["metric"] == "wall_time") & (df["outcome"] != "ok"))]
    if wt.empty:
        return []
    wt = wt.assign(label=wt.apply(_label, axis=1), size_class=wt["item"].fillna("full"))
    groups: dict[tuple[str, str, str], list] = {}
    for _, r in wt.iterrows():
        groups.setdefault((r["file"], r["size_class"], r["label"]), []).append(r)
    lines = []
    for (wl, sc, label), rows in groups.items():
        ok = [r["value"] for r in rows if r["outcome"] == "ok" and r["value"] is not None and not math.isnan(r["value"])]
        bad = [r for r in rows if r["outcome"] != "ok"]
        base_rows = groups.get((wl, sc, baseline), [])
        base = [r["value"] for r in base_rows if r["outcome"] == "ok" and r["value"] is not None]
        s = summarize(ok)
        rt = ratio(ok, base)
        loads = [r["extra"].get("loadavg") for r in rows if r["extra"].get("loadavg") is not None]
        load = max(loads) if loads else None
        outcome = bad[0]["outcome"] if bad else "ok"
        message = bad[0]["message"] or "" if bad else ""
        argv = next((r["extra"].get("shell") for r in rows if r["extra"].get("shell")), "")
        lines.append(Line(wl, sc, label, s.n, s.median, s.lo, s.hi, rt.value, rt.lo, rt.hi,
                          rt.verdict if label != baseline else "baseline", outcome, message or "",
                          spread_warning(s, load, cores) or "", argv, load if load is not None else math.nan))
    lines.sort(key=lambda ln: (ln.workload, ln.size_class, ln.engine))
    return lines


def geomeans(lines: list[Line]) -> dict[str, float]:
    """Geometric mean of ratios per engine over the full-size workloads it ran correctly."""
    per: dict[str, list[float]] = {}
    for ln in lines:
        if ln.outcome == "ok" and ln.size_class == "full" and not math.isnan(ln.ratio):
            per.setdefault(ln.engine, []).append(ln.ratio)
    return {k: geomean(v) for k, v in per.items()}


def format_table(lines: list[Line], baseline: str) -> str:
    def f(x: float, spec: str) -> str:
        return "-" if x is None or (isinstance(x, float) and math.isnan(x)) else format(x, spec)

    head = f"{'workload':22s} {'size':5s} {'engine':34s} {'n':>2s} {'median s':>9s} {'95% CI':>17s} " \
           f"{'x ' + baseline:>10s} {'ratio CI':>13s}  verdict / outcome"
    out = [head, "-" * len(head)]
    for ln in lines:
        ci = f"[{f(ln.lo, '.3f')}, {f(ln.hi, '.3f')}]" if ln.n else ""
        rci = f"[{f(ln.ratio_lo, '.2f')}, {f(ln.ratio_hi, '.2f')}]" if ln.n else ""
        tail = ln.verdict if ln.outcome == "ok" else f"{ln.outcome.upper()}: {ln.message[:80]}"
        if ln.warning:
            tail += f"  ! {ln.warning}"
        out.append(f"{ln.workload:22s} {ln.size_class:5s} {ln.engine:34s} {ln.n:2d} {f(ln.median, '9.3f'):>9s} "
                   f"{ci:>17s} {f(ln.ratio, '10.2f'):>10s} {rci:>13s}  {tail}")
    gm = geomeans(lines)
    if gm:
        out.append("")
        out.append("geometric mean of ratios (full size, correct runs): "
                   + ", ".join(f"{k} {v:.2f}" for k, v in sorted(gm.items(), key=lambda kv: kv[1])))
    return "\n".join(out)


def format_compile(df) -> str:
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
