"""What the reports share: the jinja2 templates (``templates/``, escaping on), their filters and the
pass-rate colour scale.

Pages carry everything they need (inline CSS, images next to them): a report opened from a copied folder
or an offline machine looks the same.
"""

from __future__ import annotations

import math
import time
from functools import cache
from pathlib import Path

import jinja2

from ..analysis.units import duration, fmt

TEMPLATES = Path(__file__).parent / "templates"

# An ordered, colour-blind-safe sequential ramp (ColorBrewer YlGnBu, 9 classes): lightness falls steadily
# from a full pass to none, so the order reads without telling hues apart.  Index 0 is a 100% pass rate.
PASS_RAMP = ("#ffffd9", "#edf8b1", "#c7e9b4", "#7fcdbb", "#41b6c4", "#1d91c0", "#225ea8", "#253494", "#081d58")
NOTHING_RAN = "#d9d9d9"  # skipped or unsupported only: grey, outside the scale


def _rgb(hex_colour: str) -> tuple[int, int, int]:
    return int(hex_colour[1:3], 16), int(hex_colour[3:5], 16), int(hex_colour[5:7], 16)


def rate_colour(rate: float | None) -> str:
    """The ramp's colour for a pass rate in [0, 1], interpolated between its steps; grey for None."""
    if rate is None or math.isnan(rate):
        return NOTHING_RAN
    pos = (1.0 - min(max(rate, 0.0), 1.0)) * (len(PASS_RAMP) - 1)
    i = min(int(pos), len(PASS_RAMP) - 2)
    t = pos - i
    a, b = _rgb(PASS_RAMP[i]), _rgb(PASS_RAMP[i + 1])
    return "#" + "".join(f"{round(x + (y - x) * t):02x}" for x, y in zip(a, b, strict=True))


def text_colour(background: str) -> str:
    """Black or white, whichever reads on ``background`` (by its relative luminance)."""
    r, g, b = (c / 255 for c in _rgb(background))
    return "#000" if 0.2126 * r + 0.7152 * g + 0.0722 * b > 0.45 else "#fff"


def legend_gradient() -> str:
    """CSS for the continuous legend: the ramp from 0% (left) to 100% (right)."""
    stops = ", ".join(f"{c} {100 * i / (len(PASS_RAMP) - 1):.1f}%" for i, c in enumerate(reversed(PASS_RAMP)))
    return f"linear-gradient(to right, {stops})"


def when(epoch: float | None) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(epoch)) if epoch else "-"


def pct(rate: float | None) -> str:
    """A pass rate for a cell: never rounds a failure up to 100%."""
    if rate is None:
        return "n/a"
    if rate < 1.0:
        return f"{min(math.floor(rate * 1000) / 10, 99.9):.1f}%"
    return "100%"


@cache
def environment() -> jinja2.Environment:
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES), autoescape=True, trim_blocks=True,
                             lstrip_blocks=True, undefined=jinja2.StrictUndefined)
    env.filters.update(rate_colour=rate_colour, text_colour=text_colour, fmt=fmt, duration=duration, when=when,
                       pct=pct, num=lambda n: f"{n:,}")
    env.globals.update(legend_gradient=legend_gradient, rendered=lambda: when(time.time()))
    return env


def render(template: str, path: Path, **context: object) -> Path:
    """Render ``templates/<template>`` with ``context`` into ``path``."""
    path.write_text(environment().get_template(template).render(**context))
    return path
