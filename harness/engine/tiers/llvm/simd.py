"""SIMD (v128) instructions -> LLVM vector IR.  Filled in after the scalar tier works."""

from __future__ import annotations

SIMD_OPS: dict[str, object] = {}
