import math
import random

from harness.perf.stats import geomean, median, ratio, spread_warning, summarize, verdict


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
