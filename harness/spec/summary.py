"""Presenting results: the files x engines matrix, the JSON summary and result-store rows."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from ..outcomes import PASSED, UNEXPECTED, Outcome
from ..results.store import ResultRow
from .outcomes import FileStatus
from .runner import FileResult


def file_summary(r: FileResult) -> dict[str, Any]:
    agree, applicable = r.strict()
    return {
        "total": r.total, "passed": r.passed, "failed": r.count(Outcome.FAIL),
        "skipped": r.count(Outcome.SKIP), "unsupported": r.count(Outcome.UNSUPPORTED),
        "crashed": r.count(Outcome.CRASH), "timeouts": r.count(Outcome.TIMEOUT),
        "errors": r.count(Outcome.ERROR),
        "xfail": r.count(Outcome.XFAIL), "xpass": r.count(Outcome.XPASS),
        "strict_agree": agree, "strict_applicable": applicable,
        "status": r.status, "message": r.message, "seconds": round(r.seconds, 3),
        "fully_passed": r.fully_passed, "as_expected": r.as_expected,
        "expected_failure": r.expected_failure or None, "not_run": r.not_run or None,
        "failures": [o.to_dict() for o in r.outcomes if o.outcome in UNEXPECTED][:200],
    }


def engine_totals(results: Iterable[FileResult]) -> dict[str, Any]:
    results = list(results)
    agree = sum(r.strict()[0] for r in results)
    applicable = sum(r.strict()[1] for r in results)
    strict_files = sum(1 for r in results if r.fully_passed and r.strict()[0] == r.strict()[1])
    return {
        "files": len(results),
        "files_fully_passed": sum(1 for r in results if r.fully_passed),
        "files_as_expected": sum(1 for r in results if r.as_expected),
        "files_fully_passed_strict": strict_files,
        "checks": sum(r.total for r in results),
        "passed": sum(r.passed for r in results),
        "failed": sum(r.count(Outcome.FAIL) for r in results),
        "skipped": sum(r.count(Outcome.SKIP) for r in results),
        "unsupported": sum(r.count(Outcome.UNSUPPORTED) for r in results),
        "crashed": sum(r.count(Outcome.CRASH) for r in results),
        "timeouts": sum(r.count(Outcome.TIMEOUT) for r in results),
        "errors": sum(r.count(Outcome.ERROR) for r in results),
        "xfail": sum(r.count(Outcome.XFAIL) for r in results),
        "xpass": sum(r.count(Outcome.XPASS) for r in results),
        "strict_agree": agree, "strict_applicable": applicable,
        "seconds": round(sum(r.seconds for r in results), 3),
    }


def summary_json(results: list[FileResult], engines: list[str], unavailable: dict[str, str],
                 wall_seconds: float, suite_dir: Path, suite: str = "", wasm: str = "") -> dict[str, Any]:
    """The run as JSON; ``suite`` and ``wasm`` name the suite and its WebAssembly version."""
    by_engine: dict[str, dict[str, Any]] = {}
    for e in engines:
        rs = [r for r in results if r.engine == e]
        by_engine[e] = {"totals": engine_totals(rs), "files": {r.file: file_summary(r) for r in rs}}
    return {"suite": suite, "wasm": wasm, "suite_dir": str(suite_dir), "wall_seconds": round(wall_seconds, 3),
            "engines": by_engine,
            "unavailable": unavailable}


def write_json(path: Path, data: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=1))


def cell(r: FileResult | None) -> str:
    if r is None:
        return "-"
    if r.status != FileStatus.OK and r.total == 0:
        return r.status
    if r.not_run:
        return "not run"
    mark = "" if r.fully_passed else ("x" if r.as_expected else "!")
    return f"{r.passed}/{r.total}{mark}"


def matrix(results: list[FileResult], engines: list[str]) -> str:
    """Files x engines, ``passed/total``; ``!`` marks unexpected failures, ``x`` known ones (skipped checks
    count in the total but not as passed; their number is on the ``skipped checks`` line)."""
    files = sorted({r.file for r in results})
    by = {(r.file, r.engine): r for r in results}
    width = max([len(f) for f in files] + [10])
    cols = [max(len(e), 11) for e in engines]
    lines = ["file".ljust(width) + "  " + "  ".join(e.rjust(c) for e, c in zip(engines, cols, strict=True))]
    for f in files:
        lines.append(f.ljust(width) + "  " + "  ".join(cell(by.get((f, e))).rjust(c)
                                                       for e, c in zip(engines, cols, strict=True)))
    totals = []
    for e in engines:
        t = engine_totals(r for r in results if r.engine == e)
        totals.append(f"{t['passed']}/{t['checks']}")
    lines.append("TOTAL checks".ljust(width) + "  " + "  ".join(t.rjust(c) for t, c in zip(totals, cols, strict=True)))
    skipped = [str(engine_totals(r for r in results if r.engine == e)["skipped"]) for e in engines]
    lines.append("skipped checks".ljust(width) + "  " + "  ".join(t.rjust(c) for t, c in zip(skipped, cols, strict=True)))
    off = [engine_totals(r for r in results if r.engine == e)["unsupported"] for e in engines]
    if any(off):  # checks needing a feature the engine lacks: neither passed nor failed
        lines.append("unsupported checks".ljust(width) + "  " + "  ".join(str(n).rjust(c) for n, c in zip(off, cols, strict=True)))
    files_line = []
    for e in engines:
        t = engine_totals(r for r in results if r.engine == e)
        files_line.append(f"{t['files_fully_passed']}/{t['files']}")
    lines.append("files passing".ljust(width) + "  " + "  ".join(t.rjust(c) for t, c in zip(files_line, cols, strict=True)))
    return "\n".join(lines)


def store_rows(r: FileResult) -> list[ResultRow]:
    """One ``assertion`` row per check.  (No per-file timing row: conformance reports count every row of a
    (suite, engine, file) as a check; per-file seconds are in the JSON summary.)  A check's item is
    ``line N``, and ``line N #2``, ``#3`` ... for further checks on the same line (scripts put two
    assertions on one line): the history tells checks apart by (file, item), and equal items hid one."""
    runtime, _, tier = r.engine.partition(":")
    rows = []
    on_line: Counter[int] = Counter()
    for o in r.outcomes:
        on_line[o.line] += 1
        item = f"line {o.line}" if on_line[o.line] == 1 else f"line {o.line} #{on_line[o.line]}"
        extra = {k: v for k, v in {"command": o.command, "expected": o.expected, "actual": o.actual,
                                   "strict": o.strict, "reproduce": o.reproduce}.items() if v not in ("", None)}
        rows.append(ResultRow(suite=r.suite, file=r.file, engine=runtime, tier=tier, item=item,
                              metric="assertion", value=1.0 if o.outcome in PASSED else 0.0,
                              outcome=o.outcome, message=(o.message or o.actual or None), extra=extra))
    return rows


def failure_table(r: FileResult, limit: int = 60) -> str:
    """The per-check table of a file's problems (pytest failure message, CLI detail)."""
    bad = [o for o in r.outcomes if o.outcome in UNEXPECTED]
    lines = [f"{r.engine} {r.file}: {r.passed}/{r.total} passed, {len(bad)} unexpected"
             + (f" ({r.status}: {r.message})" if r.status != FileStatus.OK else "")]
    for o in bad[:limit]:
        detail = "; ".join(x for x in (f"expected {o.expected}" if o.expected else "",
                                       f"got {o.actual}" if o.actual else "", o.message) if x)
        lines.append(f"  line {o.line:<6} {o.command:<22} {o.outcome:<8} {detail}")
        if o.reproduce:
            lines.append(f"  {'':6}   reproduce: {o.reproduce}")
    if len(bad) > limit:
        lines.append(f"  ... and {len(bad) - limit} more")
    if r.expected_failure and r.fully_passed and not r.count(Outcome.XFAIL):
        lines.append(f"  unexpectedly passed: remove {r.file} from the {r.engine} expectations "
                     f"({r.expected_failure})")
    return "\n".join(lines)
