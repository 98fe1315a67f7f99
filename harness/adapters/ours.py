"""Our engine (``harness.engine``): every tier runs WASI programs through ``python -m harness.wasi.child``."""

from __future__ import annotations

from pathlib import Path

from .base import ALL, PHASES, Adapter, Availability, Invocation, child_command, has_module

TIERS = ("interp", "singlepass", "llvm")


class OursAdapter(Adapter):
    def __init__(self) -> None:
        super().__init__(
            runtime="ours",
            tiers=TIERS,
            default_tier="interp",
            description="this project's engine (harness.engine)",
            install_hint="part of the harness: reinstall from a full checkout (bash scripts/setup)",
            capabilities_by_tier={t: ALL | {PHASES} for t in TIERS},
            spec_driver="harness.spec.drivers.ours:OursDriver",
            slow_tiers=frozenset({"interp", "singlepass"}),
        )

    def _probe(self, tier: str) -> Availability:
        if tier == "interp":
            ok = has_module("harness.engine.api")
            return Availability(ok, "" if ok else "the engine's embedding API is missing from this checkout")
        if tier == "llvm":
            if not has_module("llvmlite"):
                return Availability(False, "llvmlite is not installed", "pip install 'harness[llvm]'")
            ok = has_module("harness.engine.tiers.llvm")
            return Availability(ok, "" if ok else "the LLVM tier is not in this checkout yet")
        ok = has_module("harness.engine.tiers.singlepass")
        return Availability(ok, "" if ok else "the singlepass tier is planned for a later release")

    def version(self) -> str | None:
        from .. import __version__

        return f"harness-engine {__version__}"

    def wasi_command(self, tier: str, inv: Invocation, scratch: Path) -> list[str]:
        # One Python process, as a user embedding the engine has.
        return child_command(f"{self.runtime}:{tier}", inv)
