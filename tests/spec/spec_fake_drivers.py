"""Fake in-process engines for the worker tests: they run inside real ``harness.spec.worker`` processes
(registered through $HARNESS_SPEC_DRIVERS) and misbehave on purpose."""

from __future__ import annotations

import os
import time
from typing import Any

from harness.spec.drivers.base import Driver, LinkFailure
from harness.spec.drivers.ours import OursDriver


class MisbehavingDriver(Driver):
    """Every module instantiates; ``invoke "f"`` returns i32 1, ``"crash"`` kills the process (like a
    segfault would), ``"hang"`` never returns, ``"raise"`` raises a Python error (a crash of one check)."""

    def compile(self, binary: bytes | None, text: str | None = None) -> Any:
        return object()

    def instantiate(self, module: Any, registry: dict[str, Any]) -> Any:
        return object()

    def invoke(self, instance: Any, field: str, args: list[tuple[str, Any]]) -> list[tuple[str, Any]]:
        if field == "crash":
            os._exit(139)
        if field == "hang":
            time.sleep(3600)
        if field == "raise":
            raise ZeroDivisionError("bug in the engine")
        if field == "f":
            return [("i32", 1)]
        raise LinkFailure(f"no export {field!r}")

    def get(self, instance: Any, field: str) -> tuple[str, Any]:
        raise LinkFailure("no globals")


class BrokenStartDriver(MisbehavingDriver):
    def __init__(self, tier: str):
        raise RuntimeError("cannot load the engine library")


class NoValuesForMissingExportsDriver(OursDriver):
    """Our interpreter with issue 19's planted mutation: an action on an export the instance lacks (or
    that is of another kind) returns no values instead of failing.  The executor must fail it anyway."""

    def __init__(self, tier: str):
        super().__init__("interp")

    def invoke(self, instance: Any, field: str, args: list[tuple[str, Any]]) -> list[tuple[str, Any]]:
        if not isinstance(instance.exports.get(field), self.api.FuncInstance):
            return []
        return super().invoke(instance, field, args)

    def get(self, instance: Any, field: str) -> tuple[str, Any]:
        if not isinstance(instance.exports.get(field), self.api.GlobalInstance):
            return ("i32", 0)
        return super().get(instance, field)
