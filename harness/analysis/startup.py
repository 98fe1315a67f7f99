"""The startup ladder's summary: per rung and cache state, the median time (with its CI and the
minimum) of the stored ``startup_time`` rows, fastest first.  Measuring is ``harness.perf.startup``."""

from __future__ import annotations

import math

import pandas as pd

from .stats import summarize


def ladder_summary(df: pd.DataFrame) -> list[dict]:
    """Median (and CI) per rung and cache state, fastest first."""
    d = df[df["metric"] == "startup_time"]
    out = []
    for (rung, cache), g in d.groupby(["file", "item"], dropna=False):
        vals = list(g["value"][(g["outcome"] == "ok") & g["value"].notna()])
        s = summarize(vals)
        bad = g[g["outcome"] != "ok"]
        failed = not bad.empty and not vals
        out.append({"rung": rung, "cache": cache, "engine": g["engine"].iloc[0], "tier": g["tier"].iloc[0],
                    "n": s.n, "median": s.median, "lo": s.lo, "hi": s.hi, "min": min(vals) if vals else math.nan,
                    "outcome": bad["outcome"].iloc[0] if failed else "ok",
                    "message": bad["message"].iloc[0] if failed else "",
                    "argv": next((e.get("argv") for e in g["extra"] if e.get("argv")), None),
                    "method": g["extra"].iloc[0].get("method", ""),
                    # a single sample has no interval: it cannot be ranked against its neighbours
                    "note": "one sample: no interval, not comparable with the other rungs" if s.n == 1 else ""})
    out.sort(key=lambda r: (math.isnan(r["median"]), r["median"]))
    return out


def format_ladder(df: pd.DataFrame) -> str:
    lines = [f"{'startup rung':40s} {'cache':12s} {'n':>3s} {'median':>10s} {'95% CI':>23s} {'min':>10s}", "-" * 103]
    for r in ladder_summary(df):
        if r["n"]:
            ci = "n/a" if math.isnan(r["lo"]) else f"[{_ms(r['lo'])}, {_ms(r['hi'])}]"
            lines.append(f"{r['rung']:40s} {str(r['cache']):12s} {r['n']:3d} {_ms(r['median']):>10s} "
                         f"{ci:>23s} {_ms(r['min']):>10s}")
        else:
            lines.append(f"{r['rung']:40s} {str(r['cache']):12s}   0 {r['outcome']}: {str(r['message'])[:60]}")
    return "\n".join(lines)


def _ms(x: float) -> str:
    return f"{x * 1000:.3f} ms" if x < 1 else f"{x:.3f} s"
