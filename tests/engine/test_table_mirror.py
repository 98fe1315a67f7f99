"""The native mirror of a table that both compiled tiers read (``native_state.TableMirror``): it must equal
the table's elements after every sync, and a grown table must cost the new entries only.  Converting every
entry at every sync made a fuzz module that grew a table to millions of entries in a loop give no answer
within 60 s on ours:llvm and ours:singlepass (seed 20261207, module 54837, docs/FUZZING.md)."""

from __future__ import annotations

from harness.engine.runtime.objects import TableInstance
from harness.engine.syntax import Limits, TableType
from harness.engine.tiers.native_state import TableMirror


class Ref:
    """A reference with identity semantics, as FuncInstance and host objects have."""


class EqualRef:
    """A reference type with its own ``==``: two of them may be equal and still be two references."""

    def __eq__(self, other: object) -> bool:
        return isinstance(other, EqualRef)

    __hash__ = object.__hash__


class CountingStore:
    def __init__(self) -> None:
        self.conversions = 0
        self.handles: dict[int, int] = {}

    def ref_to_native(self, ref: object) -> int:
        self.conversions += 1
        return 0 if ref is None else self.handles.setdefault(id(ref), 2 * len(self.handles) + 2)


def native(mirror: TableMirror) -> list[int]:
    return list(mirror.array[: mirror.cell[1]])


def expected(store: CountingStore, table: TableInstance) -> list[int]:
    return [0 if r is None else store.handles[id(r)] for r in table.elements]


def test_a_grown_table_converts_only_its_new_entries_and_a_run_of_one_value_once():
    store, a, b = CountingStore(), Ref(), Ref()
    table = TableInstance(TableType(Limits(3), "externref"), None)
    table.elements[1] = a
    mirror = TableMirror(table)
    mirror.sync_from_python(store)
    assert store.conversions == 3 and native(mirror) == expected(store, table)

    for _ in range(5):  # as table.grow in a loop does, each grow synced at once
        store.conversions = 0
        old = table.grow(200_000, b)
        mirror.grew(store, old)
        assert store.conversions == 1
    assert native(mirror) == expected(store, table) and len(table.elements) == 1_000_003

    store.conversions = 0
    mirror.sync_from_python(store)  # nothing changed: nothing converted
    assert store.conversions == 0


def test_a_table_grown_behind_the_mirrors_back_is_synced_by_its_tail():
    store, refs = CountingStore(), [Ref() for _ in range(4)]
    table = TableInstance(TableType(Limits(2), "funcref"), None)
    mirror = TableMirror(table)
    mirror.sync_from_python(store)
    store.conversions = 0
    table.elements.extend(refs)  # four distinct references: one conversion each
    mirror.sync_from_python(store)
    assert store.conversions == 4 and native(mirror) == expected(store, table)


def test_a_change_inside_the_table_converts_it_all_again():
    store, a = CountingStore(), Ref()
    table = TableInstance(TableType(Limits(5), "funcref"), None)
    mirror = TableMirror(table)
    mirror.sync_from_python(store)
    table.elements[2] = a
    table.elements.append(None)
    mirror.sync_from_python(store)
    assert native(mirror) == expected(store, table)


def test_equal_references_are_still_converted_one_by_one():
    store = CountingStore()
    table = TableInstance(TableType(Limits(0), "externref"), None)
    mirror = TableMirror(table)
    refs = [EqualRef() for _ in range(3)]
    table.elements.extend(refs)
    mirror.sync_from_python(store)
    assert store.conversions == 3 and len(set(native(mirror))) == 3


def test_a_grow_after_an_unsynced_change_takes_the_general_path():
    store, a = CountingStore(), Ref()
    table = TableInstance(TableType(Limits(2), "funcref"), None)
    mirror = TableMirror(table)
    mirror.sync_from_python(store)
    table.elements.append(a)  # not synced
    old = table.grow(3, None)
    mirror.grew(store, old)
    assert native(mirror) == expected(store, table)
