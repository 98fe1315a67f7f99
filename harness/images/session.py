"""One long-lived container that runs many command lines: the spec suite's per-file session.

A container per command line costs about a second here (``docker run`` through fuse-overlayfs), and a
spec file is thousands of command lines.  A ``Session`` starts one container per spec file (per engine)
through ``harness.images.guard`` (so the container is removed however the client ends: at the file's end,
on an error, on the file's timeout, on Ctrl-C) and runs a small bash loop in it (``LOOP``: the images are
Debian minbase, with bash and coreutils but no Python).

The protocol, over the client's stdin and stdout:

- request: ``COUNT NUL LIMIT NUL ARG NUL ... ARG NUL`` (an argument never holds a NUL);
- the loop runs ``timeout -s KILL LIMIT ARGV`` with stdin from /dev/null and stdout and stderr to files
  inside the container, so the action's process, not the container, is killed when it hangs;
- answer: one header line ``HARNESS-FRAME NONCE SEQ STATUS MICROSECONDS OUTLEN ERRLEN``, then exactly
  OUTLEN bytes of stdout and ERRLEN bytes of stderr.  The lengths, not markers, delimit the output, so a
  command printing binary data, stray newlines or a fake header cannot shift the frames; the nonce (new
  for each container) and the sequence number catch anything else that writes to the loop's stdout.

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
import subprocess
import tempfile
import time
from collections.abc import Mapping, Sequence
from pathlib import Path

from .. import process
from . import guard

LOOP = r"""
nonce=$1 stage=$2 d=$3
if [ -n "$stage" ]; then cp "$stage" "$d/" || exit 3; fi
printf 'HARNESS-READY %s\n' "$nonce"
seq=0
while IFS= read -r -d '' count; do
  IFS= read -r -d '' limit || exit 3
  args=()
  while (( ${#args[@]} < count )); do
    IFS= read -r -d '' a || exit 3
    args+=("$a")
  done
  if [ -n "$stage" ] && [ "${args[0]}" = "$stage" ]; then args[0]=$d/${stage##*/}; fi
  t0=${EPOCHREALTIME//[.,]/}
  timeout -s KILL "$limit" "${args[@]}" </dev/null >"$d/o" 2>"$d/e"
  st=$?
  t1=${EPOCHREALTIME//[.,]/}
  sizes=$(stat -c %s "$d/o" "$d/e")
  printf 'HARNESS-FRAME %s %d %d %d %d %d\n' "$nonce" "$seq" "$st" "$((t1 - t0))" "${sizes%%$'\n'*}" "${sizes##*$'\n'}"
  cat "$d/o" "$d/e"
  seq=$((seq + 1))
done
"""
"""The command loop inside the container (``bash -c LOOP bash NONCE STAGE WORKDIR``): STAGE, when not
empty, is copied into WORKDIR (a tmpfs) first, and run from there by a command line naming it as its
program; each command's output goes to files there."""
WORKDIR = "/harness-session"
"""The container's in-memory folder (``--tmpfs``): the staged binary and each command's output."""

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
        argv = guard.command(self.image, self.name, ["/bin/bash", "-c", LOOP, "bash", self._nonce, self.stage or "",
                                                     WORKDIR], self.ro, [], env=self.env, tmpfs=[WORKDIR])
        self._err = tempfile.TemporaryFile()
        # in the caller's process group: a spec worker killed on its file's timeout takes the client with it,
        # and the guard's watcher removes the container
        self._proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self._err,
                                      preexec_fn=process.die_with_parent())
        self.started += 1
        line = self._line(time.monotonic() + START_TIMEOUT)
        if line != f"HARNESS-READY {self._nonce}".encode():
            why = self._end()
            raise Lost(f"the container {self.name} did not start{why}")

    def _end(self) -> str:
        """Stop the client and the container (the guard's watcher removes it too); what the client said."""
        proc, self._proc = self._proc, None
        if proc is None:
            return ""
        for stream in (proc.stdin, proc.stdout):
            try:
                stream.close()  # type: ignore[union-attr]
            except OSError:
                pass
        try:
            status = proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            status = proc.wait()
            subprocess.run([guard.client(), "rm", "-f", self.name or ""], stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL, timeout=60)
        said = ""
        if self._err is not None:
            self._err.seek(0)
            lines = [ln.strip() for ln in self._err.read().decode(errors="replace").splitlines() if ln.strip()]
            self._err.close()
            self._err = None
            said = lines[-1] if lines else ""
        return f" (docker exit status {status}{': ' + said if said else ''})"

    def close(self) -> None:
        """End the container: the loop sees its stdin close and exits, and ``--rm`` removes it."""
        self._end()

    # -- reading the answer ------------------------------------------------------------------------------
    def _fill(self, deadline: float) -> bool:
        """More bytes from the client into the buffer; False at EOF or past ``deadline``."""
        assert self._proc is not None and self._proc.stdout is not None
        fd = self._proc.stdout.fileno()
        left = deadline - time.monotonic()
        if left <= 0 or not select.select([fd], [], [], left)[0]:
            return False
        chunk = os.read(fd, 1 << 16)
        self._buf += chunk
        return bool(chunk)

    def _line(self, deadline: float) -> bytes | None:
        while b"\n" not in self._buf[:HEADER_MAX]:
            if len(self._buf) >= HEADER_MAX or not self._fill(deadline):
                return None
        line, _, self._buf = self._buf.partition(b"\n")
        return line

    def _exactly(self, n: int, deadline: float) -> bytes | None:
        while len(self._buf) < n:
            if not self._fill(deadline):
                return None
        data, self._buf = self._buf[:n], self._buf[n:]
        return data

    def _answer(self, deadline: float) -> tuple[int, float, bytes, bytes] | str:
        """status, seconds inside, stdout, stderr; or why there is no answer."""
        line = self._line(deadline)
        if line is None:
            return "hung" if time.monotonic() >= deadline else "ended"
        fields = line.split()
        if len(fields) != 7 or fields[:3] != [b"HARNESS-FRAME", self._nonce.encode(), str(self._seq).encode()] \
                or not all(f.isdigit() for f in fields[3:]):
            return f"answered out of frame ({line[:80]!r})"
        status, micros, nout, nerr = (int(f) for f in fields[3:])
        body = self._exactly(nout + nerr, deadline)
        if body is None:
            return "hung" if time.monotonic() >= deadline else "ended"
        self._seq += 1
        return status, micros / 1e6, body[:nout], body[nout:]

    # -- running a command -------------------------------------------------------------------------------
    def run(self, argv: Sequence[str], timeout: float) -> process.Captured:
        """``argv`` in the container, killed (inside) after ``timeout`` seconds: like ``process.run_captured``,
        with the status as the container's shell gives it (128+N for signal N)."""
        t0 = time.perf_counter()
        if self._proc is None:
            try:
                self._start()
            except Lost as e:
                self.lost += 1
                return _failed(str(e), time.perf_counter() - t0)
        assert self._proc is not None and self._proc.stdin is not None
        request = b"".join(a.encode("utf-8", "surrogateescape") + b"\0" for a in (str(len(argv)), f"{timeout:g}", *argv))
        try:
            self._proc.stdin.write(request)
            self._proc.stdin.flush()
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
