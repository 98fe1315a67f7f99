"""Tables, globals and functions: the runtime objects every tier shares.

Values held here are *raw* (see docs/ENGINE_API.md): ints for numbers (f32/f64 as their IEEE bits),
``None``/``FuncInstance`` for funcref, ``None``/any object for externref.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..syntax import FuncType, GlobalType, Limits, TableType

MAX_TABLE = 0xFFFFFFFF
MAX_TABLE64 = 0xFFFFFFFFFFFFFFFF
HOST_TABLE_LIMIT = 10_000_000  # entries: a table may not grow past this here (the spec lets growing fail)
MASKS = {"i32": 0xFFFFFFFF, "i64": 0xFFFFFFFFFFFFFFFF, "f32": 0xFFFFFFFF, "f64": 0xFFFFFFFFFFFFFFFF,
         "v128": (1 << 128) - 1}


def normalize_raw(valtype: str, value: Any) -> Any:
    """Mask a raw numeric value to its width (API inputs may be negative); references pass unchanged."""
    m = MASKS.get(valtype)
    return value & m if m is not None else value


class TableInstance:
    """A table: ``elements`` is a plain list of raw references; ``type`` reports the current size."""

    def __init__(self, tabletype: TableType, init: Any = None):
        self.elem = tabletype.elem
        self.max = tabletype.limits.max
        self.addr = tabletype.addr
        self.elements: list = [init] * tabletype.limits.min

    @property
    def type(self) -> TableType:
        return TableType(Limits(len(self.elements), self.max), self.elem, self.addr)

    @property
    def size(self) -> int:
        return len(self.elements)

    def grow(self, delta: int, init: Any = None) -> int:
        """Grow by ``delta`` entries filled with ``init``; the old size, or -1 when the limit forbids it."""
        old = len(self.elements)
        limit = (MAX_TABLE if self.addr == "i32" else MAX_TABLE64) if self.max is None else self.max
        if delta < 0 or old + delta > limit:
            return -1
        if old + delta > HOST_TABLE_LIMIT:
            return -1
        self.elements.extend([init] * delta)
        return old

    def __repr__(self) -> str:
        return f"<TableInstance {self.elem} size={len(self.elements)} max={self.max}>"


class TagInstance:
    """An exception tag (3.0): ``type`` is the :class:`FuncType` of its arguments; identity is the tag."""

    __slots__ = ("type", "rtt")

    def __init__(self, functype: FuncType, rtt: Any = None):
        self.type = functype
        self.rtt = rtt  # its type's runtime type (runtime.rtt), for import matching across modules

    def __repr__(self) -> str:
        return f"<TagInstance {self.type}>"


class GlobalInstance:
    """A global: ``type`` and the raw ``value``."""

    def __init__(self, globaltype: GlobalType, value: Any = None, rtts: list | None = None):
        self.type = globaltype
        self.rtts = rtts  # the defining module's runtime types, which a reference type's index names
        if value is None and globaltype.valtype in MASKS:
            value = 0
        self.value = normalize_raw(globaltype.valtype, value)

    def __repr__(self) -> str:
        return f"<GlobalInstance {self.type} = {self.value!r}>"


class FuncInstance:
    """A function: a wasm function of a module instance, or a host function.

    Stable attributes:

    * ``type``: its :class:`FuncType`;
    * ``module`` / ``code_index``: the defining :class:`ModuleInstance` and the index into ``Module.funcs``
      (``None`` for host functions);
    * ``host``: the Python callable of a host function (``fn(*raw_args)``), else ``None``;
    * ``call(raw_args) -> list of raw results``: set by the tier when the instance is linked (host
      functions have it from the start).  It performs no trap translation: use the API's ``invoke``.
    * ``interp``: the interpreter's internal calling convention for this function (filled lazily by the
      interpreter; other tiers may keep their own attributes alongside, e.g. ``native``);
    * ``tail``: for an interpreted function that makes tail calls, its body, which returns the next call
      (``interp.helpers.TailCall``) instead of making it, for the caller's trampoline; else ``None``.
    """

    __slots__ = ("type", "module", "code_index", "host", "call", "interp", "tail", "native", "name", "rtt",
                 "__weakref__")

    def __init__(self, functype: FuncType, module: Any = None, code_index: int | None = None,
                 host: Callable | None = None, name: str | None = None):
        self.type = functype
        self.module = module
        self.code_index = code_index
        self.host = host
        self.interp = None
        self.tail = None
        self.rtt = None  # the runtime type of a wasm function's type (runtime.rtt; host functions: made on use)
        self.native = None
        self.name = name
        self.call: Callable[[list], list] | None = self._host_call if host is not None else None

    def _host_call(self, args: list) -> list:
        r = self.host(*args)
        results = self.type.results
        if r is None:
            r = []
        elif not isinstance(r, (list, tuple)):
            r = [r]
        if len(r) != len(results):
            raise TypeError(f"host function returned {len(r)} values, its type {self.type} has {len(results)}")
        return [normalize_raw(t, v) for t, v in zip(results, r, strict=True)]

    def __repr__(self) -> str:
        kind = "host" if self.host is not None else f"wasm #{self.code_index}"
        return f"<FuncInstance {kind} {self.name or ''} {self.type}>"
