"""Statistics of repeated timings: median with a bootstrap confidence interval, ratios to a baseline
with their own interval, and a three-way verdict.

Timings on a shared machine are skewed (a run can only be slowed down, never sped up, by a neighbour),
so the median is the centre and the percentile bootstrap gives its interval without assuming a
distribution.  A ratio is faster/slower only when its interval excludes 1; otherwise "can't tell".
"""

from __future__ import annotations

import math
import random
from collections.abc import Sequence
from dataclasses import dataclass

BOOTSTRAP = 2000
CONFIDENCE = 0.95
WIDE_SPREAD = 0.10  # relative half-width of the CI above which a figure is flagged


def median(xs: Sequence[float]) -> float:
    s = sorted(xs)
    n = len(s)
    if n == 0:
        return math.nan
    return s[n // 2] if n % 2 else (s[n // 2 - 1] + s[n // 2]) / 2


def _percentile(sorted_xs: list[float], q: float) -> float:
    if not sorted_xs:
        return math.nan
    pos = q * (len(sorted_xs) - 1)
    lo, hi = math.floor(pos), math.ceil(pos)
    return sorted_xs[lo] + (sorted_xs[hi] - sorted_xs[lo]) * (pos - lo)


def bootstrap_medians(xs: Sequence[float], rng: random.Random, n: int = BOOTSTRAP) -> list[float]:
    xs = list(xs)
    k = len(xs)
    return sorted(median([xs[rng.randrange(k)] for _ in range(k)]) for _ in range(n))


@dataclass
class Summary:
    n: int
    median: float
    lo: float
    hi: float

    @property
    def rel_halfwidth(self) -> float:
        return (self.hi - self.lo) / 2 / self.median if self.median else math.inf


def summarize(xs: Sequence[float], seed: int = 1) -> Summary:
    """Median and its percentile-bootstrap CI (a single sample has an interval of itself)."""
    xs = [x for x in xs if x is not None and not math.isnan(x)]
    if not xs:
        return Summary(0, math.nan, math.nan, math.nan)
    if len(xs) == 1:
        return Summary(1, xs[0], xs[0], xs[0])
    boots = bootstrap_medians(xs, random.Random(seed))
    a = (1 - CONFIDENCE) / 2
    return Summary(len(xs), median(xs), _percentile(boots, a), _percentile(boots, 1 - a))


@dataclass
class Ratio:
    value: float
    lo: float
    hi: float
    verdict: str  # faster / slower / can't tell  (of the measured thing relative to the baseline)


def ratio(xs: Sequence[float], base: Sequence[float], seed: int = 2) -> Ratio:
    """median(xs)/median(base) with a bootstrap CI (both samples resampled independently).

    Ratios > 1 mean slower than the baseline (these are times).
    """
    xs = [x for x in xs if x is not None and not math.isnan(x)]
    base = [b for b in base if b is not None and not math.isnan(b)]
    if not xs or not base:
        return Ratio(math.nan, math.nan, math.nan, "can't tell")
    value = median(xs) / median(base)
    if len(xs) < 2 or len(base) < 2:
        return Ratio(value, math.nan, math.nan, "can't tell")
    rng = random.Random(seed)
    bx, bb = bootstrap_medians(xs, rng), bootstrap_medians(base, rng)
    rng.shuffle(bb)
    rs = sorted(x / b for x, b in zip(bx, bb, strict=True) if b)
    a = (1 - CONFIDENCE) / 2
    lo, hi = _percentile(rs, a), _percentile(rs, 1 - a)
    return Ratio(value, lo, hi, verdict(lo, hi))


def verdict(lo: float, hi: float) -> str:
    if math.isnan(lo) or math.isnan(hi):
        return "can't tell"
    if hi < 1:
        return "faster"
    if lo > 1:
        return "slower"
    return "can't tell"


def geomean(xs: Sequence[float]) -> float:
    xs = [x for x in xs if x and x > 0 and not math.isnan(x)]
    return math.exp(sum(math.log(x) for x in xs) / len(xs)) if xs else math.nan


def spread_warning(s: Summary, load: float | None, cores: int) -> str | None:
    """A human warning when a figure should not be trusted as is."""
    notes = []
    if s.n >= 2 and s.rel_halfwidth > WIDE_SPREAD:
        notes.append(f"wide CI (+/-{s.rel_halfwidth:.0%})")
    if load is not None and cores and load > 0.75 * cores:
        notes.append(f"machine busy (loadavg {load:.1f} on {cores} cores)")
    return "; ".join(notes) or None
