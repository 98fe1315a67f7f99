"""Conformance counts from stored rows: per suite, engine and file, how many checks passed, failed
unexpectedly, failed as the expectations say (known), passed unexpectedly, were skipped or unsupported;
and the checks that did not pass, grouped by reason, each with the command that reproduces it.

When several runs measured the same (suite, engine, file), the latest one wins, so partial runs (one
engine tonight, another tomorrow, two CI shards) combine into one matrix.

A row's *verdict* is what it counts as: spec rows store it as their outcome, WASI rows store the raw
outcome (``fail``) and the verdict seen through the expectations (``xfail``) in ``extra``; the verdict is
what a reader must see, or known failures look like regressions.
"""

from __future__ import annotations

import re
from dataclasses import asdict, astuple, dataclass
from pathlib import PurePosixPath

import pandas as pd

from ..outcomes import NOT_PASSING, Outcome
from ..results import ResultsStore
from ..results.labels import engine_label
from ..wasi.runner import reproduce_command

CONFORMANCE_SUITES = ("spec", "spec-3.0", "corpus", "wasi", "wasi-corpus", "wasi-own")
WASM3_SUITE = "spec-3.0"
CONFORMANCE_METRICS = ("assertion", "test")  # one row per check; timings and other metrics are not counted


@dataclass
class Counts:
    """What the checks of one cell (or one engine's whole suite) came to.  Skipped and unsupported
    checks were never judged: they stay outside the pass rate."""

    passed: int = 0  # includes unexpected passes: they passed
    known: int = 0  # failures the engine's expectations file lists
    unexpected: int = 0  # failures nobody expected: regressions or new gaps
    unexpected_pass: int = 0  # listed as failing, yet passed: a stale expectation
    skipped: int = 0
    unsupported: int = 0

    @property
    def total(self) -> int:
        return self.passed + self.known + self.unexpected + self.skipped + self.unsupported

    @property
    def ran(self) -> int:
        return self.passed + self.known + self.unexpected

    @property
    def rate(self) -> float | None:
        """Pass rate of the checks that ran; None when none did."""
        return self.passed / self.ran if self.ran else None

    def add(self, other: Counts) -> Counts:
        return Counts(*(a + b for a, b in zip(astuple(self), astuple(other), strict=True)))

    def line(self) -> str:
        """A pytest-like line: every category that is not zero, the unexpected ones always."""
        parts = [f"{self.passed:,} passed", f"{self.unexpected:,} unexpected"]
        if self.unexpected_pass:
            parts.append(f"{self.unexpected_pass:,} unexpectedly passed")
        for n, word in ((self.known, "known"), (self.skipped, "skipped"), (self.unsupported, "unsupported")):
            if n:
                parts.append(f"{n:,} {word}")
        return ", ".join(parts)

    def as_dict(self) -> dict[str, int]:
        return {**asdict(self), "ran": self.ran, "total": self.total}


# The category each verdict counts in, and how a reader calls it.
CATEGORY = {Outcome.PASS: "passed", Outcome.XPASS: "unexpected_pass", Outcome.XFAIL: "known",
            Outcome.SKIP: "skipped", Outcome.UNSUPPORTED: "unsupported",
            **{o: "unexpected" for o in NOT_PASSING}}
CATEGORY_NAMES = {"unexpected": "unexpected failure", "unexpected_pass": "unexpected pass",
                  "known": "known failure", "skipped": "skipped", "unsupported": "unsupported"}
# Which groups a detail page lists first: what needs a look before what is expected.
CATEGORY_ORDER = ("unexpected", "unexpected_pass", "known", "skipped", "unsupported")


def _verdict(outcome: object, extra: dict) -> str:
    return str(extra.get("verdict") or outcome or Outcome.ERROR)


def latest_rows(store: ResultsStore, suites: tuple[str, ...] = CONFORMANCE_SUITES) -> pd.DataFrame:
    """Result rows of the conformance suites, keeping for each (suite, engine, file) only the latest run,
    with the engine's ``label``, the row's ``verdict`` and the ``reproduce`` command."""
    df = store.dataframe()
    if df.empty:
        return df
    df = df[df["suite"].isin(suites) & df["metric"].isin(CONFORMANCE_METRICS)].copy()
    if df.empty:
        return df
    df["label"] = [engine_label(e, t) for e, t in zip(df["engine"], df["tier"], strict=True)]
    df["verdict"] = [_verdict(o, x) for o, x in zip(df["outcome"], df["extra"], strict=True)]
    runs = {r["run_id"]: r for r in store.runs()}
    df["reproduce"] = [x.get("reproduce") or _wasi_command(runs.get(rid), suite, label, item)
                       for x, rid, suite, label, item in zip(df["extra"], df["run_id"], df["suite"], df["label"],
                                                             df["item"], strict=True)]
    # A WASI row is one whole test program: group them by their folder (c, rust, assemblyscript...), and keep
    # the test's name as the item, so the matrix stays readable.
    is_test = df["metric"] == "test"
    df.loc[is_test, "item"] = [f if not i else i for f, i in zip(df.loc[is_test, "file"], df.loc[is_test, "item"], strict=True)]
    df.loc[is_test, "file"] = [str(PurePosixPath(f).parent) if "/" in f else f for f in df.loc[is_test, "file"]]
    df["started"] = df["run_id"].map({k: r["started"] for k, r in runs.items()}).fillna(0)
    newest = df.groupby(["suite", "label", "file"])["started"].transform("max")
    return df[df["started"] == newest]


def _wasi_command(run: dict | None, suite: str, label: str, test: object) -> str:
    """The command that reruns one WASI test, for rows stored before the WASI runner kept its own."""
    if suite != "wasi" or not isinstance(test, str) or run is None:
        return ""
    return reproduce_command(label, test, (run.get("extra") or {}).get("suite_dirs", {}).get("wasi"))


def counts_of(verdicts: pd.Series) -> Counts:
    c = Counts()
    for verdict, n in verdicts.value_counts().items():
        key = CATEGORY.get(verdict, "unexpected")
        setattr(c, key, getattr(c, key) + int(n))
        if key == "unexpected_pass":
            c.passed += int(n)
    return c


def summarise(df: pd.DataFrame) -> dict[str, dict[str, dict[str, Counts]]]:
    """Per suite, per engine, per file: the counts of its checks."""
    out: dict = {}
    for (suite, label, file), g in df.groupby(["suite", "label", "file"]):
        out.setdefault(suite, {}).setdefault(label, {})[file] = counts_of(g["verdict"])
    return out


def engine_totals(files: dict[str, Counts]) -> tuple[Counts, int, int]:
    """One engine's counts over a suite, and how many of the files where something ran fully passed."""
    total = Counts()
    for c in files.values():
        total = total.add(c)
    judged = [c for c in files.values() if c.ran]
    return total, sum(1 for c in judged if c.passed == c.ran), len(judged)


def summary_json(summary: dict[str, dict[str, dict[str, Counts]]]) -> dict:
    """The summary as plain data: per suite and engine, the totals and each file's counts."""
    return {suite: {label: {"total": engine_totals(files)[0].as_dict(),
                            "files": {f: c.as_dict() for f, c in files.items()}}
                    for label, files in engines.items()}
            for suite, engines in summary.items()}


# -- the checks that did not pass ------------------------------------------------------------------
_EXPECTED = re.compile(r"^expected failure \((.*?)\); ", re.DOTALL)


@dataclass
class Check:
    item: str
    verdict: str
    expected: str
    actual: str
    message: str
    reproduce: str
    argv: str


@dataclass
class Group:
    """Checks of one file and engine that came to the same category for the same reason."""

    category: str
    reason: str
    checks: list[Check]


def reason_of(verdict: str, message: str, extra: dict) -> str:
    """Why a check did not pass, as shared by its neighbours: a known failure's expectation, else the
    first line of the message (a spec check's message names its own line, so the actual result is used)."""
    if verdict == Outcome.XFAIL:
        if extra.get("expected_fail"):
            return str(extra["expected_fail"])
        m = _EXPECTED.match(message)
        if m:
            return m.group(1)
    text = str(extra.get("actual") or message or verdict)
    return text.splitlines()[0] if text.strip() else verdict


def failure_groups(g: pd.DataFrame) -> list[Group]:
    """The checks of one (suite, engine, file) that did not pass, grouped by category and reason, the
    categories in ``CATEGORY_ORDER`` and the biggest group first within each."""
    groups: dict[tuple[str, str], Group] = {}
    for item, verdict, message, extra, repro in zip(g["item"], g["verdict"], g["message"], g["extra"], g["reproduce"],
                                                    strict=True):
        category = CATEGORY.get(verdict, "unexpected")
        if category == "passed":
            continue
        message = message if isinstance(message, str) else ""
        reason = reason_of(verdict, message, extra)
        argv = extra.get("argv") or ""
        actual = str(extra.get("actual") or _EXPECTED.sub("", message))  # the group's heading carries the reason
        check = Check(str(item), verdict, str(extra.get("expected") or ""), actual, message,
                      str(repro or ""), " ".join(argv) if isinstance(argv, list) else str(argv))
        groups.setdefault((category, reason), Group(category, reason, [])).checks.append(check)
    return sorted(groups.values(), key=lambda gr: (CATEGORY_ORDER.index(gr.category), -len(gr.checks), gr.reason))


# -- the 3.0 features x engines matrix -------------------------------------------------------------
@dataclass
class FeatureCell:
    """One proposal's files on one engine: their counts, and the engine's declared support for it as the run
    recorded it (how the driver turned it on, or why it is unsupported; "" when the run did not say)."""

    counts: Counts
    declared: str


@dataclass
class FeatureMatrix:
    proposals: list[tuple[str, int]]  # (proposal, number of files), core first, then in 3.0's order
    labels: list[str]
    cells: dict[tuple[str, str], FeatureCell]


def feature_matrix(store: ResultsStore, files: dict[str, dict[str, Counts]]) -> FeatureMatrix:
    """The 3.0 suite's files grouped by proposal (``harness.spec.proposals``: the testsuite's layout), per
    engine the counts of each group, with what each engine declared for the feature in its latest 3.0 run."""
    from ..adapters.base import WASM3_FEATURES
    from ..spec.proposals import CORE, proposal

    declared: dict[str, dict[str, str]] = {}
    for run in store.runs("spec"):  # oldest first: the latest run's declaration wins
        extra = run.get("extra") or {}
        if extra.get("wasm") == "3.0":
            declared.update(extra.get("features") or {})
    groups: dict[str, set[str]] = {}
    cells: dict[tuple[str, str], FeatureCell] = {}
    for label, by_file in files.items():
        for f, c in by_file.items():
            p = proposal(f)
            groups.setdefault(p, set()).add(f)
            cell = cells.setdefault((p, label), FeatureCell(Counts(), declared.get(label, {}).get(p, "")))
            cell.counts = cell.counts.add(c)
    order = [CORE, *WASM3_FEATURES]
    present = sorted(groups, key=lambda p: order.index(p) if p in order else len(order))
    return FeatureMatrix([(p, len(groups[p])) for p in present], sorted(files), cells)


def unsupported_checks(df: pd.DataFrame) -> dict[str, int]:
    """Per engine, the spec checks that needed a feature it lacks (outcome ``unsupported``): the strict
    figure's companion, neither passed nor failed."""
    spec = df[df["suite"].isin(("spec", WASM3_SUITE))]
    return {str(label): int((g["verdict"] == Outcome.UNSUPPORTED).sum()) for label, g in spec.groupby("label")}


# -- the strict figure: error wording -------------------------------------------------------------
def strict_agreement(df: pd.DataFrame) -> dict[str, tuple[int, int]]:
    """Per engine: of the spec checks that expect an error and got one (their row records ``strict``),
    how many also agree on the error's wording or trap kind.  Kept apart from the pass rate: the spec
    only fixes that a module is rejected or a trap happens, not the words."""
    out: dict[str, tuple[int, int]] = {}
    has = df["extra"].map(lambda x: "strict" in x)
    for label, g in df[has].groupby("label"):
        strict = g["extra"].map(lambda x: bool(x["strict"]))
        out[label] = (int(strict.sum()), len(g))
    return out


# -- WASI output mismatches -----------------------------------------------------------------------
_STREAM = re.compile(r"(?:^|; )(stdout|stderr) (?=['\"])")


def output_mismatches(message: str) -> list[tuple[str, str, str]]:
    """(stream, actual, expected) for each ``<stream> 'got', expected 'want'`` in a WASI test's message,
    the strings as the program wrote them; empty when the message is not about output."""
    import ast

    found = []
    for m in _STREAM.finditer(message):
        rest = message[m.end():]
        # the actual text is a Python literal followed by ", expected ", itself followed by a literal
        for cut in _positions(rest, ", expected "):
            try:
                actual = ast.literal_eval(rest[:cut])
            except (SyntaxError, ValueError):
                continue
            tail = rest[cut + len(", expected "):]
            expected = _leading_literal(tail)
            if isinstance(actual, str) and expected is not None:
                found.append((m.group(1), actual, expected))
            break
    return found


def _positions(text: str, sep: str) -> list[int]:
    return [m.start() for m in re.finditer(re.escape(sep), text)]


def _leading_literal(text: str) -> str | None:
    import ast

    for end in [*(p for p in _positions(text, "; ")), len(text)]:
        try:
            value = ast.literal_eval(text[:end])
        except (SyntaxError, ValueError):
            continue
        return value if isinstance(value, str) else None
    return None
