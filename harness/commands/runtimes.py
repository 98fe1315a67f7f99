"""``harness runtimes``: every known engine:tier, whether it is available here, its version, and why not;
where each runtime comes from (built-in, a plugin package and its version, or the file that declares it),
and one line for each plugin or declaration that could not be loaded."""

from __future__ import annotations

import argparse
import json
import sys

from ..adapters.base import EngineSpec
from ..adapters.container import container_adapters
from ..adapters.registry import known
from ..cli_options import add_engines_file

HELP = "list every known engine:tier with availability, version and how to install what is missing"


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--json", action="store_true", help="print JSON instead of a table")
    add_engines_file(p)
    sub = p.add_subparsers(dest="action")
    inst = sub.add_parser("install", help="build a runtime from crates.io with cargo into the harness cache")
    inst.add_argument("names", nargs="+", help="runtimes to build: wasmer, wasmi")


def collect() -> list[dict]:
    rows = []
    sources = known().sources
    # then each runtime in its container image (harness images build makes what is missing)
    for adapter in [*known().adapters.values(), *container_adapters()]:
        version = adapter.version()
        partial = adapter.partial()
        for eng in [*adapter.engines(), *(EngineSpec(adapter.runtime, t) for t in partial)]:
            av = adapter.available(eng.tier)
            rows.append({
                "engine": eng.name, "available": av.ok, "version": version if av.ok else None,
                "capabilities": sorted(adapter.capabilities(eng.tier)), "why_not": av.reason or None,
                "install": (av.install or adapter.install_hint) if not av.ok else None,
                "description": adapter.description, "partial": partial.get(eng.tier),
                "source": sources.get(adapter.runtime, "container"),
            })
    return rows


def main(args: argparse.Namespace) -> int:
    if getattr(args, "action", None) == "install":
        from .runtimes_install import install

        return install(args.names)
    rows = collect()
    errors = known().errors
    if args.json:
        json.dump(rows, sys.stdout, indent=2)
        print()
        for line in errors:
            print(f"harness runtimes: {line}", file=sys.stderr)
        return 0
    width = max(len(r["engine"]) for r in rows) + 2
    for r in rows:
        mark = "yes" if r["available"] else "no "
        detail = (r["version"] or "") + (f"  ({r['partial']})" if r["partial"] else "")
        if not r["available"]:
            detail = f"{r['why_not']}" + (f"  -> {r['install']}" if r["install"] else "")
        caps = ",".join(r["capabilities"])
        print(f"{r['engine']:<{width}} {mark}  {caps:<22} {detail}  [{r['source']}]")
    for line in errors:
        print(f"error: {line}")
    return 0
