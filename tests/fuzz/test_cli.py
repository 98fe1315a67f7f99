"""``harness fuzz`` as a command: its options, the engines it takes and refuses, and its modes."""

from __future__ import annotations

import argparse

import pytest

from harness.cli import main
from harness.errors import HarnessError
from harness.fuzz.cli import duration, resolve_engines
from harness.results.store import ResultsStore


def test_durations():
    assert duration("90") == duration("90s") == 90
    assert duration("10m") == 600 and duration("1h30m") == 5400
    for bad in ("", "m", "10x", "0s"):
        with pytest.raises(argparse.ArgumentTypeError):
            duration(bad)


def test_engines_it_takes_and_refuses():
    assert resolve_engines("ours:interp,wasmtime:cranelift,ours:interp") == ["ours:interp", "wasmtime:cranelift"]
    with pytest.raises(HarnessError, match="at least two engines"):
        resolve_engines("ours:interp")
    with pytest.raises(HarnessError, match="runs whole script files"):
        resolve_engines("ours:interp,wabt")


def test_errors_are_one_line_with_what_to_do(tmp_path, capsys):
    assert main(["fuzz", "replay", str(tmp_path / "nope.wasm"), "--engines", "ours:interp,wasmtime:cranelift"]) == 2
    assert "cannot read" in capsys.readouterr().err
    assert main(["fuzz", "--engines", "ours:interp,nosuchruntime", "--no-store"]) == 2
    assert "unknown runtime 'nosuchruntime'" in capsys.readouterr().err
    assert main(["fuzz", "--engines", "ours:interp,wasmtime:cranelift", "--features", "threads", "--no-store"]) == 2
    assert "unknown feature threads" in capsys.readouterr().err


def test_validate_mode_runs_validation_fuzzing_and_records_it(tmp_path):
    db = tmp_path / "r.db"
    assert main(["fuzz", "validate", "--engines", "ours", "--count", "8", "--seed", "3", "--db", str(db),
                 "--findings", str(tmp_path / "f"), "-q"]) in (0, 1)
    with ResultsStore(db) as store:
        (run,) = store.runs(kind="fuzz")
        df = store.dataframe(suite="fuzz-validation")
    assert run["status"] == "finished" and run["extra"]["mode"] == "validation"
    assert df.loc[df["metric"] == "mutants", "value"].tolist() == [8]
