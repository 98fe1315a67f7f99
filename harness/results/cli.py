"""``harness results``: work on results stores as a whole.

    harness results merge A.db B.db ... --into history.db

Merging is idempotent (runs are copied by id) and all or nothing: a damaged, half-written or foreign
input is refused with one line and the history is left as it was.
"""

from __future__ import annotations

import argparse
from pathlib import Path

HELP = "merge results stores (CI shards, nights, machines) into one history store"
DESCRIPTION = __doc__


def add_arguments(p: argparse.ArgumentParser) -> None:
    sub = p.add_subparsers(dest="action", metavar="ACTION", required=True)
    merge = sub.add_parser("merge", help="copy the runs the history lacks from each store into it")
    merge.add_argument("stores", nargs="+", type=Path, help="stores to merge (shards' databases)")
    merge.add_argument("--into", type=Path, required=True, help="the history store (created if absent)")


def main(args: argparse.Namespace) -> int:
    from .merge import merge_stores

    for item in merge_stores(args.stores, args.into):
        partial = f"; {len(item.partial)} did not finish (their missing cells stay missing)" if item.partial else ""
        print(f"{item.path}: schema {item.schema}, {item.runs_added} runs and {item.rows_added} rows added, "
              f"{item.runs_present} already in the history{partial}")
    print(f"history: {args.into}")
    return 0
