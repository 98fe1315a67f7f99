"""The embedding API of our engine (docs/ENGINE_API.md), shared by every tier.

A tier is an object fulfilling :class:`harness.engine.tiers.Tier` (``compile``, ``instantiate``, ``run``,
``has_code_for``).  :class:`Store` picks one by name from :data:`TIERS`: ``"interp"``
(:class:`~harness.engine.tiers.interp.InterpTier`) or ``"llvm"`` (:class:`~harness.engine.tiers.llvm.LLVMTier`);
keyword options go to the tier's constructor.  Each factory imports its tier only when a store asks for it.
"""

from __future__ import annotations

import struct
from collections.abc import Callable
from typing import Any

from . import syntax
from .errors import LinkError, UnsupportedFeature
from .features import (
    EXCEPTIONS,
    EXTENDED_CONST,
    FUNCTION_REFERENCES,
    GC,
    MEMORY64,
    MULTI_MEMORY,
    RELAXED_SIMD,
    TAIL_CALL,
    WASM3,
)
from .runtime import (
    FuncInstance,
    GlobalInstance,
    MemoryInstance,
    ModuleInstance,
    TableInstance,
    resolve_imports,
)
from .syntax import FuncType, GlobalType, Limits, MemType, TableType
from .tiers import Tier

__all__ = ["Module", "Store", "Instance", "host_func", "MemoryInstance", "TableInstance", "GlobalInstance",
           "FuncInstance", "FuncType", "GlobalType", "Limits", "MemType", "TableType", "TIERS", "TIER_FEATURES"]


class Module:
    """A decoded and (unless asked not to) validated module.

    ``data`` (the bytes) lets a compiling tier find code it made for the same bytes before; it is passed
    on only for validated modules, so such code always stands for a module that passed validation."""

    def __init__(self, ast: syntax.Module, data: bytes | None = None, validated: bool = True):
        self.ast = ast
        self.data = data
        self.validated = validated
        self._features: frozenset[str] | None = None

    @classmethod
    def from_bytes(cls, data: bytes, validate: bool = True, features: frozenset[str] = WASM3) -> Module:
        """Decode and validate; ``features`` picks the rules (``features.WASM3``, or ``WASM2`` for 2.0's)."""
        from .binary import decode_module

        ast = decode_module(bytes(data), features=features)
        if validate:
            from .valid import validate_module

            validate_module(ast, features)
        return cls(ast, bytes(data), validate)

    @classmethod
    def from_text(cls, source: str, features: frozenset[str] = WASM3) -> Module:
        from .text import parse_module

        return cls.from_bytes(parse_module(source), features=features)

    @property
    def features(self) -> frozenset[str]:
        """The 3.0 features the module uses that a tier may lack (``features.used_by``, computed once)."""
        if self._features is None:
            from .features import used_by

            self._features = frozenset(used_by(self.ast))
        return self._features

    @property
    def imports(self) -> list[tuple[str, str, str, Any]]:
        m = self.ast
        return [(i.module, i.name, i.kind, m.types[i.desc] if i.kind in ("func", "tag") else i.desc)
                for i in m.imports]

    @property
    def exports(self) -> list[tuple[str, str, Any]]:
        m = self.ast
        out = []
        n = {k: m.imported(k) for k in ("func", "table", "memory", "global", "tag")}
        for e in m.exports:
            k, i = e.kind, e.index
            if k == "func":
                t = m.func_type(i)
            elif k == "table":
                t = n["table"][i].desc if i < len(n["table"]) else m.tables[i - len(n["table"])]
            elif k == "memory":
                t = n["memory"][i].desc if i < len(n["memory"]) else m.mems[i - len(n["memory"])]
            elif k == "tag":
                t = m.types[n["tag"][i].desc if i < len(n["tag"]) else m.tags[i - len(n["tag"])]]
            else:
                t = n["global"][i].desc if i < len(n["global"]) else m.globals[i - len(n["global"])].type
            out.append((e.name, k, t))
        return out


def _interp_tier(**opts: Any) -> Tier:
    from .tiers.interp import InterpTier

    return InterpTier(**opts)


def _llvm_tier(**opts: Any) -> Tier:
    from .tiers.llvm.tier import LLVMTier

    return LLVMTier(**opts)


def _singlepass_tier(**opts: Any) -> Tier:
    from .tiers.singlepass.tier import SinglepassTier

    return SinglepassTier(**opts)


TIERS: dict[str, Callable[..., Tier]] = {"interp": _interp_tier, "llvm": _llvm_tier, "singlepass": _singlepass_tier}

# The 3.0 features (harness.engine.features) each tier compiles; a module using another one is refused with
# UnsupportedFeature naming it, before the tier sees it.  Extended constants are evaluated by the shared
# instantiation, so every tier has them.
TIER_FEATURES: dict[str, frozenset[str]] = {"interp": WASM3,
                                            "llvm": frozenset((EXTENDED_CONST, MEMORY64, MULTI_MEMORY, TAIL_CALL,
                                                               FUNCTION_REFERENCES, RELAXED_SIMD, EXCEPTIONS, GC)),
                                            "singlepass": frozenset((EXTENDED_CONST, RELAXED_SIMD))}


def _to_raw(t: str, v: Any) -> Any:
    if t == "f32" and isinstance(v, float):
        return struct.unpack("<I", struct.pack("<f", v))[0]
    if t == "f64" and isinstance(v, float):
        return struct.unpack("<Q", struct.pack("<d", v))[0]
    if t in ("f32", "f64") and isinstance(v, int):
        return _to_raw(t, float(v))
    return v


def _from_raw(t: str, v: Any) -> Any:
    if t == "i32":
        return v - (1 << 32) if v >> 31 else v
    if t == "i64":
        return v - (1 << 64) if v >> 63 else v
    if t == "f32":
        return struct.unpack("<f", struct.pack("<I", v))[0]
    if t == "f64":
        return struct.unpack("<d", struct.pack("<Q", v))[0]
    return v


class Instance:
    """An instantiated module: ``exports`` by name, and ``invoke``/``call`` shortcuts."""

    def __init__(self, store: Store, raw: ModuleInstance):
        self.store = store
        self.raw = raw
        self.exports = raw.exports

    def invoke(self, name: str, args: list | tuple = ()) -> list:
        return self.store.invoke(self._func(name), list(args))

    def call(self, name: str, *args: Any) -> Any:
        """Friendly call: Python ints/floats in (signed or unsigned), signed ints/floats out (one value,
        ``None``, or a tuple for several results)."""
        f = self._func(name)
        raw = [_to_raw(t, a) for t, a in zip(f.type.params, args, strict=True)]
        res = [_from_raw(t, r) for t, r in zip(f.type.results, self.store.invoke(f, raw), strict=True)]
        if not res:
            return None
        return res[0] if len(res) == 1 else tuple(res)

    def _func(self, name: str) -> FuncInstance:
        f = self.exports.get(name)
        if not isinstance(f, FuncInstance):
            raise KeyError(f"no exported function {name!r} (exports: {', '.join(self.exports)})")
        return f


class Store:
    """Instances created by one tier.  ``Store(tier="interp")`` or ``Store(tier="llvm", opt_level=2)``."""

    def __init__(self, tier: str = "interp", **options: Any):
        factory = TIERS.get(tier)
        if factory is None:
            raise ValueError(f"unknown engine tier {tier!r}; available: {', '.join(TIERS)}")
        self.tier_name = tier
        self.tier: Tier = factory(**options)

    def load(self, data: bytes) -> Module:
        """``Module.from_bytes(data)``, or -- when this store's tier already holds compiled code for exactly
        these bytes (the LLVM tier's object cache) -- a module decoded without its function bodies and not
        validated again: the bytes were validated when that code was made.  A warm start then costs the
        module's declarations, not its code (sqlite's speedtest1: 0.03 s instead of 0.47 s)."""
        data = bytes(data)
        if self.tier.has_code_for(data):
            from .binary import decode_module

            return Module(decode_module(data, bodies=False), data)
        return Module.from_bytes(data)

    def instantiate(self, module: Module, imports: dict[str, dict[str, Any]] | None = None) -> Instance:
        supported = TIER_FEATURES.get(self.tier_name, WASM3)
        if supported != WASM3:
            missing = sorted(module.features - supported)
            if missing:
                raise UnsupportedFeature(missing, self.tier_name)
        externs = resolve_imports(module.ast, imports)
        return Instance(self, self.tier.instantiate(module.ast, externs, module.data if module.validated else None))

    def invoke(self, ext: FuncInstance, args: list | tuple = ()) -> list:
        if not isinstance(ext, FuncInstance):
            raise LinkError(f"not a function: {ext!r}")
        return self.tier.run(ext, list(args))


def host_func(functype: FuncType, fn: Callable[..., Any], name: str | None = None) -> FuncInstance:
    """A function implemented in Python: ``fn(*raw_args)`` returns a list of raw results, one value, or None."""
    return FuncInstance(functype, host=fn, name=name)
