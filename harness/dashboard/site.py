"""The dashboard as a static site, from a history store alone: ``index.html`` (last night at a glance),
a page per engine:tier, per workload, per suite, one per run, and ``regressions.html``.

Pages are flat in one folder with inline CSS and inline SVG charts, so the folder can be published as it
is (GitHub Pages) or opened from disk.  Timings measured under emulation get charts of their own, never
lines beside native ones.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import jinja2

from ..analysis.history import ConformanceCount, History, SeriesKey, load_history
from ..analysis.regressions import (
    ALPHA,
    CONFIRM_NIGHTS,
    MIN_EFFECT,
    Z_CONFIRM,
    Z_SUSPECT,
    Change,
    Noise,
    Z,
    find_changes,
    noise_floor,
)
from ..report.html import TEMPLATES as REPORT_TEMPLATES
from ..report.html import environment as report_environment
from .charts import conformance_chart, ids_unique, series_chart

TEMPLATES = Path(__file__).parent / "templates"
HEADLINE_METRIC = "wall_time"
UNITS = {"peak_rss": "KiB", "vm_peak": "KiB", "code_size": "bytes", "instructions": "instructions"}


def slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "-", text).strip("-") or "x"


def run_page(run_id: str) -> str:
    return f"run-{slug(run_id)}.html"


@cache
def _environment() -> jinja2.Environment:
    return report_environment().overlay(loader=jinja2.ChoiceLoader(
        [jinja2.FileSystemLoader(TEMPLATES), jinja2.FileSystemLoader(REPORT_TEMPLATES)]))


@dataclass(frozen=True, order=True)
class ChartKey:
    """What one chart shows: a metric of a workload on an engine, a line per architecture."""

    suite: str
    file: str
    item: str
    engine: str
    metric: str
    emulated: bool

    @staticmethod
    def of(key: SeriesKey) -> ChartKey:
        return ChartKey(key.suite, key.file, key.item, key.engine, key.metric, key.emulated)

    @property
    def title(self) -> str:
        return (f"{self.file} [{self.item}] on {self.engine}: {self.metric}"
                + (" — EMULATED (qemu-user), not comparable with native" if self.emulated else ""))

    @property
    def anchor(self) -> str:
        return slug(f"{self.file}-{self.item}-{self.engine}-{self.metric}-{'emu' if self.emulated else 'native'}")


@dataclass
class Latest:
    """The last night's value of one series against the nights before it."""

    key: SeriesKey
    value: float
    level: float | None  # median of the nights before, since the series' last step
    noise: Noise
    change: Change | None
    run_id: str

    @property
    def delta(self) -> float | None:
        return self.value / self.level - 1 if self.level else None

    @property
    def within_noise(self) -> bool:
        return self.delta is None or abs(self.delta) <= 2 * self.noise.sigma


@dataclass
class Site:
    history: History
    changes: list[Change]
    noise: dict[SeriesKey, Noise]
    charts: dict[ChartKey, str] = field(default_factory=dict)
    units: dict[SeriesKey, str | None] = field(default_factory=dict)

    def chart(self, key: ChartKey) -> str:
        if key not in self.charts:
            lines = {k.where: pts for k, pts in self.history.series.items() if ChartKey.of(k) == key}
            noise = {k.where: self.noise[k] for k in self.history.series if ChartKey.of(k) == key}
            steps = [c for c in self.changes if ChartKey.of(c.key) == key]
            missing = {k.where: self.history.missing_nights(k) for k in self.history.series if ChartKey.of(k) == key}
            unit = "s" if key.metric.endswith("_time") else UNITS.get(key.metric)
            svg = series_chart(self.history.nights, lines, noise, steps, missing, unit, run_page, key.title)
            self.charts[key] = ids_unique(svg, key.anchor)
        return self.charts[key]


def _latest(site: Site) -> list[Latest]:
    by_key = {c.key: c for c in sorted(site.changes, key=lambda c: c.index)}  # each series' latest change
    last = site.history.nights[-1]
    out = []
    for key, points in sorted(site.history.series.items()):
        if points[-1].night != last:
            continue
        since = by_key[key].index if key in by_key and by_key[key].index < len(points) - 1 else 0
        before = sorted(p.value for p in points[since:-1])
        out.append(Latest(key, points[-1].value, before[len(before) // 2] if before else None, site.noise[key],
                          by_key.get(key), sorted(points[-1].runs)[0]))
    return sorted(out, key=lambda x: (x.change is None, x.within_noise))  # what moved first


def _conformance_lines(counts: list[ConformanceCount], name) -> dict[str, list[ConformanceCount]]:
    lines: dict[str, list[ConformanceCount]] = defaultdict(list)
    for c in counts:
        lines[name(c)].append(c)
    return dict(lines)


def _where(c: ConformanceCount) -> str:
    return f"{c.arch} (emulated)" if c.emulated else c.arch


def render_site(db: Path, out: Path) -> Path:
    """Render the dashboard of the history store ``db`` into the folder ``out``; returns index.html."""
    history = load_history(db)
    out.mkdir(parents=True, exist_ok=True)
    for old in out.glob("*.html"):
        old.unlink()
    if not history.nights:
        return _write(out / "index.html", "dashboard_empty.html", db=db)
    noise = {k: noise_floor(p) for k, p in history.series.items()}
    every = find_changes(history, refuted=True)
    site = Site(history, [c for c in every if not c.refuted], noise)
    common = dict(history=history, nights=history.nights, last=history.nights[-1], run_page=run_page, slug=slug,
                  changes=site.changes, confirmed=[c for c in site.changes if c.confirmed],
                  suspected=[c for c in site.changes if not c.confirmed], refuted=[c for c in every if c.refuted])
    engines = sorted({k.engine for k in history.series} | {c.engine for c in history.conformance})
    workloads = sorted({(k.suite, k.file) for k in history.series})
    suites = sorted({c.suite for c in history.conformance})
    last_counts = [c for c in history.conformance if c.night == history.nights[-1]]
    previous = _previous_counts(history)
    columns = sorted({(c.suite, _where(c)) for c in last_counts})
    pivot: dict[str, dict[tuple[str, str], tuple[ConformanceCount, ConformanceCount | None]]] = defaultdict(dict)
    for c in last_counts:
        pivot[c.engine][(c.suite, _where(c))] = (c, previous.get((c.suite, c.engine, c.arch, c.emulated)))
    _write(out / "index.html", "dashboard_index.html", **common, engines=engines, workloads=workloads, suites=suites,
           latest=[x for x in _latest(site) if x.key.metric == HEADLINE_METRIC], last_counts=last_counts,
           columns=columns, pivot=dict(sorted(pivot.items())), db=db)
    for engine in engines:
        keys = sorted({ChartKey.of(k) for k in history.series if k.engine == engine}, key=_headline_first)
        counts = [c for c in history.conformance if c.engine == engine]
        conformance = {suite: conformance_chart(history.nights, _conformance_lines(
            [c for c in counts if c.suite == suite], _where), run_page, f"{suite} on {engine}: passed checks per night")
            for suite in sorted({c.suite for c in counts})}
        _write(out / f"engine-{slug(engine)}.html", "dashboard_engine.html", **common, engine=engine,
               charts=[(k, site.chart(k)) for k in keys], conformance=conformance)
    for suite, file in workloads:
        keys = sorted({ChartKey.of(k) for k in history.series if (k.suite, k.file) == (suite, file)}, key=_headline_first)
        _write(out / f"workload-{slug(file)}.html", "dashboard_workload.html", **common, workload=file,
               charts=[(k, site.chart(k)) for k in keys])
    for suite in suites:
        counts = [c for c in history.conformance if c.suite == suite]
        charts = {where: conformance_chart(history.nights, _conformance_lines(
            [c for c in counts if _where(c) == where], lambda c: c.engine), run_page, f"{suite} on {where}: passed checks per night")
            for where in sorted({_where(c) for c in counts})}
        _write(out / f"suite-{slug(suite)}.html", "dashboard_suite.html", **common, suite=suite, charts=charts,
               counts=counts, state_changes=[c for c in history.changes if c.suite == suite])
    for run in history.runs.values():
        _write(out / run_page(run.run_id), "dashboard_run.html", **common, run=run)
    _write(out / "regressions.html", "dashboard_regressions.html", **common, noise=noise, alpha=ALPHA, z=Z,
           min_effect=MIN_EFFECT, confirm_nights=CONFIRM_NIGHTS, z_suspect=Z_SUSPECT, z_confirm=Z_CONFIRM,
           charts={ChartKey.of(c.key): site.chart(ChartKey.of(c.key)) for c in site.changes})
    return out / "index.html"


def _headline_first(key: ChartKey) -> tuple:
    return (key.metric != HEADLINE_METRIC, key.emulated, key.file, key.item, key.engine, key.metric)


def _previous_counts(history: History) -> dict[tuple, ConformanceCount]:
    """For each (suite, engine, arch, emulated), its count on the night before the last one it has."""
    out: dict[tuple, ConformanceCount] = {}
    last = history.nights[-1]
    for c in history.conformance:
        if c.night != last:
            out[(c.suite, c.engine, c.arch, c.emulated)] = c
    return out


def _write(path: Path, template: str, **context: object) -> Path:
    path.write_text(_environment().get_template(template).render(**context))
    return path
