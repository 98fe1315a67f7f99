"""Re-measure the suspected steps of a history on this machine, so a step is confirmed (or not) before it
is reported rather than after three more nights.

    python -m harness.dashboard.confirm HISTORY.db --db OUT.db [--repeat 5] [--dry-run]    (ci/confirm)

For each suspected step of a perf series measured natively on this architecture, ``harness perf`` runs
that workload on that engine again, at the size the night measured it, into ``OUT.db`` (the perf shard's
own database, so the re-measurement travels with the shard), and the new runs are marked
``extra.remeasure``: the history keeps them out of the nightly points and ``regressions.remeasured``
confirms the step when they land past half of it.  Only the current build is re-measured: the previous
build of an engine is not recorded in a way that could be fetched again.
"""

from __future__ import annotations

import argparse
import json
import platform
import sqlite3
import subprocess
import sys
from pathlib import Path

from ..analysis.history import load_history
from ..analysis.regressions import Change, find_changes


def suspects(history_db: Path, arch: str | None = None) -> list[Change]:
    """Suspected steps of the perf series measured natively on ``arch`` (default: this machine's)."""
    arch = arch or platform.machine()
    return [c for c in find_changes(load_history(history_db))
            if not c.confirmed and c.key.suite == "perf" and c.key.arch == arch and not c.key.emulated]


def commands(history_db: Path, out: Path, repeat: int = 5) -> list[tuple[str, list[str]]]:
    """(what it re-measures, the ``harness perf`` argv) for each engine and workload with a suspected step."""
    history = load_history(history_db)
    planned: dict[tuple[str, str], tuple[str, list[str]]] = {}
    for c in suspects(history_db):
        key = (c.key.engine, c.key.file)
        if key in planned:
            continue
        size = history.runs[c.run_id].extra.get("size_mb", 8.0)
        planned[key] = (c.key.name, [sys.executable, "-m", "harness", "perf", "--engines", c.key.engine,
                                     "--workloads", c.key.file, "--metrics", "throughput", "--size", str(size),
                                     "--repeat", str(repeat), "--warmup", "1", "--db", str(out)])
    return list(planned.values())


def mark(out: Path, before: set[str], what: str) -> list[str]:
    """Mark the runs ``out`` gained since ``before`` as re-measurements of ``what``."""
    with sqlite3.connect(out) as db:
        new = [(r, e) for r, e in db.execute("SELECT run_id, extra FROM runs") if r not in before]
        for run_id, extra in new:
            db.execute("UPDATE runs SET extra=? WHERE run_id=?",
                       (json.dumps({**json.loads(extra or "{}"), "remeasure": what}), run_id))
    db.close()
    return [r for r, _ in new]


def _run_ids(out: Path) -> set[str]:
    if not out.exists():
        return set()
    with sqlite3.connect(out) as db:
        ids = {r for (r,) in db.execute("SELECT run_id FROM runs")}
    db.close()
    return ids


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="ci/confirm", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("history", type=Path, help="the history with tonight's shards merged in")
    p.add_argument("--db", type=Path, required=True, help="where the re-measurements go (the perf shard's database)")
    p.add_argument("--repeat", type=int, default=5)
    p.add_argument("--dry-run", action="store_true", help="print the commands instead of running them")
    args = p.parse_args(argv)
    planned = commands(args.history, args.db, args.repeat)
    if not planned:
        print("ci/confirm: no suspected step to re-measure on this machine", file=sys.stderr)
    status = 0
    for what, cmd in planned:
        if args.dry_run:
            print(" ".join(cmd))
            continue
        print(f"ci/confirm: re-measuring {what}", file=sys.stderr)
        before = _run_ids(args.db)
        status = max(status, subprocess.run(cmd).returncode)
        mark(args.db, before, what)
    return status


if __name__ == "__main__":
    raise SystemExit(main())
