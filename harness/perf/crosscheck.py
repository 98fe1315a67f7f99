"""``harness perf crosscheck``: time the same command lines with hyperfine and compare.

For every correct (workload, engine) line of the latest perf run, the stored shell command (the exact
argv, stdin and stdout redirected to files) is timed by hyperfine and, alternately in the same time
window, by this harness again.  Agreement within 10% between the two side-by-side medians shows that the
harness measures what hyperfine measures; the stored median is shown too (it ran earlier, under
whatever load there was then).

hyperfine is started in a session of its own (``harness.process``), as the harness starts every measured
process: with the
kernel's scheduler autogroups (``/proc/sys/kernel/sched_autogroup_enabled``) each session gets a fair
share of the CPU, so on a shared machine a process in its own session runs much faster than one in a
busy session; both tools must be compared under the same scheduling.
"""

from __future__ import annotations

import json
import math
import shlex
import shutil
import tempfile
from pathlib import Path

import pandas as pd

from .. import process
from ..analysis.perf_table import summarize_rows
from ..analysis.runs import perf_rows
from ..analysis.stats import median
from ..errors import HarnessError
from ..outcomes import Outcome
from ..results.labels import engine_label
from ..results.run import recording
from ..results.store import ResultRow, ResultsStore
from .measure import loadavg, run_measured

TOLERANCE = 0.10


def _hyperfine(cmd: str, runs: int, out_json: Path) -> tuple[list[float], float] | None:
    """hyperfine's individual wall times for ``runs`` runs, and its mean user+system CPU time."""
    done = process.run_captured(["hyperfine", "--warmup", "0", "--runs", str(runs), "--export-json", str(out_json),
                                 "--style", "none", cmd], timeout=3600)
    if done.exit.returncode:
        return None
    res = json.loads(out_json.read_text())["results"][0]
    return list(res.get("times") or [res["median"]]), res.get("user", math.nan) + res.get("system", math.nan)


def full_size_commands(df: pd.DataFrame) -> dict[tuple[str, str], tuple[str, list[str]]]:
    """Per (workload, engine label): the shell command and argv of its first correct full-size run.  (A
    workload's small size class runs the same program on another input, so it must not stand in.)"""
    timed = df[(df["metric"] == "wall_time") & (df["outcome"] == "ok") & (df["item"].fillna("full") == "full")]
    timed = timed.assign(label=timed["extra"].map(lambda e: e.get("label")),
                         shell=timed["extra"].map(lambda e: e.get("shell")),
                         argv=timed["extra"].map(lambda e: e.get("argv")))
    first = timed[timed["shell"].fillna("") != ""].drop_duplicates(["file", "label"])
    return {(f, label): (shell, argv) for f, label, shell, argv
            in zip(first["file"], first["label"], first["shell"], first["argv"], strict=True)}


def _compare(ln, shell: str, argv: list[str], scratch: Path, runs: int, timeout: float) -> ResultRow:
    """Time one line's command with the harness and hyperfine, interleaved, and print and return the figures."""
    out = scratch / "out"
    cmd = shell.replace("> OUT", f"> {shlex.quote(str(out))}")
    stdin = Path(shlex.split(shell.split(" < ", 1)[1])[0]) if " < " in shell else None
    # Fine-grained interleaving (one harness run, then two hyperfine runs, repeated) so that load
    # changes on a shared machine hit both tools alike.
    ours, hf, ours_cpu, hf_cpu = [], [], [], []
    run_measured(argv, stdin, out, timeout)  # warm-up (file cache, engine caches)
    for _ in range(runs):
        m = run_measured(argv, stdin, out, timeout)
        ours.append(m.wall)
        ours_cpu.append(m.user + m.sys)
        h = _hyperfine(cmd, 2, scratch / "hf.json")
        if h is not None:
            hf += h[0]
            hf_cpu.append(h[1])
    mo, mh = median(ours), (median(hf) if hf else math.nan)
    diff = mo / mh - 1 if mh == mh else math.nan
    cpu_diff = median(ours_cpu) / median(hf_cpu) - 1 if hf_cpu and median(hf_cpu) else math.nan
    load = loadavg()
    print(f"{ln.workload:20s} {ln.engine:34s} {ln.median:8.3f} {mo:8.3f} {mh:9.3f} {diff:+6.1%} "
          f"{cpu_diff:+7.1%}  {load:.1f}")
    return ResultRow(suite="perf-crosscheck", file=ln.workload, item="full", engine=ln.engine,
                     metric="hyperfine_diff", value=diff, unit="ratio-1",
                     outcome=Outcome.OK if abs(diff) <= TOLERANCE else Outcome.FAIL,
                     extra={"harness_median": mo, "hyperfine_median": mh, "cpu_diff": cpu_diff,
                            "n_harness": len(ours), "n_hyperfine": len(hf), "stored_median": ln.median,
                            "command": cmd, "loadavg": load})


def main(args) -> int:
    from ..paths import default_results_db

    if shutil.which("hyperfine") is None:
        raise HarnessError("hyperfine is not installed: apt-get install hyperfine")
    db = args.db or default_results_db()
    store = ResultsStore(db)
    wanted_eng = {e.strip() for e in args.engines.split(",")}
    run = None
    for r in reversed(store.runs("perf")):  # newest run that measured most of the wanted engines
        if getattr(args, "run", None) and r["run_id"] != args.run:
            continue
        d = store.dataframe([r["run_id"]], suite="perf")
        if d.empty:
            continue
        have = {engine_label(e, t) for e, t in zip(d["engine"], d["tier"], strict=True)}
        if getattr(args, "run", None) or len(have & wanted_eng) >= min(2, len(wanted_eng)):
            run = r
            break
    if run is None:
        raise HarnessError(f"no perf run in {db} measured {', '.join(sorted(wanted_eng))}; run `harness perf` first")
    df = perf_rows(store, [run["run_id"]])
    lines = [ln for ln in summarize_rows(df, args.baseline) if ln.outcome == "ok" and ln.size_class == "full"]
    wanted_wl = {w.strip() for w in args.workloads.split(",")}
    lines = [ln for ln in lines if ln.engine.split(" ")[0] in wanted_eng
             and (ln.workload in wanted_wl or ln.workload.split("-")[0] in wanted_wl)]
    shells = full_size_commands(df)
    print(f"cross-checking run {run['run_id']} ({run.get('command')})")
    print(f"{'workload':20s} {'engine':34s} {'stored':>8s} {'harness':>8s} {'hyperfine':>9s} {'diff':>6s} "
          f"{'cpu diff':>7s}  load")
    worst = 0.0
    with recording(store, "perf", f"harness perf crosscheck (of {run['run_id']})", {}, {},
                   extra={"crosscheck_of": run["run_id"]}) as cross_run, tempfile.TemporaryDirectory() as td:
        for ln in lines:
            shell, argv = shells.get((ln.workload, ln.engine), (None, None))
            if shell and argv:
                row = _compare(ln, shell, argv, Path(td), max(4, args.repeat), args.timeout)
                cross_run.add([row])
                worst = max(worst, abs(row.value)) if row.value == row.value else worst
    print(f"largest difference harness vs hyperfine (side by side): {worst:.1%} "
          f"({'within' if worst <= TOLERANCE else 'OUTSIDE'} {TOLERANCE:.0%})")
    return 0 if worst <= TOLERANCE else 1
