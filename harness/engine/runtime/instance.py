"""Module instances and instantiation (spec section 4.5.4, wasm 2.0 semantics).

Instantiation is tier-neutral: a tier contributes only ``compiled.link(instance)``, which makes the
instance's own ``FuncInstance`` objects callable (sets their ``call``), and a ``run(func, args)`` that
invokes a function with the tier's trap translation (used for the start function).
"""

from __future__ import annotations

import struct
from collections.abc import Callable
from typing import Any, Protocol

from ..errors import TRAP_OOB_MEMORY, TRAP_OOB_TABLE, LinkError, Trap
from ..syntax import FuncType, GlobalType, Limits, MemType, Module, TableType
from .gcref import I31, ArrayRef, StructRef, any_convert_extern, array_new, extern_convert_any
from .memory import MemoryInstance
from .objects import FuncInstance, GlobalInstance, TableInstance, TagInstance
from .rtt import RTT, func_rtt, module_rtts

Extern = FuncInstance | TableInstance | MemoryInstance | GlobalInstance | TagInstance
_KIND_CLASS = {"func": FuncInstance, "table": TableInstance, "memory": MemoryInstance, "global": GlobalInstance,
               "tag": TagInstance}


class CompiledModule(Protocol):
    """What a tier produces once per :class:`Module` (and may cache): it links instances."""

    def link(self, inst: ModuleInstance) -> None:
        """Make every function defined by ``inst`` callable: set ``FuncInstance.call`` (and tier attributes)."""


class ModuleInstance:
    """The runtime state of one instantiated module.

    ``funcs``/``tables``/``mems``/``globals`` are the index spaces (imports first); ``elems`` holds each
    element segment's references (``None`` once dropped) and ``datas`` each data segment's bytes (``None`` once
    dropped); ``exports`` maps export names to extern objects.
    """

    def __init__(self, module: Module):
        self.module = module
        self.types: list[FuncType] = module.types
        self.funcs: list[FuncInstance] = []
        self.tables: list[TableInstance] = []
        self.mems: list[MemoryInstance] = []
        self.globals: list[GlobalInstance] = []
        self.tags: list[TagInstance] = []
        self.rtts: list[RTT] = []  # the runtime type of each of the module's types
        self.elems: list[list | None] = []
        self.datas: list[bytes | None] = []
        self.exports: dict[str, Extern] = {}
        self.compiled: Any = None  # the tier's CompiledModule


def _limits_match(actual: Limits, expected: Limits) -> bool:
    if actual.min < expected.min:
        return False
    if expected.max is None:
        return True
    return actual.max is not None and actual.max <= expected.max


def rtt_of(ext: FuncInstance | TagInstance) -> RTT:
    """A function's or tag's runtime type (made here for host functions and host tags)."""
    if ext.rtt is None:
        ext.rtt = func_rtt(ext.type)
    return ext.rtt


def extern_matches(ext: Extern, kind: str, expected: Any, expected_rtt: RTT | None = None,
                   rtts: list[RTT] | None = None) -> bool:
    """Extern subtyping (spec 4.5.2): does ``ext`` fit an import of ``kind`` with type ``expected``?
    ``expected_rtt`` is the importing module's runtime type for a function or tag import (3.0: types are
    compared across modules by their canonical runtime types; a function may be of a subtype); ``rtts`` are
    the importing module's runtime types, which a global's reference type may name."""
    if not isinstance(ext, _KIND_CLASS[kind]):
        return False
    if kind == "func" or kind == "tag":
        if expected_rtt is None:
            return ext.type == expected
        actual = rtt_of(ext)
        return actual is expected_rtt or (kind == "func" and actual.sub_of(expected_rtt))
    if kind == "table":
        t = ext.type
        return t.elem == expected.elem and t.addr == expected.addr and _limits_match(t.limits, expected.limits)
    if kind == "memory":
        t = ext.type
        return t.addr == expected.addr and _limits_match(t.limits, expected.limits)
    t = ext.type
    if t.mutable != expected.mutable:
        return False
    if t.valtype == expected.valtype and (ext.rtts is None or rtts is None):
        return True
    # 3.0 references: a mutable global's type must be the same, an immutable one's may be a subtype
    return _ref_matches(t.valtype, ext.rtts, expected.valtype, rtts, exact=t.mutable)


def _ref_matches(actual: str, a_rtts: list[RTT] | None, expected: str, e_rtts: list[RTT] | None,
                 exact: bool) -> bool:
    """Reference type ``actual`` (naming ``a_rtts``' types) against ``expected`` (naming ``e_rtts``')."""
    from .. import types

    a, b = types.parse(actual), types.parse(expected)
    if a is None or b is None:
        return actual == expected
    if a[0] != b[0] if exact else (a[0] and not b[0]):
        return False
    ha = a_rtts[a[1]] if isinstance(a[1], int) and a_rtts is not None else a[1]
    hb = e_rtts[b[1]] if isinstance(b[1], int) and e_rtts is not None else b[1]
    if isinstance(ha, int) or isinstance(hb, int):  # a defined type whose module is unknown (a host global)
        return ha == hb
    if exact or ha is hb:
        return ha is hb or ha == hb
    if isinstance(ha, RTT) and isinstance(hb, RTT):
        return ha.sub_of(hb)
    if isinstance(ha, RTT):  # a defined type under an abstract one
        return hb == "func" if ha.kind == "func" else hb in ("any", "eq", ha.kind)
    if isinstance(hb, RTT):  # only the bottom of its hierarchy is below a defined type
        return ha == ("nofunc" if hb.kind == "func" else "none")
    return types.heap_sub(ha, hb, [], [], [])


_F32 = struct.Struct("<f")


def eval_const(expr: list, inst: ModuleInstance) -> Any:
    """Evaluate a constant expression to a raw value (also the extended-const arithmetic, harmlessly)."""
    stack: list = []
    for ins in expr:
        op = ins[0]
        if op in ("i32.const", "i64.const", "f32.const", "f64.const", "v128.const"):
            stack.append(ins[1])
        elif op == "ref.null":
            stack.append(None)
        elif op == "ref.func":
            stack.append(inst.funcs[ins[1]])
        elif op == "global.get":
            stack.append(inst.globals[ins[1]].value)
        elif op in _ALLOC:
            stack.append(_alloc(ins, stack, inst))
        elif op == "ref.i31":
            stack.append(I31(stack.pop()))
        elif op == "any.convert_extern":
            stack.append(any_convert_extern(stack.pop()))
        elif op == "extern.convert_any":
            stack.append(extern_convert_any(stack.pop()))
        elif op in ("i32.add", "i32.sub", "i32.mul", "i64.add", "i64.sub", "i64.mul"):
            b, a = stack.pop(), stack.pop()
            m = 0xFFFFFFFF if op[1] == "3" else 0xFFFFFFFFFFFFFFFF
            r = a + b if op.endswith("add") else a - b if op.endswith("sub") else a * b
            stack.append(r & m)
        else:
            raise ValueError(f"not a constant instruction: {op}")
    return stack[-1] if stack else None


_ALLOC = frozenset(("struct.new", "struct.new_default", "array.new", "array.new_default", "array.new_fixed"))


def _field_value(storage: str, raw: Any) -> Any:
    """A raw value as a struct or array holds it (the interpreter's representation: f64 as a float)."""
    if storage == "f64":
        return struct.unpack("<d", struct.pack("<Q", raw))[0]
    mask = {"i8": 0xFF, "i16": 0xFFFF}.get(storage)
    return raw & mask if mask else raw


def _default(storage: str) -> Any:
    return 0.0 if storage == "f64" else 0 if storage in ("i8", "i16", "i32", "i64", "f32", "v128") else None


def _alloc(ins: tuple, stack: list, inst: ModuleInstance) -> Any:
    """struct.new* / array.new* in a constant expression (3.0)."""
    op, x = ins[0], ins[1]
    t = inst.module.types[x]
    rtt = inst.rtts[x]
    if op == "struct.new":
        n = len(t.fields)
        vals = stack[len(stack) - n:] if n else []
        del stack[len(stack) - n:]
        return StructRef(rtt, [_field_value(f.storage, v) for f, v in zip(t.fields, vals, strict=True)])
    if op == "struct.new_default":
        return StructRef(rtt, [_default(f.storage) for f in t.fields])
    storage = t.field.storage
    if op == "array.new_fixed":
        n = ins[2]
        vals = stack[len(stack) - n:] if n else []
        del stack[len(stack) - n:]
        return ArrayRef(rtt, [_field_value(storage, v) for v in vals])
    count = stack.pop()
    fill = _field_value(storage, stack.pop()) if op == "array.new" else _default(storage)
    return array_new(rtt, fill, count)


def resolve_imports(module: Module, imports: dict[str, dict[str, Extern]] | None) -> list[Extern]:
    """Look up and type-check each import; ``LinkError`` ("unknown import"/"incompatible import type")."""
    out = []
    imports = imports or {}
    rtts = module_rtts(module.types, module.groups(), module.subs) if module.imports else []
    for imp in module.imports:
        ext = imports.get(imp.module, {}).get(imp.name)
        if ext is None:
            raise LinkError(f"unknown import {imp.module!r}.{imp.name!r}")
        typed = imp.kind in ("func", "tag")
        expected = module.types[imp.desc] if typed else imp.desc
        if not extern_matches(ext, imp.kind, expected, rtts[imp.desc] if typed else None, rtts):
            got = getattr(ext, "type", type(ext).__name__)
            raise LinkError(f"incompatible import type for {imp.module!r}.{imp.name!r}: "
                            f"expected {imp.kind} {expected}, got {got}")
        out.append(ext)
    return out


def instantiate(module: Module, externs: list[Extern], compiled: CompiledModule,
                run: Callable[[FuncInstance, list], list]) -> ModuleInstance:
    """Instantiate ``module`` with already resolved ``externs`` (one per import, in order).

    Follows the wasm 2.0 order: globals, then element and data segments applied one by one (a trapping
    segment leaves the writes of earlier segments in place), then the start function (through ``run``).
    """
    inst = ModuleInstance(module)
    inst.compiled = compiled
    inst.rtts = module_rtts(module.types, module.groups(), module.subs)
    spaces = {"func": inst.funcs, "table": inst.tables, "memory": inst.mems, "global": inst.globals,
              "tag": inst.tags}
    for imp, ext in zip(module.imports, externs, strict=True):
        spaces[imp.kind].append(ext)
    for i, f in enumerate(module.funcs):
        idx = len(inst.funcs)
        fi = FuncInstance(module.types[f.type_idx], inst, i, name=module.func_names.get(idx))
        fi.rtt = inst.rtts[f.type_idx]
        inst.funcs.append(fi)
    for mt in module.mems:
        inst.mems.append(MemoryInstance(mt))
    # 3.0: globals first (a table's initialiser may read them), in the order the spec gives
    for g in module.globals:
        inst.globals.append(GlobalInstance(g.type, eval_const(g.init, inst), inst.rtts))
    for i, tt in enumerate(module.tables):
        init = module.table_inits.get(i)
        inst.tables.append(TableInstance(tt, None if init is None else eval_const(init, inst)))
    inst.tags.extend(TagInstance(module.types[t], inst.rtts[t]) for t in module.tags)
    inst.elems = [[eval_const(e, inst) for e in seg.init] for seg in module.elems]
    inst.datas = [d.init for d in module.datas]
    for ex in module.exports:
        inst.exports[ex.name] = spaces[ex.kind][ex.index]
    compiled.link(inst)

    for i, seg in enumerate(module.elems):
        if seg.mode == "active":
            offset = eval_const(seg.offset, inst)
            items = inst.elems[i]
            table = inst.tables[seg.table].elements
            if offset + len(items) > len(table):
                raise Trap(TRAP_OOB_TABLE)
            table[offset : offset + len(items)] = items
        if seg.mode != "passive":
            inst.elems[i] = None
    for i, seg in enumerate(module.datas):
        if seg.mode == "active":
            offset = eval_const(seg.offset, inst)
            mem = inst.mems[seg.memory]
            if offset + len(seg.init) > len(mem.buf):
                raise Trap(TRAP_OOB_MEMORY)
            mem.buf[offset : offset + len(seg.init)] = seg.init
            inst.datas[i] = None
    if module.start is not None:
        run(inst.funcs[module.start], [])
    return inst


__all__ = ["ModuleInstance", "CompiledModule", "Extern", "instantiate", "resolve_imports", "extern_matches",
           "eval_const", "GlobalType", "MemType", "TableType"]
