"""A planted bug for the fuzzer to find: our interpreter with ``i32.rotl`` rotating one bit too far.

``PlantedDriver`` is a spec driver (``planted=tests.fuzz.planted:PlantedDriver`` in ``$HARNESS_SPEC_DRIVERS``)
that, in its own worker process only, replaces the interpreter's ``i32.rotl`` template and then drives the
engine as ``OursDriver`` does: a copy of ``ours:interp`` that differs in exactly one instruction, so the real
engine is never edited.  Its other tiers plant the faults the fuzzer must survive, on every module: ``crash`` (the worker
dies by SIGSEGV), ``garbage`` (it prints a line that is not an answer), ``hang`` (it never answers) and
``sleepy`` (two seconds a module, so a test can press Ctrl-C in the middle of one).
"""

from __future__ import annotations

import os
import signal
import time
from typing import Any

from harness.spec.drivers.ours import OursDriver


def plant_rotl() -> None:
    from harness.engine.tiers.interp import optable

    optable.OPS["i32.rotl"] = ("p", "i32_rotl({0}, (({1}) + 1))")


class PlantedDriver(OursDriver):
    def __init__(self, tier: str, **options: Any):
        self.fault = tier
        super().__init__("interp", **options)
        self.tier = tier  # the worker's fresh store per module constructs the driver again with it
        if tier == "rotl":
            plant_rotl()

    def compile(self, binary: bytes | None, text: str | None = None) -> Any:
        if self.fault == "crash":
            os.kill(os.getpid(), signal.SIGSEGV)
        if self.fault == "garbage":
            from harness.fuzz import worker

            worker.OUT.write("this is not JSON\n")
            worker.OUT.flush()
        if self.fault == "hang":
            time.sleep(3600)
        if self.fault == "sleepy":
            time.sleep(2)
        return super().compile(binary, text)
