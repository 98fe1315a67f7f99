"""Loading the perf recipes (how to fetch and build each program) and workloads (how to run them).

Both are TOML data under ``suites/perf/`` so that adding a program is a data change.  Source paths
starting with ``@`` are relative to ``suites/perf/`` (our own C files); others are relative to the
unpacked upstream source tree.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import HarnessError
from ..paths import REPO_ROOT

PERF_SUITE = REPO_ROOT / "suites" / "perf"


@dataclass(frozen=True)
class Source:
    debian_package: str
    debian_version: str
    dsc: str
    dsc_sha256: str
    orig: str
    orig_sha256: str


@dataclass(frozen=True)
class Program:
    """One executable a recipe builds (the same sources and flags for every target)."""

    name: str
    recipe: str
    sources: tuple[str, ...]
    include: tuple[str, ...] = ()
    cflags: tuple[str, ...] = ()
    wasm_cflags: tuple[str, ...] = ()
    wasm_libs: tuple[str, ...] = ()
    prepare: tuple[str, ...] = ()
    source: Source | None = None  # None: only our own files
    description: str = ""
    # needs nothing beyond suites/perf/support/freestanding (malloc, printf, strtol, mem*/str*): it builds
    # for the freestanding targets (wasm32-free, wasm64) too
    freestanding: bool = False


@dataclass(frozen=True)
class Workload:
    name: str
    group: str
    program: str
    args: tuple[str, ...]
    stdin: str | None = None
    check: str = "stdout"
    normalize: str | None = None
    scale: int | None = None
    slow_scale: int | None = None
    input_fraction: float = 1.0
    stands_in: str = ""
    extra: dict = field(default_factory=dict, hash=False, compare=False)

    def argv(self, scale: int | None) -> list[str]:
        s = str(scale if scale is not None else self.scale)
        return [a.replace("{scale}", s) for a in self.args]


def _load(path: Path) -> dict:
    try:
        with open(path, "rb") as f:
            return tomllib.load(f)
    except tomllib.TOMLDecodeError as e:
        raise HarnessError(f"{path}: invalid TOML: {e}; fix the file") from None


def load_programs(suite: Path = PERF_SUITE) -> dict[str, Program]:
    """Every program of every recipe in ``suite/recipes``, by program name."""
    programs: dict[str, Program] = {}
    for path in sorted((suite / "recipes").glob("*.toml")):
        data = _load(path)
        src = Source(**data["source"]) if "source" in data else None
        entries = data.get("programs") or [{"program": data["program"], **data.get("build", {})}]
        for entry in entries:
            wasm = entry.get("wasm", {})
            prog = Program(
                name=entry["program"], recipe=data["name"], sources=tuple(entry["sources"]),
                include=tuple(entry.get("include", ())), cflags=tuple(entry.get("cflags", ())),
                wasm_cflags=tuple(wasm.get("cflags", ())), wasm_libs=tuple(wasm.get("libs", ())),
                prepare=tuple(entry.get("prepare", ())), source=src,
                description=data.get("description", ""), freestanding=bool(entry.get("freestanding", False)),
            )
            if prog.name in programs:
                raise HarnessError(f"{path}: program {prog.name!r} is defined twice; rename one")
            programs[prog.name] = prog
    return programs


def load_workloads(suite: Path = PERF_SUITE) -> list[Workload]:
    data = _load(suite / "workloads.toml")
    known = {f for f in Workload.__dataclass_fields__}
    out = []
    for w in data.get("workload", []):
        extra = {k: v for k, v in w.items() if k not in known}
        kw = {k: v for k, v in w.items() if k in known}
        kw["args"] = tuple(kw.get("args", ()))
        out.append(Workload(**kw, extra=extra))
    return out


def select_workloads(workloads: list[Workload], groups: str | None) -> list[Workload]:
    """``--workloads gzip,bzip2,sqlite,micro`` selects by group or by exact workload name."""
    if not groups:
        return workloads
    wanted = [g.strip() for g in groups.split(",") if g.strip()]
    known = {w.group for w in workloads} | {w.name for w in workloads}
    bad = [g for g in wanted if g not in known]
    if bad:
        raise HarnessError(f"unknown workload(s) {', '.join(bad)}; known groups: "
                           f"{', '.join(sorted({w.group for w in workloads}))} (or a name from suites/perf/workloads.toml)")
    return [w for w in workloads if w.group in wanted or w.name in wanted]
