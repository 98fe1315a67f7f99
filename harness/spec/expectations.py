"""Known failures per engine, kept as data in ``suites/spec/expectations/`` (format: ``harness.expectations``).

Suites are ``spec`` (the official 2.0 testsuite), ``spec-3.0`` and ``corpus`` (ours); an entry names a ``.wast`` file, with
optional ``lines`` (only these checks) and ``skip`` (do not run the file).  A failing check covered by an
entry becomes ``xfail``; a passing check listed in ``lines`` becomes ``xpass``, and a file listed without
``lines`` that fully passes is reported as an unexpected pass too, so the list stays honest.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import cache
from pathlib import Path

from .. import expectations
from ..expectations import Expectations, Schema
from ..outcomes import NOT_PASSING, Outcome
from ..paths import REPO_ROOT

EXPECTATIONS_DIR = REPO_ROOT / "suites" / "spec" / "expectations"
SCHEMA = Schema(suites=frozenset({"spec", "spec-3.0", "corpus"}), keys=frozenset({"lines", "skip"}))


@cache
def load_expectations(engine: str, directory: Path = EXPECTATIONS_DIR) -> Expectations:
    """{(suite, file): Expectation} for ``runtime:tier``; no file means no known failures."""
    runtime, _, tier = engine.partition(":")
    return expectations.load(directory, SCHEMA, runtime, tier)


def stale(engine: str, suite: str, files: Iterable[str], directory: Path = EXPECTATIONS_DIR) -> list[str]:
    """The engine's entries for ``suite`` naming none of its ``files`` (every file it has), as messages."""
    return expectations.unmatched(load_expectations(engine, directory), suite, files)


def skip_reason(engine: str, suite: str, file: str, directory: Path = EXPECTATIONS_DIR) -> str | None:
    """Why a file is not run at all on an engine (``skip = true``), or None."""
    exp = load_expectations(engine, directory).get((suite, file))
    return f"not run: {exp.reason}" if exp is not None and exp.skip else None


def apply_expectations(result, directory: Path = EXPECTATIONS_DIR) -> None:
    """Turn covered failures into xfail and covered passes into xpass (in place on a FileResult)."""
    exp = load_expectations(result.engine, directory).get((result.suite, result.file))
    if exp is None:
        return
    if not exp.lines:
        result.expected_failure = exp.reason
    for o in result.outcomes:
        covered = not exp.lines or o.line in exp.lines
        if not covered:
            continue
        if o.outcome in NOT_PASSING:
            o.message = f"expected failure ({exp.reason}); " + (o.message or o.actual or o.outcome)
            o.outcome = Outcome.XFAIL
        elif o.outcome == Outcome.PASS and exp.lines:
            o.outcome = Outcome.XPASS
            o.message = f"unexpectedly passed; remove line {o.line} from the expectations ({exp.reason})"


def draft_entries(results) -> str:
    """TOML entries covering every file with unexpected failures, to paste into an expectations file after
    checking them; the reason is the file's most common failure message, which a human should reword."""
    from collections import Counter

    out: list[str] = []
    for r in sorted(results, key=lambda r: (r.engine, r.suite, r.file)):
        bad = [o for o in r.outcomes if o.outcome in NOT_PASSING]
        if not bad:
            continue
        common = Counter((o.actual or o.message or o.outcome)[:100] for o in bad).most_common(1)[0][0]
        reason = " ".join(common.split()).replace("\\", "/").replace('"', "'")
        suite = f'"{r.suite}"' if "." in r.suite else r.suite  # spec-3.0 is one key, not two
        out.append(f"# {r.engine}: {len(bad)} of {r.total} checks\n[{suite}.\"{r.file}\"]\nreason = \"{reason}\"\n")
    return "\n".join(out)
