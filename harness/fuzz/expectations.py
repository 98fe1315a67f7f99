"""Known bugs of reference engines that fuzzing found, kept as data like every other known failure.

A disagreement that is a reference engine's bug (wabt accepting a data segment whose flags byte is 4) is not
ours to fix: it goes into that engine's expectations, with a note, so that every later run triages it as
``known`` (still counted and listed, never new, never minimised again) and the report lists it with its
reason.  The files are ``suites/fuzz/expectations/<runtime>.toml`` (every tier) and
``<runtime>-<tier>.toml`` (one tier), in the validated format of ``harness.expectations``; the suites are
``fuzz`` (execution fuzzing, ``harness fuzz``) and ``fuzz-validation`` (``harness fuzz validate``), and the
item is a pattern of the finding's signature in which ``*`` stands for any text (every other character is
itself)::

    ["fuzz-validation"."wabt: accepts what wasm-tools rejects (wasm-tools: *data segment flags*)"]
    reason = "wabt bug: data segment flags are 0, 1 or 2"

A finding is expected when an entry of *each* engine on its minority side (validation: the engine) matches
its signature.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from .. import expectations
from ..expectations import Expectation, Schema
from ..paths import REPO_ROOT

EXPECTATIONS_DIR = REPO_ROOT / "suites" / "fuzz" / "expectations"
FUZZ, VALIDATION = "fuzz", "fuzz-validation"
SCHEMA = Schema(suites=frozenset({FUZZ, VALIDATION}), keys=frozenset())


@dataclass(frozen=True)
class Known:
    """An expectation entry that matched a finding: its reason and where it is written."""

    reason: str
    where: str


def pattern(item: str) -> re.Pattern[str]:
    """An entry's item as a regular expression over a whole signature (``*``: any text)."""
    return re.compile(".*".join(re.escape(part) for part in item.split("*")), re.DOTALL)


@cache
def _entries(engine: str, directory: Path) -> tuple[tuple[Expectation, re.Pattern[str]], ...]:
    runtime, _, tier = engine.partition(":")
    loaded = expectations.load(directory, SCHEMA, runtime, tier)
    return tuple((e, pattern(e.item)) for e in loaded.values())


def match(engine: str, suite: str, signature: str, directory: Path | None = None) -> Known | None:
    """The entry of ``engine`` (``runtime:tier``) for ``suite`` whose pattern matches ``signature``, or None.
    A bad file raises HarnessError naming the file and the entry (``harness.expectations``)."""
    for e, rx in _entries(engine, directory or EXPECTATIONS_DIR):
        if e.suite == suite and rx.fullmatch(signature):
            return Known(e.reason, e.where.removeprefix(f"{REPO_ROOT}/"))
    return None


def match_all(engines: list[str], suite: str, signature: str, directory: Path | None = None) -> Known | None:
    """The first engine's entry when every one of ``engines`` has an entry matching ``signature``."""
    found = [match(e, suite, signature, directory) for e in engines]
    return found[0] if found and all(found) else None


def listed(directory: Path | None = None) -> list[dict[str, str]]:
    """Every entry of every file (the report's list of known reference-engine bugs), by file then item."""
    directory = directory or EXPECTATIONS_DIR
    out = []
    for path in sorted(directory.glob("*.toml")):
        runtime, _, tier = path.stem.partition("-")
        for e in expectations.load(directory, SCHEMA, runtime, tier).values():
            if e.file == path:
                out.append({"engine": path.stem, "suite": e.suite, "pattern": e.item, "reason": e.reason,
                            "file": str(path.relative_to(REPO_ROOT) if path.is_relative_to(REPO_ROOT) else path)})
    return out
