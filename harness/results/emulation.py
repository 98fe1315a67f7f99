"""Mark the runs of a store as measured under emulation, from the host that ran the emulator.

    python -m harness.results.emulation SHARD.db     (ci/shard aarch64-emulated runs it after its commands)

A harness running under qemu-user cannot tell reliably that it is emulated: qemu-user 7 passed the host's
``/proc/cpuinfo`` through (an x86 vendor beside ``aarch64``, which ``analysis.history.is_emulated``
recognises), but qemu 8 and later show a made-up one ("ARMv8 Processor rev 0 (v8l)"), and the chroot
gets a clean environment.  The host knows, so it says so: every run of a foreign architecture that does
not already say whether it was emulated gets ``machine.emulated = true``, the emulator's version and the
host's own architecture and CPU, so the dashboard never plots its timings with native ones.
"""

from __future__ import annotations

import json
import platform
import sqlite3
import subprocess
import sys
from pathlib import Path

from .machine import machine_fingerprint


def emulator_version(arch: str) -> str | None:
    """``qemu-<arch>-static --version``'s first line, if that emulator is here."""
    for name in (f"qemu-{arch}-static", f"qemu-{arch}"):
        try:
            out = subprocess.run([name, "--version"], capture_output=True, text=True, timeout=20).stdout
        except (OSError, subprocess.TimeoutExpired):
            continue
        if out.strip():
            return out.splitlines()[0].strip()
    return None


def mark_emulated(db: Path, host_arch: str | None = None) -> list[str]:
    """Mark the runs in ``db`` whose machine is of another architecture than this host (``host_arch``)
    and that do not say whether they were emulated; the run ids marked."""
    host_arch = host_arch or platform.machine()
    host = machine_fingerprint()
    marked = []
    with sqlite3.connect(db) as conn:
        for run_id, machine in conn.execute("SELECT run_id, machine FROM runs").fetchall():
            m = json.loads(machine or "{}")
            arch = m.get("arch")
            if not arch or arch == host_arch or "emulated" in m:
                continue
            m.update(emulated=True, emulator=emulator_version(arch) or "qemu-user",
                     host_arch=host_arch, host_cpu=host.get("cpu", ""))
            conn.execute("UPDATE runs SET machine=? WHERE run_id=?", (json.dumps(m), run_id))
            marked.append(run_id)
    conn.close()
    return marked


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1 or not Path(args[0]).is_file():
        print("usage: python -m harness.results.emulation SHARD.db (an existing results store)", file=sys.stderr)
        return 2
    marked = mark_emulated(Path(args[0]))
    print(f"{len(marked)} runs of {args[0]} marked as measured under emulation", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
