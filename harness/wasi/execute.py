"""Run one WASI program in a child process with a timeout, capturing its output through files.

Output goes to files, not pipes: some engines (node) write stdout non-blocking and lose data with EAGAIN
on a full pipe, and files never fill up while the harness waits.  ``harness.process`` kills the child's
whole process group on a timeout, and what it left behind once it exits.
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

from .. import process
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


def run_program(engine: EngineSpec, inv: Invocation, *, cwd: Path | None = None, timeout: float = DEFAULT_TIMEOUT,
                stdin: bytes = b"") -> RunResult:
    """Run ``inv`` on ``engine``; never raises for what the program or engine does."""
    with tempfile.TemporaryDirectory(prefix="harness-wasi-") as scratch_name:
        scratch = Path(scratch_name)
        try:
            argv = command(engine, inv, scratch)
        except Exception as e:  # RunnerUnavailable and friends
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
        with (os.fdopen(read_end, "rb") if read_end is not None else open(in_path, "rb")) as fin, \
                open(out_path, "wb") as fout, open(err_path, "wb") as ferr:
            try:
                ended = process.run(argv, timeout=timeout, stdin=fin, stdout=fout, stderr=ferr, cwd=cwd, env=env)
            except OSError as e:
                return RunResult(None, b"", b"", 0.0, error=f"cannot start {argv[0]}: {e.strerror}", argv=argv)
        return RunResult(
            exit_code=None if ended.timed_out else ended.returncode,
            stdout=out_path.read_bytes(), stderr=err_path.read_bytes(), seconds=ended.seconds,
            timed_out=ended.timed_out, signal=ended.signal, argv=argv,
        )
