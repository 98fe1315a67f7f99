"""Known failures per engine, kept as data in one validated format for the spec and the WASI suites.

An engine's entries come from ``<runtime>.toml`` (every tier of the runtime) and ``<runtime>-<tier>.toml``
(that tier only) in the suite kind's expectations folder; either may be absent.  One table per entry::

    [spec."linking.wast"]         # [<suite>."<item>"]: a .wast file of "spec" (official) or "corpus" (ours),
    reason = "why it fails"       # or a test id of "wasi" ("rust/wasm32-wasip1/path_link", "own/...")
    lines = [17, 18]              # spec: only these checks fail; without it, any check of the file may
    skip = true                   # spec: do not run the file at all (it hangs or takes the machine down)
    flaky = true                  # WASI: may pass or fail from run to run; a pass is then not an xpass

A typo must not silently turn a known failure into a new one, or hide a real one: an unknown suite or
key, a value of the wrong type, a missing reason or an entry given twice is an error naming the file and
the entry, and ``unmatched`` names the entries that match no file or test of a suite, so that stale
ones are noticed.
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from .errors import HarnessError


@dataclass(frozen=True)
class Schema:
    """What a suite kind's expectation files may say."""

    suites: frozenset[str]
    keys: frozenset[str]
    """The optional keys an entry may have besides ``reason``."""


@dataclass(frozen=True)
class Expectation:
    reason: str
    file: Path
    suite: str
    item: str
    lines: frozenset[int] = frozenset()
    skip: bool = False
    flaky: bool = False

    @property
    def where(self) -> str:
        """``<file>: [<suite>."<item>"]``, for messages that send a reader to the entry."""
        return _where(self.file, self.suite, self.item)


Expectations = dict[tuple[str, str], Expectation]
"""(suite, item) -> its entry."""


def engine_files(directory: Path, runtime: str, tier: str) -> list[Path]:
    """The files that can hold an engine's entries, every-tier first.  A runtime in its container image
    (``wasmtime@docker``) has the runtime's own entries, then any of its own, which replace the runtime's for the same test or file;
    another architecture's image (``v8@docker-arm64``) has the image's (``v8@docker``: the same build of the runtime) and then its own."""
    base, at, mark = runtime.partition("@")
    names = list(dict.fromkeys([base, *([f"{base}@{mark.partition('-')[0]}"] if at else []), runtime]))
    return [directory / f"{name}{suffix}.toml" for name in names for suffix in ["", *([f"-{tier}"] if tier else [])]]


def load(directory: Path, schema: Schema, runtime: str, tier: str) -> Expectations:
    """Every entry for ``runtime:tier``; raises HarnessError listing every problem of the files at once."""
    found: Expectations = {}
    problems: list[str] = []
    for path in engine_files(directory, runtime, tier):
        if not path.is_file():
            continue
        for key, entry in _read(path, schema, problems).items():
            if key in found and "@" in path.stem and "@" not in found[key].file.stem:
                # a container engine's own entry replaces its runtime's: the image's build may differ (v8@docker
                # is Debian's node 18, not the host's node), and its file says how
                found[key] = entry
            elif key in found:
                problems.append(f"{entry.where}: also given in {found[key].file}")
            else:
                found[key] = entry
    if problems:
        raise HarnessError("bad expectations:\n  " + "\n  ".join(problems))
    return found


def unmatched(expectations: Mapping[tuple[str, str], Expectation], suite: str, items: Iterable[str]) -> list[str]:
    """The entries of ``suite`` naming none of ``items`` (every file or test the suite has), as messages."""
    known = set(items)
    return [f"{e.where}: matches no {'test' if suite == 'wasi' else 'file'} of the {suite} suite"
            for e in expectations.values() if e.suite == suite and e.item not in known]


def _read(path: Path, schema: Schema, problems: list[str]) -> Expectations:
    try:
        data = tomllib.loads(path.read_text())
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as e:
        problems.append(f"{path}: not valid TOML: {e}")
        return {}
    out: Expectations = {}
    for suite, entries in data.items():
        if suite not in schema.suites:
            problems.append(f"{path}: [{suite}] is not a suite here (expected {_one_of(schema.suites)})")
            continue
        if not isinstance(entries, dict):
            problems.append(f"{path}: {suite} must be a table of entries, [{suite}.\"...\"]")
            continue
        for item, entry in entries.items():
            parsed = _entry(path, suite, item, entry, schema, problems)
            if parsed is not None:
                out[(suite, item)] = parsed
    return out


def _where(path: Path, suite: str, item: str) -> str:
    return f"{path}: [{suite}.\"{item}\"]"


def _entry(path: Path, suite: str, item: str, entry: object, schema: Schema,
           problems: list[str]) -> Expectation | None:
    where = _where(path, suite, item)
    if not isinstance(entry, dict):
        problems.append(f"{where} must be a table with reason = \"...\"")
        return None
    bad = len(problems)
    for key in sorted(set(entry) - schema.keys - {"reason"}):
        problems.append(f"{where}: unknown key {key!r} (allowed: {_one_of(schema.keys | {'reason'})})")
    reason = entry.get("reason")
    if not isinstance(reason, str) or not reason.strip():
        problems.append(f"{where} needs a reason = \"...\"")
    lines = entry.get("lines", [])
    if not isinstance(lines, list) or not all(type(n) is int and n > 0 for n in lines):
        problems.append(f"{where}: lines must be a list of line numbers")
    for flag in ("skip", "flaky"):
        if not isinstance(entry.get(flag, False), bool):
            problems.append(f"{where}: {flag} must be true or false")
    if len(problems) > bad:
        return None
    return Expectation(reason, path, suite, item, frozenset(lines), entry.get("skip", False),
                       entry.get("flaky", False))


def _one_of(names: Iterable[str]) -> str:
    return ", ".join(sorted(names))
