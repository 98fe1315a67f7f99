"""Instruction counts (``harness perf --metrics instructions``): hardware counters where the kernel gives
them, valgrind where it does not; the count of a deterministic program is the same twice, and says which
counter gave it."""

import shutil

import pytest

from harness.perf.instructions import PERF, VALGRIND, count, counter

TRUE = shutil.which("true")


@pytest.mark.skipif(counter() is None, reason="no instruction counter here: no hardware counters and no valgrind "
                                              "(apt-get install valgrind)")
def test_a_deterministic_program_counts_the_same_twice_and_says_which_counter():
    first, second = count([TRUE], None, timeout=120), count([TRUE], None, timeout=120)
    assert first.source in (PERF, VALGRIND) and first.message is None
    assert first.value and first.value == second.value


@pytest.mark.skipif(counter() is None, reason="no instruction counter here")
def test_a_failing_program_has_no_count_and_says_why():
    c = count([shutil.which("false")], None, timeout=120)
    assert c.value is None and "exit 1" in c.message
