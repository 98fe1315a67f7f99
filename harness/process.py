"""Running a child process with a timeout, so that nothing it started outlives it.

Engines, spec workers and builds run through ``run``: the child leads a session (and so a process group)
of its own, out of reach of the terminal's Ctrl-C, and the whole group is killed with SIGKILL and the
child reaped when the timeout passes, when the parent stops waiting for any reason (an exception,
Ctrl-C, ``SystemExit`` from a SIGTERM handler), and when the child exits leaving processes behind in its
group.  A parent killed outright (SIGKILL) cannot do any of that: on Linux the child asks the kernel to
SIGKILL it when the thread that started it ends (``PR_SET_PDEATHSIG``), which costs a ``fork`` instead
of a ``vfork`` (a few milliseconds a child; measured times come from the rusage helper's own clock).  The wait goes through ``os.wait4``, so the caller also gets the kernel's resource usage of the
child (whose ``ru_maxrss`` counts the harness image it was forked from: see ``harness.perf.measure``).

Output goes wherever the caller points it; ``run_captured`` collects it through temporary files rather
than pipes, because some engines (node) write non-blocking and lose data on a full pipe, and a file never
fills up while the parent is waiting.
"""

from __future__ import annotations

import functools
import os
import resource
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

Redirect = int | IO[Any] | None
"""What ``subprocess.Popen`` takes for a stream: a file object, a descriptor, DEVNULL, or None (inherit)."""


@dataclass(frozen=True)
class Exit:
    """How a child ended."""

    returncode: int
    """The exit status, or minus the signal that killed it (a timeout is ``-SIGKILL``)."""
    timed_out: bool
    seconds: float
    """From just before the spawn to the reaped exit."""
    rusage: resource.struct_rusage

    @property
    def signal(self) -> int | None:
        """The signal the child died of, unless it was our own kill on a timeout."""
        return -self.returncode if self.returncode < 0 and not self.timed_out else None


@dataclass(frozen=True)
class Captured:
    """A finished child and everything it wrote."""

    exit: Exit
    stdout: bytes
    stderr: bytes


def kill_group(pgid: int) -> None:
    """SIGKILL every process of a group; a group that is gone already is not an error."""
    try:
        os.killpg(pgid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


def run(argv: Sequence[str], *, timeout: float | None, stdin: Redirect = None, stdout: Redirect = None,
        stderr: Redirect = None, cwd: Path | None = None, env: Mapping[str, str] | None = None,
        poll: Callable[[int], None] | None = None) -> Exit:
    """Run ``argv`` to its end or to ``timeout`` seconds, whichever comes first, then kill its group.

    ``poll(pid)``, when given, is called every few milliseconds while the child runs (to sample what can
    only be read from a live process); without it the main thread blocks in ``wait4`` and a SIGALRM
    timer enforces the timeout, which is what keeps short processes from being delayed by polling
    (other threads, and a main thread whose alarm is in use already, poll).
    Raises OSError when the program cannot be started; re-raises whatever interrupts the wait, after the
    group is dead.
    """
    start = time.perf_counter()
    proc = subprocess.Popen(list(argv), stdin=stdin, stdout=stdout, stderr=stderr, cwd=cwd, env=env,
                            start_new_session=True, preexec_fn=die_with_parent())
    try:
        if poll is None and timeout is None:
            _, status, usage = os.wait4(proc.pid, 0)
            timed_out = False
        elif poll is None and _alarm_is_free():
            status, usage, timed_out = _wait_with_alarm(proc.pid, timeout)
        else:
            status, usage, timed_out = _wait_polling(proc.pid, timeout, poll)
    except BaseException:
        kill_group(proc.pid)
        _reap(proc)
        raise
    seconds = time.perf_counter() - start
    # The child is reaped; the group lives on while anything the child left behind is still in it.
    kill_group(proc.pid)
    proc.returncode = os.waitstatus_to_exitcode(status)  # so Popen never waits for it again
    return Exit(proc.returncode, timed_out, seconds, usage)


def run_captured(argv: Sequence[str], *, timeout: float | None, stdin: Redirect = None,
                 cwd: Path | None = None, env: Mapping[str, str] | None = None) -> Captured:
    """``run`` with stdout and stderr collected through temporary files."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        ended = run(argv, timeout=timeout, stdin=stdin, stdout=out, stderr=err, cwd=cwd, env=env)
        out.seek(0)
        err.seek(0)
        return Captured(ended, out.read(), err.read())


PR_SET_PDEATHSIG = 1


@functools.cache
def _prctl() -> Callable[..., int] | None:
    if not sys.platform.startswith("linux"):
        return None
    import ctypes  # only here: the engine's lean start-up paths never start a child

    try:
        return ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):
        return None


def die_with_parent() -> Callable[[], None] | None:
    """A ``preexec_fn`` that has the kernel SIGKILL the child when the thread starting it ends, even by
    SIGKILL (Linux; None elsewhere).  A child whose parent is already gone kills itself."""
    prctl = _prctl()
    if prctl is None:
        return None
    parent = os.getpid()

    def setup() -> None:
        prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
        if os.getppid() != parent:
            os.kill(os.getpid(), signal.SIGKILL)

    return setup


def _alarm_is_free() -> bool:
    """SIGALRM can time the wait: only the main thread gets signals, and nobody else's alarm is armed."""
    return threading.current_thread() is threading.main_thread() and signal.getitimer(signal.ITIMER_REAL)[0] == 0


def _wait_with_alarm(pid: int, timeout: float) -> tuple[int, resource.struct_rusage, bool]:
    fired = []

    def on_alarm(signum: int, frame: Any) -> None:
        fired.append(True)
        kill_group(pid)

    previous = signal.signal(signal.SIGALRM, on_alarm)
    signal.setitimer(signal.ITIMER_REAL, timeout)
    try:
        _, status, usage = os.wait4(pid, 0)
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
    return status, usage, bool(fired)


def _wait_polling(pid: int, timeout: float | None,
                  poll: Callable[[int], None] | None) -> tuple[int, resource.struct_rusage, bool]:
    deadline = None if timeout is None else time.perf_counter() + timeout
    timed_out = False
    interval = 0.0005
    while True:
        done, status, usage = os.wait4(pid, os.WNOHANG)
        if done:
            return status, usage, timed_out
        if poll is not None:
            poll(pid)
        if deadline is not None and not timed_out and time.perf_counter() > deadline:
            timed_out = True
            kill_group(pid)
        time.sleep(interval)
        interval = min(0.02, interval * 1.5)


def _reap(proc: subprocess.Popen) -> None:
    """Wait for a child just sent SIGKILL (it cannot refuse, so this does not block for long)."""
    try:
        proc.wait()
    except ChildProcessError:
        pass
