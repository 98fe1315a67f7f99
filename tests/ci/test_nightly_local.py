"""``ci/nightly --local`` on the tiny subset: each shard leaves a database, they merge into a history,
and the dashboard is rendered from it."""

import sqlite3
import subprocess

from harness.paths import REPO_ROOT


def test_the_local_nightly_produces_shards_a_history_and_a_dashboard(tmp_path):
    done = subprocess.run([str(REPO_ROOT / "ci" / "nightly"), "--local", "--out", str(tmp_path)], capture_output=True,
                          text=True, timeout=900)
    assert done.returncode in (0, 1), done.stderr  # 1: a tiny shard found a failure; the pipeline went on
    shards = sorted(p.name for p in (tmp_path / "shards").glob("*.db"))
    assert [s.split("-", 1)[1] for s in shards] == ["perf.db", "spec.db", "wasi.db"]
    assert not list((tmp_path / "shards").glob("*-wal")), "a shard's database is one file to upload"
    with sqlite3.connect(tmp_path / "history.db") as db:
        kinds = sorted(k for (k,) in db.execute("SELECT kind FROM runs"))
        metrics = {m for (m,) in db.execute("SELECT DISTINCT metric FROM results")}
    assert kinds == ["perf", "perf", "perf", "spec", "wasi"]
    assert {"assertion", "test", "wall_time"} <= metrics
    site = tmp_path / "site"
    assert (site / "index.html").exists() and (site / "history.db").exists()
    assert "Nightly dashboard" in (site / "index.html").read_text()
