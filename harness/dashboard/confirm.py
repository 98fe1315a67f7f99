"""Re-measure the suspected steps of a history on this machine, so a step is confirmed (or refuted)
before it is reported rather than after three more nights.

    python -m harness.dashboard.confirm HISTORY.db --db OUT.db [--pairs 12] [--repeat 3] [--dry-run]   (ci/confirm)

For each suspected step of a perf series measured natively on this architecture, ``harness perf`` runs
that workload on that engine again, at the size the night measured it, into ``OUT.db`` (the perf shard's
own database, so the re-measurement travels with the shard); the runs are marked ``extra.remeasure`` (with
the step's night and which build), so the history keeps them out of the nightly points.

Where the build before the step can be had again, the two builds are measured in turns, ``--pairs``
times: previous, current, previous, current...  Runs record their engines' builds
(``harness/results/builds.py``); our engine's build is a commit of this repository, fetched with
``git archive`` into a scratch folder and run from there.  When the two nights measured the same build,
or the previous one cannot be had (another engine's binary that is gone, a dirty checkout), only the
current build is re-measured, ``pairs x repeat`` times, and judged against the level before the step.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sqlite3
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..adapters.container import MARK as CONTAINER_MARK
from ..analysis.history import History, load_history
from ..analysis.regressions import Change, Noise, find_changes, interleaved_verdict, noise_floor
from ..paths import REPO_ROOT
from ..results.builds import our_build, same_build
from ..results.buildstore import OVERRIDES_ENV, find_binary
from ..results.merge import merge_stores


def suspects(history_db: Path, arch: str | None = None) -> list[Change]:
    """Suspected steps of the perf series measured natively on ``arch`` (default: this machine's)."""
    arch = arch or platform.machine()
    return [c for c in find_changes(load_history(history_db))
            if not c.confirmed and c.key.suite == "perf" and c.key.arch == arch and not c.key.emulated]


@dataclass
class Plan:
    """The re-measurement of one engine and workload for the step at ``step`` (a night)."""

    what: str
    step: str
    argv: list[str]  # harness perf ... (without --db)
    previous: dict[str, Any] | None  # the build before the step, when it can be had; None: current only
    current: dict[str, Any] | None
    why: str  # why the previous build is or is not measured
    change: Change | None = None
    noise: Noise | None = None
    engine: str = ""  # the engine label (runtime:tier) re-measured


def _build(history: History, run_id: str, engine: str) -> dict[str, Any] | None:
    run = history.runs.get(run_id)
    return (run.extra.get("builds") or {}).get(engine) if run else None


def _can_fetch(build: dict[str, Any] | None) -> str:
    """Empty when ``build`` can be had again here, else why not.  Another engine's binary is had at the
    path the run recorded while it still has its digest, else from the build store (``buildstore.py``)."""
    if not build:
        return "the run before the step recorded no build"
    if build.get("kind") == "source":
        if not build.get("commit") or build.get("dirty"):
            return "the build before the step was an uncommitted checkout"
        known = subprocess.run(["git", "-C", str(REPO_ROOT), "cat-file", "-e", f"{build['commit']}^{{commit}}"],
                               capture_output=True)
        return "" if known.returncode == 0 else f"commit {build['commit'][:12]} is not in this clone"
    return find_binary(build)[1]


def _binary_env(build: dict[str, Any] | None, engine: str) -> dict[str, str]:
    """The environment that makes ``harness perf`` run exactly ``build``'s binary (found where the run
    recorded it or in the build store); none for our engine's source builds or a binary not to be had."""
    if not build or build.get("kind") != "binary":
        return {}
    path, _ = find_binary(build)
    runtime = engine.split(":", 1)[0]
    return {OVERRIDES_ENV: json.dumps({runtime: str(path)})} if path and CONTAINER_MARK not in runtime else {}


def plans(history_db: Path, pairs: int = 12, repeat: int = 3) -> list[Plan]:
    """What to re-measure for each engine and workload with a suspected step, and how."""
    history = load_history(history_db)
    planned: dict[tuple[str, str, str], Plan] = {}
    for c in suspects(history_db):
        key = (c.key.engine, c.key.file, c.night)
        if key in planned:
            continue
        size = history.runs[c.run_id].extra.get("size_mb", 8.0)
        argv = [sys.executable, "-m", "harness", "perf", "--engines", c.key.engine, "--workloads", c.key.file,
                "--metrics", "throughput", "--size", str(size), "--warmup", "1"]
        points = history.series[c.key]
        before_runs = sorted(points[c.index - 1].runs) if c.index > 0 else []
        previous = _build(history, before_runs[-1], c.key.engine) if before_runs else None
        current = _build(history, c.run_id, c.key.engine)
        same = same_build(previous, current)
        why = "the nights before and at the step measured the same build" if same else _can_fetch(previous)
        if not why and current and (current.get("kind") == "binary" or
                                    current.get("kind") == "source" and current.get("digest") != our_build()["digest"]):
            why = _can_fetch(current)
        if why:
            planned[key] = Plan(c.key.name, c.night, [*argv, "--repeat", str(pairs * repeat)], None, current, why,
                                engine=c.key.engine)
        else:
            planned[key] = Plan(c.key.name, c.night, [*argv, "--repeat", str(repeat)], previous, current,
                                f"previous and current build, {pairs} pairs in turns", c, noise_floor(points),
                                c.key.engine)
    return list(planned.values())


def commands(history_db: Path, out: Path, repeat: int = 5) -> list[tuple[str, list[str]]]:
    """(what it re-measures, the first ``harness perf`` argv) for each engine and workload with a suspected step."""
    return [(p.what, [*p.argv, "--db", str(out)]) for p in plans(history_db, repeat=repeat)]


def _tree(build: dict[str, Any] | None, scratch: Path, role: str) -> Path:
    """Where to run a build from: this checkout for its own build, else the commit's tree from git archive."""
    if not build or build.get("kind") != "source" or build.get("digest") == our_build()["digest"]:
        return REPO_ROOT
    tree = scratch / role
    if not tree.exists():
        tree.mkdir(parents=True)
        archive = subprocess.run(["git", "-C", str(REPO_ROOT), "archive", "--format=tar", build["commit"]],
                                 capture_output=True, check=True)
        subprocess.run(["tar", "-x", "-C", str(tree)], input=archive.stdout, check=True)
    return tree


def _measure(argv: list[str], tree: Path, into: Path, marks: dict[str, Any],
             env_extra: dict[str, str] | None = None) -> int:
    """Run ``argv`` from ``tree`` (with ``env_extra``) into a scratch store, mark its runs, merge them into
    ``into``."""
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "remeasure.db"
        env = {**os.environ, "PYTHONPATH": str(tree), **(env_extra or {})}
        rc = subprocess.run([*argv, "--db", str(db)], cwd=tree, env=env).returncode
        if db.exists():
            mark(db, set(), marks)
            merge_stores([db], into)
    return rc


def _inconclusive(plan: Plan, out: Path) -> bool:
    """Whether the pairs measured so far for ``plan`` neither confirm nor refute its step."""
    if plan.change is None or plan.noise is None or not out.exists():
        return False
    records = [r for r in load_history(out).remeasured.get(plan.change.key, []) if r.step == plan.step]
    return interleaved_verdict(records, plan.noise) == "inconclusive"


def mark(out: Path, before: set[str], what: str | dict[str, Any]) -> list[str]:
    """Mark the runs ``out`` gained since ``before`` as re-measurements of ``what`` (a name, or the marks
    themselves: ``remeasure``, ``remeasure_step``, ``build``, ``pair``)."""
    marks = what if isinstance(what, dict) else {"remeasure": what}
    with sqlite3.connect(out) as db:
        new = [(r, e) for r, e in db.execute("SELECT run_id, extra FROM runs") if r not in before]
        for run_id, extra in new:
            db.execute("UPDATE runs SET extra=? WHERE run_id=?",
                       (json.dumps({**json.loads(extra or "{}"), **marks}), run_id))
    db.close()
    return [r for r, _ in new]


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="ci/confirm", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("history", type=Path, help="the history with tonight's shards merged in")
    p.add_argument("--db", type=Path, required=True, help="where the re-measurements go (the perf shard's database)")
    p.add_argument("--pairs", type=int, default=12, help="interleaved (previous, current) pairs")
    p.add_argument("--repeat", type=int, default=3, help="repetitions per build in each pair")
    p.add_argument("--rounds", type=int, default=2,
                   help="rounds of --pairs for one step while the pairs so far are inconclusive")
    p.add_argument("--dry-run", action="store_true", help="print the commands instead of running them")
    args = p.parse_args(argv)
    planned = plans(args.history, args.pairs, args.repeat)
    if not planned:
        print("ci/confirm: no suspected step to re-measure on this machine", file=sys.stderr)
    status = 0
    for plan in planned:
        print(f"ci/confirm: re-measuring {plan.what} (step {plan.step}): {plan.why}", file=sys.stderr)
        base = {"remeasure": plan.what, "remeasure_step": plan.step}
        if plan.previous is None:
            if args.dry_run:
                print(" ".join([*plan.argv, "--db", str(args.db)]))
                continue
            status = max(status, _measure(plan.argv, REPO_ROOT, args.db, {**base, "build": "current"},
                                          _binary_env(plan.current, plan.engine)))
            continue
        with tempfile.TemporaryDirectory(prefix="confirm-builds-") as scratch:
            trees = {role: build for role, build in (("previous", plan.previous), ("current", plan.current))}
            for pair in range(args.pairs * args.rounds):
                if pair and pair % args.pairs == 0 and not args.dry_run and not _inconclusive(plan, args.db):
                    break
                for role, build in trees.items():
                    env = _binary_env(build, plan.engine)
                    if args.dry_run:
                        where = REPO_ROOT if not build or build.get("digest") == our_build()["digest"] else \
                            f"git archive {build.get('commit', '?')[:12]}"
                        where = json.loads(env[OVERRIDES_ENV]).popitem()[1] if env else where
                        if pair == 0:
                            print(f"[{role} build, from {where}] " + " ".join([*plan.argv, "--db", str(args.db)]))
                        continue
                    tree = _tree(build, Path(scratch), role)
                    status = max(status, _measure(plan.argv, tree, args.db, {**base, "build": role, "pair": pair}, env))
    return status


if __name__ == "__main__":
    raise SystemExit(main())
