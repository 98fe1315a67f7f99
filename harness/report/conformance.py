"""The conformance report: the WebAssembly 3.0 features x engines matrix first (the 3.0 suite's files grouped
by proposal, each engine's pass rate and declared support), an engines x suites summary, then per suite a line
per engine and a files x engines matrix coloured by pass rate, with a page per (engine, file) listing every check that did
not pass, grouped by reason, each with the command that reproduces it alone.

Rendered from stored rows alone, with the counts of ``harness.analysis.conformance`` (the latest run per
(suite, engine, file) wins).
"""

from __future__ import annotations

import difflib
import json
import re
from dataclasses import dataclass
from pathlib import Path

from ..analysis.conformance import (
    CATEGORY_NAMES,
    WASM3_SUITE,
    Check,
    Counts,
    Group,
    engine_totals,
    failure_groups,
    feature_matrix,
    latest_rows,
    output_mismatches,
    strict_agreement,
    summarise,
    summary_json,
    unsupported_checks,
)
from ..analysis.provenance import provenance
from ..results import ResultsStore
from .fuzz import render_fuzz_page
from .html import render

SUITE_TITLES = {"spec": "WebAssembly spec testsuite 2.0", WASM3_SUITE: "WebAssembly spec testsuite 3.0",
                "corpus": "our spec corpus", "wasi": "WASI testsuite",
                "wasi-own": "our WASI programs", "wasi-corpus": "WASI corpus"}
# A detail page shows this many checks of a group in full; the rest by their item (same command, another
# line), which keeps a page of thousands of identical known failures small.
SHOWN = 30


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", text)


def detail_name(suite: str, label: str, file: str) -> str:
    return f"{_slug(suite)}__{_slug(label)}__{_slug(file)}.html"


@dataclass
class Diff:
    stream: str
    lines: list[tuple[str, str]]  # (css class, text)


def _diffs(check: Check) -> list[Diff]:
    """A WASI test's output against the expected output, as a unified diff per stream."""
    out = []
    for stream, actual, expected in output_mismatches(check.message):
        lines = []
        for ln in list(difflib.unified_diff(expected.splitlines(), actual.splitlines(), "expected", "actual",
                                            lineterm="", n=2)):
            cls = "hunk" if ln.startswith("@@") else "del" if ln.startswith("-") else "add" if ln.startswith("+") else ""
            lines.append((cls, ln))
        out.append(Diff(stream, lines))
    return out


_LINE_ARG = re.compile(r"^(.* --line )(\d+)$")


def folded_command(checks: list[Check]) -> str | None:
    """The command every check of a folded group reruns with, its line number as N, when they share it."""
    prefixes = {m.group(1) if (m := _LINE_ARG.match(c.reproduce)) else None for c in checks}
    if len(prefixes) == 1 and None not in prefixes:
        return prefixes.pop() + "N"
    return None


def render_conformance_report(store_path: str | Path, out_dir: str | Path) -> Path:
    """Write ``<out_dir>/conformance/index.html`` (+ detail pages and summary.json); return the index path."""
    out = Path(out_dir) / "conformance"
    (out / "detail").mkdir(parents=True, exist_ok=True)
    with ResultsStore(store_path) as store:
        df = latest_rows(store)
        prov = provenance(store, ("spec", "wasi"))
        summary = summarise(df) if not df.empty else {}
        features = feature_matrix(store, summary[WASM3_SUITE]) if WASM3_SUITE in summary else None
    suites = []
    for suite, engines in summary.items():
        labels = sorted(engines)
        files = sorted({f for e in engines.values() for f in e})
        totals = {label: engine_totals(engines[label]) for label in labels}
        suites.append({"name": suite, "title": SUITE_TITLES.get(suite, suite), "labels": labels, "files": files,
                       "cells": engines, "totals": totals})
        for (label, f), g in df[df["suite"] == suite].groupby(["label", "file"]):
            _render_detail(out / "detail" / detail_name(suite, label, f), suite, label, f, engines[label][f],
                           failure_groups(g))
    all_labels = sorted({label for s in suites for label in s["labels"]})
    spec = df[df["suite"] == "spec"] if not df.empty else df
    index = render("conformance.html", out / "index.html", suites=suites, labels=all_labels, store=str(store_path),
                   strict=strict_agreement(spec) if not spec.empty else {},
                   unsupported=unsupported_checks(df) if not df.empty else {}, features=features, prov=prov,
                   detail_name=detail_name)
    (out / "summary.json").write_text(json.dumps(summary_json(summary), indent=1, sort_keys=True))
    render_fuzz_page(store_path, out)  # conformance/fuzz.html: harness fuzz's findings (harness/report/fuzz.py)
    return index


def _render_detail(path: Path, suite: str, label: str, file: str, counts: Counts, groups: list[Group]) -> None:
    shown = []
    for g in groups:
        head, rest = g.checks[:SHOWN], g.checks[SHOWN:]
        shown.append({"group": g, "name": CATEGORY_NAMES[g.category], "head": [(c, _diffs(c)) for c in head],
                      "rest": rest, "command": folded_command(rest) if rest else None})
    render("conformance_detail.html", path, suite=suite, title=SUITE_TITLES.get(suite, suite), label=label,
           file=file, counts=counts, groups=shown)
