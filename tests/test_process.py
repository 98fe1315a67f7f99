"""A child run through ``harness.process`` never outlives the wait: its whole process group dies on a
timeout, on an exception or signal in the parent, and when the child exits leaving processes behind."""

from __future__ import annotations

import os
import signal
import sys
import threading
import time

import pytest

from harness import process

# A shell that starts a grandchild in its own process group, writes the grandchild's pid, then waits.
SPAWNS_AND_WAITS = 'sleep 300 & echo $! > "$1"; wait'
SPAWNS_AND_EXITS = 'sleep 300 & echo $! > "$1"; exit 0'


def _alive(pid: int) -> bool:
    """Running (a zombie is dead: it only waits for its new parent to reap it)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            state = f.read().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError):
        return False
    return state not in ("Z", "X")


def _dead_soon(pid: int) -> bool:
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        if not _alive(pid):
            return True
        time.sleep(0.02)
    return False


def _grandchild(pid_file) -> int:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        text = pid_file.read_text().strip() if pid_file.exists() else ""
        if text:
            return int(text)
        time.sleep(0.01)
    raise AssertionError("the child never started its grandchild")


def _sh(script: str, pid_file) -> list[str]:
    return ["sh", "-c", script, "sh", str(pid_file)]


@pytest.mark.parametrize("how", ["main thread", "other thread", "polling"])
def test_a_timeout_kills_the_grandchildren_too(tmp_path, how):
    pid_file = tmp_path / "pid"
    got = {}

    def go():
        got["exit"] = process.run(_sh(SPAWNS_AND_WAITS, pid_file), timeout=0.5,
                                  poll=(lambda pid: None) if how == "polling" else None)

    if how == "other thread":
        t = threading.Thread(target=go)
        t.start()
        t.join(30)
    else:
        go()
    ended = got["exit"]
    assert ended.timed_out and ended.returncode == -signal.SIGKILL and ended.signal is None
    assert 0.4 < ended.seconds < 10
    assert _dead_soon(_grandchild(pid_file))


def test_what_the_child_leaves_behind_dies_when_it_exits(tmp_path):
    pid_file = tmp_path / "pid"
    ended = process.run(_sh(SPAWNS_AND_EXITS, pid_file), timeout=30)
    assert ended.returncode == 0 and not ended.timed_out
    assert _dead_soon(_grandchild(pid_file))


def test_an_exception_while_waiting_kills_the_group_and_propagates(tmp_path):
    pid_file = tmp_path / "pid"

    class Stop(Exception):
        pass

    def poll(pid):
        if pid_file.exists() and pid_file.read_text().strip():
            raise Stop

    with pytest.raises(Stop):
        process.run(_sh(SPAWNS_AND_WAITS, pid_file), timeout=30, poll=poll)
    assert _dead_soon(_grandchild(pid_file))


@pytest.mark.parametrize("raised", [KeyboardInterrupt, SystemExit])
def test_a_signal_in_the_parent_kills_the_group(tmp_path, raised):
    """Ctrl-C, or SIGTERM turned into SystemExit by a handler, while the main thread blocks in wait4."""
    pid_file = tmp_path / "pid"

    def handler(signum, frame):
        raise raised

    alarm_handler = signal.getsignal(signal.SIGALRM)
    previous = signal.signal(signal.SIGUSR1, handler)
    sender = threading.Thread(target=lambda: (_grandchild(pid_file), os.kill(os.getpid(), signal.SIGUSR1)))
    sender.start()
    try:
        with pytest.raises(raised):
            process.run(_sh(SPAWNS_AND_WAITS, pid_file), timeout=60)
    finally:
        sender.join()
        signal.signal(signal.SIGUSR1, previous)
    assert _dead_soon(_grandchild(pid_file))
    assert signal.getsignal(signal.SIGALRM) == alarm_handler  # the timeout's alarm is put back as it was
    assert signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)


def test_exit_codes_and_signals():
    assert process.run(["sh", "-c", "exit 3"], timeout=30).returncode == 3
    killed = process.run(["sh", "-c", "kill -SEGV $$"], timeout=30)
    assert killed.returncode == -signal.SIGSEGV and killed.signal == signal.SIGSEGV and not killed.timed_out
    assert process.run(["true"], timeout=None).returncode == 0


def test_a_program_that_cannot_start_raises_oserror(tmp_path):
    with pytest.raises(OSError):
        process.run([str(tmp_path / "missing")], timeout=30)


def test_captured_output_is_complete_beyond_a_pipe_buffer():
    code = "import sys; sys.stdout.write('x' * 300000); sys.stderr.write('done')"
    got = process.run_captured([sys.executable, "-c", code], timeout=60)
    assert got.exit.returncode == 0
    assert got.stdout == b"x" * 300000 and got.stderr == b"done"


def test_rusage_is_the_childs():
    code = "b = bytearray(64 << 20); b[::4096] = b'x' * len(b[::4096])"
    ended = process.run([sys.executable, "-c", code], timeout=60)
    assert ended.rusage.ru_maxrss > 64 * 1024  # KiB


def test_an_alarm_armed_by_the_caller_is_left_alone(tmp_path):
    fired = []
    previous = signal.signal(signal.SIGALRM, lambda signum, frame: fired.append(signum))
    signal.setitimer(signal.ITIMER_REAL, 60)
    try:
        ended = process.run(["sleep", "30"], timeout=0.3)
        remaining = signal.getitimer(signal.ITIMER_REAL)[0]
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
    assert ended.timed_out and not fired
    assert 50 < remaining <= 60


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="PR_SET_PDEATHSIG is Linux's")
def test_a_child_dies_with_a_parent_killed_outright(tmp_path):
    """SIGKILL leaves the parent no chance to kill the group: the kernel kills the child instead."""
    import subprocess

    pidfile = tmp_path / "child.pid"
    parent = subprocess.Popen([sys.executable, "-c", "import sys; from harness import process; "
                               "process.run(['sh', '-c', 'echo $$ > \"$1\"; exec sleep 300', 'sh', sys.argv[1]], "
                               "timeout=None)", str(pidfile)])
    deadline = time.monotonic() + 30
    while not (pidfile.exists() and pidfile.read_text().strip()):
        assert time.monotonic() < deadline and parent.poll() is None
        time.sleep(0.02)
    child = int(pidfile.read_text())
    assert _alive(child)
    parent.kill()
    parent.wait()
    deadline = time.monotonic() + 5
    while _alive(child) and time.monotonic() < deadline:
        time.sleep(0.02)
    alive = _alive(child)
    if alive:
        os.kill(child, signal.SIGKILL)
    assert not alive
