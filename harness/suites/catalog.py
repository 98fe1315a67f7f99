"""The pinned catalogue of official suites and what is present in the local suites cache."""

from __future__ import annotations

import os
import subprocess
import tomllib
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from ..errors import HarnessError
from ..paths import suites_dir

CATALOG_FILE = Path(__file__).with_name("catalog.toml")


@dataclass(frozen=True)
class SuiteSource:
    name: str
    description: str
    repo: str
    commit: str
    layout: str
    branch: str | None = None
    wasm: str | None = None  # the WebAssembly version a spec suite tests


    @property
    def path(self) -> Path:
        return suites_dir() / self.name


def catalog() -> dict[str, SuiteSource]:
    with open(CATALOG_FILE, "rb") as f:
        data = tomllib.load(f)
    return {name: SuiteSource(name=name, **fields) for name, fields in data.items()}


def get_suite(name: str) -> SuiteSource:
    cat = catalog()
    if name not in cat:
        raise HarnessError(f"unknown suite {name!r}; known: {', '.join(cat)}")
    return cat[name]


def present_commit(path: Path) -> str | None:
    """Commit checked out in a suite directory, or None when it is not a git checkout."""
    if not (path / ".git").exists():
        return None
    try:
        out = subprocess.run(["git", "-C", str(path), "rev-parse", "HEAD"], capture_output=True, text=True, timeout=20)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return out.stdout.strip() or None


def spec_suite_dir(explicit: str | os.PathLike | None = None, suite: str = "spec-2.0") -> Path:
    """The directory of .wast files to run: an explicit --suite-dir, $HARNESS_SPEC_DIR, or the fetched suite."""
    candidate = explicit or os.environ.get("HARNESS_SPEC_DIR")
    path = Path(candidate) if candidate else get_suite(suite).path
    if not path.is_dir():
        how = "run 'harness suites fetch' or pass --suite-dir DIR (a folder of .wast files)"
        raise HarnessError(f"spec suite directory {path} does not exist; {how}")
    return path


def spec_suites() -> dict[str, SuiteSource]:
    """The catalogued spec testsuites by name (``spec-2.0``, ``spec-3.0``)."""
    return {name: src for name, src in catalog().items() if src.layout == "spec"}


def catalogued_spec_suite(path: Path) -> SuiteSource | None:
    """The catalogued spec suite whose checkout ``path`` is, or None."""
    try:
        where = Path(path).resolve()
        return next((s for s in spec_suites().values() if s.path.resolve() == where), None)
    except OSError:
        return None


@cache
def wasm_version(path: Path) -> str:
    """The WebAssembly version a directory of ``.wast`` files tests: a catalogued suite's ``wasm``, else
    "3.0" when any top-level file belongs to a 3.0 proposal (``harness.spec.proposals``), else "2.0"."""
    from ..spec.proposals import suite_is_3_0

    src = catalogued_spec_suite(path)
    if src is not None and src.wasm:
        return src.wasm
    try:
        return "3.0" if suite_is_3_0([p.name for p in Path(path).glob("*.wast")]) else "2.0"
    except OSError:
        return "2.0"


def wasi_suite_dir(explicit: str | os.PathLike | None = None) -> Path:
    candidate = explicit or os.environ.get("HARNESS_WASI_DIR")
    path = Path(candidate) if candidate else get_suite("wasi").path
    if not path.is_dir():
        how = "run 'harness suites fetch wasi' or pass --suite-dir DIR (a wasi-testsuite checkout)"
        raise HarnessError(f"WASI suite directory {path} does not exist; {how}")
    return path


def suite_commits() -> dict[str, str | None]:
    """Commit of every catalogued suite present locally (recorded with each run)."""
    return {name: present_commit(src.path) for name, src in catalog().items() if src.path.exists()}
