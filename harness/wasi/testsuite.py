"""The wasi-testsuite layout and its JSON test specifications.

Layout: ``tests/<group>/testsuite/<wasi-version>/*.wasm``, each with an optional ``<name>.json`` beside it.
Two spec forms exist: the legacy keys (``args env dirs exit_code stdout stderr``) and the operation-based
form (``operations``: run / read / wait / write / connect / send / recv / request / kill, plus
``proposals`` and ``world``).  Both become one ``TestSpec``; operations a preview1 command runner cannot
perform (sockets, HTTP, signals) make the test unsupported rather than failed.
"""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass, field
from pathlib import Path

PREVIEW1 = "wasm32-wasip1"
LEGACY_KEYS = {"args", "dirs", "env", "exit_code", "stderr", "stdout"}
# Our own programs add "stdin" (bytes fed to the program) and "exact_output" (streams must match whole).
RUNNABLE_OPS = {"run", "wait", "read", "write"}


class SpecError(ValueError):
    """A test's JSON spec is malformed."""


@dataclass
class TestSpec:
    __test__ = False  # not a pytest class

    args: list[str] = field(default_factory=list)
    env: dict[str, str] = field(default_factory=dict)
    dirs: list[str] = field(default_factory=list)
    exit_code: int = 0
    reads: list[tuple[str, str]] = field(default_factory=list)  # (stdout|stderr, expected prefix)
    stdin: str = ""
    exact_output: bool = False  # our own programs: streams must equal the payload, not just start with it
    unsupported: str | None = None  # why a preview1 command runner cannot run it


@dataclass
class WasiTest:
    path: Path  # the .wasm
    group: str  # e.g. "rust/wasm32-wasip1"
    version: str  # wasm32-wasip1, wasm32-wasip3
    spec: TestSpec

    @property
    def name(self) -> str:
        return self.path.stem

    @property
    def id(self) -> str:
        return f"{self.group}/{self.name}"


def parse_spec(data: dict) -> TestSpec:
    """Build a TestSpec from a decoded JSON spec (either form)."""
    if not isinstance(data, dict):
        raise SpecError("a test spec must be a JSON object")
    if "operations" in data or "proposals" in data or "world" in data:
        if set(data) & LEGACY_KEYS:
            raise SpecError("a spec cannot mix legacy keys with operations")
        return _parse_operations(data)
    spec = TestSpec(args=list(data.get("args", [])), env=dict(data.get("env", {})),
                    dirs=list(data.get("dirs", [])), exit_code=int(data.get("exit_code", 0)),
                    stdin=str(data.get("stdin", "")), exact_output=bool(data.get("exact_output", False)))
    if data.get("stdout") is not None:
        spec.reads.append(("stdout", data["stdout"]))
    if data.get("stderr") is not None:
        spec.reads.append(("stderr", data["stderr"]))
    return spec


def _parse_operations(data: dict) -> TestSpec:
    spec = TestSpec()
    world = data.get("world", "wasi:cli/command")
    if world != "wasi:cli/command":
        spec.unsupported = f"world {world} is not a command"
    if data.get("proposals"):
        spec.unsupported = f"needs proposals {', '.join(data['proposals'])}"
    runs = 0
    for op in data.get("operations", [{"type": "run"}, {"type": "wait"}]):
        kind = op.get("type")
        if kind == "run":
            runs += 1
            spec.args = list(op.get("args", []))
            spec.env = dict(op.get("env", {}))
            spec.dirs = list(op.get("dirs", []))
        elif kind == "wait":
            spec.exit_code = int(op.get("exit_code", 0))
        elif kind == "read":
            spec.reads.append((op.get("id", "stdout"), op.get("payload", "")))
        elif kind == "write":
            if op.get("id", "stdin") not in ("stdin", "write"):
                spec.unsupported = f"writes to stream {op.get('id')!r}"
            spec.stdin += op.get("payload", "")
        elif kind in {"connect", "send", "recv", "request", "kill"}:
            spec.unsupported = spec.unsupported or f"operation {kind!r} (sockets/HTTP/signals) is not run here"
        else:
            raise SpecError(f"unknown operation type {kind!r}")
    if runs != 1:
        spec.unsupported = spec.unsupported or f"{runs} run operations (only one is supported)"
    return spec


def load_spec(wasm: Path) -> TestSpec:
    path = wasm.with_suffix(".json")
    if not path.is_file():
        return TestSpec()
    try:
        return parse_spec(json.loads(path.read_text(encoding="utf-8")))
    except (json.JSONDecodeError, TypeError, ValueError) as e:
        raise SpecError(f"{path}: {e}") from None


def find_suite_root(path: Path) -> Path:
    """Accept the wasi-testsuite checkout, its ``tests`` dir, or a single ``<version>`` dir."""
    if (path / "tests").is_dir():
        return path / "tests"
    return path


def discover(suite_dir: Path, versions: tuple[str, ...] | None = None) -> list[WasiTest]:
    """Every test under ``suite_dir``, sorted by group and name.  Specs that do not parse still yield a
    test (its ``unsupported`` says why) so the run reports them instead of stopping."""
    root = find_suite_root(suite_dir)
    if not root.is_dir():
        raise FileNotFoundError(f"{suite_dir} is not a directory")
    dirs: list[Path] = []
    if any(root.glob("*.wasm")):
        dirs.append(root)
    dirs += sorted(p for p in root.glob("*/testsuite/*") if p.is_dir())
    tests: list[WasiTest] = []
    for d in dirs:
        version = d.name if d.name.startswith("wasm32-") else PREVIEW1
        if versions and version not in versions:
            continue
        group = f"{d.parent.parent.name}/{version}" if d.parent.name == "testsuite" else d.name
        for wasm in sorted(d.glob("*.wasm")):
            try:
                spec = load_spec(wasm)
            except SpecError as e:
                spec = TestSpec(unsupported=f"bad spec: {e}")
            tests.append(WasiTest(wasm, group, version, spec))
    return tests


def clean_artifacts(directory: Path) -> int:
    """Remove ``*.cleanup`` files and directories a previous run left (the suite's convention)."""
    n = 0
    if not directory.is_dir():
        return 0
    for p in sorted(directory.glob("**/*.cleanup"), key=lambda q: len(q.parts), reverse=True):
        try:
            if p.is_symlink() or p.is_file():
                p.unlink()
            elif p.is_dir():
                shutil.rmtree(p)
            n += 1
        except FileNotFoundError:
            pass
    return n
