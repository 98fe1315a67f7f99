"""Which state an action may read or write, across a group of linked instances (``wrap = true``).

The replaying driver (``declared_replay``) repeats the actions that may have written state; an action that
trapped cannot be repeated (it would end the process), so what it may have written becomes unknown and the
checks that may read it are ``unsupported``.  This module says, for an export of an instance linked to
others, which *locations* it may read and write: a global, the memories or the tables of an instance, a
data or element segment (``drop``), each named by the instance that owns it (an import is followed through
the links to its owner; ``spectest``'s memory and table are the owner ``spectest``).

A function's accesses are its own instructions' and those of every function it may call: directly, through
an import (followed to the exporting instance's function; ``spectest``'s functions only print), or
indirectly (``call_indirect``, ``call_ref``): any function of the group whose reference is taken
(``ref.func`` in code, globals or element segments), since any of them may be in a shared table.  A
module our decoder does not read may touch anything (``ANY``).  Memories are one location per instance
(all its memories), and so are tables: coarse, and only ever more cautious.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

ANY: tuple = ("*",)  # a location that stands for every location
Location = tuple


@dataclass(frozen=True)
class Access:
    reads: frozenset[Location] = frozenset()
    writes: frozenset[Location] = frozenset()

    def __or__(self, other: Access) -> Access:
        return Access(self.reads | other.reads, self.writes | other.writes)


def overlaps(a: frozenset[Location], b: frozenset[Location] | set[Location]) -> bool:
    """Whether two sets of locations may share one (``ANY`` shares with every location)."""
    if not a or not b:
        return False
    return ANY in a or ANY in b or not a.isdisjoint(b)


@dataclass
class _Func:
    reads: set[Location] = field(default_factory=set)  # local names: ("global", i), ("memory",), ...
    writes: set[Location] = field(default_factory=set)
    calls: set[int] = field(default_factory=set)
    indirect: bool = False
    trap_clean: bool = False  # writes_nothing_when_trapping


@dataclass
class Facts:
    """What one module's code touches, in its own index spaces."""

    imports: dict[str, list[tuple[str, str]]]  # kind -> (module, name) of each import, in index order
    exports: dict[str, tuple[str, int]]
    funcs: list[_Func]  # defined functions
    referenced: set[int]
    start: int | None
    mems: int  # defined memories and tables
    tables: int
    segments: bool  # whether it has active segments (instantiation writes tables or memories)


def _classify(name: str, instr: tuple, f: _Func, referenced: set[int]) -> None:
    if name == "global.get":
        f.reads.add(("global", instr[1]))
    elif name == "global.set":
        f.writes.add(("global", instr[1]))
    elif ".atomic." in name or name in ("memory.grow", "memory.copy"):
        f.reads.add(("memory",))
        f.writes.add(("memory",))
    elif ".store" in name or name == "memory.fill":
        f.writes.add(("memory",))
    elif ".load" in name or name == "memory.size":
        f.reads.add(("memory",))
    elif name == "memory.init":
        f.reads.add(("data", instr[1]))
        f.writes.add(("memory",))
    elif name == "data.drop":
        f.writes.add(("data", instr[1]))
    elif name in ("table.get", "table.size"):
        f.reads.add(("table",))
    elif name in ("table.set", "table.fill", "table.grow", "table.copy"):
        f.reads.add(("table",))
        f.writes.add(("table",))
    elif name == "table.init":
        f.reads.add(("elem", instr[1]))
        f.writes.add(("table",))
    elif name == "elem.drop":
        f.writes.add(("elem", instr[1]))
    elif name in ("call", "return_call"):
        f.calls.add(instr[1])
    elif name in ("call_indirect", "return_call_indirect"):
        f.reads.add(("table",))
        f.indirect = True
    elif name in ("call_ref", "return_call_ref"):
        f.indirect = True
    elif name == "ref.func":
        referenced.add(instr[1])


def _grows_by_zero(body: list, i: int) -> bool:
    """``memory.grow``/``table.grow`` at ``i`` with the constant 0 just before: it changes nothing."""
    return i > 0 and body[i - 1][0] == "i32.const" and body[i - 1][1] == 0 and len(body[i]) == 1 + (body[i][0] == "table.grow")


def _scan(body: list, f: _Func, referenced: set[int]) -> None:
    stack = [body]
    while stack:
        seq = stack.pop()
        for i, instr in enumerate(seq):
            if instr[0] in ("memory.grow", "table.grow") and _grows_by_zero(seq, i):
                f.reads.add(("memory",) if instr[0] == "memory.grow" else ("table",))
                continue
            _classify(instr[0], instr, f, referenced)
            for item in instr[1:]:
                if isinstance(item, list):
                    stack.append(item)
                elif isinstance(item, tuple) and item and isinstance(item[0], tuple):
                    stack.append(list(item))


CONTROL = frozenset({"block", "loop", "if", "br", "br_if", "br_table", "return", "call", "call_indirect",
                     "return_call", "return_call_indirect", "call_ref", "return_call_ref", "try_table", "throw",
                     "throw_ref", "br_on_null", "br_on_non_null", "br_on_cast", "br_on_cast_fail"})
_MAY_TRAP = ("unreachable", ".load", ".store", "memory.", "table.", "data.drop", "elem.drop", ".div_", ".rem_",
             ".atomic.", "ref.as_non_null", "struct.", "array.", "ref.cast", "i31.get")


def _may_trap(name: str) -> bool:
    if ".trunc_" in name and "_sat" not in name and name[:3] in ("i32", "i64"):
        return True
    return any(part in name for part in _MAY_TRAP) and name not in ("memory.size", "table.size")


def writes_nothing_when_trapping(body: list) -> bool:
    """Whether a trap anywhere in ``body`` comes before all of its writes: a body without control flow or
    calls whose writes are all at or after its last instruction that may trap (a write that traps writes
    nothing).  An action on it that trapped left no state behind, so it taints nothing."""
    if any(instr[0] in CONTROL for instr in body):
        return False
    sites = [i for i, instr in enumerate(body) if _may_trap(instr[0])]
    probe = _Func()
    writes = []
    for i, instr in enumerate(body):
        probe.writes.clear()
        if not (instr[0] in ("memory.grow", "table.grow") and _grows_by_zero(body, i)):
            _classify(instr[0], instr, probe, set())
        if probe.writes:
            writes.append(i)
    return not sites or all(w >= sites[-1] for w in writes)


@lru_cache(maxsize=256)
def facts(binary: bytes) -> Facts | None:
    """The facts of a module binary, or None when our decoder does not read it."""
    from ...engine.binary.decode import decode_module

    try:
        m = decode_module(binary)
    except Exception:  # noqa: BLE001 - a module our decoder does not take: it may touch anything
        return None
    imports: dict[str, list[tuple[str, str]]] = {"func": [], "table": [], "memory": [], "global": []}
    for imp in m.imports:
        imports.setdefault(imp.kind, []).append((imp.module, imp.name))
    referenced: set[int] = set()
    for expr in [g.init for g in m.globals] + [item for e in m.elems for item in e.init]:
        _scan(expr, _Func(), referenced)
    funcs = []
    for func in m.funcs:
        f = _Func()
        _scan(func.body, f, referenced)
        f.trap_clean = writes_nothing_when_trapping(func.body)
        funcs.append(f)
    return Facts(imports, {e.name: (e.kind, e.index) for e in m.exports}, funcs, referenced, m.start,
                 len(m.mems), len(m.tables),
                 any(e.mode == "active" for e in m.elems) or any(d.mode == "active" for d in m.datas))


class GroupEffects:
    """The accesses of every function of a group of instances (``declared_replay.Live``: ``serial``,
    ``links``, ``module.binary``), to a fixpoint over the calls between them."""

    def __init__(self, lives: list[Any]) -> None:
        self.lives = {live.serial: live for live in lives}
        self.facts = {live.serial: facts(live.module.binary) if live.module.binary is not None else None
                      for live in lives}
        self.summary: dict[tuple[int, int], Access] = {}
        self._solve()

    # -- following imports to their owners -------------------------------------------------------------
    def _owner(self, serial: int, kind: str, index: int, seen: int = 0) -> tuple[int, int] | str | None:
        """(serial, index) of the defining instance of item ``index`` of ``kind``; "spectest"; None: unknown."""
        fx = self.facts.get(serial)
        if fx is None or seen > 64:
            return None
        imported = fx.imports.get(kind, [])
        if index >= len(imported):
            return serial, index
        module, name = imported[index]
        target = self.lives[serial].links.get(module)
        if target is None:
            return "spectest" if module == "spectest" else None
        export = self.facts.get(target.serial)
        if export is None or target.serial not in self.lives:
            return None
        found = export.exports.get(name)
        if found is None or found[0] != kind:
            return None
        return self._owner(target.serial, kind, found[1], seen + 1)

    def _locations(self, serial: int, local: set[Location]) -> frozenset[Location]:
        fx = self.facts[serial]
        assert fx is not None
        out: set[Location] = set()
        for loc in local:
            kind = loc[0]
            if kind == "global":
                owner = self._owner(serial, "global", loc[1])
                out.add(ANY if owner is None else ("spectest", "global") if owner == "spectest" else ("global", *owner))
            elif kind in ("memory", "table"):
                count = len(fx.imports.get(kind, [])) + (fx.mems if kind == "memory" else fx.tables)
                for i in range(count):
                    owner = self._owner(serial, kind, i)
                    out.add(ANY if owner is None else ("spectest", kind) if owner == "spectest" else (kind, owner[0]))
            else:  # data, elem: the instance's own
                out.add((kind, serial, loc[1]))
        return frozenset(out)

    # -- the fixpoint ----------------------------------------------------------------------------------
    def _callee(self, serial: int, index: int) -> tuple[int, int] | str | None:
        return self._owner(serial, "func", index)

    def _solve(self) -> None:
        everything = Access(frozenset({ANY}), frozenset({ANY}))
        unknown = any(fx is None for fx in self.facts.values())
        referenced: set[tuple[int, int] | str | None] = set()
        edges: dict[tuple[int, int], list[tuple[int, int] | str | None]] = {}
        for serial, fx in self.facts.items():
            if fx is None:
                continue
            base = len(fx.imports["func"])
            referenced |= {self._callee(serial, i) for i in fx.referenced}
            for n, f in enumerate(fx.funcs):
                node = (serial, base + n)
                self.summary[node] = Access(self._locations(serial, f.reads), self._locations(serial, f.writes))
                edges[node] = [self._callee(serial, i) for i in f.calls]
                if f.indirect:
                    edges[node].append("indirect")
        changed = True
        while changed:
            changed = False
            for node, callees in edges.items():
                acc = self.summary[node]
                for callee in callees:
                    if callee == "spectest":
                        continue
                    if callee == "indirect":
                        for target in referenced:
                            acc = acc | self._node_access(target, unknown, everything)
                    else:
                        acc = acc | self._node_access(callee, False, everything)
                if acc != self.summary[node]:
                    self.summary[node] = acc
                    changed = True

    def _node_access(self, node: Any, unknown: bool, everything: Access) -> Access:
        """The accesses of a callee: nothing for spectest's, everything for one that cannot be followed
        (or, with ``unknown``, for an indirect call when some module of the group cannot be read)."""
        if node == "spectest":
            return Access()
        if unknown:
            return everything
        return self.summary.get(node, everything)

    # -- questions -------------------------------------------------------------------------------------
    def of_export(self, live: Any, name: str) -> Access:
        """What calling the exported function ``name`` of ``live`` may read and write."""
        fx = self.facts.get(live.serial)
        found = fx.exports.get(name) if fx is not None else None
        if fx is None or found is None or found[0] != "func":
            return Access(frozenset({ANY}), frozenset({ANY}))
        return self._node_access(self._callee(live.serial, found[1]), False, Access(frozenset({ANY}), frozenset({ANY})))

    def trap_clean(self, live: Any, name: str) -> bool:
        """Whether the exported function ``name`` of ``live`` writes nothing when it traps (its own body,
        ``writes_nothing_when_trapping``)."""
        fx = self.facts.get(live.serial)
        found = fx.exports.get(name) if fx is not None else None
        if fx is None or found is None or found[0] != "func":
            return False
        index = found[1] - len(fx.imports["func"])
        return 0 <= index < len(fx.funcs) and fx.funcs[index].trap_clean

    def of_global(self, live: Any, name: str) -> Access:
        fx = self.facts.get(live.serial)
        found = fx.exports.get(name) if fx is not None else None
        if fx is None or found is None or found[0] != "global":
            return Access(frozenset({ANY}))
        return Access(self._locations(live.serial, {("global", found[1])}))

    def of_start(self, live: Any) -> Access:
        """What ``live``'s start function may read and write (nothing when it has none)."""
        fx = self.facts.get(live.serial)
        if fx is None:
            return Access(frozenset({ANY}), frozenset({ANY}))
        if fx.start is None:
            return Access()
        return self._node_access(self._callee(live.serial, fx.start), False, Access(frozenset({ANY}), frozenset({ANY})))

    def of_instantiation(self, live: Any) -> Access:
        """What instantiating ``live``'s module may read and write: its global initialisers' imports, the
        tables and memories its active segments write, and its start function."""
        fx = self.facts.get(live.serial)
        if fx is None:
            return Access(frozenset({ANY}), frozenset({ANY}))
        reads = self._locations(live.serial, {("global", i) for i in range(len(fx.imports["global"]))})
        writes = self._locations(live.serial, {("memory",), ("table",)}) if fx.segments else frozenset()
        return Access(reads, writes) | self.of_start(live)
