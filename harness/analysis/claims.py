"""The claims of docs/CLAIMS (the project's list of public claims about wasm runtimes), each answered
from stored figures with a verdict: holds / does not hold / can't tell here, the command that measured
it and how.  Claims 1-6 come from perf lines, the startup ladder and compile points; claim 7 from
conformance rows (``analysis.sandbox``)."""

from __future__ import annotations

import math
from dataclasses import dataclass

from .perf_table import REAL, Geomean, Line, geomean_figures
from .pointer_width import CONTROL, EFFECT_RULE, POINTER_HEAVY, WidthEffect, deciding_effect
from .runs import BASELINE, EMULATED
from .stats import firm, geomean
from .studies import find_line, pointer_study
from .units import duration, fmt


@dataclass
class Claim:
    number: int
    text: str
    figure: str
    verdict: str  # holds / does not hold / can't tell here
    command: str
    how: str


COMPRESSION = ("gzip-compress", "gzip-decompress", "bzip2-compress", "bzip2-decompress")
NOISY = "can't tell (noisy: rerun with --repeat 10 on an idle machine)"


def verdict_of(*answers: bool | None) -> str:
    """A claim's verdict from its conditions, each answered by ``stats.firm``: it holds when every one is
    inside its bounds, does not hold when any is outside, and otherwise an interval straddles a threshold."""
    if any(a is False for a in answers):
        return "does not hold"
    if all(a is True for a in answers):
        return "holds"
    return NOISY


def _bounds(g: Geomean) -> str:
    return f"[{fmt(g.lo)}, {fmt(g.hi)}]" if not math.isnan(g.lo) else "[n/a: single repeats]"


def claims(lines: list[Line], ladder: list[dict], compile_points: list[dict], command: str,
           sandbox: tuple[str, str, str], commands: dict[str, str] | None = None,
           emulation_run: tuple[list[Line], str] | None = None, startup_command: str = "",
           pointer_width: list[WidthEffect] | None = None,
           pointer_width_cpu: list[WidthEffect] | None = None) -> list[Claim]:
    """Claims 1-7 in order.  ``command`` is the newest throughput run's, ``commands`` the run behind each
    engine's lines, ``startup_command`` the ladder's run; ``sandbox`` is ``sandbox_claim_figure``'s
    (figure, verdict, command) for claim 7; ``pointer_width`` is ``pointer_width.width_effects``' (claim 2's
    mechanism: wasm32 against wasm64 on the same engine), ``pointer_width_cpu`` the same from CPU time, quoted
    next to it (the verdict stays the wall-time figure's, as every verdict of the report)."""
    # Claims are about real programs: geometric means over gzip/bzip2/sqlite, not the microbenchmarks.
    gm = geomean_figures(lines, REAL)
    commands = commands or {}
    out = []
    # 1: LLVM tier within 5-10%
    llvm = {k: v for k, v in gm.items() if "llvm" in k}
    if llvm:
        best = min(llvm.items(), key=lambda kv: kv[1].value)
        v = verdict_of(firm(best[1].lo, best[1].hi, high=1.10))
        real = [ln for ln in lines if ln.engine == best[0] and ln.outcome == "ok" and ln.size_class == "full"
                and not ln.workload.startswith("micro-")]
        per = ", ".join(f"{ln.workload} {ln.ratio:.2f}x" for ln in real)
        failed = [ln for ln in lines if ln.engine == best[0] and ln.outcome != "ok"]
        fig = (f"{best[0]}: geometric mean {best[1].value:.2f}x native64 {_bounds(best[1])} over "
               f"{len(best[1].workloads)} {REAL}" + (f" ({per})" if per else "") + "; holds when within 1.10x")
        if best[0].startswith("ours:"):
            slowest = max((ln.hi for ln in real if not math.isnan(ln.hi)), default=math.nan)
            fig += (" - whole process (Python start, loading or compiling the module, execution). Our engine "
                    "keeps compiled code between processes: the first run of each program compiles "
                    f"(slowest run {duration(slowest)}), the medians are runs that found it compiled")
        if failed:
            fig += "; not measured correctly: " + ", ".join(f"{ln.workload} {ln.outcome}" for ln in failed)
        out.append(Claim(1, "An LLVM-based wasm tier runs real programs within about 5-10% of native code.",
                         fig, v, commands.get(best[0], command), "throughput"))
    else:
        best = min(((k, v) for k, v in gm.items() if not k.startswith("native")), key=lambda kv: kv[1].value,
                   default=None)
        fig = "no LLVM-based tier was measured on real programs (ours:llvm not in this checkout, wasmer:llvm not built)"
        if best:
            fig += f"; fastest tier measured: {best[0]} at {best[1].value:.2f}x native64 (geometric mean)"
        out.append(Claim(1, "An LLVM-based wasm tier runs real programs within about 5-10% of native code.",
                         fig, "can't tell here", command, "throughput"))
    # 2: compression + pointer size
    figs, faster, slower = [], 0, 0
    for wl in COMPRESSION:
        best = None
        for eng in ("wasmtime:cranelift (precompiled)", "wasmtime:cranelift", "v8:turbofan"):
            ln = find_line(lines, wl, eng)
            if ln and ln.outcome == "ok":
                best = ln
                break
        n32 = find_line(lines, wl, "native32")
        if best:
            figs.append(f"{wl}: wasm32 ({best.engine}) {best.ratio:.2f}x [{fmt(best.ratio_lo)}, {fmt(best.ratio_hi)}]"
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
    compression = len([f for f in figs if f.startswith(("gzip", "bzip2"))])
    if not compression:
        v2 = "can't tell here"
    elif faster:
        v2 = "holds"
    elif slower == compression:
        v2 = "does not hold"
    else:  # a compression ratio whose interval straddles 1
        v2 = NOISY
    v2, width_fig = _pointer_mechanism(v2, pointer_width or [], bool(compression), pointer_width_cpu or [])
    if width_fig:
        figs.append(width_fig)
    deciding = deciding_effect(pointer_width or [])
    cmd2 = commands.get("native32", command)
    width_cmd = commands.get(f"{deciding.engine} [wasm64]") if deciding else None
    if width_cmd and width_cmd != cmd2:
        cmd2 = f"{cmd2}  (pointer width: {width_cmd})" if compression else width_cmd
    out.append(Claim(2, "On compression benchmarks wasm was measured 8-9% slower on one and ~30% faster than "
                        "native on another, because wasm32 pointers are half the size.",
                     "; ".join(figs) or "no compression workload measured", v2, cmd2,
                     "pointer study: native64 vs native32 vs wasm32, and wasm32 vs wasm64 on the same engine "
                     "(freestanding builds of the micro programs: no wasm64 libc exists); the 'because' "
                     f"part {EFFECT_RULE}"))
    # 3: V8 vs native
    tf = gm.get("v8:turbofan")
    lo = gm.get("v8:liftoff")
    tf_points = [p for p in compile_points if p["engine"] == "v8:turbofan" and not p["workload"].startswith("micro-")
                 and not math.isnan(p["exec_ratio"])]
    tf_exec = Geomean(geomean([p["exec_ratio"] for p in tf_points]), geomean([p["exec_lo"] for p in tf_points]),
                      geomean([p["exec_hi"] for p in tf_points]), [p["workload"] for p in tf_points])
    if tf is not None:
        # The paper timed execution inside a browser, so the verdict uses the execute phase (node driver,
        # performance.now() around _start); the whole-process figure is shown as well.
        basis = tf_exec if tf_points else tf
        v3 = verdict_of(firm(basis.lo, basis.hi, 1.3, 1.7))
        fig = (f"v8:turbofan on {REAL}: execution only {fmt(tf_exec.value)}x native64 "
               f"{_bounds(tf_exec) if tf_points else ''} (includes any TurboFan compilation V8 defers to first call), "
               f"whole process (node start + compile + run) {tf.value:.2f}x {_bounds(tf)} "
               "(geometric means; 'holds' when execution is within 1.3-1.7x)")
        if lo is not None:
            fig += f"; v8:liftoff {lo.value:.2f}x"
        fig += "; asm.js/JS not measured"
    else:
        v3, fig = "can't tell here", f"no V8 tier measured on {REAL}"
    out.append(Claim(3, "Browser wasm runs 1.45-1.55x native on SPEC (Not So Fast, ATC 2019); asm.js/JS 2-3x.",
                     fig, v3, commands.get("v8:turbofan", commands.get("v8:liftoff", command)),
                     "V8 tiers vs native64 on the same workloads"))
    # 4: baseline vs optimising compiler, for every pair of tiers of one runtime measured here
    v4, fig, basis = _claim4(compile_points)
    out.append(Claim(4, "Baseline (singlepass) compilers compile much faster but produce slower code "
                        "(15-20x faster compile, 1.1-1.5x slower code).", fig, v4,
                     commands.get(f"{basis} (precompiled)", commands.get(basis, command)),
                     "compile time vs execution time per tier"))
    # 5: container vs wasm start
    dock = [r for r in ladder if r["engine"] == "docker" and r["n"] and r["cache"] == "warm"]
    inst = [r for r in ladder if r["engine"] == "wasmtime-py" and r["n"] and r["cache"] == "in-memory"]
    if dock and inst:
        d, w = dock[0], min(inst, key=lambda r: r["median"])
        v5 = verdict_of(firm(d["lo"], d["hi"], low=0.1), firm(w["lo"], w["hi"], high=1e-3))
        fig = (f"docker run (warm) {duration(d['median'])} [{duration(d['lo'])}, {duration(d['hi'])}], n={d['n']}; "
               f"wasm instantiate+run in-process {duration(w['median'])} [{duration(w['lo'])}, {duration(w['hi'])}], "
               f"n={w['n']} ({d['median'] / w['median']:,.0f}x); holds when docker >= 100 ms and wasm < 1 ms")
    else:
        v5, fig = "can't tell here", "the startup ladder lacks the docker or in-process rungs (Docker not reachable?)"
    out.append(Claim(5, "A container needs at least 100-150 ms to start, a wasm module starts in microseconds.",
                     fig, v5, startup_command or command, "startup ladder"))
    # 6: from the newest run that measured qemu-user, so every figure of it was measured side by side
    out.append(claim6(*emulation_run) if emulation_run else claim6(lines, command, commands))
    out.append(Claim(7, "A wasm module can touch nothing of the host that it was not explicitly given.", *sandbox,
                     "WASI sandbox escape program + spec assert_unlinkable checks"))
    return out


def _pointer_mechanism(v2: str, effects: list[WidthEffect], compression: bool,
                       cpu_effects: list[WidthEffect] = ()) -> tuple[str, str]:
    """Claim 2's verdict once its 'because' part is measured, and the sentence that shows it.

    The claim credits wasm32's speed on compression to its half-size pointers.  When doubling them (the
    wasm64 build on the same engine) firmly costs the pointer-heavy programs no more than the control, that
    explanation does not hold whatever the compression figures say; when it firmly does, the compression
    figures decide; an interval that straddles the threshold leaves a 'holds' in doubt."""
    e = deciding_effect(effects)
    if e is None:
        return v2, ""
    if not e.complete:
        missing = sorted(set(POINTER_HEAVY) - set(e.workloads)) + ([] if e.control else [CONTROL])
        return v2, (f"pointer width (wasm64/wasm32, same engine): {e.engine} measured only "
                    f"{', '.join(e.workloads)} correctly (missing {', '.join(missing)}): can't tell the mechanism")
    c = e.control
    assert c is not None
    fig = (f"pointer width on the same engine ({e.engine}{'' if e.size_class == 'full' else ', small size'}, "
           f"freestanding builds): wasm64/wasm32 {e.pointer:.2f}x [{fmt(e.pointer_lo)}, {fmt(e.pointer_hi)}] on the "
           f"pointer-heavy programs (geometric mean of {len(e.workloads)}), {c.ratio:.2f}x [{fmt(c.lo)}, {fmt(c.hi)}] on "
           f"the control (matmul); pointer effect {e.effect:.2f}x [{fmt(e.lo)}, {fmt(e.hi)}]; the pointer-size "
           f"explanation: {e.verdict}")
    cpu = next((x for x in cpu_effects if (x.engine, x.size_class) == (e.engine, e.size_class) and x.complete), None)
    if cpu is not None:
        fig += f" (from CPU time: pointer effect {cpu.effect:.2f}x [{fmt(cpu.lo)}, {fmt(cpu.hi)}], {cpu.verdict})"
    others = [x for x in effects if x is not e and x.complete]
    if others:
        fig += " (other engines' pointer effect: " + ", ".join(
            f"{x.engine}{'' if x.size_class == 'full' else ' small'} {x.effect:.2f}x" for x in others) + ")"
    if e.answer is False:
        return "does not hold", fig
    if e.answer is None and v2 == "holds":
        return (e.verdict if e.confounded else NOISY), fig
    if e.answer is True and not compression:
        return "can't tell here", fig + "; compression not measured"
    return v2, fig


NOT_WASM = (BASELINE, "native32", EMULATED)
# Claim 6's verdict rule: emulation must cost at least 3x (the claim says ~5x) while the best wasm tier
# stays within 1.5x of native on the same workloads ("runs at native speed", allowing for a JIT's compile
# time in a whole-process figure).
EMULATED_MIN, WASM_MAX = 3.0, 1.5
CLAIM6_RULE = (f"holds when the emulated build is >= {EMULATED_MIN:g}x native64 and the best wasm tier "
               f"<= {WASM_MAX:g}x, both geometric means over the same full-size workloads")


def _geo(lns: list[Line]) -> Geomean:
    """The geometric mean of these lines' ratios with the geometric means of their interval ends."""
    los, his = [ln.ratio_lo for ln in lns], [ln.ratio_hi for ln in lns]
    bounded = not any(math.isnan(x) for x in los + his)
    return Geomean(geomean([ln.ratio for ln in lns]), geomean(los) if bounded else math.nan,
                   geomean(his) if bounded else math.nan, [ln.workload for ln in lns])


def _ok_full(lines: list[Line], engine: str) -> dict[str, Line]:
    return {ln.workload: ln for ln in lines if ln.engine == engine and ln.size_class == "full"
            and ln.outcome == "ok" and not math.isnan(ln.ratio)}


def claim6(lines: list[Line], command: str = "", commands: dict[str, str] | None = None) -> Claim:
    """Claim 6 from stored lines: the foreign-architecture build under qemu-user against native64, next
    to the best wasm tier on the same workloads (the mirror image of x86 emulated on ARM)."""
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
    w = _ok_full(lines, eng)
    emu_g, wasm_g = _geo([emu[wl] for wl in common]), _geo([w[wl] for wl in common])
    verdict = verdict_of(firm(emu_g.lo, emu_g.hi, low=EMULATED_MIN), firm(wasm_g.lo, wasm_g.hi, high=WASM_MAX))
    per = ", ".join(f"{wl} {emu[wl].ratio:.2f}x" for wl in common)
    fig = (f"emulated ({emulator}): {emu_g.value:.2f}x native64 {_bounds(emu_g)}; wasm ({eng}, whole process incl. "
           f"any compilation): {wasm_g.value:.2f}x native64 {_bounds(wasm_g)} - geometric means over the same "
           f"{len(common)} workloads "
           f"(emulated per workload: {per})")
    real = [wl for wl in common if not wl.startswith("micro-")]
    if real and len(real) < len(common):
        fig += (f"; real programs only ({len(real)}): emulated {geomean([emu[wl].ratio for wl in real]):.2f}x, "
                f"wasm {geomean([w[wl].ratio for wl in real]):.2f}x")
    fig += broken
    if commands.get(eng) and commands.get(eng) != cmd:
        cmd += f"  (wasm figure: {commands[eng]})"
    return Claim(6, text, fig, verdict, cmd, how)


# (baseline, optimising) tiers of one runtime; the first pair measured decides claim 4: our own tiers are
# the claim's own comparison (a singlepass compiler against an LLVM one), then wasmtime's, then V8's
BASELINE_PAIRS = (("ours:singlepass", "ours:llvm"), ("wasmtime:winch", "wasmtime:cranelift"),
                  ("v8:liftoff", "v8:turbofan"))


def _claim4(compile_points: list[dict]) -> tuple[str, str, str]:
    """Verdict, figure and deciding engine of claim 4: per pair, the geometric means over the programs both
    tiers compiled and ran of the compile speed-up and of the code's slowdown (with its interval)."""
    by = {(p["engine"], p["program"]): p for p in compile_points}
    parts, verdict, basis = [], None, BASELINE_PAIRS[1][0]
    for base, opt in BASELINE_PAIRS:
        pairs = []
        for (eng, prog), p in by.items():
            c = by.get((opt, prog))
            if eng != base or c is None or not p["compile"] or not c["compile"]:
                continue
            if math.isnan(p["exec_ratio"]) or math.isnan(c["exec_ratio"]):
                continue
            pairs.append((c["compile"] / p["compile"], p["exec_ratio"] / c["exec_ratio"],
                          p["exec_lo"] / c["exec_hi"], p["exec_hi"] / c["exec_lo"]))
        if not pairs:
            continue
        gc, ge, ge_lo, ge_hi = (geomean([x[i] for x in pairs]) for i in range(4))
        # The claim names magnitudes, so the direction alone is not enough: "holds" needs a compile speed-up
        # of at least 10x (the claimed 15-20x with slack for noise) and code at most 1.6x slower.  Compile
        # times are medians of a few runs (no interval); the code's slowdown has one.
        v = verdict_of(gc >= 10, firm(ge_lo, ge_hi, 1.0, 1.6))
        text = (f"{base} compiles {gc:.1f}x faster than {opt} and its code runs {ge:.2f}x slower "
                f"[{fmt(ge_lo)}, {fmt(ge_hi)}] over {len(pairs)} programs ({v})")
        if v == "does not hold" and gc > 1 and ge > 1:
            text += ": the direction holds, the claimed compile-speed magnitude does not"
        parts.append(text)
        if verdict is None:
            verdict, basis = v, base
    if verdict is None:
        return ("can't tell here", "needs a baseline and an optimising tier of one runtime with --metrics compile "
                "(ours:singlepass and ours:llvm, wasmtime:winch and wasmtime:cranelift, or V8's)", basis)
    return (verdict, "; ".join(parts) + f" (geometric means; claimed 15-20x and 1.1-1.5x; holds when >= 10x and "
            f"<= 1.6x; the verdict is {basis}'s)", basis)
