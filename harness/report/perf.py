"""The perf report (``harness report perf``): HTML with matplotlib charts, from stored results alone.

The first section shows each claim of docs/CLAIMS (the project's list of public claims about wasm
runtimes) with the measured figure, the verdict (holds / does not hold / can't tell here), the command
that measured it and the machine it ran on.  Then: throughput normalised to native, the startup
ladder, the pointer study, compile time against execution speed, memory, and the full table with the
command line behind every figure.  Every figure and verdict comes from ``harness.analysis``
(``perf_figures``); this module only draws and writes HTML.
"""

from __future__ import annotations

import json
import math
import time
from pathlib import Path

import pandas as pd

from ..analysis.claims import Claim
from ..analysis.perf_figures import perf_figures
from ..analysis.perf_table import Line, geomeans
from ..analysis.runs import BASELINE
from ..analysis.studies import find_line, memory_medians, pointer_study
from ..analysis.units import duration, fmt
from .html import esc

TEMPLATE = Path(__file__).parent / "templates" / "perf.html"


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


def chart_throughput(lines: list[Line], out: Path) -> Path | None:
    plt = _plt()
    rows = [ln for ln in lines if ln.size_class == "full" and ln.outcome == "ok" and ln.engine != BASELINE]
    if not rows:
        return None
    workloads = sorted({ln.workload for ln in rows})
    engines = sorted({ln.engine for ln in rows})
    width = 0.8 / max(1, len(engines))
    fig, ax = plt.subplots(figsize=(max(8, 1.1 * len(workloads) + 3), 5))
    for i, eng in enumerate(engines):
        xs, ys, lo, hi = [], [], [], []
        for j, wl in enumerate(workloads):
            ln = find_line(rows, wl, eng)
            if ln is None or math.isnan(ln.ratio):
                continue
            xs.append(j + (i - (len(engines) - 1) / 2) * width)
            ys.append(ln.ratio)
            lo.append(max(0.0, ln.ratio - (ln.ratio_lo if not math.isnan(ln.ratio_lo) else ln.ratio)))
            hi.append(max(0.0, (ln.ratio_hi if not math.isnan(ln.ratio_hi) else ln.ratio) - ln.ratio))
        ax.bar(xs, ys, width, yerr=[lo, hi], capsize=2, label=eng)
    ax.axhline(1.0, color="black", lw=0.8)
    ax.set_xticks(range(len(workloads)), workloads, rotation=30, ha="right")
    ax.set_ylabel(f"wall time / {BASELINE}  (lower is faster)")
    ax.set_yscale("log")
    ax.set_title("Throughput normalised to native x86-64 (median, 95% bootstrap CI)")
    ax.legend(fontsize=8, ncol=2)
    return _save(plt, fig, out / "throughput.png")


def chart_ladder(ladder: list[dict], out: Path) -> Path | None:
    plt = _plt()
    rows = [r for r in ladder if r["n"]]
    if not rows:
        return None
    fig, ax = plt.subplots(figsize=(9, 0.35 * len(rows) + 1.5))
    names = [f"{r['rung']} [{r['cache']}]" for r in rows]
    meds = [r["median"] for r in rows]
    err = [[max(0, r["median"] - r["lo"]) for r in rows], [max(0, r["hi"] - r["median"]) for r in rows]]
    colours = ["#4c78a8" if r["engine"] in ("native64", "native32") else "#b279a2" if r["engine"] == "docker"
               else "#54a24b" if r["engine"] == "wasmtime-py" else "#f58518" for r in rows]
    ax.barh(range(len(rows)), meds, xerr=err, color=colours, capsize=2)
    for i, r in enumerate(rows):
        ax.text(max(r["median"], r["hi"]) * 1.15, i, duration(r["median"]), va="center", fontsize=7)
    ax.set_yticks(range(len(rows)), names, fontsize=8)
    ax.invert_yaxis()
    ax.set_xscale("log")
    ax.set_xlim(right=max(max(r["hi"] for r in rows), max(meds)) * 6)
    ax.set_xlabel("time to run a program that does nothing (s, log scale)")
    ax.set_title("Startup ladder")
    return _save(plt, fig, out / "startup.png")


def chart_pointers(lines: list[Line], out: Path) -> Path | None:
    plt = _plt()
    workloads, table = pointer_study(lines)
    if not workloads:
        return None
    fig, ax = plt.subplots(figsize=(max(8, 1.1 * len(workloads) + 3), 5))
    series = [("native32", "#4c78a8"), ("wasm32", "#f58518")]
    width = 0.27
    for i, (key, colour) in enumerate(series):
        for j, wl in enumerate(workloads):
            ln = table[wl][key]
            if ln is None or ln.outcome != "ok" or math.isnan(ln.ratio):
                continue
            x = j + (i - 0.5) * width
            ax.bar(x, ln.ratio, width, color=colour)
            ax.text(x, ln.ratio, f"{ln.ratio:.2f}", ha="center", va="bottom", fontsize=7)
    from matplotlib.patches import Patch

    ax.axhline(1.0, color="black", lw=0.8)
    ax.set_xticks(range(len(workloads)), workloads, rotation=30, ha="right")
    ax.set_ylabel("wall time / native64 (lower is faster)")
    engines = sorted({table[wl]["wasm32"].engine for wl in workloads if table[wl]["wasm32"]})
    handles = [Patch(color="#4c78a8", label="native32 (i386, static musl)"),
               Patch(color="#f58518", label=f"wasm32 ({', '.join(engines) or '-'})"),
               Patch(color="#bbbbbb", label="wasm64: not built (zig has no wasm64 WASI libc)")]
    ax.legend(handles=handles, fontsize=8)
    ax.set_title("Pointer study: 32-bit vs 64-bit pointers, same sources and flags")
    return _save(plt, fig, out / "pointers.png")


def chart_compile(points: list[dict], out: Path) -> Path | None:
    plt = _plt()
    pts = [p for p in points if not math.isnan(p["compile"]) and not math.isnan(p["exec_ratio"])]
    if not pts:
        return None
    fig, ax = plt.subplots(figsize=(8, 5))
    engines = sorted({p["engine"] for p in pts})
    for eng in engines:
        sel = [p for p in pts if p["engine"] == eng]
        ax.scatter([p["compile"] for p in sel], [p["exec_ratio"] for p in sel], label=eng, s=30)
        for p in sel:
            ax.annotate(p["workload"], (p["compile"], p["exec_ratio"]), fontsize=6, xytext=(3, 2),
                        textcoords="offset points")
    ax.set_xscale("log")
    ax.set_xlabel("compile time (s, log; wasmtime compile / V8 WebAssembly.compile / ours:llvm cold into its cache)")
    ax.set_ylabel("time / native64 (wasmtime precompiled, V8 execute phase,\nours:llvm whole process from its cache)")
    ax.axhline(1.0, color="black", lw=0.8)
    ax.legend(fontsize=8)
    ax.set_title("Compile time vs execution speed per tier")
    return _save(plt, fig, out / "compile.png")


# -- page -------------------------------------------------------------------------------------------
def _img(path: Path | None, alt: str) -> str:
    return f'<p><img src="{esc(path.name)}" alt="{esc(alt)}" style="max-width:100%"></p>' if path else \
        f"<p class=meta>No data for: {esc(alt)}.</p>"


def _machine(run: dict | None) -> str:
    if not run:
        return "-"
    m = run.get("machine", {})
    return f"{m.get('cpu', '?')}, {m.get('cores', '?')} cores, {m.get('os', '?')} ({m.get('hostname', '?')})"


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
        "compile": chart_compile(fig.compile_points, out),
    }
    html = TEMPLATE.read_text()
    html = html.replace("{{TITLE}}", "Performance of WebAssembly engines against native code")
    sub = (f"Generated {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())} from {esc(store_path)}. "
           f"Throughput run {esc((run or {}).get('run_id', '-'))}, machine: {esc(_machine(run))}; "
           f"engines: {esc(json.dumps((run or {}).get('engines', {})))}")
    html = html.replace("{{SUBTITLE}}", sub)
    html = html.replace("{{CLAIMS}}", _claims_html(fig.claims, _machine(run or fig.startup_run)))
    html = html.replace("{{THROUGHPUT}}", _img(charts["throughput"], "throughput") + _geomean_html(lines))
    html = html.replace("{{STARTUP}}", _img(charts["startup"], "startup ladder") + _ladder_html(fig.ladder))
    html = html.replace("{{POINTERS}}", _img(charts["pointers"], "pointer study") + _pointer_html(lines))
    html = html.replace("{{COMPILE}}", _img(charts["compile"], "compile vs execution") + _compile_html(fig.compile_points))
    html = html.replace("{{MEMORY}}", _memory_html(memory_medians(fig.rows)))
    html = html.replace("{{TABLE}}", _table_html(lines))
    html = html.replace("{{CROSSCHECK}}", _crosscheck_html(fig.crosscheck))
    path = out / "index.html"
    path.write_text(html)
    return path


def _verdict_class(v: str) -> str:
    return {"holds": "v-holds", "does not hold": "v-no"}.get(v, "v-cant")


def _claims_html(cl: list[Claim], machine: str) -> str:
    rows = "".join(
        f"<tr><td>{c.number}</td><td class=name style='white-space:normal;max-width:330px'>{esc(c.text)}</td>"
        f"<td class=name style='white-space:normal;max-width:420px'>{esc(c.figure)}</td>"
        f"<td class='{_verdict_class(c.verdict)}'>{esc(c.verdict)}</td>"
        f"<td class=name style='white-space:normal;max-width:260px'><code>{esc(c.command)}</code><br>"
        f"<span class=meta>{esc(c.how)}</span></td></tr>" for c in cl)
    return (f"<p class=meta>Machine: {esc(machine)}</p><table><tr><th>#</th><th class=name>claim</th>"
            f"<th class=name>measured here</th><th>verdict</th><th class=name>command</th></tr>{rows}</table>")


def _geomean_html(lines: list[Line]) -> str:
    gm = geomeans(lines)
    if not gm:
        return ""
    cells = "".join(f"<tr><td class=name>{esc(k)}</td><td>{v:.2f}</td></tr>" for k, v in sorted(gm.items(), key=lambda kv: kv[1]))
    return ("<p class=meta>Geometric mean over the full-size workloads each engine ran correctly (ours:* ran the real "
            "programs only, in a separate run with its own native64 baseline).</p>"
            f"<table><tr><th class=name>engine</th><th>geometric mean x native64</th></tr>{cells}</table>")


def _ladder_html(ladder: list[dict]) -> str:
    rows = "".join(
        f"<tr><td class=name>{esc(r['rung'])}</td><td class=name>{esc(r['cache'])}</td><td>{r['n']}</td>"
        f"<td>{duration(r['median'])}</td><td>[{duration(r['lo'])}, {duration(r['hi'])}]</td><td>{duration(r.get('min', math.nan))}</td>"
        f"<td class=name>{esc(r['outcome'] if r['outcome'] != 'ok' else '')} {esc(r['message'] or '')}</td>"
        f"<td class=name><code>{esc(' '.join(r['argv']) if isinstance(r['argv'], list) else (r['argv'] or r['method']))}</code></td></tr>"
        for r in ladder)
    return ("<p class=meta>On a shared machine short rungs are bimodal (a process that has to wait for a CPU takes "
            "milliseconds instead of a fraction of one): the minimum is shown next to the median.</p>"
            "<table><tr><th class=name>rung</th><th class=name>cache</th><th>n</th><th>median</th><th>95% CI</th><th>min</th>"
            f"<th class=name>outcome</th><th class=name>command / method</th></tr>{rows}</table>")


def _pointer_html(lines: list[Line]) -> str:
    workloads, table = pointer_study(lines)
    rows = ""
    for wl in workloads:
        n32, w32 = table[wl]["native32"], table[wl]["wasm32"]
        rows += (f"<tr><td class=name>{esc(wl)}</td><td>1.00</td>"
                 f"<td>{fmt(n32.ratio) if n32 and n32.outcome == 'ok' else esc(n32.outcome if n32 else '-')}</td>"
                 f"<td>{fmt(w32.ratio) if w32 else '-'}</td><td class=name>{esc(w32.engine if w32 else '')}</td>"
                 f"<td class=na>not built</td></tr>")
    return ("<p class=meta>wasm64 is not built: <code>zig cc -target wasm64-wasi</code> stops with \"unable to "
            "provide libc for target wasm64-wasi\" (zig ships no wasm64 WASI libc), so the 64-bit-pointer wasm column "
            "stays empty; the build record in the cache keeps the message.</p>"
            "<table><tr><th class=name>workload</th><th>native64</th><th>native32</th><th>wasm32</th>"
            f"<th class=name>wasm32 engine</th><th>wasm64</th></tr>{rows}</table>")


def _compile_html(points: list[dict]) -> str:
    rows = "".join(f"<tr><td class=name>{esc(p['engine'])}</td><td class=name>{esc(p['program'])}</td>"
                   f"<td>{duration(p['compile'])}</td><td>{fmt(p['exec_ratio'])}</td></tr>" for p in points)
    return ("<table><tr><th class=name>tier</th><th class=name>program / workload</th><th>compile (median)</th>"
            f"<th>execution x native64</th></tr>{rows}</table>")


def _memory_html(piv: pd.DataFrame) -> str:
    """``piv``: ``analysis.studies.memory_medians``, KiB per (workload, engine) and metric."""
    if piv.empty:
        return "<p class=meta>No memory figures.</p>"
    rows = "".join(
        f"<tr><td class=name>{esc(f)}</td><td class=name>{esc(label)}</td>"
        f"<td>{fmt(r.get('peak_rss', math.nan) / 1024, '.1f')}</td><td>{fmt(r.get('vm_peak', math.nan) / 1024, '.0f')}</td></tr>"
        for (f, label), r in piv.iterrows())
    return ("<p class=meta>Peak RSS is the kernel's ru_maxrss of the finished process and the children it waited "
            "for (the kernel batches RSS counters, so tiny processes read a little low); reserved virtual memory is "
            "VmPeak of the started process, sampled while it ran (a lower bound; for ours:* that process is the "
            "<code>harness run</code> front end, not the engine child). wasm engines reserve the 4 GiB linear memory "
            "plus guard regions up front.</p><table><tr><th class=name>workload</th>"
            f"<th class=name>engine</th><th>peak RSS MiB</th><th>VmPeak MiB</th></tr>{rows}</table>")


def _crosscheck_html(xdf) -> str:
    if xdf is None or xdf.empty:
        return "<p class=meta>No cross-check stored: run <code>harness perf crosscheck</code>.</p>"
    rows = ""
    for _, r in xdf.iterrows():
        e = r["extra"]
        cls = "" if r["outcome"] == "ok" else " class='outcome-fail'"
        rows += (f"<tr><td class=name>{esc(r['file'])}</td><td class=name>{esc(r['engine'])}</td>"
                 f"<td>{fmt(e.get('stored_median'), '.3f')}</td><td>{fmt(e.get('harness_median'), '.3f')}</td>"
                 f"<td>{fmt(e.get('hyperfine_median'), '.3f')}</td><td{cls}>{fmt(r['value'] * 100, '+.1f')}%</td>"
                 f"<td>{fmt((e.get('cpu_diff') if e.get('cpu_diff') is not None else math.nan) * 100, '+.1f')}%</td>"
                 f"<td>{fmt(e.get('loadavg'), '.1f')}</td><td class=name><code>{esc(e.get('command'))}</code></td></tr>")
    return ("<p class=meta>The same command lines timed by hyperfine and by the harness alternately in the same "
            "time window (one harness run, two hyperfine runs, repeated; medians in seconds); the wall-time "
            "difference should stay within 10%. CPU time (user+sys) is compared too: it is far less sensitive "
            "to other jobs on the machine.</p><table><tr>"
            "<th class=name>workload</th><th class=name>engine</th><th>stored</th><th>harness</th><th>hyperfine</th>"
            f"<th>wall: harness/hyperfine-1</th><th>CPU: harness/hyperfine-1</th><th>loadavg</th><th class=name>command</th></tr>{rows}</table>")


def _table_html(lines: list[Line]) -> str:
    rows = ""
    for ln in lines:
        status = ln.verdict if ln.outcome == "ok" else ln.outcome
        cls = "" if ln.outcome == "ok" else " class='outcome-fail'"
        rows += (f"<tr><td class=name>{esc(ln.workload)}</td><td class=name>{esc(ln.size_class)}</td>"
                 f"<td class=name>{esc(ln.engine)}</td><td>{ln.n}</td><td>{fmt(ln.median, '.3f')}</td>"
                 f"<td>[{fmt(ln.lo, '.3f')}, {fmt(ln.hi, '.3f')}]</td><td>{fmt(ln.ratio)}</td>"
                 f"<td>[{fmt(ln.ratio_lo)}, {fmt(ln.ratio_hi)}]</td><td{cls}>{esc(status)}</td>"
                 f"<td class=name style='white-space:normal'>{esc(ln.message[:200])} {esc(ln.warning)}</td>"
                 f"<td class=name style='white-space:normal;max-width:420px'><code>{esc(ln.argv)}</code></td></tr>")
    return ("<table><tr><th class=name>workload</th><th class=name>size</th><th class=name>engine</th><th>n</th>"
            "<th>median s</th><th>95% CI</th><th>x native64</th><th>ratio CI</th><th>verdict</th>"
            f"<th class=name>notes</th><th class=name>command (stdin/stdout redirected)</th></tr>{rows}</table>")

