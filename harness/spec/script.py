"""The command model of a converted spec script (the JSON of ``json-from-wast``).

Commands stay close to the JSON (dicts for values) because values are matched as the JSON spells them;
this module adds typing, the module file paths and which commands are *checks* (scored outcomes):
modules, actions and assertions are checks, ``register`` is not.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

CHECK_TYPES = frozenset({
    "module", "action", "assert_return", "assert_trap", "assert_exhaustion", "assert_invalid",
    "assert_malformed", "assert_unlinkable", "assert_uninstantiable", "assert_exception",
})
MODULE_ASSERTIONS = frozenset({"assert_invalid", "assert_malformed", "assert_unlinkable", "assert_uninstantiable"})


@dataclass
class Action:
    kind: str  # "invoke" | "get"
    field: str
    module: str | None = None
    args: list[dict[str, Any]] = field(default_factory=list)

    def describe(self) -> str:
        target = f"{self.module}." if self.module else ""
        if self.kind == "get":
            return f"get {target}{self.field}"
        from .values import format_expected

        return f"invoke {target}{self.field}(" + ", ".join(format_expected(a) for a in self.args) + ")"


@dataclass
class Command:
    type: str
    line: int
    name: str | None = None  # module name ($M), the module register names, or a module_instance's name
    definition: str | None = None  # module_instance: the module_definition it instantiates
    register_as: str | None = None
    module_type: str | None = None  # "binary" | "text"
    filename: Path | None = None
    binary_filename: Path | None = None
    action: Action | None = None
    expected: list[dict[str, Any]] = field(default_factory=list)
    text: str | None = None  # the expected failure text of assert_trap/invalid/...

    @property
    def is_check(self) -> bool:
        return self.type in CHECK_TYPES


@dataclass
class Script:
    path: Path  # the JSON file
    source: str  # the .wast file name as the JSON names it
    commands: list[Command]

    def checks(self) -> list[Command]:
        return [c for c in self.commands if c.is_check]


def _action(raw: dict[str, Any] | None) -> Action | None:
    if not raw:
        return None
    return Action(kind=raw["type"], field=raw["field"], module=raw.get("module"), args=raw.get("args", []))


def parse_command(raw: dict[str, Any], base: Path) -> Command:
    def path(key: str) -> Path | None:
        return base / raw[key] if raw.get(key) else None

    return Command(
        type=raw["type"], line=int(raw.get("line", 0)), name=raw.get("name", raw.get("instance")),
        definition=raw.get("module"), register_as=raw.get("as"),
        module_type=raw.get("module_type"), filename=path("filename"), binary_filename=path("binary_filename"),
        action=_action(raw.get("action")), expected=raw.get("expected", []), text=raw.get("text"),
    )


def load_script(json_path: str | Path) -> Script:
    json_path = Path(json_path)
    data = json.loads(json_path.read_text())
    base = json_path.parent
    return Script(path=json_path, source=data.get("source_filename", json_path.stem + ".wast"),
                  commands=[parse_command(c, base) for c in data["commands"]])
