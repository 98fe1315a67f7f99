"""``harness report``: render HTML reports from the results store (no engine is run)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ..cli_options import add_store
from ..errors import HarnessError
from ..paths import REPO_ROOT, default_results_db
from ..results.store import ResultsStore
from .html import render

HELP = "render HTML reports (conformance matrix, perf) from stored results alone"
DESCRIPTION = HELP + """

  harness report            both reports, and reports/index.html linking them
  harness report spec       the conformance matrix (spec + WASI suites), reports/conformance/index.html
  harness report perf       the performance report, reports/perf/index.html"""


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("which", nargs="?", default="all", choices=["all", "spec", "conformance", "wasi", "perf"],
                   help="which report (default: all)")
    add_store(p, optional=False)
    p.add_argument("--out", type=Path, default=None, help="output folder (default: reports/ next to the store)")


def main(args: argparse.Namespace) -> int:
    db = args.db or default_results_db()
    if not db.is_file():
        raise HarnessError(f"no results store at {db}; run 'harness spec', 'harness wasi' or 'harness perf' first, "
                           "or pass --db PATH")
    ResultsStore(db).close()  # a damaged store is one line here, not a traceback from a renderer
    out = args.out or (db.parent if db.parent.name == "reports" else REPO_ROOT / "reports")
    renderers = []
    if args.which in ("all", "spec", "conformance", "wasi"):
        from .conformance import render_conformance_report

        renderers.append(render_conformance_report)
    if args.which in ("all", "perf"):
        from .perf import render_perf_report

        renderers.append(render_perf_report)
    try:
        out.mkdir(parents=True, exist_ok=True)
        written = [render_report(db, out) for render_report in renderers]
        written.append(render_index(db, out))
    except OSError as e:
        raise HarnessError(f"cannot write the report to {e.filename or out} ({e.strerror or e}); pass --out a "
                           "folder you can write") from None
    for w in written:
        print(f"wrote {w}", file=sys.stderr)
    return 0


# Each report a folder may hold: (its page, name, what it answers).
REPORTS = (("conformance/index.html", "Conformance", "which engines pass which spec and WASI checks, every "
            "failure with the command that reproduces it"),
           ("perf/index.html", "Performance", "the public claims about wasm speed and start-up, measured here, "
            "with throughput, startup, pointer, compile and memory figures"),
           ("dashboard/index.html", "Dashboard", "runs over time"))


def render_index(db: Path, out: Path) -> Path:
    """``<out>/index.html``, linking the reports present in ``out``."""
    present = [r for r in REPORTS if (out / r[0]).is_file()]
    missing = [name for page, name, _ in REPORTS[:2] if not (out / page).is_file()]
    return render("index.html", out / "index.html", reports=present, missing=missing, store=str(db))
