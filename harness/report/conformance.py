"""The conformance report: a files x engines matrix per suite, coloured by pass rate, with a page per
(engine, file) listing every assertion that did not pass and the command that reproduces it.

Rendered from stored rows alone, with the counts of ``harness.analysis.conformance`` (the latest run
per (suite, engine, file) wins).
"""

from __future__ import annotations

import json
import re
import time
from pathlib import Path

from ..analysis.conformance import latest_rows, summarise
from ..results import ResultsStore
from .html import esc, page, rate_colour


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", text)


def render_conformance_report(store_path: str | Path, out_dir: str | Path) -> Path:
    """Write ``<out_dir>/conformance/index.html`` (+ detail pages); return the index path."""
    store = ResultsStore(store_path)
    out = Path(out_dir) / "conformance"
    (out / "detail").mkdir(parents=True, exist_ok=True)
    df = latest_rows(store)
    summary = summarise(df) if not df.empty else {}
    runs = store.runs()
    machine = runs[-1]["machine"] if runs else {}
    versions: dict[str, str] = {}
    for r in runs:
        versions.update({k: v for k, v in (r.get("engines") or {}).items() if v})

    parts: list[str] = []
    if not summary:
        parts.append("<p>No conformance results in the store yet. Run <code>harness spec</code> or "
                     "<code>harness wasi</code> first.</p>")
    parts.append("<p>Each cell: checks passed / checks run for that file and engine; <i>known</i> = failures listed in "
                 "the engine's expectations file, <i>skipped</i> = checks the engine cannot express (with the reason on "
                 "the detail page). Click a cell for every check that did not pass and the command that reproduces it.</p>")
    parts.append('<p class="legend">Pass rate: '
                 + "".join(f'<span style="background:{rate_colour(r)}">{int(r * 100)}%</span>'
                           for r in (0.0, 0.5, 0.9, 1.0)) + "</p>")
    for suite, engines in summary.items():
        labels = sorted(engines)
        files = sorted({f for e in engines.values() for f in e})
        parts.append(f"<h2>{esc(suite)}: {len(files)} files</h2>")
        # totals per engine
        head = "".join(f"<th>{esc(label)}</th>" for label in labels)
        tot_cells, full_cells = [], []
        for label in labels:
            cells = engines[label].values()
            p, t = sum(c["passed"] for c in cells), sum(c["total"] for c in cells)
            full = sum(1 for c in cells if c["total"] and c["passed"] == c["total"])
            tot_cells.append(f'<td style="background:{rate_colour(p / t if t else None)}">{p}/{t}</td>')
            full_cells.append(f"<td>{full}/{len(cells)}</td>")
        parts.append("<table><tr><th class=name>file</th>" + head + "</tr>"
                     + "<tr><td class=name><b>assertions passed</b></td>" + "".join(tot_cells) + "</tr>"
                     + "<tr><td class=name><b>files fully passing</b></td>" + "".join(full_cells) + "</tr>")
        for f in files:
            row = [f"<td class=name>{esc(f)}</td>"]
            for label in labels:
                c = engines[label].get(f)
                if c is None:
                    row.append('<td class="na">-</td>')
                    continue
                # The colour is the real pass rate: expected failures keep CI green but are still failures.
                rate = c["passed"] / c["total"] if c["total"] else None
                link = f"detail/{_slug(suite)}__{_slug(label)}__{_slug(f)}.html"
                notes = [f"{c['skipped']} skipped"] if c["skipped"] else []
                notes += [f"{c['xfail']} known"] if c["xfail"] else []
                extra = f" ({', '.join(notes)})" if notes else ""
                row.append(f'<td style="background:{rate_colour(rate)}"><a href="{link}">'
                           f"{c['passed']}/{c['total']}{extra}</a></td>")
            parts.append("<tr>" + "".join(row) + "</tr>")
        parts.append("</table>")
        # detail pages
        sub = df[df["suite"] == suite]
        for (label, f), g in sub.groupby(["label", "file"]):
            bad = g[~g["outcome"].isin(["pass"])]
            lines = [f"<p><a href='../index.html'>back</a> &middot; {esc(suite)} &middot; {esc(label)} &middot; "
                     f"{esc(f)}: {int((g['outcome'] == 'pass').sum())}/{len(g)} passed</p>"]
            if bad.empty:
                lines.append("<p>Every assertion passed.</p>")
            else:
                lines.append("<table><tr><th class=name>item</th><th class=name>outcome</th>"
                             "<th class=name>message</th><th class=name>reproduce</th></tr>")
                for _, r in bad.iterrows():
                    extra = r["extra"] or {}
                    repro = extra.get("repro") or extra.get("argv") or ""
                    if isinstance(repro, list):
                        repro = " ".join(repro)
                    lines.append(f"<tr><td class=name>{esc(r['item'])}</td>"
                                 f"<td class='name outcome-{esc(r['outcome'])}'>{esc(r['outcome'])}</td>"
                                 f"<td class=name style='white-space:normal'>{esc(r['message'])}</td>"
                                 f"<td class=name><code>{esc(repro)}</code></td></tr>")
                lines.append("</table>")
            (out / "detail" / f"{_slug(suite)}__{_slug(label)}__{_slug(f)}.html").write_text(
                page(f"{label} on {f}", "".join(lines)))
    if versions:
        parts.append("<h2>Engine versions</h2><table>"
                     + "".join(f"<tr><td class=name>{esc(k)}</td><td class=name>{esc(v)}</td></tr>"
                               for k, v in sorted(versions.items())) + "</table>")
    subtitle = (f"Rendered {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())} from {esc(store_path)}; "
                f"machine: {esc(machine.get('arch', '?'))}, {esc(machine.get('cpu', '?'))}, "
                f"{esc(machine.get('os', '?'))}, Python {esc(machine.get('python', '?'))}. "
                "Invalid/malformed modules are scored by rejection; error-message text agreement is a separate strict figure.")
    index = out / "index.html"
    index.write_text(page("WebAssembly conformance", "".join(parts), subtitle))
    (out / "summary.json").write_text(json.dumps(summary, indent=1, sort_keys=True))
    store.close()
    return index
