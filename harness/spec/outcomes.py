"""Per-assertion outcomes and how they are classified.

``outcome`` is one of PASS, FAIL, SKIP, CRASH, TIMEOUT, ERROR (a harness problem, not the engine's);
expectations later turn FAIL/CRASH/TIMEOUT on a known failure into XFAIL and PASS on one into XPASS.
``strict`` is the stricter figure next to the pass/fail verdict: for assert_invalid/malformed/unlinkable
whether the engine's error text contains the spec's text, for traps whether the trap kind agrees
(None where it does not apply, e.g. assert_return).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from typing import Any

PASS = "pass"
FAIL = "fail"
SKIP = "skip"
CRASH = "crash"
TIMEOUT = "timeout"
ERROR = "error"
XFAIL = "xfail"
XPASS = "xpass"

NOT_PASSING = frozenset({FAIL, CRASH, TIMEOUT, ERROR})
OUTCOMES = (PASS, FAIL, SKIP, CRASH, TIMEOUT, ERROR, XFAIL, XPASS)


@dataclass
class Outcome:
    line: int
    command: str
    outcome: str
    expected: str = ""
    actual: str = ""
    message: str = ""  # why it failed / was skipped
    strict: bool | None = None
    reproduce: str = ""  # a command line that runs this check alone

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        return {k: v for k, v in d.items() if v not in ("", None) or k in ("line", "command", "outcome")}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Outcome:
        names = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in d.items() if k in names})
