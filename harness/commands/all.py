"""``harness all``: the main job in one command.

Runs every stage on the engines and suites available here, each stage in its own process so one
failing stage never loses another's results, then renders the reports from the store:

1. spec conformance: the official spec testsuite when fetched (else our corpus) on every spec-capable engine;
2. WASI: the official WASI testsuite when fetched, and our own WASI programs, on every WASI-capable engine;
3. perf: the workloads and microbenchmarks on the default engine set (``--quick`` for a short smoke run);
4. ``harness report``.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time

from ..adapters import adapters
from ..adapters.base import SPEC, WASI
from ..paths import default_results_db
from ..suites.catalog import get_suite

HELP = "run everything available here (spec, WASI, perf) and render the reports"
DESCRIPTION = __doc__


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--db", default=None, help="results store (default: reports/results.db)")
    p.add_argument("--skip", default="", help="comma-separated stages to skip: spec,wasi,perf")
    p.add_argument("--quick", action="store_true", help="smaller perf inputs and fewer repeats (a smoke run)")
    p.add_argument("--engines", default=None, help="restrict every stage to these engines")


def _available(capability: str) -> str:
    names = []
    for adapter in adapters().values():
        for eng in [*adapter.engines(), *adapter.variants()]:
            if capability in adapter.capabilities(eng.tier) and adapter.available(eng.tier):
                names.append(eng.name)
    return ",".join(names)


def main(args: argparse.Namespace) -> int:
    db = args.db or str(default_results_db())
    skip = {s.strip() for s in args.skip.split(",") if s.strip()}
    stages: list[tuple[str, list[str]]] = []
    official_spec = get_suite("spec-2.0").path.is_dir() or bool(os.environ.get("HARNESS_SPEC_DIR"))
    official_wasi = get_suite("wasi").path.is_dir() or bool(os.environ.get("HARNESS_WASI_DIR"))
    if not (official_spec and official_wasi):
        print("harness all: official suites missing (run 'harness suites fetch'); running our own corpus only "
              "for those", file=sys.stderr)
    if "spec" not in skip:
        spec = ["spec", "--engines", args.engines or _available(SPEC), "--db", db]
        stages.append(("spec corpus", spec))
        if official_spec:
            stages.append(("spec official", [*spec, "--suite-dir", "official"]))
    if "wasi" not in skip:
        wasi = ["wasi", "--engines", args.engines or _available(WASI), "--db", db, "--own"]
        stages.append(("wasi", [*wasi, "--official"] if official_wasi else wasi))
    if "perf" not in skip:
        perf = ["perf", "--db", db]
        if args.engines:
            perf += ["--engines", args.engines]
        if args.quick:
            perf += ["--repeat", "3", "--size", "2"]
        stages.append(("perf", perf))
    failed = []
    for name, argv in stages:
        print(f"== harness {' '.join(argv)}", file=sys.stderr)
        t0 = time.monotonic()
        rc = subprocess.run([sys.executable, "-m", "harness", *argv]).returncode
        print(f"== {name}: exit {rc} after {time.monotonic() - t0:.0f} s", file=sys.stderr)
        if rc not in (0, 1):  # 1 = some tests failed: a result, not a breakdown
            failed.append(name)
    rc = subprocess.run([sys.executable, "-m", "harness", "report", "--db", db]).returncode
    if failed:
        print(f"harness all: stages that could not run: {', '.join(failed)} (see their messages above)", file=sys.stderr)
    return 2 if failed or rc else 0
