"""The wasi-testsuite runner: every (engine, test) pair judged as the official runner judges it.

A test passes when the exit code matches and each expected stream starts with its expected payload (the
official runner reads exactly ``len(payload)`` characters of the stream and compares them).  Each test
runs in a fresh copy of the directories it preopens, after removing ``*.cleanup`` leftovers, so the
suite checkout is never written and tests cannot disturb each other.

Outcomes: ``pass``, ``fail``, ``timeout``, ``crash`` (the engine died or failed internally),
``unsupported`` (a wasip3 component or an operation a preview1 command runner cannot do) and ``skip``
(the engine cannot run here).  Expected failures from the expectations files are kept beside the
outcome (``expected``), so reports can show xfail/xpass without losing the raw result.
"""

from __future__ import annotations

import os
import shutil
import stat
import tempfile
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from ..adapters.base import EngineSpec, RunnerUnavailable
from ..images.guard import KILLED
from ..outcomes import NOT_PASSING, Outcome
from . import expectations as expectations_mod
from .child import INTERNAL_EXIT
from .command_check import NotACommand, check_wasi_command
from .drivers import Invocation, check_available, supported_versions
from .execute import DEFAULT_TIMEOUT, RunResult, run_program
from .expectations import FLAKY_PREFIX
from .testsuite import WasiTest, clean_artifacts


@dataclass
class TestResult:
    __test__ = False  # not a pytest class

    engine: EngineSpec
    test: WasiTest
    outcome: Outcome
    message: str = ""
    seconds: float = 0.0
    expected_fail: str | None = None  # reason, when the expectations file expects a failure
    exit_code: int | None = None
    argv: list[str] | None = None  # the engine's command line (its paths are in a temporary work dir)

    @property
    def verdict(self) -> Outcome:
        """The outcome seen through expectations: xfail / xpass where they apply."""
        if self.expected_fail and self.outcome in NOT_PASSING:
            return Outcome.XFAIL
        if self.expected_fail and self.outcome == Outcome.PASS and not self.expected_fail.startswith(FLAKY_PREFIX):
            return Outcome.XPASS
        return self.outcome


def _preview(data: bytes, limit: int = 300) -> str:
    text = data.decode("utf-8", "replace")
    return text if len(text) <= limit else text[:limit] + "..."


def judge(test: WasiTest, result: RunResult) -> tuple[Outcome, str]:
    """(outcome, message) of one finished run."""
    if result.error:
        return Outcome.SKIP, result.error
    if result.timed_out:
        return Outcome.TIMEOUT, f"no exit within {result.seconds:.1f}s; killed"
    if result.signal is not None:
        return Outcome.CRASH, f"engine died of signal {result.signal}; stderr: {_preview(result.stderr)}"
    killed = [ln for ln in result.stderr.decode("utf-8", "replace").splitlines() if ln.startswith(KILLED)]
    if killed:  # a container engine's guard: the container was killed (out of memory, or from outside)
        return Outcome.CRASH, killed[-1]
    if result.exit_code == INTERNAL_EXIT and b"harness: internal error" in result.stderr:
        return Outcome.CRASH, _preview(result.stderr, 600)
    problems = []
    if result.exit_code != test.spec.exit_code:
        problems.append(f"exit code {result.exit_code}, expected {test.spec.exit_code}")
    streams = {"stdout": result.stdout, "stderr": result.stderr}
    for stream, payload in test.spec.reads:
        got = streams.get(stream, b"").decode("utf-8", "replace")
        if (got != payload) if test.spec.exact_output else (got[:len(payload)] != payload):
            problems.append(f"{stream} {got[:len(payload) + 40]!r}, expected {payload!r}")
    if problems:
        detail = "; ".join(problems)
        if result.stderr:
            detail += f"; stderr: {_preview(result.stderr)}"
        return Outcome.FAIL, detail
    return Outcome.PASS, ""


def _prepare(test: WasiTest, workdir: Path) -> list[tuple[str, str]] | str:
    """Copy the test's preopened dirs into ``workdir``; a string is the reason it cannot run.

    A dir ``a.dir/jail`` copies all of ``a.dir`` and preopens only ``jail`` (so files beside the preopen
    exist on the host, as targets for escape attempts), with the guest name ``a.dir/jail``.
    """
    dirs: list[tuple[str, str]] = []
    for d in test.spec.dirs:
        src = test.path.parent / d
        if not src.is_dir():
            return f"preopen directory {d!r} does not exist next to {test.path.name}"
        top = Path(d).parts[0]
        if not (workdir / top).exists():
            shutil.copytree(test.path.parent / top, workdir / top, symlinks=True,
                            ignore=shutil.ignore_patterns("*.cleanup"))
            clean_artifacts(workdir / top)
        dirs.append((str(workdir / d), d))
    return dirs


def run_test(engine: EngineSpec, test: WasiTest, timeout: float = DEFAULT_TIMEOUT,
             expected_fail: str | None = None) -> TestResult:
    if test.version not in supported_versions(engine):
        return TestResult(engine, test, Outcome.UNSUPPORTED, f"{test.version} tests need a component runtime "
                          f"({engine} runs WASI preview1 commands)", expected_fail=None)
    if test.spec.unsupported:
        return TestResult(engine, test, Outcome.UNSUPPORTED, test.spec.unsupported)
    try:
        check_wasi_command(test.path.read_bytes())
    except (NotACommand, OSError) as e:
        return TestResult(engine, test, Outcome.FAIL, f"not a runnable WASI preview1 command: {e}",
                          expected_fail=expected_fail)
    with tempfile.TemporaryDirectory(prefix="harness-wasi-test-") as tmp:
        workdir = Path(tmp)
        dirs = _prepare(test, workdir)
        if isinstance(dirs, str):
            return TestResult(engine, test, Outcome.FAIL, f"setup: {dirs}", expected_fail=expected_fail)
        args = [a.replace("{workdir}", str(workdir)) for a in test.spec.args]
        inv = Invocation(test.path.resolve(), args, dict(test.spec.env), dirs,
                         program_name=test.path.name)
        before = host_snapshot(workdir, dirs)
        result = run_program(engine, inv, cwd=workdir, timeout=timeout, stdin=test.spec.stdin.encode())
        changed = changed_paths(before, host_snapshot(workdir, dirs))
    outcome, message = judge(test, result)
    if changed:
        # Judged on the host, not by the guest's own report: this is what a sandbox escape looks like.
        outcome, message = Outcome.FAIL, (f"{HOST_CHANGED}: {', '.join(changed[:10])}"
                                    + (f" (+{len(changed) - 10} more)" if len(changed) > 10 else "")
                                    + (f"; {message}" if message else ""))
    return TestResult(engine, test, outcome, message, result.seconds, expected_fail, result.exit_code, result.argv)


def reproduce_command(engine: str, test_id: str, suite_dir: str | None) -> str:
    """The command that reruns one test alone: our own programs with ``--own``, others from their suite dir."""
    where = "--own" if test_id.startswith("own/") else f"--suite-dir {suite_dir}" if suite_dir else ""
    return " ".join(p for p in ("harness wasi --engines", engine, where, "-k", test_id) if p)


HOST_CHANGED = "host files outside the preopened directories changed"


def host_snapshot(workdir: Path, dirs: list[tuple[str, str]]) -> dict[str, tuple]:
    """Every entry under ``workdir`` except the preopened directories (and what is inside them), with its
    type, size and modification time: what a sandboxed program must leave exactly as it found it."""
    preopens = {os.path.realpath(host) for host, _ in dirs}
    snap: dict[str, tuple] = {}
    for root, dnames, fnames in os.walk(workdir, followlinks=False):
        keep = []
        for name in dnames:
            full = os.path.join(root, name)
            if os.path.realpath(full) in preopens and not os.path.islink(full):
                continue  # the guest may change anything in here, and so the directory's own mtime
            keep.append(name)
        dnames[:] = keep
        for name in keep + fnames:
            full = os.path.join(root, name)
            st = os.lstat(full)
            snap[os.path.relpath(full, workdir)] = (stat.S_IFMT(st.st_mode), st.st_size, st.st_mtime_ns)
    return snap


def changed_paths(before: dict[str, tuple], after: dict[str, tuple]) -> list[str]:
    """Paths created, removed or modified between two snapshots, sorted."""
    return sorted(p for p in before.keys() | after.keys() if before.get(p) != after.get(p))


@dataclass
class SuiteRun:
    results: list[TestResult] = field(default_factory=list)
    unavailable: dict[str, str] = field(default_factory=dict)  # engine -> why it was skipped
    seconds: dict[str, float] = field(default_factory=dict)  # engine -> wall time


def run_suite(engines: Iterable[EngineSpec], tests: list[WasiTest], *, timeout: float = DEFAULT_TIMEOUT,
              jobs: int = 1, on_result: Callable[[TestResult, int, int], None] | None = None) -> SuiteRun:
    """Run every test on every engine; an engine that cannot run here yields ``skip`` for all its tests."""
    run = SuiteRun()
    for engine in engines:
        exp = expectations_mod.load(engine.runtime, engine.tier)
        try:
            check_available(engine)
            reason = None
        except RunnerUnavailable as e:
            reason = str(e)
            run.unavailable[engine.name] = reason
        start = time.perf_counter()

        def one(test: WasiTest, _engine: EngineSpec = engine, _reason: str | None = reason,
                _exp: expectations_mod.Expectations = exp) -> TestResult:
            if _reason:
                return TestResult(_engine, test, Outcome.SKIP, _reason)
            try:
                return run_test(_engine, test, timeout, _exp.reason(test.id))
            except Exception as e:  # a harness-side failure on one test must not end the run
                return TestResult(_engine, test, Outcome.CRASH, f"harness error: {type(e).__name__}: {e}")

        done = 0
        if jobs > 1:
            with ThreadPoolExecutor(max_workers=jobs) as pool:
                for res in pool.map(one, tests):
                    done += 1
                    run.results.append(res)
                    if on_result:
                        on_result(res, done, len(tests))
        else:
            for test in tests:
                res = one(test)
                done += 1
                run.results.append(res)
                if on_result:
                    on_result(res, done, len(tests))
        run.seconds[engine.name] = time.perf_counter() - start
    return run


def summarize(run: SuiteRun) -> dict:
    """Counts per engine and per test group (passed, failed, skipped, unsupported, plus the detail)."""
    def empty() -> dict[str, int]:
        return {"passed": 0, "failed": 0, "skipped": 0, "unsupported": 0, "timeout": 0, "crash": 0,
                "xfail": 0, "xpass": 0, "total": 0}

    engines: dict[str, dict] = {}
    for r in run.results:
        e = engines.setdefault(r.engine.name, {"total": empty(), "groups": {},
                                               "seconds": round(run.seconds.get(r.engine.name, 0.0), 2)})
        for bucket in (e["total"], e["groups"].setdefault(r.test.group, empty())):
            bucket["total"] += 1
            if r.outcome == Outcome.PASS:
                bucket["passed"] += 1
            elif r.outcome in NOT_PASSING:
                bucket["failed"] += 1
                if r.outcome != Outcome.FAIL:
                    bucket[r.outcome] += 1
            elif r.outcome == Outcome.SKIP:
                bucket["skipped"] += 1
            else:
                bucket["unsupported"] += 1
            if r.verdict in (Outcome.XFAIL, Outcome.XPASS):
                bucket[r.verdict] += 1
        if r.engine.name in run.unavailable:
            e["unavailable"] = run.unavailable[r.engine.name]
    return {
        "engines": engines,
        "tests": [{"engine": r.engine.name, "test": r.test.id, "file": str(r.test.path), "outcome": r.outcome,
                   "verdict": r.verdict, "message": r.message, "seconds": round(r.seconds, 3),
                   "exit_code": r.exit_code, "expected_fail": r.expected_fail} for r in run.results],
    }
