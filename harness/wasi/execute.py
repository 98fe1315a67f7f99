"""Run one WASI program in a child process with a timeout, capturing its output through files.

Output goes to files, not pipes: some engines (node) write stdout non-blocking and lose data with EAGAIN
on a full pipe, and files never fill up while the harness waits.  The child gets its own process group so
a timeout kills everything it started.
"""

from __future__ import annotations

import os
import signal
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from ..adapters.base import EngineSpec
from .drivers import Invocation, command

DEFAULT_TIMEOUT = 60.0
PIPE_STDIN_LIMIT = 32 * 1024


@dataclass
class RunResult:
    exit_code: int | None  # None when it timed out or could not start
    stdout: bytes
    stderr: bytes
    seconds: float
    timed_out: bool = False
    signal: int | None = None  # the child died of this signal
    error: str | None = None  # could not start
    argv: list[str] | None = None


def _kill_group(proc: subprocess.Popen) -> None:
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        pass


def run_program(engine: EngineSpec, inv: Invocation, *, cwd: Path | None = None, timeout: float = DEFAULT_TIMEOUT,
                stdin: bytes = b"") -> RunResult:
    """Run ``inv`` on ``engine``; never raises for what the program or engine does."""
    with tempfile.TemporaryDirectory(prefix="harness-wasi-") as scratch_name:
        scratch = Path(scratch_name)
        try:
            argv = command(engine, inv, scratch)
        except Exception as e:  # DriverUnavailable and friends
            return RunResult(None, b"", b"", 0.0, error=str(e))
        out_path, err_path, in_path = scratch / "stdout", scratch / "stderr", scratch / "stdin"
        in_path.write_bytes(stdin)
        # stdin is a pipe (as under the official runner: some WASI hosts cannot poll a regular file),
        # filled and closed up front; input larger than a pipe buffer comes from a file instead.
        read_end = None
        if len(stdin) <= PIPE_STDIN_LIMIT:
            read_end, write_end = os.pipe()
            os.write(write_end, stdin)
            os.close(write_end)
        env = dict(os.environ)
        env.setdefault("PYTHONPATH", str(Path(__file__).resolve().parents[2]))
        start = time.perf_counter()
        with (os.fdopen(read_end, "rb") if read_end is not None else open(in_path, "rb")) as fin, \
                open(out_path, "wb") as fout, open(err_path, "wb") as ferr:
            try:
                proc = subprocess.Popen(argv, stdin=fin, stdout=fout, stderr=ferr, cwd=cwd, env=env,
                                        start_new_session=True)
            except OSError as e:
                return RunResult(None, b"", b"", 0.0, error=f"cannot start {argv[0]}: {e.strerror}", argv=argv)
            timed_out = False
            try:
                proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                timed_out = True
                _kill_group(proc)
            except BaseException:
                _kill_group(proc)
                raise
            else:
                # The program is done; anything it left behind in its group goes too.
                try:
                    os.killpg(proc.pid, signal.SIGKILL)
                except (ProcessLookupError, PermissionError):
                    pass
        seconds = time.perf_counter() - start
        rc = proc.returncode
        return RunResult(
            exit_code=None if timed_out else rc,
            stdout=out_path.read_bytes(), stderr=err_path.read_bytes(), seconds=seconds,
            timed_out=timed_out, signal=-rc if (rc is not None and rc < 0 and not timed_out) else None,
            argv=argv,
        )
