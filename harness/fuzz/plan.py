"""Which exports of a module are called, with which arguments, and what is observed after each call.

Every exported function whose parameters and results the drivers can carry (numbers, v128, null
references) is called ``CALLS_PER_EXPORT`` times, in export order; after each call (and after
instantiation) every exported global of such a type and every exported memory is read.  Arguments mix
edge values (0, 1, -1, the sign bit, infinities, a NaN) with random ones, drawn from a generator seeded by
the module's name *and the export's name*: a minimised module that keeps an export calls it with the same
arguments as the original did, which is what lets ``wasm-tools shrink`` keep a disagreement.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Any

from ..spec.wasm_sections import read_module_info
from .refuel import REFUEL

CALLS_PER_EXPORT = 3
CARRIED = frozenset({"i32", "i64", "f32", "f64", "v128", "funcref", "externref"})
_EDGES = {
    "i32": [0, 1, 0xFFFFFFFF, 0x80000000, 0x7FFFFFFF, 31, 32],
    "i64": [0, 1, (1 << 64) - 1, 1 << 63, (1 << 63) - 1, 63, 64],
    "f32": [0, 0x80000000, 0x3F800000, 0x7F800000, 0xFF800000, 0x7FC00000, 0x4F000000],
    "f64": [0, 1 << 63, 0x3FF0000000000000, 0x7FF0000000000000, 0x7FF8000000000000, 0x43E0000000000000],
}
_BITS = {"i32": 32, "i64": 64, "f32": 32, "f64": 64, "v128": 128}


@dataclass
class Call:
    export: str
    args: list[tuple[str, int | None]]  # (type, raw value); references are null (None)
    results: tuple[str, ...]

    def describe(self) -> str:
        return f"{self.export}({', '.join('null' if v is None else hex(v) for _, v in self.args)})"


@dataclass
class Plan:
    calls: list[Call] = field(default_factory=list)
    globals: list[str] = field(default_factory=list)
    memories: list[str] = field(default_factory=list)
    refuel: str | None = None  # the export that refills smith's fuel before each call (``refuel``)
    note: str = ""  # why the plan is empty or short (a module the reader could not read)

    def to_json(self) -> dict:
        return {"calls": [[c.export, [[t, v] for t, v in c.args]] for c in self.calls],
                "globals": self.globals, "memories": self.memories, "refuel": self.refuel}


def argument(t: str, rng: random.Random) -> int | None:
    if t not in _BITS:
        return None
    if t in _EDGES and rng.random() < 0.5:
        return rng.choice(_EDGES[t])
    return rng.getrandbits(_BITS[t])


def _exports(wasm: bytes) -> list[tuple[str, str, Any]] | None:
    """(name, kind, type) of each export: (params, results) of a function, the value type of a global.

    The harness's small reader (``spec.wasm_sections``) is fast but knows only the 2.0 value types; a type
    section with typed references or gc types (it reads them as ``?``, or not at all) goes through our
    engine's decoder instead.  None when neither can read the module."""
    try:
        info = read_module_info(wasm)
        if all("?" not in p + r for p, r in info.types):
            out: list[tuple[str, str, Any]] = []
            for name, (kind, _) in info.exports.items():
                ty: Any = None
                if kind == "func":
                    ty = info.export_func_type(name)
                elif kind == "global":
                    gt = info.export_global_type(name)
                    ty = gt[0] if gt else None
                out.append((name, kind, ty))
            return out
    except (IndexError, ValueError, UnicodeError):
        pass
    try:
        from ..engine import api, features

        module = api.Module.from_bytes(wasm, validate=False, features=features.WASM3)  # only its exports
    except Exception:  # noqa: BLE001 - a module our decoder rejects: nothing to call
        return None
    out = []
    for name, kind, ty in module.exports:
        if kind == "func":
            out.append((name, kind, (tuple(str(t) for t in ty.params), tuple(str(t) for t in ty.results))))
        elif kind == "global":
            out.append((name, kind, str(ty.valtype)))
        else:
            out.append((name, kind, None))
    return out


def make_plan(wasm: bytes, name: str, calls_per_export: int = CALLS_PER_EXPORT) -> Plan:
    """The calls and observations for ``wasm``; ``name`` (``"seed:index"``) seeds the arguments."""
    exports = _exports(wasm)
    if exports is None:
        return Plan(note="cannot read the module's exports; it is only instantiated")
    plan = Plan()
    for export, kind, ty in exports:
        if kind == "func" and export == REFUEL:
            plan.refuel = export
        elif kind == "func":
            if ty is None or not set(ty[0]) | set(ty[1]) <= CARRIED:
                continue
            rng = random.Random(f"{name}:{export}")
            for _ in range(calls_per_export):
                plan.calls.append(Call(export, [(t, argument(t, rng)) for t in ty[0]], ty[1]))
        elif kind == "global" and ty in CARRIED:
            plan.globals.append(export)
        elif kind == "memory":
            plan.memories.append(export)
    return plan
