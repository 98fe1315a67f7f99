"""The contract between the executor and an in-process engine driver.

A driver translates its engine's API and errors into these few calls and exceptions, so the executor's
scoring is the same for every engine.  Values are raw (see ``harness.spec.values``).
"""

from __future__ import annotations

import os
from functools import cached_property
from typing import TYPE_CHECKING, Any

from ...outcomes import Outcome
from .. import spectest

if TYPE_CHECKING:
    from ...adapters.base import FeatureSupport

WASM_VERSION_ENV = "HARNESS_WASM_VERSION"  # set by the runner for the worker: the suite's WebAssembly version


def wasm_version() -> str:
    """The WebAssembly version of the suite this worker runs ("2.0" unless the runner says otherwise)."""
    return os.environ.get(WASM_VERSION_ENV, "2.0")


def enabled_features(runtime: str, tier: str, version: str | None = None) -> dict[str, FeatureSupport]:
    """The 3.0 features a driver turns on, with how (its adapter's declaration): under a 3.0 suite every
    one the engine has; under 2.0 none, since 2.0's scripts expect, say, a second memory to be rejected."""
    if (version or wasm_version()) != "3.0":
        return {}
    from ...adapters.registry import get_adapter

    return {f: s for f, s in get_adapter(runtime).features(tier).items() if s.supported}


def features_off(runtime: str, tier: str, version: str | None = None) -> frozenset[str]:
    """The 3.0 features a 3.0 suite needs that the engine declares it lacks (none under 2.0, and none for a
    runtime without an adapter: a test's fake engine declares nothing)."""
    if (version or wasm_version()) != "3.0":
        return frozenset()
    from ...adapters.registry import adapters

    adapter = adapters().get(runtime)
    return adapter.unsupported_features(tier) if adapter is not None else frozenset()


class DriverFailure(Exception):
    """Base of the failures the executor scores.  ``message`` is the engine's own text."""

    def __init__(self, message: str = ""):
        self.message = message
        super().__init__(message)


class CompileFailure(DriverFailure):
    """The module was rejected (malformed or invalid; engines rarely tell which)."""


class LinkFailure(DriverFailure):
    """Instantiation failed while resolving or matching imports."""


class TrapFailure(DriverFailure):
    """Execution (or instantiation) trapped.  ``kind`` is the engine's trap wording or code name, if any."""

    def __init__(self, message: str = "", kind: str | None = None):
        super().__init__(message)
        self.kind = kind


class ExhaustionFailure(TrapFailure):
    """Call stack (or another resource) exhausted."""


class ThrownException(DriverFailure):
    """A WebAssembly exception escaped the invoked function (exception handling proposal)."""


class Unsupported(DriverFailure):
    """The engine cannot express this check (e.g. v128 values through its API): the check is skipped."""

    outcome = Outcome.SKIP


class Inexpressible(Unsupported):
    """No engine driven this way can run this check (a registered module, state kept from one action to the
    next, when each action is a process of its own): the check is ``unsupported``."""

    outcome = Outcome.UNSUPPORTED


class FeatureOff(Unsupported):
    """The check needs a WebAssembly 3.0 feature this engine declares it lacks: ``unsupported``, named."""

    outcome = Outcome.UNSUPPORTED


class EngineDied(BaseException):  # noqa: N818 - not an Exception on purpose: it must end the worker
    """The engine process behind a driver is gone; the worker stops and the runner marks the rest crash."""


class Driver:
    """One engine (runtime:tier) in this process.  Subclasses override ``compile``, ``instantiate``,
    ``invoke`` and ``get``, and ``host_extern`` when they link ``spectest_exports`` into their instances.

    ``reads_text``: whether ``compile`` accepts WebAssembly text; if not, text modules use the binary
    wasm-tools produced, or are skipped when there is none (``module quote`` that must fail to parse).
    """

    reads_text = False
    # The 3.0 features this engine lacks in the suite being run (``features_off``; set by ``load_driver``):
    # a check needing one is ``unsupported``.
    features_off: frozenset[str] = frozenset()

    def __init__(self, tier: str):
        self.tier = tier

    def compile(self, binary: bytes | None, text: str | None = None) -> Any:
        raise NotImplementedError

    def instantiate(self, module: Any, registry: dict[str, Any]) -> Any:
        """Instantiate with imports taken from ``registry`` (registered name -> instance); the driver
        builds ``spectest`` from ``harness.spec.spectest`` unless a script registered that name."""
        raise NotImplementedError

    def host_extern(self, decl: spectest.Extern) -> Any:
        """This engine's object for one ``spectest`` declaration (drivers that build host objects in Python)."""
        raise NotImplementedError

    @cached_property
    def spectest_exports(self) -> dict[str, Any]:
        """``spectest`` in this engine's terms, made on first use and kept: a script's imports of ``table``
        or ``memory`` all see the same one, as in the reference interpreter."""
        return spectest.build(self.host_extern, self.spectest_features)

    @property
    def spectest_features(self) -> frozenset[str]:
        """The proposals this driver runs with, for the ``spectest`` exports that need one (``table64``)."""
        return frozenset(getattr(self, "features", ()))

    def invoke(self, instance: Any, field: str, args: list[tuple[str, Any]]) -> list[tuple[str, Any]]:
        raise NotImplementedError

    def get(self, instance: Any, field: str) -> tuple[str, Any]:
        raise NotImplementedError

    def close(self) -> None:
        pass
