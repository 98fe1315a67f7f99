"""Orchestration of a perf run: prepare inputs and references, warm up, then measure every
(workload, engine) unit ``repeat`` times in an order shuffled each round, so that slow drifts of the
machine (other jobs, thermal state) spread over all engines instead of biasing one; within a round the
engines of one workload run one after another (``round_order``), so the samples a ratio divides were
taken close together.

Every measurement becomes result rows in the store as soon as it is taken (a crash later loses
nothing).  A unit that fails (build failure, crash, timeout, wrong output) gets one row saying so and
the run goes on.
"""

from __future__ import annotations

import os
import random
import shutil
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from ..adapters.base import EngineSpec, RunnerUnavailable
from ..adapters.registry import get_adapter
from ..errors import HarnessError
from ..results.store import ResultRow
from ..text import LINE, clip, clip_start
from . import launch
from .builder import binary_path, build_record, needs_libc, perf_cache
from .checks import digest
from .inputs import DEFAULT_SEED, input_file
from .launch import Invocation, Variant
from .measure import loadavg, run_measured
from .recipes import Workload, load_programs
from .targets import TARGETS

SUITE = "perf"
SMALL_DIVISOR = 16  # slow engines get 1/16 of the compressor input


@dataclass
class PerfConfig:
    variants: list[Variant]
    workloads: list[Workload]
    metrics: set[str]
    baseline: str = "native64"
    repeat: int = 5
    warmup: int = 1
    size_mb: float = 8.0
    seed: int = DEFAULT_SEED
    timeout: float = 300.0
    scratch: Path = field(default_factory=lambda: perf_cache() / "scratch")


@dataclass
class Unit:
    """One workload at one size class on one engine variant."""

    workload: Workload
    size_class: str  # full / small
    variant: Variant
    program: Path | None = None
    stdin: Path | None = None
    args: list[str] = field(default_factory=list)
    invocation: Invocation | None = None
    expected: str | None = None
    failed: str | None = None  # outcome once failed: no more repeats
    extra: dict = field(default_factory=dict)

    @property
    def key(self) -> str:
        return f"{self.workload.name}/{self.size_class}/{self.variant.label}"


class Progress:
    def __init__(self, total: int, stream=sys.stderr) -> None:
        self.total, self.done, self.stream, self.t0 = total, 0, stream, time.time()

    def step(self, text: str) -> None:
        self.done += 1
        el = time.time() - self.t0
        self.stream.write(f"[{self.done:4d}/{self.total}] {el:6.0f}s  {text}\n")
        self.stream.flush()


def engine_versions(variants: list[Variant]) -> dict[str, str | None]:
    out: dict[str, str | None] = {}
    for v in variants:
        if v.engine.name not in out:
            try:
                out[v.engine.name] = get_adapter(v.engine.runtime).version()
            except Exception as e:  # a version probe must never stop a run
                out[v.engine.name] = f"unknown ({e})"
    return out


def _scale(w: Workload, size_class: str) -> int | None:
    if w.scale is None:
        return None
    return w.slow_scale if (size_class == "small" and w.slow_scale) else w.scale


def _input_bytes(cfg: PerfConfig, w: Workload, size_class: str) -> int:
    size = int(cfg.size_mb * w.input_fraction * (1 << 20))
    return max(64 * 1024, size // SMALL_DIVISOR if size_class == "small" else size)


class PerfRunner:
    def __init__(self, cfg: PerfConfig, emit: Callable[[list[ResultRow]], None], log=print) -> None:
        self.cfg, self.emit, self.log = cfg, emit, log
        self.refs: dict[tuple[str, str], tuple[Path, str]] = {}  # (workload, class) -> (output, digest)
        self.inputs: dict[str, tuple[Path, str]] = {}
        self.cores = os.cpu_count() or 1
        cfg.scratch.mkdir(parents=True, exist_ok=True)

    # -- preparation ------------------------------------------------------------------------------
    def _input_for(self, w: Workload, size_class: str) -> tuple[Path | None, str | None]:
        if w.stdin is None:
            return None, None
        if w.stdin == "input":
            n = _input_bytes(self.cfg, w, size_class)
            key = f"{n}"
            if key not in self.inputs:
                self.inputs[key] = input_file(perf_cache() / "inputs", n, self.cfg.seed)
            return self.inputs[key]
        other = w.stdin.removesuffix(".out")
        ref = self.refs.get((other, size_class))
        if ref is None:
            return None, None
        return ref

    def _reference(self, w: Workload, size_class: str) -> str | None:
        """Run the baseline build once to get the expected output (its digest)."""
        if (w.name, size_class) in self.refs:
            return self.refs[(w.name, size_class)][1]
        ref_target = "native64"
        rec = build_record(w.program, ref_target)
        if not rec or not rec.ok:
            return None
        stdin, _ = self._input_for(w, size_class)
        if w.stdin and stdin is None:
            return None
        out = self.cfg.scratch / "ref" / f"{w.name}.{size_class}.out"
        out.parent.mkdir(parents=True, exist_ok=True)
        args = w.argv(_scale(w, size_class))
        m = run_measured([str(binary_path(w.program, ref_target)), *args], stdin, out, self.cfg.timeout)
        if m.returncode != 0:
            self.log(f"reference run of {w.name} on native64 failed (exit {m.returncode}): {clip_start(m.stderr.strip(), LINE)}")
            return None
        d = digest(out, w.check, w.normalize)
        if w.check == "stdout-equals-input":
            want = self._original_input_digest(w, size_class)
            if want and want != d:
                self.log(f"reference output of {w.name} is not the original input: the round trip is broken")
                return None
        self.refs[(w.name, size_class)] = (out, d)
        return d

    def _original_input_digest(self, w: Workload, size_class: str) -> str | None:
        n = _input_bytes(self.cfg, w, size_class)
        return self.inputs.get(f"{n}", (None, None))[1]

    def plan(self) -> list[Unit]:
        cfg = self.cfg
        classes = {"full"}
        if any(v.slow for v in cfg.variants):
            classes.add("small")
        units: list[Unit] = []
        programs = load_programs()
        for w in cfg.workloads:
            for v in cfg.variants:
                if v.build and w.program in programs and needs_libc(programs[w.program], TARGETS[v.build]):
                    continue  # no freestanding build of this program by design: nothing to measure
                size_class = "small" if v.slow else "full"
                units.append(self._unit(w, size_class, v))
                if v.engine.name == cfg.baseline and "small" in classes:
                    units.append(self._unit(w, "small", v))
        return units

    def _unit(self, w: Workload, size_class: str, v: Variant) -> Unit:
        u = Unit(w, size_class, v)
        u.args = w.argv(_scale(w, size_class))
        u.extra = {"mode": v.mode, "size_class": size_class, "label": v.label, "scale": _scale(w, size_class),
                   "program": w.program, "target": v.target, "slow_engine": v.slow}
        if w.stands_in:
            u.extra["stands_in"] = w.stands_in
        if v.build:
            u.extra["build"] = v.build
            u.extra["base_label"] = v.base_label
        missing = v.missing_feature()
        if missing:
            u.failed, u.extra["why"] = "unsupported", missing
            return u
        rec = build_record(w.program, v.target)
        if rec is None:
            u.failed, u.extra["why"] = "build-failed", f"{w.program} was not built for {v.target}: run `harness perf build`"
            return u
        if not rec.ok:
            u.failed, u.extra["why"] = "build-failed", f"{w.program} does not build for {v.target}: {clip(rec.message)}"
            return u
        u.program = Path(rec.path)
        u.extra["program_sha256"] = rec.sha256
        try:
            if v.mode == "aot":
                get_adapter(v.engine.runtime).precompile(v.engine.tier, u.program)
            u.invocation = launch.invocation(v, u.program, u.args, self.cfg.scratch / _safe(u.key))
        except RunnerUnavailable as e:
            u.failed, u.extra["why"] = "unsupported", str(e)
        except Exception as e:  # noqa: BLE001 - any engine problem is that unit's failure, not the run's
            u.failed, u.extra["why"] = "crash", f"cannot prepare: {e}"
        return u

    def prepare(self, units: list[Unit]) -> None:
        for u in units:
            if u.failed:
                continue
            w = u.workload
            u.expected = self._reference(w, u.size_class)
            u.stdin, isha = self._input_for(w, u.size_class)
            if w.stdin and u.stdin is None:
                u.failed, u.extra["why"] = "build-failed", f"input of {w.name} needs {w.stdin}, which is not available"
                continue
            if isha:
                u.extra["input_sha256"] = isha
                u.extra["input_bytes"] = u.stdin.stat().st_size
            if w.check == "stdout-equals-input":
                u.expected = self._original_input_digest(w, u.size_class) or u.expected
            (self.cfg.scratch / _safe(u.key)).mkdir(parents=True, exist_ok=True)

    # -- measuring --------------------------------------------------------------------------------
    def measure_unit(self, u: Unit, rep: int, record: bool) -> list[ResultRow]:
        assert u.invocation is not None
        d = self.cfg.scratch / _safe(u.key)
        d.mkdir(parents=True, exist_ok=True)
        out = d / "stdout"
        inv = u.invocation
        if inv.phases_file:
            inv.phases_file.unlink(missing_ok=True)
        load0 = loadavg()
        m = run_measured(inv.argv, u.stdin, out, self.cfg.timeout)
        if m.timed_out:
            outcome = "timeout"
        elif m.returncode != 0:
            lacks = get_adapter(u.variant.engine.runtime).lacks(m.stderr)
            outcome = "unsupported" if lacks else "crash"
        elif u.expected is None:
            outcome = "ok"  # no reference: timing kept, output unchecked (flagged in extra)
        else:
            outcome = "ok" if digest(out, u.workload.check, u.workload.normalize) == u.expected else "wrong-output"
        extra = dict(u.extra, argv=inv.argv, shell=inv.shell(u.stdin, Path("OUT")), rep=rep,
                     loadavg=load0, user=m.user, sys=m.sys, checked=u.expected is not None, warmup=not record)
        msg = None
        if outcome != "ok":
            msg = (f"unsupported: {lacks} (exit {m.returncode})" if outcome == "unsupported" else
                   f"{outcome}: exit {m.returncode}" + (f"; stderr: {clip_start(m.stderr.strip())}" if m.stderr.strip() else "")
                   if outcome != "wrong-output" else "output differs from native64's (same sources)")
            u.failed = outcome
        if not record and outcome == "ok":
            return []
        base = dict(suite=SUITE, file=u.workload.name, item=u.size_class, engine=u.variant.engine.runtime,
                    tier=u.variant.engine.tier or None)
        rows = [ResultRow(metric="wall_time", value=m.wall if outcome == "ok" else None, unit="s",
                          outcome=outcome, message=msg, extra=extra, **base)]
        if outcome == "ok":
            # CPU time (user+sys of the whole process tree) is far less sensitive than wall time to other
            # jobs on a shared machine; multi-threaded compilers make it larger than wall time.
            rows.append(ResultRow(metric="cpu_time", value=m.user + m.sys, unit="s", outcome="ok",
                                  extra={**u.extra, "rep": rep, "argv": inv.argv, "loadavg": load0}, **base))
        if outcome == "ok" and "memory" in self.cfg.metrics:
            rows.append(ResultRow(metric="peak_rss", value=float(m.max_rss_kb), unit="KiB", outcome="ok",
                                  extra={**u.extra, "rep": rep, "exact": m.rss_exact, "argv": inv.argv},
                                  **base))
            if m.vm_peak_kb is not None:
                rows.append(ResultRow(metric="vm_peak", value=float(m.vm_peak_kb), unit="KiB", outcome="ok",
                                      extra={**u.extra, "rep": rep, "lower_bound": True, "argv": inv.argv},
                                      **base))
        if outcome == "ok" and inv.phases_file and inv.phases_file.exists():
            import json

            ph = json.loads(inv.phases_file.read_text())
            for key, metric in (("compile_ms", "compile_time"), ("instantiate_ms", "instantiate_time"),
                                ("execute_ms", "execute_time")):
                if key in ph:
                    rows.append(ResultRow(metric=metric, value=ph[key] / 1000, unit="s", outcome="ok",
                                          extra={**u.extra, "rep": rep, "argv": inv.argv,
                                                 "source": "node driver performance.now()"},
                                          **base))
        return rows

    def measure_compile(self, wasm: Path, engine: EngineSpec, rep: int, programs: str) -> list[ResultRow]:
        """The runtime's ahead-of-time compiler (``wasmtime compile``) into a scratch file, cache off."""
        tmp = self.cfg.scratch / f"compile-{wasm.stem}-{engine.tier}.cwasm"
        argv = get_adapter(engine.runtime).compile_command(engine.tier, wasm, tmp)
        m = run_measured(argv, None, self.cfg.scratch / f"compile-{wasm.stem}-{engine.tier}.log", self.cfg.timeout)
        ok = m.returncode == 0 and tmp.exists()
        base = dict(suite=SUITE, file=f"compile:{wasm.stem}", item="full", engine=engine.runtime, tier=engine.tier)
        extra = {"argv": argv, "rep": rep, "program": wasm.stem, "mode": "compile", "label": engine.name,
                 "cache": "cold (cache=n)", "loadavg": loadavg(), "wasm_bytes": wasm.stat().st_size,
                 "used_by": programs}
        rows = [ResultRow(metric="compile_time", value=m.wall if ok else None, unit="s",
                          outcome="ok" if ok else "crash", message=None if ok else clip_start(m.stderr), extra=extra, **base)]
        if ok:
            rows.append(ResultRow(metric="code_size", value=float(tmp.stat().st_size), unit="B", outcome="ok",
                                  extra=extra, **base))
            rows.append(ResultRow(metric="peak_rss", value=float(m.max_rss_kb), unit="KiB", outcome="ok",
                                  extra=extra, **base))
        return rows

    def measure_compile_ours(self, wasm: Path, tier: str, rep: int, programs: str) -> list[ResultRow]:
        """ours:llvm through ``python -m harness.engine.tiers.llvm`` (ours:singlepass through its own
        ``python -m harness.engine.tiers.singlepass``, the same figures): cold into an empty object cache
        (``compile_time``: the whole process, as for ``wasmtime compile``; translate/LLVM split in extra),
        then warm from it (``warm_start_time``: decode the module's declarations, load the cached object)."""
        import json

        cache = self.cfg.scratch / f"{tier}-cache-{wasm.stem}-{rep}"
        shutil.rmtree(cache, ignore_errors=True)
        argv = [sys.executable, "-m", f"harness.engine.tiers.{tier}", "--json", "--cache-dir", str(cache), str(wasm)]
        launch.compile_bytecode()
        base = dict(suite=SUITE, file=f"compile:{wasm.stem}", item="full", engine="ours", tier=tier)
        rows = []
        for metric, state in (("compile_time", "cold"), ("warm_start_time", "warm")):
            log = self.cfg.scratch / f"compile-{wasm.stem}-ours-{state}.json"
            m = run_measured(argv, None, log, self.cfg.timeout)
            ok = m.returncode == 0 and not m.timed_out
            extra = {"argv": argv, "rep": rep, "program": wasm.stem, "mode": "compile", "label": f"ours:{tier}",
                     "cache": f"{state} (object cache {'empty' if state == 'cold' else 'filled by the cold run'})",
                     "loadavg": loadavg(), "wasm_bytes": wasm.stat().st_size, "used_by": programs}
            if ok:
                try:
                    extra["phases"] = json.loads(log.read_text())
                except (OSError, ValueError):
                    pass
            rows.append(ResultRow(metric=metric, value=m.wall if ok else None, unit="s",
                                  outcome="ok" if ok else ("timeout" if m.timed_out else "crash"),
                                  message=None if ok else clip_start(m.stderr), extra=extra, **base))
            if ok and state == "cold" and "phases" in extra:
                rows.append(ResultRow(metric="code_size", value=float(extra["phases"]["object_bytes"]), unit="B",
                                      outcome="ok", extra=extra, **base))
            if not ok:
                break
        shutil.rmtree(cache, ignore_errors=True)
        return rows

    def measure_instructions(self, u: Unit) -> list[ResultRow]:
        """The unit's instruction count, once (``instructions``: hardware counters or valgrind)."""
        from .instructions import SLOWDOWN, count

        assert u.invocation is not None
        c = count(u.invocation.argv, u.stdin, self.cfg.timeout * SLOWDOWN)
        return [ResultRow(suite=SUITE, file=u.workload.name, item=u.size_class, engine=u.variant.engine.runtime,
                          tier=u.variant.engine.tier or None, metric="instructions",
                          value=float(c.value) if c.value is not None else None, unit="instructions",
                          outcome="ok" if c.value is not None else ("timeout" if "timeout" in (c.message or "") else "unsupported"),
                          message=c.message, extra={**u.extra, "argv": u.invocation.argv, "counter": c.source})]

    # -- the run ----------------------------------------------------------------------------------
    def run(self) -> list[Unit]:
        cfg = self.cfg
        units = self.plan()
        self.prepare(units)
        for u in units:
            if u.failed:
                self.emit([ResultRow(suite=SUITE, file=u.workload.name, item=u.size_class,
                                     engine=u.variant.engine.runtime, tier=u.variant.engine.tier or None,
                                     metric="wall_time", outcome=u.failed, message=u.extra.get("why"),
                                     extra=dict(u.extra))])
        live = [u for u in units if not u.failed]
        compiles: list[tuple[Path, EngineSpec, str]] = []
        if "compile" in cfg.metrics:
            seen: dict[tuple[Path, EngineSpec], list[str]] = {}
            for u in live:
                e = u.variant.engine
                if (get_adapter(e.runtime).precompiles or e.name in ("ours:llvm", "ours:singlepass")) \
                        and u.variant.mode == "jit" \
                        and u.program:
                    seen.setdefault((u.program, e), []).append(u.workload.name)
            compiles = [(p, e, ",".join(ws)) for (p, e), ws in seen.items()]
        measured = "throughput" in cfg.metrics or "memory" in cfg.metrics
        total = (len(live) * (cfg.warmup + cfg.repeat) if measured else 0) + len(compiles) * cfg.repeat
        prog = Progress(total)
        if measured and any(u.variant.engine.name == "ours:llvm" for u in live):
            where = ("in the warm-up; measured runs load it from its cache" if cfg.warmup else
                     "and with --warmup 0 that is the first measured run, unless its cache already has it")
            prog.stream.write("note: ours:llvm compiles a program the first time it runs it (seconds; about "
                              f"a minute for sqlite), {where}\n")
        if measured:
            for _ in range(cfg.warmup):
                for u in live:
                    if u.failed:
                        continue
                    self.emit(self.measure_unit(u, -1, record=False))
                    prog.step(f"warm-up  {u.key}{'  ' + u.failed if u.failed else ''}")
        for rep in range(cfg.repeat):
            order = round_order(live if measured else [], compiles, random.Random(cfg.seed * 1000 + rep))
            for kind, item in order:
                if kind == "run":
                    u = item
                    if u.failed:
                        prog.step(f"skip     {u.key} ({u.failed})")
                        continue
                    rows = self.measure_unit(u, rep, record=True)
                    self.emit(rows)
                    wall = rows[0].value
                    prog.step(f"run {rep + 1}/{cfg.repeat}  {u.key}  "
                              + (f"{wall:.3f} s" if wall is not None else rows[0].outcome or "?")
                              + f"  load {loadavg():.1f}")
                else:
                    wasm, engine, used = item
                    if engine.runtime == "ours":
                        rows = self.measure_compile_ours(wasm, engine.tier, rep, used)
                    else:
                        rows = self.measure_compile(wasm, engine, rep, used)
                    self.emit(rows)
                    v = rows[0].value
                    prog.step(f"compile {rep + 1}/{cfg.repeat}  {wasm.name} {engine.name}  "
                              + (f"{v:.3f} s" if v is not None else "FAILED"))
        if "instructions" in cfg.metrics:
            for u in live:
                if not u.failed:
                    rows = self.measure_instructions(u)
                    self.emit(rows)
                    self.log(f"instructions  {u.key}  {rows[0].value or rows[0].message}  ({rows[0].extra['counter']})")
        return units


def round_order(units: list[Unit], compiles: list, rng: random.Random) -> list[tuple[str, object]]:
    """One round's measurements: the engines of one workload (at one size) one after another, in a
    shuffled order, and the workloads' blocks and the compiles shuffled among themselves.

    Every ratio the report gives is between engines on one workload, so their samples of a round are
    taken close together in time: a machine that changes speed during a round moves them alike
    (``analysis.container_twins`` pairs them by round), and the shuffles keep any engine from always
    going first."""
    blocks: dict[tuple[str, str], list[tuple[str, object]]] = {}
    for u in units:
        blocks.setdefault((u.workload.name, u.size_class), []).append(("run", u))
    groups = list(blocks.values()) + [[("compile", c)] for c in compiles]
    for g in groups:
        rng.shuffle(g)
    rng.shuffle(groups)
    return [item for g in groups for item in g]


def _safe(s: str) -> str:
    return "".join(c if c.isalnum() or c in "-._" else "_" for c in s)


WASM_BUILDS = ("wasm32", "wasm32-free", "wasm64")


def variants_for(engines: list[EngineSpec], metrics: set[str], builds: tuple[str, ...] = ("wasm32",)) -> list[Variant]:
    """Engines plus, with the compile metric, the precompiled form of each engine that has one (wasmtime).

    ``builds``: which builds of each program the wasm engines run: ``wasm32`` (the WASI libc build, every
    engine's own) and/or the pointer study's freestanding pair ``wasm32-free`` and ``wasm64``; engines that
    run native executables run their own build whatever is asked."""
    bad = [b for b in builds if b not in WASM_BUILDS]
    if bad or not builds:
        raise HarnessError(f"unknown wasm build(s) {', '.join(bad) or '(none)'}; known: {', '.join(WASM_BUILDS)}")
    out: list[Variant] = []
    for mode in ("jit", "aot"):
        for e in engines:
            adapter = get_adapter(e.runtime)
            if mode == "aot" and not ("compile" in metrics and adapter.precompiles):
                continue
            if adapter.program_target != "wasm32":
                # its own build: native code as it is; another wasm build named in the label ([wasm32-mvp])
                own = TARGETS.get(adapter.program_target)
                out.append(Variant(e, mode, own.name if own is not None and own.wasm else None))
                continue
            out += [Variant(e, mode, None if b == "wasm32" else b) for b in builds]
    return out
