"""Merging shards and nights into one history store, all or nothing.

Every input is checked before anything is written (``store.inspect_store``: damaged, half-written,
another program's or a newer schema is refused with one line), and the merge runs on a copy of the
history that replaces it only once every input is in: a fault half-way leaves the history as it was.
Runs are copied by run id, so merging the same shard twice adds nothing, and each run keeps the machine
fingerprint it was measured on.  Stores of an older schema are migrated by the copy (columns added since
are left empty).  A shard that failed or timed out still merges; its run keeps its status (``failed``,
``interrupted``, or ``running`` when it was killed outright) and the cells it never measured stay absent,
which the history reads as missing, never as zero or as a pass.
"""

from __future__ import annotations

import os
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path

from .store import ResultsStore, StoreError, inspect_store


@dataclass
class MergedInput:
    path: Path
    schema: int
    runs_added: int = 0
    runs_present: int = 0
    rows_added: int = 0
    partial: list[str] = field(default_factory=list)  # run ids that did not finish


def _copy(src: Path, dst: Path) -> None:
    """A consistent copy of an SQLite store (its write-ahead log included)."""
    with sqlite3.connect(f"{src.absolute().as_uri()}?mode=ro", uri=True) as a, sqlite3.connect(dst) as b:
        a.backup(b)
    a.close()
    b.close()


def _remove(path: Path) -> None:
    for p in (path, Path(f"{path}-wal"), Path(f"{path}-shm"), Path(f"{path}-journal")):
        p.unlink(missing_ok=True)


def merge_stores(inputs: list[Path], into: Path) -> list[MergedInput]:
    """Merge ``inputs`` into the history store ``into`` (created if absent); what each input added."""
    report = [MergedInput(Path(p), inspect_store(p)) for p in inputs]
    if into.exists():
        inspect_store(into)
    if not into.parent.is_dir():
        raise StoreError(f"history store {into}: the folder {into.parent} does not exist")
    work = into.with_name(f".{into.name}.merging-{os.getpid()}")
    _remove(work)
    try:
        if into.exists():
            _copy(into, work)
        with ResultsStore(work) as history:
            for item in report:
                have = {r["run_id"] for r in history.runs()}
                with sqlite3.connect(f"{item.path.absolute().as_uri()}?mode=ro", uri=True) as src:
                    runs = src.execute("SELECT run_id, status FROM runs").fetchall()
                src.close()
                item.runs_present = sum(1 for run_id, _ in runs if run_id in have)
                item.runs_added = len(runs) - item.runs_present
                item.partial = [run_id for run_id, status in runs if run_id not in have and status != "finished"]
                item.rows_added = history.merge_from(item.path)
        with sqlite3.connect(work) as db:  # one file, no write-ahead log beside it: a history is copied around
            db.execute("PRAGMA journal_mode=DELETE")
        db.close()
        os.replace(work, into)
        # the history's old write-ahead log (a connection left it, or a writer still holds the old file)
        # belongs to the file just replaced: read against the new one it would overwrite merged pages
        for stale in (Path(f"{into}-wal"), Path(f"{into}-shm")):
            stale.unlink(missing_ok=True)
    finally:
        _remove(work)
    return report
