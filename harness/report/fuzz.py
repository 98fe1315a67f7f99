"""The fuzzing page of the conformance report (``conformance/fuzz.html``), from stored rows alone.

``harness fuzz`` stores each finding as a row (``suite = "fuzz"``, ``metric = "finding"``, ``file`` = its
signature) and each run's totals (``metric = "modules"``, ``"modules_per_second"``); this page groups the
findings of every run by signature (which engines disagree with which, how, on which instructions), with
how often and when each was seen, the smallest reproduction and the command that replays it, and lists
the runs.  A signature first stored by the newest run is marked new.  The reference engines' bugs that
fuzzing found are listed from their expectations (``suites/fuzz/expectations/``, ``harness.fuzz.expectations``),
each with how many stored findings (of ``harness fuzz`` and ``harness fuzz validate``) its pattern matches.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..fuzz import expectations
from ..results.store import ResultsStore
from .html import render

SUITE = "fuzz"


@dataclass
class Signature:
    signature: str
    kind: str
    minority: list[str]
    majority: list[str]
    iclass: str
    count: int = 0
    runs: set[str] = field(default_factory=set)
    first: float = 0.0
    last: float = 0.0
    smallest: int | None = None
    example: dict[str, Any] = field(default_factory=dict)
    new: bool = False
    expected: str | None = None  # the reference engine's expectation that explains it


def fuzz_summary(store: ResultsStore) -> dict[str, Any]:
    """Signatures (most seen first), runs (newest first) and faults of every stored fuzz run."""
    runs = {r["run_id"]: r for r in store.runs(kind="fuzz")}
    df = store.dataframe(suite=SUITE)
    sigs: dict[str, Signature] = {}
    per_run: dict[str, dict[str, Any]] = {rid: {"run": r, "modules": None, "rate": None, "findings": 0, "faults": 0}
                                          for rid, r in runs.items()}
    faults = []
    newest = max(runs, key=lambda k: runs[k]["started"]) if runs else None
    for row in df.to_dict("records") if not df.empty else []:
        rid = row["run_id"]
        info = per_run.setdefault(rid, {"run": runs.get(rid, {}), "modules": None, "rate": None, "findings": 0,
                                        "faults": 0})
        started = (runs.get(rid) or {}).get("started") or 0.0
        if row["metric"] == "finding":
            x = row["extra"] or {}
            s = sigs.get(row["file"])
            if s is None:
                s = sigs[row["file"]] = Signature(row["file"], x.get("kind", "?"), x.get("minority", []),
                                                  x.get("majority", []), x.get("instruction_class", "?"),
                                                  first=started, last=started)
            s.count += 1
            s.expected = x.get("expected") or s.expected
            s.runs.add(rid)
            s.first, s.last = min(s.first, started), max(s.last, started)
            size = x.get("minimised_size")
            if size is not None and (s.smallest is None or size < s.smallest):
                s.smallest, s.example = size, x
            elif not s.example:
                s.example = x
            info["findings"] += 1
        elif row["metric"] == "modules":
            info["modules"] = row["value"]
        elif row["metric"] == "modules_per_second":
            info["rate"] = row["value"]
        elif row["metric"] == "fault":
            info["faults"] += 1
            faults.append({"run": rid, "what": row["file"], "message": row["message"]})
    for s in sigs.values():
        s.new = s.runs == {newest}
    ordered = sorted(sigs.values(), key=lambda s: (-s.count, s.signature))
    run_list = sorted(per_run.values(), key=lambda i: -(i["run"].get("started") or 0))
    return {"signatures": ordered, "runs": run_list, "faults": faults, "known_bugs": known_bugs(store)}


def known_bugs(store: ResultsStore) -> list[dict[str, Any]]:
    """Every expectation entry of the reference engines, with the stored findings its pattern matches."""
    found: dict[str, list[str]] = {}  # suite -> signatures of every stored finding
    for suite in (expectations.FUZZ, expectations.VALIDATION):
        df = store.dataframe(suite=suite)
        found[suite] = [] if df.empty else list(df.loc[df["metric"] == "finding", "file"])
    out = []
    for e in expectations.listed():
        rx = expectations.pattern(e["pattern"])
        out.append({**e, "findings": sum(1 for sig in found[e["suite"]] if rx.fullmatch(sig))})
    return out


def render_fuzz_page(store_path: str | Path, out: Path) -> Path:
    """Write ``<out>/fuzz.html`` (``out`` is the conformance report's folder)."""
    with ResultsStore(store_path) as store:
        summary = fuzz_summary(store)
    return render("fuzz.html", out / "fuzz.html", store=str(store_path), **summary)
