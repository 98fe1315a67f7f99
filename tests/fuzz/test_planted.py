"""The target: a planted bug in a copy of our interpreter (``i32.rotl`` rotating one bit too far,
``tests/fuzz/planted.py``) is found within 2,000 modules and minimised to under 200 bytes.

The fast test replays module ``1:599``, the second of seed 1 that exposes it (found by the slow test's
search), and minimises it; the slow one (``pytest -m slow``, ~8 min on a shared 2-core machine) runs the
search itself: 2,000 modules of seed 1 on ``ours:interp`` and the planted copy.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from harness.cli import main
from harness.results.store import ResultsStore
from harness.spec.drivers import EXTRA_ENV

REPO = Path(__file__).resolve().parents[2]
ENGINES = "ours:interp,planted:rotl"


@pytest.fixture(autouse=True)
def planted(monkeypatch):
    monkeypatch.setenv(EXTRA_ENV, "planted=tests.fuzz.planted:PlantedDriver")
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")])))


def findings(db: Path) -> list[dict]:
    with ResultsStore(db) as store:
        df = store.dataframe(suite="fuzz")
    return [r for r in df.to_dict("records") if r["metric"] == "finding"]


def check_minimised(found: list[dict]) -> dict:
    small = [f for f in found if f["engine"] == "planted" and f["value"] < 200]
    assert small, [(f["file"], f["value"], f["extra"]["minimise"]) for f in found]
    best = min(small, key=lambda f: f["value"])
    folder = Path(best["extra"]["folder"])
    assert (folder / "min.wasm").stat().st_size == best["value"] < 200
    assert "i32.rotl" in (folder / "min.wat").read_text()
    assert best["file"].startswith("global | planted:rotl vs ours:interp") or best["file"].startswith("result |")
    assert "harness fuzz replay" in (folder / "README.md").read_text()
    # the reference interpreter sides with the real interpreter, so the .wast is right
    assert best["extra"]["wabt"] == "agrees with the majority"
    return best


def test_the_planted_rotl_bug_is_found_and_minimised(tmp_path):
    db = tmp_path / "r.db"
    assert main(["fuzz", "--engines", ENGINES, "--seed", "1", "--start", "599", "--count", "1", "--db", str(db),
                 "--findings", str(tmp_path / "f"), "--shrink-attempts", "120", "-q"]) == 1
    best = check_minimised(findings(db))
    # the minimised module still shows the bug when replayed; the real interpreter agrees with wasmtime on it
    wasm = Path(best["extra"]["folder"]) / "min.wasm"
    assert main(["fuzz", "replay", str(wasm), "--engines", ENGINES, "--name", "1:599"]) == 1
    assert main(["fuzz", "replay", str(wasm), "--engines", "ours:interp,wasmtime:cranelift", "--name", "1:599"]) == 0


@pytest.mark.slow
def test_the_planted_rotl_bug_is_found_within_2000_modules(tmp_path):
    db = tmp_path / "r.db"
    assert main(["fuzz", "--engines", ENGINES, "--seed", "1", "--count", "2000", "--db", str(db),
                 "--findings", str(tmp_path / "f"), "-q"]) == 1
    found = findings(db)
    assert found and all(f["engine"] == "planted" for f in found)  # the real interpreter is never blamed
    check_minimised(found)
