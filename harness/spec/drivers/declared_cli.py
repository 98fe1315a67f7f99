"""The spec driver of a declared engine: its CLI, one process per action.

``harness.spec.drivers.declared_cli:NAME`` is the driver of the engine ``[engine.NAME]`` declares (see
``harness.adapters.declared`` and ``docs/DECLARED_ENGINES.md``).  A module is written to a file and checked
by the ``validate`` command when one is declared, else by running ``instantiate``; every action runs
``invoke`` with the export's name and its typed arguments on a fresh instance, and its results are read
back from stdout.  A process per action cannot keep what a live instance would:

- a module that imports from anything but ``spectest`` (a registered module) cannot be linked to it;
- an action after one that may have changed its instance's state (``effects``) would start from a fresh
  instance instead;
- two modules that share ``spectest``'s memory or table would each get their own;

those checks are ``unsupported`` (``Inexpressible``), never passed or failed.  ``spectest`` itself is a
module the driver writes (the declarations of ``harness.spec.spectest``) and links with the ``preload``
command line; without one, modules that import it are unsupported too.

Output format (``float_results = "decimal"``): one result per line of stdout, in order (with ``result``,
only the lines it matches, its ``value`` group or the whole match).  Integers are decimal, signed or not,
or ``0x`` hex; floats are decimal or scientific (``1.5``, ``-0``, ``1e-45``), hex floats (``0x1.8p+1``),
``inf``/``-inf``, ``nan:0xPAYLOAD`` (exact), or a bare ``nan``/``NaN`` (a NaN of unknown bits: the check
is skipped); v128 is one 128-bit integer (lane 0 in the low bits); references are ``null`` (any text with
"null" in it) or anything else for a non-null funcref.  With ``float_results = "bits"``, floats are their
integer bit patterns.  An optional ``:type`` suffix (``7:i32``) is ignored.
"""

from __future__ import annotations

import hashlib
import os
import struct
import tempfile
from collections.abc import Callable
from fractions import Fraction
from functools import cached_property
from pathlib import Path
from typing import Any

from ... import process
from ...adapters.declared import DeclaredAdapter, SpecCommands
from ...adapters.registry import adapters
from ...text import clip
from .. import spectest
from ..values import BITS, canonical_nan
from ..wasm_sections import ModuleInfo, read_module_info
from . import declared_wrap
from .base import (
    CompileFailure,
    Driver,
    DriverFailure,
    ExhaustionFailure,
    Inexpressible,
    LinkFailure,
    TrapFailure,
    Unsupported,
)
from .declared_effects import Access, GroupEffects
from .declared_replay import History, Live, Plan
from .effects import writing_exports

SHARED_KINDS = ("memory", "table")  # spectest exports whose state a module can change


class _Module:
    def __init__(self, path: Path, binary: bytes | None) -> None:
        self.path = path
        self.binary = binary  # None: a text module our text parser does not read (its exports are unknown)
        self.info: ModuleInfo = read_module_info(binary) if binary is not None else ModuleInfo()
        self.ran: DriverFailure | None = None  # the failure ``instantiate`` gave while validating by running
        self.validated_by_running = False

    @cached_property
    def writers(self) -> frozenset[str] | None:
        return writing_exports(self.binary) if self.binary is not None else None

    def func_type(self, field: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
        if self.binary is None:
            raise Unsupported("a text module the harness cannot read: the types of its exports are unknown")
        ftype = self.info.export_func_type(field)
        if ftype is None:
            raise DriverFailure(f"no exported function {field!r}")
        return ftype

    def imports_from(self) -> set[str]:
        return {m for m, _, _, _ in self.info.imports}

    def shares_spectest_state(self) -> bool:
        return any(m == spectest.NAME and kind in SHARED_KINDS for m, _, kind, _ in self.info.imports)


class _Instance:
    def __init__(self, module: _Module) -> None:
        self.module = module
        self.changed_by: str | None = None  # what may have changed this instance since it was made


class DeclaredCliDriver(Driver):
    def __init__(self, adapter: DeclaredAdapter, tier: str) -> None:
        super().__init__(tier)
        if adapter.declaration.spec is None:
            raise RuntimeError(f"{adapter.runtime} declares no [spec] commands")
        self.adapter = adapter
        self.commands: SpecCommands = adapter.declaration.spec
        self._dir = tempfile.TemporaryDirectory(prefix="harness-declared-")
        self.dir = Path(self._dir.name)
        self._spectest_shared = False  # a module instantiated with spectest's memory or table
        self.reads_text = self.commands.reads_text

    # -- processes -----------------------------------------------------------------------------------
    def _run(self, template: list[str], module: _Module | Path, values: dict[str, str] | None = None,
             args: list[str] | None = None, preload: list[str] | None = None) -> process.Captured:
        """Run ``template`` on ``module`` (or a module file); ``preload``: the ``{preload}`` elements, by
        default spectest's when the module imports it."""
        if preload is None:
            preload = []
            if isinstance(module, _Module) and spectest.NAME in module.imports_from() and self.commands.preload:
                preload = self._preload(spectest.NAME, self.spectest_path)
        path = module.path if isinstance(module, _Module) else module
        argv = self.adapter.command(template, self.tier, {"module": str(path), **(values or {})},
                                    {"preload": preload, "args": args or []})
        env = {**os.environ, **self.commands.env}
        done = process.run_captured(argv, timeout=self.commands.timeout, env=env)
        if done.exit.timed_out:
            raise TimeoutError(f"{argv[0]} took more than {self.commands.timeout:g} s: {clip(' '.join(argv))}")
        return done

    def _message(self, stderr: str) -> str:
        pattern = self.commands.message
        if pattern is not None:
            found = list(pattern.finditer(stderr))
            if found:
                last = found[-1]
                return (last.group("message") if "message" in pattern.groupindex else None) or last.group(0)
        lines = [ln.strip() for ln in stderr.splitlines() if ln.strip()]
        return lines[-1] if lines else ""

    def _failure(self, done: process.Captured, unclassified: type[DriverFailure]) -> DriverFailure:
        """What a failed run of the engine means: exhaustion, a trap, a link error, or ``unclassified``."""
        stderr = done.stderr.decode(errors="replace")
        message = clip(self._message(stderr)) or f"exit status {done.exit.returncode}"
        c = self.commands
        if c.exhaustion is not None and c.exhaustion.search(stderr):
            return ExhaustionFailure(message)
        if done.exit.returncode in c.trap_exit:
            return TrapFailure(message)
        if c.link_error is not None and c.link_error.search(stderr):
            return LinkFailure(message)
        return unclassified(message)

    def _preload(self, name: str, path: Path) -> list[str]:
        assert self.commands.preload is not None
        return self.adapter.command(self.commands.preload, self.tier, {"name": name, "path": str(path)})

    @cached_property
    def spectest_path(self) -> Path:
        from ...engine.text import parse_module

        path = self.dir / "spectest.wasm"
        path.write_bytes(parse_module(spectest_wat()))
        return path

    # -- the driver contract -------------------------------------------------------------------------
    def _text_module(self, text: str) -> _Module:
        """A text module as a ``.wat`` file for a CLI that reads text, with its binary when our text parser
        reads it (for the exports' types; rejecting it is the engine's call, not ours)."""
        from ...engine.text import parse_module

        data = text.encode("utf-8", "surrogateescape")
        path = self.dir / f"{hashlib.sha256(data).hexdigest()[:16]}.wat"
        path.write_bytes(data)
        try:
            binary: bytes | None = parse_module(text)
        except Exception:  # noqa: BLE001 - malformed for us: the engine decides what it is
            binary = None
        return _Module(path, binary)

    def compile(self, binary: bytes | None, text: str | None = None) -> _Module:
        if binary is None and (text is None or not self.reads_text):
            raise Unsupported("a text module with no binary form: the CLI takes binaries")
        if binary is None:
            assert text is not None
            module = self._text_module(text)
        else:
            path = self.dir / f"{hashlib.sha256(binary).hexdigest()[:16]}.wasm"
            path.write_bytes(binary)
            module = _Module(path, binary)
        if self.commands.validate is not None:
            done = self._run(self.commands.validate, module)
            if done.exit.returncode:
                raise CompileFailure(clip(self._message(done.stderr.decode(errors="replace"))))
            return module
        done = self._run(self.commands.instantiate, module)
        module.validated_by_running = True
        if done.exit.returncode:
            failure = self._failure(done, CompileFailure)
            if isinstance(failure, CompileFailure):
                raise failure
            module.ran = failure
        return module

    def _refuse_shared(self, module: _Module, registry: dict[str, Any]) -> None:
        """Inexpressible unless every module ``module`` links to can be given to it in this process.  Whatever
        happens to it, the registered instances it imports from may have changed from then on (its data and
        element segments, its calls)."""
        for name in module.imports_from() & set(registry):
            if isinstance(registry[name], _Instance):
                registry[name].changed_by = f"a module that imports from it as {name!r}"
        for name in sorted(module.imports_from() - {spectest.NAME}):
            raise Inexpressible(f"imports from {name!r}: one process per action can link only spectest, not "
                                "the script's other instances")
        if spectest.NAME in module.imports_from() and self.commands.preload is None:
            raise Inexpressible("imports spectest, and the declaration has no preload command to link it")
        if module.shares_spectest_state() and self._spectest_shared:
            raise Inexpressible("shares spectest's memory or table with an earlier module, which one process per "
                                "action cannot keep")

    def instantiate(self, module: _Module, registry: dict[str, Any]) -> _Instance:
        self._refuse_shared(module, registry)
        if module.validated_by_running:
            if module.ran is not None:
                raise module.ran
        else:
            done = self._run(self.commands.instantiate, module)
            if done.exit.returncode:
                raise self._failure(done, DriverFailure)
        if module.shares_spectest_state():
            self._spectest_shared = True
        return _Instance(module)

    def invoke(self, instance: _Instance, field: str, args: list[tuple[str, Any]]) -> list[tuple[str, Any]]:
        if instance.changed_by is not None:
            raise Inexpressible(f"runs after {instance.changed_by}, which may have changed the instance's state: "
                                "one process per action starts from a fresh instance")
        ftype = instance.module.func_type(field)
        argv_args = [format_arg(t, raw, self.commands) for t, raw in args]
        writers = instance.module.writers
        if writers is None or field in writers:
            instance.changed_by = f"an action on {field!r}"
        done = self._run(self.commands.invoke, instance.module, {"export": field}, argv_args)
        if done.exit.returncode:
            raise self._failure(done, DriverFailure)
        return _read(done, ftype[1], self.commands)

    def get(self, instance: _Instance, field: str) -> tuple[str, Any]:
        raise Unsupported("a declared CLI engine has no command that reads a global")

    def close(self) -> None:
        self._dir.cleanup()


class WrappingDriver(DeclaredCliDriver):
    """``wrap = true``: every action and every global read through a generated wrapper module (constant
    arguments, integer results: ``declared_wrap``), in a process that first rebuilds the state of the
    instances involved by preloading them and replaying their writing actions (``declared_replay``); what
    an action may read or write is ``declared_effects``'s answer for the instances linked together."""

    def __init__(self, adapter: DeclaredAdapter, tier: str) -> None:
        super().__init__(adapter, tier)
        self.history = History()
        self._effects: dict[tuple[int, ...], GroupEffects] = {}

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
            path = step.live.module.path if step.live is not None else self._write(declared_wrap.replay_module(step.calls))
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
                declared_wrap.Call(name, field, ftype[0], ftype[1], tuple(args))))
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
        return _read_wrapped(done, ftype[1], self.commands)

    def get(self, instance: Live, field: str) -> tuple[str, Any]:
        gtype = instance.module.info.export_global_type(field)
        if gtype is None and instance.module.binary is None:
            raise Unsupported("a text module the harness cannot read: the types of its exports are unknown")
        if gtype is None:
            raise DriverFailure(f"no exported global {field!r}")
        access = self.effects(self.history.group([instance])).of_global(instance, field)
        done = self._call(instance, access, lambda name: declared_wrap.global_wrapper(name, field, *gtype))
        if done.exit.returncode:
            raise self._failure(done, DriverFailure)
        return _read_wrapped(done, (gtype[0],), self.commands)[0]


class UnreadableOutput(DriverFailure):
    """The engine exited normally but its stdout is not the results the format says: the check fails."""


def _read(done: process.Captured, types: tuple[str, ...], c: SpecCommands) -> list[tuple[str, Any]]:
    try:
        return parse_results(done.stdout.decode(errors="replace"), types, c)
    except ValueError as e:
        raise UnreadableOutput(f"unreadable results: {e}") from None


def _read_wrapped(done: process.Captured, types: tuple[str, ...], c: SpecCommands) -> list[tuple[str, Any]]:
    """Results of ``types`` from the integers a wrapper's ``run`` printed."""
    ints = [value for _, value in _read(done, declared_wrap.slots(types), c)]
    try:
        return declared_wrap.decode(types, ints)
    except ValueError as e:
        raise UnreadableOutput(f"unreadable results: {e}") from None


def __getattr__(name: str) -> type[DeclaredCliDriver]:
    """``declared_cli:NAME``: the driver class of the declared engine NAME (what ``load_driver`` calls)."""
    adapter = adapters().get(name) if not name.startswith("__") else None
    if not isinstance(adapter, DeclaredAdapter):
        raise AttributeError(f"{name!r} is not a declared engine")

    base = WrappingDriver if adapter.declaration.spec is not None and adapter.declaration.spec.wrap else DeclaredCliDriver

    class Bound(base):  # type: ignore[valid-type,misc]
        def __init__(self, tier: str) -> None:
            super().__init__(adapter, tier)

    Bound.__name__ = f"DeclaredCliDriver[{name}]"
    return Bound


# -- the spectest module -------------------------------------------------------------------------------

def spectest_wat() -> str:
    """``harness.spec.spectest`` as a module a CLI can preload."""
    items = []
    for name, decl in spectest.declarations().items():
        if isinstance(decl, spectest.Func):
            items.append(f'(func (export "{name}") (param {" ".join(decl.params)}))')
        elif isinstance(decl, spectest.Global):
            op = {"i32": "i32.const", "i64": "i64.const", "f32": "f32.const", "f64": "f64.const"}[decl.type]
            value = decl.value if decl.type.startswith("i") else float(decl.value).hex()
            if decl.type == "f32":
                value = struct.unpack("<f", struct.pack("<f", decl.value))[0].hex()
            items.append(f'(global (export "{name}") {decl.type} ({op} {value}))')
        elif isinstance(decl, spectest.Table):
            items.append(f'(table (export "{name}") {decl.min} {decl.max} {decl.element})')
        else:
            items.append(f'(memory (export "{name}") {decl.min} {decl.max})')
    return "(module\n  " + "\n  ".join(items) + ")"


# -- arguments and results -----------------------------------------------------------------------------

def _float(t: str, raw: int) -> float:
    return struct.unpack("<f" if t == "f32" else "<d", raw.to_bytes(BITS[t] // 8, "little"))[0]


def format_arg(t: str, raw: Any, c: SpecCommands) -> str:
    """One argument as the declared ``int_args``/``float_args`` format writes it."""
    if t in ("i32", "i64"):
        bits = BITS[t]
        if c.int_args == "hex":
            return hex(raw)
        if c.int_args == "unsigned":
            return str(raw)
        return str(raw - (1 << bits) if raw >> (bits - 1) else raw)
    if t in ("f32", "f64"):
        if c.float_args == "bits":
            return str(raw)
        value = _float(t, raw)
        if value != value:
            if raw != canonical_nan(t):
                raise Unsupported(f"a NaN argument ({raw:#x}) other than the positive canonical NaN cannot be "
                                  "written in decimal")
            return "nan"
        # repr: the shortest decimal that reads back as this double, hence as this f32 for an f32
        return repr(value)
    raise Unsupported(f"a {t} argument cannot be given on a command line")


def _nearest_f32(exact: Fraction) -> int:
    """The bits of the f32 nearest to ``exact`` (ties to even), read without rounding twice."""
    guess = struct.unpack("<I", struct.pack("<f", float(exact)))[0]
    best = None
    for bits in (guess - 1, guess, guess + 1):
        if not 0 <= bits & 0x7FFFFFFF < 0x7F800000:
            continue
        value = Fraction(struct.unpack("<f", struct.pack("<I", bits))[0])
        key = (abs(value - exact), bits & 1)
        if best is None or key < best[0]:
            best = (key, bits)
    return best[1] if best else guess


def parse_float(t: str, text: str) -> int:
    """Float text -> bits; a bare NaN is Unsupported (its bits were not printed)."""
    low = text.lower()
    sign = 1 if low.startswith("-") else 0
    body = low.lstrip("+-")
    bits = BITS[t]
    if body.startswith("nan:0x"):
        exp = 0x7F800000 if t == "f32" else 0x7FF0000000000000
        return (sign << (bits - 1)) | exp | int(body[4:], 16)
    if body == "nan":
        raise Unsupported("the engine printed NaN without its bits: the NaN class cannot be checked")
    if body in ("inf", "infinity"):
        value = float("-inf" if sign else "inf")
        return struct.unpack("<I" if t == "f32" else "<Q", struct.pack("<f" if t == "f32" else "<d", value))[0]
    exact = Fraction(float.fromhex(body)) if body.startswith("0x") else Fraction(body)
    if t == "f64":
        magnitude = struct.unpack("<Q", struct.pack("<d", float(exact)))[0]
    else:
        magnitude = _nearest_f32(exact) if exact < Fraction(2) ** 128 else 0x7F800000
    return (sign << (bits - 1)) | magnitude


def parse_value(t: str, text: str, c: SpecCommands) -> Any:
    text = text.strip()
    head, sep, tail = text.rpartition(":")
    if sep and tail.strip() == t:
        text = head.strip()
    if t in ("i32", "i64", "v128") or (t in ("f32", "f64") and c.float_results == "bits"):
        hexadecimal = text.lower().lstrip("+-").startswith("0x")
        return int(text, 16 if hexadecimal else 10) & ((1 << BITS[t]) - 1)
    if t in ("f32", "f64"):
        return parse_float(t, text)
    if "null" in text.lower():
        return None
    if t != "funcref":
        raise Unsupported(f"the engine printed a non-null {t} without its identity")
    return object()


def parse_results(stdout: str, types: tuple[str, ...], c: SpecCommands) -> list[tuple[str, Any]]:
    """The results ``types`` from the engine's stdout (see the module docstring for the format)."""
    if c.result is not None:
        found = [m.group("value") if "value" in c.result.groupindex else m.group(0)
                 for m in c.result.finditer(stdout)]
    else:
        found = [ln for ln in stdout.splitlines() if ln.strip()]
    if len(found) != len(types):
        raise ValueError(f"expected {len(types)} result(s) of type {' '.join(types) or '()'}, the engine "
                         f"printed {clip(stdout.strip()) or 'nothing'!r}")
    return [(t, parse_value(t, text, c)) for t, text in zip(types, found, strict=True)]
