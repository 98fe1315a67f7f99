"""Claim 7 ("a wasm module can touch nothing of the host that it was not explicitly given"), answered from
stored conformance rows rather than perf rows:

* our WASI escape program (``suites/wasi/programs/sandbox_escape.c``: ``..``, absolute paths, symlinks out
  of the preopen, hard links and renames out, creating files through links) prints ``blocked`` or
  ``ESCAPED`` for every attempt on each engine that ran it;
* a module whose imports do not match what the host provides must fail to link (the spec suites'
  ``assert_unlinkable`` checks), reported per engine as supporting evidence.

The WASI runner also checks the host itself: every file and directory around the preopened ones is
snapshotted before and after each test, and any change fails the test with ``HOST_CHANGED`` in its message.

Verdict: "does not hold" when any engine changed host files outside its preopens (in any WASI test), or
linked a module whose imports do not match what it was given (that module then reaches host functions with
types it was never given); "holds" when every engine that ran the escape program blocked every attempt and
every engine refused every unlinkable module.  An ``ESCAPED`` line with no
host change is the guest's view only: an engine with a virtual filesystem (wasmer serves its own ``/``) lets
``opendir("/")`` or a link into its in-memory root succeed without touching the host, so such results make
the verdict "can't tell here" with the engines and attempts named.  Other failures of the program (wrong
output, missing features) are named but say nothing about escaping.
"""

from __future__ import annotations

import re

from ..results import ResultsStore
from ..results.labels import engine_label
from ..wasi.runner import HOST_CHANGED

ESCAPE_TEST = "sandbox_escape"
_ESCAPED_LINE = re.compile(r"^'?([^'\n]+): ESCAPED$", re.MULTILINE)


def _latest_per_engine(store: ResultsStore, df):
    runs = {r["run_id"]: r["started"] for r in store.runs()}
    df = df.assign(started=df["run_id"].map(runs)).sort_values("started")
    return df.groupby(["engine", "tier"], dropna=False).tail(1)


def sandbox_claim_figure(store: ResultsStore) -> tuple[str, str, str]:
    """(figure, verdict, command) for claim 7 from the newest WASI rows of each engine."""
    parts: list[str] = []
    verdict = "can't tell here"
    df = store.dataframe(suite="wasi")
    if not df.empty:
        esc = df[df["item"].fillna("").str.contains(ESCAPE_TEST) | df["file"].str.contains(ESCAPE_TEST)]
        esc = esc[~esc["outcome"].isin(["skip", "unsupported"])]
        if not esc.empty:
            latest = _latest_per_engine(store, esc)
            passed, reached, other = [], [], []
            for engine, tier, outcome, message in zip(latest["engine"], latest["tier"], latest["outcome"],
                                                      latest["message"], strict=True):
                name = engine_label(engine, tier)
                message = message if isinstance(message, str) else ""
                # Messages quote the program's stdout with its newlines escaped.
                attempts = sorted(set(_ESCAPED_LINE.findall(message.replace("\\n", "\n"))))
                if outcome == "pass":
                    passed.append(name)
                elif attempts:
                    reached.append(f"{name} ({', '.join(attempts)})")
                else:
                    other.append(name)
            if passed:
                parts.append(f"every escape attempt blocked on {', '.join(sorted(passed))}")
            if reached:
                parts.append("the guest reached outside its preopen, from its own view, on " + "; ".join(sorted(reached))
                             + " - possibly the engine's virtual filesystem rather than the host: the program cannot tell")
            if other:
                parts.append(f"escape program failed for other reasons on {', '.join(sorted(other))}")
            if passed and not reached and not other:
                verdict = "holds"
        leaked = df[df["message"].fillna("").str.contains(HOST_CHANGED, regex=False)]
        if not leaked.empty:
            latest = _latest_per_engine(store, leaked)
            names = sorted({engine_label(e, t) for e, t in zip(latest["engine"], latest["tier"], strict=True)})
            parts.insert(0, f"{HOST_CHANGED} on {', '.join(names)} (checked on the host around each test)")
            verdict = "does not hold"
    spec = store.dataframe(suite="spec")
    if not spec.empty:
        unl = spec[spec["extra"].map(lambda x: (x or {}).get("command") == "assert_unlinkable")]
        if len(unl):
            latest = unl.assign(label=[engine_label(e, t) for e, t in zip(unl["engine"], unl["tier"], strict=True)])
            refused = latest.groupby("label")["outcome"].agg(lambda s: (int((s == "pass").sum()), len(s)))
            parts.append("assert_unlinkable refused: " + ", ".join(f"{k} {r}/{n}" for k, (r, n) in refused.items()))
            linked = [f"{k} ({n - r} of {n})" for k, (r, n) in refused.items() if r < n]
            if linked:
                parts.append("modules that must not link were linked by " + ", ".join(linked)
                             + ": those engines do not hold the claim")
                verdict = "does not hold"
    if not parts:
        parts.append("no WASI sandbox results stored: run harness wasi --own")
    return "; ".join(parts), verdict, "harness wasi --own --engines ours,wasmtime,v8,pywasm"
