"""Instruction counts: a figure that other jobs on a shared runner cannot move, beside wall time.

Hardware counters (``perf stat -e instructions:u``) where the kernel gives them; otherwise valgrind's
cachegrind with its cache simulation off, which counts every user-space instruction the process and its
children execute (it runs them 20-50x slower, so one repetition is enough: the count is deterministic up to
the engine's own nondeterminism, hash seeds and JIT heuristics).  Each row records which counter gave it.
Virtual machines often have no counters: ``perf stat`` then prints ``<not supported>``.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from .. import process

PERF = "perf stat instructions:u (hardware counter)"
VALGRIND = "valgrind cachegrind I refs (simulated, --cache-sim=no)"
SLOWDOWN = 60  # how much longer than a timed run an instruction count may take under valgrind


@dataclass(frozen=True)
class Count:
    value: int | None
    source: str
    message: str | None = None  # why there is no value


def _perf_works() -> bool:
    if not shutil.which("perf"):
        return False
    try:
        r = subprocess.run(["perf", "stat", "-x,", "-e", "instructions:u", "true"], capture_output=True, text=True,
                           timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        return False
    first = (r.stderr.strip().splitlines() or [""])[0]
    return r.returncode == 0 and first.split(",")[0].isdigit()


@cache
def counter() -> str | None:
    """The counter this machine has: ``PERF``, ``VALGRIND``, or None (neither works here)."""
    if _perf_works():
        return PERF
    return VALGRIND if shutil.which("valgrind") else None


def _sum_valgrind(logs: list[Path]) -> int | None:
    total, seen = 0, False
    for log in logs:
        m = re.search(r"I\s+refs:\s+([\d,]+)", log.read_text(errors="replace"))
        if m:
            total, seen = total + int(m.group(1).replace(",", "")), True
    return total if seen else None


def count(argv: list[str], stdin: Path | None, timeout: float, cwd: Path | None = None) -> Count:
    """User-space instructions executed by ``argv`` (its children included) with ``stdin``, output discarded."""
    source = counter()
    if source is None:
        return Count(None, "none", "no instruction counter here: no hardware counters (perf stat) and no valgrind")
    with tempfile.TemporaryDirectory(prefix="harness-icount-") as tmp:
        out = Path(tmp) / "count"
        if source == PERF:
            wrapped = ["perf", "stat", "-x,", "-e", "instructions:u", "-o", str(out), "--", *argv]
        else:
            wrapped = ["valgrind", "--tool=cachegrind", "--cache-sim=no", "--cachegrind-out-file=/dev/null",
                       "--trace-children=yes", f"--log-file={out}.%p", *argv]
        with open(stdin, "rb") if stdin else open(os.devnull, "rb") as fin, open(os.devnull, "wb") as sink:
            ended = process.run(wrapped, timeout=timeout, stdin=fin, stdout=sink, stderr=sink, cwd=cwd)
        if ended.timed_out:
            return Count(None, source, f"timeout after {timeout:.0f} s under {source.split()[0]}")
        if ended.returncode != 0:
            return Count(None, source, f"exit {ended.returncode} under {source.split()[0]}")
        if source == PERF:
            fields = [ln.split(",") for ln in out.read_text().splitlines() if "instructions" in ln]
            value = int(fields[0][0]) if fields and fields[0][0].isdigit() else None
        else:
            value = _sum_valgrind(sorted(Path(tmp).glob("count.*")))
    return Count(value, source, None if value is not None else "the counter printed no count")
