"""Tiny HTML helpers shared by the reports (escaping, page frame, colour scales)."""

from __future__ import annotations

import html

STYLE = """
body { font-family: system-ui, -apple-system, Segoe UI, sans-serif; margin: 2em auto; max-width: 1200px; color: #1d2330; padding: 0 1em; }
h1 { font-size: 1.6em; margin-bottom: .2em; } h2 { margin-top: 1.6em; font-size: 1.25em; }
.meta { color: #5b6475; font-size: .9em; }
table { border-collapse: collapse; font-size: .85em; margin: .8em 0; }
th, td { border: 1px solid #d7dbe3; padding: 3px 7px; text-align: right; white-space: nowrap; }
th { background: #f1f3f7; position: sticky; top: 0; }
td.name, th.name { text-align: left; }
td a { color: inherit; text-decoration: none; display: block; }
td a:hover { text-decoration: underline; }
.na { color: #9aa2b1; background: #fafbfc; }
code, pre { font-family: ui-monospace, SFMono-Regular, Menlo, monospace; font-size: .9em; }
pre { background: #f6f8fa; padding: .6em; overflow-x: auto; }
.outcome-fail, .outcome-crash, .outcome-timeout, .outcome-error { color: #b3261e; font-weight: 600; }
.outcome-skip, .outcome-xfail { color: #7a5b00; }
.outcome-xpass { color: #0b6bcb; font-weight: 600; }
.legend span { display: inline-block; padding: 1px 8px; margin-right: 4px; border-radius: 3px; }
"""


def esc(value: object) -> str:
    return html.escape("" if value is None else str(value))


def page(title: str, body: str, subtitle: str = "") -> str:
    sub = f'<p class="meta">{subtitle}</p>' if subtitle else ""
    return (f"<!doctype html><html lang=en><head><meta charset=utf-8><title>{esc(title)}</title>"
            f"<meta name=viewport content='width=device-width, initial-scale=1'><style>{STYLE}</style></head>"
            f"<body><h1>{esc(title)}</h1>{sub}{body}</body></html>")


def rate_colour(rate: float | None) -> str:
    """Red (0) through amber to green (1) for pass rates; light grey when there is nothing to rate."""
    if rate is None:
        return "#fafbfc"
    if rate >= 1.0:
        return "#b7e4c7"
    # interpolate red -> yellow -> light green
    if rate < 0.5:
        r, g, b = 244, int(150 + 160 * rate), 140
    else:
        r, g, b = int(244 - 120 * (rate - 0.5) * 2), 220, 140
    return f"rgb({r},{min(g, 230)},{b})"
