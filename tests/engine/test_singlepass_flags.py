"""Compares left in eflags for their consumer (docs/SINGLEPASS_TIER.md, "The value stack"): ``select`` after
an integer or float compare is a ``cmov`` on the compare's condition, and float ``lt/gt/le/ge`` feed
``if``/``br_if`` without ``setcc``.  The operands of such a select are loaded after the compare, so loading
them must not touch eflags (a zero constant is not ``xor``-ed); NaN operands make every ordered compare false.
Each case runs on the interpreter and the singlepass tier over edge values and must agree."""

from __future__ import annotations

import itertools
import math
import struct

import pytest

from harness.engine import api
from harness.engine.tiers.singlepass import unavailable_reason

pytestmark = pytest.mark.skipif(bool(unavailable_reason()), reason=unavailable_reason() or "available")

FLOATS = [0.0, -0.0, 1.0, -1.5, math.inf, -math.inf, math.nan, 3.25]
INTS = [0, 1, -1, 7, 0x7FFFFFFF, -(1 << 31)]
FCMP = ["lt", "gt", "le", "ge", "eq", "ne"]


def bits(t: str, x: float) -> int:
    return struct.unpack("<Q", struct.pack("<d", x))[0] if t == "f64" else \
        struct.unpack("<I", struct.pack("<f", x))[0]


def both(src: str) -> tuple[api.Instance, api.Instance]:
    m = api.Module.from_text(src)
    return (api.Store(tier="interp").instantiate(m),
            api.Store(tier="singlepass", cache_dir=False).instantiate(m))


@pytest.mark.parametrize("t", ["f32", "f64"])
def test_float_compares_into_if_br_if_and_select(t: str) -> None:
    funcs = []
    for op in FCMP:
        funcs.append(f'(func (export "if_{op}") (param {t} {t}) (result i32) '
                     f'(if (result i32) ({t}.{op} (local.get 0) (local.get 1)) (then (i32.const 11)) '
                     f'(else (i32.const 22))))')
        funcs.append(f'(func (export "brif_{op}") (param {t} {t}) (result i32) '
                     f'(block (br_if 0 ({t}.{op} (local.get 0) (local.get 1))) (return (i32.const 5))) '
                     f'(i32.const 6))')
        # the zero constant is loaded after the compare: it must not clobber eflags
        funcs.append(f'(func (export "sel_{op}") (param {t} {t}) (result i32) '
                     f'(select (i32.const 9) (i32.const 0) ({t}.{op} (local.get 0) (local.get 1))))')
        funcs.append(f'(func (export "fsel_{op}") (param {t} {t}) (result {t}) '
                     f'(select (local.get 1) ({t}.const 0) ({t}.{op} (local.get 0) (local.get 1))))')
        funcs.append(f'(func (export "val_{op}") (param {t} {t}) (result i32) '
                     f'({t}.{op} (local.get 0) (local.get 1)))')
    a, b = both("(module " + " ".join(funcs) + ")")
    for name in a.exports:
        for x, y in itertools.product(FLOATS, repeat=2):
            args = [bits(t, x), bits(t, y)]
            assert b.invoke(name, args) == a.invoke(name, args), (name, x, y)


@pytest.mark.parametrize("t", ["i32", "i64"])
def test_integer_compare_into_select(t: str) -> None:
    funcs = []
    for op in ["eq", "ne", "lt_s", "lt_u", "gt_s", "gt_u", "le_s", "le_u", "ge_s", "ge_u"]:
        funcs.append(f'(func (export "{op}") (param {t} {t}) (result {t}) '
                     f'(select ({t}.const 0) (local.get 1) ({t}.{op} (local.get 0) (local.get 1))))')
        funcs.append(f'(func (export "{op}_c") (param {t} {t}) (result {t}) '
                     f'(select (local.get 0) ({t}.const 0) ({t}.{op} (local.get 0) ({t}.const 7))))')
    funcs.append(f'(func (export "eqz") (param {t} {t}) (result {t}) '
                 f'(select ({t}.const 0) ({t}.const 3) ({t}.eqz (local.get 0))))')
    a, b = both("(module " + " ".join(funcs) + ")")
    mask = (1 << (32 if t == "i32" else 64)) - 1
    for name in a.exports:
        for x, y in itertools.product(INTS, repeat=2):
            args = [x & mask, y & mask]
            assert b.invoke(name, args) == a.invoke(name, args), (name, x, y)


def test_select_from_flags_is_a_cmov_without_setcc() -> None:
    capstone = pytest.importorskip("capstone")
    from harness.engine.tiers.singlepass.x86_64 import codegen

    m = api.Module.from_text("(module (func (param i32 i32) (result i32) "
                             "(select (local.get 0) (i32.const 0) (i32.lt_s (local.get 0) (local.get 1)))))")
    code, _ = codegen.compile_module(m.ast)
    md = capstone.Cs(capstone.CS_ARCH_X86, capstone.CS_MODE_64)
    mnemonics = [i.mnemonic for i in md.disasm(code, 0)]
    assert any(x.startswith("cmov") for x in mnemonics), mnemonics
    assert not any(x.startswith("set") for x in mnemonics), mnemonics
