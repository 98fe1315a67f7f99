"""``harness wasi``: run the official wasi-testsuite (and our own WASI programs) on engines."""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from ..adapters.base import EngineSpec, UnknownEngineError
from ..cli_options import (
    add_engines,
    add_jobs,
    add_json,
    add_pattern,
    add_store,
    add_timeout,
    add_verbose,
    command_line,
    open_store,
)
from ..errors import HarnessError
from ..outcomes import NOT_RUN, UNEXPECTED, Outcome
from ..results.run import recording
from ..results.store import ResultRow
from ..suites.catalog import present_commit
from ..text import LINE, OUTPUT, clip
from .drivers import HOSTCHECK, parse_engine
from .execute import DEFAULT_TIMEOUT
from .expectations import stale
from .runner import SuiteRun, TestResult, reproduce_command, run_suite, summarize
from .testsuite import WasiTest, discover

HELP = "run the WASI testsuite (wasm32-wasip1 c/rust/assemblyscript) and our WASI programs on engines"
DESCRIPTION = """Run WASI preview1 test programs on engines and compare exit codes and output.

Suites: the official wasi-testsuite (--suite-dir, $HARNESS_WASI_DIR or 'harness suites fetch wasi'),
and/or our own C programs in suites/wasi/programs (--own; compiled with zig cc into the cache).
wasm32-wasip3 component tests are reported as unsupported by preview1 engines, not as failures.
Engine 'hostcheck' runs our WASI host on wasmtime's executor (checks the host alone).

examples:
  harness wasi --engines wasmtime,v8,pywasm --suite-dir ~/.cache/wasm-harness/suites/wasi
  harness wasi --engines ours:interp --own
  harness wasi --engines wasmtime:winch -k path_ --json wasi.json
"""

DEFAULT_ENGINES = "wasmtime,v8,pywasm,ours:interp"


DEFAULT_VERSIONS = "wasm32-wasip1,wasm32-wasip3"


def add_arguments(p: argparse.ArgumentParser) -> None:
    add_engines(p, DEFAULT_ENGINES)
    p.add_argument("--suite-dir", type=Path, default=None, help="wasi-testsuite checkout (or its tests/ dir)")
    p.add_argument("--own", action="store_true", help="run our own programs (suites/wasi/programs)")
    p.add_argument("--official", action="store_true", help="with --own: run the official suite too")
    p.add_argument("--versions", default=DEFAULT_VERSIONS,
                   help="WASI versions to list (default: both; p3 tests show as unsupported)")
    add_pattern(p, "tests")
    add_timeout(p, DEFAULT_TIMEOUT, "one test")
    add_jobs(p, 1, "tests of one engine")
    add_json(p)
    add_store(p)
    add_verbose(p, "every test in the matrix")


def parse_engine_list(text: str) -> tuple[list[EngineSpec], dict[str, str]]:
    """Engines by name; unknown ones are reported (not fatal) so the rest of the run goes on."""
    engines: list[EngineSpec] = []
    bad: dict[str, str] = {}
    for raw in [p.strip() for p in text.split(",") if p.strip()]:
        try:
            if raw == "ours":
                from ..adapters import get_adapter

                adapter = get_adapter("ours")
                specs = [EngineSpec("ours", t) for t in adapter.tiers if adapter.available(t)] or [
                    EngineSpec("ours", adapter.default_tier)]
            else:
                specs = [parse_engine(raw)]
        except UnknownEngineError as e:
            bad[raw] = str(e)
            continue
        for s in specs:
            if s not in engines:
                engines.append(s)
    return engines, bad


def _official_dir(arg: Path | None) -> Path:
    if arg is not None:
        if not arg.is_dir():
            raise HarnessError(f"WASI suite directory {arg} does not exist; pass a wasi-testsuite checkout")
        return arg
    from ..suites.catalog import wasi_suite_dir

    return wasi_suite_dir(None)


def collect_tests(args: argparse.Namespace) -> tuple[list[WasiTest], dict[str, str]]:
    versions = tuple(v.strip() for v in args.versions.split(",") if v.strip())
    tests: list[WasiTest] = []
    suites: dict[str, str] = {}
    if args.own:
        from .programs import build_own_suite

        own_dir = build_own_suite()
        tests += discover(own_dir, versions)
        suites["wasi-own"] = str(own_dir)
    if not args.own or args.official or args.suite_dir:
        official = _official_dir(args.suite_dir)
        tests += discover(official, versions)
        suites["wasi"] = str(official)
    if args.pattern:
        pats = [p for p in args.pattern.split(",") if p]
        tests = [t for t in tests if any(p in t.id for p in pats)]
    return tests, suites


CELL = {Outcome.PASS: "ok", Outcome.FAIL: "FAIL", Outcome.TIMEOUT: "TIMEOUT", Outcome.CRASH: "CRASH",
        Outcome.UNSUPPORTED: "n/a", Outcome.SKIP: "skip", Outcome.XFAIL: "xfail", Outcome.XPASS: "XPASS"}


def matrix(run: SuiteRun, engines: list[str], verbose: bool) -> str:
    by_test: dict[str, dict[str, TestResult]] = {}
    for r in run.results:
        by_test.setdefault(r.test.id, {})[r.engine.name] = r
    width = max([len(t) for t in by_test] + [10]) + 2
    cols = [max(len(e), 7) + 2 for e in engines]
    lines = ["test".ljust(width) + "".join(e.ljust(c) for e, c in zip(engines, cols, strict=True))]
    for test_id, row in by_test.items():
        cells = [row.get(e) for e in engines]
        interesting = any(c is not None and c.verdict not in (Outcome.PASS, Outcome.UNSUPPORTED) for c in cells)
        if verbose or interesting:
            lines.append(test_id.ljust(width) + "".join(
                (CELL[c.verdict] if c else "-").ljust(w) for c, w in zip(cells, cols, strict=True)))
    summary = summarize(run)["engines"]
    lines.append("")
    groups = sorted({r.test.group for r in run.results})
    lines.append("passed/run".ljust(width) + "".join(e.ljust(c) for e, c in zip(engines, cols, strict=True)))
    for g in groups + ["TOTAL"]:
        cells = []
        for e in engines:
            s = summary.get(e, {})
            b = s.get("total") if g == "TOTAL" else s.get("groups", {}).get(g)
            if not b:
                cells.append("-")
                continue
            ran = b["passed"] + b["failed"]
            cells.append(f"{b['passed']}/{ran}" if ran else ("n/a" if b["unsupported"] else "skip"))
        lines.append(g.ljust(width) + "".join(c.ljust(w) for c, w in zip(cells, cols, strict=True)))
    lines.append("time (s)".ljust(width) + "".join(
        f"{summary.get(e, {}).get('seconds', 0):.1f}".ljust(w) for e, w in zip(engines, cols, strict=True)))
    return "\n".join(lines)


def store_row(r: TestResult, suite_root: str | None) -> ResultRow:
    path = r.test.path
    file = str(path)
    if suite_root:
        try:
            file = str(path.resolve().relative_to(Path(suite_root).resolve()))
        except ValueError:
            pass
    return ResultRow(suite="wasi", file=file, item=r.test.id, engine=r.engine.runtime, tier=r.engine.tier or None,
                     metric="test", value=1.0 if r.outcome == Outcome.PASS else 0.0, outcome=r.outcome,
                     message=clip(r.message, OUTPUT) or None,
                     extra={"group": r.test.group, "seconds": round(r.seconds, 3), "verdict": r.verdict,
                            "reproduce": reproduce_command(r.engine.name, r.test.id, suite_root),
                            **({"argv": r.argv} if r.argv else {}),
                            **({"expected_fail": r.expected_fail} if r.expected_fail else {})})


def main(args: argparse.Namespace) -> int:
    engines, bad = parse_engine_list(args.engines)
    for name, why in bad.items():
        print(f"harness wasi: skipping engine {name!r}: {why}", file=sys.stderr)
    if not engines:
        raise HarnessError(f"no usable engine in {args.engines!r} (see 'harness runtimes')")
    tests, suites = collect_tests(args)
    if not tests:
        raise HarnessError("no WASI tests selected" + (f" (pattern {args.pattern!r})" if args.pattern else ""))
    if not args.pattern and args.versions == DEFAULT_VERSIONS:
        # every test of the suites that run is here (a --suite-dir of one's own is a selection, not the suite)
        ids = [t.id for t in tests]
        own, official = "wasi-own" in suites, "wasi" in suites and args.suite_dir is None
        for message in sorted({m for e in engines for m in stale(e.runtime, e.tier, ids, own=own, official=official)}):
            print(f"harness wasi: warning: {message}", file=sys.stderr)
    store = open_store(args)
    versions = {}
    if store:
        from ..adapters import get_adapter

        versions = {e.name: (None if e == HOSTCHECK else get_adapter(e.runtime).version()) for e in engines}
    root = suites.get("wasi")
    with recording(store, "wasi", command_line("wasi"), versions, {k: present_commit(Path(d)) for k, d in suites.items()},
                   extra={"suite_dirs": suites, "bad_engines": bad}) as recorded:

        def on_result(r: TestResult, done: int, total: int) -> None:
            """Show each test as it ends, and commit its row at once (a kill keeps every test that ended)."""
            mark = CELL[r.verdict]
            detail = f"  {clip(r.message, LINE)}" if r.verdict not in (Outcome.PASS, Outcome.UNSUPPORTED, Outcome.XFAIL) and r.message else ""
            print(f"[{r.engine.name} {done}/{total}] {r.test.id} {mark} {r.seconds:.2f}s{detail}", file=sys.stderr,
                  flush=True)
            recorded.add([store_row(r, root if r.test.group.split("/")[0] != "own" else suites.get("wasi-own"))])

        started = time.perf_counter()
        run = run_suite(engines, tests, timeout=args.timeout, jobs=args.jobs, on_result=on_result)
        wall = time.perf_counter() - started
    names = [e.name for e in engines]
    print(matrix(run, names, args.verbose))
    for name, why in run.unavailable.items():
        print(f"{name}: skipped: {why}", file=sys.stderr)
    print(f"wall time {wall:.1f} s", file=sys.stderr)
    summary = summarize(run)
    summary.update({"suites": suites, "wall_seconds": round(wall, 2), "bad_engines": bad, "run_id": recorded.run_id})
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(summary, indent=2) + "\n")
    unexpected = [r for r in run.results if r.verdict in UNEXPECTED]
    nothing_ran = all(r.outcome in NOT_RUN for r in run.results)
    return 1 if unexpected or bad or nothing_ran else 0


__all__ = ["HELP", "DESCRIPTION", "add_arguments", "main"]

