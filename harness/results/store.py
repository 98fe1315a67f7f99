"""SQLite store of runs and result rows.

One row per measured thing (an assertion's outcome, a timing, a peak RSS).  A run row carries the
machine fingerprint, engine versions and suite commits, and the process and host that run it, so a run
killed without a chance to say so is recognised later (``mark_abandoned``).  Rows are committed as they
are measured, so a crash later in a run never loses what was already measured.  Several stores (shards,
architectures, nights) merge by run id.

A store that SQLite cannot read (truncated, garbage, another program's database) or cannot open is a
``StoreError`` naming the file and what to do, raised before anything is written to it.
"""

from __future__ import annotations

import functools
import json
import os
import sqlite3
import time
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from ..errors import HarnessError
from ..paths import default_results_db
from .machine import machine_fingerprint

SCHEMA_VERSION = 2

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
    extra TEXT,
    pid INTEGER,
    host TEXT
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
# Columns added after schema 1, added to older stores when they are opened.
_ADDED_RUN_COLUMNS = {"pid": "INTEGER", "host": "TEXT"}
_RUN_COLUMNS = "run_id, kind, command, started, finished, status, machine, engines, suites, extra"
_ROW_COLUMNS = "run_id, suite, file, item, engine, tier, arch, metric, value, unit, outcome, message, extra"


class StoreError(HarnessError):
    """The results store cannot be used: the message names the file and what to do."""


_Method = TypeVar("_Method", bound=Callable[..., Any])


def _reporting(doing: str) -> Callable[[_Method], _Method]:
    """Turn an SQLite failure inside a store method (disk full, a file damaged since it was opened) into a
    ``StoreError`` that says what the store was doing; what was committed before stays."""
    def wrap(method: _Method) -> _Method:
        @functools.wraps(method)
        def reported(self: ResultsStore, *args: Any, **kwargs: Any) -> Any:
            try:
                return method(self, *args, **kwargs)
            except sqlite3.Error as e:
                raise StoreError(f"results store {self.path}: could not {doing} ({e}); rows committed before "
                                 "are kept; free space or pick another store with --db") from None
        return reported  # type: ignore[return-value]
    return wrap


def _process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process
        return True
    return True


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


def inspect_store(path: str | Path) -> int:
    """The schema version of the store at ``path``, read without writing to it (a merge's inputs are
    shards and artefacts that stay as they were): a ``StoreError`` if it is damaged or half-written,
    another program's, or from a newer harness whose rows this one could not copy whole."""
    path = Path(path)
    if not path.is_file():
        raise StoreError(f"results store {path} does not exist")
    try:
        db = sqlite3.connect(f"{path.absolute().as_uri()}?mode=ro", uri=True)
    except sqlite3.Error as e:
        raise StoreError(f"results store {path}: cannot open it ({e})") from None
    try:
        damage = [r[0] for r in db.execute("PRAGMA quick_check")]
        if damage != ["ok"]:
            raise StoreError(f"results store {path} is damaged ({'; '.join(damage[:3])})")
        tables = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        if not {"runs", "results", "meta"} <= tables:
            raise StoreError(f"results store {path} is not a results store (tables: {', '.join(sorted(tables)) or 'none'})")
        version = db.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone()
        columns = {r[1] for r in db.execute("PRAGMA table_info(results)")}
    except sqlite3.DatabaseError as e:
        raise StoreError(f"results store {path} is damaged or half-written ({e})") from None
    finally:
        db.close()
    if version is None or not version[0].isdigit():
        raise StoreError(f"results store {path} has no schema version: it was not written by the harness")
    if int(version[0]) > SCHEMA_VERSION:
        raise StoreError(f"results store {path} has schema {version[0]}, newer than this harness's "
                         f"{SCHEMA_VERSION}: merge it with the harness that wrote it")
    lacking = set(_ROW_COLUMNS.split(", ")) - columns
    if lacking:
        raise StoreError(f"results store {path} lacks the result columns {', '.join(sorted(lacking))}")
    return int(version[0])


class ResultsStore:
    def __init__(self, path: str | Path):
        """Open (or create) the store at ``path``.

        Only the default location (``reports/`` or ``$HARNESS_RESULTS``; ``harness all`` passes it on
        explicitly) gets its folder created: a ``--db`` in a folder that does not exist is more likely a
        typo than a wish for a new folder.
        """
        self.path = Path(path)
        folder = self.path.parent
        if not folder.is_dir():
            if self.path.absolute() != default_results_db().absolute():
                raise StoreError(f"results store {self.path}: the folder {folder} does not exist; create it or "
                                 "pick another path with --db")
            folder.mkdir(parents=True, exist_ok=True)
        try:
            self._db = sqlite3.connect(str(self.path), timeout=60)
        except sqlite3.Error as e:
            raise self._unopenable(e) from None
        self._check_readable()
        self._prepare()

    def _unopenable(self, e: sqlite3.Error) -> StoreError:
        return StoreError(f"results store {self.path}: cannot open it ({e}); pick a file in a folder you can "
                          "write with --db")

    def _check_readable(self) -> None:
        """Read before the first write: SQLite refuses a truncated or garbage file on its first read, and a
        database with tables but none of ours belongs to something else."""
        try:
            tables = {r[0] for r in self._db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        except sqlite3.OperationalError as e:  # locked, unreadable: not a statement about the file's content
            self._db.close()
            raise self._unopenable(e) from None
        except sqlite3.DatabaseError as e:
            self._db.close()
            raise StoreError(f"results store {self.path} is damaged ({e}); nothing was written to it: move it "
                             "aside (or restore a copy) and run again, or pick another path with --db") from None
        if tables and not {"runs", "results"} <= tables:
            self._db.close()
            raise StoreError(f"results store {self.path} is another program's database (tables: "
                             f"{', '.join(sorted(tables))}); nothing was written to it: pick another path with --db")

    @_reporting("prepare its tables")
    def _prepare(self) -> None:
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.executescript(_SCHEMA)
        self._db.execute("INSERT OR IGNORE INTO meta VALUES ('schema_version', ?)", (str(SCHEMA_VERSION),))
        missing = {c: kind for c, kind in _ADDED_RUN_COLUMNS.items() if c not in self._columns("runs")}
        for column, kind in missing.items():
            self._db.execute(f"ALTER TABLE runs ADD COLUMN {column} {kind}")
        if missing:
            self._db.execute("UPDATE meta SET value=? WHERE key='schema_version'", (str(SCHEMA_VERSION),))
        self._db.commit()

    # -- runs -------------------------------------------------------------------------------------
    @_reporting("record the start of a run")
    def start_run(self, kind: str, command: str = "", engines: dict[str, str | None] | None = None,
                  suites: dict[str, str | None] | None = None, extra: dict[str, Any] | None = None,
                  run_id: str | None = None) -> str:
        run_id = run_id or time.strftime("%Y%m%dT%H%M%S") + "-" + uuid.uuid4().hex[:8]
        self._db.execute(
            "INSERT OR IGNORE INTO runs (run_id, kind, command, started, status, machine, engines, suites, extra,"
            " pid, host) VALUES (?, ?, ?, ?, 'running', ?, ?, ?, ?, ?, ?)",
            (run_id, kind, command, time.time(), json.dumps(machine_fingerprint()), json.dumps(engines or {}),
             json.dumps(suites or {}), json.dumps(extra or {}), os.getpid(), machine_fingerprint()["hostname"]),
        )
        self._db.commit()
        return run_id

    @_reporting("record the end of a run")
    def finish_run(self, run_id: str, status: str = "finished") -> None:
        self._db.execute("UPDATE runs SET finished=?, status=? WHERE run_id=?", (time.time(), status, run_id))
        self._db.commit()

    @_reporting("look for abandoned runs")
    def mark_abandoned(self) -> list[str]:
        """Runs of this host still ``running`` whose process is gone (killed, or the machine went down):
        marked ``abandoned`` so no report takes them for live ones.  Returns their ids."""
        host = machine_fingerprint()["hostname"]
        candidates = self._db.execute("SELECT run_id, pid FROM runs WHERE status='running' AND host=? AND pid IS NOT NULL",
                                      (host,)).fetchall()
        gone = [run_id for run_id, pid in candidates if pid != os.getpid() and not _process_alive(pid)]
        self._db.executemany("UPDATE runs SET status='abandoned' WHERE run_id=?", [(r,) for r in gone])
        self._db.commit()
        return gone

    # -- rows -------------------------------------------------------------------------------------
    @_reporting("store result rows")
    def add(self, run_id: str, rows: Iterable[ResultRow]) -> int:
        arch = machine_fingerprint()["arch"]
        data = [
            (run_id, r.suite, r.file, r.item, r.engine, r.tier, r.arch or arch, r.metric, r.value, r.unit,
             r.outcome, r.message, json.dumps(r.extra) if r.extra else None)
            for r in rows
        ]
        self._db.executemany(f"INSERT INTO results ({_ROW_COLUMNS}) VALUES ({', '.join('?' * 13)})", data)
        self._db.commit()
        return len(data)

    # -- reading ----------------------------------------------------------------------------------
    @_reporting("read its runs")
    def runs(self, kind: str | None = None) -> list[dict[str, Any]]:
        q = f"SELECT {_RUN_COLUMNS} FROM runs"
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
        try:
            df = pd.read_sql_query(q, self._db, params=args)
        except (sqlite3.Error, pd.errors.DatabaseError) as e:
            raise StoreError(f"results store {self.path}: could not read its rows ({e}); move it aside (or "
                             "restore a copy), or pick another store with --db") from None
        df["extra"] = df["extra"].map(lambda s: json.loads(s) if isinstance(s, str) and s else {})
        return df

    @_reporting("merge another store")
    def merge_from(self, other: str | Path) -> int:
        """Copy runs and rows of another store that this one does not have yet (by run id).  The other
        store may predate the pid and host columns; it is only read."""
        src = sqlite3.connect(f"{Path(other).absolute().as_uri()}?mode=ro", uri=True)
        columns = ", ".join(c for c in self._columns("runs") if c in {r[1] for r in src.execute("PRAGMA table_info(runs)")})
        have = {r[0] for r in self._db.execute("SELECT run_id FROM runs")}
        n = 0
        for run in src.execute(f"SELECT {columns} FROM runs"):
            if run[0] in have:
                continue
            self._db.execute(f"INSERT INTO runs ({columns}) VALUES ({', '.join('?' * len(run))})", run)
            rows = src.execute(f"SELECT {_ROW_COLUMNS} FROM results WHERE run_id=?", (run[0],)).fetchall()
            self._db.executemany(f"INSERT INTO results ({_ROW_COLUMNS}) VALUES ({', '.join('?' * 13)})", rows)
            n += len(rows)
        self._db.commit()
        src.close()
        return n

    def _columns(self, table: str) -> list[str]:
        return [r[1] for r in self._db.execute(f"PRAGMA table_info({table})")]

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> ResultsStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
