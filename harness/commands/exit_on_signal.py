"""Ending a process that runs our engine in-process at once on SIGINT or SIGTERM, even inside machine code.

A Python signal handler runs only between bytecodes of the main thread, and code the LLVM tier compiled
never returns there until the program ends: Ctrl-C was ignored, and a handler that raises lands inside
the interpreter tier's generated code, which reports it as an engine failure.  CPython's own C-level
handler still writes the signal's number to the wakeup descriptor whatever the main thread is doing, so
a thread waiting on that descriptor ends the process: it kills this process's children (the LLVM tier
compiles large modules in several processes), says so in one line and exits with 128 + the signal, as a
shell reports a command killed by it.  Compiled code is called through ctypes, which lets go of the
GIL, so that thread gets to run.
"""

from __future__ import annotations

import os
import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType

from ..interrupts import kill_children

SIGNALS = {signal.SIGINT: "interrupted", signal.SIGTERM: "terminated (SIGTERM)"}


def _ignore(signum: int, frame: FrameType | None) -> None:
    """Installed so that CPython's C handler (which writes the wakeup descriptor) is in place; the waiting
    thread does the work."""


@contextmanager
def exit_on_signals(command: str) -> Iterator[None]:
    """While inside, SIGINT and SIGTERM end the process with ``harness <command>: <how>`` on stderr.

    Only the main thread can install handlers; elsewhere (an embedding) signals are left alone.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    read_end, write_end = os.pipe()
    os.set_blocking(write_end, False)
    threading.Thread(target=_wait_and_exit, args=(read_end, command), daemon=True,
                     name="exit-on-signal").start()
    previous_fd = signal.set_wakeup_fd(write_end, warn_on_full_buffer=False)
    previous = {signum: signal.signal(signum, _ignore) for signum in SIGNALS}
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
        signal.set_wakeup_fd(previous_fd)
        os.close(write_end)  # the waiting thread reads end-of-file and returns


def _wait_and_exit(read_end: int, command: str) -> None:
    with os.fdopen(read_end, "rb", buffering=0) as pipe:
        while byte := pipe.read(1):
            signum = byte[0]
            if signum in SIGNALS:
                kill_children()
                os.write(2, f"harness {command}: {SIGNALS[signum]}\n".encode())
                os._exit(128 + signum)
