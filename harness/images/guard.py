"""``python -m harness.images.guard``: start one container with ``docker run --rm`` and make sure it is
removed however the client ends.  It imports nothing of the harness but this module, so it starts fast.

The harness kills a timed-out or interrupted child with SIGKILL (``harness.process``); killing the
``docker`` client that way leaves its container running, and ``--rm`` never fires.  So before starting
the client this forks a watcher in a session of its own, out of reach of that kill, which waits for the
client's end of a pipe to close (at any exit, even SIGKILL) and then runs ``docker rm -f`` on the
container's name.  The guard waits for the client and ends with its status; when that is 137 (the
container's process killed) it says why on its last line of stderr (``KILLED``): the out-of-memory killer
(Docker's ``oom`` event for the container: its memory limit, ``$HARNESS_CONTAINER_MEMORY``, or the
machine's memory) or a kill from outside.  The command line says what to mount::

    python -m harness.images.guard IMAGE NAME [--ro PATH]... [--rw PATH]... [--env K=V]... [--tmpfs PATH]...
                                   [--warm FILE] [--stdin FILE] [--stdout FILE] -- ARGV...

Every path is mounted at the same path inside, so the runtime's own command line runs unchanged;
``--ro`` mounts are read-only; ``--env`` sets a variable inside (the client's own environment is not
passed on); ``--tmpfs`` mounts an empty in-memory folder, executable, that ends with the container.
``wrap_inside`` adds a command (the rusage helper) in front of ARGV, so what it measures is the runtime
inside the container, without the container's start.
"""

from __future__ import annotations

import os
import shlex
import signal
import subprocess
import sys
import time
from typing import Any

MODULE = "harness.images.guard"
LABEL = "org.wasm-harness"
"""Prefix of the labels on the harness's images and containers (a container left behind is findable)."""
CONTAINER_LABEL = f"{LABEL}.run"
MEMORY_ENV = "HARNESS_CONTAINER_MEMORY"
"""Memory limit of every container the harness starts (``docker run --memory``: ``512m``, ``2g``); none by default."""
KILLED = "harness: the container "
"""How the guard's line about a killed container starts (``killed_note``), for the runners to find it."""


def client() -> str:
    """The Docker client: ``$HARNESS_DOCKER`` names another (tests point it at a fake one)."""
    return os.environ.get("HARNESS_DOCKER", "docker")


def command(image: str, name: str, argv: list[str], ro: list[str], rw: list[str], warm: str | None = None,
            env: dict[str, str] | None = None, tmpfs: list[str] | None = None) -> list[str]:
    """The guard's own command line (what the adapters return).  ``warm``: a file of the image to read
    before ``argv`` starts (see ``docker_argv``); ``env``: variables set inside the container; ``tmpfs``:
    in-memory folders inside."""
    opts = [a for p in ro for a in ("--ro", p)] + [a for p in rw for a in ("--rw", p)]
    opts += [a for k, v in (env or {}).items() for a in ("--env", f"{k}={v}")]
    opts += [a for p in tmpfs or [] for a in ("--tmpfs", p)]
    return [sys.executable, "-m", MODULE, image, name, *opts, *(["--warm", warm] if warm else []), "--", *argv]


def is_guarded(argv: list[str]) -> bool:
    return len(argv) > 3 and argv[1:3] == ["-m", MODULE]


def wrap_inside(argv: list[str], prefix: list[str], ro: list[str], rw: list[str], stdin: str | None = None,
                stdout: str | None = None) -> list[str]:
    """``argv`` (a guard command line) with ``prefix`` run in front of the runtime inside the container and
    the paths it needs mounted; ``stdin``/``stdout``: files the container opens itself as the runtime's
    stdio (mounted with ``ro``/``rw``), instead of streaming them through the Docker client."""
    cut = argv.index("--")
    extra = [a for p in ro for a in ("--ro", p)] + [a for p in rw for a in ("--rw", p)]
    extra += [*(["--stdin", stdin] if stdin else []), *(["--stdout", stdout] if stdout else [])]
    return [*argv[:cut], *extra, "--", *prefix, *argv[cut + 1:]]


def docker_argv(image: str, name: str, ro: list[str], rw: list[str], argv: list[str], warm: str | None = None,
                stdin: str | None = None, stdout: str | None = None, env: list[str] | None = None,
                tmpfs: list[str] | None = None) -> list[str]:
    """``docker run`` of ``argv`` in ``image``.  With ``warm``, that file (the runtime's binary) is read first:
    every container is a fresh fuse-overlayfs mount here, whose pages would otherwise be faulted in through
    the FUSE daemon during the timed run (a third run in one container took 224 ms where the first took
    300 ms, with 13 ms more system time: waiting, not work).  ``stdin``/``stdout`` are opened inside: 8 MB
    of output streamed through the client's attach added 60 ms to a 85 ms gzip-decompress.  ``env``:
    ``K=V`` items set inside; ``tmpfs``: in-memory folders (executable: Docker's own /dev/shm is not)."""
    mounts = [a for p in ro for a in ("-v", f"{p}:{p}:ro")] + [a for p in rw for a in ("-v", f"{p}:{p}")]
    mounts += [a for item in env or [] for a in ("-e", item)]
    mounts += [a for p in tmpfs or [] for a in ("--tmpfs", f"{p}:rw,exec,mode=1777")]
    if os.environ.get(MEMORY_ENV):
        mounts += ["--memory", os.environ[MEMORY_ENV]]
    if warm or stdin or stdout:
        script = (f"cat {shlex.quote(warm)} > /dev/null && " if warm else "") + 'exec "$@"' \
            + (f" < {shlex.quote(stdin)}" if stdin else "") + (f" > {shlex.quote(stdout)}" if stdout else "")
        argv = ["/bin/sh", "-c", script, "sh", *argv]
    return [client(), "run", "--rm", "-i", "--name", name, "--label", CONTAINER_LABEL, "--network", "none",
            "--user", f"{os.getuid()}:{os.getgid()}", "--log-driver", "none",
            *mounts, image, *argv]


def _parse(args: list[str]) -> tuple[str, str, list[str], list[str], list[str], dict[str, Any]]:
    """IMAGE NAME [options] -- ARGV -> image, name, ro, rw, argv, and the last ``--warm``/``--stdin``/``--stdout``
    by name (``warm``, ``stdin``, ``stdout``) with every ``--env`` as ``env`` (keyword arguments of
    ``docker_argv``)."""
    image, name, rest = args[0], args[1], args[2:]
    ro: list[str] = []
    rw: list[str] = []
    files: dict[str, Any] = {}
    while rest and rest[0] != "--":
        flag, value, rest = rest[0], rest[1], rest[2:]
        if flag in ("--ro", "--rw"):
            (ro if flag == "--ro" else rw).append(value)
        elif flag in ("--env", "--tmpfs"):
            files.setdefault(flag.removeprefix("--"), []).append(value)
        else:
            files[flag.removeprefix("--")] = value
    return image, name, ro, rw, rest[1:], files


def _watch(read_end: int, name: str) -> None:
    """In the forked watcher: wait for the client to end, then remove its container."""
    os.setsid()
    null = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(null, fd)
    try:
        while os.read(read_end, 1):
            pass
    finally:
        subprocess.run([client(), "rm", "-f", name], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        os._exit(0)


def killed_note(name: str, since: float) -> str:
    """Why the container ``name``, started after ``since`` (epoch seconds), ended with status 137: one line
    with what to do (Docker keeps the container's ``oom`` event after ``--rm`` has removed it)."""
    try:
        events = subprocess.run([client(), "events", "--since", f"{since:.3f}", "--until", f"{time.time():.3f}",
                                 "--filter", f"container={name}", "--filter", "event=oom", "--format", "{{.Status}}"],
                                capture_output=True, text=True, timeout=15).stdout
    except (OSError, subprocess.SubprocessError):
        events = ""
    limit = os.environ.get(MEMORY_ENV)
    if "oom" in events.split():
        if limit:
            return (f"{KILLED}{name} was killed by the out-of-memory killer: it outgrew its memory limit of {limit} "
                    f"(fix: raise or unset ${MEMORY_ENV})")
        return (f"{KILLED}{name} was killed by the out-of-memory killer: the machine ran out of memory (fix: run "
                f"fewer jobs at once, e.g. -j 1, or bound each container with ${MEMORY_ENV}=2g)")
    return (f"{KILLED}{name} was killed from outside (status 137: SIGKILL from docker kill, docker rm -f or "
            "the kernel; fix: look for what stopped it, e.g. another harness run's cleanup)")


def _forward(proc: subprocess.Popen) -> None:
    """Signals the guard alone is sent go to the client (one sent to the whole group reaches both)."""
    def handler(signum: int, _frame: object) -> None:
        if proc.poll() is None:
            os.kill(proc.pid, signum)

    for sig in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, handler)


def _dies_with(guard: int) -> None:
    """``preexec_fn`` of the client: the kernel SIGKILLs it when the guard ends, however (a spec worker that
    dies takes its guard with it the same way), so the client's end of the pipe closes and the watcher
    removes the container."""
    import ctypes

    try:
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        return
    if os.getppid() != guard:
        os.kill(os.getpid(), signal.SIGKILL)


def main(args: list[str]) -> None:
    image, name, ro, rw, argv, files = _parse(args)
    read_end, write_end = os.pipe()
    if os.fork() == 0:
        os.close(write_end)
        _watch(read_end, name)
    os.close(read_end)
    cmd = docker_argv(image, name, ro, rw, argv, **files)
    since = time.time() - 1
    signal.signal(signal.SIGINT, lambda *_: None)  # Ctrl-C reaches the client (same group); its status decides
    # the client holds the pipe too: the watcher waits for both
    guard = os.getpid()
    proc = subprocess.Popen(cmd, pass_fds=(write_end,), preexec_fn=lambda: _dies_with(guard))
    _forward(proc)
    status = proc.wait()
    if status == 137:
        sys.stderr.write(killed_note(name, since) + "\n")
        sys.stderr.flush()
    if status < 0:
        signal.signal(-status, signal.SIG_DFL)
        os.kill(os.getpid(), -status)
    sys.exit(status)


if __name__ == "__main__":
    main(sys.argv[1:])
