"""Known failures per engine, from TOML data files (``suites/wasi/expectations/<runtime>.toml``).

Format::

    # Every key is a test id (group/name, e.g. "rust/wasm32-wasip1/path_link" or "own/hello").
    [fail]                      # expected to fail on every tier of this runtime
    "rust/wasm32-wasip1/x" = "why"

    [tiers.liftoff.fail]        # expected to fail on one tier only
    "rust/wasm32-wasip1/y" = "why"

    [flaky]                     # may pass or fail from run to run (timing): a failure is xfail, a pass a pass
    "own/wasm32-wasip1/z" = "why"

    [all]                       # optional: every test of this runtime is expected to fail (xfail)
    reason = "the interpreter is not usable yet"
    tiers = ["interp"]          # optional: only these tiers

A test expected to fail that passes is reported as ``xpass`` so stale entries get noticed.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from ..paths import REPO_ROOT

EXPECTATIONS_DIR = REPO_ROOT / "suites" / "wasi" / "expectations"
FLAKY_PREFIX = "flaky: "  # a reason with this prefix tolerates a pass (no xpass)


@dataclass
class Expectations:
    fail: dict[str, str] = field(default_factory=dict)
    all_reason: str | None = None
    flaky: dict[str, str] = field(default_factory=dict)

    def reason(self, test_id: str) -> str | None:
        """Why ``test_id`` may fail (known failure or known flakiness), or None if it must pass."""
        if test_id in self.flaky:
            return FLAKY_PREFIX + self.flaky[test_id]
        return self.fail.get(test_id) or self.all_reason


def load(runtime: str, tier: str, directory: Path = EXPECTATIONS_DIR) -> Expectations:
    path = directory / f"{runtime}.toml"
    if not path.is_file():
        return Expectations()
    with open(path, "rb") as f:
        data = tomllib.load(f)
    fail = {str(k): str(v) for k, v in data.get("fail", {}).items()}
    fail.update({str(k): str(v) for k, v in data.get("tiers", {}).get(tier, {}).get("fail", {}).items()})
    all_reason = None
    block = data.get("all")
    if isinstance(block, dict) and block.get("reason") and (not block.get("tiers") or tier in block["tiers"]):
        all_reason = str(block["reason"])
    flaky = {str(k): str(v) for k, v in data.get("flaky", {}).items()}
    return Expectations(fail, all_reason, flaky)
