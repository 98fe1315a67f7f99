"""A runtime in its container image against the same runtime outside it: is the container free?

``RUNTIME@docker:TIER`` times its program inside the container (``rusage_exec``), so container start is not
in its throughput, and the same runtime outside, ``RUNTIME:TIER``, measured in the same run, is its twin.
The question is an equivalence, not a difference: the container costs nothing when the ratio's 95%
interval lies wholly inside ``1 +/- TOLERANCE``, it costs something when the interval lies wholly outside,
and otherwise the run cannot tell (too few repeats, or a machine whose speed moves more than the
tolerance).  Saying "within 5%" from two medians alone would call a noisy run a pass.

Each round of a perf run measures every engine of a workload one after another (``runner``), so the
twins' samples of one round were taken close together in time: the ratio is the median of the per-round
ratios, bootstrapped over rounds, which cancels a machine that changes speed between rounds.  Rounds where
either twin failed are left out; a twin pair with fewer than two common rounds falls back to the
unpaired ratio of medians.  Emulated images (``@docker-ARCH``) have no native twin and are not compared.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import pandas as pd

from .perf_table import with_labels
from .stats import firm, geomean, paired_ratio, ratio
from .units import fmt

TOLERANCE = 0.05
MIN_ROUNDS = 5
"""Fewer rounds give no firm verdict: the bootstrap interval of 3 values is about their range, so three
rounds that happen to fall on one side (a busy machine) would read as 'differs'."""
CANT = "can't tell"
METRICS = ("wall_time", "cpu_time")


@dataclass
class Twin:
    """One workload: a container engine against its twin outside, in one run, by one metric."""

    workload: str
    size_class: str
    container: str  # the container engine's label, e.g. "wasmtime@docker:cranelift"
    local: str  # its twin's, "wasmtime:cranelift"
    metric: str
    n: int  # rounds (paired) or the smaller sample (unpaired)
    paired: bool
    ratio: float  # container / local: above 1, slower in the container
    lo: float
    hi: float
    run_id: str
    versions: tuple[str, str] | None = None  # (inside, outside) when the two are different releases

    @property
    def kind(self) -> str:
        """``within``, ``differs``, ``can't tell`` (``CANT``), or ``releases`` (not compared)."""
        if self.versions:
            return "releases"
        if self.n < MIN_ROUNDS:
            return CANT
        return {True: "within", False: "differs", None: CANT}[firm(self.lo, self.hi, 1 - TOLERANCE, 1 + TOLERANCE)]

    @property
    def verdict(self) -> str:
        pct = f"{TOLERANCE:.0%}"
        kind = self.kind
        if kind == "releases":
            return f"not the same release ({self.versions[0]} inside, {self.versions[1]} outside)"
        if kind == CANT and self.n < MIN_ROUNDS:
            return f"{CANT} ({self.n} rounds; {MIN_ROUNDS} needed)"
        return {"within": f"within {pct}", "differs": f"differs by more than {pct}", CANT: CANT}[kind]


def twin_of(label: str) -> str | None:
    """The label of the same runtime and tier outside its container, or None (not a container engine, or
    another architecture's image, whose twin would be native code against emulated code)."""
    runtime, sep, rest = label.partition("@docker")
    if not sep or rest.startswith("-"):
        return None
    return runtime + rest


_RELEASE = re.compile(r"\d+\.\d+(?:\.\d+)?")


def release(version: str | None) -> str | None:
    """The first version number in an engine's recorded version (``wasmtime 49.0.3 (...)`` -> ``49.0.3``;
    an image's ``18.20.4 (image ...)`` -> ``18.20.4``), or None."""
    found = _RELEASE.search(version or "")
    return found.group(0) if found else None


def _differing(versions: dict[str, str | None], container: str, local: str) -> tuple[str, str] | None:
    """The two releases when the run recorded different ones (node 18 in the v8 image, node 20 outside:
    not the container's cost), else None (the same, or not recorded)."""
    inside, outside = release(versions.get(container)), release(versions.get(local))
    return (inside, outside) if inside and outside and inside != outside else None


def _by_round(g: pd.DataFrame) -> dict[int, float]:
    ok = g[(g["outcome"] == "ok") & g["value"].notna()]
    reps = ok["extra"].map(lambda e: e.get("rep"))
    return {int(r): float(v) for r, v in zip(reps, ok["value"], strict=True) if r is not None and r >= 0}


def container_twins(df: pd.DataFrame | None, metrics: tuple[str, ...] = METRICS,
                    versions: dict[str, dict[str, str | None]] | None = None) -> list[Twin]:
    """Every (workload, size, container engine, metric) whose twin ran in the same run; the last run in
    ``df`` wins for a pair measured in several.  ``versions``: per run id, the engine versions its run
    recorded; a pair of different releases gets no verdict (what differs is not only the container)."""
    if df is None or df.empty:
        return []
    rows = df[df["metric"].isin(metrics) & df["file"].notna()]
    if rows.empty:
        return []
    rows = with_labels(rows)
    chosen: dict[tuple[str, str, str, str], Twin] = {}
    for (run_id, wl, sc, metric), g in rows.groupby(["run_id", "file", "size_class", "metric"], sort=False):
        labels = set(g["label"])
        for label in sorted(labels):
            local = twin_of(label)
            if local is None or local not in labels:
                continue
            c, b = _by_round(g[g["label"] == label]), _by_round(g[g["label"] == local])
            if len(c.keys() & b.keys()) >= 2:
                value, lo, hi, n = paired_ratio(c, b)
                paired = True
            else:
                r = ratio(list(c.values()), list(b.values()))
                value, lo, hi, n, paired = r.value, r.lo, r.hi, min(len(c), len(b)), False
            differ = _differing((versions or {}).get(str(run_id), {}), label, local)
            chosen[(wl, sc, label, metric)] = Twin(str(wl), str(sc), label, local, str(metric), n, paired,
                                                   value, lo, hi, str(run_id), differ)
    return sorted(chosen.values(), key=lambda t: (t.container, t.metric, t.size_class, t.workload))


def tally(twins: list[Twin]) -> dict[tuple[str, str], dict[str, float | int]]:
    """Per (container engine, metric): how many workloads are within, differ, can't tell, and the
    geometric mean of the ratios."""
    out: dict[tuple[str, str], dict[str, float | int]] = {}
    for t in twins:
        d = out.setdefault((t.container, t.metric), {"within": 0, "differs": 0, CANT: 0, "n": 0})
        if t.kind == "releases":
            d["releases"] = f"{t.versions[0]} inside, {t.versions[1]} outside"
            continue
        d[t.kind] += 1
        d["n"] += 1
    for (container, metric), d in out.items():
        d["geomean"] = geomean([t.ratio for t in twins if t.container == container and t.metric == metric
                                and not t.versions])
    return out


def format_twins(df: pd.DataFrame | None, versions: dict[str, dict[str, str | None]] | None = None) -> str:
    """The CLI's closing table: each container engine against its twin outside, per workload, wall and CPU
    time; empty when the run measured no such pair."""
    twins = container_twins(df, versions=versions)
    if not twins:
        return ""
    head = (f"{'in a container / outside':26s} {'size':5s} {'engine':30s} {'metric':9s} {'rounds':>6s} "
            f"{'ratio':>6s} {'95% CI':>14s}  verdict (+/-{TOLERANCE:.0%})")
    out = [head, "-" * len(head)]
    for t in twins:
        ci = f"[{fmt(t.lo, '.3f')}, {fmt(t.hi, '.3f')}]"
        n = f"{t.n}" if t.paired else f"{t.n} unp."
        out.append(f"{t.workload:26s} {t.size_class:5s} {t.container:30s} {t.metric:9s} {n:>6s} "
                   f"{fmt(t.ratio, '.3f'):>6s} {ci:>14s}  {t.verdict}")
    for (container, metric), d in sorted(tally(twins).items()):
        if "releases" in d:
            out.append(f"{container} {metric}: not compared, not the same release ({d['releases']})")
            continue
        out.append(f"{container} {metric}: {d['within']} within {TOLERANCE:.0%}, {d['differs']} differ, "
                   f"{d[CANT]} can't tell, of {d['n']}; geometric mean "
                   f"{fmt(d['geomean'], '.3f')}")
    return "\n".join(out)
