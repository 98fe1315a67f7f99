"""A flaky entry tolerates both outcomes: a failure is xfail and a pass is a plain pass, never xpass."""

from harness.adapters.base import EngineSpec
from harness.wasi.expectations import load
from harness.wasi.runner import TestResult


def _write(tmp_path):
    (tmp_path / "eng.toml").write_text('[wasi."g/broken"]\nreason = "bug"\n'
                                       '[wasi."g/timing"]\nreason = "timer granularity"\nflaky = true\n')
    return load("eng", "t", tmp_path)


def test_flaky_reasons_are_marked_and_failures_listed(tmp_path):
    exp = _write(tmp_path)
    assert exp.reason("g/timing").startswith("flaky: ")
    assert exp.reason("g/broken") == "bug"
    assert exp.reason("g/fine") is None


def test_verdicts(tmp_path):
    exp = _write(tmp_path)
    eng = EngineSpec("eng", "t")

    def verdict(test_id, outcome):
        return TestResult(eng, None, outcome, "", expected_fail=exp.reason(test_id)).verdict

    assert verdict("g/timing", "pass") == "pass"
    assert verdict("g/timing", "fail") == "xfail"
    assert verdict("g/broken", "pass") == "xpass"
    assert verdict("g/broken", "fail") == "xfail"
