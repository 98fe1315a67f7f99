"""Small modules the harness writes around a module under test, so a CLI that prints integers answers bit-exactly.

A declared engine's CLI (``wasmtime run --invoke``, ``wasmer run --invoke``, ...) takes arguments as text
and prints results as text: a NaN's payload, a ``v128``, a global's value or a reference cannot cross that
boundary.  With ``wrap = true`` the driver never asks the CLI to call the module under test directly.  It
generates, in WebAssembly text turned to binary by our own text parser, a *wrapper* that imports the
export from the instance (which the CLI links with its ``preload`` command) and exports one function
``run`` taking nothing:

- the arguments are constants inside the wrapper: integers as ``iNN.const``, floats as the reinterpretation
  of their bit pattern (so every NaN payload is exact), ``v128`` as ``v128.const i64x2``, null references as
  ``ref.null``;
- each result comes back as integers: ``i32``/``i64`` as they are, ``f32``/``f64`` reinterpreted to
  ``i32``/``i64`` (their bits), ``v128`` as its two ``i64`` lanes (low, then high), a reference as
  ``ref.is_null`` (1: null);
- reading a global (``get``) imports it and returns it the same way.

A *replay* module repeats earlier actions in its start function (results dropped), so that a process can
rebuild the state a live instance would have (``declared_replay``).

What a wrapper cannot express is ``Unsupported`` (skipped): a non-null ``externref`` argument (2.0 code
cannot make ``ref.extern N``) and the identity of a non-null ``externref`` result; unless the declaration
says ``extern_refs = "i31"`` (its ``instantiate`` and ``invoke`` commands accept the GC proposal): then
``ref.extern N`` is made as ``extern.convert_any (ref.i31 N)`` and an externref result is returned as -1
(null), N (made from ``ref.i31 N``) or -2 (any other).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from ..values import BITS, HostRef
from .base import Unsupported

EXPORT = "run"  # the wrapper's one export
# how each WebAssembly type is printed by the wrapper: the integer types its value becomes
SLOTS: dict[str, tuple[str, ...]] = {
    "i32": ("i32",), "i64": ("i64",), "f32": ("i32",), "f64": ("i64",), "v128": ("i64", "i64"),
    "funcref": ("i32",), "externref": ("i32",),
}
REF_TYPES = {"funcref": "func", "externref": "extern"}


@dataclass(frozen=True)
class Call:
    """One call of an export: the instance's import name (its preload name), the export, its type, raw args."""

    module: str
    field: str
    params: tuple[str, ...]
    results: tuple[str, ...]
    args: tuple[tuple[str, Any], ...]


def _signed(raw: int, bits: int) -> int:
    return raw - (1 << bits) if raw >> (bits - 1) & 1 else raw


def _quote(name: str) -> str:
    """A name as a WebAssembly text string: every byte outside printable ASCII (and quote, backslash) as \\hh."""
    out = []
    for b in name.encode("utf-8"):
        out.append(chr(b) if 0x20 <= b < 0x7F and b not in (0x22, 0x5C) else f"\\{b:02x}")
    return '"' + "".join(out) + '"'


I31_MAX = (1 << 31) - 1
NULL_SLOT, FOREIGN_SLOT = 0xFFFFFFFF, 0xFFFFFFFE  # an externref result with extern_refs = "i31": -1, -2


def const(t: str, raw: Any, i31: bool = False) -> str:
    """The instructions that push the raw value ``raw`` of type ``t``, bit-exact.  ``i31``: make the host
    reference ``ref.extern N`` as ``extern.convert_any (ref.i31 N)`` (the GC proposal)."""
    if t in ("i32", "i64"):
        return f"({t}.const {_signed(raw, BITS[t])})"
    if t == "f32":
        return f"(f32.reinterpret_i32 (i32.const {_signed(raw, 32)}))"
    if t == "f64":
        return f"(f64.reinterpret_i64 (i64.const {_signed(raw, 64)}))"
    if t == "v128":
        lo, hi = raw & ((1 << 64) - 1), raw >> 64
        return f"(v128.const i64x2 {_signed(lo, 64)} {_signed(hi, 64)})"
    if t in REF_TYPES:
        if raw is None:
            return f"(ref.null {REF_TYPES[t]})"
        if i31 and t == "externref" and isinstance(raw, HostRef) and 0 <= raw.n <= I31_MAX:
            return f"(extern.convert_any (ref.i31 (i32.const {raw.n})))"
        what = f"ref.extern {raw.n}" if isinstance(raw, HostRef) else f"a non-null {t}"
        raise Unsupported(f"{what} cannot be made inside a wrapper module: the argument cannot be given")
    raise Unsupported(f"a {t} value cannot be given through a wrapper module")


def _convert(t: str, local: str, i31: bool = False) -> str:
    """The instructions that turn local ``local`` of type ``t`` into its integer slots (``SLOTS[t]``).  An
    externref with ``i31``: -1 for null, N for one made from ``ref.i31 N``, -2 for any other."""
    get = f"(local.get {local})"
    if i31 and t == "externref":
        any_ref = f"(any.convert_extern {get})"
        return (f"(if (result i32) (ref.is_null {get}) (then (i32.const -1)) (else "
                f"(if (result i32) (ref.test (ref i31) {any_ref}) (then (i31.get_u (ref.cast (ref i31) {any_ref}))) "
                f"(else (i32.const -2)))))")
    if t in ("i32", "i64"):
        return get
    if t == "f32":
        return f"(i32.reinterpret_f32 {get})"
    if t == "f64":
        return f"(i64.reinterpret_f64 {get})"
    if t == "v128":
        return f"(i64x2.extract_lane 0 {get}) (i64x2.extract_lane 1 {get})"
    if t in REF_TYPES:
        return f"(ref.is_null {get})"
    raise Unsupported(f"a {t} result cannot be returned through a wrapper module")


def slots(types: tuple[str, ...]) -> tuple[str, ...]:
    """The integer types the wrapper returns for results of ``types``, in order."""
    out: list[str] = []
    for t in types:
        if t not in SLOTS:
            raise Unsupported(f"a {t} result cannot be returned through a wrapper module")
        out += SLOTS[t]
    return tuple(out)


def _func_type(params: tuple[str, ...], results: tuple[str, ...]) -> str:
    return "".join(f" (param {p})" for p in params) + "".join(f" (result {r})" for r in results)


def _returning(types: tuple[str, ...], push: str, i31: bool = False) -> tuple[str, str]:
    """(locals, body) of a function that runs ``push`` (which leaves values of ``types``) and returns
    them as integer slots."""
    names = [f"$r{i}" for i in range(len(types))]
    decl = " ".join(f"(local {n} {t})" for n, t in zip(names, types, strict=True))
    body = push + "".join(f" (local.set {n})" for n in reversed(names))
    body += "".join(" " + _convert(t, n, i31) for n, t in zip(names, types, strict=True))
    return decl, body


def call_wrapper(call: Call, i31: bool = False) -> str:
    """A module whose export ``run`` makes ``call`` and returns its results as integers (``i31``: host
    references as ``const`` and ``decode`` say)."""
    out = _func_type((), slots(call.results))
    args = " ".join(const(t, raw, i31) for t, raw in call.args)
    decl, body = _returning(call.results, f"(call $f {args})", i31)
    return (f"(module\n  (import {_quote(call.module)} {_quote(call.field)} (func $f{_func_type(call.params, call.results)}))\n"
            f"  (func (export \"{EXPORT}\"){out} {decl}\n    {body}))")


def global_wrapper(module: str, field: str, t: str, mutable: bool, i31: bool = False) -> str:
    """A module whose export ``run`` returns the global ``field`` of ``module`` as integers."""
    gtype = f"(mut {t})" if mutable else t
    decl, body = _returning((t,), "(global.get $g)", i31)
    return (f"(module\n  (import {_quote(module)} {_quote(field)} (global $g {gtype}))\n"
            f"  (func (export \"{EXPORT}\"){_func_type((), slots((t,)))} {decl}\n    {body}))")


def replay_module(calls: list[Call], i31: bool = False) -> str:
    """A module whose start function makes ``calls`` in order and drops their results."""
    imports, body = [], []
    for n, call in enumerate(calls):
        imports.append(f"  (import {_quote(call.module)} {_quote(call.field)} (func $f{n}"
                       f"{_func_type(call.params, call.results)}))")
        args = " ".join(const(t, raw, i31) for t, raw in call.args)
        body.append(f"(call $f{n} {args})" + " (drop)" * len(call.results))
    return ("(module\n" + "\n".join(imports) + "\n  (func $replay\n    " + "\n    ".join(body)
            + ")\n  (start $replay))")


@lru_cache(maxsize=512)
def binary(text: str) -> bytes:
    """The binary of a module this file wrote (our text parser: the engine under test reads binaries)."""
    from ...engine.text import parse_module

    return parse_module(text)


def decode(types: tuple[str, ...], ints: list[int], i31: bool = False) -> list[tuple[str, Any]]:
    """Results of ``types`` from the unsigned integers the wrapper returned (``slots(types)`` of them)."""
    values: list[tuple[str, Any]] = []
    it = iter(ints)
    for t in types:
        if t == "v128":
            lo, hi = next(it), next(it)
            values.append((t, lo | hi << 64))
        elif i31 and t == "externref":
            slot = next(it)
            if slot == FOREIGN_SLOT:
                raise Unsupported("the engine returned a non-null externref no wrapper made: its identity is unknown")
            if slot != NULL_SLOT and slot > I31_MAX:
                raise ValueError(f"{slot} is no externref's slot (-1, -2 or an i31)")
            values.append((t, None if slot == NULL_SLOT else HostRef(slot)))
        elif t in REF_TYPES:
            flag = next(it)
            if flag not in (0, 1):
                raise ValueError(f"ref.is_null gave {flag}, not 0 or 1")
            if flag == 0 and t != "funcref":
                raise Unsupported(f"the engine returned a non-null {t}, whose identity a wrapper cannot print")
            values.append((t, None if flag else object()))
        else:
            values.append((t, next(it)))
    return values


def active_segments(binary: bytes) -> int:
    """How many active element and data segments ``binary`` has (what instantiation writes, in order)."""
    from ...engine.binary.decode import decode_module

    m = decode_module(binary)
    return sum(e.mode == "active" for e in m.elems) + sum(d.mode == "active" for d in m.datas)


def segment_prefix(binary: bytes, keep: int) -> bytes:
    """``binary`` re-encoded to do only what instantiating it does before its active segment number ``keep``
    (element segments first, then data, as instantiation applies them): the later active segments made
    passive (their indices, hence the code using them, unchanged) and no start function.  Preloaded in
    place of a module that trapped while instantiating, at the segment ``keep``, it leaves what that left:
    the earlier writes to imported tables and memories, and the functions they placed."""
    from ...engine.binary.decode import decode_module
    from ...engine.binary.encode import encode_module

    m = decode_module(binary)
    rank = 0
    for seg in [*m.elems, *m.datas]:
        if seg.mode == "active":
            if rank >= keep:
                seg.mode, seg.offset = "passive", None
            rank += 1
    m.start = None
    return encode_module(m)
