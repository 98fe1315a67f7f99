"""``harness fuzz``: differential fuzzing across engines and tiers (docs/FUZZING.md).

Modes: ``harness fuzz`` (execution fuzzing: generate, run on every engine, compare, minimise, record),
``harness fuzz replay FILE.wasm`` (one module on the engines, every step printed: the reproduce command of a
finding) and ``harness fuzz validate`` (mutated binaries through every engine's validator,
``harness.fuzz.validation``; also ``--validation``).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import subprocess
import sys
from pathlib import Path

from ..cli_options import add_jobs, add_store, add_timeout, command_line, open_store, positive_int
from ..errors import HarnessError
from ..paths import REPO_ROOT

HELP = "differential fuzzing: generated modules run on every engine, disagreements minimised and triaged"
DESCRIPTION = HELP + """

  harness fuzz --engines ours:interp,ours:llvm,wasmtime:cranelift --time 10m
  harness fuzz --count 2000 --seed 7 --findings /tmp/findings
  harness fuzz replay FINDING/min.wasm --engines ours:interp,wasmtime:cranelift
  harness fuzz validate --engines ours,wasmtime --count 5000

Exit status: 0 when no new finding, 1 when there are new ones (signatures not seen by an earlier run in the
store), 2 on an error, 130 when interrupted (the summary so far is printed and stored)."""

DEFAULT_ENGINES = "ours:interp,ours:llvm,wasmtime:cranelift"


def duration(text: str) -> float:
    """``90``, ``90s``, ``10m``, ``1h``, ``1h30m`` -> seconds."""
    parts = re.fullmatch(r"(?:(\d+(?:\.\d+)?)h)?(?:(\d+(?:\.\d+)?)m)?(?:(\d+(?:\.\d+)?)s?)?", text.strip())
    if not text.strip() or not parts or not any(parts.groups()):
        raise argparse.ArgumentTypeError(f"{text!r} is not a duration (examples: 90s, 10m, 1h30m)")
    h, m, s = (float(x) if x else 0.0 for x in parts.groups())
    seconds = h * 3600 + m * 60 + s
    if seconds <= 0:
        raise argparse.ArgumentTypeError("a duration must be more than 0")
    return seconds


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("mode", nargs="?", default="run", choices=["run", "replay", "validate"],
                   help="run (default), replay FILE.wasm, or validate (validation fuzzing)")
    p.add_argument("file", nargs="?", type=Path, help="replay: the module")
    p.add_argument("--engines", default=DEFAULT_ENGINES,
                   help="engines to compare, runtime:tier, comma-separated; any engine with an in-process spec "
                   "driver (ours:*, wasmtime:*, v8:*, wasm3, pywasm) (default: %(default)s)")
    budget = p.add_mutually_exclusive_group()
    budget.add_argument("--time", type=duration, default=None, help="stop after this long (10m, 1h)")
    budget.add_argument("--count", type=positive_int, default=None, help="stop after this many modules")
    p.add_argument("--seed", type=int, default=None, help="names the run's modules (default: random, printed)")
    p.add_argument("--start", type=int, default=0, help="first module (or, with validate, mutant) index; with --count 1: that one again")
    p.add_argument("--features", default=None,
                   help="comma-separated features to generate (simd, reference-types, and the 3.0 proposals; 'none' for "
                   "2.0 without them); default: every one all the engines support, except relaxed-simd")
    add_jobs(p, os.cpu_count() or 1, "module pipelines (each with its own engine processes; one per CPU by default, as "
             "in harness spec)")
    add_timeout(p, 60.0, "one module on one engine")
    p.add_argument("--fuel", type=int, default=10_000_000,
                   help="wasmtime fuel per module; a module that runs out is not compared past it (0: off) "
                   "(default: %(default)s)")
    p.add_argument("--findings", type=Path, default=None,
                   help="folder for findings (default: reports/fuzz-findings in the repository)")
    p.add_argument("--no-minimise", dest="minimise", action="store_false", help="keep findings as generated")
    p.add_argument("--shrink-attempts", type=positive_int, default=300,
                   help="wasm-tools shrink --attempts per finding (default: %(default)s)")
    p.add_argument("--name", default=None, help="replay: the module's name SEED:INDEX (it seeds the arguments)")
    p.add_argument("--validation", action="store_true", help="same as the 'validate' mode")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress lines")
    add_store(p)


def resolve_engines(text: str) -> list[str]:
    """``runtime:tier`` names of engines a fuzz worker can drive: known runtimes through their adapters
    (available, with an in-process spec driver), and ``$HARNESS_SPEC_DRIVERS`` fakes (tests) by name."""
    from ..adapters.base import SPEC
    from ..adapters.registry import adapters, get_adapter, parse_engines
    from ..spec.drivers import in_process_drivers

    drivers = in_process_drivers()
    out: list[str] = []
    for raw in [x.strip() for x in text.split(",") if x.strip()]:
        runtime, _, tier = raw.partition(":")
        if runtime in drivers and runtime not in adapters():
            names = [raw if tier else f"{runtime}:"]
        else:
            specs = parse_engines(raw, capability=SPEC)
            names = []
            for s in specs:
                adapter = get_adapter(s.runtime)
                av = adapter.available(s.tier)
                if not av:
                    raise HarnessError(f"{s} is not available here: {av.reason}"
                                       + (f" ({av.install})" if av.install else ""))
                if s.runtime not in drivers:
                    raise HarnessError(f"{s} cannot be fuzzed: its spec driver runs whole script files, not one "
                                       "module at a time; pick engines with an in-process driver")
                names.append(s.name if s.tier else f"{s.runtime}:")
        out += [n for n in names if n not in out]
    if len(out) < 2:
        raise HarnessError(f"--engines {text!r}: differential fuzzing needs at least two engines")
    return out


def _features(text: str | None) -> list[str] | None:
    if text is None:
        return None
    if text.strip() == "none":
        return []
    return [f.strip() for f in text.split(",") if f.strip()]


def main(args: argparse.Namespace) -> int:
    if args.mode == "validate" or args.validation:
        return validate(args)
    if args.mode == "replay":
        return replay(args)
    if args.file is not None:
        raise HarnessError(f"{args.file}: a file is only taken by 'harness fuzz replay FILE'")
    return fuzz(args)


def _tool_version(tool: Path) -> str | None:
    try:
        return subprocess.run([str(tool), "--version"], capture_output=True, text=True, timeout=30).stdout.strip()
    except (OSError, subprocess.TimeoutExpired):
        return None


def _versions(engines: list[str]) -> dict[str, str | None]:
    from ..adapters.registry import adapters

    out: dict[str, str | None] = {}
    for e in engines:
        a = adapters().get(e.partition(":")[0])
        out[e] = a.spec_version() if a is not None else None
    return out


def fuzz(args: argparse.Namespace) -> int:
    from ..results.run import recording
    from . import triage
    from .generate import choose_features, smith_tool
    from .runner import FuzzConfig, Fuzzer

    engines = resolve_engines(args.engines)
    pairs = [(e.partition(":")[0], e.partition(":")[2]) for e in engines]
    features = choose_features(pairs, _features(args.features))
    tool = smith_tool()
    seed = args.seed if args.seed is not None else random.SystemRandom().randrange(1 << 31)
    count = args.count if args.count is not None or args.time is not None else 100
    findings = args.findings or (REPO_ROOT / "reports" / "fuzz-findings")
    config = FuzzConfig(engines=engines, seed=seed, features=features, count=count, seconds=args.time,
                        start=args.start, jobs=args.jobs, timeout=args.timeout, fuel=args.fuel or None,
                        findings_dir=findings, minimise=args.minimise, shrink_attempts=args.shrink_attempts,
                        tool=tool, progress=not args.quiet)
    budget = f"{count} modules" if count else f"{args.time:.0f} s"
    feats = ", ".join(sorted(features.features)) or "2.0 without SIMD and reference types"
    print(f"[fuzz] seed {seed}; engines {', '.join(engines)}; features {feats}"
          + "".join(f"; {f} off ({', '.join(e)} {'lacks' if len(e) == 1 else 'lack'} it)"
                    for f, e in features.dropped.items() if e)
          + f"; {budget}; findings in {findings}", file=sys.stderr, flush=True)
    store = open_store(args)
    try:
        known = triage.known_signatures(store)
        extra = {"seed": seed, "features": sorted(features.features), "jobs": args.jobs, "timeout": args.timeout,
                 "fuel": args.fuel, "findings": str(findings)}
        with recording(store, "fuzz", command_line("fuzz"), _versions(engines), {"wasm-tools": _tool_version(tool)},
                       extra=extra) as run:
            fuzzer = Fuzzer(config, run, known)
            try:
                stats = fuzzer.go()
            finally:
                _summary(fuzzer)
            if fuzzer.interrupted:
                raise KeyboardInterrupt
    finally:
        if store is not None:
            store.close()
    return 1 if stats.new else 0


def _summary(f) -> None:  # noqa: ANN001 - runner.Fuzzer
    s = f.stats
    lines = ["", f"[fuzz] seed {f.c.seed}: {s.line()}"]
    if s.modules:
        per = ", ".join(f"{e} {ms / s.modules:.0f} ms" for e, ms in s.engine_ms.items())
        lines.append(f"[fuzz] mean time per module: {per}")
    for sig, n in s.signatures.most_common():
        tag = f"expected: {s.expected[sig]}" if sig in s.expected else "known" if f.known[sig] else "new"
        lines.append(f"  {n:>5}  {sig}  ({tag})")
    lines += [f"  fault: {m}" for m in s.faults[:20]]
    if len(s.faults) > 20:
        lines.append(f"  ... and {len(s.faults) - 20} more faults (stored in the run)")
    print("\n".join(lines), file=sys.stderr, flush=True)


def replay(args: argparse.Namespace) -> int:
    """One module on the engines: each engine's answer step by step, then the verdict."""
    from .compare import compare, describe
    from .engines import EngineWorker
    from .generate import choose_features
    from .plan import make_plan

    if args.file is None:
        raise HarnessError("harness fuzz replay FILE.wasm: name the module to run")
    try:
        wasm = args.file.read_bytes()
    except OSError as e:
        raise HarnessError(f"cannot read {args.file}: {e.strerror or e}") from None
    engines = resolve_engines(args.engines)
    feats = choose_features([(e.partition(":")[0], e.partition(":")[2]) for e in engines], None)
    name = args.name or args.file.stem
    plan = make_plan(wasm, name)
    answers = {}
    for e in engines:
        w = EngineWorker(e, timeout=args.timeout, fuel=args.fuel or None,
                         env={"HARNESS_WASM_VERSION": feats.wasm_version})
        try:
            answers[e] = w.run(wasm, plan.to_json())
        finally:
            w.close()
    steps = ["instantiate", *[c.describe() for c in plan.calls]]
    for e, a in answers.items():
        print(f"{e}:")
        if "fail" in a:
            print(f"  {a['fail']}: {a['k']}")
            continue
        if "compile" in a:
            print(f"  rejected: {a['compile']}")
            continue
        for label, obs in zip(steps, [a.get("inst"), *a.get("calls", [])], strict=False):
            if obs is not None:
                state = json.dumps(obs.get("s")) if obs.get("s") else ""
                print(f"  {label}: {describe(obs)} {state}")
    verdict = compare(answers, engines, steps[1:])
    print(f"verdict: {verdict.status}" + "".join(f"\n  note: {n}" for n in verdict.notes))
    for d in verdict.disagreements:
        print(f"  {d.kind} at {d.where}: {d.engines_key}")
        for e, s in d.said.items():
            print(f"    {e}: {s}")
    return 1 if verdict.disagreements else 0


def validate(args: argparse.Namespace) -> int:
    """Validation fuzzing (``harness.fuzz.validation``), recorded like an execution run."""
    from ..results.run import recording
    from ..results.store import ResultRow
    from .validation import run_validation_fuzz

    seed = args.seed if args.seed is not None else random.SystemRandom().randrange(1 << 31)
    count = args.count if args.count is not None or args.time is not None else 1000
    engines = [e for e in args.engines.split(",") if e.strip()]
    findings = args.findings or (REPO_ROOT / "reports" / "fuzz-findings" / "validation")
    store = open_store(args)

    def progress(p) -> None:  # noqa: ANN001 - validation.ValidationProgress
        if not args.quiet:
            print(f"[fuzz validate] {p.done} mutants, {p.rate:.1f}/s, {p.findings} findings", end="\r",
                  file=sys.stderr, flush=True)

    try:
        with recording(store, "fuzz", command_line("fuzz"), {e: None for e in engines}, {},
                       extra={"seed": seed, "mode": "validation"}) as run:
            report = run_validation_fuzz(engines, count, args.time, seed, args.jobs, progress,
                                         findings_dir=findings, timeout=min(args.timeout, 10.0), start=args.start)
            run.add([ResultRow(suite="fuzz-validation", file=f.signature, item=f"v{f.seed}:{f.index}",
                               engine=f.engine.partition(":")[0], tier=f.engine.partition(":")[2] or None,
                               metric="finding", value=f.size, unit="bytes",
                               outcome={"crash": "crash", "timeout": "timeout", "known": "xfail"}.get(f.category, "fail"),
                               message=f"{f.category}: {f.verdicts}", extra=f.to_json())
                     for f in report.findings])
            run.add([ResultRow(suite="fuzz-validation", file="totals", engine="harness", metric="mutants",
                               value=report.mutants, outcome="pass" if not report.findings else "fail",
                               extra={"mutants_per_second": report.mutants_per_second})])
            print("\n" + report.summary(), file=sys.stderr)
            if report.interrupted:
                raise KeyboardInterrupt
    finally:
        if store is not None:
            store.close()
    return 1 if report.findings else 0
