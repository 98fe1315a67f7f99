"""Regression detection on synthetic histories with known steps, noise and outliers (seeded): steps of 5%
over 2% noise are all found within two nights (suspected, then confirmed by an interleaved re-measurement
of the builds on either side), and 1,000 nights without a step raise no alarm."""

import numpy as np

from harness.analysis.history import Remeasurement, SeriesKey
from harness.analysis.regressions import detect, noise_floor, remeasured
from harness.dashboard.evaluate import K, SimulatedSeries, evaluate, run_nights, synthetic_series

KEY = SeriesKey("perf", "w", "full", "e", "wall_time", "x86_64")


def test_five_percent_steps_over_two_percent_noise_are_all_found_within_two_nights_and_1000_nights_raise_no_alarm():
    e = evaluate(step=0.05, trials=30, null_nights=1000, seed=3, long_null=False)
    assert e.found == e.trials and e.wrong == 0, e
    assert e.null_nights >= 1000 and e.null_alarms == 0, e


def test_the_step_night_is_found_exactly_and_a_night_late_would_be_refuted():
    rng = np.random.default_rng(21)
    result = run_nights(SimulatedSeries(rng, 12, 1.06), 16, "interleaved")
    assert list(result.alarms) == [12] and result.alarms[12][0] <= 12 + K - 1
    assert result.alarms[12][1] == "re-measurement"


def _suspect(at=12, factor=1.06, seed=4):
    points = synthetic_series(np.random.default_rng(seed), at + 1, step_at=at, factor=factor)
    [change] = [c for c in detect(KEY, points) if c.index == at]
    assert not change.confirmed
    return points, change


def _pairs(change, ratio, n=12, step=None):
    """``n`` pairs of the builds before and at ``change``, the current one ``ratio`` times slower, with
    +-0.4% of alternating noise (the machine's noise floor from the A/A pairs is larger and wins)."""
    return [Remeasurement(f"r{i}{b}", change.night, step or change.night, b, i,
                          change.before * (ratio if b == "current" else 1) * (1.004 if (i + len(b)) % 2 else 0.996))
            for i in range(n) for b in ("previous", "current")]


def test_interleaved_builds_that_differ_confirm_and_builds_that_measure_the_same_refute():
    points, change = _suspect()
    noise = noise_floor(points)
    assert remeasured(change, _pairs(change, 1.06), noise).confirmed
    same = remeasured(change, _pairs(change, 1.0), noise)
    assert same.refuted and not same.confirmed
    # a re-measurement made for another night's step says nothing about this one
    other = remeasured(change, _pairs(change, 1.06, step="2000-01-01"), noise)
    assert not other.confirmed and not other.refuted


def test_an_inconclusive_re_measurement_leaves_the_step_suspected():
    points, change = _suspect()
    few = remeasured(change, _pairs(change, 1.06, n=2), noise_floor(points))  # below MIN_PAIRS, current alone
    assert not few.refuted
    halfway = remeasured(change, _pairs(change, 1.025), noise_floor(points))  # between none and MIN_EFFECT
    assert not halfway.confirmed and not halfway.refuted


def test_a_step_is_located_sized_and_confirmed():
    points = synthetic_series(np.random.default_rng(5), 14, step_at=6, factor=1.10)
    [change] = detect(KEY, points)
    assert change.index == 6 and change.confirmed and change.kind == "regression"
    assert 0.06 < change.size < 0.14 and change.low < change.size < change.high


def test_one_wild_night_is_not_a_step():
    points = synthetic_series(np.random.default_rng(6), 14)
    points[7].value *= 1.8
    assert detect(KEY, points) == []


def test_a_step_in_the_last_two_nights_is_only_suspected():
    points = synthetic_series(np.random.default_rng(8), 30, step_at=28, factor=1.15)
    changes = detect(KEY, points)
    assert 28 in [c.index for c in changes] and not any(c.confirmed for c in changes)
    assert all(c.index >= 28 for c in changes)  # the night after may be a candidate too, never an earlier one


def test_the_noise_floor_comes_from_the_aa_pairs():
    noise = noise_floor(synthetic_series(np.random.default_rng(8), 14))
    assert noise.aa_pairs == 14 and 0.004 < noise.sigma < 0.03


def test_a_split_near_a_night_whose_builds_measured_apart_is_put_on_that_night():
    points = synthetic_series(np.random.default_rng(5), 20, step_at=10, factor=1.06)
    for p in points[10:12]:  # the step's first two nights only half up: the rank test may split early or late
        p.value /= 1.03
    [plain] = [c for c in detect(KEY, points) if c.confirmed]
    anchor = points[12].night if plain.index != 12 else points[11].night
    [moved] = [c for c in detect(KEY, points, anchors=frozenset({anchor})) if c.confirmed]
    assert moved.night == anchor and moved.index != plain.index
