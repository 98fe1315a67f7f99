"""The startup ladder: how long it takes to run a program that does nothing, from native process spawn
through in-process wasm instantiation and wasm CLIs to a container started by the Docker engine.

Every process rung is measured the same way (spawn to reaped exit, from this process, through the
same rusage helper); in-process rungs time the same sequence inside this process with
``time.perf_counter``.  Our engine gets both kinds: in-process, and one process per run as ``harness perf``
runs it (``ours <tier> process``).  The cache state of each rung is recorded: ``cold`` (nothing cached,
compile from bytes), ``warm-cache`` (the engine's compile cache primed), ``precompiled`` (a .cwasm or serialized
module), ``in-memory`` (the compiled module is already in this process: instantiate + run only).
Docker: the image is built locally FROM scratch with the static native binary (no registry here);
``cold`` is the first container start after (re)building the image, ``warm`` the later ones.
Summarising the stored rungs is ``harness.analysis.startup``.
"""

from __future__ import annotations

import shutil
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from ..adapters.base import PERF, EngineSpec, Invocation, RunnerUnavailable
from ..adapters.registry import get_adapter
from ..results.labels import engine_label
from ..results.store import ResultRow
from ..text import clip, clip_start
from . import launch
from .builder import build_all, build_record
from .measure import loadavg, run_measured

SUITE = "perf-startup"
DOCKER_TAG = "harness-perf-trivial:latest"


def _row(rung: str, engine: str, tier: str | None, value: float | None, cache: str, method: str,
         argv: list[str] | str | None = None, outcome: str = "ok", message: str | None = None, rep: int = 0) -> ResultRow:
    return ResultRow(suite=SUITE, file=rung, item=cache, engine=engine, tier=tier, metric="startup_time",
                     value=value, unit="s", outcome=outcome, message=message,
                     extra={"cache": cache, "method": method, "argv": argv, "rep": rep, "loadavg": loadavg()})


def _programs() -> tuple[Path | None, Path | None, Path | None]:
    if any(build_record("trivial", t) is None for t in ("native64", "native32", "wasm32")):
        build_all(["trivial"], ["native64", "native32", "wasm32"], log=lambda s: None)
    paths = []
    for t in ("native64", "native32", "wasm32"):
        r = build_record("trivial", t)
        paths.append(Path(r.path) if r and r.ok else None)
    return tuple(paths)  # type: ignore[return-value]


def _process_rung(emit, rung, engine, tier, argv, cache, repeat, scratch: Path, prime: list[str] | None = None) -> None:
    if prime:
        run_measured(prime, None, scratch / "prime.out", 120)
    for rep in range(repeat):
        m = run_measured(argv, None, scratch / "out", 120)
        ok = m.returncode == 0
        emit([_row(rung, engine, tier, m.wall if ok else None, cache, "process spawn to reaped exit", argv,
                   "ok" if ok else ("timeout" if m.timed_out else "crash"),
                   None if ok else clip_start(m.stderr), rep)])


def _wasmtime_py_engine(tier: str, cache: bool):
    import wasmtime
    from wasmtime import _ffi as ffi

    cfg = wasmtime.Config()
    if tier == "winch":
        ffi.wasmtime_config_strategy_set(cfg.ptr(), 2)  # WASMTIME_STRATEGY_WINCH (not exposed by the wrapper)
    elif tier == "pulley":
        cfg.target = "pulley64"
    else:
        cfg.strategy = "cranelift"
    if cache:
        cfg.cache = True
    return wasmtime.Engine(cfg)


def _run_start(engine, module) -> None:
    import wasmtime

    linker = wasmtime.Linker(engine)
    linker.define_wasi()
    store = wasmtime.Store(engine)
    store.set_wasi(wasmtime.WasiConfig())
    inst = linker.instantiate(store, module)
    try:
        inst.exports(store)["_start"](store)
    except wasmtime.ExitTrap as e:
        if e.code != 0:
            raise


def _inprocess_rungs(emit, wasm: Path, tiers: list[str], repeat: int) -> None:
    import wasmtime

    data = wasm.read_bytes()
    for tier in tiers:
        method = "in-process wasmtime-py: compile? + instantiate + _start, perf_counter"
        try:
            # cold: a fresh engine without cache compiles from bytes every time
            for rep in range(repeat):
                eng = _wasmtime_py_engine(tier, cache=False)
                t0 = time.perf_counter()
                mod = wasmtime.Module(eng, data)
                _run_start(eng, mod)
                emit([_row(f"wasmtime-py {tier} cold compile", "wasmtime-py", tier, time.perf_counter() - t0,
                           "cold", method, rep=rep)])
            # warm compile cache: prime once, then each fresh engine finds the code in the cache
            eng = _wasmtime_py_engine(tier, cache=True)
            _run_start(eng, wasmtime.Module(eng, data))
            for rep in range(repeat):
                eng = _wasmtime_py_engine(tier, cache=True)
                t0 = time.perf_counter()
                mod = wasmtime.Module(eng, data)
                _run_start(eng, mod)
                emit([_row(f"wasmtime-py {tier} warm cache", "wasmtime-py", tier, time.perf_counter() - t0,
                           "warm-cache", method, rep=rep)])
            # precompiled: deserialize a serialized module
            eng = _wasmtime_py_engine(tier, cache=False)
            blob = wasmtime.Module(eng, data).serialize()
            for rep in range(repeat):
                t0 = time.perf_counter()
                mod = wasmtime.Module.deserialize(eng, blob)
                _run_start(eng, mod)
                emit([_row(f"wasmtime-py {tier} precompiled", "wasmtime-py", tier, time.perf_counter() - t0,
                           "precompiled", method, rep=rep)])
            # in-memory: the module is compiled already; a new store + instance each time
            mod = wasmtime.Module(eng, data)
            for rep in range(repeat):
                t0 = time.perf_counter()
                _run_start(eng, mod)
                emit([_row(f"wasmtime-py {tier} instantiate", "wasmtime-py", tier, time.perf_counter() - t0,
                           "in-memory", method, rep=rep)])
        except Exception as e:  # noqa: BLE001 - one tier failing must not stop the ladder
            emit([_row(f"wasmtime-py {tier} cold compile", "wasmtime-py", tier, None, "cold", method,
                       outcome="crash", message=clip(str(e)))])


def _ours_rungs(emit, wasm: Path, tiers: list[str], repeat: int, log) -> None:
    """Our engine in-process: decode + validate + instantiate + _start of the trivial program."""
    try:
        from ..engine.wasi.host import WasiConfig
        from ..engine.wasi.run import run_module
    except ImportError:
        log("startup: our engine's WASI runner is not in this checkout; ours rungs skipped")
        return
    data = wasm.read_bytes()
    method = "in-process harness.engine.wasi.run_module (decode, validate, instantiate, _start), perf_counter"
    for tier in tiers:
        for rep in range(repeat):
            t0 = time.perf_counter()
            try:
                code = run_module(data, WasiConfig(args=["trivial.wasm"]), tier=tier)
            except Exception as e:  # noqa: BLE001 - a failing tier is a row, not the end of the ladder
                emit([_row(f"ours {tier} in-process", "ours", tier, None, "cold", method, outcome="crash",
                           message=clip(str(e)), rep=rep)])
                break
            dt = time.perf_counter() - t0
            # the first call pays imports and any compile; later ones may hit the engine's in-process caches
            cache = "cold" if rep == 0 else "warm-process"
            emit([_row(f"ours {tier} in-process", "ours", tier, dt if code == 0 else None, cache, method,
                       outcome="ok" if code == 0 else "crash", rep=rep)])


def _ours_process_rungs(emit, wasm: Path, tiers: list[str], repeat: int, scratch: Path, log) -> None:
    """Our engine as ``harness perf`` runs it: one Python process per run (``python -m harness.wasi.child``),
    so the rung includes the interpreter's start and the engine's imports.  The LLVM tier is primed once,
    so its rung is a warm start from the object cache (a cold one is a compile: see ``--metrics compile``)."""
    for tier in tiers:
        try:
            inv = launch.invocation(launch.Variant(EngineSpec("ours", tier)), wasm, [], scratch)
        except RunnerUnavailable as e:
            log(f"startup: {engine_label('ours', tier)}: {e}")
            continue
        cache = "warm-cache" if tier != "interp" else "n/a"
        _process_rung(emit, f"ours {tier} process", "ours", tier, inv.argv, cache, repeat, scratch,
                      prime=inv.argv if tier != "interp" else None)


def _wasmtime_cli_rungs(emit, wasm: Path, tier: str, repeat: int, scratch: Path, log) -> None:
    """The wasmtime CLI with the command lines its adapter gives ``harness perf``: compiling every run, from
    its compile cache once primed, and running its precompiled module."""
    adapter = get_adapter("wasmtime")
    try:
        adapter.check(tier, PERF)
        cold = adapter.run_command(tier, Invocation(wasm), scratch)
        warm = adapter.run_command(tier, Invocation(wasm, compile_cache=True), scratch)
    except RunnerUnavailable as e:
        log(f"startup: {e}")
        return
    _process_rung(emit, f"wasmtime CLI {tier} cold", "wasmtime", tier, cold, "cold", repeat, scratch)
    _process_rung(emit, f"wasmtime CLI {tier} warm cache", "wasmtime", tier, warm, "warm-cache", repeat, scratch,
                  prime=warm)
    try:
        adapter.precompile(tier, wasm)
        precompiled = adapter.run_command(tier, Invocation(wasm, precompiled=True), scratch)
    except RunnerUnavailable as e:
        log(f"startup: {e}")
        return
    _process_rung(emit, f"wasmtime CLI {tier} precompiled", "wasmtime", tier, precompiled, "precompiled", repeat,
                  scratch)


def _docker_rungs(emit, native: Path, repeat: int, log) -> None:
    method = "docker SDK containers.run(remove=True), call to return"
    try:
        import docker

        client = docker.from_env()
        client.ping()
    except Exception as e:  # noqa: BLE001
        emit([_row("docker run (FROM scratch)", "docker", None, None, "cold", method, outcome="unsupported",
                   message=clip(f"Docker engine not reachable: {e}"))])
        return
    with tempfile.TemporaryDirectory() as td:
        shutil.copy2(native, Path(td) / "trivial")
        (Path(td) / "Dockerfile").write_text("FROM scratch\nCOPY trivial /trivial\nENTRYPOINT [\"/trivial\"]\n")
        try:
            client.images.remove(DOCKER_TAG, force=True)
        except Exception:  # noqa: BLE001 - not there yet
            pass
        client.images.build(path=td, tag=DOCKER_TAG, rm=True)
    argv = ["docker", "run", "--rm", DOCKER_TAG]
    t0 = time.perf_counter()
    client.containers.run(DOCKER_TAG, remove=True)
    emit([_row("docker run (FROM scratch)", "docker", None, time.perf_counter() - t0, "cold",
               method + "; first start after building the image", argv)])
    for rep in range(repeat):
        t0 = time.perf_counter()
        client.containers.run(DOCKER_TAG, remove=True)
        emit([_row("docker run (FROM scratch)", "docker", None, time.perf_counter() - t0, "warm", method, argv,
                   rep=rep)])
    log(f"docker rungs done (image {DOCKER_TAG})")


def run_ladder(emit: Callable[[list[ResultRow]], None], repeat: int = 10, docker: bool = True,
               engines: list[EngineSpec] | None = None, log=print) -> None:
    native64, native32, wasm = _programs()
    # Short rungs are cheap and noisy on a shared machine: take more samples of them.
    fast_repeat = max(repeat, 20)
    scratch = Path(tempfile.mkdtemp(prefix="harness-startup-"))
    try:
        if native64:
            _process_rung(emit, "native64 process", "native64", None, [str(native64)], "n/a", fast_repeat, scratch)
        if native32:
            _process_rung(emit, "native32 process", "native32", None, [str(native32)], "n/a", fast_repeat, scratch)
        if wasm is None:
            log("startup: trivial.wasm did not build; wasm rungs skipped")
            return
        tiers = sorted({e.tier for e in engines or [] if e.runtime == "wasmtime"} or {"cranelift"})
        try:
            import wasmtime  # noqa: F401

            _inprocess_rungs(emit, wasm, tiers, fast_repeat)
        except ImportError:
            log("startup: the wasmtime Python package is not installed; in-process rungs skipped")
        ours = sorted({e.tier for e in engines or [] if e.runtime == "ours"} | {"interp"})
        _ours_rungs(emit, wasm, ours, fast_repeat, log)
        _ours_process_rungs(emit, wasm, ours, fast_repeat, scratch, log)
        for tier in tiers:
            _wasmtime_cli_rungs(emit, wasm, tier, fast_repeat, scratch, log)
        for tier in sorted({e.tier for e in engines or [] if e.runtime == "v8"} or {"turbofan"}):
            try:
                inv = launch.invocation(launch.Variant(EngineSpec("v8", tier)), wasm, [], scratch)
            except RunnerUnavailable as e:
                log(f"startup: {e}")
                continue
            _process_rung(emit, f"node v8 {tier}", "v8", tier, inv.argv, "cold", repeat, scratch)
        if docker and native64:
            _docker_rungs(emit, native64, max(repeat, 10), log)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
