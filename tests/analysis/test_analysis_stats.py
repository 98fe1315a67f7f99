import math
import random

import numpy as np

from harness.analysis.stats import (
    bootstrap_medians,
    firm,
    geomean,
    median,
    ratio,
    spread_warning,
    summarize,
    verdict,
)


def test_median_even_and_odd():
    assert median([3, 1, 2]) == 2
    assert median([4, 1, 3, 2]) == 2.5
    assert math.isnan(median([]))


def test_summary_interval_contains_median():
    rng = random.Random(5)
    xs = [1.0 + rng.random() * 0.1 for _ in range(9)]
    s = summarize(xs)
    assert s.n == 9
    assert s.lo <= s.median <= s.hi
    assert s.hi - s.lo < 0.1


def test_ratio_verdicts():
    rng = random.Random(1)
    base = [1.0 + rng.random() * 0.02 for _ in range(7)]
    slow = [2.0 + rng.random() * 0.02 for _ in range(7)]
    fast = [0.5 + rng.random() * 0.02 for _ in range(7)]
    same = [1.0 + rng.random() * 0.02 for _ in range(7)]
    r = ratio(slow, base)
    assert r.verdict == "slower" and 1.9 < r.value < 2.1 and r.lo > 1
    assert ratio(fast, base).verdict == "faster"
    assert ratio(same, base).verdict == "can't tell"


def test_single_samples_cannot_tell():
    r = ratio([2.0], [1.0])
    assert r.value == 2.0 and r.verdict == "can't tell"
    s = summarize([8.8e-3])  # one sample has no interval (shown n/a), not [8.8 ms, 8.8 ms]
    assert s.median == 8.8e-3 and math.isnan(s.lo) and math.isnan(s.hi)


def test_firm_only_when_the_interval_is_on_one_side_of_each_bound():
    assert firm(1.01, 1.08, high=1.10) is True
    assert firm(1.12, 1.30, high=1.10) is False
    assert firm(0.29, 3.40, high=1.10) is None  # straddles the bound: noisy
    assert firm(1.35, 1.6, 1.3, 1.7) is True and firm(1.8, 2.0, 1.3, 1.7) is False
    assert firm(math.nan, math.nan, high=1.10) is None


def test_verdict_edges():
    assert verdict(0.5, 0.9) == "faster"
    assert verdict(1.1, 1.3) == "slower"
    assert verdict(0.9, 1.1) == "can't tell"


def test_geomean_and_warnings():
    assert abs(geomean([1, 4]) - 2) < 1e-9
    s = summarize([1.0, 2.0, 3.0, 1.0, 3.0])
    assert "wide CI" in spread_warning(s, 0.1, 2)
    assert "busy" in spread_warning(summarize([1.0, 1.0, 1.0]), 5.0, 2)
    assert spread_warning(summarize([1.0, 1.0, 1.0]), 0.1, 2) is None


def test_bootstrap_is_deterministic_for_a_seed():
    rng = random.Random(4)
    xs = [1.0 + rng.random() for _ in range(40)]
    base = [0.5 + rng.random() for _ in range(40)]
    assert summarize(xs) == summarize(xs) and ratio(xs, base) == ratio(xs, base)
    # the interval is read at order statistics of the resampled medians, so seeds show in the draws
    once, again = bootstrap_medians(xs, np.random.default_rng(1)), bootstrap_medians(xs, np.random.default_rng(1))
    assert (once == again).all() and (once != bootstrap_medians(xs, np.random.default_rng(7))).any()


def test_two_samples_give_their_extremes_as_the_interval():
    # resampled medians of two values are the low, the middle or the high value, each at least 1/4 of the
    # time, so the 95% interval is exactly [min, max]; ratios likewise span the extreme quotients
    s = summarize([1.0, 3.0])
    assert (s.median, s.lo, s.hi) == (2.0, 1.0, 3.0)
    r = ratio([2.0, 4.0], [1.0, 2.0])
    assert r.value == 2.0 and (r.lo, r.hi) == (1.0, 4.0) and r.verdict == "can't tell"


def test_failed_runs_are_not_samples():
    s = summarize([1.0, None, math.nan, 1.0])
    assert s.n == 2 and s.median == 1.0
    assert math.isnan(geomean([None, math.nan, 0.0]))
