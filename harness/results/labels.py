"""The name of an engine as people read it: ``runtime:tier``, or the runtime alone when it has no tier."""

from __future__ import annotations


def engine_label(runtime: str, tier: object = None) -> str:
    """``runtime:tier`` for a stored row or a parsed engine.

    ``tier`` comes from the store, so it may be None, an empty string or pandas' NaN for engines without
    tiers (native64); and a runtime that already carries its tier (``ours:interp``) is left as it is.
    """
    if ":" in runtime or not isinstance(tier, str) or not tier:
        return runtime
    return f"{runtime}:{tier}"
