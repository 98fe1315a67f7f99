"""Known failures per engine on the WASI suites, kept as data in ``suites/wasi/expectations/`` (format:
``harness.expectations``): ``[wasi."<test id>"]`` entries with a ``reason``, and ``flaky = true`` for a
test that may pass or fail from run to run (timing), whose failure is an xfail and whose pass a pass.

A test expected to fail that passes is reported as ``xpass`` so stale entries get noticed.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from .. import expectations
from ..expectations import Schema
from ..paths import REPO_ROOT

EXPECTATIONS_DIR = REPO_ROOT / "suites" / "wasi" / "expectations"
SUITE = "wasi"
SCHEMA = Schema(suites=frozenset({SUITE}), keys=frozenset({"flaky"}))
FLAKY_PREFIX = "flaky: "  # a reason with this prefix tolerates a pass (no xpass)


@dataclass
class Expectations:
    fail: dict[str, str] = field(default_factory=dict)  # test id -> why it fails
    flaky: dict[str, str] = field(default_factory=dict)  # test id -> why it may fail

    def reason(self, test_id: str) -> str | None:
        """Why ``test_id`` may fail (known failure or known flakiness), or None if it must pass."""
        if test_id in self.flaky:
            return FLAKY_PREFIX + self.flaky[test_id]
        return self.fail.get(test_id)


def load(runtime: str, tier: str, directory: Path = EXPECTATIONS_DIR) -> Expectations:
    """An engine's entries (``<runtime>.toml`` for every tier, ``<runtime>-<tier>.toml`` for one)."""
    entries = expectations.load(directory, SCHEMA, runtime, tier).values()
    return Expectations(fail={e.item: e.reason for e in entries if not e.flaky},
                        flaky={e.item: e.reason for e in entries if e.flaky})


OWN_PREFIX = "own/"  # test ids of our own programs; every other id is the official suite's


def stale(runtime: str, tier: str, test_ids: Iterable[str], *, own: bool, official: bool,
          directory: Path = EXPECTATIONS_DIR) -> list[str]:
    """The engine's entries naming no test of the suites that ran (``own``: our programs, ``official``: the
    wasi-testsuite), as messages; entries of a suite that did not run are not judged."""
    ran = [e for e in expectations.load(directory, SCHEMA, runtime, tier).values()
           if (own if e.item.startswith(OWN_PREFIX) else official)]
    return expectations.unmatched({(e.suite, e.item): e for e in ran}, SUITE, test_ids)
