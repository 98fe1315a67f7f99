"""wasm3 through pywasm3.

What the binding can express is limited, and the driver says so per check instead of guessing:
- one wasm3 runtime per instance (``find_function`` searches every module of a runtime);
- function imports are linked as Python proxies (spectest prints, functions of registered instances);
  tables, memories and globals cannot be imported through pywasm3, so such modules are skipped;
- values cross as Python ints/floats: f32/f64 go through ``float`` (signalling NaN payloads may change),
  v128 and references cannot cross at all (skipped with the reason);
- wasm3 compiles lazily, so invalid function bodies are only noticed when called.
"""

from __future__ import annotations

import struct
from typing import Any

import wasm3

from .. import spectest
from ..wasm_sections import ModuleInfo, read_module_info
from .base import CompileFailure, Driver, ExhaustionFailure, LinkFailure, TrapFailure, Unsupported

_SIG = {"i32": "i", "i64": "I", "f32": "f", "f64": "F"}
_M3_TYPES = {1: "i32", 2: "i64", 3: "f32", 4: "f64"}
STACK_BYTES = 1 << 20


def _to_py(t: str, raw: int) -> Any:
    if t == "i32":
        return raw - (1 << 32) if raw >> 31 else raw
    if t == "i64":
        return raw - (1 << 64) if raw >> 63 else raw
    if t == "f32":
        return struct.unpack("<f", raw.to_bytes(4, "little"))[0]
    if t == "f64":
        return struct.unpack("<d", raw.to_bytes(8, "little"))[0]
    raise Unsupported(f"{t} values cannot cross the pywasm3 API")


def _to_raw(t: str, value: Any) -> int:
    if t == "i32":
        return int(value) & 0xFFFFFFFF
    if t == "i64":
        return int(value) & 0xFFFFFFFFFFFFFFFF
    if t == "f32":
        return int.from_bytes(struct.pack("<f", value), "little")
    return int.from_bytes(struct.pack("<d", value), "little")


class _Instance:
    def __init__(self, runtime: Any, module: Any, info: ModuleInfo):
        self.runtime, self.module, self.info = runtime, module, info


class Wasm3Driver(Driver):
    def __init__(self, tier: str):
        super().__init__(tier)
        self.env = wasm3.Environment()
        self._keep: list[Any] = []  # runtimes must outlive the proxies that call into them

    def compile(self, binary: bytes | None, text: str | None = None) -> Any:
        data = binary or b""
        try:
            self.env.parse_module(data)
            info = read_module_info(data)
        except (RuntimeError, IndexError, ValueError) as e:
            raise CompileFailure(str(e)) from None
        return data, info

    def _proxy(self, registry: dict[str, Any], mod: str, name: str, want: tuple) -> Any:
        params, results = want
        if len(results) > 1 or any(t not in _SIG for t in params + results):
            raise Unsupported("pywasm3 links only host functions with number parameters and at most one result")
        if mod == spectest.NAME and mod not in registry:
            decl = spectest.declarations().get(name)
            if not isinstance(decl, spectest.Func):
                raise LinkFailure(f"unknown import spectest.{name}")
            if (decl.params, decl.results) != want:
                raise LinkFailure(f"incompatible import type for spectest.{name}")
            return lambda *args: None
        provider = registry.get(mod)
        if provider is None or provider.info.exports.get(name, ("", 0))[0] != "func":
            raise LinkFailure(f"unknown import {mod}.{name}")
        if provider.info.export_func_type(name) != want:
            raise LinkFailure(f"incompatible import type for {mod}.{name}")
        target = provider.runtime.find_function(name)
        return lambda *args: target(*args)

    def instantiate(self, module: Any, registry: dict[str, Any]) -> Any:
        data, info = module
        runtime = self.env.new_runtime(STACK_BYTES)
        parsed = self.env.parse_module(data)
        for mod, name, kind, desc in info.imports:
            if kind != "func":
                if mod not in registry and mod != spectest.NAME:
                    raise LinkFailure(f"unknown import {mod}.{name}")
                raise Unsupported(f"pywasm3 cannot import a {kind} ({mod}.{name})")
            want = info.types[desc]  # type: ignore[index]
            fn = self._proxy(registry, mod, name, want)
            sig = (_SIG[want[1][0]] if want[1] else "v") + "(" + "".join(_SIG[t] for t in want[0]) + ")"
            parsed.link_function(mod, name, sig, fn)
        try:
            runtime.load(parsed)
        except RuntimeError as e:
            text = str(e)
            if "import" in text or "link" in text:
                raise LinkFailure(text) from None
            raise TrapFailure(text) from None
        inst = _Instance(runtime, parsed, info)
        self._keep.append(inst)
        return inst

    def invoke(self, instance: Any, field: str, args: list[tuple[str, Any]]) -> list[tuple[str, Any]]:
        ftype = instance.info.export_func_type(field)
        if ftype is None:
            raise LinkFailure(f"no exported function {field!r}")
        params, results = ftype
        if any(t not in _SIG for t in params + results):
            raise Unsupported("v128 and reference values cannot cross the pywasm3 API")
        try:
            func = instance.runtime.find_function(field)
            out = func(*[_to_py(t, raw) for t, raw in args])
        except RuntimeError as e:
            text = str(e).strip()
            if "stack overflow" in text:
                raise ExhaustionFailure(text) from None
            if text.startswith("[trap]"):
                raise TrapFailure(text.removeprefix("[trap]").strip()) from None
            raise TrapFailure(text) from None
        values = [] if not results else (list(out) if len(results) > 1 else [out])
        return [(t, _to_raw(t, v)) for t, v in zip(results, values, strict=False)]

    def get(self, instance: Any, field: str) -> tuple[str, Any]:
        gtype = instance.info.export_global_type(field)
        if gtype is None:
            raise LinkFailure(f"no exported global {field!r}")
        t = gtype[0]
        if t not in _SIG:
            raise Unsupported(f"{t} globals cannot be read through pywasm3")
        return t, _to_raw(t, instance.module.get_global(field))
