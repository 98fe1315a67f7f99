"""Precision and recall of the regression detector, run the way the nightly pipeline runs it.

    python -m harness.dashboard.evaluate [--step 0.05] [--trials 300] [--null-nights 1000] [--seed 11]

Each simulated series is measured night after night as ``harness.dashboard.simulate`` measures its
nights (an A/A pair of ``REPEATS`` repetitions, log-normal noise of ``NOISE`` per measurement, ``OUTLIER_RATE``
of measurements slowed 1.2-2x, a night-wide drift of ``NIGHT_NOISE``), and every morning the detector
reads the history so far (``regressions.detect``); every step it suspects is re-measured the way
``ci/confirm`` does (the build before the step and the build of its first night in ``PAIRS`` interleaved
pairs of ``REPEATS`` repetitions each, or, where the previous build cannot be had, the current build
alone) and judged again (``regressions.remeasured``).  An alarm is a change confirmed on some morning.

**Found** means: the step injected on night ``s`` is confirmed, at night ``s`` itself, on a morning no
later than the one after night ``s + K - 1`` (``K = 2``: the step's own night and one more).  Why two
nights: one night's value of a series carries about 1.1% of noise at 2% per measurement (the median of
six, plus the drift), so a 5% step stands 4.5 of those above the level on its first night, and a first
night alone is missed now and then; the mean of two nights stands 6.4 above it.  What the detector
knows is not the true noise but its estimate from the nights before the step, which from a dozen
nights is now and then 1.5-2x too high: at such a series a step's two nights stand only ~2 estimated
standard errors apart, which is why suspicion starts at ``regressions.Z_SUSPECT`` = 2 (a suspicion
costs a re-measurement; only the interleaved builds raise an alarm).  The place must be exact because the place is the range of commits a
person reads next (the interleaved re-measurement compares exactly the two builds around it, so a step
placed a night late is refuted, not confirmed).  A step confirmed later (by the new level holding for
three nights) is counted late, not found.

A series has at least ``BASELINE`` (10) nights before its step: with fewer, its noise is known too
roughly for a first night to stand out (a new workload's first week is a baseline, not a watch).

Histories without a step give the false alarms: many short histories (the nights a dashboard shows) and
one long one (``--null-nights`` nights streamed night after night).
"""

from __future__ import annotations

import argparse
import time
from dataclasses import dataclass

import numpy as np

from ..analysis.history import Point, Remeasurement, SeriesKey
from ..analysis.regressions import confirmed_steps, detect, noise_floor, remeasured
from .simulate import NIGHT_NOISE, NOISE, repetitions

K = 2  # a step must be confirmed by the morning after its second night
BASELINE = 10  # nights of a series before its step, at least
ROUNDS = 2  # ci/confirm's rounds of PAIRS for one suspect in one morning, while inconclusive
PAIRS = 12  # interleaved (previous build, current build) pairs a re-measurement runs
MODES = ("interleaved", "current")
KEY = SeriesKey("perf", "synthetic", "full", "engine", "wall_time", "x86_64")


def night_name(i: int) -> str:
    return f"n{i:05d}"


class SimulatedSeries:
    """One series' truth: level 1, times ``factor`` from night ``step_at`` on (the build of that night is
    the one that changed).  Measures nights and re-measurements with the simulation's noise."""

    def __init__(self, rng: np.random.Generator, step_at: int | None = None, factor: float = 1.0):
        self.rng, self.step_at, self.factor = rng, step_at, factor
        self.drifts: list[float] = []
        self.rounds: dict[int, int] = {}

    def level(self, build: int) -> float:
        return self.factor if self.step_at is not None and build >= self.step_at else 1.0

    def night(self, i: int) -> Point:
        """Night ``i`` as ``history`` reads it: the median of an A/A pair's measurements."""
        drift = float(self.rng.normal(0, NIGHT_NOISE))
        self.drifts.append(drift)
        runs = {f"{night_name(i)}-aa{aa}": repetitions(self.rng, self.level(i), drift) for aa in range(2)}
        every = np.concatenate(list(runs.values()))
        return Point(night_name(i), float(np.median(every)), {r: float(np.median(v)) for r, v in runs.items()},
                     len(every))

    def remeasure(self, step: int, tonight: int, mode: str) -> list[Remeasurement]:
        """What ``ci/confirm`` measures on the morning after night ``tonight`` for a step suspected at
        night ``step``: in turns the build before it and the build of that night (``interleaved``), or
        tonight's build alone (``current``); the machine's mood is tonight's."""
        drift = self.drifts[tonight]
        out = []
        first = self.rounds.get(step, 0) * PAIRS  # a later round's pairs add to the earlier ones
        self.rounds[step] = self.rounds.get(step, 0) + 1
        for pair in range(first, first + PAIRS):
            builds = (("previous", step - 1), ("current", step)) if mode == "interleaved" else (("current", tonight),)
            for role, build in builds:
                for v in repetitions(self.rng, self.level(build), drift):
                    out.append(Remeasurement(f"re{tonight}-{pair}-{role}", night_name(tonight), night_name(step),
                                             role, pair if mode == "interleaved" else -1, float(v)))
        return out


def synthetic_series(rng: np.random.Generator, nights: int, step_at: int | None = None,
                     factor: float = 1.0) -> list[Point]:
    """``nights`` nights of one series at once, with a step of ``factor`` from night ``step_at`` on."""
    series = SimulatedSeries(rng, step_at, factor)
    return [series.night(i) for i in range(nights)]


@dataclass
class Nightly:
    """What the nightly pipeline concluded over one history."""

    alarms: dict[int, tuple[int, str]]  # night of a confirmed change -> (morning it was confirmed, by what)
    suspected: int  # (step, morning) re-measured
    refuted: int


def run_nights(series: SimulatedSeries, nights: int, mode: str) -> Nightly:
    """Stream ``nights`` nights through the detector and ``ci/confirm``'s re-measurements."""
    points: list[Point] = []
    records: list[Remeasurement] = []
    alarms: dict[int, tuple[int, str]] = {}
    refuted: set[int] = set()
    suspected = 0
    for n in range(nights):
        points.append(series.night(n))
        noise = noise_floor(points)
        for c in detect(KEY, points, noise, anchors=confirmed_steps(records, noise)):
            at = int(c.night[1:])
            if at in refuted or any(abs(at - a) <= 1 for a in alarms):
                continue  # told already (a step placed a night apart on a later morning is the same step)
            c = remeasured(c, records, noise)
            if not c.confirmed and not c.refuted:  # ci/confirm re-measures it this morning
                suspected += 1
                for _ in range(ROUNDS):  # a second round when the first is inconclusive
                    records += series.remeasure(at, n, mode)
                    c = remeasured(c, records, noise)
                    if c.confirmed or c.refuted:
                        break
            if c.confirmed:
                alarms[at] = (n, c.confirmed_by)
            elif c.refuted:
                refuted.add(at)
    return Nightly(alarms, suspected, len(refuted))


@dataclass
class Evaluation:
    step: float
    mode: str
    trials: int  # histories with one step
    found: int  # confirmed at its night within K nights
    late: int  # confirmed at its night, later than that
    wrong: int  # confirmed changes elsewhere in those histories
    null_nights: int  # nights without any step (short histories and the long one)
    null_alarms: int
    null_suspected: int  # suspicions re-measured in them (the cost of the re-measurement)
    seconds: float

    @property
    def recall(self) -> float:
        return self.found / self.trials if self.trials else 0.0

    @property
    def precision(self) -> float:
        flagged = self.found + self.late + self.wrong + self.null_alarms
        return (self.found + self.late) / flagged if flagged else 1.0

    def __str__(self) -> str:
        return (f"{100 * self.step:g}% steps over {100 * NOISE:g}% noise, re-measured {self.mode}: "
                f"recall {100 * self.recall:.1f}% ({self.found}/{self.trials} within {K} nights, {self.late} later), "
                f"precision {100 * self.precision:.1f}% ({self.wrong} alarms beside the steps); "
                f"{self.null_alarms} false alarms in {self.null_nights} nights without a step "
                f"({self.null_suspected} suspicions re-measured); {self.seconds:.0f}s")


def evaluate(step: float = 0.05, trials: int = 300, null_nights: int = 1000, mode: str = "interleaved",
             seed: int = 11, nights: int = 24, long_null: bool = False) -> Evaluation:
    """Precision and recall of the nightly detection with re-measurement (seeded).  Step histories have
    ``nights`` nights with a step on a night between ``BASELINE`` and ``nights - K``; the nights without a step are
    ``null_nights`` nights of ``nights``-night histories and, if ``long_null``, one history of
    ``null_nights`` nights more."""
    t0 = time.monotonic()
    rng = np.random.default_rng(seed)
    found = late = wrong = 0
    for _ in range(trials):
        at = int(rng.integers(BASELINE, nights - K + 1))
        result = run_nights(SimulatedSeries(rng, at, 1 + step), nights, mode)
        hit = result.alarms.get(at)
        found += hit is not None and hit[0] <= at + K - 1
        late += hit is not None and hit[0] > at + K - 1
        wrong += len(result.alarms) - (hit is not None)
    null_alarms = null_suspected = 0
    histories = [nights] * -(-null_nights // nights) + ([null_nights] if long_null else [])
    for length in histories:
        result = run_nights(SimulatedSeries(rng), length, mode)
        null_alarms += len(result.alarms)
        null_suspected += result.suspected
    return Evaluation(step, mode, trials, found, late, wrong, sum(histories), null_alarms, null_suspected,
                      time.monotonic() - t0)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m harness.dashboard.evaluate", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--step", type=float, action="append", help="relative step size (repeatable; default 0.03 0.05 0.10)")
    p.add_argument("--mode", choices=(*MODES, "both"), default="both")
    p.add_argument("--trials", type=int, default=300)
    p.add_argument("--null-nights", type=int, default=1000)
    p.add_argument("--seed", type=int, default=11)
    p.add_argument("--long", action="store_true",
                   help="also stream one history of --null-nights nights (slow: every morning reads all of it)")
    args = p.parse_args(argv)
    for mode in MODES if args.mode == "both" else (args.mode,):
        for step in args.step or (0.03, 0.05, 0.10):
            print(evaluate(step, args.trials, args.null_nights, mode, args.seed, long_null=args.long), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
