"""The dashboard's charts: matplotlib drawn to SVG and inlined in the pages, so a page needs no other file
and no network, and every point is a link (``<a href>`` around its marker) to the run that measured it."""

from __future__ import annotations

import io
import math
import re
from collections.abc import Callable

from ..analysis.history import ConformanceCount, Point
from ..analysis.regressions import Change, Noise
from ..analysis.units import duration
from ..report.perf import MARKERS, PALETTE

BAND = 2.0  # the noise band is the previous nights' level times exp(+-BAND * sigma)
REGRESSION, IMPROVEMENT = "#D55E00", "#009E73"


def _plt():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    plt.rcParams["svg.fonttype"] = "none"  # text stays text: smaller, selectable
    plt.rcParams["svg.hashsalt"] = "dashboard"  # the same history draws the same bytes
    return plt


def _svg(plt, fig) -> str:
    fig.tight_layout()
    buf = io.StringIO()
    fig.savefig(buf, format="svg", metadata={"Date": None})
    plt.close(fig)
    text = buf.getvalue()
    return text[text.index("<svg"):]


def _value_axis(ax, unit: str | None) -> None:
    from matplotlib.ticker import FuncFormatter

    if unit == "s":
        ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: duration(v)))
    elif unit:
        ax.set_ylabel(unit)


def series_chart(nights: list[str], lines: dict[str, list[Point]], noise: dict[str, Noise],
                 changes: list[Change], missing: dict[str, list[str]], unit: str | None,
                 link: Callable[[str], str], title: str) -> str:
    """One metric over the nights, a panel per architecture (their levels differ: one axis would flatten
    both).  Shaded: the level of the nights before the last one (since the last step), widened by the
    series' noise, from that step on; the last
    night's point is drawn larger; confirmed steps are vertical lines (orange: regression, green:
    improvement), suspected ones dotted; a night with no measurement (a shard that failed) is a red
    cross on the axis, not a point."""
    plt = _plt()
    fig, axes = plt.subplots(1, len(lines), figsize=(4.6 * len(lines) + 1.2, 2.5), squeeze=False)
    x_of = {n: i for i, n in enumerate(nights)}
    for i, (ax, (where, points)) in enumerate(zip(axes[0], sorted(lines.items()), strict=True)):
        colour, marker = PALETTE[i % len(PALETTE)], MARKERS[i % len(MARKERS)]
        xs, ys = [x_of[p.night] for p in points], [p.value for p in points]
        line_x, line_y = [], []
        for x, y in zip(xs, ys, strict=True):
            if line_x and x > line_x[-1] + 1:  # a missing night breaks the line
                line_x.append(math.nan)
                line_y.append(math.nan)
            line_x.append(x)
            line_y.append(y)
        ax.plot(line_x, line_y, color=colour, lw=1.2)
        dots = ax.scatter(xs, ys, color=colour, marker=marker, s=22, zorder=3)
        dots.set_urls([link(sorted(p.runs)[0]) for p in points])
        ax.scatter(xs[-1:], ys[-1:], color=colour, marker=marker, s=70, zorder=4, edgecolors="black")
        since = max([c.index for c in changes if c.key.where == where and c.index < len(points) - 1], default=0)
        if len(points) - since >= 3:
            before = sorted(p.value for p in points[since:-1])
            level = before[len(before) // 2]
            spread = math.exp(BAND * noise[where].sigma)
            ax.fill_between([x_of[points[since].night] - 0.5, len(nights) - 0.5], level / spread, level * spread, color=colour,
                            alpha=0.15, lw=0)
        gaps = [x_of[n] for n in missing.get(where, [])]
        if gaps:
            ax.scatter(gaps, [0.0] * len(gaps), marker="x", color=REGRESSION, s=40, zorder=5, clip_on=False,
                       transform=ax.get_xaxis_transform(), label="missing")
        for c in changes:
            if c.key.where == where:
                ax.axvline(x_of[c.night] - 0.5, color=REGRESSION if c.kind == "regression" else IMPROVEMENT,
                           ls="-" if c.confirmed else ":", lw=1.8)
        ax.set_xticks(range(len(nights)), [n[5:] for n in nights], rotation=45, fontsize=7)
        ax.set_xlim(-0.5, len(nights) - 0.5)
        _value_axis(ax, unit)
        ax.set_title(where, fontsize=9)
        ax.grid(axis="y", alpha=0.3)
    fig.suptitle(title, fontsize=9, x=0.01, ha="left")
    return _svg(plt, fig)


def conformance_chart(nights: list[str], counts: dict[str, list[ConformanceCount]], link: Callable[[str], str],
                      title: str) -> str:
    """Passed checks per night, a line per engine (and architecture); a night whose checks went missing
    (a shard that failed) is an open red circle, not a drop to zero."""
    plt = _plt()
    fig, ax = plt.subplots(figsize=(8.5, 2.8))
    x_of = {n: i for i, n in enumerate(nights)}
    for i, (name, series) in enumerate(sorted(counts.items())):
        colour, marker = PALETTE[i % len(PALETTE)], MARKERS[i % len(MARKERS)]
        judged = [c for c in series if c.run_ids]
        xs, ys = [x_of[c.night] for c in judged], [c.passed for c in judged]
        ax.plot(xs, ys, color=colour, lw=1.2, label=name)
        dots = ax.scatter(xs, ys, color=colour, marker=marker, s=18, zorder=3)
        dots.set_urls([link(c.run_ids[0]) for c in judged])
        lacking = [c for c in series if c.missing]
        if lacking:
            ax.scatter([x_of[c.night] for c in lacking], [c.passed for c in lacking], s=90, facecolors="none",
                       edgecolors=REGRESSION, zorder=4)
    ax.set_xticks(range(len(nights)), [n[5:] for n in nights], rotation=45, fontsize=7)
    ax.set_xlim(-0.5, len(nights) - 0.5)
    ax.set_ylabel("passed")
    ax.set_title(title, fontsize=9, loc="left")
    ax.grid(axis="y", alpha=0.3)
    ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False)
    return _svg(plt, fig)


def ids_unique(svg: str, prefix: str) -> str:
    """Several SVGs inline in one page must not share element ids (clip paths, markers)."""
    return re.sub(r'(id="|url\(#|href="#)([^")]+)', lambda m: f"{m.group(1)}{prefix}-{m.group(2)}", svg)
