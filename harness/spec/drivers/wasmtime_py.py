"""wasmtime through its Python API (wasmtime-py), calling the C API directly for values.

wasmtime-py converts floats through Python ``float`` (which quiets signalling NaNs) and has no v128, so
arguments and results are written and read as raw bytes of ``wasmtime_val_t``.  Tiers:
``cranelift`` (strategy cranelift), ``winch`` (strategy winch: wasmtime-py 50's ``Config.strategy`` only
accepts auto/cranelift, so the C setter is called with WASMTIME_STRATEGY_WINCH = 2) and ``pulley``
(``Config.target = "pulley64"``, the portable interpreter).
"""

from __future__ import annotations

import ctypes
import os
import platform
from typing import Any, assert_never

import wasmtime
from wasmtime import _ffi as ffi
from wasmtime._func import enter_wasm

from .. import spectest
from ..values import BITS, HostRef
from .base import CompileFailure, Driver, ExhaustionFailure, LinkFailure, TrapFailure, Unsupported

_KIND = {"i32": 0, "i64": 1, "f32": 2, "f64": 3, "v128": 4, "funcref": 5, "externref": 6}
_NAME = {v: k for k, v in _KIND.items()}
_VALTYPE = {t: getattr(wasmtime.ValType, t) for t in ("i32", "i64", "f32", "f64", "funcref")}
_STRATEGY_WINCH = 2


# Proposals newer than WebAssembly 2.0 that change what 2.0 scripts expect (a second memory, globals in
# constant expressions, longer LEBs).  The official suite we score is 2.0, so they are off unless
# HARNESS_SPEC_FEATURES=latest asks for the engine's defaults.
_POST_2_0 = ("wasm_multi_memory", "wasm_memory64", "wasm_gc", "wasm_function_references", "wasm_tail_call",
             "wasm_exceptions", "wasm_relaxed_simd", "wasm_wide_arithmetic", "wasm_custom_page_sizes",
             "wasm_threads", "wasm_stack_switching")


def make_config(tier: str) -> wasmtime.Config:
    config = wasmtime.Config()
    if os.environ.get("HARNESS_SPEC_FEATURES", "2.0") != "latest":
        for feature in _POST_2_0:
            try:
                setattr(config, feature, False)
            except (AttributeError, wasmtime.WasmtimeError):
                pass
    # externref needs the collector; winch leaves it off unless asked ("gc types are disallowed").
    config.gc_support = True
    if tier == "cranelift":
        config.strategy = "cranelift"
    elif tier == "winch":
        ffi.wasmtime_config_strategy_set(config.ptr(), _STRATEGY_WINCH)
    elif tier == "pulley":
        config.target = "pulley64" if platform.architecture()[0] == "64bit" else "pulley32"
    else:
        raise ValueError(f"unknown wasmtime tier {tier!r}")
    return config


def _cause(text: str) -> str:
    """The reason in wasmtime's multi-line error (its last line, after 'Caused by'), without the backtrace."""
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
    if not lines:
        return ""
    last = lines[-1]
    head, sep, rest = last.partition(":")
    if sep and head.isdigit():  # "0: message" in a numbered cause chain
        last = rest.strip()
    return last.removeprefix("wasm trap:").strip()


class _Instance:
    def __init__(self, exports: dict[str, Any]):
        self.exports = exports


class WasmtimeDriver(Driver):
    reads_text = True

    def __init__(self, tier: str):
        super().__init__(tier)
        self.engine = wasmtime.Engine(make_config(tier))
        self.store = wasmtime.Store(self.engine)

    # -- modules ------------------------------------------------------------------------------------
    def compile(self, binary: bytes | None, text: str | None = None) -> Any:
        try:
            return wasmtime.Module(self.engine, binary if binary is not None else text)
        except wasmtime.WasmtimeError as e:
            raise CompileFailure(str(e)) from None

    def host_extern(self, decl: spectest.Extern) -> Any:
        s = self.store
        match decl:
            case spectest.Func(params=params, results=results):
                ftype = wasmtime.FuncType([_VALTYPE[t]() for t in params], [_VALTYPE[t]() for t in results])
                return wasmtime.Func(s, ftype, lambda *args: None)
            case spectest.Global(type=t, value=value):
                return wasmtime.Global(s, wasmtime.GlobalType(_VALTYPE[t](), False), getattr(wasmtime.Val, t)(value))
            case spectest.Table(min=lo, max=hi, element=element):
                return wasmtime.Table(s, wasmtime.TableType(_VALTYPE[element](), wasmtime.Limits(lo, hi)), None)
            case spectest.Memory(min=lo, max=hi):
                return wasmtime.Memory(s, wasmtime.MemoryType(wasmtime.Limits(lo, hi)))
            case _:
                assert_never(decl)

    def instantiate(self, module: Any, registry: dict[str, Any]) -> Any:
        externs = []
        for imp in module.imports:
            provider = registry.get(imp.module)
            if provider is None and imp.module == spectest.NAME:
                provider = _Instance(self.spectest_exports)
            ext = provider.exports.get(imp.name) if provider is not None else None
            if ext is None:
                raise LinkFailure(f"unknown import: {imp.module}::{imp.name}")
            externs.append(ext)
        try:
            inst = wasmtime.Instance(self.store, module, externs)
        except wasmtime.Trap as t:
            raise self._trap(t) from None
        except wasmtime.WasmtimeError as e:
            text = str(e)
            if "wasm trap" in text or "out of bounds" in text:
                raise TrapFailure(text) from None
            raise LinkFailure(text) from None
        return _Instance(dict(inst.exports(self.store).items()))

    # -- values ---------------------------------------------------------------------------------------
    def _to_val(self, t: str, raw: Any) -> Any:
        if t in BITS:
            v = ffi.wasmtime_val_t()
            v.kind = _KIND[t]
            data = raw.to_bytes(BITS[t] // 8, "little")
            ctypes.memmove(ctypes.addressof(v.of), data, len(data))
            return v
        if t == "externref":
            return wasmtime.Val.externref(raw)._new_raw(self.store)
        if t == "funcref":
            return wasmtime.Val.funcref(raw)._new_raw(self.store)
        raise Unsupported(f"{t} values through the wasmtime Python API")

    def _from_val(self, v: Any) -> tuple[str, Any]:
        kind = v.kind
        t = _NAME.get(kind)
        if t in BITS:
            raw = int.from_bytes(ctypes.string_at(ctypes.addressof(v.of), BITS[t] // 8), "little")
            return t, raw
        if t in ("externref", "funcref"):
            value = wasmtime.Val._from_raw(self.store, v).value
            if t == "externref" and value is not None and not isinstance(value, HostRef):
                value = HostRef(-1)
            return t, value
        raise Unsupported(f"result of value kind {kind} through the wasmtime Python API")

    def _trap(self, t: wasmtime.Trap) -> TrapFailure:
        code = t.trap_code
        message = _cause(t.message or "")
        name = code.name if code is not None else None
        detail = f"{message} [{name}]" if name else message
        if code == wasmtime.TrapCode.STACK_OVERFLOW:
            return ExhaustionFailure(detail, name)
        return TrapFailure(detail, name)

    # -- calls ----------------------------------------------------------------------------------------
    def invoke(self, instance: Any, field: str, args: list[tuple[str, Any]]) -> list[tuple[str, Any]]:
        func = instance.exports.get(field)
        if not isinstance(func, wasmtime.Func):
            raise LinkFailure(f"no exported function {field!r}")
        n_results = len(func.type(self.store).results)
        params = (ffi.wasmtime_val_t * max(len(args), 1))()
        for i, (t, raw) in enumerate(args):
            params[i] = self._to_val(t, raw)
        results = (ffi.wasmtime_val_t * max(n_results, 1))()
        try:
            with enter_wasm(self.store) as trap:
                error = ffi.wasmtime_func_call(self.store._context(), ctypes.byref(func._func), params, len(args),
                                               results, n_results, trap)
                if error:
                    raise wasmtime.WasmtimeError._from_ptr(error)
        except wasmtime.Trap as t:
            raise self._trap(t) from None
        except wasmtime.WasmtimeError as e:
            text = str(e)
            if "stack overflow" in text:
                raise ExhaustionFailure(text) from None
            raise TrapFailure(text) from None
        return [self._from_val(results[i]) for i in range(n_results)]

    def get(self, instance: Any, field: str) -> tuple[str, Any]:
        g = instance.exports.get(field)
        if not isinstance(g, wasmtime.Global):
            raise LinkFailure(f"no exported global {field!r}")
        raw = ffi.wasmtime_val_t()
        ffi.wasmtime_global_get(self.store._context(), ctypes.byref(g._global), ctypes.byref(raw))
        return self._from_val(raw)
