"""Linking a runtime ``ModuleInstance`` to compiled code: its VMContext, function records, and the helper
operations compiled code delegates to Python (memory.grow, memory.init, table mutation, segment drops)."""

from __future__ import annotations

import ctypes
from typing import Any

from ...errors import TRAP_OOB_MEMORY, TRAP_OOB_TABLE, Trap, WasmException
from ...runtime.instance import ModuleInstance, rtt_of
from ...runtime.objects import FuncInstance
from ..native_state import u64_array
from . import layout as L
from .compiler import NativeCode, prepare_host_thunks
from .gcops import run as gc_run
from .native import ENTRY, NativeStore, rtt_id, tag_id


class NativeInstance:
    """The native face of one module instance."""

    def __init__(self, store: NativeStore, code: NativeCode, inst: ModuleInstance):
        self.store = store
        self.code = code
        self.inst = inst
        m = inst.module
        n_tables, n_globals, n_funcs, n_types = len(inst.tables), len(inst.globals), len(inst.funcs), len(m.types)
        offs = L.ctx_offsets(n_tables, n_globals, n_funcs, n_types, len(inst.mems), len(inst.tags))
        ctx = self.ctx = u64_array(offs["size"] // 8)
        self.ctx_addr = ctypes.addressof(ctx)
        self.key = len(store.instances) + 1
        store.instances[self.key] = self
        ctx[L.CTX_STATE // 8] = store.state_addr
        ctx[L.CTX_INSTANCE // 8] = self.key
        n_imported = n_funcs - len(m.funcs)
        self.entries = [ENTRY(a) for a in code.entries]
        # thunks for all imported host functions in one go (one compile/load, or one cache hit)
        prepare_host_thunks([fi.type for fi in inst.funcs[:n_imported] if fi.host is not None and fi.native is None],
                            store.cache)
        for i, fi in enumerate(inst.funcs):
            if i >= n_imported:
                rec = u64_array(3)
                rec[0] = rtt_id(rtt_of(fi))
                rec[1] = code.funcs[i - n_imported]
                rec[2] = self.ctx_addr
                store._keep.append(rec)
                store.register_record(fi, rec)
                fi.call = self._caller(fi, m.funcs[i - n_imported].type_idx, rec[1])
            ctx[offs["funcs"] // 8 + i] = store.record_of(fi)
        for x, mem in enumerate(inst.mems):
            ctx[offs["mems"] // 8 + x] = store.mem_cell(mem)
        if inst.mems:
            ctx[L.CTX_MEMORY // 8] = ctx[offs["mems"] // 8]
        for t, table in enumerate(inst.tables):
            ctx[offs["tables"] // 8 + t] = store.table_cell(table)
        for g, glob in enumerate(inst.globals):
            ctx[offs["globals"] // 8 + g] = store.global_cell(glob)
        for k in range(n_types):
            ctx[offs["types"] // 8 + k] = rtt_id(inst.rtts[k])
        for k, tag in enumerate(inst.tags):
            ctx[offs["tags"] // 8 + k] = tag_id(tag)

    def _caller(self, fi: FuncInstance, type_idx: int, code_addr: int):
        entry, store, ctx_addr, ft = self.entries[type_idx], self.store, self.ctx_addr, fi.type

        def call(args: list) -> list:
            return store.call_entry(entry, code_addr, ctx_addr, ft, args)

        return call

    # -- helper operations (called from compiled code through the store's helper callback) ----------------
    def helper(self, op: str, s) -> int:
        if op == "gc":  # first: GC programs make one such call per struct or array access
            return gc_run(self, s)
        inst, store = self.inst, self.store
        if op == "memory.grow":
            mem = inst.mems[s[0]]
            r = mem.grow(s[1])
            _, cell = store.mem_cells[id(mem)]
            cell[1] = mem.size * 65536
            return r
        if op == "memory.init":  # (compiled code zero-extends i32 operands: every value is unsigned here)
            data = inst.datas[s[0] & 0xFFFFFFFF] or b""
            d, src, n = s[1], s[2], s[3]
            mem = inst.mems[s[0] >> 32]
            if src + n > len(data) or d + n > mem.size * 65536:
                raise Trap(TRAP_OOB_MEMORY)
            if n:
                ctypes.memmove(mem.address + d, data[src : src + n], n)
            return 0
        if op == "data.drop":
            inst.datas[s[0]] = None
            return 0
        if op == "elem.drop":
            inst.elems[s[0]] = None
            return 0
        if op == "table.set":
            t, i = s[0], s[1]
            table = inst.tables[t]
            if i >= table.size:
                raise Trap(TRAP_OOB_TABLE)
            store.tables[id(table)].set(store, i, self._ref(table, s[2]))
            return 0
        if op == "table.grow":
            table = inst.tables[s[0]]
            r = table.grow(s[2], self._ref(table, s[1]))
            if r != -1:
                store.tables[id(table)].grew(store, r)
            return r
        if op == "table.fill":
            table = inst.tables[s[0]]
            i, n = s[1], s[3]
            if i + n > table.size:
                raise Trap(TRAP_OOB_TABLE)
            table.elements[i : i + n] = [self._ref(table, s[2])] * n
            store.tables[id(table)].sync_from_python(store)
            return 0
        if op == "table.copy":
            dst, src = inst.tables[s[0] & 0xFFFFFFFF], inst.tables[s[0] >> 32]
            d, sidx, n = s[1], s[2], s[3]
            if sidx + n > src.size or d + n > dst.size:
                raise Trap(TRAP_OOB_TABLE)
            dst.elements[d : d + n] = src.elements[sidx : sidx + n]
            store.tables[id(dst)].sync_from_python(store)
            return 0
        if op == "table.init":
            table, seg = inst.tables[s[0] & 0xFFFFFFFF], inst.elems[s[0] >> 32] or []
            d, sidx, n = s[1], s[2], s[3]
            if sidx + n > len(seg) or d + n > table.size:
                raise Trap(TRAP_OOB_TABLE)
            table.elements[d : d + n] = seg[sidx : sidx + n]
            store.tables[id(table)].sync_from_python(store)
            return 0
        if op == "throw":  # s[0]: the tag's index, s[1]: the payload's slots
            tag = inst.tags[s[0]]
            params = tag.type.params
            slots = (ctypes.c_uint64 * (2 * max(len(params), 1))).from_address(s[1])
            exc = WasmException(tag, tuple(store.get(slots, i, t) for i, t in enumerate(params)))
            return store.exn_record(exc)
        raise NotImplementedError(op)

    def _ref(self, table, native: int) -> Any:
        return self.store.ref_from_native(table.elem, native)


class CompiledLLVM:
    """The tier's ``CompiledModule``: native code for one module, linked into instances of one store."""

    def __init__(self, store: NativeStore, code: NativeCode):
        self.store = store
        self.code = code
        self.stats = code.stats

    def link(self, inst: ModuleInstance) -> None:
        inst.native = NativeInstance(self.store, self.code, inst)
