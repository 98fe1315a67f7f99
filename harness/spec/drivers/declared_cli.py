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
command line; without one, modules that import it are unsupported too.  With ``wrap = true`` the driver is
``declared_wrap_driver.WrappingDriver``: wrappers instead of arguments on the command line, and replay
instead of giving up on state.

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
from .effects import writing_exports

SHARED_KINDS = ("memory", "table")  # spectest exports whose state a module can change


class _Module:
    def __init__(self, path: Path, binary: bytes | None) -> None:
        self.path = path
        self.binary = binary  # None: a text module our text parser does not read (its exports are unknown)
        self.unreadable = ""  # why the harness's section reader could not read the binary
        self.info = ModuleInfo()
        if binary is not None:
            try:
                self.info = read_module_info(binary)
            except (IndexError, ValueError) as e:  # Truncated, a bad name or LEB: an assert_malformed module
                # the engine is still asked (it must refuse the module); only what needs the sections fails
                self.unreadable = f"{type(e).__name__}: {e}" if str(e) else type(e).__name__
        self.ran: DriverFailure | None = None  # the failure ``instantiate`` gave while validating by running
        self.validated_by_running = False

    @cached_property
    def writers(self) -> frozenset[str] | None:
        return writing_exports(self.binary) if self.binary is not None else None

    def func_type(self, field: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
        if self.binary is None:
            raise Unsupported("a text module the harness cannot read: the types of its exports are unknown")
        if self.unreadable:
            raise Unsupported(f"the harness cannot read the module's sections ({self.unreadable}), which the "
                              "engine accepted: the types of its exports are unknown")
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
        commands = adapter.declaration.spec_for(tier)
        if commands is None:
            raise RuntimeError(f"{adapter.runtime} declares no [spec] commands")
        self.adapter = adapter
        self.commands: SpecCommands = commands
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
        done = self._execute(argv, {**os.environ, **self.commands.env}, self.commands.timeout)
        if done.exit.timed_out:
            raise TimeoutError(f"{argv[0]} took more than {self.commands.timeout:g} s: {clip(' '.join(argv))}")
        return done

    def _execute(self, argv: list[str], env: dict[str, str], timeout: float) -> process.Captured:
        """Run one command line here; the container engines' driver runs it in their image instead
        (``harness.images.spec_driver``: one container for the whole file)."""
        return process.run_captured(argv, timeout=timeout, env=env)

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


class UnreadableOutput(DriverFailure):
    """The engine exited normally but its stdout is not the results the format says: the check fails."""


def _read(done: process.Captured, types: tuple[str, ...], c: SpecCommands) -> list[tuple[str, Any]]:
    try:
        return parse_results(done.stdout.decode(errors="replace"), types, c)
    except ValueError as e:
        raise UnreadableOutput(f"unreadable results: {e}") from None


def __getattr__(name: str) -> type[DeclaredCliDriver]:
    """``declared_cli:NAME``: the driver class of the declared engine NAME (what ``load_driver`` calls)."""
    adapter = adapters().get(name) if not name.startswith("__") else None
    if not isinstance(adapter, DeclaredAdapter):
        raise AttributeError(f"{name!r} is not a declared engine")

    base = DeclaredCliDriver
    if adapter.declaration.spec is not None and adapter.declaration.spec.wrap:
        from .declared_wrap_driver import WrappingDriver

        base = WrappingDriver

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
