"""Differential test of the interpreter's scalar numerics against wasmtime (the reference runtime).

Every numeric instruction is wrapped in a function taking and returning integers (floats travel as bits
through ``reinterpret``, so NaN payloads cross the host boundary intact) and run on edge values plus
seeded random ones.  Both must trap alike; NaN results only need to be NaNs of the same arithmetic kind.
"""

from __future__ import annotations

import random
import struct

import pytest

from harness.engine import api

wasmtime = pytest.importorskip("wasmtime")

INT_T = {"i32": "i32", "i64": "i64", "f32": "i32", "f64": "i64"}
BITS = {"i32": 32, "i64": 64, "f32": 32, "f64": 64}

BIN = {t: ["add", "sub", "mul"] for t in BITS}
for _t in ("i32", "i64"):
    BIN[_t] += ["div_s", "div_u", "rem_s", "rem_u", "and", "or", "xor", "shl", "shr_s", "shr_u", "rotl", "rotr",
                "eq", "ne", "lt_s", "lt_u", "gt_s", "gt_u", "le_s", "le_u", "ge_s", "ge_u"]
for _t in ("f32", "f64"):
    BIN[_t] += ["div", "min", "max", "copysign", "eq", "ne", "lt", "gt", "le", "ge"]
UN = {t: ["clz", "ctz", "popcnt", "eqz", "extend8_s", "extend16_s"] for t in ("i32", "i64")}
UN["i64"].append("extend32_s")
for _t in ("f32", "f64"):
    UN[_t] = ["abs", "neg", "sqrt", "ceil", "floor", "trunc", "nearest"]
CONV = []  # (name, from, to)
for _i in ("i32", "i64"):
    for _f in ("f32", "f64"):
        for _s in ("s", "u"):
            CONV += [(f"{_i}.trunc_{_f}_{_s}", _f, _i), (f"{_i}.trunc_sat_{_f}_{_s}", _f, _i),
                     (f"{_f}.convert_{_i}_{_s}", _i, _f)]
CONV += [("i32.wrap_i64", "i64", "i32"), ("i64.extend_i32_s", "i32", "i64"), ("i64.extend_i32_u", "i32", "i64"),
         ("f32.demote_f64", "f64", "f32"), ("f64.promote_f32", "f32", "f64")]


def _arg(t: str, i: int) -> str:
    g = f"(local.get {i})"
    return f"({t}.reinterpret_{INT_T[t]} {g})" if t[0] == "f" else g


def _res(t: str, e: str) -> str:
    return f"({INT_T[t]}.reinterpret_{t} {e})" if t[0] == "f" else e


def build():
    funcs, sigs = [], {}
    k = 0
    for t, ops in BIN.items():
        for op in ops:
            cmp = op in ("eq", "ne", "lt", "gt", "le", "ge") or op.startswith(("lt_", "gt_", "le_", "ge_"))
            rt = "i32" if cmp else t
            body = _res(rt, f"({t}.{op} {_arg(t, 0)} {_arg(t, 1)})")
            funcs.append(f'(func (export "f{k}") (param {INT_T[t]} {INT_T[t]}) (result {INT_T[rt]}) {body})')
            sigs[f"f{k}"] = (f"{t}.{op}", (t, t), rt)
            k += 1
    for t, ops in UN.items():
        for op in ops:
            rt = "i32" if op == "eqz" else t
            body = _res(rt, f"({t}.{op} {_arg(t, 0)})")
            funcs.append(f'(func (export "f{k}") (param {INT_T[t]}) (result {INT_T[rt]}) {body})')
            sigs[f"f{k}"] = (f"{t}.{op}", (t,), rt)
            k += 1
    for name, a, r in CONV:
        body = _res(r, f"({name} {_arg(a, 0)})")
        funcs.append(f'(func (export "f{k}") (param {INT_T[a]}) (result {INT_T[r]}) {body})')
        sigs[f"f{k}"] = (name, (a,), r)
        k += 1
    return "(module\n" + "\n".join(funcs) + ")", sigs


def _f32(x):
    return struct.unpack("<I", struct.pack("<f", x))[0]


def _f64(x):
    return struct.unpack("<Q", struct.pack("<d", x))[0]


def samples(t: str, rng: random.Random, n: int) -> list[int]:
    bits = BITS[t]
    if t == "f32":
        edge = [_f32(x) for x in (0.0, -0.0, 1.0, -1.0, 0.5, -0.5, 1.5, 2.5, -2.5, 3e9, -3e9, 5e18, 2e19,
                                  float("inf"), float("-inf"))] + [0x7FC00000, 0x7FA00001, 0xFFC00001, 1,
                                                                    0x7F7FFFFF, 0x00800000, 0x4F000000]
    elif t == "f64":
        edge = [_f64(x) for x in (0.0, -0.0, 1.0, -1.0, 0.5, -0.5, 1.5, 2.5, -2.5, 3e9, -3e9, 5e18, 2e19, 1e300,
                                  2147483647.9, -2147483648.9, 4294967295.5, float("inf"), float("-inf"))] + [
            0x7FF8000000000000, 0x7FF4000000000001, 0xFFF8000000000001, 1, 0x36A0000000000000]
    else:
        edge = [0, 1, 2, 31, 32, 63, 64, (1 << bits) - 1, 1 << (bits - 1), (1 << (bits - 1)) - 1, 0x80, 0xFF, 0x8000,
                0x80000000, (1 << 53) + (1 << 29) + 1]
    edge = [e & ((1 << bits) - 1) for e in edge]
    return edge + [rng.getrandbits(bits) for _ in range(n)]


def _is_nan(t: str, v: int) -> bool:
    if t == "f32":
        return v & 0x7F800000 == 0x7F800000 and v & 0x7FFFFF != 0
    if t == "f64":
        return v & 0x7FF0000000000000 == 0x7FF0000000000000 and v & 0xFFFFFFFFFFFFF != 0
    return False


def _outcome(fn):
    try:
        return ("ok", fn())
    except Exception as e:  # noqa: BLE001 - both engines' traps, compared by class only
        return ("trap", type(e).__name__)


def test_numerics_match_wasmtime():
    src, sigs = build()
    ours = api.Store().instantiate(api.Module.from_text(src))
    engine = wasmtime.Engine()
    wstore = wasmtime.Store(engine)
    winst = wasmtime.Instance(wstore, wasmtime.Module(engine, src), [])
    wexp = winst.exports(wstore)
    rng = random.Random(1234)
    mismatches = []
    for fname, (op, params, rt) in sigs.items():
        cols = [samples(t, rng, 12) for t in params]
        if len(params) == 2:
            cases = [(a, b) for a in cols[0][::3] for b in cols[1][::3]] + list(zip(cols[0], cols[1], strict=False))
        else:
            cases = [(a,) for a in cols[0]]
        f = ours.exports[fname]
        wf = wexp[fname]
        for args in cases:
            signed = [a - (1 << BITS[t]) if a >> (BITS[t] - 1) else a for a, t in zip(args, params, strict=True)]
            mine = _outcome(lambda f=f, args=args: ours.store.invoke(f, list(args))[0])
            ref = _outcome(lambda wf=wf, signed=signed: wf(wstore, *signed))
            if ref[0] == "ok":
                ref = ("ok", ref[1] & ((1 << BITS[rt]) - 1))
            if mine[0] != ref[0]:
                mismatches.append((op, args, mine, ref))
            elif mine[0] == "ok" and mine[1] != ref[1]:
                if _is_nan(rt, mine[1]) and _is_nan(rt, ref[1]):
                    quiet = 0x400000 if rt == "f32" else 0x8000000000000
                    if mine[1] & quiet:
                        continue
                mismatches.append((op, args, hex(mine[1]), hex(ref[1])))
    assert not mismatches, mismatches[:20]
