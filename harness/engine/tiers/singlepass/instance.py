"""Linking a runtime ``ModuleInstance`` to a module's generated code: its VMContext, function records, and the
operations generated code leaves to Python (memory.grow, bulk memory, table changes, segment drops)."""

from __future__ import annotations

import ctypes
from typing import Any

from ...errors import TRAP_OOB_MEMORY, TRAP_OOB_TABLE, Trap
from ...runtime.instance import ModuleInstance
from ...runtime.objects import FuncInstance
from ..native_state import MASK32, canonical_type_id, u64_array
from . import layout as L
from .codemem import CodeBlock
from .native import NativeStore


class NativeInstance:
    """The native face of one module instance: ``ctx`` is what its code finds in ``r15``."""

    def __init__(self, store: NativeStore, code: CodeBlock, offsets: list[int], inst: ModuleInstance):
        self.store = store
        self.inst = inst
        m = inst.module
        offs = L.ctx_offsets(len(inst.tables), len(inst.globals), len(inst.funcs), len(m.types))
        ctx = self.ctx = u64_array(offs["size"] // 8)
        self.ctx_addr = ctypes.addressof(ctx)
        store.context_header(ctx, store.new_key(self))
        n_imported = len(inst.funcs) - len(m.funcs)
        self.code = code  # kept alive with the instance
        for i, fi in enumerate(inst.funcs):
            if i >= n_imported:
                rec = u64_array(3)
                rec[0] = canonical_type_id(fi.type)
                rec[1] = code.address + offsets[i - n_imported]
                rec[2] = self.ctx_addr
                store._keep.append(rec)
                store.register_record(fi, rec)
                fi.call = self._caller(fi, rec[1])
            ctx[offs["funcs"] // 8 + i] = store.record_of(fi)
        if inst.mems:
            ctx[L.CTX_MEMORY // 8] = store.mem_cell(inst.mems[0])
        for t, table in enumerate(inst.tables):
            ctx[offs["tables"] // 8 + t] = store.table_cell(table)
        for g, glob in enumerate(inst.globals):
            ctx[offs["globals"] // 8 + g] = store.global_cell(glob)
        for k, ft in enumerate(m.types):
            ctx[offs["types"] // 8 + k] = canonical_type_id(ft)

    def _caller(self, fi: FuncInstance, code_addr: int):
        store, ctx_addr, ft = self.store, self.ctx_addr, fi.type

        def call(args: list) -> list:
            return store.call_entry(code_addr, ctx_addr, ft, args)

        return call

    # -- operations generated code calls back for (``slots``: operands in, result in slots[0]) -----------
    def helper(self, op: str, s, imm: int) -> int:
        inst, store = self.inst, self.store
        if op == "memory.grow":
            mem = inst.mems[0]
            r = mem.grow(s[0] & MASK32)
            store.mem_cells[id(mem)][1][1] = mem.size * 65536
            return r & MASK32
        if op == "memory.init":
            mem = inst.mems[0]
            d, src, n = s[0] & MASK32, s[1] & MASK32, s[2] & MASK32
            data = inst.datas[imm] or b""
            if src + n > len(data) or d + n > mem.size * 65536:
                raise Trap(TRAP_OOB_MEMORY)
            mem.buf[d : d + n] = data[src : src + n]
            return 0
        if op == "data.drop":
            inst.datas[imm] = None
            return 0
        if op == "elem.drop":
            inst.elems[imm] = None
            return 0
        if op == "table.get":
            table = inst.tables[imm]
            i = s[0] & MASK32
            if i >= table.size:
                raise Trap(TRAP_OOB_TABLE)
            return store.ref_to_native(table.elements[i])
        if op == "table.set":
            table = inst.tables[imm]
            i = s[0] & MASK32
            if i >= table.size:
                raise Trap(TRAP_OOB_TABLE)
            table.elements[i] = store.ref_from_native(table.elem, s[1])
        elif op == "table.grow":
            table = inst.tables[imm]
            r = table.grow(s[1] & MASK32, store.ref_from_native(table.elem, s[0]))
            if r != -1:
                store.tables[id(table)].grew(store, r)
            return r & MASK32
        elif op == "table.fill":
            table = inst.tables[imm]
            i, n = s[0] & MASK32, s[2] & MASK32
            if i + n > table.size:
                raise Trap(TRAP_OOB_TABLE)
            table.elements[i : i + n] = [store.ref_from_native(table.elem, s[1])] * n
        elif op == "table.copy":
            dst, src = inst.tables[imm & MASK32], inst.tables[imm >> 32]
            d, si, n = s[0] & MASK32, s[1] & MASK32, s[2] & MASK32
            if si + n > src.size or d + n > dst.size:
                raise Trap(TRAP_OOB_TABLE)
            dst.elements[d : d + n] = src.elements[si : si + n]
            table = dst
        elif op == "table.init":
            table, seg = inst.tables[imm & MASK32], inst.elems[imm >> 32] or []
            d, si, n = s[0] & MASK32, s[1] & MASK32, s[2] & MASK32
            if si + n > len(seg) or d + n > table.size:
                raise Trap(TRAP_OOB_TABLE)
            table.elements[d : d + n] = seg[si : si + n]
        else:
            raise NotImplementedError(op)
        store.tables[id(table)].sync_from_python(store)
        return 0


class CompiledSinglepass:
    """The tier's ``CompiledModule``: one code block for the module's functions, linked into instances."""

    def __init__(self, store: NativeStore, code: CodeBlock, offsets: list[int], stats: dict[str, Any]):
        self.store = store
        self.code = code
        self.offsets = offsets
        self.stats = stats

    def link(self, inst: ModuleInstance) -> None:
        inst.native = NativeInstance(self.store, self.code, self.offsets, inst)
