"""A planted bug for the fuzzer to find: our interpreter with ``i32.rotl`` rotating one bit too far.

``PlantedDriver`` is a spec driver (``planted=tests.fuzz.planted:PlantedDriver`` in ``$HARNESS_SPEC_DRIVERS``)
that, in its own worker process only, replaces the interpreter's ``i32.rotl`` template and then drives the
engine as ``OursDriver`` does: a copy of ``ours:interp`` that differs in exactly one instruction, so the real
engine is never edited.  Its other tiers plant the faults the fuzzer must survive: ``crash`` (the worker
dies by SIGSEGV on a module with a memory), ``garbage`` (it prints a line that is not an answer) and
``hang`` (it never answers a module with a global).
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
        if binary is not None:
            if self.fault == "crash" and b"\x05" in binary[8:] and _has_section(binary, 5):
                os.kill(os.getpid(), signal.SIGSEGV)
            if self.fault == "garbage" and _has_section(binary, 6):
                from harness.fuzz import worker

                worker.OUT.write("this is not JSON\n")
                worker.OUT.flush()
            if self.fault == "hang" and _has_section(binary, 6):
                time.sleep(3600)
        return super().compile(binary, text)


def _has_section(wasm: bytes, sid: int) -> bool:
    from harness.spec.wasm_sections import Reader

    r = Reader(wasm, 8)
    while r.pos < len(wasm):
        s = r.byte()
        size = r.u32()
        if s == sid:
            return True
        r.pos += size
    return False
