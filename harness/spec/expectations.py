"""Known failures per engine, kept as data: ``suites/spec/expectations/<runtime>-<tier>.toml``.

Format (one table per suite, one entry per file)::

    [spec."linking.wast"]              # suite "spec" = the official testsuite, "corpus" = ours
    reason = "cannot import functions of other modules"
    lines = [17, 18]                   # optional: only these checks; without it, any failing check of the file
    skip = true                        # optional: do not run the file at all (it hangs or takes the machine down)

A failing check covered by an entry becomes ``xfail``; a passing check listed in ``lines`` becomes
``xpass``, and a file listed without ``lines`` that fully passes is reported as an unexpected pass too, so
the list stays honest.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from ..errors import HarnessError
from ..outcomes import NOT_PASSING, Outcome
from ..paths import REPO_ROOT

EXPECTATIONS_DIR = REPO_ROOT / "suites" / "spec" / "expectations"


@dataclass
class Expectation:
    reason: str
    lines: frozenset[int] = field(default_factory=frozenset)  # empty: the whole file
    skip: bool = False


def expectations_path(engine: str, directory: Path = EXPECTATIONS_DIR) -> Path:
    return directory / (engine.replace(":", "-") + ".toml")


@cache
def load_expectations(engine: str, directory: Path = EXPECTATIONS_DIR) -> dict[tuple[str, str], Expectation]:
    """{(suite, file): Expectation} for an engine; an absent file means no known failures."""
    path = expectations_path(engine, directory)
    if not path.is_file():
        return {}
    try:
        data = tomllib.loads(path.read_text())
    except tomllib.TOMLDecodeError as e:
        raise HarnessError(f"{path}: not valid TOML: {e}") from None
    out: dict[tuple[str, str], Expectation] = {}
    for suite, files in data.items():
        if not isinstance(files, dict):
            raise HarnessError(f"{path}: top-level key {suite!r} must be a table of files")
        for file, entry in files.items():
            if not isinstance(entry, dict) or not entry.get("reason"):
                raise HarnessError(f"{path}: [{suite}.\"{file}\"] needs a reason = \"...\"")
            out[(suite, file)] = Expectation(str(entry["reason"]), frozenset(int(n) for n in entry.get("lines", [])),
                                             bool(entry.get("skip", False)))
    return out


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
        out.append(f"# {r.engine}: {len(bad)} of {r.total} checks\n[{r.suite}.\"{r.file}\"]\nreason = \"{reason}\"\n")
    return "\n".join(out)
