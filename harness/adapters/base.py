"""The adapter contract every engine fulfils.

An engine is ``runtime:tier`` (``wasmtime:cranelift``).  An adapter answers, for each of its tiers:
is it available here (and if not, why, and how to install it), which version, and which capabilities
it has.  Running things is done by the stage that needs it (``harness.spec``, ``harness.wasi``,
``harness.perf``) through the small helpers here (binary paths, tier flags), so adding a runtime means
one adapter plus one driver per capability.
"""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

# Capability names.
SPEC = "spec"  # run .wast commands with per-assertion outcomes
WASI = "wasi"  # run a WASI preview1 program
PHASES = "phases"  # reports compile / instantiate / execute separately
PERF = "perf"  # can be timed on workloads (WASI programs or native executables)


class UnknownEngineError(ValueError):
    """An engine name that no adapter knows."""


@dataclass(frozen=True)
class EngineSpec:
    """A parsed ``runtime:tier`` name."""

    runtime: str
    tier: str

    @property
    def name(self) -> str:
        return f"{self.runtime}:{self.tier}" if self.tier else self.runtime

    def __str__(self) -> str:
        return self.name


@dataclass
class Availability:
    ok: bool
    reason: str = ""  # why not, when not ok
    install: str = ""  # how to get it, when not ok

    def __bool__(self) -> bool:
        return self.ok


@dataclass
class Adapter:
    """Base adapter.  Subclasses set the class attributes and override ``_probe``/``version``."""

    runtime: str = ""
    tiers: tuple[str, ...] = ()
    default_tier: str = ""
    description: str = ""
    install_hint: str = ""
    capabilities_by_tier: dict[str, frozenset[str]] = field(default_factory=dict)

    def engines(self) -> list[EngineSpec]:
        return [EngineSpec(self.runtime, t) for t in self.tiers]

    def capabilities(self, tier: str) -> frozenset[str]:
        return self.capabilities_by_tier.get(tier, frozenset())

    def available(self, tier: str) -> Availability:
        if tier not in self.tiers:
            return Availability(False, f"{self.runtime} has no tier {tier!r} (tiers: {', '.join(self.tiers)})")
        return self._probe(tier)

    def _probe(self, tier: str) -> Availability:  # pragma: no cover - overridden
        return Availability(False, "not implemented")

    def version(self) -> str | None:
        return None


def find_binary(name: str, *candidates: Path | str | None) -> Path | None:
    """First existing executable among explicit candidates, then PATH."""
    for c in candidates:
        if c and Path(c).is_file():
            return Path(c)
    found = shutil.which(name)
    return Path(found) if found else None


def run_version(argv: list[str], timeout: float = 20.0) -> str | None:
    """First line of a ``--version`` style command, or None if it cannot run."""
    try:
        out = subprocess.run(argv, capture_output=True, text=True, timeout=timeout)
    except (OSError, subprocess.TimeoutExpired):
        return None
    text = (out.stdout or out.stderr).strip()
    return text.splitlines()[0].strip() if text else None


class cached_probe(cached_property):
    """Alias documenting that a property probes the machine once per process."""
