"""Every outcome a stored row can have, and the groups the runners and reports judge them by.

One enum for the spec, WASI and perf runners and the reports, so that a new outcome or a changed rule
is one edit.  Members are strings (``StrEnum``): they compare equal to the text in the store and in
JSON, so rows written before this module existed read the same.  It sits outside ``harness.results`` so
that a spec worker process can import it without the store and its imports.

Conformance checks (a spec assertion, a WASI test) end ``pass``, ``fail``, ``crash``, ``timeout``,
``error`` (a harness problem, not the engine's), ``skip`` (the engine cannot run it here) or
``unsupported`` (a test no runtime of its kind can run: a wasip3 component on a preview1 host; or a spec
check needing a WebAssembly 3.0 feature the engine declares it lacks);
expectations then turn a known failure into ``xfail`` and a pass of a listed one into ``xpass``.  A perf
measurement is ``ok``, or ``wrong-output`` (its output differs from native64's), ``build-failed``,
``crash``, ``timeout`` or ``unsupported``.
"""

from __future__ import annotations

from enum import StrEnum


class Outcome(StrEnum):
    PASS = "pass"
    FAIL = "fail"
    SKIP = "skip"
    CRASH = "crash"
    TIMEOUT = "timeout"
    ERROR = "error"
    XFAIL = "xfail"
    XPASS = "xpass"
    UNSUPPORTED = "unsupported"
    OK = "ok"
    WRONG_OUTPUT = "wrong-output"
    BUILD_FAILED = "build-failed"


PASSED = frozenset({Outcome.PASS, Outcome.XPASS})
"""Counted as passed (value 1.0 in the store): an unexpected pass still passed."""
NOT_PASSING = frozenset({Outcome.FAIL, Outcome.CRASH, Outcome.TIMEOUT, Outcome.ERROR})
"""A check that ran and did not pass; an expectation can make it ``xfail``."""
NOT_RUN = frozenset({Outcome.SKIP, Outcome.UNSUPPORTED})
"""Nothing was judged: the engine could not run it here, or no engine of its kind can."""
KNOWN = frozenset({Outcome.PASS, Outcome.XFAIL}) | NOT_RUN
"""What a run accepts: passed, failed as the expectations say, or not run."""
UNEXPECTED = NOT_PASSING | {Outcome.XPASS}
"""What fails a run: a failure nobody expected, or an expected failure that passed (a stale entry)."""
