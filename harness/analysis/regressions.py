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
- **Suspicion.**  The last night or two are too few for the rank test: they are *suspected* when they sit
  ``Z_SUSPECT`` standard errors from the level before them (both nights past half the step when two).
- **Confirmation by re-measurement.**  A suspected step is re-measured (``ci/confirm``) before it is
  reported.  Where the engine build before the step can be had again, the previous and the current build
  are measured in turns (``pair`` order), so slow drift of the machine cancels in each pair's ratio; the
  median ratio must be at least ``MIN_EFFECT`` and ``Z_CONFIRM`` standard errors from none, in the
  direction of the step, else the step is *refuted* (the builds measure the same: the level moved for
  another reason) and not reported.  Where only the current build can be measured, its re-measurement is
  judged against the level before the step with the night-to-night drift in its error; one that falls
  short leaves the step suspected.
- **Confirmation by nights.**  A step found by the rank test is also confirmed once it has held for
  ``CONFIRM_NIGHTS`` nights, their median past half the step (history from before re-measurements).

All metrics the harness stores are lower-is-better (times, memory, instruction counts): a rise is a
regression, a fall an improvement.
"""

from __future__ import annotations

import dataclasses
import math
import statistics
from dataclasses import dataclass

import numpy as np

from .history import History, Point, Remeasurement, SeriesKey

MIN_SIGMA = 0.002  # relative noise floor: no series is quieter than this
MIN_EFFECT = 0.03  # smallest step reported, relative
Z = 3.0  # a step must be this many standard errors of the difference of medians
ALPHA = 0.05  # permutation test level for one split
PERMUTATIONS = 1999
# the last one or two nights, judged against the level before them: suspected.  A suspicion costs a
# re-measurement, never an alarm (the interleaved builds confirm or refute it), so the threshold is set
# by recall: at 2.5 a 5% step over 2% noise whose level's noise happened to be estimated high (1.5-2x
# the truth from a dozen nights) was not suspected by its second night; at 2.0 every one is, for ~3x the
# re-measurements (docs/CI.md)
Z_SUSPECT = 2.0
Z_CONFIRM = 3.0  # a re-measurement confirms a step this many standard errors from none
MIN_PAIRS = 3  # interleaved pairs (previous build, current build) that can refute a step
REFUTE_Z = 2.0  # refuted when the step's upper bound at this many standard errors stays below MIN_EFFECT
MIN_SEGMENT = 2  # nights on each side of a split
CONFIRM_NIGHTS = 3
MEDIAN_EFFICIENCY = 1.2533  # standard error of a median over that of a mean, for normal noise


@dataclass(frozen=True)
class Noise:
    sigma: float  # relative standard deviation of one night's value
    aa_pairs: int  # nights that had an A/A pair
    source: str
    measurement: float = 0.0  # relative standard deviation of one measurement (from the A/A pairs; 0: unknown)
    drift: float = 0.0  # night-to-night noise beyond what the A/A pairs show (the machine's mood that night)
    aa: float = 0.0  # the noise of one night's value the A/A pairs alone show


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
    nights_before: int = 0  # nights in the level before the step
    refuted: bool = False  # re-measured, previous and current build interleaved: no step between them
    remeasure: str = ""  # what the re-measurement found, in words

    @property
    def kind(self) -> str:
        return "regression" if self.size > 0 else "improvement"

    @property
    def confidence(self) -> float:
        return 1.0 - self.p


def _robust_sd(x: np.ndarray) -> float:
    return float(1.4826 * np.median(np.abs(x - np.median(x)))) if len(x) else 0.0


def noise_floor(points: list[Point], aa_from: list[Point] | None = None) -> Noise:
    """The noise of one night's value of a series, relative (see the module's docstring): the A/A pairs
    of ``aa_from`` (default ``points``; a step does not move them), the night-to-night spread of
    ``points``."""
    logs = np.log([p.value for p in points])
    pairs = []
    for p in aa_from or points:
        runs = [v for v in p.runs.values() if v > 0]
        if len(runs) >= 2:
            pairs.append((math.log(runs[0] / runs[1]), len(runs)))
    sigmas, source = [], []
    aa = measurement = 0.0
    if pairs:
        diffs = np.array([d for d, _ in pairs])
        per_run = float(1.4826 * np.median(np.abs(diffs))) / math.sqrt(2)
        aa = per_run / math.sqrt(np.median([k for _, k in pairs]))
        sigmas.append(aa)
        # one run's value is the median of its repetitions
        repetitions = float(np.median([p.n / len(p.runs) for p in aa_from or points if len(p.runs) >= 2]))
        measurement = per_run * math.sqrt(max(repetitions, 1.0)) / (MEDIAN_EFFICIENCY if repetitions > 2 else 1.0)
        source.append(f"A/A pairs on {len(pairs)} nights")
    night_to_night = 0.0
    if len(logs) >= 3:
        night_to_night = float(1.4826 * np.median(np.abs(np.diff(logs)))) / math.sqrt(2)
        sigmas.append(night_to_night)
        source.append("night-to-night spread")
    sigma = max([MIN_SIGMA, *sigmas])
    drift = math.sqrt(max(night_to_night ** 2 - aa ** 2, 0.0)) if pairs else sigma
    return Noise(sigma, len(pairs), " and ".join(source) or "floor only", measurement, drift, aa)


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


def detect(key: SeriesKey, points: list[Point], noise: Noise | None = None, seed: int = 7,
           anchors: frozenset[str] = frozenset()) -> list[Change]:
    """Steps in one series' nightly values.  ``anchors``: nights where interleaved re-measurements found
    the builds to differ (``confirmed_steps``).  Those are known change points: a segment the rank test
    finds a change in is split at the anchor inside it nearest the rank test's split (the builds, not the
    noisy nights, say where the step is), and the nights on either side are then tested on their own, so
    a few high nights just before a confirmed step are not reported as a step of their own."""
    noise = noise or noise_floor(points)
    y = np.log([p.value for p in points])
    anchored = [i for i, p in enumerate(points) if p.night in anchors]
    rng = np.random.default_rng(seed)
    found: list[Change] = []

    def segment(lo: int, hi: int) -> None:
        if hi - lo < 2 * MIN_SEGMENT:
            return
        split, p = _pettitt(y[lo:hi], rng)
        if p > ALPHA:
            return
        k = lo + split
        near = [a for a in anchored if lo + MIN_SEGMENT <= a <= hi - MIN_SEGMENT]
        k = min(near, key=lambda a: abs(a - k)) if near else k
        before, after = y[lo:k], y[k:hi]
        effect = float(np.median(after) - np.median(before))
        se = MEDIAN_EFFICIENCY * noise.sigma * math.sqrt(1 / len(before) + 1 / len(after))
        if abs(effect) >= max(math.log1p(MIN_EFFECT), Z * se):
            found.append(_change(key, points, y, lo, k, hi, effect, se, p, rng))
        segment(lo, k)
        segment(k, hi)

    segment(0, len(y))
    start = max((c.index for c in found if c.index < len(y) - CONFIRM_NIGHTS), default=0)
    have = {c.index for c in found}
    found += [c for c in _tail(key, points, y, start, rng) if c.index not in have]
    return sorted(found, key=lambda c: c.index)


def _tail(key: SeriesKey, points: list[Point], y: np.ndarray, start: int, rng: np.random.Generator) -> list[Change]:
    """Splits in the last ``CONFIRM_NIGHTS - 1`` nights whose nights after sit ``Z_SUSPECT`` standard
    errors (and half of ``MIN_EFFECT``) from the level before them: too few nights for the rank test, so
    suspected steps, to be re-measured.  Every night after the split must lie on the step's side of the
    level.  Every such split is a candidate: when a step's first night was weak, both the right night and
    the next may qualify, and the re-measurement of the builds on either
    side of each tells them apart.  The noise is that of the nights before the split, so a step does not
    hide itself by inflating it."""
    n = len(y)
    out = []
    for k in range(n - CONFIRM_NIGHTS + 1, n):
        before, after = y[start:k], y[k:]
        if len(before) < CONFIRM_NIGHTS:
            continue
        noise = noise_floor(points[start:k], aa_from=points)
        # the larger of two estimates from a dozen nights is biased upwards: for a suspicion (which a
        # re-measurement then judges) their quadratic mean
        sigma = max(MIN_SIGMA, math.sqrt((noise.aa ** 2 + noise.sigma ** 2) / 2)) if noise.aa_pairs else noise.sigma
        level = float(np.median(before))
        effect = float(np.mean(after)) - level
        se = sigma * math.sqrt(MEDIAN_EFFICIENCY ** 2 / len(before) + 1 / len(after))
        if abs(effect) >= max(math.log1p(MIN_EFFECT) / 2, Z_SUSPECT * se) and \
                bool(np.all(np.sign(effect) * (after - level) > 0)):
            low, high = _size_interval(before, after, rng)
            out.append(Change(key, points[k].night, k, math.exp(level), float(np.exp(np.mean(after))),
                              math.expm1(effect), low, high, math.erfc(abs(effect) / se / math.sqrt(2)),
                              abs(effect) / se, n - k, False, sorted(points[k].runs)[0], nights_before=len(before)))
    return out


def _change(key: SeriesKey, points: list[Point], y: np.ndarray, lo: int, k: int, hi: int, effect: float,
            se: float, p: float, rng: np.random.Generator) -> Change:
    before, after = y[lo:k], y[k:hi]
    held = after[:CONFIRM_NIGHTS] - np.median(before)
    confirmed = len(held) >= CONFIRM_NIGHTS and bool(np.sign(effect) * np.median(held) > abs(effect) / 2)
    low, high = _size_interval(before, after, rng)
    return Change(key, points[k].night, k, float(np.exp(np.median(before))), float(np.exp(np.median(after))),
                  math.expm1(effect), low, high, p, abs(effect) / se, hi - k, confirmed, sorted(points[k].runs)[0],
                  "nights" if confirmed else "", nights_before=k - lo)


def remeasured(change: Change, records: list[Remeasurement], noise: Noise) -> Change:
    """``change`` judged by the re-measurements made for it (see the module's docstring): confirmed,
    refuted (interleaved builds that measure the same), or as it was."""
    if change.confirmed:
        return change
    mine = [r for r in records if r.step == change.night or not r.step]
    if not mine:
        return change
    direction = math.copysign(1, change.size)
    verdict = _interleaved(mine, noise)
    if verdict is not None:
        est, se, pairs = verdict
        words = f"previous and current build in {pairs} interleaved pairs: {100 * math.expm1(est):+.1f}% ± {100 * se:.1f}%"
    else:
        values = [r.value for r in mine if r.build == "current" and r.value > 0]
        if len(values) < MIN_SEGMENT:
            return change
        est = math.log(statistics.median(values) / change.before)
        level_se = MEDIAN_EFFICIENCY * noise.sigma / math.sqrt(max(change.nights_before, 1))
        measure_se = MEDIAN_EFFICIENCY * (noise.measurement or noise.sigma) / math.sqrt(len(values))
        se = math.sqrt(level_se ** 2 + measure_se ** 2 + noise.drift ** 2)
        words = f"current build, {len(values)} values: {100 * math.expm1(est):+.1f}% ± {100 * se:.1f}% against the level before"
    if direction * est >= math.log1p(MIN_EFFECT) and direction * est >= Z_CONFIRM * se:
        return dataclasses.replace(change, confirmed=True, confirmed_by="re-measurement", remeasure=words)
    # refuted: the builds differ, if at all, by less than MIN_EFFECT (or the other way); between the two
    # the step stays suspected and the next re-measurement adds its pairs to these
    refuted = verdict is not None and direction * est + REFUTE_Z * se < math.log1p(MIN_EFFECT)
    return dataclasses.replace(change, refuted=refuted, remeasure=words)


def _interleaved(records: list[Remeasurement], noise: Noise) -> tuple[float, float, int] | None:
    """(median log-ratio current/previous over the pairs, its standard error, pairs) when the previous
    build was measured in turns with the current one; None otherwise.  The error is the larger of the
    pairs' own spread and what the A/A pairs' measurement noise says one pair's ratio has."""
    by: dict[tuple[int, str], list[float]] = {}
    for r in records:
        if r.pair >= 0 and r.value > 0:
            by.setdefault((r.pair, r.build), []).append(r.value)
    ratios = [math.log(statistics.median(by[(i, "current")]) / statistics.median(by[(i, "previous")]))
              for i in sorted({i for i, _ in by}) if (i, "current") in by and (i, "previous") in by]
    if len(ratios) < MIN_PAIRS:
        return None
    reps = statistics.median(len(v) for v in by.values())
    per_value = (noise.measurement or noise.sigma) * (MEDIAN_EFFICIENCY if reps > 2 else 1.0) / math.sqrt(reps)
    d = np.array(ratios)
    spread = max(_robust_sd(d), math.sqrt(2) * per_value)
    return float(np.median(d)), MEDIAN_EFFICIENCY * spread / math.sqrt(len(d)), len(d)


def interleaved_verdict(records: list[Remeasurement], noise: Noise) -> str:
    """``confirmed``, ``refuted`` or ``inconclusive`` for interleaved re-measurements of one step, in
    whichever direction they point (``none`` without enough pairs): what tells ``ci/confirm`` to run
    another round."""
    verdict = _interleaved(records, noise)
    if verdict is None:
        return "none"
    est, se = abs(verdict[0]), verdict[1]
    if est >= max(math.log1p(MIN_EFFECT), Z_CONFIRM * se):
        return "confirmed"
    return "refuted" if est + REFUTE_Z * se < math.log1p(MIN_EFFECT) else "inconclusive"


def confirmed_steps(records: list[Remeasurement], noise: Noise) -> frozenset[str]:
    """The step nights whose interleaved re-measurement found the builds on either side to differ by at
    least ``MIN_EFFECT`` and ``Z_CONFIRM`` standard errors."""
    return frozenset(night for night in {r.step for r in records if r.step}
                     if interleaved_verdict([r for r in records if r.step == night], noise) == "confirmed")


def find_changes(history: History, refuted: bool = False) -> list[Change]:
    """Every step in every perf series of the history, regressions first, biggest first; steps that an
    interleaved re-measurement refuted only if ``refuted``."""
    changes = []
    for key, points in sorted(history.series.items()):
        noise = noise_floor(points)
        records = history.remeasured.get(key, [])
        for c in detect(key, points, noise, anchors=confirmed_steps(records, noise)):
            c = remeasured(c, records, noise)
            if refuted or not c.refuted:
                changes.append(c)
    return sorted(changes, key=lambda c: (c.kind != "regression", not c.confirmed, -abs(c.size)))
