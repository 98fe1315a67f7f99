"""Running one process and measuring it: wall time, CPU time, exact peak RSS, reserved virtual memory.

Peak RSS comes from the kernel's accounting of the finished child (``wait4`` rusage ``ru_maxrss``), so
it covers the whole process.  Linux counts the image a child had before ``exec`` in ``ru_maxrss``, so a
child forked from Python would report at least the harness's own ~13 MB; processes are therefore started
through ``rusage_exec`` (suites/perf/support/rusage_exec.c, a tiny static helper built into the cache)
which forks, execs, waits with wait4 and writes the rusage to a file.  Without zig the harness falls
back to ``os.wait4`` on a direct child and marks peak RSS as an upper bound.

Each measured process starts a session of its own (so a timeout can kill its whole process group).
With scheduler autogroups enabled, a new session is also a new CPU-fairness group: on a machine shared
with other jobs the measured program gets a fair share of its own instead of sharing one with the
harness's session.  This makes figures less sensitive to other load; `harness perf crosscheck` runs
hyperfine the same way so that the two are comparable.  Reserved virtual memory (``VmPeak``) can only be read while
the process lives: a sampler thread reads ``/proc/<pid>/status`` every few milliseconds, so the figure
is a lower bound (exact for engines that reserve their memory at instantiation, as wasm engines do).
"""

from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass
from pathlib import Path

from .. import process
from ..images import guard
from ..paths import REPO_ROOT, cache_dir
from .targets import TARGETS, zig_cc

HELPER_SOURCE = REPO_ROOT / "suites" / "perf" / "support" / "rusage_exec.c"


def rusage_helper() -> Path | None:
    """The rusage_exec helper, built on first use (None if it cannot be built here)."""
    out = cache_dir() / "perf" / "tools" / "rusage_exec"
    if out.exists() and out.stat().st_mtime >= HELPER_SOURCE.stat().st_mtime:
        return out
    out.parent.mkdir(parents=True, exist_ok=True)
    try:
        r = subprocess.run([*zig_cc(), "-target", TARGETS["native64"].triple, "-static", "-O2", "-s", "-o", str(out),
                            str(HELPER_SOURCE)], capture_output=True, text=True, timeout=600)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return out if r.returncode == 0 and out.exists() else None


@dataclass
class Measurement:
    wall: float  # seconds from spawn to reaped exit
    user: float
    sys: float
    max_rss_kb: int
    vm_peak_kb: int | None
    returncode: int
    timed_out: bool
    stderr: str
    rss_exact: bool = True

    @property
    def crashed(self) -> bool:
        return self.returncode != 0 and not self.timed_out


def _vm_peak(pid: int) -> int | None:
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmPeak:"):
                    return int(line.split()[1])
    except (OSError, ValueError, IndexError):
        return None
    return None


def run_measured(argv: list[str], stdin: Path | None, stdout: Path | None, timeout: float,
                 env: dict[str, str] | None = None, cwd: Path | None = None, sample_vm: bool = True,
                 use_helper: bool = True) -> Measurement:
    """Spawn ``argv`` with stdin/stdout redirected to files; wait, measure, kill on timeout.

    The wall time is the helper's own (CLOCK_MONOTONIC from its fork to its wait4), so neither
    Python's spawn cost nor a polling interval is in it.  No threads: a watcher thread costs
    milliseconds of GIL hand-over, which is more than a native process takes to start.
    """
    err_path = (stdout.with_suffix(stdout.suffix + ".stderr") if stdout else None)
    helper = rusage_helper() if use_helper else None
    ru_file = (stdout.with_suffix(stdout.suffix + ".rusage") if stdout else Path(f"/tmp/harness-rusage-{os.getpid()}"))
    if helper:
        ru_file.unlink(missing_ok=True)
        prefix = [str(helper), str(ru_file.resolve()), "--"]
        if guard.is_guarded(argv):
            # In a container the helper runs inside it, so the container's start is not in the figures, and the
            # container opens the stdio files itself (the Docker client's stream is slower than a file).
            ins, outs = (str(stdin.resolve()) if stdin else None), (str(stdout.resolve()) if stdout else None)
            argv = guard.wrap_inside(argv, prefix, ro=[str(helper), *([ins] if ins else [])],
                                     rw=[str(ru_file.parent.resolve())], stdin=ins, stdout=outs)
            stdin = stdout = None
        else:
            argv = [*prefix, *argv]
    vm: int | None = None

    def sample(pid: int) -> None:
        nonlocal vm
        v = _vm_peak(pid)
        if v is not None and (vm is None or v > vm):
            vm = v

    # With the helper, the helper's own wait4 and clock give the figures, and this side blocks in wait4
    # (polling from Python delays short processes by milliseconds on a busy machine).
    with open(stdin, "rb") if stdin else open(os.devnull, "rb") as fin, \
            open(stdout, "wb") if stdout else open(os.devnull, "wb") as fout, \
            open(err_path, "wb") if err_path else open(os.devnull, "wb") as ferr:
        ended = process.run(argv, timeout=timeout, stdin=fin, stdout=fout, stderr=ferr, env=env, cwd=cwd,
                            poll=sample if sample_vm and not helper else None)
    stderr = ""
    if err_path and err_path.exists():
        stderr = err_path.read_bytes()[-2000:].decode(errors="replace")
    if helper:
        try:
            w_ns, u_us, s_us, rss, wstatus, peak = ru_file.read_text().split()
            ru_file.unlink(missing_ok=True)
            code = os.waitstatus_to_exitcode(int(wstatus))
            return Measurement(int(w_ns) / 1e9, int(u_us) / 1e6, int(s_us) / 1e6, int(rss),
                               int(peak) if int(peak) >= 0 else None, code, ended.timed_out, stderr)
        except (OSError, ValueError):
            pass  # killed before it could write: fall through with the helper's own figures
    ru = ended.rusage
    return Measurement(ended.seconds, ru.ru_utime, ru.ru_stime, ru.ru_maxrss, vm, ended.returncode, ended.timed_out,
                       stderr, rss_exact=not helper)


def loadavg() -> float:
    try:
        return os.getloadavg()[0]
    except OSError:
        return -1.0
