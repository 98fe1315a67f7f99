"""The adapter contract every runtime fulfils.

An engine is ``runtime:tier`` (``wasmtime:cranelift``).  One ``Adapter`` per runtime answers, for each of
its tiers: is it available here (and if not, why, and how to install it), which version, which
capabilities it has, and how to run things on it:

- ``wasi_command``: the argv that runs one WASI preview1 program (``Invocation``).  The WASI runner,
  ``harness run`` and ``harness perf`` all take their command lines from here, so they cannot disagree;
- ``run_command``: what ``harness perf`` times; the WASI command line, except for the native baselines,
  which run the executable built for their ``program_target``;
- ``precompile``/``compile_command`` for a runtime with an ahead-of-time step (``precompiles``);
- ``spec_driver``: where its spec conformance driver lives (``harness/spec/drivers/``);
- ``slow_tiers``: tiers too slow for the full-size perf inputs (they run the small size class);
- ``features(tier)``: which WebAssembly 3.0 proposals the tier has and how its spec driver turns each on
  (``FeatureSupport``), declared as data in the adapter module and recorded with every spec run.

Adding a runtime therefore takes one adapter module here (plus its spec driver in ``harness/spec/drivers/``
when it has one) and one line in ``registry.py``; nothing in ``harness/spec``, ``harness/wasi`` or
``harness/perf`` names runtimes.
"""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

# Capability names.
SPEC = "spec"  # run .wast commands with per-assertion outcomes
WASI = "wasi"  # run a WASI preview1 program
PHASES = "phases"  # reports compile / instantiate / execute separately
PERF = "perf"  # can be timed on workloads (WASI programs or native executables)
ALL = frozenset({SPEC, WASI, PERF})

# The proposals WebAssembly 3.0 adds to 2.0, named as the spec's proposals repository and our engine
# (``harness.engine.features``) name them.
GC = "gc"
FUNCTION_REFERENCES = "function-references"
EXCEPTIONS = "exceptions"
TAIL_CALL = "tail-call"
MEMORY64 = "memory64"
MULTI_MEMORY = "multi-memory"
RELAXED_SIMD = "relaxed-simd"
EXTENDED_CONST = "extended-const"
WASM3_FEATURES = (GC, FUNCTION_REFERENCES, EXCEPTIONS, TAIL_CALL, MEMORY64, MULTI_MEMORY, RELAXED_SIMD,
                  EXTENDED_CONST)


class UnknownEngineError(ValueError):
    """An engine name that no adapter knows."""


class RunnerUnavailable(Exception):
    """This engine cannot run the thing asked for here; the message gives the reason and the fix."""

    def __init__(self, reason: str, fix: str = "") -> None:
        super().__init__(f"{reason} ({fix})" if fix else reason)
        self.reason, self.fix = reason, fix


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


@dataclass(frozen=True)
class FeatureSupport:
    """How one engine:tier has one proposal: whether it does, and what its spec driver sets to turn it on
    (``enable``: Config attributes, command-line flags; empty when it is on by default).  Only a feature
    declared unsupported lets the spec runner report a check that needs it as ``unsupported`` instead of
    failing, so an engine that merely has it switched off cannot hide behind it."""

    supported: bool
    enable: tuple[str, ...] = ()
    note: str = ""  # what is missing or partial, or where the declaration comes from
    # supported in part (the note says what is missing): the spec runner runs its checks (the missing part's
    # failures are expectations), and ``harness fuzz`` does not generate it (wasm-smith cannot ask for part of
    # a proposal: V8 11.3's memory64 without 64-bit tables)
    partial: bool = False

    def describe(self) -> str:
        """``on``, the switches that turn it on, or ``unsupported`` with the note (run records, reports)."""
        if not self.supported:
            return f"unsupported ({self.note})" if self.note else "unsupported"
        how = " ".join(self.enable) if self.enable else "on"
        return f"{how} ({self.note})" if self.note else how


def supported(*enable: str, note: str = "", partial: bool = False) -> FeatureSupport:
    return FeatureSupport(True, tuple(enable), note, partial)


def unsupported(note: str = "") -> FeatureSupport:
    return FeatureSupport(False, (), note)


@dataclass
class Invocation:
    """One program run.  Paths are host paths; ``dirs`` are (host, guest) preopens."""

    wasm: Path  # the program: a .wasm, or the native executable for the native baselines
    args: list[str] = field(default_factory=list)
    env: dict[str, str] = field(default_factory=dict)
    dirs: list[tuple[str, str]] = field(default_factory=list)
    program_name: str | None = None  # argv[0]; the file's name when None
    precompiled: bool = False  # run the runtime's ahead-of-time artefact of ``wasm`` (see Adapter.precompile)
    compile_cache: bool = False  # let the runtime keep compiled code on disk across runs (a warm start)
    phases_file: Path | None = None  # where a runtime that ``writes_phases`` puts its phase timings
    # WebAssembly 3.0 proposals the program needs (``MEMORY64`` for a wasm64 build): a runtime whose command
    # line gates them turns them on (``features(tier)[f].enable`` where those are its flags)
    features: tuple[str, ...] = ()

    @property
    def argv0(self) -> str:
        return self.program_name or self.wasm.name


@dataclass
class Adapter:
    """Base adapter.  Subclasses set the fields and override ``_probe``/``version`` and the commands they
    support; every method that cannot do its job raises ``RunnerUnavailable`` saying why and what to do."""

    runtime: str = ""
    tiers: tuple[str, ...] = ()
    default_tier: str = ""
    description: str = ""
    install_hint: str = ""
    capabilities_by_tier: dict[str, frozenset[str]] = field(default_factory=dict)
    # ``module:Class`` of a ``harness.spec.drivers.base.Driver`` run inside the spec worker process, or, with
    # ``spec_in_worker`` false, ``module:function`` with the signature of ``harness.spec.drivers.wabt.run_file``
    # for a runtime driven from outside (it starts its own process).  None: no spec driver.
    spec_driver: str | None = None
    spec_in_worker: bool = True
    slow_tiers: frozenset[str] = frozenset()
    program_target: str = "wasm32"  # the perf build target of the programs it runs (harness.perf.targets)
    precompiles: bool = False  # has an ahead-of-time step: precompile() and compile_command() work
    writes_phases: bool = False  # wasi_command writes compile/instantiate/execute ms to inv.phases_file
    # Writes stdio non-blocking and loses output on a full pipe: whoever runs it gives it files.
    stdio_to_files: bool = False
    # tier -> WebAssembly 3.0 feature -> support; a feature left out is undeclared (nothing is assumed)
    features_by_tier: dict[str, dict[str, FeatureSupport]] = field(default_factory=dict)

    def engines(self) -> list[EngineSpec]:
        return [EngineSpec(self.runtime, t) for t in self.tiers]

    def variants(self) -> list[EngineSpec]:
        """Tiers that are another configuration of a tier (a bounds mode, an optimisation level): only their
        names select them, and ``harness all``, which runs the spec suite on each."""
        return []

    def partial(self) -> dict[str, str]:
        """Tiers that do not pass the whole spec suite yet, each with what it covers: only their names select
        them (not a bare runtime, not ``harness all``); ``harness runtimes`` lists them with that note."""
        return {}

    def capabilities(self, tier: str) -> frozenset[str]:
        return self.capabilities_by_tier.get(tier, frozenset())

    def features(self, tier: str) -> dict[str, FeatureSupport]:
        """The WebAssembly 3.0 proposals ``tier`` declares, each with how its spec driver enables it."""
        return dict(self.features_by_tier.get(tier, {}))

    def unsupported_features(self, tier: str) -> frozenset[str]:
        """The proposals ``tier`` declares it lacks: checks needing them are ``unsupported``, not failures."""
        return frozenset(f for f, s in self.features(tier).items() if not s.supported)

    def available(self, tier: str) -> Availability:
        """Never raises: a missing runtime is an outcome."""
        if tier not in self.tiers:
            return Availability(False, f"{self.runtime} has no tier {tier!r} (tiers: {', '.join(self.tiers)})")
        return self._probe(tier)

    def _probe(self, tier: str) -> Availability:  # pragma: no cover - overridden
        return Availability(False, "not implemented")

    def version(self) -> str | None:
        return None

    def lacks(self, stderr: str) -> str | None:
        """What the runtime says it does not implement, from a failed run's stderr (a WASI function the
        program imports): such a run is ``unsupported``, a gap the runtime declares, not a crash.  None: a
        failure like any other."""
        return None

    def spec_version(self) -> str | None:
        """The version of what runs the spec suite (and fuzzing): the runtime's own, unless its spec driver is
        another build of it (an in-process Python binding beside a CLI), whose version a spec run records."""
        return self.version()

    def slow(self, tier: str) -> bool:
        return tier in self.slow_tiers

    def check(self, tier: str, capability: str) -> None:
        """Raise RunnerUnavailable unless ``tier`` is available here and has ``capability``."""
        engine = EngineSpec(self.runtime, tier)
        if capability not in self.capabilities(tier):
            raise RunnerUnavailable(f"{engine} cannot run {capability} (capabilities: "
                                    f"{', '.join(sorted(self.capabilities(tier))) or 'none'})")
        av = self.available(tier)
        if not av:
            raise RunnerUnavailable(f"{engine} is not available: {av.reason}", av.install)

    def wasi_command(self, tier: str, inv: Invocation, scratch: Path) -> list[str]:
        """The argv that runs the WASI preview1 command ``inv`` on ``tier``, as a user would type it.

        ``scratch`` is a private directory for the run's files.  The program's stdio is the process's own,
        its exit status the program's (134 after a trap, as wasmtime)."""
        raise RunnerUnavailable(f"{self.runtime} cannot run WASI programs")

    def run_command(self, tier: str, inv: Invocation, scratch: Path) -> list[str]:
        """The argv ``harness perf`` times for a program built for ``program_target``."""
        return self.wasi_command(tier, inv, scratch)

    def precompile(self, tier: str, wasm: Path) -> Path:
        """The ahead-of-time artefact of ``wasm`` (compiled when missing or older than ``wasm``), which
        ``wasi_command`` runs for an invocation with ``precompiled`` set."""
        raise RunnerUnavailable(f"{self.runtime} has no ahead-of-time compilation")

    def compile_command(self, tier: str, wasm: Path, out: Path) -> list[str]:
        """The argv that compiles ``wasm`` ahead of time into ``out`` (timed by the compile metric)."""
        raise RunnerUnavailable(f"{self.runtime} has no ahead-of-time compilation")



@dataclass
class PythonEngineAdapter(Adapter):
    """A runtime that is a Python package run in-process: available when ``package`` is importable, WASI
    programs under ``python -m harness.wasi.child`` (a process of its own that a timeout can kill)."""

    package: str = ""  # the import name whose presence makes the runtime available

    def _probe(self, tier: str) -> Availability:
        if not has_module(self.package):
            return Availability(False, f"the Python package {self.package!r} is not installed", self.install_hint)
        return Availability(True)

    def wasi_command(self, tier: str, inv: Invocation, scratch: Path) -> list[str]:
        return child_command(EngineSpec(self.runtime, tier).name, inv)

def has_module(name: str) -> bool:
    """Whether a Python module is installed, without importing it."""
    try:
        return importlib.util.find_spec(name) is not None
    except ModuleNotFoundError:  # a parent package is missing
        return False


def run_version(argv: list[str], timeout: float = 20.0) -> str | None:
    """First line of a ``--version`` style command, or None if it cannot run."""
    try:
        out = subprocess.run(argv, capture_output=True, text=True, timeout=timeout)
    except (OSError, subprocess.TimeoutExpired):
        return None
    text = (out.stdout or out.stderr).strip()
    return text.splitlines()[0].strip() if text else None


def child_command(engine: str, inv: Invocation) -> list[str]:
    """``python -m harness.wasi.child``: a WASI program on an in-process Python engine, in a process of its
    own (so a timeout can kill it and a crash cannot take the harness down)."""
    argv = [sys.executable, "-m", "harness.wasi.child", "--engine", engine]
    for host, guest in inv.dirs:
        argv += ["--dir", f"{host}::{guest}"]
    argv += env_flags(inv.env)
    return [*argv, "--argv0", inv.argv0, str(inv.wasm.resolve()), "--", *inv.args]


def env_flags(env: dict[str, str], flag: str = "--env") -> list[str]:
    """``--env K=V`` for each variable, the spelling most CLIs share."""
    out: list[str] = []
    for k, v in env.items():
        out += [flag, f"{k}={v}"]
    return out
