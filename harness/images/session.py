"""One long-lived container that runs many command lines: the spec suite's per-file session.

A container per command line costs about a second here (``docker run`` through fuse-overlayfs), and a
spec file is thousands of command lines.  A ``Session`` starts one container per spec file (per engine)
through ``harness.images.guard`` (so the container is removed however the client ends: at the file's end,
on an error, on the file's timeout, on Ctrl-C) and runs a small bash loop in it (``LOOP``: the images are
Debian minbase, with bash and coreutils but no Python).

The protocol, over two named pipes in a scratch folder of the host's mounted read-write (``req`` and
``ans``: a pipe between the two processes, not Docker's attach stream, whose four hops per message cost
about 100 ms a command on this loaded machine):

- request: ``COUNT NUL LIMIT NUL ARG NUL ... ARG NUL`` (an argument never holds a NUL);
- the loop runs ``timeout -s KILL LIMIT ARGV`` with stdin from /dev/null, stdout and stderr to the files
  ``o`` and ``e`` of the scratch folder and the pipes closed, so the command's process, not the container,
  is killed when it hangs;
- answer: one line ``HARNESS-FRAME NONCE SEQ STATUS MICROSECONDS``; the host then reads ``o`` and ``e``.
  No output of a command goes through the channel, so binary output, stray newlines or a printed fake
  header cannot shift the frames; the nonce (new for each container) and the sequence number catch a
  process that writes to the channel itself.

A container that ends or answers out of frame during a command (killed, OOM) gives that command a failed
``Captured`` (exit status 125 or the client's, and a one-line message on stderr), as a per-command
container that was killed would; the next command starts a new container, so the rest of the file goes on.
"""

from __future__ import annotations

import itertools
import os
import resource
import secrets
import select
import shutil
import subprocess
import tempfile
import time
from collections.abc import Mapping, Sequence
from pathlib import Path

from .. import process
from . import guard

LOOP = r"""
nonce=$1 stage=$2 bin=$3 chan=$4
if [ -n "$stage" ]; then cp "$stage" "$bin/" || exit 3; fi
exec 3<"$chan/req" 4>"$chan/ans" || exit 3
printf 'HARNESS-READY %s\n' "$nonce"
seq=0
while IFS= read -r -u 3 -d '' count; do
  IFS= read -r -u 3 -d '' limit || exit 3
  args=()
  while (( ${#args[@]} < count )); do
    IFS= read -r -u 3 -d '' a || exit 3
    args+=("$a")
  done
  if [ -n "$stage" ] && [ "${args[0]}" = "$stage" ]; then args[0]=$bin/${stage##*/}; fi
  t0=${EPOCHREALTIME//[.,]/}
  timeout -s KILL "$limit" "${args[@]}" </dev/null >"$chan/o" 2>"$chan/e" 3<&- 4>&-
  st=$?
  t1=${EPOCHREALTIME//[.,]/}
  printf 'HARNESS-FRAME %s %d %d %d\n' "$nonce" "$seq" "$st" "$((t1 - t0))" >&4
  seq=$((seq + 1))
done
"""
"""The command loop inside the container (``bash -c LOOP bash NONCE STAGE BIN CHAN``): STAGE, when not
empty, is copied into BIN (a tmpfs) first, and run from there by a command line naming it as its program;
CHAN is the scratch folder with the pipes and the output files.  It says it is ready on its stdout (the
Docker client), once."""
WORKDIR = "/harness-session"
"""The container's in-memory folder (``--tmpfs``), for the staged binary."""

KILLED = 128 + 9
"""The loop's status for a command ended by SIGKILL: ``timeout``'s own kill when it took its whole limit."""
START_TIMEOUT = 120.0
"""Seconds for a container to start and say it is ready (a few here, far more on a loaded machine)."""
GRACE = 30.0
"""Seconds past a command's own limit before the container itself is taken for hung and removed."""
HEADER_MAX = 256

_names = itertools.count()


class Lost(Exception):
    """The container ended, or answered out of frame, during a command."""


def _rusage() -> resource.struct_rusage:
    """No resource usage: the command ran in another process tree (the container's)."""
    return resource.struct_rusage((0,) * 16)


class Session:
    """Command lines run in one container of ``image``, started at the first and ended by ``close``.

    ``ro``: host folders mounted read-only at the same path (the files the commands name must lie in them);
    ``env``: variables set inside for every command; ``label``: the runtime, for the container's name
    (``harness-LABEL-PID-sessionN``, the shape the harness's leftover checks look for).

    ``stage``: the image's binary, copied once per container into its tmpfs, and run from there by every
    command line that names it as its program.  The same bytes; but the image's own file lies on this
    Docker's fuse-overlayfs, which drops its cached pages at every open, so each of a file's thousands of
    processes read a 71 MB wasmtime in again through the FUSE daemon (88 ms a run against 51 ms from the
    copy, measured in one container; a spec file ran 3x slower than the host's before)."""

    def __init__(self, image: str, label: str, ro: Sequence[str | Path], env: Mapping[str, str] | None = None,
                 stage: str | None = None) -> None:
        self.image, self.label, self.stage = image, label, stage
        self.ro = sorted({str(Path(p).resolve()) for p in ro})
        self.env = dict(env or {})
        self.started = 0  # containers started (a lost one is replaced at the next command)
        self.lost = 0
        self.name: str | None = None
        self._proc: subprocess.Popen[bytes] | None = None
        self._err: tempfile._TemporaryFileWrapper[bytes] | None = None
        self._chan: Path | None = None  # the scratch folder: req, ans, o, e
        self._req = self._ans = -1
        self._buf = b""
        self._nonce = ""
        self._seq = 0

    # -- which command lines it can run ------------------------------------------------------------------
    def covers(self, argv: Sequence[str]) -> bool:
        """Every host path ``argv`` names (``PATH`` or ``NAME=PATH``) is under a mounted folder."""
        for arg in argv[1:]:
            for p in (arg, arg.partition("=")[2]):
                if p.startswith("/") and p != "/dev/null" and os.path.exists(p):
                    real = str(Path(p).resolve())
                    if not any(real == m or real.startswith(m + os.sep) for m in self.ro):
                        return False
        return True

    # -- the container -----------------------------------------------------------------------------------
    def _start(self) -> None:
        self._nonce = secrets.token_hex(8)
        self._seq, self._buf = 0, b""
        self.name = f"harness-{self.label}-{os.getpid()}-session{next(_names)}"
        self._chan = Path(tempfile.mkdtemp(prefix="harness-session-"))
        os.mkfifo(self._chan / "req")
        os.mkfifo(self._chan / "ans")
        # neither open waits for the container: ans is read without blocking, and req is held read-write
        # (so the loop's open finds a writer); closing req is the loop's end of input
        self._ans = os.open(self._chan / "ans", os.O_RDONLY | os.O_NONBLOCK)
        self._req = os.open(self._chan / "req", os.O_RDWR)
        chan = str(self._chan)
        argv = guard.command(self.image, self.name, ["/bin/bash", "-c", LOOP, "bash", self._nonce, self.stage or "",
                                                     WORKDIR, chan], self.ro, [chan], env=self.env, tmpfs=[WORKDIR])
        self._err = tempfile.TemporaryFile()
        # in the caller's process group: a spec worker killed on its file's timeout takes the client with it,
        # and the guard's watcher removes the container
        self._proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=self._err,
                                      preexec_fn=process.die_with_parent())
        self.started += 1
        assert self._proc.stdout is not None
        line = self._line(self._proc.stdout.fileno(), time.monotonic() + START_TIMEOUT)
        self._buf = b""
        if line != f"HARNESS-READY {self._nonce}".encode():
            why = self._end()
            raise Lost(f"the container {self.name} did not start{why}")

    def _end(self) -> str:
        """Stop the loop and the container (the guard's watcher removes it too); what the client said."""
        proc, self._proc = self._proc, None
        for fd in (self._req, self._ans):
            if fd >= 0:
                os.close(fd)  # req: the loop reads its end of input and exits
        self._req = self._ans = -1
        if self._chan is not None:
            shutil.rmtree(self._chan, ignore_errors=True)
            self._chan = None
        if proc is None:
            return ""
        try:
            status = proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            status = proc.wait()
            subprocess.run([guard.client(), "rm", "-f", self.name or ""], stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL, timeout=60)
        if proc.stdout is not None:
            proc.stdout.close()
        said = ""
        if self._err is not None:
            self._err.seek(0)
            lines = [ln.strip() for ln in self._err.read().decode(errors="replace").splitlines() if ln.strip()]
            self._err.close()
            self._err = None
            said = lines[-1] if lines else ""
        return f" (docker exit status {status}{': ' + said if said else ''})"

    def close(self) -> None:
        """End the container: the loop sees its input close and exits, and ``--rm`` removes it."""
        self._end()

    # -- reading the answer ------------------------------------------------------------------------------
    def _line(self, fd: int, deadline: float) -> bytes | None:
        """One line from ``fd``; None at EOF, past ``deadline`` or past ``HEADER_MAX`` bytes."""
        while b"\n" not in self._buf:
            left = deadline - time.monotonic()
            if len(self._buf) >= HEADER_MAX or left <= 0 or not select.select([fd], [], [], left)[0]:
                return None
            try:
                chunk = os.read(fd, HEADER_MAX)
            except BlockingIOError:
                continue
            if not chunk:
                return None
            self._buf += chunk
        line, _, self._buf = self._buf.partition(b"\n")
        return line

    def _answer(self, deadline: float) -> tuple[int, float, bytes, bytes] | str:
        """status, seconds inside, stdout, stderr; or why there is no answer."""
        line = self._line(self._ans, deadline)
        if line is None:
            return "hung" if time.monotonic() >= deadline else "ended"
        fields = line.split()
        if len(fields) != 5 or fields[:3] != [b"HARNESS-FRAME", self._nonce.encode(), str(self._seq).encode()] \
                or not all(f.isdigit() for f in fields[3:]) or self._buf:
            return f"answered out of frame ({(line + self._buf)[:80]!r})"
        self._seq += 1
        assert self._chan is not None
        return int(fields[3]), int(fields[4]) / 1e6, (self._chan / "o").read_bytes(), (self._chan / "e").read_bytes()

    # -- running a command -------------------------------------------------------------------------------
    def run(self, argv: Sequence[str], timeout: float) -> process.Captured:
        """``argv`` in the container, killed (inside) after ``timeout`` seconds: like ``process.run_captured``,
        with the status as the container's shell gives it (128+N for signal N)."""
        t0 = time.perf_counter()
        if self._proc is None:
            try:
                self._start()
            except (Lost, OSError) as e:
                self.lost += 1
                self._end()
                return _failed(str(e), time.perf_counter() - t0)
        request = b"".join(a.encode("utf-8", "surrogateescape") + b"\0" for a in (str(len(argv)), f"{timeout:g}", *argv))
        try:
            os.write(self._req, request)
            got = self._answer(time.monotonic() + timeout + GRACE)
        except OSError as e:
            got = f"ended ({e})"
        if isinstance(got, str):
            name = self.name
            why = self._end()
            self.lost += 1
            if got == "hung":
                return process.Captured(process.Exit(-9, True, time.perf_counter() - t0, _rusage()), b"", b"")
            return _failed(f"the container {name} {got} during this command{why}", time.perf_counter() - t0)
        status, inside, out, err = got
        timed_out = status == KILLED and inside >= timeout * 0.99
        return process.Captured(process.Exit(-9 if timed_out else status, timed_out, time.perf_counter() - t0,
                                             _rusage()), out, err)


def _failed(message: str, seconds: float) -> process.Captured:
    """A command that got no answer: status 125 (the Docker client's own failure) and one line saying why."""
    return process.Captured(process.Exit(125, False, seconds, _rusage()), b"", f"harness: {message}\n".encode())
