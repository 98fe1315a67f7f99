"""What both ISAs' SIMD code generators share: the fixed order of the lane operations a helper call names by
index (``native.simd_helper`` decodes it), the helper call itself, the handlers every ISA registers the same
way (constants, whole-vector, lane, zero-extending and splatting loads and stores, shuffle, swizzle, splat,
lane extract and replace), and the fallback that sends an instruction without native code to the helper."""

from __future__ import annotations

import functools
from collections.abc import Iterable
from typing import Any

SHAPES = ("i8x16", "i16x8", "i32x4", "i64x2", "f32x4", "f64x2")


@functools.cache
def simd_names() -> list[str]:
    """The names of every wasm 2.0 (and relaxed) SIMD operation exec.simd computes, in a fixed order: a
    helper call carries its index."""
    from ...exec.simd import SIMD_OPS

    return sorted(SIMD_OPS)  # a list kept by the cache: nobody mutates it


@functools.cache
def simd_index() -> dict[str, int]:
    """A helper call's immediate: the operation's index in ``simd_names()``."""
    return {name: i for i, name in enumerate(simd_names())}


class SimdHelper:
    """The helper call both ISAs' ``SimdMixin`` make for a lane operation they leave to Python."""

    def op_simd_helper(self, ins: tuple) -> None:
        """A lane operation computed by exec.simd in Python (an ISA's helper-only operations and 3.0's
        relaxed SIMD, with the interpreter's fixed choices, so results match it)."""
        from ...exec.simd import SIMD_TYPES

        name = ins[0]
        argtypes, result = SIMD_TYPES[name]
        self.helper_call("simd", len(argtypes), result, simd_index()[name])  # type: ignore[attr-defined]


def fallback_handler(op: str) -> Any:
    """The handler of an instruction without its own: the helper call if exec.simd computes it, else None.
    Asked only on a miss, so a module without SIMD never imports exec.simd."""
    return SimdHelper.op_simd_helper if op in simd_index() else None


def common_handlers(S: type, memory_loads: Iterable[str]) -> dict[str, Any]:
    """The handlers each ISA's ``SimdMixin`` ``S`` has under the same names: ``memory_loads`` are the
    extending and splatting loads its ``op_v128_load`` handles beside the plain and zero-filling ones."""
    h: dict[str, Any] = {"v128.const": S.op_v128_const, "v128.load": S.op_v128_load, "v128.store": S.op_v128_store,
                         "v128.load32_zero": S.op_v128_load, "v128.load64_zero": S.op_v128_load,
                         "i8x16.shuffle": S.op_shuffle, "i8x16.swizzle": S.op_swizzle, "v128.not": S.op_vnot,
                         "v128.bitselect": S.op_bitselect, "v128.any_true": S.op_any_true}
    for op in memory_loads:
        h[op] = S.op_v128_load
    for w in (8, 16, 32, 64):
        h[f"v128.load{w}_lane"] = S.op_v128_load_lane
        h[f"v128.store{w}_lane"] = S.op_v128_store_lane
    for shape in SHAPES:
        h[f"{shape}.splat"] = S.op_splat
        h[f"{shape}.replace_lane"] = S.op_replace_lane
        if shape in ("i8x16", "i16x8"):
            h[f"{shape}.extract_lane_s"] = h[f"{shape}.extract_lane_u"] = S.op_extract_lane
        else:
            h[f"{shape}.extract_lane"] = S.op_extract_lane
    return h
