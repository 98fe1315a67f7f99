"""Our engine (``harness.engine``): every tier runs WASI programs through ``python -m harness.wasi.child``."""

from __future__ import annotations

from pathlib import Path

from .base import (
    ALL,
    PHASES,
    SPEC,
    WASM3_FEATURES,
    Adapter,
    Availability,
    EngineSpec,
    FeatureSupport,
    Invocation,
    child_command,
    has_module,
    supported,
    unsupported,
)

TIERS = ("interp", "singlepass", "llvm")
# tiers that do not yet pass the whole spec suite, with what they cover (docs/SINGLEPASS_TIER.md): only an
# explicit ``ours:<tier>`` selects them, not ``ours`` (the default test run, harness all)
PARTIAL: dict[str, str] = {}  # none: singlepass passes the whole 2.0 suite (SIMD included) since issue 23
# Every bounds mode and optimisation level of the LLVM tier a user can ask for, as a tier of its own so the
# spec suite judges each (``llvm`` is the tier's default: guard pages on x86-64 Linux, explicit checks
# elsewhere, O2).  Only ``harness all`` and explicit names run them; the spec suite is their only capability.
LLVM_VARIANTS: dict[str, dict[str, object]] = {
    "llvm-guard": {"bounds": "guard"},
    "llvm-explicit": {"bounds": "explicit"},
    "llvm-O0": {"opt_level": 0},
    "llvm-O1": {"opt_level": 1},
    "llvm-O3": {"opt_level": 3},
    "llvm-explicit-O0": {"bounds": "explicit", "opt_level": 0},
}


def store_options(tier: str) -> tuple[str, dict[str, object]]:
    """The engine tier and ``api.Store`` options of one of our tiers or its variants."""
    return ("llvm", dict(LLVM_VARIANTS[tier])) if tier in LLVM_VARIANTS else (tier, {})


def _guard_pages() -> Availability:
    """Whether this host can run the LLVM tier's guard-page code (``faults.preferred`` says when it is the default)."""
    from harness.engine.runtime import memory
    from harness.engine.tiers.llvm import faults

    if not faults.supported():
        return Availability(False, "guard-page bounds need Linux on x86-64 or aarch64")
    if not memory.guarded_reservations():
        return Availability(False, "guard-page bounds need 8 GiB reservations, which the address-space limit "
                                   "(ulimit -v) forbids")
    return Availability(True)


class OursAdapter(Adapter):
    def __init__(self) -> None:
        super().__init__(
            runtime="ours",
            tiers=(*TIERS, *LLVM_VARIANTS),
            default_tier="interp",
            description="this project's engine (harness.engine)",
            install_hint="part of the harness: reinstall from a full checkout (bash scripts/setup)",
            capabilities_by_tier={**{t: ALL | {PHASES} for t in TIERS},
                                  **dict.fromkeys(LLVM_VARIANTS, frozenset({SPEC}))},
            spec_driver="harness.spec.drivers.ours:OursDriver",
            slow_tiers=frozenset({"interp"}),  # singlepass runs machine code: the full-size inputs, as llvm
        )

    def engines(self) -> list[EngineSpec]:
        return [e for e in super().engines() if e.tier not in PARTIAL and e.tier not in LLVM_VARIANTS]

    def partial(self) -> dict[str, str]:
        return dict(PARTIAL)

    def variants(self) -> list[EngineSpec]:
        """The LLVM tier's variants that differ from ``ours:llvm`` on this host (there, the bounds mode
        ``auto`` picks is ``llvm`` itself)."""
        if not self.available("llvm"):
            return []
        from harness.engine.tiers.llvm import faults

        same = "llvm-guard" if faults.preferred() else "llvm-explicit"
        return [EngineSpec(self.runtime, v) for v in LLVM_VARIANTS if v != same]

    def _probe(self, tier: str) -> Availability:
        tier, options = store_options(tier)
        if options.get("bounds") == "guard":
            base = self._probe(tier)
            return base if not base else _guard_pages()
        if tier == "interp":
            ok = has_module("harness.engine.api")
            return Availability(ok, "" if ok else "the engine's embedding API is missing from this checkout")
        if tier == "llvm":
            if not has_module("llvmlite"):
                return Availability(False, "llvmlite is not installed", "pip install 'harness[llvm]'")
            ok = has_module("harness.engine.tiers.llvm")
            return Availability(ok, "" if ok else "the LLVM tier is not in this checkout yet")
        from harness.engine.tiers.singlepass import unavailable_reason

        reason = unavailable_reason()
        return Availability(not reason, reason)

    def features(self, tier: str) -> dict[str, FeatureSupport]:
        """What the engine says each tier compiles (``harness.engine.api.TIER_FEATURES``): always on, no
        switch; the driver validates by the suite's version."""
        from harness.engine.api import TIER_FEATURES

        has = TIER_FEATURES.get(store_options(tier)[0], frozenset())
        return {f: supported() if f in has else unsupported("not compiled by this tier yet") for f in WASM3_FEATURES}

    def version(self) -> str | None:
        from .. import __version__

        return f"harness-engine {__version__}"

    def wasi_command(self, tier: str, inv: Invocation, scratch: Path) -> list[str]:
        # One Python process, as a user embedding the engine has.
        return child_command(f"{self.runtime}:{tier}", inv)
