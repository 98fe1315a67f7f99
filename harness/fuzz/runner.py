"""The fuzz loop: generate module ``(seed, index)``, run it on every engine, judge, minimise, record.

``--jobs N`` runs N loops side by side, each with its own set of engine workers, taking the next module from
one generating thread that works a few modules ahead (a module's content depends only on its name, never on
which job ran it).  The loop ends
after ``count`` modules or ``seconds``, or on the first Ctrl-C *after the module being run* (a second Ctrl-C
stops at once); the summary so far is printed either way and the run is recorded as interrupted.

Outcomes recorded as rows (``suite = "fuzz"``): each finding (``metric = "finding"``, ``file`` its signature,
``outcome`` fail / crash / timeout / error), each generator failure and each findings folder that could not
be written (``metric = "fault"``, outcome ``error``), and the run's totals (``metric = "modules"`` and
``"modules_per_second"``).  A generator that fails ``MAX_GENERATOR_FAILURES`` times in a row ends the run
with that message (it is broken, not unlucky).
"""

from __future__ import annotations

import queue
import shlex
import signal
import sys
import threading
import time
import traceback
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from typing import Any

from ..adapters.base import GC
from ..errors import HarnessError
from ..interrupts import Terminated, kill_children
from ..results.run import Run
from ..results.store import ResultRow
from . import expectations, triage
from .compare import Disagreement, compare
from .engines import EngineWorker, WorkerStartError, run_all
from .findings import slug, wast_script, write_finding
from .generate import FeatureChoice, GeneratorFailure, generate
from .minimise import same_disagreement, shrink, witness_engines
from .plan import make_plan
from .refuel import add_refuel
from .wabt_opinion import wabt_opinion

MAX_GENERATOR_FAILURES = 20
FUEL_PER_CALL = 100  # smith's fuel (loop iterations and calls) given to every call (harness.fuzz.refuel)
SHRINKS_PER_PAIR = 3  # minimise the first few findings of each (kind, engines) per run; the rest are counted
OUTCOME = {"crash": "crash", "hang": "timeout", "garbage": "error", "error": "error"}


@dataclass
class FuzzConfig:
    engines: list[str]
    seed: int
    features: FeatureChoice
    count: int | None = None
    seconds: float | None = None
    start: int = 0
    jobs: int = 1
    timeout: float = 60.0
    fuel: int | None = 10_000_000
    findings_dir: Path | None = None
    minimise: bool = True
    shrink_attempts: int = 300
    tool: Path = Path("wasm-tools")
    progress: bool = True


@dataclass
class Stats:
    started: float = field(default_factory=time.monotonic)
    modules: int = 0
    statuses: Counter = field(default_factory=Counter)
    findings: int = 0
    new: int = 0
    signatures: Counter = field(default_factory=Counter)
    faults: list[str] = field(default_factory=list)
    engine_ms: Counter = field(default_factory=Counter)
    expected: dict[str, str] = field(default_factory=dict)  # signature -> the expectation that explains it

    def rate(self) -> float:
        return self.modules / max(time.monotonic() - self.started, 1e-9)

    def line(self) -> str:
        s = self.statuses
        return (f"{self.modules} modules, {self.rate():.2f}/s, {self.findings} findings ({self.new} new, "
                f"{len(self.signatures)} signatures); {s['too-long']} too long, {s['resource']} resource-dependent, "
                f"{s['rejected']} rejected by all, {s['generator-failure']} generator failures")


class Fuzzer:
    def __init__(self, config: FuzzConfig, run: Run, known: Counter | None = None):
        self.c = config
        self.run = run
        self.known = known or Counter()
        self.stats = Stats()
        self.lock = threading.Lock()
        self.next_index = config.start
        self.stop = threading.Event()  # after the current module
        self.hard = threading.Event()  # now: nothing more is recorded
        self.fatal: str | None = None
        self.interrupted = False  # by Ctrl-C (the run is recorded as interrupted)
        self.shrinks: Counter = Counter()
        self.env = {"HARNESS_WASM_VERSION": config.features.wasm_version}
        self.pending: queue.Queue[list[ResultRow]] = queue.Queue()
        self.ready: queue.Queue[tuple[int, bytes] | None] = queue.Queue(maxsize=2 * config.jobs)  # ``produce``

    # -- scheduling ------------------------------------------------------------------------------------
    def _take(self) -> int | None:
        with self.lock:
            if self.stop.is_set():
                return None
            done = self.next_index - self.c.start
            if self.c.count is not None and done >= self.c.count:
                return None
            if self.c.seconds is not None and time.monotonic() - self.stats.started >= self.c.seconds:
                return None
            self.next_index += 1
            return self.next_index - 1

    def name(self, index: int) -> str:
        return f"{self.c.seed}:{index}"

    def regenerate_command(self, index: int) -> str:
        return (f"harness fuzz --engines {','.join(self.c.engines)} --seed {self.c.seed} --start {index} --count 1"
                + (f" --features {','.join(sorted(self.c.features.features))}" if self.c.features.features else
                   " --features none"))

    # -- generation, ahead of the jobs ------------------------------------------------------------------
    def produce(self) -> None:
        """Generate the modules on one thread, in index order, a few ahead of the jobs (``self.ready``): smith
        is a process per module (~20 ms of wall time, 4 ms of CPU), which then runs while the engines run the
        modules before it instead of between them.  One ``None`` per job ends the jobs; a generator failing
        ``MAX_GENERATOR_FAILURES`` times in a row ends the run."""
        failures_in_a_row = 0
        try:
            while not self.hard.is_set():
                index = self._take()
                if index is None:
                    return
                try:
                    wasm = generate(self.c.tool, self.c.seed, index, self.c.features.features)
                except GeneratorFailure as e:
                    failures_in_a_row += 1
                    self._fault(f"module {self.name(index)}: {e}", "generator", index)
                    with self.lock:
                        self.stats.statuses["generator-failure"] += 1
                    if failures_in_a_row >= MAX_GENERATOR_FAILURES:
                        self.fatal = (f"wasm-tools smith failed on {failures_in_a_row} modules in a row, the last: {e}; "
                                      f"check {self.c.tool} (wasm-tools smith --help)")
                        self.stop.set()
                        return
                    continue
                failures_in_a_row = 0
                if GC not in self.c.features.features:  # gc's rec groups make type indices another count
                    wasm = add_refuel(wasm, FUEL_PER_CALL)
                self._offer((index, wasm))
        except Exception as e:  # a bug of the fuzzer itself: stop the run, keep what is stored, say where
            self.fatal = "internal error in harness fuzz: " + "".join(traceback.format_exception(e)).strip()
            self.stop.set()
        finally:
            for _ in range(self.c.jobs):
                self._offer(None)

    def _offer(self, item: tuple[int, bytes] | None) -> None:
        while not self.hard.is_set():
            try:
                self.ready.put(item, timeout=0.2)
                return
            except queue.Full:
                if self.stop.is_set():
                    return  # the jobs stop after their module (they look at ``stop``): nobody takes this one

    # -- one job ---------------------------------------------------------------------------------------
    def job(self) -> None:
        workers = {e: EngineWorker(e, timeout=self.c.timeout, fuel=self.c.fuel, env=self.env) for e in self.c.engines}
        try:
            while not self.hard.is_set():
                try:
                    item = self.ready.get(timeout=0.2)
                except queue.Empty:
                    if self.stop.is_set():
                        return
                    continue
                if item is None or self.stop.is_set():  # the end, or Ctrl-C: no new module
                    return
                self.module(*item, workers)
        except WorkerStartError as e:
            self.fatal = f"{e} (check it with: harness runtimes)"
            self.stop.set()
        except Exception as e:  # a bug of the fuzzer itself: stop the run, keep what is stored, say where
            self.fatal = "internal error in harness fuzz: " + "".join(traceback.format_exception(e)).strip()
            self.stop.set()
        finally:
            for w in workers.values():
                w.close()

    def module(self, index: int, wasm: bytes, workers: dict[str, EngineWorker]) -> None:
        plan = make_plan(wasm, self.name(index))
        answers = run_all(workers, wasm, plan.to_json())
        if self.hard.is_set():
            return  # the engines were killed under it: nothing it saw is true
        verdict = compare(answers, self.c.engines, [c.describe() for c in plan.calls])
        with self.lock:
            self.stats.modules += 1
            self.stats.statuses[verdict.status] += 1
            for e, a in answers.items():
                self.stats.engine_ms[e] += a.get("ms", 0)
        for d in verdict.disagreements:
            if self.hard.is_set():
                return
            self.finding(index, wasm, d, workers)

    # -- a finding -------------------------------------------------------------------------------------
    def finding(self, index: int, wasm: bytes, d: Disagreement, workers: dict[str, EngineWorker]) -> None:
        name = self.name(index)
        pair = (d.kind, d.engines_key)
        with self.lock:
            self.shrinks[pair] += 1
            attempt = self.c.minimise and self.shrinks[pair] <= SHRINKS_PER_PAIR
        small, note = wasm, "not minimised (--no-minimise)" if not self.c.minimise else (
            f"not minimised: the {SHRINKS_PER_PAIR} first findings of this pair of sides were")
        if attempt:
            r = shrink(wasm, d, workers, self.c.engines, name, self.c.tool, self.c.shrink_attempts)
            small, note = r.wasm, r.note
        iclass = triage.instruction_class(small, self.c.tool) if small is not wasm or attempt else "not minimised"
        sig = triage.signature(d.kind, d.engines_key, iclass)
        # the minimised module's own run gives the .wast its assertions
        engines = witness_engines(d, self.c.engines)
        plan = make_plan(small, name)
        answers = run_all({e: workers[e] for e in engines}, small, plan.to_json()) if small is not wasm else {}
        d_small = d
        if answers:
            v = compare(answers, engines, [c.describe() for c in plan.calls])
            d_small = next((x for x in v.disagreements if same_disagreement(d, [x])), d)
        else:
            answers = {}
        majority = next((answers[e] for e in d_small.majority if e in answers and "fail" not in answers[e]), None)
        # a reference engine's bug already in its expectations (suites/fuzz/expectations/): known, never new
        bug = expectations.match_all(d.minority, expectations.FUZZ, sig)
        with self.lock:
            earlier = self.known[sig]
            first_in_run = self.stats.signatures[sig] == 0
            self.stats.signatures[sig] += 1
            self.stats.findings += 1
            if earlier == 0 and first_in_run and bug is None:
                self.stats.new += 1
            if bug is not None:
                self.stats.expected[sig] = bug.reason
        reproduce = f"harness fuzz replay {{dir}}/min.wasm --engines {','.join(engines)} --name {name}"
        record: dict[str, Any] = {
            "signature": sig, "kind": d.kind, "where": d.where, "said": d.said, "majority": d.majority,
            "minority": d.minority, "module": name, "seed": self.c.seed, "index": index,
            "features": sorted(self.c.features.features), "size": len(wasm), "minimised_size": len(small),
            "minimise": note, "instruction_class": iclass, "earlier_runs": earlier,
            "new": earlier == 0 and first_in_run and bug is None,
            "expected": f"{bug.reason} ({bug.where})" if bug else None,
            "regenerate": self.regenerate_command(index), "min_where": d_small.where, "min_said": d_small.said,
        }
        folder = None
        if self.c.findings_dir is not None:
            folder = self.c.findings_dir / slug(sig) / slug(name)
            reproduce_here = reproduce.format(dir=shlex.quote(str(folder)))
            record["reproduce"] = reproduce_here
            header = [f"harness fuzz finding: {sig}", f"module {name}; {note}",
                      f"minimised: {d_small.where}", *[f"  {e}: {s}" for e, s in d_small.said.items()],
                      f"assertions: what {', '.join(d_small.majority)} did (the majority)"]
            try:
                if majority is not None:
                    wast = wast_script(small, plan.to_json(), majority, d_small, header)
                    record["wabt"] = wabt_opinion(wast)
                    wast = f";; wabt's interpreter: {record['wabt']}\n" + wast
                else:
                    wast = "\n".join(f";; {h}" for h in header) + "\n;; no engine of the majority answered\n"
                write_finding(folder, record, wasm, small, wast, self.c.tool, reproduce_here)
            except OSError as e:
                self._fault(f"finding {sig} of module {name} is in the results database but its folder could not be "
                            f"written: {folder}: {e.strerror or e} (free space there, or pass --findings elsewhere)",
                            "findings-folder", index)
                record["folder_error"] = str(e)
                folder = None
        else:
            record["reproduce"] = self.regenerate_command(index)
        minor = d.minority[0]
        runtime, _, tier = minor.partition(":")
        self._add([ResultRow(
            suite=triage.SUITE, file=sig, item=name, engine=runtime, tier=tier, metric=triage.METRIC,
            value=len(small), unit="bytes", outcome="xfail" if bug else OUTCOME.get(d.kind, "fail"),
            message=f"{d.where}: " + "; ".join(f"{e}: {s}" for e, s in d.said.items()),
            extra={**record, "folder": str(folder) if folder else None})])
        if self.c.progress:
            tag = "NEW" if record["new"] else "expected" if bug else "known" if earlier else "again"
            print(f"\n[fuzz] {tag} finding: {sig}  ({name}, {len(wasm)} -> {len(small)} bytes"
                  f"{', ' + str(folder) if folder else ''})", file=sys.stderr, flush=True)

    def _fault(self, message: str, what: str, index: int) -> None:
        with self.lock:
            self.stats.faults.append(message)
        self._add([ResultRow(suite=triage.SUITE, file=what, item=self.name(index), engine="harness",
                                metric="fault", outcome="error", message=message)])
        if self.c.progress:
            print(f"\n[fuzz] {message}", file=sys.stderr, flush=True)

    # -- the whole run ---------------------------------------------------------------------------------
    def totals(self) -> None:
        rows = [ResultRow(suite=triage.SUITE, file="totals", engine="harness", metric="modules",
                          value=self.stats.modules, outcome="pass" if not self.stats.findings else "fail",
                          message=self.stats.line(), extra={"statuses": dict(self.stats.statuses),
                                                            "engines": self.c.engines, "seed": self.c.seed,
                                                            "engine_ms": dict(self.stats.engine_ms)}),
                ResultRow(suite=triage.SUITE, file="totals", engine="harness", metric="modules_per_second",
                          value=round(self.stats.rate(), 4), unit="1/s")]
        self._add(rows)

    def _add(self, rows: list[ResultRow]) -> None:
        """Rows go to the store from the main thread only (SQLite connections stay in their thread)."""
        self.pending.put(rows)

    def _drain(self) -> None:
        while True:
            try:
                rows = self.pending.get_nowait()
            except queue.Empty:
                return
            self.run.add(rows)

    def go(self) -> Stats:
        """Run the jobs to the end (count, time, Ctrl-C); returns the totals.  Raises HarnessError when the
        run could not go on (generator broken, engine not starting), after recording what it had."""
        threads = [threading.Thread(target=self.produce, name="fuzz-generate", daemon=True)]
        threads += [threading.Thread(target=self.job, name=f"fuzz-{i}", daemon=True) for i in range(self.c.jobs)]
        with _soft_interrupts(self):
            for t in threads:
                t.start()
            last = 0.0
            while any(t.is_alive() for t in threads):
                for t in threads:
                    t.join(timeout=0.5)
                    self._drain()
                if self.c.progress and time.monotonic() - last >= (2 if sys.stderr.isatty() else 30):
                    last = time.monotonic()
                    end = "\r" if sys.stderr.isatty() else "\n"
                    print(f"[fuzz] {self.stats.line()}", end=end, file=sys.stderr, flush=True)
        if not self.hard.is_set():
            self.totals()
        self._drain()
        if self.fatal:
            raise HarnessError(self.fatal)
        return self.stats


class _soft_interrupts:  # noqa: N801 - a context manager used like a function
    """First Ctrl-C: finish the module being run, then stop.  Second Ctrl-C or SIGTERM: kill the engines now
    (``hard``: nothing they answer afterwards is recorded) and raise as the rest of the harness does."""

    def __init__(self, fuzzer: Fuzzer):
        self.f = fuzzer
        self.previous: dict[int, Any] = {}

    def _on_int(self, signum: int, frame: FrameType | None) -> None:
        if not self.f.stop.is_set():
            self.f.interrupted = True
            self.f.stop.set()
            print("\n[fuzz] Ctrl-C: stopping after the module being run (again to stop now)", file=sys.stderr,
                  flush=True)
            return
        self.f.hard.set()
        kill_children()
        raise KeyboardInterrupt

    def _on_term(self, signum: int, frame: FrameType | None) -> None:
        self.f.stop.set()
        self.f.hard.set()
        kill_children()
        raise Terminated

    def __enter__(self) -> _soft_interrupts:
        if threading.current_thread() is threading.main_thread():
            self.previous = {signal.SIGINT: signal.signal(signal.SIGINT, self._on_int),
                             signal.SIGTERM: signal.signal(signal.SIGTERM, self._on_term)}
        return self

    def __exit__(self, *exc: object) -> None:
        for s, h in self.previous.items():
            signal.signal(s, h)
