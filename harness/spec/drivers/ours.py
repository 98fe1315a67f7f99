"""Our engine (``harness.engine.api``), any tier: ``ours:interp``, ``ours:llvm``.

The API already speaks raw values (docs/ENGINE_API.md), so this driver only maps the engine's error
classes onto the executor's and provides ``spectest`` from the API's host objects.
"""

from __future__ import annotations

import struct
from typing import Any

from .base import CompileFailure, Driver, ExhaustionFailure, LinkFailure, TrapFailure


class OursDriver(Driver):
    reads_text = True

    def __init__(self, tier: str):
        super().__init__(tier)
        from harness.engine import api, errors

        self.api = api
        self.errors = errors
        self.store = api.Store(tier=tier)
        self._spectest: dict[str, Any] | None = None

    def compile(self, binary: bytes | None, text: str | None = None) -> Any:
        E = self.errors
        try:
            if binary is not None:
                return self.api.Module.from_bytes(binary)
            return self.api.Module.from_text(text or "")
        except (E.MalformedError, E.ValidationError) as e:
            raise CompileFailure(getattr(e, "message", str(e))) from None

    def spectest(self) -> dict[str, Any]:
        if self._spectest is None:
            api = self.api

            def fn(*params: str) -> Any:
                return api.host_func(api.FuncType(tuple(params), ()), lambda *a: None)

            def glob(t: str, raw: int) -> Any:
                return api.GlobalInstance(api.GlobalType(t, False), raw)

            f32 = struct.unpack("<I", struct.pack("<f", 666.6))[0]
            f64 = struct.unpack("<Q", struct.pack("<d", 666.6))[0]
            self._spectest = {
                "print": fn(), "print_i32": fn("i32"), "print_i64": fn("i64"), "print_f32": fn("f32"),
                "print_f64": fn("f64"), "print_i32_f32": fn("i32", "f32"), "print_f64_f64": fn("f64", "f64"),
                "global_i32": glob("i32", 666), "global_i64": glob("i64", 666),
                "global_f32": glob("f32", f32), "global_f64": glob("f64", f64),
                "table": api.TableInstance(api.TableType(api.Limits(10, 20), "funcref")),
                "memory": api.MemoryInstance(api.MemType(api.Limits(1, 2))),
            }
        return self._spectest

    def _trap(self, e: Exception) -> TrapFailure:
        if isinstance(e, self.errors.Exhaustion):
            return ExhaustionFailure(str(e), getattr(e, "kind", None))
        return TrapFailure(str(e), getattr(e, "kind", None))

    def instantiate(self, module: Any, registry: dict[str, Any]) -> Any:
        E = self.errors
        imports: dict[str, dict[str, Any]] = {}
        for mod, *_ in module.imports:
            if mod in registry:
                imports[mod] = registry[mod].exports
            elif mod == "spectest":
                imports[mod] = self.spectest()
        try:
            return self.store.instantiate(module, imports)
        except E.LinkError as e:
            raise LinkFailure(str(e)) from None
        except E.Trap as e:
            raise self._trap(e) from None

    def invoke(self, instance: Any, field: str, args: list[tuple[str, Any]]) -> list[tuple[str, Any]]:
        func = instance.exports.get(field)
        if func is None:
            raise LinkFailure(f"no export {field!r}")
        try:
            results = self.store.invoke(func, [raw for _, raw in args])
        except self.errors.Trap as e:
            raise self._trap(e) from None
        except RecursionError:
            raise ExhaustionFailure("call stack exhausted (Python recursion limit)") from None
        return list(zip(func.type.results, results, strict=False))

    def get(self, instance: Any, field: str) -> tuple[str, Any]:
        g = instance.exports.get(field)
        if g is None or not hasattr(g, "value"):
            raise LinkFailure(f"no exported global {field!r}")
        return g.type.valtype, g.value
