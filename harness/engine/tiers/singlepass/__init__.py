"""The singlepass tier (``ours:singlepass``): one pass over each validated function body straight to machine
code, with no IR and no optimiser, as baseline compilers do (wasmtime's Winch, V8's Liftoff, Wasmer's
singlepass).  docs/SINGLEPASS_TIER.md describes the design, the internal ABI and what it covers.

One code generator per ISA, chosen by the host's architecture: ``x86_64/`` (x86-64 Linux) and ``aarch64/``
(aarch64 Linux); each holds its encoder, its code generator and its stubs (``isa_module``).  Elsewhere the
tier is unavailable and says why.
"""

from __future__ import annotations

import importlib
import os
import sys

# CPU features the x86-64 code generator emits instructions of (SSE4.1 round*, pmovsx, pinsr, ptest; SSSE3
# pshufb, pabs*, pmulhrsw; SSE4.2 pcmpgtq; popcnt).  The aarch64 one emits the base A64 instruction set and
# NEON (Advanced SIMD), which every aarch64 Linux host has: no feature check there.
REQUIRED_FLAGS = ("ssse3", "sse4_1", "sse4_2", "popcnt")
_ISAS = {"x86_64": "x86_64", "amd64": "x86_64", "aarch64": "aarch64", "arm64": "aarch64"}


def _machine() -> str:
    return os.uname().machine.lower() if hasattr(os, "uname") else "unknown"


def isa() -> str | None:
    """The code generator for this host: "x86_64", "aarch64", or None (no generator for it)."""
    return _ISAS.get(_machine()) if sys.platform.startswith("linux") else None


def isa_module(name: str):
    """The host ISA's module ``name`` ("codegen", "stubs", "encoder") of this package."""
    which = isa()
    if which is None:
        raise RuntimeError(unavailable_reason())
    return importlib.import_module(f".{which}.{name}", __name__)


def unavailable_reason() -> str:
    """Why this host cannot run the tier, or "" when it can: the harness's adapter asks before listing it."""
    which = isa()
    if which is None:
        return (f"the singlepass tier generates code for x86-64 and aarch64 Linux only, not "
                f"{sys.platform}/{_machine()}")
    if which == "aarch64":
        return ""
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
    machine = _machine()
    return f"{machine}:{'+'.join(REQUIRED_FLAGS)}" if isa() != "aarch64" else f"{machine}:a64+neon"


def __getattr__(name: str):
    if name == "SinglepassTier":
        from .tier import SinglepassTier

        return SinglepassTier
    raise AttributeError(name)
