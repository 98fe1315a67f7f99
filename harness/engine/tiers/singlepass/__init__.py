"""The singlepass tier (``ours:singlepass``): one pass over each validated function body straight to machine
code, with no IR and no optimiser, as baseline compilers do (wasmtime's Winch, V8's Liftoff, Wasmer's
singlepass).  docs/SINGLEPASS_TIER.md describes the design, the internal ABI and what it covers.

Only x86-64 Linux has a code generator so far (``x86_64/``); elsewhere the tier is unavailable and says why.
"""

from __future__ import annotations

import os
import sys

# CPU features the x86-64 code generator emits instructions of (SSE4.1 round*, pmovsx, pinsr, ptest; SSSE3
# pshufb, pabs*, pmulhrsw; SSE4.2 pcmpgtq; popcnt)
REQUIRED_FLAGS = ("ssse3", "sse4_1", "sse4_2", "popcnt")


def unavailable_reason() -> str:
    """Why this host cannot run the tier, or "" when it can: the harness's adapter asks before listing it."""
    machine = os.uname().machine.lower() if hasattr(os, "uname") else "unknown"
    if not sys.platform.startswith("linux") or machine not in ("x86_64", "amd64"):
        return f"the singlepass tier generates x86-64 Linux code only so far, not {sys.platform}/{machine}"
    try:
        with open("/proc/cpuinfo", encoding="ascii", errors="replace") as f:
            flags = next((line.split(":", 1)[1].split() for line in f if line.startswith("flags")), [])
    except OSError:
        return ""
    missing = [flag for flag in REQUIRED_FLAGS if flag not in flags]
    return f"the CPU lacks {', '.join(missing)}, which the singlepass tier's code uses" if missing else ""


def cpu_identity() -> str:
    """What the generated code depends on of the host, for the code cache's key: the architecture and the CPU
    features it emits instructions of (all required, so equal on every host that can run the tier)."""
    machine = os.uname().machine.lower() if hasattr(os, "uname") else "unknown"
    return f"{machine}:{'+'.join(REQUIRED_FLAGS)}"


def __getattr__(name: str):
    if name == "SinglepassTier":
        from .tier import SinglepassTier

        return SinglepassTier
    raise AttributeError(name)
