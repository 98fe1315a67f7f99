"""The outcome of one check of a spec script, as the executor yields it and the worker streams it.

``outcome`` is a ``harness.outcomes.Outcome``: pass, fail, skip, crash, timeout or error (a harness
problem, not the engine's); expectations later turn a known failure into xfail and a pass of a listed
check into xpass.  ``strict`` is the stricter figure next to the pass/fail verdict: for
assert_invalid/malformed/unlinkable whether the engine's error text contains the spec's text, for traps
whether the trap kind agrees (None where it does not apply, e.g. assert_return).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from enum import StrEnum
from typing import Any

from ..outcomes import Outcome


class FileStatus(StrEnum):
    """How an engine's run of one ``.wast`` file ended, beside the outcomes of its checks."""

    OK = "ok"
    """The engine answered for every check it was given."""
    CRASH = "crash"
    """Its process died before the end."""
    TIMEOUT = "timeout"
    """It gave no answer within the file's timeout."""
    ERROR = "error"
    """The harness could not run it (no driver, the engine's library failed to load)."""
    MALFORMED = "malformed"
    """The script itself does not parse."""

    @property
    def unreached(self) -> Outcome:
        """The outcome of each check the engine did not get to."""
        return {FileStatus.CRASH: Outcome.CRASH, FileStatus.TIMEOUT: Outcome.TIMEOUT}.get(self, Outcome.ERROR)


@dataclass
class CheckOutcome:
    line: int
    command: str
    outcome: Outcome
    expected: str = ""
    actual: str = ""
    message: str = ""  # why it failed / was skipped
    strict: bool | None = None
    reproduce: str = ""  # a command line that runs this check alone

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        return {k: v for k, v in d.items() if v not in ("", None) or k in ("line", "command", "outcome")}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> CheckOutcome:
        names = {f.name for f in fields(cls)}
        kept = {k: v for k, v in d.items() if k in names}
        return cls(**{**kept, "outcome": Outcome(kept["outcome"])})
