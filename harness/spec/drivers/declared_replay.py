"""What one process must repeat to stand for the live instances of a spec script (``wrap = true``).

A declared CLI runs one process per action, so nothing survives from one action to the next.  Instead of
giving up on every check that depends on earlier state, the driver keeps the script's history: each
instance made, in order, with what it linked to, and each action that may have changed state
(``effects.writing_exports``) and returned normally.  A process for a new action preloads, in the original
order, every instance that can share state with the target (its *group*: instances joined by imports,
directly or through ``spectest``'s memory or table) and, between them, *replay* modules whose start
functions repeat the group's earlier writing actions with the same arguments (``declared_wrap``).  Replay
is exact because WebAssembly is deterministic given the same instances, imports and calls (``spectest``'s
functions only print).

A registered instance is preloaded under the name its importers used; an instance nobody imports is
preloaded as ``__iN``.  What replay cannot rebuild makes *locations* dirty (``declared_effects``: a global,
an instance's memories or tables, a segment), and every later check that may touch one ``unsupported``
with the reason:

- what a writing action that trapped, exhausted the stack or failed may have written (a start function
  that trapped would end the whole process, and its partial writes stay in the live instance);
- what the start function of a module that trapped there may have written (the segments written before a
  trap are rebuilt: the driver preloads the prefix of the module that instantiates);

and one instance imported under two names, or two instances under one name, in the same process is
``unsupported`` too.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .base import Inexpressible
from .declared_effects import Access, Location, overlaps
from .declared_wrap import Call

SPECTEST_STATE = "spectest"  # the group node of spectest's memory and table


@dataclass(eq=False)
class Live:
    """An instance the script made: its module (``path``, ``info``, ``writers``) and what it linked to."""

    module: Any
    serial: int
    links: dict[str, Live] = field(default_factory=dict)  # import module name -> the instance it linked to
    shares_spectest: bool = False  # imports spectest's memory or table


@dataclass
class _Action:
    live: Live
    field: str
    params: tuple[str, ...]
    results: tuple[str, ...]
    args: tuple[tuple[str, Any], ...]


@dataclass
class Step:
    """One preload of a process: an instance of the script (``live``) or a replay module (``calls``)."""

    name: str
    live: Live | None = None
    calls: list[Call] = field(default_factory=list)


@dataclass
class Plan:
    steps: list[Step]
    names: dict[int, str]  # Live.serial -> the name it is preloaded under
    spectest: bool  # whether our spectest module must be preloaded first


class History:
    """The instances and writing actions of one script, grouped by the state they can share."""

    def __init__(self) -> None:
        self.events: list[Live | _Action] = []
        self._parent: dict[object, object] = {}
        self.dirty: dict[Location, str] = {}  # location -> why its content is unknown
        self._serial = 0

    # -- groups (union-find over instances and spectest's state) -----------------------------------------
    def _root(self, node: object) -> object:
        parent = self._parent.setdefault(node, node)
        if parent is node or parent == node:
            return node
        root = self._root(parent)
        self._parent[node] = root
        return root

    def _union(self, a: object, b: object) -> None:
        ra, rb = self._root(a), self._root(b)
        if ra is rb or ra == rb:
            return
        self._parent[rb] = ra

    @staticmethod
    def nodes(live_or_links: Live | dict[str, Live], shares_spectest: bool = False) -> list[object]:
        if isinstance(live_or_links, Live):
            return [live_or_links]
        return list(live_or_links.values()) + ([SPECTEST_STATE] if shares_spectest else [])

    def dirt(self, access: Access) -> str | None:
        """Why what ``access`` touches may hold what replay cannot rebuild, or None."""
        touched = access.reads | access.writes
        for loc, why in self.dirty.items():
            if overlaps(touched, frozenset({loc})):
                return why
        return None

    def mark(self, locations: frozenset[Location], why: str) -> None:
        """``locations`` may hold what replay cannot rebuild (an action that trapped may have written them)."""
        for loc in locations:
            self.dirty.setdefault(loc, why)

    def group(self, nodes: list[object]) -> list[Live]:
        """The instances of ``nodes``' groups, in the order they were made."""
        roots = {self._root(n) for n in nodes}
        return [e for e in self.events if isinstance(e, Live) and self._root(e) in roots]

    # -- what happened ---------------------------------------------------------------------------------
    def new_live(self, module: Any, links: dict[str, Live], shares_spectest: bool) -> Live:
        """Record an instance that instantiated, joined to the groups of what it links to."""
        self._serial += 1
        live = Live(module, self._serial, dict(links), shares_spectest)
        for node in self.nodes(links, shares_spectest):
            self._union(live, node)
        self._root(live)
        self.events.append(live)
        return live

    def wrote(self, live: Live, name: str, params: tuple[str, ...], results: tuple[str, ...],
              args: list[tuple[str, Any]]) -> None:
        """Record an action that may have written state and returned: later processes replay it."""
        self.events.append(_Action(live, name, params, results, tuple(args)))

    # -- what a process must preload -------------------------------------------------------------------
    def plan(self, nodes: list[object], new_links: dict[str, Live] | None = None) -> Plan:
        """The preloads that rebuild the state of ``nodes``' groups (an instance, or what a new module links
        to and ``SPECTEST_STATE``), in the order it was made.  ``new_links``: the imports of a module about
        to be instantiated, which must find their instances under those names."""
        roots = {self._root(n) for n in nodes}
        included = [e for e in self.events if self._root(e if isinstance(e, Live) else e.live) in roots]
        lives = [e for e in included if isinstance(e, Live)]
        names = self._names(lives, new_links or {})
        steps: list[Step] = []
        for event in included:
            if isinstance(event, Live):
                steps.append(Step(names[event.serial], live=event))
                continue
            call = Call(names[event.live.serial], event.field, event.params, event.results, event.args)
            if steps and steps[-1].live is None:
                steps[-1].calls.append(call)
            else:
                steps.append(Step(f"__r{len(steps)}", calls=[call]))
        spectest = any(_imports_our_spectest(live) for live in lives)
        return Plan(steps, names, spectest)

    @staticmethod
    def _names(lives: list[Live], new_links: dict[str, Live]) -> dict[int, str]:
        wanted: dict[int, set[str]] = {live.serial: set() for live in lives}
        for links in [live.links for live in lives] + [new_links]:
            for name, target in links.items():
                wanted.setdefault(target.serial, set()).add(name)
        names: dict[int, str] = {}
        owner: dict[str, int] = {}
        for serial, asked in wanted.items():
            if len(asked) > 1:
                raise Inexpressible(f"one instance is imported under the names {', '.join(sorted(asked))}: a CLI "
                                    "preloads it under one")
            name = next(iter(asked)) if asked else f"__i{serial}"
            if owner.setdefault(name, serial) != serial:
                raise Inexpressible(f"two instances are registered as {name!r} and both are needed in one process")
            names[serial] = name
        return names


def _imports_our_spectest(live: Live) -> bool:
    from .. import spectest

    return spectest.NAME not in live.links and any(m == spectest.NAME for m, _, _, _ in live.module.info.imports)
