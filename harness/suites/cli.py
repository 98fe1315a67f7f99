"""``harness suites``: fetch the official testsuites at pinned commits, and list what is present."""

from __future__ import annotations

import argparse
import json
import sys

from ..errors import HarnessError
from ..paths import suites_dir
from .catalog import catalog, get_suite, present_commit
from .fetch import fetch_suite

HELP = "fetch the official testsuites at pinned commits (harness suites fetch) and list them (harness suites list)"
DESCRIPTION = HELP + """

Suites are cloned into $HARNESS_SUITES (default: the user cache dir, wasm-harness/suites).
Offline, clone the repositories yourself and pass --from PATH (a local clone or mirror), or point the
runners at a folder with --suite-dir."""


def add_arguments(p: argparse.ArgumentParser) -> None:
    sub = p.add_subparsers(dest="action", metavar="ACTION")
    f = sub.add_parser("fetch", help="clone suites at their pinned commits")
    f.add_argument("names", nargs="*", help=f"suites to fetch (default: all): {', '.join(catalog())}")
    f.add_argument("--from", dest="origin", metavar="PATH_OR_URL",
                   help="clone from this local clone/mirror instead of upstream (one suite at a time)")
    ls = sub.add_parser("list", help="show the catalogue, what is present and at which commit")
    ls.add_argument("--json", action="store_true")


def main(args: argparse.Namespace) -> int:
    if args.action == "fetch":
        names = args.names or list(catalog())
        if args.origin and len(names) != 1:
            raise HarnessError("--from takes one suite name (e.g. 'harness suites fetch spec-2.0 --from /path')")
        for name in names:
            fetch_suite(get_suite(name), origin=args.origin, progress=lambda m: print(m, file=sys.stderr))
        return 0
    rows = []
    for src in catalog().values():
        commit = present_commit(src.path)
        status = "missing" if not src.path.exists() else ("ok" if commit == src.commit else f"at {commit or 'unknown'}")
        rows.append({"name": src.name, "pinned": src.commit, "present": commit, "status": status,
                     "path": str(src.path), "description": src.description})
    if getattr(args, "json", False):
        json.dump(rows, sys.stdout, indent=2)
        print()
        return 0
    print(f"suites cache: {suites_dir()}")
    for r in rows:
        print(f"{r['name']:<10} {r['status']:<10} pinned {r['pinned'][:10]}  {r['description']}")
    return 0
