"""``harness all``: the main job in one command.

Runs every stage on the engines and suites available here, each stage in its own process so one
failing stage never loses another's results, then renders the reports from the store:

1. spec conformance: our corpus, and the official spec testsuites when fetched (2.0, then 3.0 with every
   feature each engine has turned on), on every spec-capable engine;
2. WASI: the official WASI testsuite when fetched, and our own WASI programs, on every WASI-capable engine;
3. perf: the workloads and microbenchmarks on the default engine set (``--quick`` for a short smoke run);
4. ``harness report``.

Every stage also runs the container engines of the host's architecture whose images are built
(``harness images build``), and says which: a user who built them expects them in the report. In spec
they are the slow part (a process per check for a runtime driven through its CLI: an hour or more for
the official 2.0 suite on 2 cores), so ``--quick`` gives them our corpus only, and ``--no-containers``
leaves them out. Images of another architecture run only when named, so emulated figures never mix
with native ones.

Ctrl-C or SIGTERM is passed on to the stage running, which gets a few seconds to mark its run
``interrupted`` before its process group is killed; the stages after it do not run.
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType

from ..adapters import adapters
from ..adapters.base import PERF, SPEC, WASI
from ..adapters.container import container_adapters
from ..cli_options import add_engines, add_store
from ..images.recipes import host_arch
from ..interrupts import Terminated
from ..paths import default_results_db
from ..perf.cli import DEFAULT_ENGINES as DEFAULT_PERF_ENGINES
from ..process import kill_group
from ..suites.catalog import get_suite

HELP = "run everything available here (spec, WASI, perf) and render the reports"
DESCRIPTION = __doc__


def add_arguments(p: argparse.ArgumentParser) -> None:
    add_store(p, optional=False)
    p.add_argument("--skip", default="", help="comma-separated stages to skip: spec,wasi,perf")
    p.add_argument("--quick", action="store_true",
                   help="smaller perf inputs and fewer repeats, and container engines on our spec corpus only "
                        "(a smoke run)")
    p.add_argument("--no-containers", action="store_true",
                   help="leave out the container engines (RUNTIME@docker) whose images are built here")
    add_engines(p, None, "every stage runs only these; without it each stage runs every engine available here")


def _available(capability: str) -> str:
    """Every engine here with ``capability``, local ones first."""
    names = []
    for adapter in adapters().values():
        for eng in [*adapter.engines(), *adapter.variants()]:
            if capability in adapter.capabilities(eng.tier) and adapter.available(eng.tier):
                names.append(eng.name)
    return ",".join(names)


def _boxed(capability: str) -> list[str]:
    """The container engines of the host's architecture with ``capability`` whose images are built."""
    return [e.name for a in container_adapters((host_arch(),)) for e in a.engines()
            if capability in a.capabilities(e.tier) and a.available(e.tier)]


def _with_boxed(capability: str, engines: str, boxed: list[str], note: str = "") -> str:
    if boxed:
        print(f"harness all: {capability} also in containers (images built here){note}: {', '.join(boxed)}"
              " (--no-containers leaves them out)", file=sys.stderr)
    return ",".join([e for e in engines.split(",") if e] + boxed)


def main(args: argparse.Namespace) -> int:
    db = str(args.db or default_results_db())
    skip = {s.strip() for s in args.skip.split(",") if s.strip()}
    stages: list[tuple[str, list[str]]] = []
    official_spec = get_suite("spec-2.0").path.is_dir() or bool(os.environ.get("HARNESS_SPEC_DIR"))
    official_wasi = get_suite("wasi").path.is_dir() or bool(os.environ.get("HARNESS_WASI_DIR"))
    if not (official_spec and official_wasi):
        print("harness all: official suites missing (run 'harness suites fetch'); running our own corpus only "
              "for those", file=sys.stderr)
    boxes = not (args.engines or args.no_containers)
    if "spec" not in skip:
        local = args.engines or _available(SPEC)
        boxed = _boxed(SPEC) if boxes else []
        spec = ["spec", "--db", db]
        note = (", on our corpus only (--quick)" if args.quick else
                ", on every suite: an hour or more each for the official ones, a container process per check or file")
        everywhere = _with_boxed(SPEC, local, boxed, note)
        stages.append(("spec corpus", [*spec, "--engines", everywhere]))
        official = ["--engines", local if args.quick else everywhere]
        if official_spec:
            stages.append(("spec official", [*spec, *official, "--suite-dir", "official"]))
        if get_suite("spec-3.0").path.is_dir():
            stages.append(("spec 3.0", [*spec, *official, "--suite", "spec-3.0"]))
    if "wasi" not in skip:
        engines = _with_boxed(WASI, args.engines or _available(WASI), _boxed(WASI) if boxes else [])
        wasi = ["wasi", "--engines", engines, "--db", db, "--own"]
        stages.append(("wasi", [*wasi, "--official"] if official_wasi else wasi))
    if "perf" not in skip:
        engines = _with_boxed(PERF, args.engines or DEFAULT_PERF_ENGINES, _boxed(PERF) if boxes else [])
        perf = ["perf", "--db", db, "--engines", engines]
        if args.quick:
            perf += ["--repeat", "3", "--size", "2"]
        stages.append(("perf", perf))
    with _signals_raise():
        return _run_stages(stages, db)


def _run_stages(stages: list[tuple[str, list[str]]], db: str) -> int:
    failed = []
    for name, argv in stages:
        print(f"== harness {' '.join(argv)}", file=sys.stderr)
        t0 = time.monotonic()
        rc = _run_stage(argv)
        print(f"== {name}: exit {rc} after {time.monotonic() - t0:.0f} s", file=sys.stderr)
        if rc not in (0, 1):  # 1 = some tests failed: a result, not a breakdown
            failed.append(name)
    rc = _run_stage(["report", "--db", db])
    if failed:
        print(f"harness all: stages that could not run: {', '.join(failed)} (see their messages above)", file=sys.stderr)
    return 2 if failed or rc else 0


STAGE_GRACE = 3.0
"""Seconds a stage has, after the signal is passed on, to record its run as interrupted and exit."""


def _run_stage(argv: list[str]) -> int:
    """``python -m harness ARGV`` in a process group of its own; a signal to this command is passed on to
    it, and the group is killed if it has not ended ``STAGE_GRACE`` seconds later."""
    proc = subprocess.Popen([sys.executable, "-m", "harness", *argv], start_new_session=True)
    try:
        return proc.wait()
    except KeyboardInterrupt as e:
        try:
            os.killpg(proc.pid, signal.SIGTERM if isinstance(e, Terminated) else signal.SIGINT)
            proc.wait(timeout=STAGE_GRACE)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            pass
        raise
    finally:
        kill_group(proc.pid)
        proc.wait()


def _raise_interrupt(signum: int, frame: FrameType | None) -> None:
    raise Terminated if signum == signal.SIGTERM else KeyboardInterrupt


@contextmanager
def _signals_raise() -> Iterator[None]:
    """SIGINT and SIGTERM raise (``Terminated`` for SIGTERM) without killing the stage, unlike
    ``interrupts.stop_on_signals``: the stage is to hear the signal itself."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {signum: signal.signal(signum, _raise_interrupt) for signum in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
