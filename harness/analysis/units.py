"""How figures are written in claims and reports: a missing figure is "-", durations in µs, ms or s,
memory in KiB, MiB or GiB."""

from __future__ import annotations

import math


def fmt(x: float | None, spec: str = ".2f") -> str:
    return "-" if x is None or (isinstance(x, float) and math.isnan(x)) else format(x, spec)


def duration(x: float | None) -> str:
    if x is None or math.isnan(x):
        return "-"
    return f"{x * 1e6:.0f} µs" if x < 1e-3 else (f"{x * 1000:.1f} ms" if x < 1 else f"{x:.2f} s")


def memory(kib: float | None) -> str:
    """A size given in KiB, in KiB below one MiB (a tiny process must not read as 0.0 MiB), GiB above one."""
    if kib is None or math.isnan(kib):
        return "-"
    if kib < 1024:
        return f"{kib:.0f} KiB"
    return f"{kib / 1024:.1f} MiB" if kib < 1024**2 else f"{kib / 1024**2:.2f} GiB"
