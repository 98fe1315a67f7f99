"""The harness side of a fuzz worker: one long-lived process per engine, with a timeout on every module.

A worker that dies (a signal, an exit), stops answering within the timeout, or prints a line that is not an
answer has failed *that module*: the failure is returned as the module's outcome for that engine (a
``crash``, ``hang`` or ``garbage`` answer, with the signal or the text), the process group is killed, and the
next module starts a new worker.  Workers are also replaced every ``recycle`` modules, so an engine that
keeps something per module (node keeps every module it compiled) cannot grow without bound.

Workers run in a session of their own (out of reach of the terminal's Ctrl-C, which the runner turns into
"stop after this module"), die with the harness (``PR_SET_PDEATHSIG``, from one spawning thread), and write their stderr to a file
whose tail explains a crash.
"""

from __future__ import annotations

import base64
import json
import os
import select
import signal
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from .. import process
from ..text import clip_start

START_TIMEOUT = 120.0  # importing llvmlite or starting node on a loaded 2-core machine
RECYCLE = 1000


def _signal_name(n: int) -> str:
    try:
        return signal.Signals(n).name
    except ValueError:
        return f"signal {n}"


# The kernel kills a child whose starting *thread* ends (``PR_SET_PDEATHSIG``), and modules run on short-lived
# threads (``run_all``, the minimiser's server): every worker is started by this one thread instead, which
# lives as long as the harness, so a worker dies with the harness and never with a thread of it.
_SPAWNER = ThreadPoolExecutor(max_workers=1, thread_name_prefix="fuzz-spawner")


class EngineWorker:
    """One engine's worker process; ``run`` answers one module, whatever happens to the process."""

    def __init__(self, engine: str, *, timeout: float, fuel: int | None = None, env: dict[str, str] | None = None,
                 recycle: int = RECYCLE):
        self.engine, self.timeout, self.fuel, self.recycle = engine, timeout, fuel, recycle
        self.env = {**os.environ, **(env or {})}
        self.proc: subprocess.Popen | None = None
        self.log: Any = None
        self.served = 0
        self.restarts = 0

    # -- the process -------------------------------------------------------------------------------
    def _start(self) -> None:
        argv = [sys.executable, "-m", "harness.fuzz.worker", self.engine]
        if self.fuel and self.engine.startswith("wasmtime:"):
            argv += ["--fuel", str(self.fuel)]
        self.log = tempfile.TemporaryFile()
        self.proc = _SPAWNER.submit(subprocess.Popen, argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                    stderr=self.log, env=self.env, start_new_session=True,
                                    preexec_fn=process.die_with_parent()).result()
        self.served = 0
        first = self._read_line(START_TIMEOUT)
        if isinstance(first, dict) and "ready" in first:
            return
        what = first.get("fatal") if isinstance(first, dict) else None
        detail = what or self._died_text(first)
        self.stop()
        raise WorkerStartError(f"{self.engine}: the fuzz worker did not start: {detail}")

    def stop(self) -> None:
        if self.proc is not None:
            process.kill_group(self.proc.pid)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                pass
            for stream in (self.proc.stdin, self.proc.stdout):
                try:
                    stream.close()
                except OSError:
                    pass
            self.proc = None
        if self.log is not None:
            self.log.close()
            self.log = None

    def _stderr_tail(self) -> str:
        if self.log is None:
            return ""
        self.log.seek(0)
        text = self.log.read().decode("utf-8", "replace").strip()
        return clip_start(text.splitlines()[-1] if text else "", 300)

    def _died_text(self, got: Any) -> str:
        if got == "timeout":
            return f"no answer within {self.timeout:.0f}s"
        if isinstance(got, bytes):
            return f"printed something that is not an answer: {got[:120]!r}"
        assert self.proc is not None
        try:
            code = self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            code = None
        how = (f"killed by {_signal_name(-code)}" if code is not None and code < 0
               else f"exited with status {code}")
        tail = self._stderr_tail()
        return f"{how}{': ' + tail if tail else ''}"

    def _read_line(self, timeout: float) -> dict | bytes | str | None:
        """The next line as JSON; ``"timeout"``; None at end of output (the process died); the raw bytes of
        a line that is not a JSON object."""
        assert self.proc is not None and self.proc.stdout is not None
        fd = self.proc.stdout.fileno()
        deadline = time.monotonic() + timeout
        buf = b""
        while not buf.endswith(b"\n"):
            left = deadline - time.monotonic()
            if left <= 0:
                return "timeout"
            try:
                ready, _, _ = select.select([fd], [], [], left)
            except InterruptedError:
                continue
            if not ready:
                return "timeout"
            chunk = os.read(fd, 1 << 20)
            if not chunk:
                return None if not buf else buf
            buf += chunk
        try:
            value = json.loads(buf)
        except ValueError:
            return buf
        return value if isinstance(value, dict) else buf

    # -- one module --------------------------------------------------------------------------------
    def run(self, wasm: bytes, plan: dict) -> dict:
        """The worker's answer for ``wasm``, or ``{"fail": "crash"|"hang"|"garbage", "k": why}``.  Raises
        WorkerStartError only when a (re)started worker cannot even start."""
        if self.proc is None or self.served >= self.recycle:
            self.stop()
            self._start()
        assert self.proc is not None and self.proc.stdin is not None
        request = json.dumps({"wasm": base64.b64encode(wasm).decode(), "plan": plan}) + "\n"
        try:
            self.proc.stdin.write(request.encode())
            self.proc.stdin.flush()
            got = self._read_line(self.timeout)
        except (BrokenPipeError, ConnectionResetError):
            got = None
        self.served += 1
        if isinstance(got, dict) and "calls" in got:
            return got
        kind = "hang" if got == "timeout" else "garbage" if isinstance(got, bytes) else "crash"
        why = self._died_text(got)
        self.stop()
        self.restarts += 1
        return {"fail": kind, "k": why}

    def close(self) -> None:
        if self.proc is not None and self.proc.stdin is not None:
            try:
                self.proc.stdin.close()
                self.proc.wait(timeout=5)
            except (OSError, subprocess.TimeoutExpired):
                pass
        self.stop()


class WorkerStartError(Exception):
    """An engine's worker cannot start at all (not installed, broken): the run cannot use that engine."""


def run_all(workers: dict[str, EngineWorker], wasm: bytes, plan: dict) -> dict[str, dict]:
    """Every worker's answer for one module, the engines running side by side (each is its own process, so
    on two cores the slowest engine, not the sum, sets the pace)."""
    if len(workers) < 2:
        return {e: w.run(wasm, plan) for e, w in workers.items()}
    with ThreadPoolExecutor(max_workers=len(workers), thread_name_prefix="fuzz-engine") as pool:
        futures = {e: pool.submit(w.run, wasm, plan) for e, w in workers.items()}
        return {e: f.result() for e, f in futures.items()}

