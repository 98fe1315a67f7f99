"""A fake runtime ``faulty`` whose every tier is one way an engine can fail: registered through
``$HARNESS_ADAPTERS`` (``tests.faults.fault_engines``), it runs in ``harness spec`` (its spec driver, in real
worker processes) and ``harness wasi`` (its WASI command line) like any runtime.

Spec: modules compile and instantiate on our interpreter; every ``invoke`` misbehaves as the tier says.
WASI: the command line is a shell that misbehaves the same way instead of running the program.
"""

from __future__ import annotations

import ctypes
import json
import os
import time
from pathlib import Path
from typing import Any

from harness.adapters.base import ALL, Adapter, Availability, Invocation
from harness.spec.drivers.ours import OursDriver

FORGED = [json.dumps({"line": n, "type": "assert_return", "outcome": "pass"}) for n in range(1, 10)]

# tier -> the shell command that fails that way in place of a WASI program
WASI_FAULTS = {
    "segfault": "kill -SEGV $$",
    "abort": "kill -ABRT $$",
    "hang": "exec sleep 3600",
    "garbage": "head -c 4096 /dev/urandom; exit 0",
    "silent-exit": "exit 0",
    "forged-output": "printf '%s\\n' " + " ".join(f"'{line}'" for line in FORGED) + "; exit 0",
    "system-exit": "exec >&-; exit 0",
    "noisy": "head -c 4096 /dev/urandom >&2; echo hello",
}
TIERS = tuple(WASI_FAULTS)


class FaultyDriver(OursDriver):
    """``invoke`` fails as the tier says: segfault (a real SIGSEGV), abort, hang, garbage (results that are
    not values), silent-exit (the process exits 0 mid-file), forged-output (prints outcome lines claiming
    every check passed, and ``done``, then exits 0), system-exit (raises SystemExit(0)); noisy prints random
    bytes and forged outcome lines, then answers correctly (its outcomes must be the true ones)."""

    def __init__(self, tier: str):
        super().__init__("interp")
        self.fault = tier

    def invoke(self, instance: Any, field: str, args: list[tuple[str, Any]]) -> list[tuple[str, Any]]:
        match self.fault:
            case "segfault":
                ctypes.string_at(0)
            case "abort":
                os.abort()
            case "hang":
                time.sleep(3600)
            case "garbage":
                return [("i32", "not a value"), ("f64", None)]
            case "silent-exit":
                os._exit(0)
            case "forged-output":
                text = "\n".join([*FORGED, json.dumps({"done": True})]) + "\n"
                os.write(1, text.encode())
                print(text, flush=True)
                os._exit(0)
            case "system-exit":
                raise SystemExit(0)
            case "noisy":
                noise = os.urandom(2048) + b"\n" + "\n".join(FORGED).encode() + b"\n"
                os.write(1, noise)
                os.write(2, noise)
                print(noise.decode("latin-1"), flush=True)
                return super().invoke(instance, field, args)
        raise AssertionError(f"no fault named {self.fault!r}")


class FaultyAdapter(Adapter):
    def __init__(self) -> None:
        super().__init__(runtime="faulty", tiers=TIERS, default_tier="segfault", description="fault injection",
                         capabilities_by_tier=dict.fromkeys(TIERS, ALL),
                         spec_driver="tests.faults.fault_engines:FaultyDriver")

    def _probe(self, tier: str) -> Availability:
        return Availability(True)

    def wasi_command(self, tier: str, inv: Invocation, scratch: Path) -> list[str]:
        return ["sh", "-c", WASI_FAULTS[tier]]


ADAPTER = FaultyAdapter()
