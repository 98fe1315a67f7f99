"""Sizes and durations read as a person writes them: a tiny process is never 0.0 MiB."""

import math

from harness.analysis.units import duration, memory


def test_memory_picks_a_unit_that_keeps_the_figure():
    assert memory(12) == "12 KiB"
    assert memory(2048) == "2.0 MiB"
    assert memory(4410.3 * 1024) == "4.31 GiB"
    assert memory(math.nan) == "-"


def test_durations():
    assert (duration(8.8e-3), duration(310e-6), duration(2.5)) == ("8.8 ms", "310 µs", "2.50 s")
