"""``harness spec``: run .wast conformance scripts on engines and score every assertion."""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from pathlib import Path

from ..adapters import get_adapter, parse_engines
from ..adapters.base import SPEC, EngineSpec
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
from ..interrupts import kill_children
from ..results.run import Run, recording
from .drivers import supports_spec
from .expectations import apply_expectations, draft_entries, skip_reason, stale
from .outcomes import FileStatus
from .runner import (
    CORPUS_DIR,
    DEFAULT_TIMEOUT,
    FileResult,
    discover,
    run_file,
    skipped_file,
    suite_name,
    wasm_version,
)
from .summary import failure_table, matrix, store_rows, summary_json, write_json

HELP = "run .wast spec scripts (official suite or our corpus) with per-assertion outcomes"
DESCRIPTION = """Run WebAssembly spec scripts (.wast) on engines and score every module, action and assertion.

Suites by name (--suite): spec-2.0 and spec-3.0, the official testsuites pinned in harness/suites/catalog.toml
and fetched by 'harness suites fetch', or corpus, ours (the default); or any folder of .wast files with
--suite-dir ('official' there is spec-2.0) or $HARNESS_SPEC_DIR.  A suite's WebAssembly version decides which
features the drivers turn on: under 3.0, every proposal each engine declares ('harness runtimes'); a check
needing one it lacks is 'unsupported', named.  Each failing check prints a command that reproduces it alone.

examples:
  harness spec --engines wasmtime,wabt --suite spec-3.0
  harness spec --engines wasmtime:cranelift,wasmtime:winch --suite-dir ~/.cache/wasm-harness/suites/spec-2.0
  harness spec --engines v8:liftoff --suite spec-2.0 --file f32.wast --line 2510
"""


def add_arguments(p: argparse.ArgumentParser) -> None:
    add_engines(p, "wasmtime")
    where = p.add_mutually_exclusive_group()
    where.add_argument("--suite", choices=suite_choices(), default=None,
                       help="a suite by name: the official spec-2.0 or spec-3.0 (fetched by 'harness suites "
                            "fetch'), or corpus (ours; the default)")
    where.add_argument("--suite-dir", type=Path, default=None,
                       help="directory of .wast files (default: $HARNESS_SPEC_DIR or our corpus); 'official' = "
                            "$HARNESS_SPEC_DIR or else the spec-2.0 suite")
    add_pattern(p, "files")
    p.add_argument("--file", default=None, help="one file (name in the suite dir, or a path)")
    p.add_argument("--line", type=int, default=None, help="with --file: only the check on this line")
    add_json(p)
    add_jobs(p, os.cpu_count() or 1, "files")
    add_timeout(p, DEFAULT_TIMEOUT, "one file on one engine")
    add_store(p)
    add_verbose(p, "the failure table of every file")
    p.add_argument("--draft-expectations", type=Path, default=None, metavar="PATH",
                   help="write TOML entries for the files with unexpected failures (to review and paste into "
                        "suites/spec/expectations/<runtime>-<tier>.toml)")


def suite_choices() -> list[str]:
    from ..suites.catalog import spec_suites

    return [*spec_suites(), "corpus"]


def resolve_suite_dir(arg: Path | None, suite: str | None = None) -> Path:
    """The directory a ``--suite`` name or ``--suite-dir`` names (``official``: spec-2.0)."""
    if suite == "corpus":
        return CORPUS_DIR
    if suite is not None:
        from ..suites.catalog import get_suite

        path = get_suite(suite).path
        if not path.is_dir():
            raise HarnessError(f"suite {suite} is not fetched ({path}); run 'harness suites fetch'")
        return path
    if arg is not None and str(arg) == "official":
        from ..suites.catalog import spec_suite_dir

        return spec_suite_dir()
    path = arg or (Path(os.environ["HARNESS_SPEC_DIR"]) if os.environ.get("HARNESS_SPEC_DIR") else CORPUS_DIR)
    if not path.is_dir():
        raise HarnessError(f"suite directory {path} is not readable; fetch it with 'harness suites fetch' "
                           "or pass --suite-dir")
    return path


def whole_suite(args: argparse.Namespace) -> bool:
    """Every file of a suite the expectations are written for runs: our corpus or the official suite, with no
    ``-k``/``--file`` narrowing it (a folder of one's own given as ``--suite-dir`` is a selection too), so an
    entry naming none of its files is stale."""
    chosen_by_us = args.suite_dir is None or str(args.suite_dir) == "official"  # or --suite NAME
    return chosen_by_us and not (args.pattern or args.file)


def suite_label(suite_dir: Path) -> str:
    """The suite as reports name it: ``spec-2.0``/``spec-3.0`` for a catalogued checkout, ``corpus``, or the
    directory's own name with its WebAssembly version."""
    from ..suites.catalog import catalogued_spec_suite

    src = catalogued_spec_suite(suite_dir)
    if src is not None:
        return src.name
    if suite_name(suite_dir) == "corpus":
        return "corpus"
    return f"{Path(suite_dir).name} (wasm {wasm_version(suite_dir)})"


def engine_features(engines: list[EngineSpec], wasm: str) -> dict[str, dict[str, str]]:
    """Per engine, each 3.0 feature as this run's drivers have it (recorded with the run): how it is turned
    on, or why not; every one off under a 2.0 suite."""
    out = {}
    for e in engines:
        declared = get_adapter(e.runtime).features(e.tier)
        out[e.name] = {f: s.describe() if wasm == "3.0" or not s.supported else "off (2.0 suite)"
                       for f, s in declared.items()}
    return out


def split_available(engines: list[EngineSpec]) -> tuple[list[EngineSpec], dict[str, str]]:
    ok, missing = [], {}
    for e in engines:
        adapter = get_adapter(e.runtime)
        if not supports_spec(e.runtime):
            missing[e.name] = "no spec driver for this runtime"
            continue
        avail = adapter.available(e.tier)
        if avail:
            ok.append(e)
        else:
            missing[e.name] = avail.reason + (f" (install: {avail.install})" if avail.install else "")
    return ok, missing


def suite_commit(suite_dir: Path) -> str | None:
    """The git commit of the suite directory (recorded with the run), if it is a checkout."""
    try:
        from ..suites.catalog import present_commit

        return present_commit(suite_dir)
    except ImportError:
        pass
    try:
        out = subprocess.run(["git", "-C", str(suite_dir), "rev-parse", "--short", "HEAD"], capture_output=True,
                             text=True, timeout=10)
        return out.stdout.strip() or None if out.returncode == 0 else None
    except (OSError, subprocess.TimeoutExpired):
        return None


def progress(done: int, total: int, r: FileResult) -> None:
    state = "ok" if r.fully_passed else ("known failures" if r.as_expected else "UNEXPECTED")
    extra = f" [{r.status}: {r.message}]" if r.status != FileStatus.OK else ""
    print(f"[{done}/{total}] {r.engine:<20} {r.file:<40} {r.passed}/{r.total} {state} "
          f"{r.seconds:.1f}s{extra}", file=sys.stderr, flush=True)


def run_files(tasks: list[tuple[EngineSpec, Path]], suite_dir: Path, args: argparse.Namespace,
              run: Run) -> list[FileResult]:
    """Run every (engine, file) on a pool of threads (each waits on its worker process) and store each file's
    rows as soon as it finishes, so an interrupt or a kill keeps every finished file.

    An interrupt cancels the queue, kills the running files' workers and does not wait for them.
    """
    suite = suite_name(suite_dir)
    results: list[FileResult] = []
    pool = ThreadPoolExecutor(max_workers=args.jobs)
    pending: set[Future] = set()
    try:
        for e, f in tasks:
            why = skip_reason(e.name, suite, f.name)
            if why:
                pending.add(pool.submit(skipped_file, e, f, suite_dir, why))
            else:
                pending.add(pool.submit(run_file, e, f, suite_dir, args.timeout, args.line))
        while pending:
            done, pending = wait(pending, return_when=FIRST_COMPLETED)
            for fut in done:
                if fut.cancelled():
                    continue
                r = fut.result()
                apply_expectations(r)
                results.append(r)
                run.add(store_rows(r))
                progress(len(results), len(tasks), r)
                if args.verbose and not r.fully_passed:
                    print(failure_table(r), file=sys.stderr)
    except BaseException:
        _abandon(pool, pending)
        raise
    pool.shutdown()
    return results


def _abandon(pool: ThreadPoolExecutor, pending: set[Future]) -> None:
    """Cancel the queued files and kill the workers of the running ones until their threads have let go (a
    thread may have started the next file just before the queue was emptied)."""
    pool.shutdown(wait=False, cancel_futures=True)
    running = {f for f in pending if not f.cancelled()}
    while running:
        kill_children()
        _, running = wait(running, timeout=0.2)


def main(args: argparse.Namespace) -> int:
    engines, unavailable = split_available(parse_engines(args.engines, capability=SPEC))
    for name, why in unavailable.items():
        print(f"harness spec: {name} is not available: {why}", file=sys.stderr)
    suite_dir = resolve_suite_dir(args.suite_dir, args.suite)
    if args.line is not None and not args.file:
        raise HarnessError("--line needs --file (the .wast file the line belongs to)")
    files = discover(suite_dir, args.pattern, args.file)
    if not files:
        what = f"file {args.file!r}" if args.file else (f"files matching {args.pattern!r}" if args.pattern else ".wast files")
        raise HarnessError(f"no {what} in {suite_dir}")
    if not engines:
        raise HarnessError("none of the requested engines is available here (see 'harness runtimes')")
    if whole_suite(args):
        names = [f.name for f in files]
        for message in sorted({m for e in engines for m in stale(e.name, suite_name(suite_dir), names)}):
            print(f"harness spec: warning: {message}", file=sys.stderr)

    store = open_store(args)
    versions = {e.name: get_adapter(e.runtime).spec_version() for e in engines} if store else {}
    suites = {suite_name(suite_dir): suite_commit(suite_dir)} if store else {}
    wasm = wasm_version(suite_dir)
    print(f"harness spec: {suite_label(suite_dir)} (WebAssembly {wasm}) from {suite_dir}", file=sys.stderr)
    with recording(store, "spec", command_line("spec"), versions, suites,
                   extra={"suite_dir": str(suite_dir), "suite": suite_label(suite_dir), "wasm": wasm,
                          "features": engine_features(engines, wasm), "unavailable": unavailable}) as run:
        started = time.perf_counter()
        results = run_files([(e, f) for e in engines for f in files], suite_dir, args, run)
        wall = time.perf_counter() - started
        print_summary(results, [e.name for e in engines], unavailable, wall, suite_dir, args)
        malformed = next((r.message for r in results if r.status == FileStatus.MALFORMED), None)
        if malformed:  # counted and stored as an error like any file; the user's script needs fixing: exit 2
            raise HarnessError(malformed)
    unexpected = [r for r in results if not r.as_expected]
    return 1 if unexpected or (unavailable and not results) else 0


def print_summary(results: list[FileResult], names: list[str], unavailable: dict[str, str], wall: float, suite_dir: Path,
           args: argparse.Namespace) -> None:
    """The matrix, the failures (or the one line asked for), the JSON summary and the draft expectations."""
    if results:
        print(matrix(results, names))
    for name, why in unavailable.items():
        print(f"{name}: not available ({why})")
    print(f"wall time {wall:.1f} s", file=sys.stderr)
    for r in sorted(results, key=lambda r: (r.engine, r.file)):
        if args.line is not None:
            for o in r.outcomes:
                print(f"{r.engine} {r.file}:{o.line} {o.command} {o.outcome}"
                      + "".join(f"\n  {k}: {v}" for k, v in (("expected", o.expected), ("actual", o.actual),
                                                             ("message", o.message)) if v))
        elif not r.as_expected and not args.verbose:
            print(failure_table(r, limit=10), file=sys.stderr)
    if args.json:
        write_json(args.json, summary_json(results, names, unavailable, wall, suite_dir, suite_label(suite_dir),
                                           wasm_version(suite_dir)))
    if args.draft_expectations:
        args.draft_expectations.write_text(draft_entries(results))


