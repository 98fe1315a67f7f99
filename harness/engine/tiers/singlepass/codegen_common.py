"""What the singlepass tier's code generators share whatever the ISA: the abstract stack entry, the module
layout every function consults, the float-to-int truncation bounds, the table from wasm operators to
the ``FunctionCompiler`` methods each ISA implements under the same names, and the base class with the
methods that emit nothing themselves (the value stack, the walk over a body, helper-call instructions)."""

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




SUPPORTED_TYPES = ("i32", "i64", "f32", "f64", "v128", "funcref", "externref")
FLAG_CONSUMERS = ("if", "br_if", "select")  # take a compare's result from the flags (compare and branch fused)


class FunctionCompilerBase:
    """The part of each ISA's ``FunctionCompiler`` that emits nothing itself: the abstract value stack's
    pushes and pops, the walk over the body that dispatches each instruction to its handler, entering a
    block, and the instructions that are only a helper call or a stack change.  Each ISA's subclass gives
    its control entry and label types (``CTL``, ``LABEL``), its operator table (``HANDLERS``, set once the
    class exists) and the handler it makes for an operator the table lacks (``FALLBACK``), and the methods
    these call (``spill``, ``to_reg``, ``free``, ``helper_call``, ``materialize_flags``, ``op_br``,
    ``begin_else``, ``end_frame``, ``unsupported``)."""

    CTL: type
    LABEL: type
    HANDLERS: dict[str, Any]
    FALLBACK: Callable[[str], Any]
    stack: list[Entry]
    frames: list[Any]
    traps: dict[int, Any]
    layout: ModuleLayout
    max_depth: int

    # -- the abstract value stack ---------------------------------------------------------------------
    def spill_all(self) -> None:
        for d, e in enumerate(self.stack):
            if e.kind != SLOT:
                self.spill(d)

    def pop(self) -> Entry:
        return self.stack.pop()

    def pop_reg(self) -> int:
        e = self.stack.pop()
        return self.to_reg(e, len(self.stack))

    def push_reg(self, t: str, reg: int) -> None:
        self.stack.append(Entry(REG, t, reg))
        self.max_depth = max(self.max_depth, len(self.stack))

    def push_const(self, t: str, value: Any) -> None:
        self.stack.append(Entry(CONST, t, value))
        self.max_depth = max(self.max_depth, len(self.stack))

    def push_slots(self, types: tuple | list) -> None:
        for t in types:
            self.stack.append(Entry(SLOT, t))
        self.max_depth = max(self.max_depth, len(self.stack))

    def push_flags(self, cc: str) -> None:
        self.stack.append(Entry(FLAGS, "i32", cc))
        self.max_depth = max(self.max_depth, len(self.stack))

    def trap(self, code: int) -> Any:
        label = self.traps.get(code)
        if label is None:
            label = self.traps[code] = self.LABEL()
        return label

    # -- the walk over the body -------------------------------------------------------------------------
    def run(self) -> None:
        frames = self.frames
        handlers = self.HANDLERS
        while frames:
            f = frames[-1]
            if f.pos < len(f.body) and not f.unreachable:
                ins = f.body[f.pos]
                f.pos += 1
                op = ins[0]
                if self.stack and self.stack[-1].kind == FLAGS and op not in FLAG_CONSUMERS:
                    self.materialize_flags(self.stack[-1])
                h = handlers.get(op)
                if h is None:
                    h = handlers[op] = self.FALLBACK(op)
                    if h is None:
                        del handlers[op]
                        raise self.unsupported(f"instruction {op}")
                h(self, ins)
            elif f.kind == "if" and f.else_body is not None:
                self.begin_else(f)
            else:
                self.end_frame(f)

    def enter(self, kind: str, bt: Any, body: list) -> Any:
        params, results = self.layout.block_type(bt)
        for t in params + results:
            if t not in SUPPORTED_TYPES:
                raise self.unsupported(f"a block of {t} values")
        self.spill_all()
        f = self.CTL(kind, self.LABEL(), len(self.stack) - len(params), params, results, body)
        self.frames.append(f)
        return f

    def reset_to(self, height: int, types: tuple) -> None:
        while len(self.stack) > height:
            self.free(self.stack.pop())
        self.push_slots(types)

    # -- instructions that are a stack change or a helper call ---------------------------------------------
    def op_block(self, ins: tuple) -> None:
        self.enter("block", ins[1], ins[2])

    def op_return(self, ins: tuple) -> None:
        self.op_br(("br", len(self.frames) - 1))

    def op_nop(self, ins: tuple) -> None:
        pass

    def op_const(self, ins: tuple) -> None:
        self.push_const(ins[0][:3], ins[1])

    def op_ref_null(self, ins: tuple) -> None:
        self.push_const(ins[1], 0)

    def op_drop(self, ins: tuple) -> None:
        self.free(self.pop())

    def table_elem(self, t: int) -> str:
        m = self.layout.module
        imported = m.imported("table")
        return imported[t].desc.elem if t < len(imported) else m.tables[t - len(imported)].elem

    def op_table_set(self, ins: tuple) -> None:
        self.helper_call("table.set", 2, None, ins[1])

    def op_table_grow(self, ins: tuple) -> None:
        self.helper_call("table.grow", 2, "i32", ins[1])

    def op_table_fill(self, ins: tuple) -> None:
        self.helper_call("table.fill", 3, None, ins[1])

    def op_table_copy(self, ins: tuple) -> None:
        self.helper_call("table.copy", 3, None, ins[1] | ins[2] << 32)

    def op_table_init(self, ins: tuple) -> None:
        self.helper_call("table.init", 3, None, ins[2] | ins[1] << 32)

    def op_elem_drop(self, ins: tuple) -> None:
        self.helper_call("elem.drop", 0, None, ins[1])

    def op_memory_grow(self, ins: tuple) -> None:
        self.helper_call("memory.grow", 1, "i32")

    def op_memory_init(self, ins: tuple) -> None:
        self.helper_call("memory.init", 3, None, ins[1])

    def op_data_drop(self, ins: tuple) -> None:
        self.helper_call("data.drop", 0, None, ins[1])
