"""The engine's value classes (``records.Record``/``Frozen``) keep what ``dataclasses`` gave them: equality
by value, a readable ``repr``, hashing and immutability for the frozen ones."""

from __future__ import annotations

import pickle

import pytest

from harness.engine import syntax as S
from harness.engine.records import Frozen, Record
from harness.engine.wasi.host import WasiConfig


def test_frozen_records_compare_and_hash_by_value():
    a, b = S.FuncType(("i32",), ("i64",)), S.FuncType(("i32",), ("i64",))
    assert a == b and a is not b and hash(a) == hash(b)
    assert {a: 1}[b] == 1
    assert a != S.FuncType(("i32",), ())
    assert S.Limits(1) == S.Limits(1, None) != S.Limits(1, 2)
    # same fields, different class: not equal (a type index must not equal an export by accident)
    assert S.Export("f", "func", 0) != ("f", "func", 0)


def test_frozen_records_cannot_change():
    t = S.FuncType(("i32",), ())
    with pytest.raises(AttributeError, match="FuncType is immutable"):
        t.params = ()
    with pytest.raises(AttributeError, match="immutable"):
        del t.results
    with pytest.raises(AttributeError):
        t.other = 1  # no such field (__slots__)


def test_mutable_records_compare_by_value_and_are_unhashable():
    f, g = S.Func(0, ["i32"], [("nop",)]), S.Func(0, ["i32"], [("nop",)])
    assert f == g
    g.offset = 7
    assert f != g
    with pytest.raises(TypeError):
        hash(f)
    m = S.Module()
    assert m.types == [] and m.funcs == [] and m.start is None and not m.bodies_skipped
    assert S.Module().types is not m.types  # no shared default lists
    assert WasiConfig().args == ["main.wasm"] and WasiConfig().env == {}


def test_repr_names_the_fields_and_hides_private_ones():
    assert repr(S.Limits(1, 2)) == "Limits(min=1, max=2)"

    class Secret(Record):
        __slots__ = ("shown", "_hidden")

        def __init__(self) -> None:
            self.shown, self._hidden = 1, 2

    assert repr(Secret()) == "Secret(shown=1)"


def test_records_survive_pickling():
    """Partition workers and the results store may ship these between processes."""
    m = S.Module(types=[S.FuncType(("i32",), ())], imports=[S.Import("env", "m", "memory", S.MemType(S.Limits(1)))])
    back = pickle.loads(pickle.dumps(m))
    assert back == m and hash(back.types[0]) == hash(m.types[0])


def test_a_frozen_subclass_hashes_every_field():
    class P(Frozen):
        __slots__ = ("x", "y")

        def __init__(self, x: int, y: int) -> None:
            self.x, self.y = x, y

    assert len({P(1, 2), P(1, 2), P(2, 1)}) == 2
