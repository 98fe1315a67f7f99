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
import signal
import subprocess
import threading
import time
from dataclasses import dataclass
from pathlib import Path

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
    Python's spawn cost nor this loop's polling interval is in it.  No threads: a watcher thread costs
    milliseconds of GIL hand-over, which is more than a native process takes to start.
    """
    err_path = (stdout.with_suffix(stdout.suffix + ".stderr") if stdout else None)
    helper = rusage_helper() if use_helper else None
    ru_file = (stdout.with_suffix(stdout.suffix + ".rusage") if stdout else Path(f"/tmp/harness-rusage-{os.getpid()}"))
    if helper:
        ru_file.unlink(missing_ok=True)
        argv = [str(helper), str(ru_file), "--", *argv]
    fin = open(stdin, "rb") if stdin else subprocess.DEVNULL
    fout = open(stdout, "wb") if stdout else subprocess.DEVNULL
    ferr = open(err_path, "wb") if err_path else subprocess.DEVNULL
    vm: int | None = None
    timed_out = False
    try:
        t0 = time.perf_counter()
        proc = subprocess.Popen(argv, stdin=fin, stdout=fout, stderr=ferr, env=env, cwd=cwd,
                                start_new_session=True)
        if helper and threading.current_thread() is threading.main_thread():
            # Block in wait4 (polling from Python delays short processes by milliseconds on a busy
            # machine); a SIGALRM handler kills the process group on timeout.
            fired = []

            def on_alarm(signum, frame):
                fired.append(True)
                try:
                    os.killpg(proc.pid, signal.SIGKILL)
                except OSError:
                    pass

            old = signal.signal(signal.SIGALRM, on_alarm)
            signal.setitimer(signal.ITIMER_REAL, timeout)
            try:
                _, status, ru = os.wait4(proc.pid, 0)
            finally:
                signal.setitimer(signal.ITIMER_REAL, 0)
                signal.signal(signal.SIGALRM, old)
            timed_out = bool(fired)
        else:
            deadline = t0 + timeout
            interval = 0.0005
            while True:
                pid, status, ru = os.wait4(proc.pid, os.WNOHANG)
                if pid:
                    break
                if sample_vm and not helper:
                    v = _vm_peak(proc.pid)
                    if v is not None and (vm is None or v > vm):
                        vm = v
                if time.perf_counter() > deadline and not timed_out:
                    timed_out = True
                    try:
                        os.killpg(proc.pid, signal.SIGKILL)
                    except OSError:
                        pass
                time.sleep(interval)
                interval = min(0.02, interval * 1.5)
        wall = time.perf_counter() - t0
        proc.returncode = os.waitstatus_to_exitcode(status)
    finally:
        for f in (fin, fout, ferr):
            if hasattr(f, "close"):
                f.close()
    stderr = ""
    if err_path and err_path.exists():
        stderr = err_path.read_bytes()[-2000:].decode(errors="replace")
    if helper:
        try:
            w_ns, u_us, s_us, rss, wstatus, peak = ru_file.read_text().split()
            ru_file.unlink(missing_ok=True)
            code = os.waitstatus_to_exitcode(int(wstatus))
            return Measurement(int(w_ns) / 1e9, int(u_us) / 1e6, int(s_us) / 1e6, int(rss),
                               int(peak) if int(peak) >= 0 else None, code, timed_out, stderr)
        except (OSError, ValueError):
            pass  # killed before it could write: fall through with the helper's own figures
    return Measurement(wall, ru.ru_utime, ru.ru_stime, ru.ru_maxrss, vm, proc.returncode, timed_out,
                       stderr, rss_exact=not helper)


def loadavg() -> float:
    try:
        return os.getloadavg()[0]
    except OSError:
        return -1.0
