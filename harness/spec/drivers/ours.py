"""Our engine (``harness.engine.api``), any tier: ``ours:interp``, ``ours:llvm``.

The API already speaks raw values (docs/ENGINE_API.md), so this driver only maps the engine's error
classes onto the executor's and builds ``spectest`` from the API's host objects.  The engine's own tests
construct it with store options (``OursDriver("llvm", opt_level=0, cache_dir=False)``); a variant tier
(``llvm-explicit``, ``llvm-O0``: ``harness.adapters.ours.LLVM_VARIANTS``) is the LLVM tier with its options.
"""

from __future__ import annotations

import os
from typing import Any, assert_never

from .. import spectest
from .base import (
    CompileFailure,
    Driver,
    ExhaustionFailure,
    FeatureOff,
    LinkFailure,
    ThrownException,
    TrapFailure,
)


class OursDriver(Driver):
    reads_text = True

    def __init__(self, tier: str, **store_options: Any):
        super().__init__(tier)
        from harness.adapters.ours import store_options as variant_options
        from harness.engine import api, errors, features

        self.api = api
        self.errors = errors
        # the suite's rules (the runner's wasm_version): 2.0 and 3.0 disagree on a few modules
        self.features = features.WASM3 if os.environ.get("HARNESS_WASM_VERSION") == "3.0" else features.WASM2
        engine_tier, options = variant_options(tier)
        self.store = api.Store(tier=engine_tier, **{**options, **store_options})

    def compile(self, binary: bytes | None, text: str | None = None) -> Any:
        E = self.errors
        try:
            if binary is not None:
                return self.api.Module.from_bytes(binary, features=self.features)
            return self.api.Module.from_text(text or "", features=self.features)
        except (E.MalformedError, E.ValidationError) as e:
            raise CompileFailure(getattr(e, "message", str(e))) from None

    def host_extern(self, decl: spectest.Extern) -> Any:
        api = self.api
        match decl:
            case spectest.Func(params=params, results=results):
                return api.host_func(api.FuncType(params, results), lambda *args: None)
            case spectest.Global(type=t):
                return api.GlobalInstance(api.GlobalType(t, False), decl.raw)
            case spectest.Table(min=lo, max=hi, element=element, address=address):
                return api.TableInstance(api.TableType(api.Limits(lo, hi), element, address))
            case spectest.Memory(min=lo, max=hi):
                return api.MemoryInstance(api.MemType(api.Limits(lo, hi)))
            case _:
                assert_never(decl)

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
            elif mod == spectest.NAME:
                imports[mod] = self.spectest_exports
        try:
            return self.store.instantiate(module, imports)
        except E.LinkError as e:
            raise LinkFailure(str(e)) from None
        except E.UnsupportedFeature as e:  # the tier's declared lack (OursAdapter.features)
            raise FeatureOff(f"feature {', '.join(sorted(e.features))} off in this engine ({e})") from None
        except E.Trap as e:
            raise self._trap(e) from None
        except E.WasmException as e:  # thrown by the start function
            raise ThrownException(str(e)) from None

    def invoke(self, instance: Any, field: str, args: list[tuple[str, Any]]) -> list[tuple[str, Any]]:
        func = instance.exports.get(field)
        if func is None:
            raise LinkFailure(f"no export {field!r}")
        try:
            results = self.store.invoke(func, [raw for _, raw in args])
        except self.errors.Trap as e:
            raise self._trap(e) from None
        except self.errors.WasmException as e:
            raise ThrownException(str(e)) from None
        except RecursionError:
            raise ExhaustionFailure("call stack exhausted (Python recursion limit)") from None
        return list(zip(func.type.results, results, strict=False))

    def get(self, instance: Any, field: str) -> tuple[str, Any]:
        g = instance.exports.get(field)
        if g is None or not hasattr(g, "value"):
            raise LinkFailure(f"no exported global {field!r}")
        return g.type.valtype, g.value
