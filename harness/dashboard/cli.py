"""``harness dashboard``: render the history store into a static site (no server, no network at view time).

    harness dashboard --db history.db --out site/

A page per engine:tier, per workload and per suite, a page per run, and the regressions page; open
``index.html``.
"""

from __future__ import annotations

import argparse
from pathlib import Path

HELP = "render a history store into a static dashboard (time series, conformance over nights, regressions)"
DESCRIPTION = __doc__


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--db", type=Path, default=Path("history.db"), help="history store (default ./history.db)")
    p.add_argument("--out", type=Path, default=Path("dashboard"), help="folder for the site (default ./dashboard)")


def main(args: argparse.Namespace) -> int:
    from ..results.store import StoreError, inspect_store
    from .site import render_site

    if not args.db.is_file():
        raise StoreError(f"history store {args.db} does not exist: merge shards into it with harness results merge")
    inspect_store(args.db)
    index = render_site(args.db, args.out)
    print(f"dashboard: {index}")
    return 0
