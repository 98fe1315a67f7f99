"""The pointer study's wasm64 column: wasm32 against wasm64 on the same engine, from stored rows.

zig has no libc for wasm64, so the micro programs are built freestanding for both widths (``wasm32-free``
and ``wasm64``: the same allocator, printf and WASI imports, ``suites/perf/support/freestanding``) and each
engine runs both in the same run.  What differs is the pointer width, and what memory64 costs the engine
itself (a 64-bit index cannot be kept in bounds by a 4 GiB guard region, so engines check it explicitly).
The control, matmul, has no pointers in its data: its ratio is that engine cost alone.  So the pointer
effect of an engine is the pointer-heavy programs' wasm64/wasm32 ratio (their geometric mean) divided by
the control's, with bounds from the intervals' ends (the pointer-heavy lower end over the control's upper
end, and the other way round).

The control is only a partial correction: memory64's cost depends on how densely a loop touches memory
(matmul is almost all loads and stores; a pointer chase waits on cache misses that hide a bounds check).
So a pointer effect below the threshold refutes the mechanism only when the pointer-heavy programs
themselves are not slower as wasm64; when the control is firmly slower too, the engine's memory64 cost
hides the pointer width and the verdict is "can't tell".  The deciding engine is the complete one whose
control is closest to 1x: the one where memory64 costs least isolates pointer width best.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import pandas as pd

from .stats import firm, geomean, ratio, summarize
from .units import fmt

NARROW, WIDE = "wasm32-free", "wasm64"
POINTER_HEAVY = ("micro-linkedlist", "micro-hashtable", "micro-bintrees")
CONTROL = "micro-matmul"
# The claim's mechanism holds when doubling pointers costs the pointer-heavy programs at least 5% more than
# the control: an effect interval wholly at or above EFFECT_MIN.
EFFECT_MIN = 1.05
EFFECT_RULE = (f"holds when the pointer-heavy programs' wasm64/wasm32 ratio over the control's is >= {EFFECT_MIN:g}x "
               f"(the whole interval), does not hold when the pointer-heavy ratio itself is below {EFFECT_MIN:g}x, and "
               "otherwise can't tell (noisy, or memory64's own cost on the control hides the pointer width); judged "
               "on the engine whose control is closest to 1x")
# Whose figure decides the verdict: optimising compilers first (the claim is about compiled wasm), the
# first one with every pointer-heavy program and the control measured correctly.
PREFERENCE = ("wasmtime:cranelift", "v8:turbofan", "ours:llvm", "wasmtime:winch", "v8:liftoff",
              "wasmtime:cranelift (precompiled)", "wasmtime:winch (precompiled)", "wasmtime:pulley", "ours:interp")


@dataclass
class WidthLine:
    """One workload on one engine: the wasm32-free and wasm64 builds measured in the same run."""

    workload: str
    size_class: str
    engine: str  # the engine variant's label without the build
    n32: int
    n64: int
    median32: float
    median64: float
    ratio: float  # wasm64 / wasm32: above 1, the 64-bit build is slower
    lo: float
    hi: float
    verdict: str  # faster / slower / can't tell (of wasm64 against wasm32)
    outcome: str  # ok, or the first failure of either build
    message: str = ""
    run_id: str = ""


@dataclass
class WidthEffect:
    """One engine's pointer effect (``EFFECT_RULE``) at one size class."""

    engine: str
    size_class: str
    pointer: float  # geometric mean of the pointer-heavy ratios
    pointer_lo: float
    pointer_hi: float
    workloads: list[str]
    control: WidthLine | None
    effect: float
    lo: float
    hi: float
    answer: bool | None  # the rule's answer (``judge``); None: can't tell, or incomplete

    @property
    def complete(self) -> bool:
        return set(self.workloads) == set(POINTER_HEAVY) and self.control is not None

    @property
    def verdict(self) -> str:
        if not self.complete:
            return "can't tell here"
        if self.answer is None:
            return "can't tell (memory64 itself slows the control)" if self.confounded else "can't tell (noisy)"
        return "holds" if self.answer else "does not hold"

    @property
    def confounded(self) -> bool:
        """The control is firmly slower as wasm64 (beyond EFFECT_MIN): the engine's memory64 cost is large."""
        return self.control is not None and firm(self.control.lo, self.control.hi, low=EFFECT_MIN) is True


def _ok_values(g: pd.DataFrame) -> list[float]:
    return [float(v) for v in g[(g["outcome"] == "ok")]["value"].dropna()]


def width_lines(df: pd.DataFrame | None, metric: str = "wall_time") -> list[WidthLine]:
    """A line per (workload, size class, engine) that ran both freestanding builds; the last run in ``df``
    wins (``runs.merged_lines`` orders runs widest, then newest, last).

    ``metric``: ``wall_time`` (the headline, as everywhere in the report) or ``cpu_time`` (user+sys, far
    less sensitive to other jobs on a shared machine); failures are stored as wall_time rows only."""
    if df is None or df.empty:
        return []
    wt = df[(df["metric"] == metric) | ((df["metric"] == "wall_time") & (df["outcome"] != "ok"))]
    build = wt["extra"].map(lambda e: e.get("build"))
    wt = wt[build.isin([NARROW, WIDE])]
    if wt.empty:
        return []
    wt = wt.assign(build=wt["extra"].map(lambda e: e.get("build")),
                   base=wt["extra"].map(lambda e: e.get("base_label") or ""),
                   size_class=wt["item"].fillna("full"))
    chosen: dict[tuple[str, str, str], WidthLine] = {}
    for (run_id, wl, sc, base), g in wt.groupby(["run_id", "file", "size_class", "base"], sort=False):
        narrow, wide = g[g["build"] == NARROW], g[g["build"] == WIDE]
        if narrow.empty or wide.empty:
            continue
        x32, x64 = _ok_values(narrow), _ok_values(wide)
        s32, s64 = summarize(x32), summarize(x64)
        r = ratio(x64, x32)
        bad = g[g["outcome"] != "ok"]
        outcome, message = "ok", ""
        if len(bad):
            first = bad.iloc[0]
            outcome = str(first["outcome"])
            message = f"{first['build']}: {first['message'] or ''}".strip()
        chosen[(wl, sc, base)] = WidthLine(wl, sc, base, s32.n, s64.n, s32.median, s64.median, r.value, r.lo, r.hi,
                                           r.verdict, outcome, message, str(run_id))
    return sorted(chosen.values(), key=lambda ln: (ln.engine, ln.size_class, ln.workload))


def width_effects(lines: list[WidthLine]) -> list[WidthEffect]:
    """Per (engine, size class): the pointer-heavy geometric mean, the control, and the pointer effect."""
    groups: dict[tuple[str, str], list[WidthLine]] = {}
    for ln in lines:
        groups.setdefault((ln.engine, ln.size_class), []).append(ln)
    out = []
    for (engine, sc), lns in groups.items():
        good = [ln for ln in lns if ln.outcome == "ok" and not math.isnan(ln.ratio)]
        heavy = [ln for ln in good if ln.workload in POINTER_HEAVY]
        control = next((ln for ln in good if ln.workload == CONTROL), None)
        if not heavy:
            continue
        bounded = not any(math.isnan(x) for ln in heavy for x in (ln.lo, ln.hi))
        p = geomean([ln.ratio for ln in heavy])
        p_lo = geomean([ln.lo for ln in heavy]) if bounded else math.nan
        p_hi = geomean([ln.hi for ln in heavy]) if bounded else math.nan
        if control is not None:
            effect, lo, hi = p / control.ratio, p_lo / control.hi, p_hi / control.lo
        else:
            effect = lo = hi = math.nan
        out.append(WidthEffect(engine, sc, p, p_lo, p_hi, sorted(ln.workload for ln in heavy), control, effect, lo, hi,
                               judge(p_lo, p_hi, lo, hi) if control is not None else None))
    return sorted(out, key=lambda e: (_rank(e.engine), e.size_class, e.engine))


def judge(pointer_lo: float, pointer_hi: float, effect_lo: float, effect_hi: float) -> bool | None:
    """``EFFECT_RULE``: True when the effect's interval is at or above EFFECT_MIN, False when the pointer-heavy
    ratio's interval is wholly below it (doubling pointers barely costs them anything), else None."""
    if firm(effect_lo, effect_hi, low=EFFECT_MIN) is True:
        return True
    if firm(pointer_lo, pointer_hi, low=EFFECT_MIN) is False:
        return False
    return None


def _rank(engine: str) -> int:
    return PREFERENCE.index(engine) if engine in PREFERENCE else len(PREFERENCE)


def deciding_effect(effects: list[WidthEffect]) -> WidthEffect | None:
    """The engine whose figure gives the claim its verdict: among complete figures (full size before small),
    the one whose control is closest to 1x (memory64 costs it least, so pointer width shows best), then
    ``PREFERENCE`` order; an incomplete figure only when no engine has a complete one."""
    if not effects:
        return None

    def distance(e: WidthEffect) -> float:
        c = e.control.ratio if e.control else math.nan
        return abs(math.log(c)) if c > 0 else math.inf

    return min(effects, key=lambda e: (not e.complete, e.size_class != "full", distance(e), _rank(e.engine),
                                       e.engine))


def format_width(df: pd.DataFrame | None) -> str:
    """The CLI's closing table of the width study: one line per workload and engine, then each engine's
    pointer effect (wall time, and CPU time beside it); empty when no run measured both builds."""
    lines = width_lines(df)
    if not lines:
        return ""
    cpu = {(e.engine, e.size_class): e for e in width_effects(width_lines(df, "cpu_time"))}
    head = (f"{'wasm64 / wasm32 (freestanding)':22s} {'size':5s} {'engine':34s} {'n':>5s} {'wasm32 s':>9s} "
            f"{'wasm64 s':>9s} {'ratio':>6s} {'95% CI':>13s}  verdict / outcome")
    out = [head, "-" * len(head)]
    for ln in lines:
        tail = f"wasm64 {ln.verdict}" if ln.outcome == "ok" else f"{ln.outcome.upper()}: {ln.message[:70]}"
        out.append(f"{ln.workload:22s} {ln.size_class:5s} {ln.engine:34s} {ln.n32:>2d}/{ln.n64:<2d} "
                   f"{fmt(ln.median32, '9.3f'):>9s} {fmt(ln.median64, '9.3f'):>9s} {fmt(ln.ratio, '6.2f'):>6s} "
                   f"{'[' + fmt(ln.lo) + ', ' + fmt(ln.hi) + ']':>13s}  {tail}")
    for e in width_effects(lines):
        c = cpu.get((e.engine, e.size_class))
        control = (f"control {e.control.ratio:.2f}x [{fmt(e.control.lo)}, {fmt(e.control.hi)}], pointer effect "
                   f"{e.effect:.2f}x [{fmt(e.lo)}, {fmt(e.hi)}]" if e.control else "no control")
        cpu_text = f"; CPU time: effect {c.effect:.2f}x [{fmt(c.lo)}, {fmt(c.hi)}] {c.verdict}" if c and c.control else ""
        out.append(f"{e.engine} ({e.size_class}): pointer-heavy {e.pointer:.2f}x [{fmt(e.pointer_lo)}, "
                   f"{fmt(e.pointer_hi)}] over {len(e.workloads)}, {control}: {e.verdict}{cpu_text}")
    out.append(f"(claim 2's 'because' part {EFFECT_RULE})")
    return "\n".join(out)
