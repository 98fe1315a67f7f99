"""Claim 7 ("a wasm module can touch nothing of the host that it was not explicitly given"), answered from
stored conformance rows rather than perf rows:

* our WASI escape program (``suites/wasi/programs/sandbox_escape.c``: ``..``, absolute paths, symlinks out
  of the preopen, hard links and renames out, creating files through links) must print ``blocked`` for every
  attempt on each engine that ran it;
* a module whose imports were not provided must fail to link (the spec suites' ``assert_unlinkable`` checks).

The verdict is "holds" only if every engine that ran the escape program passed it and no unlinkable check
was instantiated; a failure of the program is not automatically an escape (it may be a missing feature),
so failures make the verdict "can't tell here" with the engines named, unless the output shows an escape.
"""

from __future__ import annotations

from ..results import ResultsStore

ESCAPE_TEST = "sandbox_escape"


def sandbox_claim_figure(store: ResultsStore) -> tuple[str, str, str]:
    """(figure, verdict, command) for claim 7 from the newest WASI rows of each engine."""
    df = store.dataframe(suite="wasi")
    figure_parts, verdict = [], "can't tell here"
    if not df.empty:
        esc = df[df["item"].fillna("").str.contains(ESCAPE_TEST) | df["file"].str.contains(ESCAPE_TEST)]
        runs = {r["run_id"]: r["started"] for r in store.runs()}
        esc = esc.assign(started=esc["run_id"].map(runs)).sort_values("started")
        latest = esc.groupby(["engine", "tier"], dropna=False).tail(1)
        passed = [f"{e}:{t}" if t else e for e, t, o in zip(latest["engine"], latest["tier"], latest["outcome"], strict=True)
                  if o == "pass"]
        failed = [(f"{e}:{t}" if t else e, m or "") for e, t, o, m in
                  zip(latest["engine"], latest["tier"], latest["outcome"], latest["message"], strict=True)
                  if o not in ("pass", "unsupported")]
        escaped = [name for name, msg in failed if "ESCAPED" in msg.upper()]
        if passed:
            figure_parts.append(f"every escape attempt blocked on {', '.join(sorted(passed))}")
        if failed:
            figure_parts.append("escape program did not pass on " + ", ".join(sorted(n for n, _ in failed))
                                + (f" (escapes reported on {', '.join(escaped)})" if escaped else
                                   " (wrong output, no escape reported: see the conformance report)"))
        if escaped:
            verdict = "does not hold"
        elif passed and not failed:
            verdict = "holds"
    spec = store.dataframe(suite="spec")
    if not spec.empty and "extra" in spec:
        kinds = spec["extra"].map(lambda x: (x or {}).get("kind") or (x or {}).get("command"))
        unl = spec[kinds == "assert_unlinkable"]
        if len(unl):
            ok = int((unl["outcome"] == "pass").sum())
            figure_parts.append(f"missing imports refused at link time in {ok}/{len(unl)} assert_unlinkable checks")
            if ok < len(unl) and verdict == "holds":
                verdict = "can't tell here"
    if not figure_parts:
        figure_parts.append("no WASI sandbox results stored: run harness wasi --own")
    return "; ".join(figure_parts), verdict, "harness wasi --own --engines ours,wasmtime,v8,pywasm"
