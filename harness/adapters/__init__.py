"""Engine adapters: one module per runtime, each knowing its tiers, whether it is available here, its
version, what it can do and the command lines that run things on it (``base.Adapter``).  The stages
(``harness.spec``, ``harness.wasi``, ``harness.perf``) look runtimes up in ``registry`` and never name them."""

from .base import Adapter, Availability, EngineSpec, Invocation, RunnerUnavailable, UnknownEngineError
from .registry import adapters, get_adapter, parse_engines

__all__ = ["Adapter", "Availability", "EngineSpec", "Invocation", "RunnerUnavailable", "UnknownEngineError",
           "adapters", "get_adapter", "parse_engines"]
