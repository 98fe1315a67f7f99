"""Runs the commands of one script against an in-process driver and yields an outcome per check.

Scoring rules (shared by every engine):
- module / action: pass when it compiles+instantiates / runs without trapping.
- assert_return: results must match bit-exactly (NaN classes, v128 lanes, references).
- assert_trap / assert_uninstantiable: must trap, and only counts if the module instantiated; when the
  engine names the trap, its class must agree with the spec's; ``strict`` is literal text agreement.
- assert_exhaustion: must exhaust the stack (a trap of another kind fails).
- assert_invalid / assert_malformed: rejection passes; ``strict`` says whether the error text agrees.
- assert_unlinkable: instantiation must fail while linking (a trap does not count).
- every action: the export it names must be in the module's binary, and of its kind (a function for
  ``invoke``, a global for ``get``), else it fails before the driver is asked: an engine that answers
  for an export the module lacks must not pass.
- a check that does not pass in an engine that declares a 3.0 feature it needs unsupported
  (``Driver.features_off``; ``harness.spec.proposals`` says which feature: the file, the module's binary,
  the engine's words) is ``unsupported`` with ``feature X off in this engine``, and so is every action on
  a module that failed that way.
A Python exception from the driver is the engine crashing on that check (outcome ``crash``); the run goes on.
``module definition`` / ``module instance`` (3.0 scripts) compile once and instantiate by name; they are not
checks themselves.
"""

from __future__ import annotations

import traceback
from collections.abc import Callable, Iterator
from typing import Any

from ..outcomes import PASSED, Outcome
from . import proposals
from . import values as V
from .drivers.base import (
    CompileFailure,
    Driver,
    DriverFailure,
    ExhaustionFailure,
    FeatureOff,
    LinkFailure,
    ThrownException,
    TrapFailure,
    Unsupported,
)
from .outcomes import CheckOutcome
from .script import Command, Script
from .traps import kinds_conflict, text_agrees, trap_class
from .wasm_sections import read_exports

TEXT_ONLY = "text module on an engine that only takes binaries"


class _Failed:
    """Stands for a module that did not instantiate, so later actions on it fail with the reason."""

    def __init__(self, line: int, why: str, unsupported: Unsupported | None = None):
        self.line = line
        self.why = why
        self.unsupported = unsupported  # the module could not be tried: its actions cannot be either


class _Instance:
    """A driver's instance and the exports (name -> kind) its module's binary declares; ``exports`` is None
    when there is no binary to read (a text module given to a driver that reads text)."""

    def __init__(self, handle: Any, exports: dict[str, str] | None, binary: bytes | None = None):
        self.handle = handle
        self.exports = exports
        self.binary = binary  # read for the features an action on it needs


ACTION_KINDS = {"invoke": "func", "get": "global"}


def _short(e: BaseException) -> str:
    text = str(e).strip().replace("\n", " | ")
    return text[:300] if text else type(e).__name__


def _format_results(results: list[tuple[str, Any]]) -> str:
    """An action's ``(type, raw value)`` results as the report shows them."""
    return " ".join(V.format_raw(t, r) for t, r in results) or "(no results)"


def _returned_instead(cmd: Command, expected: str, results: list[tuple[str, Any]],
                      strict: bool | None = None) -> CheckOutcome:
    """The failure of an assertion that expected a trap, exhaustion or exception when the action returned."""
    return CheckOutcome(cmd.line, cmd.type, Outcome.FAIL, expected=expected, actual=f"returned {_format_results(results)}",
                   strict=strict)


def off_message(features: set[str] | frozenset[str]) -> str:
    """The message of a check that needs features the engine lacks."""
    return f"feature {', '.join(sorted(features))} off in this engine"


def _crash_text(e: BaseException) -> str:
    tb = traceback.extract_tb(e.__traceback__)
    where = f" at {tb[-1].filename.rsplit('/', 1)[-1]}:{tb[-1].lineno}" if tb else ""
    return f"{type(e).__name__}: {_short(e)}{where}"


class Executor:
    def __init__(self, driver: Driver, file_features: tuple[str, ...] = ()):
        self.driver = driver
        self.current: Any = None
        self.named: dict[str, Any] = {}
        self.registry: dict[str, Any] = {}
        self.definitions: dict[str | None, tuple[Any, Command]] = {}
        self.missing: dict[str, str] = {}  # registered name -> why its module is missing (a feature off)
        self.file_features = frozenset(file_features)  # the proposals the script's file belongs to

    # -- features the engine lacks ---------------------------------------------------------------------
    def _blamed(self, cmd: Command, outcome: CheckOutcome) -> frozenset[str]:
        """The features this engine lacks that ``cmd`` needs, by the file, the module's binary, or the
        engine's words, most trusted first; empty when nothing it lacks is involved."""
        off = self.driver.features_off
        if not off or outcome.outcome in PASSED or outcome.outcome in (Outcome.SKIP, Outcome.UNSUPPORTED):
            return frozenset()
        if self.file_features & off:
            return self.file_features & off
        module = self._module_binary(cmd)
        if module is not None and (found := proposals.module_features(module) & off):
            return frozenset(found)
        words = f"{outcome.actual} {outcome.message}"
        imported = {f for name, why in self.missing.items() if f"{name}::" in words
                    for f in off if f in why}  # an import from a module that could not be made
        return frozenset(imported or proposals.named_in(words) & off)

    def _module_binary(self, cmd: Command) -> bytes | None:
        if cmd.action is not None:
            inst = self.named.get(cmd.action.module) if cmd.action.module else self.current
            return getattr(inst, "binary", None)
        return self._binary(cmd)

    @staticmethod
    def _binary(cmd: Command) -> bytes | None:
        path = cmd.filename if cmd.module_type != "text" else cmd.binary_filename
        return path.read_bytes() if path is not None and path.is_file() else None

    def _judged(self, cmd: Command, outcome: CheckOutcome) -> CheckOutcome:
        blamed = self._blamed(cmd, outcome)
        if not blamed:
            return outcome
        return CheckOutcome(cmd.line, cmd.type, Outcome.UNSUPPORTED, message=off_message(blamed),
                            expected=outcome.expected, actual=outcome.actual)

    # -- module loading -------------------------------------------------------------------------------
    def _module_source(self, cmd: Command) -> tuple[bytes | None, str | None] | None:
        """(binary, text) to compile, or None when this engine cannot take the module at all.  Text that
        is not UTF-8 keeps its bytes as surrogates: rejecting it is the engine's job."""
        if cmd.module_type == "text" and cmd.filename is not None:
            if self.driver.reads_text:
                return None, cmd.filename.read_bytes().decode("utf-8", "surrogateescape")
            if cmd.binary_filename is not None and cmd.binary_filename.is_file():
                return cmd.binary_filename.read_bytes(), None
            return None
        assert cmd.filename is not None
        return cmd.filename.read_bytes(), None

    def _compile(self, cmd: Command) -> Any:
        src = self._module_source(cmd)
        if src is None:
            raise Unsupported(TEXT_ONLY)
        return self.driver.compile(*src)

    @staticmethod
    def _exports(cmd: Command) -> dict[str, str] | None:
        """The exports of the module ``cmd`` defines, read from its binary (wasm-tools writes one for every
        module that is meant to instantiate), never from the engine."""
        binary = cmd.filename if cmd.module_type != "text" else cmd.binary_filename
        if binary is None or not binary.is_file():
            return None
        return read_exports(binary.read_bytes())

    # -- command kinds --------------------------------------------------------------------------------
    def run(self, script: Script, only_line: int | None = None) -> Iterator[CheckOutcome]:
        for cmd in script.commands:
            if only_line is not None and cmd.line > only_line:
                break
            outcome = self.step(cmd)
            if outcome is not None and (only_line is None or cmd.line == only_line):
                yield outcome

    def step(self, cmd: Command) -> CheckOutcome | None:
        handler: Callable[[Command], CheckOutcome | None] | None = getattr(self, "_do_" + cmd.type, None)
        if handler is None:
            if cmd.is_check:
                return CheckOutcome(cmd.line, cmd.type, Outcome.SKIP, message=f"command {cmd.type} not supported by the runner")
            return None
        try:
            outcome = handler(cmd)
            return self._judged(cmd, outcome) if outcome is not None else None
        except Unsupported as e:
            return CheckOutcome(cmd.line, cmd.type, e.outcome, message=e.message)
        except DriverFailure as e:  # a failure class this command did not expect
            return CheckOutcome(cmd.line, cmd.type, Outcome.FAIL, actual=f"{type(e).__name__}: {_short(e)}")
        except Exception as e:  # noqa: BLE001 - the engine (or its binding) crashed on this check
            return CheckOutcome(cmd.line, cmd.type, Outcome.CRASH, message=_crash_text(e))

    def _do_module(self, cmd: Command) -> CheckOutcome:
        try:
            module = self._compile(cmd)
        except Exception as e:
            return self._not_instantiated(cmd, e)
        return self._instantiate_as(cmd, cmd, module)

    def _instantiate_as(self, cmd: Command, source: Command, module: Any) -> CheckOutcome:
        """Instantiate ``module`` (defined by ``source``) as the instance ``cmd`` names."""
        try:
            inst = self.driver.instantiate(module, self.registry)
        except Exception as e:
            return self._not_instantiated(cmd, e, source)
        self._set_current(cmd, _Instance(inst, self._exports(source), self._binary(source)))
        return CheckOutcome(cmd.line, "module", Outcome.PASS)

    def _not_instantiated(self, cmd: Command, e: Exception, source: Command | None = None) -> CheckOutcome:
        """Keep why the module of ``cmd`` (defined by ``source``) is not there, for the actions on it and
        the modules importing from it, and score that."""
        failed = self._failure(cmd, e, source or cmd)
        self._set_current(cmd, failed)
        if isinstance(e, Unsupported) or not isinstance(e, DriverFailure):
            raise e
        if failed.unsupported is not None:
            return CheckOutcome(cmd.line, "module", Outcome.UNSUPPORTED, message=failed.why,
                                expected="module instantiates", actual=f"{type(e).__name__}: {_short(e)}")
        return CheckOutcome(cmd.line, "module", Outcome.FAIL, expected="module instantiates",
                            actual=f"{type(e).__name__}: {_short(e)}")

    def _failure(self, cmd: Command, e: Exception, source: Command) -> _Failed:
        """What stands for a module that failed with ``e``: unsupported when a feature the engine lacks is
        to blame."""
        if isinstance(e, Unsupported):
            return _Failed(cmd.line, e.message, e)
        if not isinstance(e, DriverFailure):
            return _Failed(cmd.line, "engine crashed")
        tried = CheckOutcome(cmd.line, "module", Outcome.FAIL, actual=f"{type(e).__name__}: {_short(e)}")
        blamed = self._blamed(source, tried)
        if blamed:
            return _Failed(cmd.line, off_message(blamed), FeatureOff(off_message(blamed)))
        return _Failed(cmd.line, _short(e))

    def _do_module_definition(self, cmd: Command) -> None:
        """Compile a module to instantiate later by name; a failure shows in the checks that use it."""
        try:
            self.definitions[cmd.name] = (self._compile(cmd), cmd)
        except Exception as e:  # noqa: BLE001 - kept for its instances' actions, which report it
            self.definitions[cmd.name] = (self._failure(cmd, e, cmd), cmd)

    def _do_module_instance(self, cmd: Command) -> None:
        module, source = self.definitions.get(cmd.definition, (None, cmd))
        if module is None or isinstance(module, _Failed):
            self._set_current(cmd, module or _Failed(cmd.line, f"no module definition {cmd.definition}"))
            return
        try:
            self._instantiate_as(cmd, source, module)
        except Exception:  # noqa: BLE001 - recorded as the instance's failure for the actions on it
            pass

    def _set_current(self, cmd: Command, inst: Any) -> None:
        self.current = inst
        if cmd.name:
            self.named[cmd.name] = inst

    def _do_register(self, cmd: Command) -> None:
        inst = self.named.get(cmd.name) if cmd.name else self.current
        if isinstance(inst, _Instance) and cmd.register_as:
            self.registry[cmd.register_as] = inst.handle
        elif isinstance(inst, _Failed) and isinstance(inst.unsupported, FeatureOff) and cmd.register_as:
            self.missing[cmd.register_as] = inst.why  # what importing from it will fail for
        return None

    def _instance(self, module: str | None) -> _Instance:
        inst = self.named.get(module) if module else self.current
        if inst is None:
            raise _NotPerformed(f"no module {module or ''} instantiated before this command".replace("  ", " "))
        if isinstance(inst, _Failed) and inst.unsupported is not None:
            raise type(inst.unsupported)(f"the module of line {inst.line} was not run ({inst.why})")
        if isinstance(inst, _Failed):
            raise _NotPerformed(f"the module of line {inst.line} did not instantiate ({inst.why})")
        return inst

    def _perform(self, cmd: Command) -> list[tuple[str, Any]]:
        action = cmd.action
        assert action is not None
        inst = self._instance(action.module)
        if inst.exports is not None:
            kind, wanted = inst.exports.get(action.field), ACTION_KINDS.get(action.kind)
            if kind is None:
                raise _NotPerformed(f"the module has no export {action.field!r}")
            if kind != wanted:
                raise _NotPerformed(f"export {action.field!r} is a {kind}, not a {wanted}")
        if action.kind == "get":
            return [self.driver.get(inst.handle, action.field)]
        args = [(a["type"], V.arg_to_raw(a)) for a in action.args]
        return self.driver.invoke(inst.handle, action.field, args)

    def _do_action(self, cmd: Command) -> CheckOutcome:
        try:
            self._perform(cmd)
        except _NotPerformed as e:
            return CheckOutcome(cmd.line, "action", Outcome.FAIL, actual=str(e))
        except (TrapFailure, ThrownException) as e:
            return CheckOutcome(cmd.line, "action", Outcome.FAIL, expected="no trap", actual=f"trap: {_short(e)}")
        return CheckOutcome(cmd.line, "action", Outcome.PASS)

    def _do_assert_return(self, cmd: Command) -> CheckOutcome:
        expected = " ".join(V.format_expected(e) for e in cmd.expected) or "(no results)"
        try:
            results = self._perform(cmd)
        except _NotPerformed as e:
            return CheckOutcome(cmd.line, cmd.type, Outcome.FAIL, expected=expected, actual=str(e))
        except (TrapFailure, ThrownException) as e:
            return CheckOutcome(cmd.line, cmd.type, Outcome.FAIL, expected=expected,
                           actual=f"{type(e).__name__}: {_short(e)}")
        actual = _format_results(results)
        ok = len(results) == len(cmd.expected) and all(
            V.match(e, r) for e, (_, r) in zip(cmd.expected, results, strict=False))
        return CheckOutcome(cmd.line, cmd.type, Outcome.PASS if ok else Outcome.FAIL, expected=expected, actual="" if ok else actual)

    def _judge_trap(self, cmd: Command, e: TrapFailure) -> CheckOutcome:
        strict = text_agrees(cmd.text, e.message) or text_agrees(cmd.text, e.kind)
        if kinds_conflict(cmd.text, e.kind, e.message):
            return CheckOutcome(cmd.line, cmd.type, Outcome.FAIL, expected=f"trap: {cmd.text}", actual=f"trap: {_short(e)}",
                           strict=False)
        return CheckOutcome(cmd.line, cmd.type, Outcome.PASS, strict=strict,
                       actual="" if strict else f"trap: {_short(e)}")

    def _do_assert_trap(self, cmd: Command) -> CheckOutcome:
        if cmd.action is None:  # old-style (assert_trap (module ...)) == uninstantiable
            return self._do_assert_uninstantiable(cmd)
        try:
            results = self._perform(cmd)
        except _NotPerformed as e:
            return CheckOutcome(cmd.line, cmd.type, Outcome.FAIL, expected=f"trap: {cmd.text}", actual=str(e))
        except ExhaustionFailure as e:
            if trap_class(cmd.text) == "exhaustion":
                return self._judge_trap(cmd, e)
            return CheckOutcome(cmd.line, cmd.type, Outcome.FAIL, expected=f"trap: {cmd.text}",
                           actual=f"stack exhausted: {_short(e)}", strict=False)
        except TrapFailure as e:
            return self._judge_trap(cmd, e)
        return _returned_instead(cmd, f"trap: {cmd.text}", results, strict=False)

    def _do_assert_exhaustion(self, cmd: Command) -> CheckOutcome:
        try:
            results = self._perform(cmd)
        except _NotPerformed as e:
            return CheckOutcome(cmd.line, cmd.type, Outcome.FAIL, expected=f"exhaustion: {cmd.text}", actual=str(e))
        except TrapFailure as e:
            if isinstance(e, ExhaustionFailure) or trap_class(e.kind or e.message) == "exhaustion":
                return CheckOutcome(cmd.line, cmd.type, Outcome.PASS, strict=text_agrees(cmd.text, e.message))
            return CheckOutcome(cmd.line, cmd.type, Outcome.FAIL, expected=f"exhaustion: {cmd.text}",
                           actual=f"trap: {_short(e)}", strict=False)
        return _returned_instead(cmd, f"exhaustion: {cmd.text}", results, strict=False)

    def _do_assert_exception(self, cmd: Command) -> CheckOutcome:
        try:
            results = self._perform(cmd)
        except _NotPerformed as e:
            return CheckOutcome(cmd.line, cmd.type, Outcome.FAIL, expected="exception", actual=str(e))
        except ThrownException:
            return CheckOutcome(cmd.line, cmd.type, Outcome.PASS)
        except TrapFailure as e:
            return CheckOutcome(cmd.line, cmd.type, Outcome.FAIL, expected="exception", actual=f"trap: {_short(e)}")
        return _returned_instead(cmd, "exception", results)

    def _rejects(self, cmd: Command, what: str) -> CheckOutcome:
        try:
            self._compile(cmd)
        except CompileFailure as e:
            strict = text_agrees(cmd.text, e.message)
            return CheckOutcome(cmd.line, cmd.type, Outcome.PASS, strict=strict,
                           actual="" if strict else f"rejected: {_short(e)}")
        return CheckOutcome(cmd.line, cmd.type, Outcome.FAIL, expected=f"{what}: {cmd.text}", actual="module accepted",
                       strict=False)

    def _do_assert_invalid(self, cmd: Command) -> CheckOutcome:
        return self._rejects(cmd, "invalid")

    def _do_assert_malformed(self, cmd: Command) -> CheckOutcome:
        return self._rejects(cmd, "malformed")

    def _compile_ok(self, cmd: Command) -> tuple[Any, CheckOutcome | None]:
        try:
            return self._compile(cmd), None
        except CompileFailure as e:
            return None, CheckOutcome(cmd.line, cmd.type, Outcome.FAIL, expected=cmd.text or "", strict=False,
                                 actual=f"module did not compile: {_short(e)}")

    def _do_assert_unlinkable(self, cmd: Command) -> CheckOutcome:
        module, bad = self._compile_ok(cmd)
        if bad:
            return bad
        try:
            self.driver.instantiate(module, self.registry)
        except LinkFailure as e:
            strict = text_agrees(cmd.text, e.message)
            return CheckOutcome(cmd.line, cmd.type, Outcome.PASS, strict=strict, actual="" if strict else f"link error: {_short(e)}")
        except TrapFailure as e:
            return CheckOutcome(cmd.line, cmd.type, Outcome.FAIL, expected=f"unlinkable: {cmd.text}", actual=f"trap: {_short(e)}",
                           strict=False)
        return CheckOutcome(cmd.line, cmd.type, Outcome.FAIL, expected=f"unlinkable: {cmd.text}", actual="module instantiated",
                       strict=False)

    def _do_assert_uninstantiable(self, cmd: Command) -> CheckOutcome:
        module, bad = self._compile_ok(cmd)
        if bad:
            return bad
        try:
            self.driver.instantiate(module, self.registry)
        except LinkFailure as e:
            return CheckOutcome(cmd.line, cmd.type, Outcome.FAIL, expected=f"trap: {cmd.text}", actual=f"link error: {_short(e)}",
                           strict=False)
        except TrapFailure as e:
            return self._judge_trap(cmd, e)
        return CheckOutcome(cmd.line, cmd.type, Outcome.FAIL, expected=f"trap: {cmd.text}", actual="module instantiated",
                       strict=False)


class _NotPerformed(Exception):
    """The action has nothing to run: no instance, or no export of that name and kind."""


def run_script(driver: Driver, script: Script, only_line: int | None = None) -> Iterator[CheckOutcome]:
    """Outcomes of every check of ``script`` (or only the one at ``only_line``; earlier commands still run)."""
    return Executor(driver, proposals.file_features(script.source)).run(script, only_line)
