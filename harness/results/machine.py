"""The machine fingerprint recorded with every run, so figures from different machines never mix silently."""

from __future__ import annotations

import os
import platform
import sys
from functools import cache


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith(("model name", "Model", "CPU part")):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _first_field(path: str, keys: tuple[str, ...]) -> str | None:
    """The value of the first ``key: value`` line of ``path`` whose key is one of ``keys``."""
    try:
        with open(path) as f:
            for line in f:
                key, _, value = line.partition(":")
                if key.strip() in keys:
                    return value.strip()
    except OSError:
        pass
    return None


def _read(path: str) -> str | None:
    try:
        with open(path) as f:
            return f.read().strip() or None
    except OSError:
        return None


def _details() -> dict[str, str | float]:
    """What a reader needs to compare two machines' timings, where the kernel lets us read it: CPU
    family/model/stepping (virtual machines often name only the vendor), clock, memory and the frequency
    governor."""
    out: dict[str, str | float] = {}
    ids = [(k, _first_field("/proc/cpuinfo", (k,))) for k in ("cpu family", "model", "stepping")]
    if all(v for _, v in ids):
        out["cpu_id"] = ", ".join(f"{k} {v}" for k, v in ids)
    mhz = _first_field("/proc/cpuinfo", ("cpu MHz",))
    if mhz:
        out["cpu_mhz"] = round(float(mhz))
    mem = _first_field("/proc/meminfo", ("MemTotal",))
    if mem and mem.split()[0].isdigit():
        out["memory_gib"] = round(int(mem.split()[0]) / 2**20, 1)
    governor = _read("/sys/devices/system/cpu/cpu0/cpufreq/scaling_governor")
    if governor:
        out["governor"] = governor
    return out


@cache
def machine_fingerprint() -> dict[str, str | int | float]:
    return {
        "arch": platform.machine(),
        "cpu": _cpu_model(),
        "cores": os.cpu_count() or 0,
        "os": f"{platform.system()} {platform.release()}",
        "kernel": platform.version(),
        "python": sys.version.split()[0],
        "hostname": platform.node(),
        **_details(),
    }
