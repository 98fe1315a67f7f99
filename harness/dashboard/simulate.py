"""Simulated nights, from one real measured run, with known steps: the test bed of the dashboard and of
regression detection.

    python -m harness.dashboard.simulate --source r.db --out history.db [--nights 14] [--seed 1]

The source store (only read) gives the levels: each perf series' median (workload, size, engine, metric)
and every conformance check's outcome.  Each simulated night has, per architecture (x86_64, and an
aarch64 runner at levels 1.3x those), an A/A pair of perf runs (the same build twice) of ``REPEATS``
repetitions each, with log-normal noise of ``NOISE`` per measurement, a night-wide drift of
``NIGHT_NOISE`` and outliers (``OUTLIER_RATE`` of measurements slowed 1.2-2x, as a busy neighbour does),
and conformance runs that repeat the source's outcomes, plus our engine's conformance under emulation
(aarch64 on the x86-64 machine, as ``ci/shard aarch64-emulated`` gives it).  On top, ``STEPS`` inject known perf steps and
``FLIPS`` known conformance changes, and the aarch64 perf shard of night ``PARTIAL_NIGHT`` is cut short
(one run instead of an A/A pair, interrupted before its last workloads).
"""

from __future__ import annotations

import argparse
import calendar
import json
import sqlite3
import statistics
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ..results.store import ResultsStore

NOISE = 0.02
NIGHT_NOISE = 0.005
OUTLIER_RATE = 0.03
REPEATS = 3
START = calendar.timegm((2026, 12, 1, 0, 0, 0))
ARCHES = {"x86_64": ("sim-x86-runner", "AMD EPYC (simulated)", 1.0),
          "aarch64": ("sim-arm-runner", "Neoverse-N1 (simulated)", 1.3)}
PERF_METRICS = ("wall_time", "cpu_time")
CONFORMANCE_SUITES = ("wasi", "corpus")
PARTIAL_NIGHT = 10


@dataclass(frozen=True)
class Step:
    """A known change: from ``night`` on, ``file`` [full] on ``engine`` takes ``factor`` times as long."""

    file: str
    engine: str
    arch: str
    night: int
    factor: float


STEPS = (Step("micro-matmul", "ours:llvm", "x86_64", 5, 1.08),
         Step("micro-membw", "v8:turbofan", "x86_64", 8, 1.05),
         Step("micro-calls", "wasmtime:cranelift", "aarch64", 7, 0.90))
FLIPS = (("wasi", "ours:interp", 9, 4),)  # (suite, engine, night, checks that start failing)


def _label(engine: str, tier: str | None) -> str:
    return f"{engine}:{tier}" if tier else engine


def snapshot(source: Path, engines: set[str] | None = None) -> dict[str, Any]:
    """What the simulation takes from a real store (only read): the newest finished perf run's command,
    machine and versions, each perf series' median and command line, and every conformance check's
    outcome in the newest run of each of ``CONFORMANCE_SUITES``; only ``engines`` (labels) if given."""
    db = sqlite3.connect(f"{source.absolute().as_uri()}?mode=ro", uri=True)
    runs = {r[0]: {"kind": r[1], "command": r[2], "machine": json.loads(r[3] or "{}"), "engines": json.loads(r[4] or "{}"),
                   "suites": json.loads(r[5] or "{}")}
            for r in db.execute("SELECT run_id, kind, command, machine, engines, suites FROM runs WHERE status='finished'")}
    perf_run = max((r for r, v in runs.items() if v["kind"] == "perf"), default=None)
    if perf_run is None:
        raise SystemExit(f"{source} has no finished perf run to take levels from")
    measured: dict[tuple, list] = defaultdict(list)
    for file, item, engine, tier, metric, value, unit, extra in db.execute(
            "SELECT file, item, engine, tier, metric, value, unit, extra FROM results WHERE run_id=? AND suite='perf' "
            f"AND outcome='ok' AND value > 0 AND metric IN ({', '.join('?' * len(PERF_METRICS))})",
            (perf_run, *PERF_METRICS)):
        if engines is None or _label(engine, tier) in engines:
            measured[(file, item, engine, tier, metric, unit)].append((value, json.loads(extra or "{}")))
    levels = [[*key, statistics.median(v for v, _ in vs),
               {k: x for k, x in vs[0][1].items() if k in ("argv", "shell", "label")}] for key, vs in sorted(measured.items(), key=str)]
    checks: dict[str, list] = {}
    for suite in CONFORMANCE_SUITES:
        run = max((r for r, v in runs.items() if suite in v["suites"] or v["kind"] == suite), default=None)
        if run:
            checks[suite] = [list(r) for r in db.execute(
                "SELECT file, item, engine, tier, metric, value, outcome FROM results WHERE run_id=? AND suite=?", (run, suite))
                if engines is None or _label(r[2], r[3]) in engines]
    db.close()
    perf = runs[perf_run]
    return {"source": str(source), "command": perf["command"], "machine": perf["machine"],
            "engines": {k: v for k, v in perf["engines"].items() if engines is None or k in engines},
            "levels": levels, "checks": checks}


def _factor(file: str, item: str, label: str, arch: str, night: int) -> float:
    f = 1.0
    for s in STEPS:
        if (s.file, s.engine, s.arch) == (file, label, arch) and item == "full" and night >= s.night:
            f *= s.factor
    return f


def simulate(measured: dict[str, Any], out: Path, nights: int = 14, seed: int = 1) -> Path:
    """Write ``nights`` simulated nights from a ``snapshot`` of a real run into a new store at ``out``."""
    out.unlink(missing_ok=True)
    ResultsStore(out).close()
    rng = np.random.default_rng(seed)
    engines = json.dumps(measured["engines"])
    db = sqlite3.connect(out)
    row_sql = ("INSERT INTO results (run_id, suite, file, item, engine, tier, arch, metric, value, unit, outcome, "
               "message, extra) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)")
    for night in range(nights):
        day = time_of(night)
        for arch, (host, cpu, scale) in ARCHES.items():
            machine = json.dumps({**measured["machine"], "arch": arch, "cpu": cpu, "hostname": host, "simulated": True})
            drift = rng.normal(0, NIGHT_NOISE)
            partial = arch == "aarch64" and night == PARTIAL_NIGHT
            for aa in range(1 if partial else 2):
                run_id = f"sim{night:02d}-{arch}-perf{aa}"
                _run(db, run_id, "perf", f"{measured['command']}  # simulated night {night}", day + 600 + 1200 * aa,
                     "interrupted" if partial else "finished", machine, engines, "{}",
                     {"simulated": True, "seed": seed, "aa": aa})
                rows = []
                for file, item, engine, tier, metric, unit, level, extra in measured["levels"]:
                    if partial and file > "micro-h":
                        continue  # the shard was cut short before these workloads
                    base = level * scale * _factor(file, item, _label(engine, tier), arch, night)
                    for rep, v in enumerate(repetitions(rng, base, drift)):
                        rows.append((run_id, "perf", file, item, engine, tier, arch, metric, float(v), unit, "ok",
                                     None, json.dumps({**extra, "rep": rep})))
                db.executemany(row_sql, rows)
            for suite, rows in measured["checks"].items():
                run_id = f"sim{night:02d}-{arch}-{suite}"
                _run(db, run_id, suite, f"harness {suite}  # simulated night {night}", day + 60, "finished", machine,
                     engines, json.dumps({suite: "a8101597d3c3c660086c3cd1eedee608ff18d3c3"}), {"simulated": True})
                db.executemany(row_sql, [(run_id, suite, *r[:4], arch, r[4], r[5], None, r[6], None, None)
                                         for r in _flipped(suite, rows, night)])
        # conformance of the aarch64 build under qemu-user on the x86-64 machine (ci/shard aarch64-emulated):
        # the host's CPU model with aarch64 is what marks it emulated
        machine = json.dumps({**measured["machine"], "arch": "aarch64", "hostname": "sim-x86-runner"})
        for suite, rows in measured["checks"].items():
            run_id = f"sim{night:02d}-aarch64-emulated-{suite}"
            _run(db, run_id, suite, f"scripts/aarch64 run python -m harness {suite}  # simulated night {night}",
                 day + 3000, "finished", machine, engines, json.dumps({suite: "a8101597d3c3c660086c3cd1eedee608ff18d3c3"}),
                 {"simulated": True})
            db.executemany(row_sql, [(run_id, suite, *r[:4], "aarch64", r[4], r[5], None, r[6], None, None)
                                     for r in rows if r[2] == "ours"])
        db.commit()
    db.close()
    confirm_last_morning(measured, out, nights, rng)
    return out


PAIRS = 12


def confirm_last_morning(measured: dict[str, Any], out: Path, nights: int, rng: np.random.Generator) -> None:
    """What ``ci/confirm`` does on the last morning: every suspected step re-measured, the build before it
    and the build of its first night in ``PAIRS`` interleaved pairs (runs marked ``extra.remeasure``)."""
    from ..analysis.history import load_history
    from ..analysis.regressions import find_changes

    history = load_history(out)
    levels = {(f, i, _label(e, t), m): (level, unit) for f, i, e, t, m, unit, level, _ in measured["levels"]}
    db = sqlite3.connect(out)
    for c in [c for c in find_changes(history) if not c.confirmed]:
        k = c.key
        level, unit = levels[(k.file, k.item, k.engine, k.metric)]
        engine, _, tier = k.engine.partition(":")
        scale = ARCHES[k.arch][2]
        step = history.nights.index(c.night)
        machine = json.dumps({**measured["machine"], "arch": k.arch, "cpu": ARCHES[k.arch][1],
                              "hostname": ARCHES[k.arch][0], "simulated": True})
        for pair in range(PAIRS):
            for role, build in (("previous", step - 1), ("current", step)):
                run_id = f"sim-confirm-{slug_of(k.name)}-{c.night}-{pair:02d}-{role}"
                _run(db, run_id, "perf", f"ci/confirm  # simulated, {k.name}", time_of(nights - 1) + 7200 + pair * 60,
                     "finished", machine, json.dumps(measured["engines"]), "{}",
                     {"simulated": True, "remeasure": k.name, "remeasure_step": c.night, "build": role, "pair": pair})
                base = level * scale * _factor(k.file, k.item, k.engine, k.arch, build)
                db.executemany(
                    "INSERT INTO results (run_id, suite, file, item, engine, tier, arch, metric, value, unit, outcome, "
                    "message, extra) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
                    [(run_id, "perf", k.file, k.item, engine, tier or None, k.arch, k.metric, float(v), unit, "ok", None,
                      json.dumps({"rep": rep})) for rep, v in enumerate(repetitions(rng, base, 0.0))])
    db.commit()
    db.close()


def slug_of(text: str) -> str:
    return "".join(ch if ch.isalnum() else "-" for ch in text)


def repetitions(rng: np.random.Generator, base: float, drift: float) -> np.ndarray:
    """One run's ``REPEATS`` measurements of a quantity at ``base``: log-normal noise around the night's
    drift, and now and then an outlier slowed 1.2-2x."""
    v = base * np.exp(drift + rng.normal(0, NOISE, REPEATS))
    slow = rng.random(REPEATS) < OUTLIER_RATE
    v[slow] *= rng.uniform(1.2, 2.0, int(slow.sum()))
    return v


def _flipped(suite: str, rows: list[list], night: int) -> list[list]:
    """The source's outcomes, with the injected conformance changes from their night on."""
    out = list(rows)
    for flip_suite, engine, from_night, n in FLIPS:
        if flip_suite != suite or night < from_night:
            continue
        passing = [i for i, r in enumerate(out) if _label(r[2], r[3]) == engine and r[6] == "pass"][:n]
        for i in passing:
            file, item, eng, tier, metric, _, _ = out[i]
            out[i] = [file, item, eng, tier, metric, 0.0, "fail"]
    return out


def _run(db: sqlite3.Connection, run_id: str, kind: str, command: str, started: float, status: str, machine: str,
         engines: str, suites: str, extra: dict) -> None:
    db.execute("INSERT INTO runs (run_id, kind, command, started, finished, status, machine, engines, suites, extra) "
               "VALUES (?,?,?,?,?,?,?,?,?,?)",
               (run_id, kind, command, started, started + 500, status, machine, engines, suites, json.dumps(extra)))


def time_of(night: int) -> float:
    return START + 86400 * night + 2 * 3600


def injected(nights: int = 14) -> set[tuple[str, str, str, int]]:
    """(file, engine, arch, night index) of every step the simulation injects within ``nights``."""
    return {(s.file, s.engine, s.arch, s.night) for s in STEPS if s.night < nights}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m harness.dashboard.simulate", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--source", type=Path,
                   help="a store holding a real perf run (only read), or a snapshot of one (.json)")
    p.add_argument("--out", type=Path, help="the simulated history store (replaced)")
    p.add_argument("--snapshot", type=Path, help="write the source's snapshot here instead of simulating")
    p.add_argument("--engines", default=None, help="with --snapshot: only these engines (comma-separated labels)")
    p.add_argument("--nights", type=int, default=14)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--evaluate", action="store_true",
                   help="instead: precision and recall of the regression detector (python -m harness.dashboard.evaluate)")
    args = p.parse_args(argv)
    if args.evaluate:
        from .evaluate import main as evaluate

        return evaluate([])
    if not args.source:
        p.error("--source is needed to simulate or snapshot")
    if args.snapshot:
        engines = set(args.engines.split(",")) if args.engines else None
        args.snapshot.write_text(json.dumps(snapshot(args.source, engines), indent=0) + "\n")
        print(args.snapshot)
        return 0
    if not args.out:
        p.error("--out is needed to simulate")
    measured = json.loads(args.source.read_text()) if args.source.suffix == ".json" else snapshot(args.source)
    print(simulate(measured, args.out, args.nights, args.seed))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
