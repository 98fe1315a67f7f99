"""The two ways a 5% step over 2% noise went wrong in the seeded evaluation, planted from the simulated
nights that showed them: a step over a level whose noise was estimated high (not suspected by its second
night), and a few high nights just before a confirmed step (reported as a step of their own).  Plus the
evaluation itself on a few seeded histories."""

import pytest

from harness.analysis import regressions
from harness.analysis.history import Point
from harness.analysis.regressions import detect, noise_floor
from harness.dashboard.evaluate import KEY, evaluate, night_name

# seed 11's history 104 of `evaluate --step 0.05`: ten nights whose noise is estimated at ~2% (the truth:
# ~1.1%), then two nights of its 5% step (its nights 10 and 12: +3.3% on average, ~2.1 estimated standard
# errors; its own nights 10 and 11 stood 1.8 apart, which no threshold that keeps suspicions rare catches)
NOISY_LEVEL = [1.0045, 1.0089, 1.013, 1.0303, 1.0025, 1.0262, 0.9984, 1.01, 0.989, 1.0085, 1.0298, 1.0542]
# seed 11's history 62: a 5% step on night 17, the nights 13-16 a little high
HIGH_BEFORE = [0.9911, 0.9954, 0.9918, 0.9811, 1.0076, 0.9834, 0.995, 0.9977, 0.9835, 0.9881, 0.9926, 1.0028,
               0.9928, 1.0118, 1.0142, 1.001, 1.0051, 1.0353, 1.0623, 1.039, 1.0421]


def _points(values, aa=0.011):
    """Nights with an A/A pair each, the two runs ``aa`` either side of the night's value."""
    return [Point(night_name(i), v, {f"r{i}a": v * (1 + aa), f"r{i}b": v * (1 - aa)}, 6) for i, v in enumerate(values)]


def test_a_step_over_a_level_whose_noise_was_estimated_high_is_suspected_by_its_second_night(monkeypatch):
    points = _points(NOISY_LEVEL)  # the morning after the step's second night
    assert noise_floor(points[:10]).sigma > 0.018  # the level's noise, as the detector sees it
    suspects = {c.index for c in detect(KEY, points) if not c.confirmed}
    assert 10 in suspects
    monkeypatch.setattr(regressions, "Z_SUSPECT", 2.5)  # the threshold that missed it
    assert 10 not in {c.index for c in detect(KEY, points)}


def test_high_nights_before_a_step_the_builds_confirmed_are_not_a_step_of_their_own():
    points = _points(HIGH_BEFORE)
    changes = detect(KEY, points, anchors=frozenset({night_name(17)}))
    assert [c.index for c in changes if c.index < 17] == []
    assert 17 in {c.index for c in changes}


@pytest.mark.slow
def test_the_seeded_evaluation_finds_every_5_percent_step_within_two_nights_and_nothing_else():
    result = evaluate(step=0.05, trials=40, null_nights=240, seed=5)
    assert (result.found, result.late, result.wrong, result.null_alarms) == (40, 0, 0, 0), str(result)
