"""``harness results merge``: idempotent, fingerprints kept, all or nothing on bad input."""

import hashlib
import json
import sqlite3
from pathlib import Path

import pytest

from harness.cli import main
from harness.results import ResultRow, ResultsStore
from harness.results.merge import merge_stores
from harness.results.store import StoreError


def _shard(path: Path, *, host: str = "vm", status: str = "finished", files: int = 3) -> Path:
    with ResultsStore(path) as st:
        run = st.start_run("spec", command="harness spec", suites={"spec": "a8101597"})
        st.add(run, [ResultRow("spec", f"f{i}.wast", "ours", "assertion", item="line 1", tier="interp",
                               outcome="pass", value=1.0) for i in range(files)])
        st.finish_run(run, status)
    with sqlite3.connect(path) as db:
        machine = json.loads(db.execute("SELECT machine FROM runs").fetchone()[0])
        db.execute("UPDATE runs SET machine=?", (json.dumps({**machine, "hostname": host}),))
    return path


def _counts(db: Path) -> tuple[int, int]:
    with sqlite3.connect(db) as c:
        return c.execute("SELECT count(*) FROM runs").fetchone()[0], c.execute("SELECT count(*) FROM results").fetchone()[0]


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_merging_twice_adds_nothing_and_runs_keep_their_machines(tmp_path, capsys):
    a, b = _shard(tmp_path / "a.db", host="x86-runner"), _shard(tmp_path / "b.db", host="arm-runner", files=2)
    history = tmp_path / "history.db"
    assert main(["results", "merge", str(a), str(b), "--into", str(history)]) == 0
    assert _counts(history) == (2, 5)
    assert main(["results", "merge", str(a), str(b), "--into", str(history)]) == 0
    assert _counts(history) == (2, 5)
    assert "0 runs and 0 rows added, 1 already in the history" in capsys.readouterr().out
    with ResultsStore(history) as st:
        assert sorted(r["machine"]["hostname"] for r in st.runs()) == ["arm-runner", "x86-runner"]


@pytest.mark.parametrize("damage", ["garbage", "truncated", "foreign", "newer"])
def test_a_bad_input_is_refused_in_one_line_and_the_history_is_untouched(tmp_path, capsys, damage):
    history = tmp_path / "history.db"
    merge_stores([_shard(tmp_path / "night1.db")], history)
    before = _digest(history)
    bad = tmp_path / "bad.db"
    if damage == "garbage":
        bad.write_bytes(b"not a database at all " * 200)
    elif damage == "truncated":
        _shard(tmp_path / "whole.db", files=400)
        data = (tmp_path / "whole.db").read_bytes()
        bad.write_bytes(data[: len(data) // 2])
    elif damage == "foreign":
        with sqlite3.connect(bad) as c:
            c.execute("CREATE TABLE photos (id INTEGER)")
    else:
        _shard(bad)
        with sqlite3.connect(bad) as c:
            c.execute("UPDATE meta SET value='99' WHERE key='schema_version'")
    good = _shard(tmp_path / "good.db")
    assert main(["results", "merge", str(good), str(bad), "--into", str(history)]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and str(bad) in err, err
    assert _digest(history) == before
    assert not list(tmp_path.glob(".history.db.merging-*"))


def test_an_older_schema_is_migrated_with_every_row(tmp_path):
    old = _shard(tmp_path / "old.db", files=4)
    with sqlite3.connect(old) as c:  # schema 1: no pid/host columns
        c.execute("ALTER TABLE runs DROP COLUMN pid")
        c.execute("ALTER TABLE runs DROP COLUMN host")
        c.execute("UPDATE meta SET value='1' WHERE key='schema_version'")
    report = merge_stores([old], tmp_path / "history.db")
    assert report[0].schema == 1 and report[0].rows_added == 4
    assert _counts(tmp_path / "history.db") == (1, 4)


def test_a_shard_that_did_not_finish_merges_and_is_reported(tmp_path, capsys):
    part = _shard(tmp_path / "part.db", status="interrupted", files=1)
    assert main(["results", "merge", str(part), "--into", str(tmp_path / "h.db")]) == 0
    assert "1 did not finish" in capsys.readouterr().out
    assert _counts(tmp_path / "h.db") == (1, 1)


def test_a_missing_input_is_refused(tmp_path):
    with pytest.raises(StoreError, match="does not exist"):
        merge_stores([tmp_path / "nope.db"], tmp_path / "h.db")
    assert not (tmp_path / "h.db").exists()


def test_a_history_left_with_a_write_ahead_log_keeps_what_is_merged_into_it(tmp_path):
    history = _shard(tmp_path / "history.db", host="night1")
    open_writer = sqlite3.connect(history)  # a connection that wrote in WAL mode and was never closed
    open_writer.execute("PRAGMA journal_mode=WAL")
    open_writer.execute("UPDATE runs SET command='harness spec  # touched'")
    open_writer.commit()
    assert Path(f"{history}-wal").exists()
    merge_stores([_shard(tmp_path / "tonight.db", host="night2")], history)
    open_writer.close()
    assert _counts(history) == (2, 6)
    with sqlite3.connect(history) as db:
        assert {h for (h,) in db.execute("SELECT json_extract(machine, '$.hostname') FROM runs")} == {"night1", "night2"}
        assert db.execute("SELECT count(*) FROM runs WHERE command LIKE '%touched'").fetchone()[0] == 1
    db.close()
