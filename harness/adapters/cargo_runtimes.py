"""Runtimes with a CLI that is built from source: wasmer and wasmi from crates.io (``harness runtimes
install`` runs cargo into the harness cache), WAMR's ``iwasm`` when on PATH.  Each spells preopens its own
way; none has a spec driver."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from .base import PERF, WASI, Adapter, Availability, Invocation, RunnerUnavailable, env_flags, run_version
from .locate import cargo_binary


class CargoRuntimeAdapter(Adapter):
    """A WASI CLI built with cargo (``cargo_install``: crate@version and cargo arguments) or found on PATH."""

    cargo_install: tuple[str, list[str]] | None = None

    def __init__(self, runtime: str, binary: str, tiers: tuple[str, ...], description: str,
                 install_hint: str = "") -> None:
        super().__init__(
            runtime=runtime, tiers=tiers, default_tier=tiers[0], description=description,
            install_hint=install_hint or f"harness runtimes install {runtime}   (cargo install into the harness cache)",
            capabilities_by_tier={t: frozenset({WASI, PERF}) for t in tiers},
        )
        self.binary_name = binary

    def binary(self) -> Path | None:
        found = cargo_binary(self.binary_name) or shutil.which(self.binary_name)
        return Path(found) if found else None

    def _probe(self, tier: str) -> Availability:
        if self.binary() is None:
            return Availability(False, f"{self.binary_name} is not built", self.install_hint)
        return Availability(True)

    def version(self) -> str | None:
        b = self.binary()
        return run_version([str(b), "--version"]) if b else None

    def _cli(self) -> str:
        b = self.binary()
        if b is None:
            raise RunnerUnavailable(f"{self.binary_name} is not built here", self.install_hint)
        return str(b)


class WasmerAdapter(CargoRuntimeAdapter):
    # Its LLVM backend needs an LLVM matching llvm-sys: we build cranelift and singlepass, which need only
    # cargo.  wasmer-cli 7.5 needs rustc 1.96; 7.4.2 builds with the 1.95 toolchain this machine kind has.
    cargo_install = ("wasmer-cli@7.4.2", ["--features", "cranelift,singlepass"])

    def __init__(self) -> None:
        super().__init__("wasmer", "wasmer", ("cranelift", "singlepass", "llvm"), "Wasmer CLI built with cargo")
        self._backends: tuple[str, ...] | None = None

    def _probe(self, tier: str) -> Availability:
        av = super()._probe(tier)
        if av and tier not in self._wasmer_backends():
            return Availability(False, f"this wasmer build has no {tier} backend ({', '.join(self._wasmer_backends())})",
                                "rebuild wasmer-cli with --features llvm against a matching LLVM")
        return av

    def _wasmer_backends(self) -> tuple[str, ...]:
        """Backends compiled into the wasmer binary, from ``wasmer -Vv`` ("runtimes: Singlepass, Cranelift")."""
        if self._backends is None:
            self._backends = ()
            try:
                out = subprocess.run([str(self.binary()), "-Vv"], capture_output=True, text=True, timeout=20).stdout
            except (OSError, subprocess.TimeoutExpired):
                out = ""
            for line in out.splitlines():
                if line.lower().startswith("runtimes:"):
                    self._backends = tuple(p.strip().lower() for p in line.split(":", 1)[1].split(","))
        return self._backends

    def wasi_command(self, tier: str, inv: Invocation, scratch: Path) -> list[str]:
        argv = [self._cli(), "run", f"--{tier}"]
        for host, guest in inv.dirs:
            argv += ["--volume", f"{host}:{guest}"]
        return [*argv, *env_flags(inv.env), str(inv.wasm.resolve()), "--", *inv.args]


class WasmiAdapter(CargoRuntimeAdapter):
    cargo_install = ("wasmi_cli@2.0.0", [])

    def __init__(self) -> None:
        super().__init__("wasmi", "wasmi", ("interp",), "wasmi interpreter CLI built with cargo")

    def wasi_command(self, tier: str, inv: Invocation, scratch: Path) -> list[str]:
        return wasmi_argv(self._cli(), inv)


def wasmi_argv(binary: str, inv: Invocation) -> list[str]:
    """wasmi's ``--dir`` has no guest name: the guest sees the path exactly as given.  When every preopen is
    ``BASE/GUEST`` mapped to a relative ``GUEST`` (the testsuites' layout), start wasmi in BASE with
    ``--dir GUEST``; a WASI program cannot observe the host's working directory, so nothing else changes.
    Other mappings fall back to the host path as the guest name."""
    wasm = str(inv.wasm.resolve())
    bases = set()
    for host, guest in inv.dirs:
        hp, gp = Path(host).resolve().parts, Path(guest).parts
        if Path(guest).is_absolute() or not gp or ".." in gp or hp[-len(gp):] != gp:
            bases = set()
            break
        bases.add(str(Path(*hp[: len(hp) - len(gp)])))
    if len(bases) == 1:
        dirs = [a for _, guest in inv.dirs for a in ("--dir", guest)]
        return ["env", "-C", bases.pop(), binary, *dirs, *env_flags(inv.env), wasm, *inv.args]
    dirs = [a for host, _ in inv.dirs for a in ("--dir", host)]
    return [binary, *dirs, *env_flags(inv.env), wasm, *inv.args]
