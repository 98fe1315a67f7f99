"""pywasm (pure-Python interpreter) through its core API, with raw values.

pywasm keeps values as 16-byte ``ValInst`` buffers, so arguments and results are exact bits (NaN payloads,
v128).  It reports every failure as a Python ``AssertionError`` without a kind, so traps are scored as
"trapped" with no kind, and a failed instantiation is a link failure when an import is missing and a
trap otherwise.
"""

from __future__ import annotations

import io
import struct
from dataclasses import dataclass
from typing import Any, assert_never

import pywasm
from pywasm import core as P

from .. import spectest
from ..values import BITS, HostRef
from .base import CompileFailure, Driver, LinkFailure, TrapFailure, Unsupported

_VALTYPE = {"i32": P.ValType.i32, "i64": P.ValType.i64, "f32": P.ValType.f32, "f64": P.ValType.f64,
            "v128": P.ValType.v128, "funcref": P.ValType.ref_func, "externref": P.ValType.ref_extern}
_NAME = {0x7F: "i32", 0x7E: "i64", 0x7D: "f32", 0x7C: "f64", 0x7B: "v128", 0x70: "funcref", 0x6F: "externref"}
_TRAPS = (AssertionError, ArithmeticError, IndexError, struct.error)


@dataclass(frozen=True)
class PyFuncRef:
    addr: int


class PywasmDriver(Driver):
    def __init__(self, tier: str):
        super().__init__(tier)
        self.rt = pywasm.Runtime()

    def compile(self, binary: bytes | None, text: str | None = None) -> Any:
        try:
            return P.ModuleDesc.from_reader(io.BytesIO(binary or b""))
        except Exception as e:  # noqa: BLE001 - pywasm signals malformed input with arbitrary errors
            raise CompileFailure(f"{type(e).__name__}: {e}") from None

    def host_extern(self, decl: spectest.Extern) -> Any:
        rt = self.rt
        match decl:
            case spectest.Func(params=params, results=results):
                ftype = P.FuncType([_VALTYPE[t]() for t in params], [_VALTYPE[t]() for t in results])
                return rt.allocate_func_host(ftype, lambda machine, args: [])
            case spectest.Global(type=t, value=value):
                gtype = P.GlobalType(_VALTYPE[t](), 0)
                return rt.allocate_global(gtype, getattr(P.ValInst, f"from_{t}")(value))
            case spectest.Table(min=lo, max=hi, element=element):
                return rt.allocate_table(P.TableType(_VALTYPE[element](), P.Limits(lo, hi)))
            case spectest.Memory(min=lo, max=hi):
                return rt.allocate_memory(P.MemType(P.Limits(lo, hi)))
            case _:
                assert_never(decl)

    def instantiate(self, module: Any, registry: dict[str, Any]) -> Any:
        self.rt.imports = {name: {e.name: e.data for e in inst.exps} for name, inst in registry.items()}
        self.rt.imports.setdefault(spectest.NAME, self.spectest_exports)
        for imp in module.imps:
            if imp.name not in self.rt.imports.get(imp.module, {}):
                raise LinkFailure(f"unknown import {imp.module}.{imp.name}")
        try:
            return self.rt.instance(module)
        except _TRAPS as e:
            self.rt.machine.stack = P.Stack()
            raise TrapFailure(f"{type(e).__name__}: {e}") from None

    def _val(self, t: str, raw: Any) -> Any:
        vt = _VALTYPE[t]()
        if t in BITS:
            return P.ValInst(vt, bytearray(raw.to_bytes(BITS[t] // 8, "little")) + bytearray(16 - BITS[t] // 8))
        if raw is None:
            return P.ValInst(vt, bytearray(16))
        if isinstance(raw, HostRef):
            return P.ValInst.from_ref(vt, raw.n)
        if isinstance(raw, PyFuncRef):
            return P.ValInst.from_ref(vt, raw.addr)
        raise Unsupported(f"{t} argument {raw!r}")

    @staticmethod
    def _raw(v: Any) -> tuple[str, Any]:
        t = _NAME.get(v.type.data, f"type {v.type.data:#x}")
        if t in BITS:
            return t, int.from_bytes(bytes(v.data[: BITS[t] // 8]), "little")
        if v.data[4] == 0:
            return t, None
        n = v.into_ref()
        return t, HostRef(n) if t == "externref" else PyFuncRef(n)

    def _export(self, instance: Any, field: str, kind: int) -> Any:
        for e in instance.exps:
            if e.name == field and e.data.kind == kind:
                return e.data.data
        raise LinkFailure(f"no export {field!r}")

    def invoke(self, instance: Any, field: str, args: list[tuple[str, Any]]) -> list[tuple[str, Any]]:
        addr = self._export(instance, field, 0x00)
        values = [self._val(t, raw) for t, raw in args]
        try:
            results = self.rt.machine.invocate(addr, values)
        except _TRAPS as e:
            # pywasm leaves the frames of the trapped call on its stack; an embedder has to drop them.
            self.rt.machine.stack = P.Stack()
            raise TrapFailure(f"{type(e).__name__}: {e}") from None
        return [self._raw(v) for v in results]

    def get(self, instance: Any, field: str) -> tuple[str, Any]:
        addr = self._export(instance, field, 0x03)
        return self._raw(self.rt.machine.store.glob[addr].data)
