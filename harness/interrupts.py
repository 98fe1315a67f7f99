"""Stopping a command on Ctrl-C or SIGTERM within a second or two, with nothing left running.

SIGTERM is turned into ``Terminated``, a ``KeyboardInterrupt``, so one code path (finish the run as
``interrupted``, tell the user what was kept) serves both signals.  Engines run in worker processes of
their own session, out of reach of the terminal's Ctrl-C and of a signal sent to the harness alone, and
threads of a pool cannot be interrupted: so the handler kills the process groups of this process's
children first, which makes every waiting thread return at once.
"""

from __future__ import annotations

import os
import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised where Ctrl-C raises ``KeyboardInterrupt``."""

    exit_code = 128 + signal.SIGTERM


def _children() -> list[tuple[int, int]]:
    """(pid, process group) of each child process of this one, from ``/proc`` (empty where there is none)."""
    me = os.getpid()
    found = []
    try:
        entries = os.listdir("/proc")
    except OSError:
        return []
    for name in entries:
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/stat", "rb") as f:
                stat = f.read()
        except OSError:
            continue  # exited meanwhile
        # after "pid (comm)": state, ppid, pgrp, ...; comm may itself contain ") "
        fields = stat.rsplit(b")", 1)[1].split()
        if int(fields[1]) == me:
            found.append((int(name), int(fields[2])))
    return found


def kill_children() -> int:
    """Kill every child process, with its whole process group where it leads one (a worker and the engine it
    started).  A child still in our own group (a short tool run) is killed alone.  Returns how many."""
    killed = 0
    for pid, group in _children():
        try:
            if group == pid:
                os.killpg(pid, signal.SIGKILL)
            else:
                os.kill(pid, signal.SIGKILL)
            killed += 1
        except OSError:
            pass  # gone already
    return killed


def _on_sigint(signum: int, frame: FrameType | None) -> None:
    kill_children()
    raise KeyboardInterrupt


def _on_sigterm(signum: int, frame: FrameType | None) -> None:
    kill_children()
    raise Terminated


@contextmanager
def stop_on_signals() -> Iterator[None]:
    """While inside, SIGINT and SIGTERM kill the children and raise in the main thread; the previous handlers
    come back after.  Outside the main thread (an embedding, a test runner's thread) signals are left alone."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {signal.SIGINT: signal.signal(signal.SIGINT, _on_sigint),
                signal.SIGTERM: signal.signal(signal.SIGTERM, _on_sigterm)}
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
