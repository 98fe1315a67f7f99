"""The spec driver of a declared engine with ``wrap = true`` (``docs/DECLARED_ENGINES.md``).

Every action and every global read goes through a generated wrapper module (constant arguments, integer
results: ``declared_wrap``), in a process that first rebuilds the state of the instances involved by
preloading them and replaying their writing actions (``declared_replay``); what an action may read or
write, across instances linked together, is ``declared_effects``'s answer.  Modules are validated as the
direct driver (``declared_cli``) validates them.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ... import process
from ...adapters.declared import DeclaredAdapter, SpecCommands
from ...text import clip
from .. import spectest
from . import declared_wrap
from .base import DriverFailure, Inexpressible, TrapFailure, Unsupported
from .declared_cli import DeclaredCliDriver, UnreadableOutput, _Module, _read
from .declared_effects import Access, GroupEffects
from .declared_replay import History, Live, Plan


class WrappingDriver(DeclaredCliDriver):
    """``wrap = true``: every action and every global read through a generated wrapper module (constant
    arguments, integer results: ``declared_wrap``), in a process that first rebuilds the state of the
    instances involved by preloading them and replaying their writing actions (``declared_replay``); what
    an action may read or write is ``declared_effects``'s answer for the instances linked together."""

    def __init__(self, adapter: DeclaredAdapter, tier: str) -> None:
        super().__init__(adapter, tier)
        self.history = History()
        self._effects: dict[tuple[int, ...], GroupEffects] = {}
        self.i31 = self.commands.extern_refs == "i31"  # host references made by the GC proposal's i31

    def _write(self, text: str) -> Path:
        try:
            data = declared_wrap.binary(text)
        except Exception as e:  # noqa: BLE001 - a type our text parser does not write (a 3.0 reference type)
            raise Unsupported(f"no wrapper module can be written for this call: {clip(str(e))}") from None
        path = self.dir / f"w-{hashlib.sha256(data).hexdigest()[:16]}.wasm"
        if not path.exists():
            path.write_bytes(data)
        return path

    def _preloads(self, plan: Plan, spectest_too: bool = False) -> list[str]:
        argv = self._preload(spectest.NAME, self.spectest_path) if plan.spectest or spectest_too else []
        for step in plan.steps:
            path = step.live.module.path if step.live is not None else self._write(declared_wrap.replay_module(step.calls, self.i31))
            argv += self._preload(step.name, path)
        return argv

    def effects(self, lives: list[Live]) -> GroupEffects:
        """The effects of the functions of ``lives`` (a group, or a group and a module joining it)."""
        key = tuple(live.serial for live in lives)
        if key not in self._effects:
            self._effects = {key: GroupEffects(lives)}  # the latest group only: the history only grows
        return self._effects[key]

    def instantiate(self, module: _Module, registry: dict[str, Any]) -> Live:
        links = {name: registry[name] for name in module.imports_from() if isinstance(registry.get(name), Live)}
        shares = module.shares_spectest_state() and spectest.NAME not in links
        nodes = History.nodes(links, shares)
        joining = Live(module, 0, links, shares)  # the instance to be, for what its instantiation touches
        effects = GroupEffects([*self.history.group(nodes), joining])
        why = self.history.dirt(effects.of_instantiation(joining))
        if why is not None:
            raise Inexpressible(f"its instantiation may touch what replay cannot rebuild: {why}")
        if module.validated_by_running and not nodes:
            if module.ran is not None:  # it ran alone (with spectest) when compiled, which is all it needs
                raise module.ran
        else:
            plan = self.history.plan(nodes, links)
            ours = spectest.NAME in module.imports_from() and spectest.NAME not in links
            done = self._run(self.commands.instantiate, module, preload=self._preloads(plan, ours))
            if done.exit.returncode:
                failure = self._failure(done, DriverFailure)
                if isinstance(failure, TrapFailure) and nodes:
                    self._keep_partial(module, joining, effects, self._preloads(plan, ours))
                raise failure
        return self.history.new_live(module, links, shares)

    def _keep_partial(self, module: _Module, joining: Live, effects: GroupEffects, preload: list[str]) -> None:
        """A module linked to other instances trapped while instantiating: the writes its active segments
        made before the one that trapped stay in those instances (and the functions they placed stay
        callable).  Find that segment by running prefixes of the module (``declared_wrap.segment_prefix``)
        in the same process context, and record the prefix as an instance for later processes to preload.
        If the trap came from the start function, what it may have written is marked dirty."""
        try:
            count = declared_wrap.active_segments(module.binary) if module.binary is not None else None
        except Exception:  # noqa: BLE001 - a module our decoder does not read: assume the worst
            count = None

        def prefix(keep: int) -> tuple[Path, bool]:
            assert module.binary is not None
            data = declared_wrap.segment_prefix(module.binary, keep)
            path = self.dir / f"p-{hashlib.sha256(data).hexdigest()[:16]}.wasm"
            path.write_bytes(data)
            return path, self._run(self.commands.instantiate, path, preload=preload).exit.returncode == 0

        if count is None or not prefix(0)[1]:
            self.history.mark(effects.of_instantiation(joining).writes, "a module linked to it trapped while "
                              "instantiating, where no prefix of its segments finds the trap, and may have written it")
            return
        whole, ran = prefix(count)
        if ran:  # every segment was written: the start function trapped
            self.history.mark(effects.of_start(joining).writes, "a start function that trapped may have written it")
            path = whole
        else:
            ok, trapped = 0, count  # the prefix of ``ok`` segments instantiates, that of ``trapped`` does not
            while trapped - ok > 1:
                mid = (ok + trapped) // 2
                if prefix(mid)[1]:
                    ok = mid
                else:
                    trapped = mid
            path, _ = prefix(ok)
        self.history.new_live(_Module(path, path.read_bytes()), joining.links, joining.shares_spectest)

    def _call(self, instance: Live, access: Access, text_of: Callable[[str], str]) -> process.Captured:
        """Run the wrapper ``text_of(name of the instance)`` after rebuilding the instance's state."""
        why = self.history.dirt(access)
        if why is not None:
            raise Inexpressible(f"may touch what replay cannot rebuild: {why}")
        plan = self.history.plan([instance])
        wrapper = self._write(text_of(plan.names[instance.serial]))
        return self._run(self.commands.invoke, wrapper, {"export": declared_wrap.EXPORT}, [], self._preloads(plan))

    def invoke(self, instance: Live, field: str, args: list[tuple[str, Any]]) -> list[tuple[str, Any]]:
        ftype = instance.module.func_type(field)
        access = self.effects(self.history.group([instance])).of_export(instance, field)
        try:
            done = self._call(instance, access, lambda name: declared_wrap.call_wrapper(
                declared_wrap.Call(name, field, ftype[0], ftype[1], tuple(args)), self.i31))
        except Unsupported as e:
            self.history.mark(access.writes, f"an action on {field!r} that could not be made may have written it")
            raise e from None
        if done.exit.returncode:
            failure = self._failure(done, DriverFailure)
            clean = type(failure) is TrapFailure and self.effects(self.history.group([instance])).trap_clean(instance, field)
            if not clean:
                what = "trapped" if isinstance(failure, TrapFailure) else "failed"
                self.history.mark(access.writes, f"an action on {field!r} {what} and may have written part of it")
            raise failure
        if access.writes:
            self.history.wrote(instance, field, ftype[0], ftype[1], args)
        return _read_wrapped(done, ftype[1], self.commands, self.i31)

    def get(self, instance: Live, field: str) -> tuple[str, Any]:
        gtype = instance.module.info.export_global_type(field)
        if gtype is None and instance.module.binary is None:
            raise Unsupported("a text module the harness cannot read: the types of its exports are unknown")
        if gtype is None:
            raise DriverFailure(f"no exported global {field!r}")
        access = self.effects(self.history.group([instance])).of_global(instance, field)
        done = self._call(instance, access, lambda name: declared_wrap.global_wrapper(name, field, *gtype, self.i31))
        if done.exit.returncode:
            raise self._failure(done, DriverFailure)
        return _read_wrapped(done, (gtype[0],), self.commands, self.i31)[0]


def _read_wrapped(done: process.Captured, types: tuple[str, ...], c: SpecCommands,
                  i31: bool = False) -> list[tuple[str, Any]]:
    """Results of ``types`` from the integers a wrapper's ``run`` printed."""
    ints = [value for _, value in _read(done, declared_wrap.slots(types), c)]
    try:
        return declared_wrap.decode(types, ints, i31)
    except ValueError as e:
        raise UnreadableOutput(f"unreadable results: {e}") from None
