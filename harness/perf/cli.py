"""``harness perf``: time workloads and microbenchmarks on engines:tiers against native code.

    harness perf build                       fetch Debian sources, verify sha256, build every target
    harness perf [--engines ...] [...]       measure; table at the end; rows into the results store
    harness perf crosscheck                  time the same command lines with hyperfine and compare
"""

from __future__ import annotations

import argparse
import json
import math
import sys

from ..cli_options import add_engines, add_json, add_store, add_timeout, positive_int
from ..errors import HarnessError
from ..text import LINE, clip

HELP = "measure throughput, startup, memory and compile time of engines against native code"
DESCRIPTION = __doc__

METRICS = ("startup", "throughput", "memory", "compile", "instructions")
DEFAULT_METRICS = ("startup", "throughput", "memory", "compile")  # instructions: valgrind is slow
DEFAULT_ENGINES = "ours:llvm,wasmtime:cranelift,wasmtime:winch,v8:turbofan,native64,native32,qemu-user"


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("action", nargs="?", default="run", choices=("run", "build", "crosscheck"),
                   help="run (default): measure; build: fetch and build the workloads; "
                        "crosscheck: compare with hyperfine")
    add_engines(p, DEFAULT_ENGINES, "native64, native32 and qemu-user (the foreign-architecture build under "
                                    "emulation) are engines too")
    p.add_argument("--workloads", default="gzip,bzip2,sqlite,micro",
                   help="groups (gzip,bzip2,sqlite,micro) or workload names from suites/perf/workloads.toml")
    p.add_argument("--metrics", default=",".join(DEFAULT_METRICS),
                   help=f"any of {','.join(METRICS)} (default {','.join(DEFAULT_METRICS)}; instructions: a count per "
                        "workload and engine from hardware counters, or valgrind where the machine has none)")
    p.add_argument("--baseline", default="native64", help="engine every ratio is relative to")
    p.add_argument("--repeat", type=positive_int, default=5, help="measured runs per workload and engine (default 5)")
    p.add_argument("--warmup", type=int, default=1, help="unrecorded runs first (default 1)")
    p.add_argument("--size", type=float, default=8.0, metavar="MB",
                   help="compressor input size in MiB (default 8: ~1 s for native gzip here)")
    p.add_argument("--seed", type=int, default=None, help="input generator seed")
    add_timeout(p, 300.0, "one run of a workload")
    add_json(p)
    add_store(p, optional=False)
    p.add_argument("--wasm-builds", default="wasm32", metavar="BUILDS",
                   help="which builds of each program the wasm engines run: wasm32 (WASI libc, the default) and/or "
                        "wasm32-free,wasm64 (freestanding, same allocator and output path: the pointer study's "
                        "wasm32-vs-wasm64 pair; micro programs only; engines without memory64 report unsupported)")
    p.add_argument("--targets", default="native64,native32,foreign64,wasm32,wasm32-free,wasm64",
                   help="build: targets (foreign64 = the other 64-bit architecture, run by the qemu-user engine)")
    p.add_argument("--programs", default=None, help="build: programs (default all)")
    p.add_argument("--force", action="store_true", help="build: rebuild even if up to date")
    p.add_argument("--no-docker", action="store_true", help="startup: skip the container rungs")
    p.add_argument("--run", default=None, help="crosscheck: the run to check (default the newest that has the engines)")


def _metrics(text: str) -> set[str]:
    ms = {m.strip() for m in text.split(",") if m.strip()}
    bad = ms - set(METRICS)
    if bad:
        raise HarnessError(f"unknown metric(s) {', '.join(sorted(bad))}; known: {', '.join(METRICS)}")
    return ms


def main(args: argparse.Namespace) -> int:
    if args.action == "build":
        return _build(args)
    if args.action == "crosscheck":
        from .crosscheck import main as cross

        return cross(args)
    return _run(args)


def _build(args: argparse.Namespace) -> int:
    from .builder import NEEDS_LIBC, build_all

    recs = build_all(args.programs.split(",") if args.programs else None, args.targets.split(","), args.force,
                     log=lambda s: print(s, file=sys.stderr))
    libc = [r for r in recs if r.key == NEEDS_LIBC]  # no freestanding build by design: not a failure
    recs = [r for r in recs if r.key != NEEDS_LIBC]
    failed = [r for r in recs if not r.ok]
    print(f"{len(recs) - len(failed)}/{len(recs)} builds ok; binaries in the harness cache (perf/bin/<target>/)")
    if libc:
        print(f"  not built by design (need a libc; the freestanding targets build only programs marked "
              f"freestanding = true): {', '.join(sorted({f'{r.program} for {r.target}' for r in libc}))}")
    for r in failed:
        print(f"  not built: {r.program} for {r.target}: {clip((r.message.splitlines() or [''])[0], LINE)}")
    return 0


def _run(args: argparse.Namespace) -> int:
    from ..adapters.base import PERF
    from ..adapters.registry import parse_engines
    from ..analysis.perf_table import (
        MICRO,
        REAL,
        format_compile,
        format_table,
        geomeans,
        lines_json,
        summarize_rows,
    )
    from ..analysis.runs import perf_rows
    from ..analysis.startup import format_ladder
    from ..cli_options import command_line, open_store
    from ..results.run import recording
    from .builder import build_all, build_record
    from .inputs import DEFAULT_SEED
    from .recipes import load_workloads, select_workloads
    from .runner import PerfConfig, PerfRunner, engine_versions, variants_for

    metrics = _metrics(args.metrics)
    engines = parse_engines(args.engines, capability=PERF)
    names = [e.name for e in engines]
    if args.baseline not in names:
        engines += parse_engines(args.baseline, capability=PERF)
    workloads = select_workloads(load_workloads(), args.workloads)
    variants = variants_for(engines, metrics, tuple(b.strip() for b in args.wasm_builds.split(",") if b.strip()))
    # Build whatever is missing (a no-op when up to date).
    programs = sorted({w.program for w in workloads})
    needed = ["native64", "native32", "wasm32"] + sorted({v.target for v in variants} - {"native64", "native32", "wasm32"})
    missing = [p for p in programs if any(build_record(p, t) is None for t in needed)]
    if missing:
        print(f"building {', '.join(missing)} first (harness perf build)", file=sys.stderr)
        build_all(missing, [*needed, "wasm64"], log=lambda s: print(s, file=sys.stderr))

    store = open_store(args)
    cfg = PerfConfig(variants=variants, workloads=workloads, metrics=metrics, baseline=args.baseline,
                     repeat=args.repeat, warmup=args.warmup, size_mb=args.size,
                     seed=args.seed if args.seed is not None else DEFAULT_SEED, timeout=args.timeout)
    rows_seen = []
    with recording(store, "perf", command_line("perf"), engine_versions(variants),
                   {p: (build_record(p, "wasm32").sha256 if build_record(p, "wasm32") else None) for p in programs},
                   extra={"size_mb": args.size, "repeat": args.repeat, "warmup": args.warmup,
                          "baseline": args.baseline, "metrics": sorted(metrics), "seed": cfg.seed}) as run:

        def emit(rows):
            if rows:
                run.add(rows)
                rows_seen.extend(rows)

        if workloads and metrics & {"throughput", "memory", "compile", "instructions"}:
            PerfRunner(cfg, emit, log=lambda s: print(s, file=sys.stderr)).run()
        if "startup" in metrics:
            from .startup import run_ladder

            run_ladder(emit, repeat=max(args.repeat, 5), docker=not args.no_docker,
                       engines=[v.engine for v in variants if v.mode == "jit"],
                       log=lambda s: print(s, file=sys.stderr))
    run_id = run.run_id
    df = perf_rows(store, [run_id])
    lines = summarize_rows(df, args.baseline)
    print()
    print(f"run {run_id}   store {store.path}")
    print(format_table(lines, args.baseline))
    cpu_lines = summarize_rows(df, args.baseline, metric="cpu_time")
    for kind in (REAL, MICRO):
        cpu = geomeans(cpu_lines, kind)
        if cpu:
            print(f"CPU time (user+sys) geometric means over the {kind}, less sensitive to a busy machine: "
                  + ", ".join(f"{k} {v:.2f}" for k, v in sorted(cpu.items(), key=lambda kv: kv[1])))
    from ..analysis.pointer_width import format_width

    width = format_width(df)
    if width:
        print()
        print(width)
    from ..analysis.container_twins import format_twins

    twins = format_twins(df, {r["run_id"]: r.get("engines") or {} for r in store.runs("perf") if r["run_id"] == run_id})
    if twins:
        print()
        print(twins)
    compile_table = format_compile(df)
    if compile_table:
        print()
        print(compile_table)
    startup = store.dataframe([run_id], suite="perf-startup")
    if not startup.empty:
        print()
        print(format_ladder(startup))
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps({
            "run_id": run_id, "baseline": args.baseline, "table": lines_json(lines),
            "rows": [_jsonable(r.__dict__) for r in rows_seen]}, indent=1))
        print(f"wrote {args.json}")
    bad = [ln for ln in lines if ln.outcome not in ("ok", "unsupported", "build-failed")]
    return 1 if bad else 0


def _jsonable(d: dict) -> dict:
    return {k: (None if isinstance(v, float) and math.isnan(v) else v) for k, v in d.items()}
