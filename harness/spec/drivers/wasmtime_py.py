"""wasmtime through its Python API (wasmtime-py), calling the C API directly for values.

wasmtime-py converts floats through Python ``float`` (which quiets signalling NaNs) and has no v128, so
arguments and results are written and read as raw bytes of ``wasmtime_val_t``.  Tiers:
``cranelift`` (strategy cranelift), ``winch`` (strategy winch: wasmtime-py 50's ``Config.strategy`` only
accepts auto/cranelift, so the C setter is called with WASMTIME_STRATEGY_WINCH = 2) and ``pulley``
(``Config.target = "pulley64"``, the portable interpreter).  Under a 3.0 suite the driver turns on the
``Config`` switches of every proposal the adapter declares for the tier (``harness.adapters.wasmtime``),
and adds memory64's ``spectest.table64`` (10..20 funcref, i64), made by a module since the C API cannot
make a 64-bit table type.  An anyref result that holds an external reference is turned back into one by a
small module (``extern.convert_any``), so a script can compare it with the host reference it came from, and
a host reference passed as an anyref goes the other way (``any.convert_extern``).
"""

from __future__ import annotations

import ctypes
import platform
from typing import Any, assert_never

import wasmtime
from wasmtime import _ffi as ffi
from wasmtime._func import enter_wasm

from .. import spectest
from ..values import BITS, HostRef
from .base import (
    CompileFailure,
    Driver,
    ExhaustionFailure,
    LinkFailure,
    ThrownException,
    TrapFailure,
    Unsupported,
    enabled_features,
)

_KIND = {"i32": 0, "i64": 1, "f32": 2, "f64": 3, "v128": 4, "funcref": 5, "externref": 6, "anyref": 7,
         "exnref": 8}
_NAME = {v: k for k, v in _KIND.items()}
# Reference types the C API carries as an anyref or an exnref: only null ones cross as arguments.
_AS_KIND = {"anyref": "anyref", "eqref": "anyref", "i31ref": "anyref", "structref": "anyref", "arrayref": "anyref",
            "nullref": "anyref", "exnref": "exnref", "nullexnref": "exnref"}
_VALTYPE = {t: getattr(wasmtime.ValType, t) for t in ("i32", "i64", "f32", "f64", "funcref")}
_STRATEGY_WINCH = 2


# Proposals newer than WebAssembly 2.0 that change what 2.0 scripts expect (a second memory, globals in
# constant expressions, longer LEBs): all off, then a 3.0 suite turns on the tier's declared ones.
_POST_2_0 = ("wasm_multi_memory", "wasm_memory64", "wasm_gc", "wasm_function_references", "wasm_tail_call",
             "wasm_exceptions", "wasm_relaxed_simd", "wasm_wide_arithmetic", "wasm_custom_page_sizes",
             "wasm_threads", "wasm_stack_switching")


def make_config(tier: str) -> wasmtime.Config:
    config = wasmtime.Config()
    for feature in _POST_2_0:
        try:
            setattr(config, feature, False)
        except (AttributeError, wasmtime.WasmtimeError):
            pass
    for support in enabled_features("wasmtime", tier).values():
        for attribute in support.enable:
            setattr(config, attribute, True)
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


class _Opaque:
    """A non-null anyref or exnref result: scripts only ask whether one is null (``(ref.any)``)."""

    def __init__(self, kind: str):
        self.kind = kind

    def __repr__(self) -> str:
        return f"<{self.kind}>"


class WasmtimeDriver(Driver):
    reads_text = True

    def __init__(self, tier: str):
        super().__init__(tier)
        self.features = enabled_features("wasmtime", tier)
        self.engine = wasmtime.Engine(make_config(tier))
        self.store = wasmtime.Store(self.engine)
        self._helpers: dict[str, Any] | None = None

    def _helper(self, name: str) -> Any:
        """An export of the driver's own helper module (3.0 only): ``table64``, ``to_extern``."""
        if self._helpers is None:
            wat = ['(module (table (export "table64") i64 10 20 funcref)']
            if "gc" in self.features:
                wat.append('(func (export "to_extern") (param anyref) (result externref) '
                           '(extern.convert_any (local.get 0)))')
                wat.append('(func (export "to_any") (param externref) (result anyref) '
                           '(any.convert_extern (local.get 0)))')
            module = wasmtime.Module(self.engine, " ".join(wat) + ")")
            self._helpers = dict(wasmtime.Instance(self.store, module, []).exports(self.store).items())
        return self._helpers[name]

    # -- modules ------------------------------------------------------------------------------------
    def compile(self, binary: bytes | None, text: str | None = None) -> Any:
        try:
            # text as bytes: a script's text module need not be UTF-8 (the executor keeps its bytes as
            # surrogates), and wasmtime's parser is the one to reject it
            source = binary if binary is not None else (text or "").encode("utf-8", "surrogateescape")
            return wasmtime.Module(self.engine, source)
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
            case spectest.Table(address="i64"):  # the C API makes no i64 table: one from a module of ours
                return self._helper("table64")
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
        if t == "anyref" and isinstance(raw, HostRef) and "gc" in self.features:
            return self._call_raw(self._helper("to_any"), [self._to_val("externref", raw)], 1)[0]
        if t in _AS_KIND and raw is None:
            v = ffi.wasmtime_val_t()  # zeroed: the null reference
            v.kind = _KIND[_AS_KIND[t]]
            return v
        raise Unsupported(f"{t} values through the wasmtime Python API")

    def _from_val(self, v: Any) -> tuple[str, Any]:
        kind = v.kind
        t = _NAME.get(kind)
        if t in BITS:
            raw = int.from_bytes(ctypes.string_at(ctypes.addressof(v.of), BITS[t] // 8), "little")
            return t, raw
        if t in ("externref", "funcref"):
            non_null = bool(v.of.externref.store_id) if t == "externref" else False
            value = wasmtime.Val._from_raw(self.store, v).value
            if non_null and not isinstance(value, HostRef):
                value = HostRef(-1)  # an internalised reference turned extern again, or another embedder's
            return t, value
        if t == "anyref" and v.of.anyref.store_id and "gc" in self.features:
            if not ffi.wasmtime_anyref_is_eqref(self.store._context(), ctypes.byref(v.of.anyref)):
                return t, self._call(self._helper("to_extern"), [v], 1)[0][1]  # an internalised extern
        if t in ("anyref", "exnref"):
            ref = getattr(v.of, t)
            return t, (_Opaque(t) if ref.store_id else None)
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
        return self._call(func, [self._to_val(t, raw) for t, raw in args], len(func.type(self.store).results))

    def _call(self, func: wasmtime.Func, vals: list[Any], n_results: int) -> list[tuple[str, Any]]:
        return [self._from_val(v) for v in self._call_raw(func, vals, n_results)]

    def _call_raw(self, func: wasmtime.Func, vals: list[Any], n_results: int) -> list[Any]:
        params = (ffi.wasmtime_val_t * max(len(vals), 1))()
        for i, v in enumerate(vals):
            params[i] = v
        results = (ffi.wasmtime_val_t * max(n_results, 1))()
        try:
            with enter_wasm(self.store) as trap:
                error = ffi.wasmtime_func_call(self.store._context(), ctypes.byref(func._func), params, len(vals),
                                               results, n_results, trap)
                if error:
                    raise wasmtime.WasmtimeError._from_ptr(error)
        except wasmtime.Trap as t:
            if "thrown Wasm exception" in (t.message or ""):
                raise ThrownException(_cause(t.message)) from None
            raise self._trap(t) from None
        except wasmtime.WasmtimeError as e:
            text = str(e)
            if "stack overflow" in text:
                raise ExhaustionFailure(text) from None
            if "thrown Wasm exception" in text:
                raise ThrownException(_cause(text)) from None
            raise TrapFailure(text) from None
        return [results[i] for i in range(n_results)]

    def get(self, instance: Any, field: str) -> tuple[str, Any]:
        g = instance.exports.get(field)
        if not isinstance(g, wasmtime.Global):
            raise LinkFailure(f"no exported global {field!r}")
        raw = ffi.wasmtime_val_t()
        ffi.wasmtime_global_get(self.store._context(), ctypes.byref(g._global), ctypes.byref(raw))
        return self._from_val(raw)
