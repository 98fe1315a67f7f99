"""What the singlepass tier's code generators share whatever the ISA: the abstract stack entry, the module
layout every function consults, the float-to-int truncation bounds, and the table from wasm operators to
the ``FunctionCompiler`` methods each ISA implements under the same names."""

from __future__ import annotations

import struct
from collections.abc import Callable
from typing import Any

from . import layout as L

CONST, REG, SLOT, FLAGS, LOCAL = 0, 1, 2, 3, 4  # kinds of abstract stack entries (see Entry)
FLOAT = ("f32", "f64")
LOADS = ("i32.load", "i64.load", "f32.load", "f64.load", "i32.load8_s", "i32.load8_u", "i32.load16_s",
         "i32.load16_u", "i64.load8_s", "i64.load8_u", "i64.load16_s", "i64.load16_u", "i64.load32_s",
         "i64.load32_u")
STORES = ("i32.store", "i64.store", "f32.store", "f64.store", "i32.store8", "i32.store16", "i64.store8",
          "i64.store16", "i64.store32")
INT_COMPARES = ("eq", "ne", "lt_s", "lt_u", "gt_s", "gt_u", "le_s", "le_u", "ge_s", "ge_u")
SHIFTS = ("shl", "shr_s", "shr_u", "rotl", "rotr")
# float -> int truncation: (lower bound, lower bound inclusive?, upper bound exclusive), per (dst, signed, src)
TRUNC_BOUNDS = {
    ("i32", True, "f32"): (-2.0**31, True, 2.0**31), ("i32", True, "f64"): (-2.0**31 - 1, False, 2.0**31),
    ("i32", False, "f32"): (-1.0, False, 2.0**32), ("i32", False, "f64"): (-1.0, False, 2.0**32),
    ("i64", True, "f32"): (-2.0**63, True, 2.0**63), ("i64", True, "f64"): (-2.0**63, True, 2.0**63),
    ("i64", False, "f32"): (-1.0, False, 2.0**64), ("i64", False, "f64"): (-1.0, False, 2.0**64),
}



def bits(t: str, value: float) -> int:
    if t == "f32":
        return struct.unpack("<I", struct.pack("<f", value))[0]
    return struct.unpack("<Q", struct.pack("<d", value))[0]


def signed(v: int, w: bool) -> int:
    bits = 64 if w else 32
    v &= (1 << bits) - 1
    return v - (1 << bits) if v >> (bits - 1) else v


class Entry:
    """One abstract stack value: ``kind`` CONST (``value`` the bits), REG (``value`` the register), SLOT,
    FLAGS (``value`` the condition code under which a compare just emitted is true), or LOCAL (``value`` the
    index of the local whose current value it is)."""

    __slots__ = ("kind", "type", "value")

    def __init__(self, kind: int, type_: str, value: Any = 0):
        self.kind = kind
        self.type = type_
        self.value = value


class ModuleLayout:
    """What every function of a module needs to know about the others: types, labels, VMContext offsets."""

    new_label: Callable[[], Any]  # each ISA's subclass: its encoder's Label

    def __init__(self, module: Any):
        self.module = module
        self.n_imported = len(module.imported("func"))
        n_tables = len(module.imported("table")) + len(module.tables)
        n_globals = len(module.imported("global")) + len(module.globals)
        self.global_types = [i.desc.valtype for i in module.imported("global")] + [g.type.valtype
                                                                                  for g in module.globals]
        self.offsets = L.ctx_offsets(n_tables, n_globals, self.n_imported + len(module.funcs), len(module.types))
        self.labels = [self.new_label() for _ in module.funcs]
        self.has_memory = bool(module.mems or module.imported("memory"))

    def block_type(self, bt: Any) -> tuple[tuple, tuple]:
        if bt is None:
            return (), ()
        if isinstance(bt, str):
            return (), (bt,)
        ft = self.module.types[bt]
        return tuple(ft.params), tuple(ft.results)


def scalar_handlers(F: type) -> dict[str, Any]:
    """wasm operator -> ``F``'s method, for every 2.0 instruction but the vector ones: the same table for each
    ISA's ``FunctionCompiler``, whose methods have these names."""
    h: dict[str, Any] = {
        "block": F.op_block, "loop": F.op_loop, "if": F.op_if, "br": F.op_br, "br_if": F.op_br_if,
        "br_table": F.op_br_table, "return": F.op_return, "unreachable": F.op_unreachable, "nop": F.op_nop,
        "call": F.op_call, "call_indirect": F.op_call_indirect, "drop": F.op_drop, "select": F.op_select,
        "local.get": F.op_local_get, "local.set": F.op_local_set, "local.tee": F.op_local_tee,
        "global.get": F.op_global_get, "global.set": F.op_global_set,
        "i32.const": F.op_const, "i64.const": F.op_const, "f32.const": F.op_const, "f64.const": F.op_const,
        "ref.null": F.op_ref_null, "ref.func": F.op_ref_func, "ref.is_null": F.op_ref_is_null,
        "table.size": F.op_table_size, "table.get": F.op_table_get, "table.set": F.op_table_set,
        "table.grow": F.op_table_grow, "table.fill": F.op_table_fill, "table.copy": F.op_table_copy,
        "table.init": F.op_table_init, "elem.drop": F.op_elem_drop, "memory.size": F.op_memory_size,
        "memory.grow": F.op_memory_grow, "memory.init": F.op_memory_init, "data.drop": F.op_data_drop,
        "memory.copy": F.op_memory_copy, "memory.fill": F.op_memory_fill,
        "i32.wrap_i64": F.op_extend, "i64.extend_i32_s": F.op_extend, "i64.extend_i32_u": F.op_extend,
        "f32.demote_f64": F.op_float_width, "f64.promote_f32": F.op_float_width,
    }
    for op in LOADS:
        h[op] = F.op_load
    for op in STORES:
        h[op] = F.op_store
    for t in ("i32", "i64"):
        for op in ("add", "sub", "mul", "and", "or", "xor"):
            h[f"{t}.{op}"] = F.op_int_binary
        for op in INT_COMPARES:
            h[f"{t}.{op}"] = F.op_int_compare
        for op in SHIFTS:
            h[f"{t}.{op}"] = F.op_shift
        for op in ("div_s", "div_u", "rem_s", "rem_u"):
            h[f"{t}.{op}"] = F.op_divide
        for op in ("clz", "ctz", "popcnt"):
            h[f"{t}.{op}"] = F.op_int_unary
        h[f"{t}.eqz"] = F.op_eqz
        h[f"{t}.extend8_s"] = h[f"{t}.extend16_s"] = F.op_extend
        for f in FLOAT:
            for s in ("s", "u"):
                h[f"{t}.trunc_{f}_{s}"] = h[f"{t}.trunc_sat_{f}_{s}"] = F.op_truncate
                h[f"{f}.convert_{t}_{s}"] = F.op_convert
    h["i64.extend32_s"] = F.op_extend
    for f in FLOAT:
        for op in ("add", "sub", "mul", "div", "min", "max", "copysign"):
            h[f"{f}.{op}"] = F.op_float_binary
        for op in ("sqrt", "ceil", "floor", "trunc", "nearest", "neg", "abs"):
            h[f"{f}.{op}"] = F.op_float_unary
        for op in ("eq", "ne", "lt", "gt", "le", "ge"):
            h[f"{f}.{op}"] = F.op_float_compare
    h["i32.reinterpret_f32"] = h["i64.reinterpret_f64"] = F.op_reinterpret
    h["f32.reinterpret_i32"] = h["f64.reinterpret_i64"] = F.op_reinterpret
    return h


