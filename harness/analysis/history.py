"""A history store read night by night: perf time series per architecture, conformance counts per suite,
engine and night, and the checks whose state changed from one night to the next.

A night is the UTC date a run started (a nightly workflow starts all its shards the same night).  Timings
measured under emulation (an aarch64 harness under qemu-user on an x86-64 machine) are their own series,
never mixed with native ones: a run is emulated when its machine says so or when it reports aarch64 on a
CPU whose model names an x86 vendor (qemu-user passes the host's ``/proc/cpuinfo`` through).

What a night lacks is *missing*, never zero and never a pass: a check the previous night judged that no run
judged tonight (a shard that failed or timed out), and a whole suite an engine ran before.
"""

from __future__ import annotations

import json
import sqlite3
import statistics
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..outcomes import NOT_PASSING, PASSED

CONFORMANCE_METRICS = ("assertion", "test")
MISSING = "missing"
_X86_VENDORS = ("AMD", "Intel", "Hygon", "Zhaoxin")


def night_of(epoch: float) -> str:
    return time.strftime("%Y-%m-%d", time.gmtime(epoch))


def engine_label(engine: str, tier: str | None) -> str:
    return f"{engine}:{tier}" if tier else engine


def is_emulated(machine: dict[str, Any]) -> bool:
    if "emulated" in machine:
        return bool(machine["emulated"])
    cpu = str(machine.get("cpu", ""))
    return machine.get("arch") == "aarch64" and any(v in cpu for v in _X86_VENDORS)


@dataclass(frozen=True)
class Run:
    run_id: str
    kind: str
    night: str
    started: float
    status: str
    command: str
    machine: dict[str, Any]
    engines: dict[str, Any]
    suites: dict[str, Any]
    extra: dict[str, Any]

    @property
    def arch(self) -> str:
        return str(self.machine.get("arch", "?"))

    @property
    def emulated(self) -> bool:
        return is_emulated(self.machine)


@dataclass(frozen=True, order=True)
class SeriesKey:
    """One measured quantity over the nights: a workload at a size on an engine, on one kind of machine."""

    suite: str
    file: str
    item: str
    engine: str
    metric: str
    arch: str
    emulated: bool = False

    @property
    def where(self) -> str:
        return f"{self.arch} (emulated)" if self.emulated else self.arch

    @property
    def name(self) -> str:
        return f"{self.file} [{self.item}] {self.engine} {self.metric} on {self.where}"


@dataclass
class Point:
    night: str
    value: float  # median of every repetition measured that night
    runs: dict[str, float]  # run id -> that run's own median; two or more runs of one night are an A/A pair
    n: int


@dataclass(frozen=True)
class Remeasurement:
    """One re-measured value of a series (a run marked ``extra.remeasure`` by ``ci/confirm``): kept out of
    the nightly points.  ``build`` says which engine build it measured, ``current`` (tonight's) or
    ``previous`` (the one before the suspected step, interleaved with the current one in ``pair`` order);
    ``step`` is the night of the suspected step it was made for (empty in runs made before that was
    recorded: they count for any step before them)."""

    run_id: str
    night: str
    step: str
    build: str
    pair: int
    value: float


@dataclass
class ConformanceCount:
    night: str
    suite: str
    engine: str
    arch: str
    emulated: bool
    outcomes: Counter = field(default_factory=Counter)
    missing: int = 0  # checks judged the night before that no run judged this night
    run_ids: list[str] = field(default_factory=list)

    @property
    def passed(self) -> int:
        return sum(n for o, n in self.outcomes.items() if o in PASSED)

    @property
    def known(self) -> int:
        """Failures the expectations list (``xfail``): neither passed nor a new failure."""
        return self.outcomes.get("xfail", 0)

    @property
    def failed(self) -> int:
        return sum(n for o, n in self.outcomes.items() if o in NOT_PASSING)


@dataclass(frozen=True)
class StateChange:
    night: str
    previous: str
    suite: str
    engine: str
    arch: str
    file: str
    item: str
    before: str
    after: str  # an outcome, or MISSING
    run_id: str | None  # the run that judged it tonight (None when missing)


@dataclass
class History:
    runs: dict[str, Run]
    nights: list[str]
    series: dict[SeriesKey, list[Point]]
    conformance: list[ConformanceCount]
    changes: list[StateChange]
    remeasured: dict[SeriesKey, list[Remeasurement]] = field(default_factory=dict)  # re-measurement runs' values

    def missing_nights(self, key: SeriesKey) -> list[str]:
        """Nights after the series began with no measurement of it (a shard failed or was cut short)."""
        have = {p.night for p in self.series[key]}
        first = min(have)
        arch_nights = {r.night for r in self.runs.values() if r.kind == "perf" and r.arch == key.arch
                       and r.emulated == key.emulated}
        return sorted(n for n in arch_nights if n > first and n not in have)


def _runs(db: sqlite3.Connection) -> dict[str, Run]:
    out = {}
    for run_id, kind, command, started, status, machine, engines, suites, extra in db.execute(
            "SELECT run_id, kind, command, started, status, machine, engines, suites, extra FROM runs ORDER BY started"):
        out[run_id] = Run(run_id, kind, night_of(started), started, status or "?", command or "",
                          json.loads(machine or "{}"), json.loads(engines or "{}"), json.loads(suites or "{}"),
                          json.loads(extra or "{}"))
    return out


def _series(db: sqlite3.Connection, runs: dict[str, Run]) -> tuple[dict[SeriesKey, list[Point]],
                                                                   dict[SeriesKey, list[Remeasurement]]]:
    """The nightly points of every series, and apart from them the values of re-measurement runs
    (``extra.remeasure``: run to confirm a suspected step, not a night of their own)."""
    values: dict[tuple[SeriesKey, str], dict[str, list[float]]] = defaultdict(lambda: defaultdict(list))
    remeasured: dict[SeriesKey, list[Remeasurement]] = defaultdict(list)
    metrics = ", ".join(f"'{m}'" for m in CONFORMANCE_METRICS)
    for run_id, suite, file, item, engine, tier, arch, metric, value in db.execute(
            "SELECT run_id, suite, file, item, engine, tier, arch, metric, value FROM results "
            f"WHERE metric NOT IN ({metrics}) AND outcome='ok' AND value IS NOT NULL"):
        run = runs.get(run_id)
        if run is None:
            continue
        key = SeriesKey(suite, file, item or "", engine_label(engine, tier), metric, arch or run.arch, run.emulated)
        if run.extra.get("remeasure"):
            pair = run.extra.get("pair")
            remeasured[key].append(Remeasurement(run_id, run.night, str(run.extra.get("remeasure_step") or ""),
                                                 "previous" if run.extra.get("build") == "previous" else "current",
                                                 pair if isinstance(pair, int) else -1, value))
        else:
            values[(key, run.night)][run_id].append(value)
    series: dict[SeriesKey, list[Point]] = defaultdict(list)
    for (key, night), by_run in sorted(values.items()):
        every = [v for vs in by_run.values() for v in vs]
        series[key].append(Point(night, statistics.median(every),
                                 {r: statistics.median(vs) for r, vs in by_run.items()}, len(every)))
    return dict(series), dict(remeasured)


def _conformance(db: sqlite3.Connection, runs: dict[str, Run]) -> tuple[list[ConformanceCount], list[StateChange]]:
    """Counts per (night, suite, engine, arch) and the checks that changed state since the previous night
    that judged that suite on that engine.  Within a night the latest run's verdict on a check stands.
    One night's checks are held at a time."""
    metrics = ", ".join(f"'{m}'" for m in CONFORMANCE_METRICS)
    Group = tuple[str, str, str, bool]  # suite, engine label, arch, emulated
    previous: dict[Group, tuple[str, dict[tuple[str, str], str]]] = {}
    counts: list[ConformanceCount] = []
    changes: list[StateChange] = []
    for night in sorted({r.night for r in runs.values()}):
        tonight_runs = sorted((r for r in runs.values() if r.night == night), key=lambda r: r.started)
        tonight: dict[Group, dict[tuple[str, str], tuple[str, str]]] = defaultdict(dict)
        for run in tonight_runs:
            for suite, engine, tier, arch, file, item, outcome in db.execute(
                    "SELECT suite, engine, tier, arch, file, item, outcome FROM results WHERE run_id=? AND "
                    f"metric IN ({metrics})", (run.run_id,)):
                tonight[(suite, engine_label(engine, tier), arch or run.arch, run.emulated)][(file, item or "")] = \
                    (outcome or "?", run.run_id)
        # a group the history had is missing tonight only if something ran on that kind of machine tonight
        machines = {(r.arch, r.emulated) for r in tonight_runs}
        for group in sorted(tonight.keys() | {g for g in previous if (g[2], g[3]) in machines}):
            state = tonight.get(group, {})
            count = ConformanceCount(night, *group, Counter(o for o, _ in state.values()),
                                     run_ids=sorted({r for _, r in state.values()}))
            if group in previous:
                previous_night, before_state = previous[group]
                for check, before in before_state.items():
                    after, run_id = state.get(check, (MISSING, None))
                    count.missing += after == MISSING
                    if after != before:
                        changes.append(StateChange(night, previous_night, group[0], group[1], group[2], *check,
                                                   before, after, run_id))
                for check in state.keys() - before_state.keys():
                    changes.append(StateChange(night, previous_night, group[0], group[1], group[2], *check, "new",
                                               *state[check]))
            counts.append(count)
            if state:
                # a run cut short leaves its unjudged checks as they were, so the next night still finds
                # them missing; after a run that finished, an absent check was dropped from the suite
                partial = any(runs[r].status != "finished" for r in count.run_ids)
                carried = {c: o for c, o in previous[group][1].items() if c not in state} \
                    if partial and group in previous else {}
                previous[group] = (night, {**carried, **{c: o for c, (o, _) in state.items()}})
    return counts, changes


def load_history(path: str | Path) -> History:
    """Read the history store at ``path`` (read-only)."""
    db = sqlite3.connect(f"{Path(path).absolute().as_uri()}?mode=ro", uri=True)
    try:
        runs = _runs(db)
        series, remeasured = _series(db, runs)
        counts, changes = _conformance(db, runs)
    finally:
        db.close()
    return History(runs, sorted({r.night for r in runs.values()}), series, counts, changes, remeasured)
