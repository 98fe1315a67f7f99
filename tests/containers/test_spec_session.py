"""The per-file container of the spec suite (``harness.images.session``), its framing and its faults, with
a fake Docker client that runs the command loop on the host (``$HARNESS_DOCKER``: no Docker or image
needed, so these run everywhere).  The same faults with the real image: ``test_spec_in_docker.py``.

Each planted fault must come back as its own recorded outcome: a command printing a fake frame header and
binary output, a command writing a forged frame onto the loop's own answer pipe, a hang (killed inside, the
container kept), a command dying of SIGKILL by itself (not a hang), and the container killed mid-command
(that command fails, the next starts a new container)."""

from __future__ import annotations

import os
import signal
import stat
import threading
import time
import tomllib
from pathlib import Path

import pytest

from harness.images import guard
from harness.images.session import GRACE, Session

ROOT = Path(__file__).resolve().parents[2]

FAKE = """#!/bin/bash
# a Docker client whose "container" is the host: run IMAGE ARGV -> exec ARGV (from /bin/bash on), -e K=V set,
# the --tmpfs folder a new temporary one
case "$1" in
  run) while [ $# -gt 0 ] && [ "$1" != /bin/bash ]; do
         case "$1" in -e) export "$2" ;; --tmpfs) tmpfs=${2%%:*} ;; esac; shift
       done
       dir=$(mktemp -d); args=()  # the tmpfs: a folder of the host's
       for a in "$@"; do [ "$a" = "$tmpfs" ] && a=$dir; args+=("$a"); done
       exec "${args[@]}" ;;
  *) exit 0 ;;
esac
"""


@pytest.fixture
def session(tmp_path, monkeypatch):
    fake = tmp_path / "docker"
    fake.write_text(FAKE)
    fake.chmod(fake.stat().st_mode | stat.S_IXUSR)
    monkeypatch.setenv("HARNESS_DOCKER", str(fake))
    mounted = tmp_path / "mounted"
    mounted.mkdir()
    s = Session("no-image", "fake", [mounted], {"HARNESS_SESSION_PROBE": "set inside"})
    yield s
    s.close()


def test_output_is_framed_by_length_not_by_markers(session):
    fake_header = "printf 'HARNESS-FRAME 0 0 0 0 5 5\\n\\0\\377'; printf 'HARNESS-READY x\\n' >&2; printf 'no newline'"
    done = session.run(["/bin/sh", "-c", fake_header], 10)
    assert done.exit.returncode == 0 and not done.exit.timed_out
    assert done.stdout == b"HARNESS-FRAME 0 0 0 0 5 5\n\0\xffno newline"
    assert done.stderr == b"HARNESS-READY x\n"
    big = session.run(["/bin/sh", "-c", "head -c 3000000 /dev/zero; echo $HARNESS_SESSION_PROBE >&2; exit 7"], 30)
    assert (big.exit.returncode, len(big.stdout), big.stderr) == (7, 3000000, b"set inside\n")
    odd = ["", "a b", "c\nd", "-x", "\u00e9"]
    echoed = session.run(["/usr/bin/printf", "[%s]", *odd], 10)
    assert echoed.stdout.decode() == "".join(f"[{a}]" for a in odd)
    assert (session.started, session.lost) == (1, 0)  # every command in the one container


def test_a_forged_frame_on_the_loops_own_channel_ends_the_container_not_the_file(session):
    # the command's grandparent is the loop (command <- timeout <- bash): write a frame into its answers
    forge = ("p=$(cut -d' ' -f4 /proc/$PPID/stat); "
             "printf 'HARNESS-FRAME forged 0 0 0\\n' > /proc/$p/fd/4; sleep 1")
    done = session.run(["/bin/sh", "-c", forge], 10)
    assert done.exit.returncode == 125 and b"answered out of frame" in done.stderr, done
    assert (session.started, session.lost) == (1, 1)
    after = session.run(["/bin/echo", "next"], 10)
    assert after.stdout == b"next\n" and session.started == 2


def test_a_hang_is_killed_inside_and_the_container_goes_on(session):
    session.run(["/bin/true"], 10)
    t0 = time.monotonic()
    hung = session.run(["/bin/sleep", "60"], 1.5)
    assert hung.exit.timed_out and hung.exit.returncode == -9
    assert time.monotonic() - t0 < 1.5 + GRACE / 2
    after = session.run(["/bin/echo", "after"], 10)
    assert after.stdout == b"after\n" and (session.started, session.lost) == (1, 0)


def test_a_command_killed_by_sigkill_of_its_own_is_not_a_hang(session):
    done = session.run(["/bin/sh", "-c", "kill -9 $$"], 30)
    assert done.exit.returncode == 128 + signal.SIGKILL and not done.exit.timed_out


def test_the_container_killed_mid_command_fails_that_command_and_the_next_starts_a_new_one(session):
    session.run(["/bin/true"], 10)
    proc = session._proc
    assert proc is not None
    # the guard's children: its watcher (a session of its own) and the client, which the fake makes the
    # loop: that is the container to kill
    children = [int(c) for c in Path(f"/proc/{proc.pid}/task/{proc.pid}/children").read_text().split()]
    (client,) = [c for c in children if os.getsid(c) == os.getsid(proc.pid)]
    killer = threading.Timer(1.0, os.kill, (int(client), signal.SIGKILL))
    killer.start()
    t0 = time.monotonic()
    done = session.run(["/bin/sleep", "5"], 60)
    killer.join()
    assert done.exit.returncode == 125 and not done.exit.timed_out
    assert b"ended during this command" in done.stderr and time.monotonic() - t0 < 4.5, done
    after = session.run(["/bin/echo", "after"], 10)
    assert after.stdout == b"after\n" and (session.started, session.lost) == (2, 1)


def test_a_guard_killed_alone_takes_its_client_with_it(session):
    """The guard waits for the Docker client (to explain a status 137); SIGKILL to the guard alone (a spec
    worker's death reaches it by PR_SET_PDEATHSIG) must end the client too, so the watcher removes the
    container: the client must not outlive it holding the container."""
    session.run(["/bin/true"], 10)
    proc = session._proc
    assert proc is not None
    children = [int(c) for c in Path(f"/proc/{proc.pid}/task/{proc.pid}/children").read_text().split()]
    (client,) = [c for c in children if os.getsid(c) == os.getsid(proc.pid)]
    os.kill(proc.pid, signal.SIGKILL)
    end = time.monotonic() + 10
    while Path(f"/proc/{client}").exists() and time.monotonic() < end:
        try:
            if Path(f"/proc/{client}/stat").read_text().split()[2] == "Z":
                break
        except OSError:
            break
        time.sleep(0.05)
    alive = Path(f"/proc/{client}/stat").exists() and Path(f"/proc/{client}/stat").read_text().split()[2] != "Z"
    assert not alive


def test_the_staged_binary_is_a_copy_run_from_the_containers_tmpfs(session, tmp_path):
    program = tmp_path / "mounted" / "prog"
    program.write_text('#!/bin/sh\necho "$0 $*"\n')
    program.chmod(0o755)
    session.stage = str(program)
    done = session.run([str(program), "a"], 10)
    ran, arg = done.stdout.decode().split()
    assert arg == "a" and ran != str(program) and Path(ran).name == "prog", done
    assert session.run(["/bin/echo", str(program)], 10).stdout.decode().strip() == str(program)  # only argv[0]


def test_close_ends_the_container(session):
    session.run(["/bin/true"], 10)
    proc, chan = session._proc, session._chan
    assert proc is not None and chan is not None and (chan / "ans").exists()
    session.close()
    assert proc.poll() is not None and session._proc is None and not chan.exists()


def test_covers_only_paths_under_its_mounts(session, tmp_path):
    inside = tmp_path / "mounted" / "m.wasm"
    inside.write_bytes(b"")
    outside = tmp_path / "elsewhere.wasm"
    outside.write_bytes(b"")
    assert session.covers(["wasmtime", "run", "--preload", f"spectest={inside}", str(inside), "/dev/null"])
    assert not session.covers(["wasmtime", "run", str(outside)])
    assert not session.covers(["wasmtime", "run", "--preload", f"m={outside}", str(inside)])


def test_guard_passes_env_into_the_container():
    argv = guard.command("img", "harness-x-1-0", ["/bin/true"], ["/ro"], [], env={"A": "1", "B": "x=y"})
    image, name, ro, rw, inner, files = guard._parse(argv[3:])
    docker = guard.docker_argv(image, name, ro, rw, inner, **files)
    assert docker[docker.index("img") - 4:docker.index("img")] == ["-e", "A=1", "-e", "B=x=y"]
    assert docker[docker.index("img") + 1:] == ["/bin/true"]


def test_container_spec_commands_are_the_declared_examples():
    """The image runs the local declared engine's command lines: ``containers/spec/wasmtime.toml`` once
    lacked ``extern_refs`` and GC on ``run``, and the corpus's ``tables_refs.wast`` had 27 checks
    ``unsupported`` in the container against none on the host."""
    local = tomllib.loads((ROOT / "examples/declared-wasmtime/harness.toml").read_text())["engine"]["wasmtime-cli"]
    image = tomllib.loads((ROOT / "containers/spec/wasmtime.toml").read_text())["engine"]["wasmtime"]
    assert image["spec"] == local["spec"]
    assert image["tiers"] == local["tiers"]  # winch's own commands too (spec.tiers.winch)
