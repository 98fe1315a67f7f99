"""The perf report (``harness report perf``): HTML with matplotlib charts, from stored results alone.

The first section shows each claim of docs/CLAIMS (the project's list of public claims about wasm
runtimes) with the measured figure, the verdict (holds / does not hold / can't tell), the command that
measured it and the machine it ran on, under a banner when the run was too noisy to trust at a glance.
Then: throughput normalised to native, the startup ladder, the pointer study, compile time against
execution speed, memory, the hyperfine cross-check, every figure with its command line, and where the
figures come from.  Every figure and verdict comes from ``harness.analysis`` (``perf_figures``); this
module only draws and fills the template.
"""

from __future__ import annotations

import math
import re
from pathlib import Path

from ..analysis.container_twins import TOLERANCE, container_twins, tally
from ..analysis.perf_figures import perf_figures
from ..analysis.perf_table import GEOMEAN_DEFINITION, MICRO, REAL, Line, geomean_figures
from ..analysis.pointer_width import CONTROL, EFFECT_RULE, POINTER_HEAVY, WidthLine
from ..analysis.runs import BASELINE
from ..analysis.studies import find_line, memory_medians, pointer_study
from ..analysis.units import duration, memory
from .html import render

# Okabe-Ito: distinguishable with any common colour-vision deficiency; markers differ as well.
PALETTE = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#000000", "#999999")
MARKERS = ("o", "s", "D", "^", "v", "P", "X", "<")
RATIO_TICKS = (0.1, 0.2, 0.5, 1, 2, 5, 10, 20, 50, 100, 200, 500)


# -- charts -----------------------------------------------------------------------------------------
def _plt():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _save(plt, fig, path: Path) -> Path:
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def _ratio_axis(ax, which: str, values: list[float]) -> None:
    """A log ``which`` ("x" or "y") axis of ratios with readable ticks (0.5x, 1x, 2x, 5x...) spanning ``values``."""
    from matplotlib.ticker import FixedLocator, FuncFormatter, NullLocator

    finite = [v for v in values if v > 0 and not math.isnan(v)] or [1.0]
    lo, hi = min(min(finite) / 1.2, 0.5), max(max(finite) * 1.2, 2.0)  # at least 0.5x to 2x: three ticks
    (ax.set_xscale if which == "x" else ax.set_yscale)("log")
    (ax.set_xlim if which == "x" else ax.set_ylim)(lo, hi)
    axis = ax.xaxis if which == "x" else ax.yaxis
    axis.set_major_locator(FixedLocator([t for t in RATIO_TICKS if lo <= t <= hi]))
    axis.set_minor_locator(NullLocator())
    axis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}x"))


def _duration_axis(axis, set_scale) -> None:
    """A log axis of seconds labelled as durations (100 µs, 1.0 ms, 2.00 s) instead of powers of ten."""
    from matplotlib.ticker import FuncFormatter, NullFormatter

    set_scale("log")
    axis.set_major_formatter(FuncFormatter(lambda v, _: duration(v)))
    axis.set_minor_formatter(NullFormatter())


def _err(value: float, lo: float, hi: float) -> tuple[float, float]:
    """Error-bar lengths below and above ``value``; none where the interval is missing (n=1)."""
    if math.isnan(lo) or math.isnan(hi):
        return 0.0, 0.0
    return max(0.0, value - lo), max(0.0, hi - value)


def chart_throughput(lines: list[Line], out: Path) -> Path | None:
    """Each engine's ratio to native64 per workload: a dot with its 95% interval on a log axis."""
    plt = _plt()
    rows = [ln for ln in lines if ln.size_class == "full" and ln.outcome == "ok" and ln.engine != BASELINE
            and not math.isnan(ln.ratio)]
    if not rows:
        return None
    workloads = sorted({ln.workload for ln in rows})
    engines = sorted({ln.engine for ln in rows})
    fig, ax = plt.subplots(figsize=(10, 0.32 * len(workloads) * len(engines) + 1.8))
    step = 0.8 / max(1, len(engines))
    for i, eng in enumerate(engines):
        ys, xs, err = [], [], [[], []]
        for j, wl in enumerate(workloads):
            ln = find_line(rows, wl, eng)
            if ln is None:
                continue
            ys.append(j + (i - (len(engines) - 1) / 2) * step)
            xs.append(ln.ratio)
            below, above = _err(ln.ratio, ln.ratio_lo, ln.ratio_hi)
            err[0].append(below)
            err[1].append(above)
        ax.errorbar(xs, ys, xerr=err, fmt=MARKERS[i % len(MARKERS)], color=PALETTE[i % len(PALETTE)], capsize=2,
                    ms=5, label=eng)
    ax.axvline(1.0, color="black", lw=0.8)
    _ratio_axis(ax, "x", [ln.ratio_hi if not math.isnan(ln.ratio_hi) else ln.ratio for ln in rows]
                + [ln.ratio_lo if not math.isnan(ln.ratio_lo) else ln.ratio for ln in rows])
    ax.set_yticks(range(len(workloads)), workloads)
    ax.invert_yaxis()
    ax.grid(axis="x", color="#dddddd")
    ax.set_xlabel(f"wall time / {BASELINE} (log scale; left of 1x is faster than native)")
    ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0), title="engine", title_fontsize=8)
    return _save(plt, fig, out / "throughput.png")


LADDER_KINDS = (("native64", "native process"), ("native32", "native process"), ("docker", "Docker container"),
                ("wasmtime-py", "wasmtime-py in-process"))
OTHER_RUNG = "other wasm engines"


def chart_ladder(ladder: list[dict], out: Path) -> Path | None:
    plt = _plt()
    rows = [r for r in ladder if r["n"]]
    if not rows:
        return None
    from matplotlib.patches import Patch

    kinds = dict(LADDER_KINDS)
    names = sorted(set(kinds.values())) + [OTHER_RUNG]
    colour = {name: PALETTE[i] for i, name in enumerate(names)}
    fig, ax = plt.subplots(figsize=(9, 0.35 * len(rows) + 1.8))
    meds = [r["median"] for r in rows]
    err = list(zip(*(_err(r["median"], r["lo"], r["hi"]) for r in rows), strict=True))
    ax.barh(range(len(rows)), meds, xerr=err, capsize=2,
            color=[colour[kinds.get(r["engine"], OTHER_RUNG)] for r in rows])
    for i, r in enumerate(rows):
        ax.text(r["median"] * 1.15 + err[1][i], i, duration(r["median"]) + (" (n=1)" if r["n"] == 1 else ""),
                va="center", fontsize=7)
    ax.set_yticks(range(len(rows)), [f"{r['rung']} [{r['cache']}]" for r in rows], fontsize=8)
    ax.invert_yaxis()
    _duration_axis(ax.xaxis, ax.set_xscale)
    ax.set_xlim(right=max(m + e for m, e in zip(meds, err[1], strict=True)) * 8)
    ax.set_xlabel("time to run a program that does nothing (log scale)")
    used = [n for n in names if any(kinds.get(r["engine"], OTHER_RUNG) == n for r in rows)]
    ax.legend(handles=[Patch(color=colour[n], label=n) for n in used], fontsize=8, loc="lower right")
    return _save(plt, fig, out / "startup.png")


def chart_pointers(lines: list[Line], out: Path) -> Path | None:
    plt = _plt()
    workloads, table = pointer_study(lines)
    measured = [wl for wl in workloads if any(ln and ln.outcome == "ok" for ln in table[wl].values())]
    if not measured:
        return None
    fig, ax = plt.subplots(figsize=(max(8, 1.1 * len(measured) + 3), 5))
    engines = sorted({table[wl]["wasm32"].engine for wl in measured if table[wl]["wasm32"]})
    wide = sorted({table[wl]["wasm64"].engine for wl in measured if table[wl].get("wasm64")})
    series = (("native32", PALETTE[0], "native32 (i386, static musl)"),
              ("wasm32", PALETTE[1], f"wasm32 ({', '.join(engines) or '-'})"),
              ("wasm64", PALETTE[2], f"wasm64, freestanding ({', '.join(wide) or 'not measured'})"))
    width, values = 0.27, []
    for i, (key, colour, label) in enumerate(series):
        xs, ys, err = [], [], [[], []]
        for j, wl in enumerate(measured):
            ln = table[wl].get(key)
            if ln is None or ln.outcome != "ok" or math.isnan(ln.ratio):
                continue
            xs.append(j + (i - 1) * width)
            ys.append(ln.ratio)
            below, above = _err(ln.ratio, ln.ratio_lo, ln.ratio_hi)
            err[0].append(below)
            err[1].append(above)
            values += [ln.ratio - below, ln.ratio + above]
        ax.bar(xs, ys, width, yerr=err, capsize=3, color=colour, label=label)
    ax.axhline(1.0, color="black", lw=0.8)
    _ratio_axis(ax, "y", values)
    ax.set_xticks(range(len(measured)), measured, rotation=30, ha="right")
    ax.set_ylabel(f"wall time / {BASELINE} (log scale; lower is faster)")
    ax.legend(fontsize=8, title="built as", title_fontsize=8)
    return _save(plt, fig, out / "pointers.png")


def chart_width(lines: list[WidthLine], out: Path) -> Path | None:
    """wasm64 / wasm32 (both freestanding) per workload, one bar per engine with its 95% interval."""
    rows = [ln for ln in lines if ln.outcome == "ok" and not math.isnan(ln.ratio)]
    if not rows:
        return None
    plt = _plt()
    workloads = sorted({ln.workload for ln in rows})
    engines = sorted({(ln.engine, ln.size_class) for ln in rows})
    fig, ax = plt.subplots(figsize=(max(8, 1.2 * len(workloads) + 3), 5))
    width, values = 0.8 / len(engines), []
    for i, (eng, sc) in enumerate(engines):
        xs, ys, err = [], [], [[], []]
        for j, wl in enumerate(workloads):
            ln = next((x for x in rows if (x.workload, x.engine, x.size_class) == (wl, eng, sc)), None)
            if ln is None:
                continue
            xs.append(j + (i - (len(engines) - 1) / 2) * width)
            ys.append(ln.ratio)
            below, above = _err(ln.ratio, ln.lo, ln.hi)
            err[0].append(below)
            err[1].append(above)
            values += [ln.ratio - below, ln.ratio + above]
        ax.bar(xs, ys, width, yerr=err, capsize=3, color=PALETTE[i % len(PALETTE)],
               label=eng + ("" if sc == "full" else " (small size)"))
    ax.axhline(1.0, color="black", lw=0.8)
    _ratio_axis(ax, "y", values)
    ax.set_xticks(range(len(workloads)), workloads, rotation=30, ha="right")
    ax.set_ylabel("wasm64 / wasm32 wall time (log; > 1x: wasm64 slower)")
    ax.legend(fontsize=8, title="engine (both builds freestanding)", title_fontsize=8)
    return _save(plt, fig, out / "pointer_width.png")


def chart_compile(points: list[dict], out: Path) -> Path | None:
    plt = _plt()
    pts = [p for p in points if not math.isnan(p["compile"]) and not math.isnan(p["exec_ratio"])]
    if not pts:
        return None
    fig, ax = plt.subplots(figsize=(9, 5.5))
    for i, eng in enumerate(sorted({p["engine"] for p in pts})):
        sel = [p for p in pts if p["engine"] == eng]
        err = list(zip(*(_err(p["exec_ratio"], p["exec_lo"], p["exec_hi"]) for p in sel), strict=True))
        ax.errorbar([p["compile"] for p in sel], [p["exec_ratio"] for p in sel], yerr=err, fmt=MARKERS[i % 8],
                    color=PALETTE[i % 8], ms=6, capsize=2, label=eng)
        for p in sel:
            ax.annotate(p["workload"], (p["compile"], p["exec_ratio"]), fontsize=7, xytext=(4, 3),
                        textcoords="offset points")
    _duration_axis(ax.xaxis, ax.set_xscale)
    ax.set_xlabel("compile time (log scale)")
    _ratio_axis(ax, "y", [x for p in pts for x in (p["exec_lo"], p["exec_hi"], p["exec_ratio"])])
    ax.set_ylabel(f"execution time / {BASELINE} (log scale)")
    ax.axhline(1.0, color="black", lw=0.8)
    ax.grid(color="#eeeeee")
    ax.legend(fontsize=8, title="tier", title_fontsize=8)
    return _save(plt, fig, out / "compile.png")


# -- page -------------------------------------------------------------------------------------------
def _machine(run: dict | None) -> str:
    if not run:
        return "-"
    m = run.get("machine", {})
    mhz = f" @ {m['cpu_mhz']} MHz" if m.get("cpu_mhz") else ""
    return f"{m.get('cpu', '?')}{mhz}, {m.get('cores', '?')} cores, {m.get('os', '?')} ({m.get('hostname', '?')})"


def _rerun(command: str) -> str:
    """The run's command with more repeats: what a noisy verdict asks for."""
    if not command:
        return "harness perf --repeat 10"
    return re.sub(r"--repeat \d+", "--repeat 10", command) if "--repeat" in command else command + " --repeat 10"


def render_perf_report(store_path: str | Path, out_dir: str | Path) -> Path:
    """Write ``<out_dir>/perf/index.html`` (+ PNG charts) from the store; return the HTML path."""
    out = Path(out_dir) / "perf"
    out.mkdir(parents=True, exist_ok=True)
    fig = perf_figures(store_path)
    lines, run = fig.lines, fig.run
    charts = {
        "throughput": chart_throughput(lines, out),
        "startup": chart_ladder(fig.ladder, out),
        "pointers": chart_pointers(lines, out),
        "pointer_width": chart_width(fig.width_lines, out),
        "compile": chart_compile(fig.compile_points, out),
    }
    gm = {kind: geomean_figures(lines, kind) for kind in (REAL, MICRO)}
    workloads, study = pointer_study(lines)
    twins = container_twins(fig.rows, versions={r.run_id: r.engines for r in fig.provenance.runs})
    return render("perf.html", out / "index.html", fig=fig, run=run or {}, store=str(store_path),
                  twins=twins, twin_tally=sorted(tally(twins).items()), tolerance=f"{TOLERANCE:.0%}",
                  machine=_machine(run), claims_machine=_machine(run or fig.startup_run),
                  charts={k: v.name if v else None for k, v in charts.items()},
                  geomeans=gm, geomean_engines=sorted(set(gm[REAL]) | set(gm[MICRO])), REAL=REAL, MICRO=MICRO,
                  definition=GEOMEAN_DEFINITION, rerun=_rerun((run or {}).get("command") or ""),
                  pointer_workloads=workloads, pointer_table=study, memory=_memory(fig.rows), BASELINE=BASELINE,
                  EFFECT_RULE=EFFECT_RULE, POINTER_HEAVY=POINTER_HEAVY, CONTROL=CONTROL,
                  isnan=lambda x: x is None or (isinstance(x, float) and math.isnan(x)))


def _memory(rows) -> list[tuple[str, str, str, str]]:
    """(workload, engine, peak RSS, reserved virtual memory) per line of ``memory_medians``."""
    piv = memory_medians(rows)
    return [(f, label, memory(r.get("peak_rss", math.nan)), memory(r.get("vm_peak", math.nan)))
            for (f, label), r in piv.iterrows()]
