"""The native baselines: the same sources built as native executables (``native64``, ``native32``) and, for
claim 6, built for the other 64-bit architecture and run under qemu user-mode emulation (``qemu-user``).

native64 is the host: the zig triples come from ``platform.machine()`` (``host_triples``), so on an
aarch64 machine native64 is aarch64, native32 32-bit Arm and foreign64 x86-64.
"""

from __future__ import annotations

import platform
import shutil
from dataclasses import dataclass
from pathlib import Path

from .base import PERF, Adapter, Availability, EngineSpec, Invocation, has_module, run_version
from .locate import package_dir


@dataclass(frozen=True)
class HostTriples:
    """zig ``-target`` triples of the native targets on one host architecture."""

    native64: str
    native32: str
    foreign64: str  # the other 64-bit architecture: runs here only under emulation


# Keyed by the canonical ``platform.machine()`` spelling; ``MACHINE_ALIASES`` maps the others.
HOSTS = {
    "x86_64": HostTriples("x86_64-linux-musl", "x86-linux-musl", "aarch64-linux-musl"),
    "aarch64": HostTriples("aarch64-linux-musl", "arm-linux-musleabihf", "x86_64-linux-musl"),
}
MACHINE_ALIASES = {"amd64": "x86_64", "arm64": "aarch64"}


def host_machine(machine: str | None = None) -> str:
    """The canonical name of ``machine`` (default this host's)."""
    m = (machine or platform.machine()).lower()
    return MACHINE_ALIASES.get(m, m)


def host_triples(machine: str | None = None) -> HostTriples | None:
    """The native targets' triples on ``machine`` (default the host), or None if we have none for it."""
    return HOSTS.get(host_machine(machine))


def foreign_arch(machine: str | None = None) -> str | None:
    """The foreign 64-bit architecture of ``machine`` (default the host), or None if we have no pair."""
    triples = host_triples(machine)
    return triples.foreign64.split("-")[0] if triples else None


def _zig_version() -> str | None:
    d = package_dir("ziglang")
    v = run_version([str(d / "zig"), "version"]) if d else None
    return f"zig {v}" if v else None


def _unpaired(machine: str) -> Availability:
    return Availability(False, f"native targets are defined for x86-64 and aarch64 hosts only (this is {machine})",
                        "add the host's zig triples to harness/adapters/native.py HOSTS")


class NativeAdapter(Adapter):
    """Native executables built from the same sources: the baseline of every perf ratio."""

    def __init__(self, runtime: str, description: str, machine: str | None = None) -> None:
        super().__init__(
            runtime=runtime, tiers=("",), default_tier="", description=description,
            install_hint="pip install ziglang  (zig cc builds the native binaries)",
            capabilities_by_tier={"": frozenset({PERF})},
            program_target=runtime,
        )
        self.machine = host_machine(machine)

    def engines(self) -> list[EngineSpec]:
        return [EngineSpec(self.runtime, "")]

    def _probe(self, tier: str) -> Availability:
        if host_triples(self.machine) is None:
            return _unpaired(self.machine)
        if not has_module("ziglang"):
            return Availability(False, "zig (PyPI ziglang) is not installed", self.install_hint)
        return Availability(True)

    def version(self) -> str | None:
        return _zig_version()

    def run_command(self, tier: str, inv: Invocation, scratch: Path) -> list[str]:
        return [str(inv.wasm), *inv.args]


class QemuUserAdapter(Adapter):
    """The same program built for the foreign architecture, run under qemu user-mode emulation.

    It stands in for "an x86 container emulated on an ARM machine" (claim 6): the mirror image on an
    x86-64 host is an aarch64 binary under ``qemu-aarch64-static``.  It needs zig (to build the
    foreign binary) and the emulator for the foreign architecture.
    """

    def __init__(self, machine: str | None = None) -> None:
        self.machine = host_machine(machine)
        self.arch = foreign_arch(self.machine)
        super().__init__(
            runtime="qemu-user", tiers=("",), default_tier="",
            description=f"the program built for {self.arch or 'another architecture'}, run under qemu "
                        "user-mode emulation",
            install_hint="apt-get install qemu-user-static  (and pip install ziglang to build the binary)",
            capabilities_by_tier={"": frozenset({PERF})},
            program_target="foreign64",
        )

    def engines(self) -> list[EngineSpec]:
        return [EngineSpec(self.runtime, "")]

    def emulator_names(self) -> list[str]:
        """qemu-user-static's binary first, then the dynamically linked one of the qemu-user package."""
        return [f"qemu-{self.arch}-static", f"qemu-{self.arch}"] if self.arch else []

    def binary(self) -> Path | None:
        for name in self.emulator_names():
            found = shutil.which(name)
            if found:
                return Path(found)
        return None

    def _probe(self, tier: str) -> Availability:
        if self.arch is None:
            return Availability(False, f"no foreign architecture is paired with this host ({self.machine}); "
                                       "qemu-user emulation is measured on x86-64 and aarch64 hosts only")
        if self.binary() is None:
            return Availability(False, f"{self.emulator_names()[0]} is not on PATH (no qemu user-mode emulator "
                                       f"for {self.arch})", self.install_hint)
        if not has_module("ziglang"):
            return Availability(False, f"zig (PyPI ziglang) is not installed: nothing builds the {self.arch} "
                                       "binary", "pip install ziglang")
        return Availability(True)

    def version(self) -> str | None:
        b = self.binary()
        return run_version([str(b), "--version"]) if b else None

    def run_command(self, tier: str, inv: Invocation, scratch: Path) -> list[str]:
        return [str(self.binary()), str(inv.wasm), *inv.args]
