"""Steps in a nightly series that people can trust: a noise floor per series, a change-point test that
outliers cannot fool, a size threshold set by that noise, and confirmation before a step is reported.

- **Noise floor.**  Two runs of the same build in one night (an A/A pair) differ only by noise: the spread
  of their log-ratios gives the noise of one night's value.  Nights also differ from each other (another
  machine load, another runner), so the floor is the larger of that and the night-to-night spread of
  successive nights (median absolute differences, which one step barely moves).  Never below 0.2%.
- **Change points.**  Binary segmentation with Pettitt's rank statistic (the Mann-Whitney statistic at
  its best split, standardised per split): ranks make one wild night count as one night, not as a step.  Its p-value comes from a
  seeded permutation test (the same history always gives the same answer).
- **Size.**  A significant split is a change only if the medians on each side differ by at least
  ``Z`` times the noise of that difference and by at least ``MIN_EFFECT``.
- **Confirmation.**  A step is *confirmed* once it has held for ``CONFIRM_NIGHTS`` nights (every one of
  those nights re-measures the new build, on the same shard layout), their median past half the step;
  until then it is *suspected* and listed apart, unless a re-measurement of the series (``ci/confirm``:
  runs marked ``extra.remeasure``, kept out of the nightly points) lands past half the step.  The last night or two are too few for the rank test:
  they are suspected when they sit ``TAIL_Z`` standard errors from the level before them, so the next
  nights (or a re-run) can confirm them.

All metrics the harness stores are lower-is-better (times, memory, instruction counts): a rise is a
regression, a fall an improvement.
"""

from __future__ import annotations

import dataclasses
import math
import statistics
from dataclasses import dataclass

import numpy as np

from .history import History, Point, SeriesKey

MIN_SIGMA = 0.002  # relative noise floor: no series is quieter than this
MIN_EFFECT = 0.03  # smallest step reported, relative
Z = 3.0  # a step must be this many standard errors of the difference of medians
ALPHA = 0.05  # permutation test level for one split
PERMUTATIONS = 1999
TAIL_Z = 4.0  # the last one or two nights, judged against the noise floor alone
MIN_SEGMENT = 2  # nights on each side of a split
CONFIRM_NIGHTS = 3
MEDIAN_EFFICIENCY = 1.2533  # standard error of a median over that of a mean, for normal noise


@dataclass(frozen=True)
class Noise:
    sigma: float  # relative standard deviation of one night's value
    aa_pairs: int  # nights that had an A/A pair
    source: str


@dataclass(frozen=True)
class Change:
    key: SeriesKey
    night: str  # first night at the new level
    index: int  # its position in the series
    before: float
    after: float
    size: float  # relative: after / before - 1
    low: float  # 95% bootstrap interval of the size
    high: float
    p: float  # permutation p-value of the split
    z: float  # size over the noise of the difference, in standard errors
    nights_after: int
    confirmed: bool
    run_id: str  # the first run measured at the new level
    confirmed_by: str = ""  # "nights" (the new level held) or "re-measurement"

    @property
    def kind(self) -> str:
        return "regression" if self.size > 0 else "improvement"

    @property
    def confidence(self) -> float:
        return 1.0 - self.p


def _robust_sd(x: np.ndarray) -> float:
    return float(1.4826 * np.median(np.abs(x - np.median(x)))) if len(x) else 0.0


def noise_floor(points: list[Point]) -> Noise:
    """The noise of one night's value of a series, relative (see the module's docstring)."""
    logs = np.log([p.value for p in points])
    pairs = []
    for p in points:
        runs = [v for v in p.runs.values() if v > 0]
        if len(runs) >= 2:
            pairs.append((math.log(runs[0] / runs[1]), len(runs)))
    sigmas, source = [], []
    if pairs:
        diffs = np.array([d for d, _ in pairs])
        per_run = float(1.4826 * np.median(np.abs(diffs))) / math.sqrt(2)
        sigmas.append(per_run / math.sqrt(np.median([k for _, k in pairs])))
        source.append(f"A/A pairs on {len(pairs)} nights")
    if len(logs) >= 3:
        sigmas.append(float(1.4826 * np.median(np.abs(np.diff(logs)))) / math.sqrt(2))
        source.append("night-to-night spread")
    sigma = max([MIN_SIGMA, *sigmas])
    return Noise(sigma, len(pairs), " and ".join(source) or "floor only")


def _pettitt(y: np.ndarray, rng: np.random.Generator) -> tuple[int, float]:
    """The best split of ``y`` (index of the first value after it) and its permutation p-value.  Each
    split's rank statistic is divided by its standard deviation under no change, so a step near either
    end is as visible as one in the middle (Pettitt's raw maximum favours the middle)."""
    n = len(y)
    ranks = np.argsort(np.argsort(y, kind="stable"), kind="stable") + 1.0
    t = np.arange(1, n)
    allowed = slice(MIN_SEGMENT - 1, n - MIN_SEGMENT)

    scale = np.sqrt(t * (n - t) * (n + 1) / 3.0)  # the null standard deviation of each split's statistic

    def stat(r: np.ndarray) -> np.ndarray:
        u = np.abs(2 * np.cumsum(r, axis=-1)[..., :-1] - t * (n + 1)) / scale
        return u[..., allowed]

    observed = stat(ranks)
    split = int(np.argmax(observed)) + MIN_SEGMENT
    perms = rng.permuted(np.tile(ranks, (PERMUTATIONS, 1)), axis=1)
    exceed = int(np.sum(stat(perms).max(axis=1) >= observed.max()))
    return split, (exceed + 1) / (PERMUTATIONS + 1)


def _size_interval(before: np.ndarray, after: np.ndarray, rng: np.random.Generator) -> tuple[float, float]:
    b = np.median(rng.choice(before, (1000, len(before))), axis=1)
    a = np.median(rng.choice(after, (1000, len(after))), axis=1)
    lo, hi = np.percentile(np.exp(a - b) - 1, [2.5, 97.5])
    return float(lo), float(hi)


def detect(key: SeriesKey, points: list[Point], noise: Noise | None = None, seed: int = 7) -> list[Change]:
    """Steps in one series' nightly values."""
    noise = noise or noise_floor(points)
    y = np.log([p.value for p in points])
    rng = np.random.default_rng(seed)
    found: list[Change] = []

    def segment(lo: int, hi: int) -> None:
        if hi - lo < 2 * MIN_SEGMENT:
            return
        split, p = _pettitt(y[lo:hi], rng)
        if p > ALPHA:
            return
        k = lo + split
        before, after = y[lo:k], y[k:hi]
        effect = float(np.median(after) - np.median(before))
        se = MEDIAN_EFFICIENCY * noise.sigma * math.sqrt(1 / len(before) + 1 / len(after))
        if abs(effect) >= max(math.log1p(MIN_EFFECT), Z * se):
            found.append(_change(key, points, y, lo, k, hi, effect, se, p, rng))
        segment(lo, k)
        segment(k, hi)

    segment(0, len(y))
    if not any(c.index >= len(y) - CONFIRM_NIGHTS + 1 for c in found):
        tail = _tail(key, points, y, noise, max((c.index for c in found), default=0), rng)
        found += [tail] if tail else []
    return sorted(found, key=lambda c: c.index)


def _tail(key: SeriesKey, points: list[Point], y: np.ndarray, noise: Noise, start: int,
          rng: np.random.Generator) -> Change | None:
    """The last night or two away from the level before them by ``TAIL_Z`` standard errors: too few
    nights for the rank test to see, so a suspected step, to be re-measured, never a confirmed one."""
    n = len(y)
    for k in range(n - CONFIRM_NIGHTS + 1, n):
        before, after = y[start:k], y[k:]
        if len(before) < CONFIRM_NIGHTS:
            continue
        level = float(np.median(before))
        effect = float(np.median(after)) - level
        se = MEDIAN_EFFICIENCY * noise.sigma * math.sqrt(1 / len(before) + 1 / len(after))
        if abs(effect) >= max(math.log1p(MIN_EFFECT), TAIL_Z * se) and \
                bool(np.all(np.sign(effect) * (after - level) > abs(effect) / 2)):
            low, high = _size_interval(before, after, rng)
            return Change(key, points[k].night, k, math.exp(level), float(np.exp(np.median(after))),
                          math.expm1(effect), low, high, math.erfc(abs(effect) / se / math.sqrt(2)), abs(effect) / se,
                          n - k, False, sorted(points[k].runs)[0])
    return None


def _change(key: SeriesKey, points: list[Point], y: np.ndarray, lo: int, k: int, hi: int, effect: float,
            se: float, p: float, rng: np.random.Generator) -> Change:
    before, after = y[lo:k], y[k:hi]
    held = after[:CONFIRM_NIGHTS] - np.median(before)
    confirmed = len(held) >= CONFIRM_NIGHTS and bool(np.sign(effect) * np.median(held) > abs(effect) / 2)
    low, high = _size_interval(before, after, rng)
    return Change(key, points[k].night, k, float(np.exp(np.median(before))), float(np.exp(np.median(after))),
                  math.expm1(effect), low, high, p, abs(effect) / se, hi - k, confirmed, sorted(points[k].runs)[0],
                  "nights" if confirmed else "")


def remeasured(change: Change, values: list[float]) -> Change:
    """``change`` confirmed if a re-measurement of its series (``ci/confirm``) lands past half the step
    from the level before it; as it was otherwise."""
    if change.confirmed or len(values) < MIN_SEGMENT:
        return change
    moved = math.log(statistics.median(values) / change.before)
    if math.copysign(1, change.size) * moved > abs(math.log1p(change.size)) / 2:
        return dataclasses.replace(change, confirmed=True, confirmed_by="re-measurement")
    return change


def find_changes(history: History) -> list[Change]:
    """Every step in every perf series of the history, regressions first, biggest first."""
    changes = [remeasured(c, history.remeasured.get(key, [])) for key, points in sorted(history.series.items())
               for c in detect(key, points)]
    return sorted(changes, key=lambda c: (c.kind != "regression", not c.confirmed, -abs(c.size)))
