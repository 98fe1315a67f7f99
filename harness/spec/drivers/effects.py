"""Which exported functions of a module may change its instance's state.

An engine driven one process per action starts every action from a freshly instantiated module.  That is
the state the script means only while no earlier action could have changed it: a store, ``global.set``, a
table or memory operation that writes, ``data.drop``/``elem.drop``, or a call that may reach one.  An
indirect call (``call_indirect``, ``call_ref``) may reach any function whose reference the module takes
(``ref.func`` in its code, globals or element segments), so it writes when one of those does.  Calls to imported functions do not (the driver links only ``spectest``, whose
functions write nothing; a module importing anything else is not run at all).
"""

from __future__ import annotations

WRITES = frozenset({
    "global.set", "memory.grow", "memory.fill", "memory.copy", "memory.init", "data.drop",
    "table.set", "table.grow", "table.fill", "table.copy", "table.init", "elem.drop",
})
CALLS = frozenset({"call", "return_call"})
INDIRECT = frozenset({"call_indirect", "return_call_indirect", "call_ref", "return_call_ref"})
ANY = -1  # the callee of an indirect call: any function whose reference is taken


def _writes(name: str) -> bool:
    return name in WRITES or ".store" in name or ".atomic." in name


def _scan(body: list, calls: set[int], referenced: set[int]) -> bool:
    """Whether ``body`` writes state itself; the functions it calls (``ANY`` for an indirect call) go into
    ``calls``, those it takes a reference to into ``referenced``."""
    writes = False
    stack = [body]
    while stack:
        for instr in stack.pop():
            name = instr[0]
            if _writes(name):
                writes = True
            elif name in CALLS:
                calls.add(instr[1])
            elif name in INDIRECT:
                calls.add(ANY)
            elif name == "ref.func":
                referenced.add(instr[1])
            for item in instr[1:]:
                if isinstance(item, list):
                    stack.append(item)
    return writes


def writing_exports(binary: bytes) -> frozenset[str] | None:
    """The exported functions that may change the module's state, or None when the module cannot be read
    here (then every export is taken to write)."""
    from ...engine.binary.decode import decode_module

    try:
        module = decode_module(binary)
    except Exception:  # noqa: BLE001 - a module our decoder does not take: assume the worst
        return None
    imported = sum(1 for i in module.imports if i.kind == "func")
    callees: dict[int, set[int]] = {}
    writes: set[int] = set()
    referenced: set[int] = set()
    for expr in [g.init for g in module.globals] + [item for e in module.elems for item in e.init]:
        _scan(expr, set(), referenced)
    for n, func in enumerate(module.funcs):
        calls: set[int] = set()
        if _scan(func.body, calls, referenced):
            writes.add(imported + n)
        callees[imported + n] = calls
    changed = True
    while changed:  # a function writes when a function it may call does
        changed = False
        for f, calls in callees.items():
            if f not in writes and (calls & writes or (ANY in calls and referenced & writes)):
                writes.add(f)
                changed = True
    return frozenset(e.name for e in module.exports if e.kind == "func" and e.index in writes)
