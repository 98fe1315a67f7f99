"""A run's life in the store: ``running`` while it measures, then ``finished``, ``failed`` (an error ended
it) or ``interrupted`` (Ctrl-C or SIGTERM); a run whose process was killed outright stays ``running`` until
the next run opening the store marks it ``abandoned``.

Every command that measures (``harness spec``, ``wasi``, ``perf``) goes through ``recording``, so the
statuses, the signal handling and what the user is told on an interrupt are the same everywhere.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from enum import StrEnum
from typing import Any

from ..interrupts import kill_children, stop_on_signals
from .builds import engine_builds
from .store import ResultRow, ResultsStore, StoreError


class RunStatus(StrEnum):
    RUNNING = "running"
    FINISHED = "finished"
    FAILED = "failed"
    INTERRUPTED = "interrupted"
    ABANDONED = "abandoned"


class Run:
    """The run being recorded: rows go to the store (committed at once) as they are measured."""

    def __init__(self, store: ResultsStore | None, run_id: str | None):
        self.store = store
        self.run_id = run_id
        self.rows = 0

    def add(self, rows: Iterable[ResultRow]) -> None:
        if self.store is not None and self.run_id is not None:
            self.rows += self.store.add(self.run_id, rows)

    def kept(self) -> str:
        """What the store holds of this run, in words for the user."""
        if self.store is None:
            return "nothing was stored (--no-store)"
        return f"{self.rows} rows of run {self.run_id} are in {self.store.path}"


@contextmanager
def recording(store: ResultsStore | None, kind: str, command: str, engines: dict[str, str | None],
              suites: dict[str, str | None], extra: dict[str, Any] | None = None) -> Iterator[Run]:
    """Record a run of ``kind`` in ``store`` (None: ``--no-store``, nothing is written) around the block.

    Ctrl-C and SIGTERM inside the block stop the engines at once and end the block with
    ``KeyboardInterrupt`` (``interrupts.Terminated`` for SIGTERM), which carries a note of what was kept.
    """
    with stop_on_signals():
        if store is None:
            run = Run(None, None)
        else:
            store.mark_abandoned()
            # which build of each engine this run measured (harness/results/builds.py), beside their versions
            # (perf runs also keep each engine binary in the build store, for ci/confirm's re-measurements)
            extra = {**(extra or {}), "builds": engine_builds(engines, keep=kind == "perf")} if engines else extra
            run = Run(store, store.start_run(kind, command=command, engines=engines, suites=suites, extra=extra))
        try:
            yield run
        except KeyboardInterrupt as e:
            kill_children()  # any started after the signal, before the block let go of its pool
            _finish_after_error(run, RunStatus.INTERRUPTED)
            e.add_note(run.kept())
            raise
        except BaseException:
            _finish_after_error(run, RunStatus.FAILED)
            raise
        if store is not None and run.run_id:
            store.finish_run(run.run_id, RunStatus.FINISHED)


def _finish_after_error(run: Run, status: RunStatus) -> None:
    """Record how the run ended, unless the store itself is what failed (a full disk): then the error that
    ended the run is the one to tell, and the next run marks this one abandoned."""
    if run.store is not None and run.run_id:
        try:
            run.store.finish_run(run.run_id, status)
        except StoreError:
            pass
