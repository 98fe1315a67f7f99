"""The perf report (``harness report perf``): HTML with matplotlib charts, from stored results alone.

The first section answers each claim of docs/CLAIMS (the project's list of public claims about wasm
runtimes) with the measured figure, a verdict (holds / does not hold / can't tell here), the command
that measured it and the machine it ran on.  Then: throughput normalised to native, the startup
ladder, the pointer study, compile time against execution speed, memory, and the full table with the
command line behind every figure.
"""

from __future__ import annotations

import json
import math
import time
from dataclasses import dataclass
from pathlib import Path

from ..perf.stats import ratio, summarize
from ..perf.table import Line, geomeans, summarize_rows
from ..results.store import ResultsStore
from .html import esc
from .sandbox_claim import sandbox_claim_figure

TEMPLATE = Path(__file__).parent / "templates" / "perf.html"
BASELINE = "native64"


@dataclass
class Claim:
    number: int
    text: str
    figure: str
    verdict: str  # holds / does not hold / can't tell here
    command: str
    how: str


def _fmt(x: float | None, spec: str = ".2f") -> str:
    return "-" if x is None or (isinstance(x, float) and math.isnan(x)) else format(x, spec)


def _ms(x: float) -> str:
    if x is None or math.isnan(x):
        return "-"
    return f"{x * 1e6:.0f} µs" if x < 1e-3 else (f"{x * 1000:.1f} ms" if x < 1 else f"{x:.2f} s")


def _merged(store: ResultsStore) -> tuple[list[Line], object, dict | None, dict[str, str]]:
    """Lines of every perf run, the newest run winning per (workload, size, engine).

    Each run carries its own baseline, so every ratio stays one measured side by side; a later run
    that adds an engine (say ``--engines ours:llvm,native64``) adds its lines without replacing the
    others.  Returns the lines, the rows of the runs used, the newest run, and per engine label the
    command of the run its lines come from.
    """
    import pandas as pd

    merged: dict[tuple[str, str, str], Line] = {}
    commands: dict[str, str] = {}
    sources: dict[str, str] = {}
    frames, newest, runs = [], None, []
    for run in store.runs("perf"):
        if (run.get("extra") or {}).get("crosscheck_of"):
            continue
        df = store.dataframe([run["run_id"]], suite="perf")
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


def _latest(store: ResultsStore, suite: str) -> tuple[dict | None, object]:
    """The newest perf run that has rows of ``suite``, and those rows."""
    for run in reversed(store.runs("perf")):
        df = store.dataframe([run["run_id"]], suite=suite)
        if not df.empty:
            return run, df
    return None, None


def _emulation_run(store: ResultsStore) -> tuple[list[Line], str] | None:
    """Lines and command of the newest perf run that measured the qemu-user engine (claim 6): its
    emulated, native and wasm figures come from the same run, inputs and machine state."""
    for run in reversed(store.runs("perf")):
        if (run.get("extra") or {}).get("crosscheck_of"):
            continue
        df = store.dataframe([run["run_id"]], suite="perf")
        if not df.empty and (df["engine"] == EMULATED).any():
            return summarize_rows(df, BASELINE), run.get("command") or ""
    return None


def _find(lines: list[Line], workload: str, engine: str, size: str = "full") -> Line | None:
    return next((ln for ln in lines if ln.workload == workload and ln.engine == engine and ln.size_class == size), None)


# -- charts -----------------------------------------------------------------------------------------
def _plt():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


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
            ln = _find(rows, wl, eng)
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
    fig.tight_layout()
    path = out / "throughput.png"
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


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
        ax.text(max(r["median"], r["hi"]) * 1.15, i, _ms(r["median"]), va="center", fontsize=7)
    ax.set_yticks(range(len(rows)), names, fontsize=8)
    ax.invert_yaxis()
    ax.set_xscale("log")
    ax.set_xlim(right=max(max(r["hi"] for r in rows), max(meds)) * 6)
    ax.set_xlabel("time to run a program that does nothing (s, log scale)")
    ax.set_title("Startup ladder")
    fig.tight_layout()
    path = out / "startup.png"
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def pointer_study(lines: list[Line]) -> tuple[list[str], dict[str, dict[str, Line | None]]]:
    """Per workload: native32, wasm32 (best wasm tier, precompiled when measured) against native64."""
    workloads = sorted({ln.workload for ln in lines if ln.size_class == "full"})
    wasm_pref = ["wasmtime:cranelift (precompiled)", "wasmtime:cranelift", "v8:turbofan"]
    table: dict[str, dict[str, Line | None]] = {}
    for wl in workloads:
        wasm = next((_find(lines, wl, e) for e in wasm_pref if _find(lines, wl, e) and _find(lines, wl, e).outcome == "ok"), None)
        table[wl] = {"native32": _find(lines, wl, "native32"), "wasm32": wasm}
    return workloads, table


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
    fig.tight_layout()
    path = out / "pointers.png"
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def compile_vs_exec(df, lines: list[Line]) -> list[dict]:
    """Per tier: median compile time (per program) and the execution ratio of its precompiled code."""
    out = []
    # the line whose ratio goes with a compile: wasmtime's precompiled runs; ours:llvm's own runs, which
    # load the compiled code from its cache (so a whole-process ratio)
    exec_label = {"wasmtime": "wasmtime:{} (precompiled)", "ours": "ours:{}"}
    comp = df[(df["metric"] == "compile_time") & (df["outcome"] == "ok") & df["engine"].isin(list(exec_label))]
    for (engine, file, tier), g in comp.groupby(["engine", "file", "tier"]):
        s = summarize(list(g["value"]))
        used = str(g["extra"].iloc[0].get("used_by", ""))
        label = exec_label[engine].format(tier)
        ex = [ln for ln in lines if ln.engine == label and ln.workload in used.split(",") and ln.outcome == "ok"]
        out.append({"engine": f"{engine}:{tier}", "program": file.removeprefix("compile:"), "compile": s.median,
                    "exec_ratio": ex[0].ratio if ex else math.nan, "workload": ex[0].workload if ex else ""})
    ph = df[(df["metric"] == "compile_time") & (df["engine"] == "v8") & (df["outcome"] == "ok")]
    ex_rows = df[(df["metric"] == "execute_time") & (df["engine"] == "v8") & (df["outcome"] == "ok")]
    for (wl, tier), g in ph.groupby(["file", "tier"]):
        s = summarize(list(g["value"]))
        ex = ex_rows[(ex_rows["file"] == wl) & (ex_rows["tier"] == tier)]
        base = _find(lines, wl, BASELINE)
        r = (summarize(list(ex["value"])).median / base.median) if (len(ex) and base and base.median) else math.nan
        out.append({"engine": f"v8:{tier}", "program": wl, "compile": s.median, "exec_ratio": r, "workload": wl})
    return out


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
    fig.tight_layout()
    path = out / "compile.png"
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


# -- claims -----------------------------------------------------------------------------------------
COMPRESSION = ("gzip-compress", "gzip-decompress", "bzip2-compress", "bzip2-decompress")


def claims(lines: list[Line], ladder: list[dict], compile_points: list[dict], command: str,
           commands: dict[str, str] | None = None,
           emulation_run: tuple[list[Line], str] | None = None) -> list[Claim]:
    # Claims are about real programs: geometric means over gzip/bzip2/sqlite, not the microbenchmarks.
    gm = geomeans([ln for ln in lines if not ln.workload.startswith("micro-")])
    commands = commands or {}
    out = []
    # 1: LLVM tier within 5-10%
    llvm = {k: v for k, v in gm.items() if "llvm" in k}
    if llvm:
        best = min(llvm.items(), key=lambda kv: kv[1])
        v = "holds" if best[1] <= 1.10 else "does not hold"
        real = [ln for ln in lines if ln.engine == best[0] and ln.outcome == "ok" and ln.size_class == "full"
                and not ln.workload.startswith("micro-")]
        per = ", ".join(f"{ln.workload} {ln.ratio:.2f}x" for ln in real)
        failed = [ln for ln in lines if ln.engine == best[0] and ln.outcome != "ok"]
        fig = f"{best[0]}: geometric mean {best[1]:.2f}x native64" + (f" ({per})" if per else "")
        if best[0].startswith("ours:"):
            slowest = max((ln.hi for ln in real if not math.isnan(ln.hi)), default=math.nan)
            fig += (" - whole process (Python start, loading or compiling the module, execution). Our engine "
                    "keeps compiled code between processes: the first run of each program compiles "
                    f"(slowest run {_ms(slowest)}), the medians are runs that found it compiled")
        if failed:
            fig += "; not measured correctly: " + ", ".join(f"{ln.workload} {ln.outcome}" for ln in failed)
        out.append(Claim(1, "An LLVM-based wasm tier runs real programs within about 5-10% of native code.",
                         fig, v, commands.get(best[0], command), "throughput"))
    else:
        best = min(((k, v) for k, v in gm.items() if not k.startswith("native")), key=lambda kv: kv[1], default=None)
        fig = "no LLVM-based tier was measured (ours:llvm not in this checkout, wasmer:llvm not built)"
        if best:
            fig += f"; fastest tier measured: {best[0]} at {best[1]:.2f}x native64 (geometric mean)"
        out.append(Claim(1, "An LLVM-based wasm tier runs real programs within about 5-10% of native code.",
                         fig, "can't tell here", command, "throughput"))
    # 2: compression + pointer size
    figs, faster, slower = [], 0, 0
    for wl in COMPRESSION:
        best = None
        for eng in ("wasmtime:cranelift (precompiled)", "wasmtime:cranelift", "v8:turbofan"):
            ln = _find(lines, wl, eng)
            if ln and ln.outcome == "ok":
                best = ln
                break
        n32 = _find(lines, wl, "native32")
        if best:
            figs.append(f"{wl}: wasm32 ({best.engine}) {best.ratio:.2f}x [{_fmt(best.ratio_lo)}, {_fmt(best.ratio_hi)}]"
                        + (f", native32 {n32.ratio:.2f}x" if n32 and n32.outcome == "ok" else ""))
            faster += best.verdict == "faster"
            slower += best.verdict == "slower"
    _, study = pointer_study(lines)
    for wl in ("micro-linkedlist", "micro-bintrees", "micro-hashtable"):
        n32, w32 = study.get(wl, {}).get("native32"), study.get(wl, {}).get("wasm32")
        parts = []
        if n32 and n32.outcome == "ok":
            parts.append(f"native32 {n32.ratio:.2f}x")
        if w32 and w32.outcome == "ok":
            parts.append(f"wasm32 {w32.ratio:.2f}x")
        if parts:
            figs.append(f"{wl} (pointer-heavy): " + ", ".join(parts))
    if not figs:
        v2 = "can't tell here"
    elif faster:
        v2 = "holds"
    elif slower and slower == len([f for f in figs if f.startswith(("gzip", "bzip2"))]):
        v2 = "does not hold"
    else:
        v2 = "can't tell here"
    out.append(Claim(2, "On compression benchmarks wasm was measured 8-9% slower on one and ~30% faster than "
                        "native on another, because wasm32 pointers are half the size.",
                     "; ".join(figs) or "no compression workload measured", v2,
                     commands.get("native32", command),
                     "pointer study: native64 vs native32 vs wasm32 (wasm64 not buildable here)"))
    # 3: V8 vs native
    tf = gm.get("v8:turbofan")
    lo = gm.get("v8:liftoff")
    from ..perf.stats import geomean as _gm

    tf_exec = _gm([p["exec_ratio"] for p in compile_points if p["engine"] == "v8:turbofan"
                   and not p["workload"].startswith("micro-") and not math.isnan(p["exec_ratio"])])
    if tf is not None:
        # The paper timed execution inside a browser, so the verdict uses the execute phase (node driver,
        # performance.now() around _start); the whole-process figure is shown as well.
        basis = tf_exec if not math.isnan(tf_exec) else tf
        v3 = "holds" if 1.3 <= basis <= 1.7 else "does not hold"
        fig = (f"v8:turbofan on gzip, bzip2, sqlite: execution only {_fmt(tf_exec)}x native64 (includes any TurboFan "
               f"compilation V8 defers to first call), whole process (node start + compile + run) {tf:.2f}x "
               "(geometric means; 'holds' when execution is within 1.3-1.7x)")
        if lo is not None:
            fig += f"; v8:liftoff {lo:.2f}x"
        fig += "; asm.js/JS not measured"
    else:
        v3, fig = "can't tell here", "no V8 tier measured"
    out.append(Claim(3, "Browser wasm runs 1.45-1.55x native on SPEC (Not So Fast, ATC 2019); asm.js/JS 2-3x.",
                     fig, v3, commands.get("v8:turbofan", commands.get("v8:liftoff", command)),
                     "V8 tiers vs native64 on the same workloads"))
    # 4: baseline vs optimising compiler
    by = {}
    for p in compile_points:
        by.setdefault((p["engine"], p["program"]), p)
    pairs = []
    for (eng, prog), p in by.items():
        if eng == "wasmtime:winch" and ("wasmtime:cranelift", prog) in by:
            c = by[("wasmtime:cranelift", prog)]
            if p["compile"] and not math.isnan(p["exec_ratio"]) and not math.isnan(c["exec_ratio"]):
                pairs.append((prog, c["compile"] / p["compile"], p["exec_ratio"] / c["exec_ratio"]))
    if pairs:
        cs = [x[1] for x in pairs]
        es = [x[2] for x in pairs]
        from ..perf.stats import geomean

        gc, ge = geomean(cs), geomean(es)
        # The claim names magnitudes, so the direction alone is not enough: "holds" needs a compile speed-up
        # of at least 10x (the claimed 15-20x with slack for noise) and code at most 1.6x slower.
        v4 = "holds" if gc >= 10 and 1 < ge <= 1.6 else "does not hold"
        fig = (f"winch compiles {gc:.1f}x faster than cranelift and its code runs {ge:.2f}x slower (geometric means "
               f"over {len(pairs)} programs; claimed 15-20x and 1.1-1.5x; holds when >= 10x and <= 1.6x)")
        if v4 != "holds" and gc > 1 and ge > 1:
            fig += " - the direction holds, the claimed compile-speed magnitude does not"
    else:
        v4, fig = "can't tell here", "needs both wasmtime:winch and wasmtime:cranelift with --metrics compile"
    out.append(Claim(4, "Baseline (singlepass) compilers compile much faster but produce slower code "
                        "(15-20x faster compile, 1.1-1.5x slower code).", fig, v4,
                     commands.get("wasmtime:winch (precompiled)", commands.get("wasmtime:winch", command)),
                     "compile time vs execution time per tier"))
    # 5: container vs wasm start
    dock = [r for r in ladder if r["engine"] == "docker" and r["n"] and r["cache"] == "warm"]
    inst = [r for r in ladder if r["engine"] == "wasmtime-py" and r["n"] and r["cache"] == "in-memory"]
    if dock and inst:
        d, w = dock[0]["median"], min(r["median"] for r in inst)
        v5 = "holds" if d >= 0.1 and w < 1e-3 else "does not hold"
        fig = f"docker run (warm) {_ms(d)}; wasm instantiate+run in-process {_ms(w)} ({d / w:,.0f}x)"
    else:
        v5, fig = "can't tell here", "the startup ladder lacks the docker or in-process rungs (Docker not reachable?)"
    out.append(Claim(5, "A container needs at least 100-150 ms to start, a wasm module starts in microseconds.",
                     fig, v5, command.replace("--metrics", "--metrics") if command else "", "startup ladder"))
    # 6: from the newest run that measured qemu-user, so every figure of it was measured side by side
    out.append(claim6(*emulation_run) if emulation_run else claim6(lines, command, commands))
    out.append(Claim(7, "A wasm module can touch nothing of the host that it was not explicitly given.",
                     "not a performance figure: see the WASI sandbox tests of the conformance report",
                     "can't tell here", "harness wasi", "WASI sandbox escape tests"))
    return out


EMULATED = "qemu-user"
NOT_WASM = (BASELINE, "native32", EMULATED)
# Claim 6's verdict rule: emulation must cost at least 3x (the claim says ~5x) while the best wasm tier
# stays within 1.5x of native on the same workloads ("runs at native speed", allowing for a JIT's compile
# time in a whole-process figure).
EMULATED_MIN, WASM_MAX = 3.0, 1.5
CLAIM6_RULE = (f"holds when the emulated build is >= {EMULATED_MIN:g}x native64 and the best wasm tier "
               f"<= {WASM_MAX:g}x, both geometric means over the same full-size workloads")


def _ok_full(lines: list[Line], engine: str) -> dict[str, Line]:
    return {ln.workload: ln for ln in lines if ln.engine == engine and ln.size_class == "full"
            and ln.outcome == "ok" and not math.isnan(ln.ratio)}


def claim6(lines: list[Line], command: str = "", commands: dict[str, str] | None = None) -> Claim:
    """Claim 6 from stored lines: the foreign-architecture build under qemu-user against native64, next
    to the best wasm tier on the same workloads (the mirror image of x86 emulated on ARM)."""
    from ..perf.stats import geomean

    commands = commands or {}
    text = "An x86 container emulated on ARM runs ~5x slower; wasm runs at native speed on either."
    how = ("mirror image on this machine: the same program built for the other 64-bit architecture, run under "
           "qemu user-mode emulation, vs native64 vs wasm compiled for the host; rule: " + CLAIM6_RULE)
    cmd = commands.get(EMULATED, command) or "harness perf --engines native64,qemu-user,wasmtime:cranelift"
    emu = _ok_full(lines, EMULATED)
    bad = [ln for ln in lines if ln.engine == EMULATED and ln.outcome != "ok"]
    broken = ("; not measured correctly: " + ", ".join(f"{ln.workload} {ln.outcome}" for ln in bad)) if bad else ""
    if not emu:
        why = (f"{EMULATED} was not measured" if not bad else f"{EMULATED} produced no correct run")
        return Claim(6, text, f"{why} (run the command with qemu-user-static installed){broken}",
                     "can't tell here", cmd, how)
    emulator = next((ln.argv.split()[0].rsplit("/", 1)[-1] for ln in emu.values() if ln.argv), EMULATED)
    wasm_engines = sorted({ln.engine for ln in lines if ln.engine not in NOT_WASM})
    best = None  # (workloads in common, wasm geomean, engine)
    for eng in wasm_engines:
        common = sorted(set(emu) & set(_ok_full(lines, eng)))
        if not common:
            continue
        w = _ok_full(lines, eng)
        cand = (common, geomean([w[wl].ratio for wl in common]), eng)
        if best is None or (len(cand[0]), -cand[1]) > (len(best[0]), -best[1]):
            best = cand
    if best is None:
        g = geomean([ln.ratio for ln in emu.values()])
        per = ", ".join(f"{wl} {ln.ratio:.2f}x" for wl, ln in sorted(emu.items()))
        return Claim(6, text, f"{emulator}: geometric mean {g:.2f}x native64 over {len(emu)} workloads ({per}); "
                              f"no wasm tier measured on the same workloads{broken}", "can't tell here", cmd, how)
    common, wasm_g, eng = best
    emu_g = geomean([emu[wl].ratio for wl in common])
    verdict = "holds" if emu_g >= EMULATED_MIN and wasm_g <= WASM_MAX else "does not hold"
    per = ", ".join(f"{wl} {emu[wl].ratio:.2f}x" for wl in common)
    fig = (f"emulated ({emulator}): {emu_g:.2f}x native64; wasm ({eng}, whole process incl. any compilation): "
           f"{wasm_g:.2f}x native64 - geometric means over the same {len(common)} workloads "
           f"(emulated per workload: {per})")
    real = [wl for wl in common if not wl.startswith("micro-")]
    if real and len(real) < len(common):
        w = _ok_full(lines, eng)
        fig += (f"; real programs only ({len(real)}): emulated {geomean([emu[wl].ratio for wl in real]):.2f}x, "
                f"wasm {geomean([w[wl].ratio for wl in real]):.2f}x")
    fig += broken
    if commands.get(eng) and commands.get(eng) != cmd:
        cmd += f"  (wasm figure: {commands[eng]})"
    return Claim(6, text, fig, verdict, cmd, how)


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
    with ResultsStore(store_path) as store:
        lines, df, run, commands = _merged(store)
        srun, sdf = _latest(store, "perf-startup")
        _, xdf = _latest(store, "perf-crosscheck")
        emulation = _emulation_run(store)
        sandbox = sandbox_claim_figure(store)
    from ..perf.startup import ladder_summary

    ladder = ladder_summary(sdf) if sdf is not None else []
    points = compile_vs_exec(df, lines) if df is not None else []
    command = (run or {}).get("command", "") or ""
    scommand = (srun or {}).get("command", "") or ""
    cl = claims(lines, ladder, points, command, commands, emulation_run=emulation)
    for c in cl:
        if c.number == 5:
            c.command = scommand or c.command
        if c.number == 7:  # answered by the conformance rows (WASI escape program, assert_unlinkable)
            c.figure, c.verdict, c.command = sandbox
            c.how = "WASI sandbox escape program + spec assert_unlinkable checks"
    charts = {
        "throughput": chart_throughput(lines, out),
        "startup": chart_ladder(ladder, out),
        "pointers": chart_pointers(lines, out),
        "compile": chart_compile(points, out),
    }
    html = TEMPLATE.read_text()
    html = html.replace("{{TITLE}}", "Performance of WebAssembly engines against native code")
    sub = (f"Generated {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())} from {esc(store_path)}. "
           f"Throughput run {esc((run or {}).get('run_id', '-'))}, machine: {esc(_machine(run))}; "
           f"engines: {esc(json.dumps((run or {}).get('engines', {})))}")
    html = html.replace("{{SUBTITLE}}", sub)
    html = html.replace("{{CLAIMS}}", _claims_html(cl, _machine(run or srun)))
    html = html.replace("{{THROUGHPUT}}", _img(charts["throughput"], "throughput") + _geomean_html(lines))
    html = html.replace("{{STARTUP}}", _img(charts["startup"], "startup ladder") + _ladder_html(ladder))
    html = html.replace("{{POINTERS}}", _img(charts["pointers"], "pointer study") + _pointer_html(lines))
    html = html.replace("{{COMPILE}}", _img(charts["compile"], "compile vs execution") + _compile_html(points))
    html = html.replace("{{MEMORY}}", _memory_html(df))
    html = html.replace("{{TABLE}}", _table_html(lines))
    html = html.replace("{{CROSSCHECK}}", _crosscheck_html(xdf))
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
        f"<td>{_ms(r['median'])}</td><td>[{_ms(r['lo'])}, {_ms(r['hi'])}]</td><td>{_ms(r.get('min', math.nan))}</td>"
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
                 f"<td>{_fmt(n32.ratio) if n32 and n32.outcome == 'ok' else esc(n32.outcome if n32 else '-')}</td>"
                 f"<td>{_fmt(w32.ratio) if w32 else '-'}</td><td class=name>{esc(w32.engine if w32 else '')}</td>"
                 f"<td class=na>not built</td></tr>")
    return ("<p class=meta>wasm64 is not built: <code>zig cc -target wasm64-wasi</code> stops with \"unable to "
            "provide libc for target wasm64-wasi\" (zig ships no wasm64 WASI libc), so the 64-bit-pointer wasm column "
            "stays empty; the build record in the cache keeps the message.</p>"
            "<table><tr><th class=name>workload</th><th>native64</th><th>native32</th><th>wasm32</th>"
            f"<th class=name>wasm32 engine</th><th>wasm64</th></tr>{rows}</table>")


def _compile_html(points: list[dict]) -> str:
    rows = "".join(f"<tr><td class=name>{esc(p['engine'])}</td><td class=name>{esc(p['program'])}</td>"
                   f"<td>{_ms(p['compile'])}</td><td>{_fmt(p['exec_ratio'])}</td></tr>" for p in points)
    return ("<table><tr><th class=name>tier</th><th class=name>program / workload</th><th>compile (median)</th>"
            f"<th>execution x native64</th></tr>{rows}</table>")


def _memory_html(df) -> str:
    if df is None or df.empty:
        return "<p class=meta>No memory figures.</p>"
    rss = df[(df["metric"].isin(["peak_rss", "vm_peak"])) & (df["outcome"] == "ok") & (~df["file"].str.startswith("compile:"))]
    if rss.empty:
        return "<p class=meta>No memory figures.</p>"
    rss = rss.assign(label=rss["extra"].map(lambda e: e.get("label", "")))
    piv = rss.groupby(["file", "label", "metric"])["value"].median().unstack("metric")
    rows = "".join(
        f"<tr><td class=name>{esc(f)}</td><td class=name>{esc(label)}</td>"
        f"<td>{_fmt(r.get('peak_rss', math.nan) / 1024, '.1f')}</td><td>{_fmt(r.get('vm_peak', math.nan) / 1024, '.0f')}</td></tr>"
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
                 f"<td>{_fmt(e.get('stored_median'), '.3f')}</td><td>{_fmt(e.get('harness_median'), '.3f')}</td>"
                 f"<td>{_fmt(e.get('hyperfine_median'), '.3f')}</td><td{cls}>{_fmt(r['value'] * 100, '+.1f')}%</td>"
                 f"<td>{_fmt((e.get('cpu_diff') if e.get('cpu_diff') is not None else math.nan) * 100, '+.1f')}%</td>"
                 f"<td>{_fmt(e.get('loadavg'), '.1f')}</td><td class=name><code>{esc(e.get('command'))}</code></td></tr>")
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
                 f"<td class=name>{esc(ln.engine)}</td><td>{ln.n}</td><td>{_fmt(ln.median, '.3f')}</td>"
                 f"<td>[{_fmt(ln.lo, '.3f')}, {_fmt(ln.hi, '.3f')}]</td><td>{_fmt(ln.ratio)}</td>"
                 f"<td>[{_fmt(ln.ratio_lo)}, {_fmt(ln.ratio_hi)}]</td><td{cls}>{esc(status)}</td>"
                 f"<td class=name style='white-space:normal'>{esc(ln.message[:200])} {esc(ln.warning)}</td>"
                 f"<td class=name style='white-space:normal;max-width:420px'><code>{esc(ln.argv)}</code></td></tr>")
    return ("<table><tr><th class=name>workload</th><th class=name>size</th><th class=name>engine</th><th>n</th>"
            "<th>median s</th><th>95% CI</th><th>x native64</th><th>ratio CI</th><th>verdict</th>"
            f"<th class=name>notes</th><th class=name>command (stdin/stdout redirected)</th></tr>{rows}</table>")


__all__ = ["render_perf_report", "ratio"]
