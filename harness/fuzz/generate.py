"""Modules from ``wasm-tools smith``, named by ``(seed, index)`` and limited to the features every engine has.

wasm-smith turns arbitrary input bytes into a valid module; the bytes come from a ``random.Random`` seeded
with ``"{seed}:{index}"``, so a module is reproduced from its name alone on any machine with the same
wasm-tools (the version is recorded with the run).  The flags ask for modules that can be compared at all:
no imports (nothing to link), every item exported (so globals, memories and functions are observable),
NaNs canonicalised (the spec lets an engine return any arithmetic NaN, smith inserts code that makes them
one value), and ``--ensure-termination`` (a fuel global decremented at loop headers and function entries,
so no module runs forever on an engine without fuel of its own).

Features: WebAssembly 2.0 is the baseline, except SIMD and reference types for the runtimes that lack them
(``LACKS``, an observation of this fuzzer: the adapters declare only 3.0 proposals); the 3.0 proposals come
from each adapter's feature declaration (``Adapter.features``, for our tiers ``harness.engine.api.TIER_FEATURES``),
and only those every selected engine supports in full are turned on (smith cannot generate part of a
proposal: V8's memory64 without 64-bit tables is declared ``partial``).  ``relaxed-simd`` is never on by
default: its results are implementation-defined, so engines may disagree and both be right.
"""

from __future__ import annotations

import random
import subprocess
from dataclasses import dataclass
from pathlib import Path

from ..adapters.base import (
    EXCEPTIONS,
    EXTENDED_CONST,
    FUNCTION_REFERENCES,
    GC,
    MEMORY64,
    MULTI_MEMORY,
    RELAXED_SIMD,
    TAIL_CALL,
    WASM3_FEATURES,
)
from ..errors import HarnessError

SIMD = "simd"
REFERENCE_TYPES = "reference-types"
ALL_FEATURES = (SIMD, REFERENCE_TYPES, *WASM3_FEATURES)
WASM2_OPTIONAL = frozenset({SIMD, REFERENCE_TYPES})  # 2.0 features some engines lack (``LACKS``)
# Nondeterministic by the spec: never chosen unless asked for by name.
NOT_BY_DEFAULT = frozenset({RELAXED_SIMD})
# WebAssembly 2.0 features a runtime lacks (the adapters declare only 3.0 proposals; every tier of ours has all
# of 2.0, SIMD included).
LACKS: dict[str, frozenset[str]] = {
    "wasm3": frozenset({SIMD, REFERENCE_TYPES}),  # wasm3 0.5: "element table index must be zero for MVP"
}

# Each feature's smith switches.  function-references has none of its own: smith generates typed function
# references only as part of gc.
_SMITH_SWITCHES: dict[str, list[str]] = {
    SIMD: ["--simd-enabled", "true"],
    REFERENCE_TYPES: ["--reference-types-enabled", "true"],
    GC: ["--gc-enabled", "true"],
    FUNCTION_REFERENCES: [],
    EXCEPTIONS: ["--exceptions-enabled", "true"],
    TAIL_CALL: ["--tail-call-enabled", "true"],
    MEMORY64: ["--memory64-enabled", "true"],
    MULTI_MEMORY: ["--max-memories", "2"],
    RELAXED_SIMD: ["--relaxed-simd-enabled", "true"],
    EXTENDED_CONST: ["--extended-const-enabled", "true"],
}
_OFF = [
    "--simd-enabled", "false", "--relaxed-simd-enabled", "false", "--memory64-enabled", "false",
    "--exceptions-enabled", "false", "--gc-enabled", "false", "--tail-call-enabled", "false",
    "--threads-enabled", "false", "--shared-everything-threads-enabled", "false",
    "--wide-arithmetic-enabled", "false", "--extended-const-enabled", "false",
    "--custom-page-sizes-enabled", "false", "--custom-descriptors-enabled", "false",
    "--compact-imports-enabled", "false", "--max-memories", "1", "--reference-types-enabled", "false",
]
_SHAPE = [
    "--export-everything", "true", "--canonicalize-nans", "true",
    "--max-imports", "0", "--max-memory32-bytes", str(1 << 20), "--max-memory64-bytes", str(1 << 20),
    "--min-types", "2", "--min-funcs", "3", "--max-funcs", "24", "--max-instructions", "300",
    "--allow-start-export", "false", "--max-tags", "2",
]
# Generator mixes, one drawn per module (``profile``).  Random whole modules rarely carry a value from a
# given instruction to anything observable (most functions loop until smith's fuel runs out and trap, most
# values are zeros), so a share of modules is made of short functions of only some instruction kinds:
# dense in numeric (or vector, or memory) instructions whose results reach the function's results and the
# exported globals.  Measured with a planted i32.rotl bug: 0 of 150 whole modules exposed it, against 2 of
# 150 short numeric ones (docs/FUZZING.md).
PROFILES: dict[str, tuple[float, dict[str, str]]] = {
    "whole": (0.35, {}),
    "numeric": (0.25, {"--allowed-instructions": "numeric,variable,parametric", "--max-instructions": "40"}),
    "numeric-control": (0.15, {"--allowed-instructions": "numeric,variable,control,parametric",
                               "--max-instructions": "100"}),
    "memory": (0.15, {"--allowed-instructions": "numeric,variable,memory,parametric,control",
                      "--max-instructions": "100"}),
    "vector": (0.10, {"--allowed-instructions": "vector,numeric,variable,parametric", "--max-instructions": "40"}),
}

# How many input bytes smith reads: more bytes, bigger modules.
INPUT_SIZES = (1500, 3000, 6000)
TIMEOUT = 60.0


class GeneratorFailure(Exception):
    """wasm-tools smith made no module from these bytes (or could not run): an outcome of that module."""


@dataclass(frozen=True)
class FeatureChoice:
    features: frozenset[str]
    dropped: dict[str, list[str]]  # feature -> the engines that lack it (why it is off)

    @property
    def wasm_version(self) -> str:
        """The spec drivers' rule set: a 3.0 proposal needs the 3.0 rules (``HARNESS_WASM_VERSION``)."""
        return "3.0" if self.features - WASM2_OPTIONAL else "2.0"


def engine_features(runtime: str, tier: str) -> frozenset[str]:
    """The features of ``ALL_FEATURES`` an engine has: 2.0's SIMD and reference types unless ``LACKS`` says
    otherwise, and the 3.0 proposals its adapter declares supported in full (none for a runtime without an
    adapter)."""
    from ..adapters.registry import adapters

    lacks = LACKS.get(f"{runtime}:{tier}", LACKS.get(runtime, frozenset()))
    have = set(WASM2_OPTIONAL) - lacks
    adapter = adapters().get(runtime)
    if adapter is not None:
        have |= {f for f, s in adapter.features(tier).items() if s.supported and not s.partial}
    return frozenset(have)


def choose_features(engines: list[tuple[str, str]], asked: list[str] | None) -> FeatureChoice:
    """The features every engine in ``engines`` has; with ``asked``, those of them (asking for one some
    engine lacks is an error naming it)."""
    have = {f"{r}:{t}": engine_features(r, t) for r, t in engines}
    common = frozenset.intersection(*have.values()) if have else frozenset()
    dropped = {f: sorted(e for e, fs in have.items() if f not in fs) for f in ALL_FEATURES if f not in common}
    if asked is None:
        return FeatureChoice(common - NOT_BY_DEFAULT, dropped)
    unknown = [f for f in asked if f not in ALL_FEATURES]
    if unknown:
        raise HarnessError(f"--features: unknown feature {', '.join(unknown)}; known: {', '.join(ALL_FEATURES)}")
    missing = {f: dropped[f] for f in asked if f in dropped}
    if missing:
        raise HarnessError("--features: " + "; ".join(f"{f} is not supported by {', '.join(e)}"
                                                      for f, e in missing.items())
                           + " (leave it out, or drop those engines)")
    return FeatureChoice(frozenset(asked), dropped)


def smith_flags(features: frozenset[str], profile: str = "whole") -> list[str]:
    """The whole smith command line for ``features`` and a ``PROFILES`` mix (smith refuses a switch given
    twice, so later settings replace earlier ones rather than follow them)."""
    switches = dict(zip(_SHAPE[::2], _SHAPE[1::2], strict=True))
    switches.update(zip(_OFF[::2], _OFF[1::2], strict=True))
    for f in sorted(features):
        sw = _SMITH_SWITCHES[f]
        switches.update(zip(sw[::2], sw[1::2], strict=True))
    if GC in features:
        switches["--reference-types-enabled"] = "true"
    switches.update(PROFILES[profile][1])
    return ["--ensure-termination", *(x for kv in switches.items() for x in kv)]


def profile(seed: int, index: int, features: frozenset[str]) -> str:
    """The generator mix of module ``index`` (``vector`` only when SIMD is on)."""
    names = [n for n in PROFILES if n != "vector" or SIMD in features]
    return random.Random(f"profile:{seed}:{index}").choices(names, [PROFILES[n][0] for n in names])[0]


def input_bytes(seed: int, index: int) -> bytes:
    rng = random.Random(f"{seed}:{index}")
    return rng.randbytes(rng.choice(INPUT_SIZES))


def disallows_traps(seed: int, index: int) -> bool:
    """Every other module is made with ``--disallow-traps`` (smith guards each trapping instruction): a trap
    ends a call, so without traps more of each function runs and reaches a result."""
    return random.Random(f"traps:{seed}:{index}").random() < 0.5


def generate(tool: Path, seed: int, index: int, features: frozenset[str]) -> bytes:
    """Module ``index`` of ``seed``; raises GeneratorFailure with smith's own words when it makes none."""
    try:
        flags = (smith_flags(features, profile(seed, index, features))
                 + (["--disallow-traps", "true"] if disallows_traps(seed, index) else []))
        p = subprocess.run([str(tool), "smith", *flags], input=input_bytes(seed, index),
                           capture_output=True, timeout=TIMEOUT)
    except subprocess.TimeoutExpired:
        raise GeneratorFailure(f"wasm-tools smith took over {TIMEOUT:.0f}s") from None
    except OSError as e:
        raise GeneratorFailure(f"cannot run {tool}: {e.strerror or e}") from None
    if p.returncode != 0 or not p.stdout.startswith(b"\0asm"):
        lines = [ln.strip() for ln in p.stderr.decode("utf-8", "replace").splitlines() if ln.strip()]
        why = next((ln for ln in lines if ln.startswith("error")), lines[0] if lines else "no output")
        raise GeneratorFailure(f"wasm-tools smith exited {p.returncode}: {why}")
    return p.stdout


def smith_tool() -> Path:
    """The wasm-tools binary (``HARNESS_FUZZ_WASM_TOOLS`` overrides it, which is how tests plant a broken one)."""
    import os

    from ..spec.convert import wasm_tools

    override = os.environ.get("HARNESS_FUZZ_WASM_TOOLS")
    if override:
        return Path(override)
    try:
        return wasm_tools()
    except HarnessError as e:
        raise HarnessError(f"{e}; harness fuzz generates its modules with it") from None
