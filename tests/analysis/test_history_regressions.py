"""Regression detection on synthetic histories with known steps, noise and outliers (seeded): steps of 5%
over 2% noise are found, and 1,000 nights without a step raise no alarm."""

import numpy as np

from harness.analysis.history import SeriesKey
from harness.analysis.regressions import detect, noise_floor
from harness.dashboard.simulate import evaluate, synthetic_series

KEY = SeriesKey("perf", "w", "full", "e", "wall_time", "x86_64")


def test_five_percent_steps_over_two_percent_noise_are_found_without_false_alarms_in_1000_nights():
    e = evaluate(step=0.05, trials=60, null_nights=1000, seed=3)
    assert e.recall >= 0.8, e
    assert e.null_alarms == 0 and e.long_alarms == 0, e
    assert e.precision >= 0.95, e


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
    [change] = detect(KEY, points)
    assert change.index == 28 and not change.confirmed


def test_the_noise_floor_comes_from_the_aa_pairs():
    noise = noise_floor(synthetic_series(np.random.default_rng(8), 14))
    assert noise.aa_pairs == 14 and 0.004 < noise.sigma < 0.03
