"""Engine adapters: one per runtime, each knowing its tiers, whether it is available here, its version
and what it can do.  Capabilities themselves (spec, wasi, perf) live with their stage and look the
adapter up here, so this package stays small."""

from .base import Adapter, Availability, EngineSpec, UnknownEngineError
from .registry import adapters, get_adapter, parse_engines

__all__ = ["Adapter", "Availability", "EngineSpec", "UnknownEngineError", "adapters", "get_adapter", "parse_engines"]
