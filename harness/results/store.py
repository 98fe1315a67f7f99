"""SQLite store of runs and result rows.

One row per measured thing (an assertion's outcome, a timing, a peak RSS).  A run row carries the
machine fingerprint, engine versions and suite commits.  Rows are written as they are measured and
committed in small batches, so a crash later in a run never loses what was already measured.  Several
stores (shards, architectures, nights) merge by run id.
"""

from __future__ import annotations

import json
import sqlite3
import time
import uuid
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from .machine import machine_fingerprint

SCHEMA_VERSION = 1

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT);
CREATE TABLE IF NOT EXISTS runs (
    run_id TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    command TEXT,
    started REAL NOT NULL,
    finished REAL,
    status TEXT,
    machine TEXT,
    engines TEXT,
    suites TEXT,
    extra TEXT
);
CREATE TABLE IF NOT EXISTS results (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    run_id TEXT NOT NULL REFERENCES runs(run_id),
    suite TEXT NOT NULL,
    file TEXT NOT NULL,
    item TEXT,
    engine TEXT NOT NULL,
    tier TEXT,
    arch TEXT,
    metric TEXT NOT NULL,
    value REAL,
    unit TEXT,
    outcome TEXT,
    message TEXT,
    extra TEXT
);
CREATE INDEX IF NOT EXISTS results_run ON results(run_id);
CREATE INDEX IF NOT EXISTS results_engine ON results(engine, suite);
"""


@dataclass
class ResultRow:
    """One measured thing.

    ``metric`` says what ``value`` is: ``assertion`` (value 1 pass / 0 not), ``wall_time``, ``compile_time``,
    ``peak_rss``...  ``outcome`` is pass / fail / skip / crash / timeout / error / xfail / xpass for
    conformance and ok / wrong-output / crash / timeout for perf.
    """

    suite: str
    file: str
    engine: str
    metric: str
    item: str | None = None
    tier: str | None = None
    arch: str | None = None
    value: float | None = None
    unit: str | None = None
    outcome: str | None = None
    message: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)


class ResultsStore:
    def __init__(self, path: str | Path):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(str(self.path), timeout=60)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.executescript(_SCHEMA)
        self._db.execute("INSERT OR IGNORE INTO meta VALUES ('schema_version', ?)", (str(SCHEMA_VERSION),))
        self._db.commit()

    # -- runs -------------------------------------------------------------------------------------
    def start_run(self, kind: str, command: str = "", engines: dict[str, str | None] | None = None,
                  suites: dict[str, str | None] | None = None, extra: dict[str, Any] | None = None,
                  run_id: str | None = None) -> str:
        run_id = run_id or time.strftime("%Y%m%dT%H%M%S") + "-" + uuid.uuid4().hex[:8]
        self._db.execute(
            "INSERT OR IGNORE INTO runs (run_id, kind, command, started, status, machine, engines, suites, extra)"
            " VALUES (?, ?, ?, ?, 'running', ?, ?, ?, ?)",
            (run_id, kind, command, time.time(), json.dumps(machine_fingerprint()), json.dumps(engines or {}),
             json.dumps(suites or {}), json.dumps(extra or {})),
        )
        self._db.commit()
        return run_id

    def update_run(self, run_id: str, *, engines: dict[str, str | None] | None = None,
                   suites: dict[str, str | None] | None = None) -> None:
        row = self._db.execute("SELECT engines, suites FROM runs WHERE run_id=?", (run_id,)).fetchone()
        if row is None:
            return
        e = json.loads(row[0] or "{}") | (engines or {})
        s = json.loads(row[1] or "{}") | (suites or {})
        self._db.execute("UPDATE runs SET engines=?, suites=? WHERE run_id=?", (json.dumps(e), json.dumps(s), run_id))
        self._db.commit()

    def finish_run(self, run_id: str, status: str = "finished") -> None:
        self._db.execute("UPDATE runs SET finished=?, status=? WHERE run_id=?", (time.time(), status, run_id))
        self._db.commit()

    # -- rows -------------------------------------------------------------------------------------
    def add(self, run_id: str, rows: Iterable[ResultRow]) -> int:
        arch = machine_fingerprint()["arch"]
        data = [
            (run_id, r.suite, r.file, r.item, r.engine, r.tier, r.arch or arch, r.metric, r.value, r.unit,
             r.outcome, r.message, json.dumps(r.extra) if r.extra else None)
            for r in rows
        ]
        self._db.executemany(
            "INSERT INTO results (run_id, suite, file, item, engine, tier, arch, metric, value, unit, outcome,"
            " message, extra) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            data,
        )
        self._db.commit()
        return len(data)

    # -- reading ----------------------------------------------------------------------------------
    def runs(self, kind: str | None = None) -> list[dict[str, Any]]:
        q = "SELECT run_id, kind, command, started, finished, status, machine, engines, suites, extra FROM runs"
        args: tuple = ()
        if kind:
            q += " WHERE kind=?"
            args = (kind,)
        q += " ORDER BY started"
        out = []
        for r in self._db.execute(q, args):
            out.append({
                "run_id": r[0], "kind": r[1], "command": r[2], "started": r[3], "finished": r[4],
                "status": r[5], "machine": json.loads(r[6] or "{}"), "engines": json.loads(r[7] or "{}"),
                "suites": json.loads(r[8] or "{}"), "extra": json.loads(r[9] or "{}"),
            })
        return out

    def latest_run(self, kind: str) -> str | None:
        row = self._db.execute("SELECT run_id FROM runs WHERE kind=? ORDER BY started DESC LIMIT 1", (kind,)).fetchone()
        return row[0] if row else None

    def dataframe(self, run_ids: list[str] | None = None, suite: str | None = None):
        """Result rows as a pandas DataFrame (``extra`` decoded)."""
        import pandas as pd

        q = "SELECT * FROM results"
        cond, args = [], []
        if run_ids:
            cond.append(f"run_id IN ({','.join('?' * len(run_ids))})")
            args += run_ids
        if suite:
            cond.append("suite=?")
            args.append(suite)
        if cond:
            q += " WHERE " + " AND ".join(cond)
        df = pd.read_sql_query(q, self._db, params=args)
        df["extra"] = df["extra"].map(lambda s: json.loads(s) if isinstance(s, str) and s else {})
        return df

    def merge_from(self, other: str | Path) -> int:
        """Copy runs and rows of another store that this one does not have yet (by run id)."""
        src = sqlite3.connect(str(other))
        have = {r[0] for r in self._db.execute("SELECT run_id FROM runs")}
        n = 0
        for run in src.execute("SELECT run_id, kind, command, started, finished, status, machine, engines, suites, extra FROM runs"):
            if run[0] in have:
                continue
            self._db.execute("INSERT INTO runs VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", run)
            rows = src.execute(
                "SELECT run_id, suite, file, item, engine, tier, arch, metric, value, unit, outcome, message, extra"
                " FROM results WHERE run_id=?", (run[0],)).fetchall()
            self._db.executemany(
                "INSERT INTO results (run_id, suite, file, item, engine, tier, arch, metric, value, unit, outcome,"
                " message, extra) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)
            n += len(rows)
        self._db.commit()
        src.close()
        return n

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> ResultsStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def row_dict(row: ResultRow) -> dict[str, Any]:
    return asdict(row)
