"""Statistics of repeated timings: median with a bootstrap confidence interval, ratios to a baseline
with their own interval, and a three-way verdict.

Timings on a shared machine are skewed (a run can only be slowed down, never sped up, by a neighbour),
so the median is the centre and the percentile bootstrap gives its interval without assuming a
distribution.  A ratio is faster/slower only when its interval excludes 1; otherwise "can't tell".
Resampling is numpy's, seeded, so the same rows always give the same intervals.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

BOOTSTRAP = 2000
CONFIDENCE = 0.95
WIDE_SPREAD = 0.10  # relative half-width of the CI above which a figure is flagged
_TAILS = ((1 - CONFIDENCE) / 2, 1 - (1 - CONFIDENCE) / 2)


def _measured(xs: Iterable[float | None]) -> list[float]:
    """The samples that are numbers (failed runs are stored as None or NaN)."""
    return [x for x in xs if x is not None and not math.isnan(x)]


def median(xs: Sequence[float]) -> float:
    return statistics.median(xs) if len(xs) else math.nan


def bootstrap_medians(xs: Sequence[float], rng: np.random.Generator, n: int = BOOTSTRAP) -> np.ndarray:
    """Medians of ``n`` resamples of ``xs`` (drawn with replacement, each as long as ``xs``)."""
    return np.median(rng.choice(np.asarray(xs, dtype=float), size=(n, len(xs))), axis=1)


def _interval(samples: np.ndarray) -> tuple[float, float]:
    lo, hi = np.quantile(samples, _TAILS)
    return float(lo), float(hi)


@dataclass
class Summary:
    n: int
    median: float
    lo: float
    hi: float

    @property
    def rel_halfwidth(self) -> float:
        return (self.hi - self.lo) / 2 / self.median if self.median else math.inf


def firm(lo: float, hi: float, low: float = -math.inf, high: float = math.inf) -> bool | None:
    """Whether an interval lies inside [low, high] (True), outside it (False), or straddles an end or is
    missing (None): a verdict is firm only when the whole interval is on one side of its threshold."""
    if math.isnan(lo) or math.isnan(hi):
        return None
    if low <= lo and hi <= high:
        return True
    if hi < low or lo > high:
        return False
    return None


def summarize(xs: Iterable[float | None], seed: int = 1) -> Summary:
    """Median and its percentile-bootstrap CI (a single sample has none: its interval is NaN, shown n/a)."""
    xs = _measured(xs)
    if not xs:
        return Summary(0, math.nan, math.nan, math.nan)
    if len(xs) == 1:
        return Summary(1, xs[0], math.nan, math.nan)
    lo, hi = _interval(bootstrap_medians(xs, np.random.default_rng(seed)))
    return Summary(len(xs), median(xs), lo, hi)


@dataclass
class Ratio:
    value: float
    lo: float
    hi: float
    verdict: str  # faster / slower / can't tell  (of the measured thing relative to the baseline)


def ratio(xs: Iterable[float | None], base: Iterable[float | None], seed: int = 2) -> Ratio:
    """median(xs)/median(base) with a bootstrap CI (both samples resampled independently).

    Ratios > 1 mean slower than the baseline (these are times).
    """
    xs, base = _measured(xs), _measured(base)
    if not xs or not base:
        return Ratio(math.nan, math.nan, math.nan, "can't tell")
    value = median(xs) / median(base)
    if len(xs) < 2 or len(base) < 2:
        return Ratio(value, math.nan, math.nan, "can't tell")
    rng = np.random.default_rng(seed)
    bx, bb = bootstrap_medians(xs, rng), bootstrap_medians(base, rng)
    lo, hi = _interval(bx[bb != 0] / bb[bb != 0])
    return Ratio(value, lo, hi, verdict(lo, hi))


def paired_ratio(x: dict[int, float], base: dict[int, float], seed: int = 3) -> tuple[float, float, float, int]:
    """Median of the per-round ratios ``x[r] / base[r]`` over the rounds both have, its percentile bootstrap
    interval over rounds (NaN bounds for one round), and the number of rounds.

    For two engines measured close together in each round: a machine that changes speed between rounds
    moves both samples of a round alike, and their ratio cancels it, where independent medians keep it."""
    s = summarize([x[r] / base[r] for r in sorted(x.keys() & base.keys()) if base[r]], seed)
    return s.median, s.lo, s.hi, s.n


def verdict(lo: float, hi: float) -> str:
    if math.isnan(lo) or math.isnan(hi):
        return "can't tell"
    if hi < 1:
        return "faster"
    if lo > 1:
        return "slower"
    return "can't tell"


def geomean(xs: Iterable[float | None]) -> float:
    """Geometric mean of the positive figures (ratios); NaN when there are none."""
    xs = [x for x in _measured(xs) if x > 0]
    return statistics.geometric_mean(xs) if xs else math.nan


def spread_warning(s: Summary, load: float | None, cores: int) -> str | None:
    """A human warning when a figure should not be trusted as is: a wide interval, or a load average
    above three quarters of the cores of the machine that measured it."""
    notes = []
    if s.n >= 2 and s.rel_halfwidth > WIDE_SPREAD:
        notes.append(f"wide CI (+/-{s.rel_halfwidth:.0%})")
    if load is not None and cores and load > 0.75 * cores:
        notes.append(f"machine busy (loadavg {load:.1f} on {cores} cores)")
    return "; ".join(notes) or None
