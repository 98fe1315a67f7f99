"""``harness report``: render HTML reports from the results store (no engine is run)."""

from __future__ import annotations

import argparse
import importlib
import sys
from pathlib import Path

from ..errors import HarnessError
from ..paths import REPO_ROOT, default_results_db

HELP = "render HTML reports (conformance matrix, perf) from stored results alone"
DESCRIPTION = HELP + """

  harness report            both reports
  harness report spec       the conformance matrix (spec + WASI suites), reports/conformance/index.html
  harness report perf       the performance report, reports/perf/index.html"""


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("which", nargs="?", default="all", choices=["all", "spec", "conformance", "wasi", "perf"],
                   help="which report (default: all)")
    p.add_argument("--db", default=None, help="results store (default: reports/results.db or $HARNESS_RESULTS)")
    p.add_argument("--out", default=None, help="output folder (default: reports/ next to the store)")


def main(args: argparse.Namespace) -> int:
    db = Path(args.db) if args.db else default_results_db()
    if not db.is_file():
        raise HarnessError(f"no results store at {db}; run 'harness spec', 'harness wasi' or 'harness perf' first, "
                           "or pass --db PATH")
    out = Path(args.out) if args.out else (db.parent if db.parent.name == "reports" else REPO_ROOT / "reports")
    written = []
    if args.which in ("all", "spec", "conformance", "wasi"):
        from .conformance import render_conformance_report

        written.append(render_conformance_report(db, out))
    if args.which in ("all", "perf"):
        try:
            perf = importlib.import_module("harness.report.perf")
        except ModuleNotFoundError:
            if args.which == "perf":
                raise HarnessError("the perf report is not in this checkout") from None
        else:
            written.append(perf.render_perf_report(db, out))
    for w in written:
        print(f"wrote {w}", file=sys.stderr)
    return 0
