"""Runs (engine, .wast file) pairs with crash and hang isolation and collects per-check outcomes.

In-process engines run in ``python -m harness.spec.worker`` subprocesses; V8 and wabt run as their own
processes.  Either way a file gets a hard timeout; outcomes streamed before a crash or timeout are kept and
the remaining checks are marked ``crash`` / ``timeout``, so one bad file never costs the run.
"""

from __future__ import annotations

import importlib
import json
import os
import signal
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from .. import process
from ..adapters.base import EngineSpec
from ..outcomes import NOT_PASSING, NOT_RUN, PASSED, Outcome
from ..paths import REPO_ROOT
from ..text import clip
from .convert import MalformedWastError, convert
from .drivers import in_process_drivers, out_of_process_drivers
from .outcomes import CheckOutcome, FileStatus
from .script import Command, Script, load_script

CORPUS_DIR = REPO_ROOT / "suites" / "spec" / "corpus"
DEFAULT_TIMEOUT = 120.0


@dataclass
class RawRun:
    """What an engine produced for a file, before gaps are filled."""

    outcomes: list[CheckOutcome]
    status: FileStatus = FileStatus.OK
    message: str = ""


@dataclass
class FileResult:
    engine: str
    suite: str
    file: str  # the .wast file name
    path: Path
    outcomes: list[CheckOutcome] = field(default_factory=list)
    status: FileStatus = FileStatus.OK
    message: str = ""
    seconds: float = 0.0
    expected_failure: str = ""  # reason when the whole file is a known failure
    not_run: str = ""  # reason when the file was deliberately not run (expectations: skip = true)

    def count(self, *outcomes: str) -> int:
        return sum(1 for o in self.outcomes if o.outcome in outcomes)

    @property
    def total(self) -> int:
        return len(self.outcomes)

    @property
    def passed(self) -> int:
        return self.count(*PASSED)

    @property
    def failed(self) -> int:
        return self.count(*NOT_PASSING)

    @property
    def fully_passed(self) -> bool:
        """Every check passed or was not run, and at least one ran (a file skipped whole did not pass)."""
        return (self.status == FileStatus.OK and self.passed > 0 and not self.not_run
                and self.passed + self.count(*NOT_RUN) == self.total)

    @property
    def as_expected(self) -> bool:
        """No check failed unexpectedly and no known failure passed unexpectedly."""
        return self.failed == 0 and self.count(Outcome.XPASS) == 0 and not (
            self.expected_failure and self.fully_passed and self.count(Outcome.XFAIL) == 0)

    def strict(self) -> tuple[int, int]:
        """(agreeing, applicable) for the strict figure (error text / trap kind)."""
        applicable = [o for o in self.outcomes if o.strict is not None]
        return sum(1 for o in applicable if o.strict), len(applicable)


def suite_name(suite_dir: Path) -> str:
    """``corpus`` for our own corpus, ``spec-3.0`` for a 3.0 testsuite, ``spec`` for anything else (the
    spec-2.0 suite or a copy: its rows keep the name they always had)."""
    try:
        if Path(suite_dir).resolve() == CORPUS_DIR.resolve():
            return "corpus"
    except OSError:
        return "spec"
    return "spec-3.0" if wasm_version(suite_dir) == "3.0" else "spec"


def reproduce_command(engine: str, suite_dir: Path, file: str, line: int) -> str:
    suite = "" if suite_name(suite_dir) == "corpus" else f" --suite-dir {suite_dir}"
    return f"harness spec --engines {engine}{suite} --file {file} --line {line}"


def wasm_version(suite_dir: Path) -> str:
    """Whose validation rules and features a suite's modules follow (they differ: 2.0 rejects two memories,
    3.0 accepts them): ``harness.suites.catalog.wasm_version``.  The spec drivers read it."""
    from ..suites.catalog import wasm_version as version

    return version(suite_dir)


def _worker_env(wasm: str = "2.0") -> dict[str, str]:
    env = dict(os.environ)
    env["HARNESS_WASM_VERSION"] = wasm
    root = str(REPO_ROOT)
    env["PYTHONPATH"] = root + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    env.setdefault("PYTHONFAULTHANDLER", "1")
    return env


def run_in_worker(engine: EngineSpec, script: Script, timeout: float, line: int | None = None,
                  wasm: str = "2.0") -> RawRun:
    """Run a converted script in a worker subprocess; parse its JSON lines; classify how it ended."""
    argv = [sys.executable, "-m", "harness.spec.worker", engine.name, str(script.path)]
    if line is not None:
        argv += ["--line", str(line)]
    # The worker leads a process group of its own, so a timeout also kills any engine process it started (node).
    ended = process.run_captured(argv, timeout=timeout, env=_worker_env(wasm))
    status, message = ((FileStatus.TIMEOUT, f"no answer within {timeout:g} s") if ended.exit.timed_out
                       else (FileStatus.OK, ""))
    out = ended.stdout.decode("utf-8", "replace")
    err = ended.stderr.decode("utf-8", "replace")
    outcomes: list[CheckOutcome] = []
    done = False
    for text in out.splitlines():
        try:
            d = json.loads(text)
        except json.JSONDecodeError:
            continue  # an engine printing to stdout; not ours
        if "fatal" in d:
            status, message = FileStatus.ERROR, d["fatal"]
        elif d.get("done"):
            done = True
        elif "outcome" in d:
            outcomes.append(CheckOutcome.from_dict(d))
    if status == FileStatus.OK and not done:
        rc = ended.exit.returncode
        how = f"killed by {signal.Signals(-rc).name}" if rc < 0 and -rc in signal.valid_signals() else f"exit status {rc}"
        lines = [ln.strip() for ln in err.strip().splitlines() if ln.strip()]
        # the engine's own last words, not the faulthandler's Python stack
        last = next((ln for ln in reversed(lines) if not ln.startswith(("File ", "Current thread", "Fatal Python",
                                                                         "Thread 0x", "<"))), "")
        status, message = FileStatus.CRASH, f"engine process died ({how})" + (f": {clip(last)}" if last else "")
    return RawRun(outcomes, status, message)


def _run_raw(engine: EngineSpec, wast: Path, script: Script, timeout: float, line: int | None) -> RawRun:
    if engine.runtime in in_process_drivers():
        return run_in_worker(engine, script, timeout, line, wasm_version(wast.parent))
    target = out_of_process_drivers().get(engine.runtime)
    if target is None:
        return RawRun([], FileStatus.ERROR, f"{engine} has no spec driver")
    modname, _, fn = target.partition(":")
    return getattr(importlib.import_module(modname), fn)(engine, wast, script, timeout, line)


def fill_gaps(checks: list[Command], raw: RawRun) -> list[CheckOutcome]:
    """Outcomes for every check: the streamed ones in order, then the rest as crash/timeout/error."""
    got = list(raw.outcomes)
    for cmd in checks[len(got):]:
        got.append(CheckOutcome(cmd.line, cmd.type, raw.status.unreached, message=raw.message or "no outcome from the engine"))
    return got[: len(checks)] if len(got) > len(checks) else got


def run_file(engine: EngineSpec, wast: Path, suite_dir: Path, timeout: float = DEFAULT_TIMEOUT,
             line: int | None = None) -> FileResult:
    """Convert (cached) and run one file on one engine.  A script that does not parse is one ``error``
    check at the line wasm-tools names, so it counts in every total and store like any failure."""
    start = time.perf_counter()
    result = FileResult(engine=engine.name, suite=suite_name(suite_dir), file=wast.name, path=wast)
    try:
        script = load_script(convert(wast))
    except MalformedWastError as e:
        result.outcomes = [CheckOutcome(e.line, "script", Outcome.ERROR, message=str(e))]
        result.status, result.message = FileStatus.MALFORMED, str(e)
        return result
    checks = [c for c in script.checks() if line is None or c.line == line]
    raw = _run_raw(engine, wast, script, timeout, line)
    result.outcomes = _lacking(engine, wast, wasm_version(suite_dir), fill_gaps(checks, raw))
    result.status, result.message = raw.status, raw.message
    for o in result.outcomes:
        if o.outcome in NOT_PASSING:
            o.reproduce = reproduce_command(engine.name, suite_dir, wast.name, o.line)
    result.seconds = time.perf_counter() - start
    return result


def _lacking(engine: EngineSpec, wast: Path, wasm: str, outcomes: list[CheckOutcome]) -> list[CheckOutcome]:
    """An engine that dies or hangs on a file of a proposal it declares it lacks: the checks it never
    reached are ``unsupported`` (the feature named), not crashes."""
    from .drivers.base import features_off
    from .proposals import file_features

    off = features_off(engine.runtime, engine.tier, wasm) & set(file_features(wast.name))
    if not off:
        return outcomes
    why = f"feature {', '.join(sorted(off))} off in this engine"
    return [CheckOutcome(o.line, o.command, Outcome.UNSUPPORTED, message=f"{why} ({o.message})")
            if o.outcome in (Outcome.CRASH, Outcome.TIMEOUT) else o for o in outcomes]


def skipped_file(engine: EngineSpec, wast: Path, suite_dir: Path, reason: str) -> FileResult:
    """A file deliberately not run (expectations ``skip = true``): every check is a skip with the reason."""
    script = load_script(convert(wast))
    result = FileResult(engine=engine.name, suite=suite_name(suite_dir), file=wast.name, path=wast)
    result.outcomes = [CheckOutcome(c.line, c.type, Outcome.SKIP, message=reason) for c in script.checks()]
    result.not_run = reason
    return result


def discover(suite_dir: Path, pattern: str | None = None, file: str | None = None) -> list[Path]:
    """The top-level ``.wast`` files of a suite directory (proposals in subfolders are not part of it)."""
    if file:
        p = Path(file)
        if not p.is_file():
            p = suite_dir / file
            if not p.is_file() and not file.endswith(".wast"):
                p = suite_dir / f"{file}.wast"
        return [p] if p.is_file() else []
    files = sorted(suite_dir.glob("*.wast"))
    if pattern:
        needles = [n.strip() for n in pattern.split(",") if n.strip()]
        files = [f for f in files if any(n in f.name for n in needles)]
    return files
