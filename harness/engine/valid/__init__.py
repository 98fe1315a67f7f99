"""Validation (wasm 2.0): :func:`validate_module` raises :class:`ValidationError` with the spec's wording."""

from .module import validate_module

__all__ = ["validate_module"]
