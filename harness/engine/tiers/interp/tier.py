"""The interpreter tier object (``ours:interp``) that ``api.Store(tier="interp")`` dispatches to: wasm
functions compiled to Python functions, run by CPython.  It fulfils :class:`harness.engine.tiers.Tier`;
``CompiledInterp.link`` also sets ``FuncInstance.interp``, the internal-convention callable its code calls.

Python exceptions used as zero-cost traps by the generated code and translated by ``FuncInstance.call``:
``struct.error``/``IndexError`` (memory access out of bounds) and ``RecursionError`` (call stack exhausted).
The wasm call depth is bounded by a recursion limit set relative to the caller's depth (``max_depth``).
"""

from __future__ import annotations

import math
import struct
import sys
from typing import Any

from ... import errors
from ...errors import Exhaustion, Trap
from ...exec import num_convert, num_float, num_int
from ...runtime import gcref
from ...runtime.instance import ModuleInstance, instantiate
from ...runtime.objects import FuncInstance, normalize_raw
from ...syntax import FuncType, Module
from . import helpers
from .codegen import FuncCodegen, ModuleContext, TooDeep

DEFAULT_MAX_DEPTH = 12000
MAX_REENTRY = 100  # nested host -> wasm re-entries (each one costs C stack, unlike wasm -> wasm calls)


def _struct_fn(fmt: str, kind: str):
    s = struct.Struct("<" + fmt)
    return s.unpack_from if kind == "ld" else s.pack_into


def _helpers() -> dict[str, Any]:
    ns: dict[str, Any] = {}
    for mod in (num_int, num_float, num_convert, helpers, gcref):
        for k, v in vars(mod).items():
            if not k.startswith("_"):
                ns[k] = v
    for fmt in "IQdhHiI":
        ns[f"LD_{fmt}"] = _struct_fn(fmt, "ld")
    for fmt in "IQdH":
        ns[f"ST_{fmt}"] = _struct_fn(fmt, "st")
    ns["Trap"] = Trap
    ns["WasmException"] = errors.WasmException
    ns["copysign"] = math.copysign
    ns["__builtins__"] = __builtins__
    return ns


HELPERS = _helpers()
_f64_bits = num_float.f64_bits
_f64_from_bits = num_float.f64_from_bits


def to_internal(t: str, v: Any) -> Any:
    if t == "f64":
        return _f64_from_bits(v & 0xFFFFFFFFFFFFFFFF)
    return normalize_raw(t, v)


def to_raw(t: str, v: Any) -> Any:
    return _f64_bits(v) if t == "f64" else v


def raw_caller(fn, ft: FuncType):
    """``FuncInstance.call`` for an interpreted function: raw values in and out, Python failures that the
    generated code uses as traps translated into ``Trap``/``Exhaustion`` (so other tiers may call it)."""
    params, results = ft.params, ft.results
    n = len(results)

    def call(args: list) -> list:
        if len(args) != len(params):
            raise TypeError(f"function of type {ft} takes {len(params)} arguments, got {len(args)}")
        try:
            r = fn(*[to_internal(t, a) for t, a in zip(params, args, strict=True)])
        except RecursionError:
            raise Exhaustion(errors.TRAP_CALL_STACK) from None
        except (struct.error, IndexError):
            raise Trap(errors.TRAP_OOB_MEMORY) from None
        except ZeroDivisionError:
            raise Trap(errors.TRAP_DIV_ZERO) from None
        if n == 0:
            return []
        if n == 1:
            return [to_raw(results[0], r)]
        return [to_raw(t, v) for t, v in zip(results, r, strict=True)]

    return call


def interp_callable(fi: FuncInstance):
    """The internal-convention callable for any function (host, or compiled by another tier)."""
    if fi.interp is not None:
        return fi.interp
    params, results = fi.type.params, fi.type.results
    n = len(results)

    def w(*args):
        call = fi.call
        r = call([to_raw(t, a) for t, a in zip(params, args, strict=True)])
        if n == 0:
            return None
        if n == 1:
            return to_internal(results[0], r[0])
        return tuple(to_internal(t, v) for t, v in zip(results, r, strict=True))

    fi.interp = w
    return w


HELPERS["interp_callable"] = interp_callable


class CompiledInterp:
    """The Python code of one module.

    Functions are translated lazily, on their first call (big modules mostly run a fraction of their
    code, and CPython's ``compile`` dominates start-up), and each code object is cached here, so later
    instances only ``exec`` it.  Until then a function's ``FuncInstance.interp`` is a stub that
    translates, installs the real function in the instance and forwards the call.
    """

    def __init__(self, module: Module, force_flat: bool = False):
        self.module = module
        self.force_flat = force_flat
        self.ctx = ModuleContext(module)
        self.ctx.fold = HELPERS
        self.codes: dict[int, Any] = {}
        self.sources: dict[int, str] = {}
        self.flat: set[int] = set()
        self.tails: set[int] = set()  # functions making tail calls: their code returns TailCall

    def code_for(self, index: int):
        """The compiled code object defining ``f<index>`` (translated on first use)."""
        code = self.codes.get(index)
        if code is not None:
            return code
        old = sys.getrecursionlimit()
        sys.setrecursionlimit(max(old, 100000))
        try:
            src = None
            if not self.force_flat:
                try:
                    gen = FuncCodegen(self.ctx, index)
                    src = "\n".join(gen.generate())
                    code = compile(src, f"<wasm function {index}>", "exec")
                except (TooDeep, SyntaxError, RecursionError, MemoryError):
                    code = None
            if code is None:
                from .flatgen import FlatCodegen

                self.flat.add(index)
                gen = FlatCodegen(self.ctx, index)
                src = "\n".join(gen.generate())
                code = compile(src, f"<wasm function {index}>", "exec")
            if gen.tail_calls:
                self.tails.add(index)
        finally:
            sys.setrecursionlimit(old)
        self.sources[index] = src
        self.codes[index] = code
        return code

    def compile_all(self) -> None:
        """Translate every function now (e.g. to measure or inspect the code ahead of time)."""
        n_imp = self.ctx.n_imported_funcs
        for i in range(len(self.module.funcs)):
            self.code_for(n_imp + i)

    def source(self) -> str:
        """The generated Python source of every function (for debugging and tests)."""
        self.compile_all()
        return "\n".join(self.sources[i] for i in sorted(self.sources))

    def link(self, inst: ModuleInstance) -> None:
        ns = dict(HELPERS)
        ns.update(self.ctx.consts)
        ns["INST"] = inst
        for i, fi in enumerate(inst.funcs):
            ns[f"F{i}"] = fi
        n_imp = self.ctx.n_imported_funcs
        for i in range(n_imp):
            ns[f"f{i}"] = ns[f"ft{i}"] = interp_callable(inst.funcs[i])
        for i, t in enumerate(inst.tables):
            ns[f"T{i}"] = t
        for i, m in enumerate(inst.mems):
            ns[f"M{i}"] = m
        for i, g in enumerate(inst.globals):
            ns[f"G{i}"] = g
        for i, tag in enumerate(inst.tags):
            ns[f"TG{i}"] = tag
        for i, t in enumerate(inst.types):
            ns[f"TY{i}"] = t
        for i, rtt in enumerate(inst.rtts):
            ns[f"RT{i}"] = rtt
        for i in range(n_imp, len(inst.funcs)):
            fi = inst.funcs[i]
            if i in self.codes:
                self._install(ns, i, fi)
            else:
                stub = self._stub(ns, i, fi)
                ns[f"f{i}"] = ns[f"ft{i}"] = stub
                fi.interp = stub
                fi.call = raw_caller(stub, fi.type)

    def _install(self, ns: dict, index: int, fi: FuncInstance):
        code = self.code_for(index)
        ns.update(self.ctx.consts)  # constants registered while translating
        exec(code, ns)
        fn = ns[f"f{index}"]
        fn.__qualname__ = fn.__name__ = fi.name or f"wasm_func_{index}"
        ns[f"ft{index}"] = fn
        if index in self.tails:  # its code returns the tail calls it makes: a trampoline makes them
            fi.tail = fn
            fn = ns[f"f{index}"] = helpers.trampoline(fn)
        fi.interp = fn
        fi.call = raw_caller(fn, fi.type)
        return fn

    def _stub(self, ns: dict, index: int, fi: FuncInstance):
        def stub(*args):
            fn = ns[f"f{index}"]
            if fn is stub:
                fn = self._install(ns, index, fi)
            return fn(*args)

        return stub


def _frame_depth() -> int:
    f = sys._getframe(1)
    n = 0
    while f is not None:
        n += 1
        f = f.f_back
    return n


class InterpTier:
    """The ``interp`` tier.  Options: ``max_depth`` (Python frames available to wasm calls), ``force_flat``
    (translate every function with the flat state-machine fallback; for testing it)."""

    name = "interp"

    def __init__(self, max_depth: int = DEFAULT_MAX_DEPTH, force_flat: bool = False):
        self.max_depth = max_depth
        self.force_flat = force_flat
        self._compiled: dict[int, tuple[Module, CompiledInterp]] = {}
        self._active = 0

    def compile(self, module: Module, data: bytes | None = None) -> CompiledInterp:
        hit = self._compiled.get(id(module))
        if hit is not None and hit[0] is module:
            return hit[1]
        compiled = CompiledInterp(module, self.force_flat)
        self._compiled[id(module)] = (module, compiled)
        return compiled

    def has_code_for(self, data: bytes) -> bool:
        """Never: translated code lives only as long as the process (and is made lazily, per function)."""
        return False

    def run(self, func: FuncInstance, args: list) -> list:
        if self._active >= MAX_REENTRY:
            raise Exhaustion(errors.TRAP_CALL_STACK, "call stack exhausted (host/wasm re-entry too deep)")
        old = sys.getrecursionlimit()
        sys.setrecursionlimit(max(old, _frame_depth() + self.max_depth))
        self._active += 1
        try:
            return func.call(list(args))
        except RecursionError:  # e.g. deep recursion inside a host function
            raise Exhaustion(errors.TRAP_CALL_STACK) from None
        finally:
            self._active -= 1
            sys.setrecursionlimit(old)

    def instantiate(self, module: Module, externs: list[Any], data: bytes | None = None) -> ModuleInstance:
        return instantiate(module, externs, self.compile(module, data), self.run)
