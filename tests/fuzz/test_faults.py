"""Faults a fuzz run must survive, each planted: an engine killed by a signal, one that hangs, one that prints
garbage, a generator that fails (now and then, or always), a findings folder that cannot be written (a full
disk), and Ctrl-C in the middle of a module.  Each is a recorded outcome with a clear message, and what was
stored before it is kept."""

from __future__ import annotations

import errno
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from harness.cli import main
from harness.results.store import ResultsStore
from harness.spec.drivers import EXTRA_ENV

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def planted(monkeypatch):
    monkeypatch.setenv(EXTRA_ENV, "planted=tests.fuzz.planted:PlantedDriver")
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")])))


def fuzz(tmp_path: Path, *args: str) -> int:
    return main(["fuzz", "--db", str(tmp_path / "r.db"), "--findings", str(tmp_path / "findings"), "--seed", "1",
                 "--no-minimise", *args])


def rows(tmp_path: Path, metric: str | None = None) -> list[dict]:
    with ResultsStore(tmp_path / "r.db") as store:
        df = store.dataframe(suite="fuzz")
    records = df.to_dict("records")
    return [r for r in records if metric is None or r["metric"] == metric]


def run_status(tmp_path: Path) -> str:
    with ResultsStore(tmp_path / "r.db") as store:
        return store.runs(kind="fuzz")[-1]["status"]


@pytest.mark.parametrize(("tier", "outcome", "words"), [
    ("crash", "crash", "killed by SIGSEGV"),
    ("garbage", "error", "printed something that is not an answer: b'this is not JSON"),
])
def test_an_engine_that_dies_or_lies_is_a_finding_and_the_run_goes_on(tmp_path, tier, outcome, words, capsys):
    assert fuzz(tmp_path, "--engines", f"ours:interp,planted:{tier}", "--count", "2") == 1
    found = rows(tmp_path, "finding")
    assert len(found) == 2 and {r["outcome"] for r in found} == {outcome}
    assert all(words in r["message"] and r["engine"] == "planted" for r in found)
    assert found[0]["file"] == found[1]["file"]  # one signature, seen twice
    (total,) = rows(tmp_path, "modules")
    assert total["value"] == 2  # the worker was restarted for the second module
    assert run_status(tmp_path) == "finished"
    assert "findings (1 new, 1 signatures)" in capsys.readouterr().err


def test_a_hanging_engine_is_killed_at_the_timeout(tmp_path):
    start = time.monotonic()
    assert fuzz(tmp_path, "--engines", "ours:interp,planted:hang", "--count", "1", "--timeout", "4") == 1
    assert time.monotonic() - start < 60
    (f,) = rows(tmp_path, "finding")
    assert f["outcome"] == "timeout" and "no answer within 4s" in f["message"]
    assert f["file"].startswith("hang | planted:hang vs ours:interp")


def test_generator_failures_are_outcomes_and_a_broken_generator_ends_the_run(tmp_path, monkeypatch, capsys):
    from harness.spec.convert import wasm_tools

    flaky = tmp_path / "flaky-wasm-tools"
    counter = tmp_path / "n"
    flaky.write_text(f"""#!/bin/sh
n=$(cat {counter} 2>/dev/null || echo 0); echo $((n + 1)) > {counter}
if [ $((n % 2)) = 1 ]; then echo "error: planted: smith fell over" >&2; exit 1; fi
exec {wasm_tools()} "$@"
""")
    flaky.chmod(0o755)
    monkeypatch.setenv("HARNESS_FUZZ_WASM_TOOLS", str(flaky))
    assert fuzz(tmp_path, "--engines", "ours:interp,planted:interp", "--count", "4") == 0
    faults = rows(tmp_path, "fault")
    assert len(faults) == 2 and all("planted: smith fell over" in r["message"] for r in faults)
    assert rows(tmp_path, "modules")[0]["value"] == 2

    broken = tmp_path / "broken-wasm-tools"
    broken.write_text("#!/bin/sh\necho 'error: planted: always broken' >&2\nexit 2\n")
    broken.chmod(0o755)
    monkeypatch.setenv("HARNESS_FUZZ_WASM_TOOLS", str(broken))
    assert fuzz(tmp_path, "--engines", "ours:interp,planted:interp", "--count", "50") == 2
    err = capsys.readouterr().err
    assert "wasm-tools smith failed on 20 modules in a row" in err and "always broken" in err
    assert run_status(tmp_path) == "failed"
    assert len(rows(tmp_path, "fault")) == 2 + 20  # the first run's rows are kept


def test_a_full_disk_in_the_findings_folder_keeps_the_finding_in_the_database(tmp_path, monkeypatch):
    from harness.fuzz import runner

    def full(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(runner, "write_finding", full)
    assert fuzz(tmp_path, "--engines", "ours:interp,planted:crash", "--count", "2") == 1
    assert len(rows(tmp_path, "finding")) == 2
    faults = rows(tmp_path, "fault")
    assert len(faults) == 2 and "No space left on device" in faults[0]["message"]
    assert "is in the results database" in faults[0]["message"]
    assert rows(tmp_path, "finding")[0]["extra"]["folder"] is None


def test_ctrl_c_stops_after_the_current_module_and_prints_the_summary(tmp_path):
    env = {**os.environ}
    argv = [sys.executable, "-m", "harness", "fuzz", "--engines", "ours:interp,planted:sleepy", "--count", "100",
            "--seed", "1", "--db", str(tmp_path / "r.db"), "--findings", str(tmp_path / "f"), "--no-minimise"]
    p = subprocess.Popen(argv, stderr=subprocess.PIPE, text=True, env=env, cwd=REPO)
    assert p.stderr is not None
    first = p.stderr.readline()
    assert "[fuzz] seed 1" in first
    time.sleep(8)  # the workers start, then two seconds a module
    p.send_signal(signal.SIGINT)
    sent = time.monotonic()
    err = p.stderr.read()
    assert p.wait(timeout=60) == 130
    assert time.monotonic() - sent < 30
    assert "stopping after the module being run" in err
    assert "[fuzz] seed 1:" in err and "interrupted" in err
    assert run_status(tmp_path) == "interrupted"
    (total,) = rows(tmp_path, "modules")
    assert 1 <= total["value"] < 100
    assert not rows(tmp_path, "finding")  # the module being run was finished, not cut: no false crash
