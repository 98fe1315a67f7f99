"""Claim 6 (emulated foreign architecture vs native vs wasm): the foreign64 target, the qemu-user
engine and the verdict computed from stored rows."""

import math
import shutil

import pytest

from harness.adapters import native, registry
from harness.adapters.base import PERF, EngineSpec, RunnerUnavailable
from harness.adapters.native import QemuUserAdapter, foreign_arch
from harness.adapters.registry import get_adapter, parse_engines
from harness.analysis.claims import CLAIM6_RULE, claim6
from harness.analysis.perf_table import Line
from harness.perf import launch
from harness.perf.launch import Variant
from harness.perf.targets import TARGETS, compile_argv, foreign_triple
from harness.report.perf import render_perf_report
from harness.results.store import ResultRow, ResultsStore


# -- the target ------------------------------------------------------------------------------------
def test_foreign_triple_is_the_other_64_bit_architecture():
    assert foreign_triple("x86_64") == "aarch64-linux-musl"
    assert foreign_triple("aarch64") == "x86_64-linux-musl"
    assert foreign_triple("arm64") == "x86_64-linux-musl"
    assert foreign_arch("riscv64") is None


def test_foreign64_is_built_like_native64_with_only_the_triple_changed():
    t = TARGETS["foreign64"]
    assert t.foreign and t.static and not t.wasm and t.pointer_bits == 64
    assert t.triple == foreign_triple()
    args = (["a.c", "b.c"], "OUT", ["inc"], ["-DX=1"], ["-D_WASI_EMULATED_SIGNAL"], ["-lwasi-emulated-signal"])
    foreign = compile_argv(t, *args)
    native = compile_argv(TARGETS["native64"], *args)
    i = foreign.index("-target")
    assert foreign[i + 1] == t.triple and native[i + 1] == "x86_64-linux-musl"
    assert foreign[:i + 1] + foreign[i + 2:] == native[:i + 1] + native[i + 2:]
    assert "-static" in foreign and "-O2" in foreign and "-D_WASI_EMULATED_SIGNAL" not in foreign


# -- the engine ------------------------------------------------------------------------------------
def _which(found: dict[str, str]):
    return lambda name: found.get(name)


def test_qemu_user_is_a_perf_engine_running_the_foreign_build():
    assert parse_engines("qemu-user", capability=PERF) == [EngineSpec("qemu-user", "")]
    v = Variant(EngineSpec("qemu-user", ""))
    assert v.target == "foreign64" and v.label == "qemu-user"
    assert "qemu-user" in registry.adapters()


def test_qemu_user_available_with_emulator_and_zig(monkeypatch):
    monkeypatch.setattr(shutil, "which", _which({"qemu-aarch64-static": "/usr/bin/qemu-aarch64-static"}))
    monkeypatch.setattr(native, "has_module", lambda name: True)
    a = QemuUserAdapter(machine="x86_64")
    assert a.available("")
    assert str(a.binary()) == "/usr/bin/qemu-aarch64-static"


def test_qemu_user_falls_back_to_the_dynamic_emulator(monkeypatch):
    monkeypatch.setattr(shutil, "which", _which({"qemu-x86_64": "/usr/bin/qemu-x86_64"}))
    monkeypatch.setattr(native, "has_module", lambda name: True)
    a = QemuUserAdapter(machine="aarch64")
    assert a.available("") and str(a.binary()) == "/usr/bin/qemu-x86_64"


def test_qemu_user_why_not_without_emulator(monkeypatch):
    monkeypatch.setattr(shutil, "which", _which({}))
    monkeypatch.setattr(native, "has_module", lambda name: True)
    av = QemuUserAdapter(machine="x86_64").available("")
    assert not av and "qemu-aarch64-static" in av.reason and "qemu-user-static" in av.install


def test_qemu_user_why_not_without_zig(monkeypatch):
    monkeypatch.setattr(shutil, "which", _which({"qemu-aarch64-static": "/usr/bin/qemu-aarch64-static"}))
    monkeypatch.setattr(native, "has_module", lambda name: name != "ziglang")
    av = QemuUserAdapter(machine="x86_64").available("")
    assert not av and "zig" in av.reason and "ziglang" in av.install


def test_qemu_user_why_not_on_an_unpaired_host():
    av = QemuUserAdapter(machine="riscv64").available("")
    assert not av and "riscv64" in av.reason


def test_invocation_runs_the_program_under_the_emulator(monkeypatch, tmp_path):
    monkeypatch.setattr(shutil, "which", _which({f"qemu-{foreign_arch()}-static": "/opt/qemu-static"}))
    monkeypatch.setattr(native, "has_module", lambda name: True)
    inv = launch.invocation(Variant(EngineSpec("qemu-user", "")), tmp_path / "prog", ["-9", "-c"], tmp_path)
    assert inv.argv == ["/opt/qemu-static", str(tmp_path / "prog"), "-9", "-c"]


def test_invocation_says_why_when_the_emulator_is_missing(monkeypatch, tmp_path):
    monkeypatch.setattr(shutil, "which", _which({}))
    with pytest.raises(RunnerUnavailable, match="qemu-user-static"):
        launch.invocation(Variant(EngineSpec("qemu-user", "")), tmp_path / "prog", [], tmp_path)


# -- the verdict -----------------------------------------------------------------------------------
def _line(workload: str, engine: str, r: float, outcome: str = "ok", argv: str = "") -> Line:
    return Line(workload, "full", engine, 3, r, r, r, r if outcome == "ok" else math.nan, r, r, "", outcome,
                argv=argv)


def _lines(emu: dict[str, float], wasm: dict[str, dict[str, float]]) -> list[Line]:
    out = []
    for wl, r in emu.items():
        out.append(_line(wl, "native64", 1.0))
        out.append(_line(wl, "qemu-user", r, argv=f"/usr/bin/qemu-aarch64-static /c/{wl} < in > OUT"))
    for eng, per in wasm.items():
        out += [_line(wl, eng, r) for wl, r in per.items()]
    return out


def test_claim6_holds_when_emulation_is_slow_and_wasm_near_native():
    c = claim6(_lines({"a": 5.0, "b": 4.0}, {"wasmtime:cranelift": {"a": 1.1, "b": 1.2}}), "cmd")
    assert c.number == 6 and c.verdict == "holds"
    assert "4.47x" in c.figure and "1.15x" in c.figure and "qemu-aarch64-static" in c.figure
    assert c.command == "cmd" and CLAIM6_RULE in c.how


def test_claim6_does_not_hold_when_wasm_is_slow_or_emulation_cheap():
    assert claim6(_lines({"a": 5.0}, {"wasmtime:cranelift": {"a": 2.0}})).verdict == "does not hold"
    assert claim6(_lines({"a": 2.0}, {"wasmtime:cranelift": {"a": 1.0}})).verdict == "does not hold"


def test_claim6_uses_the_best_wasm_engine_on_the_same_workloads():
    lines = _lines({"a": 9.0, "b": 1.0, "c": 4.0},
                   {"v8:turbofan": {"a": 1.4, "b": 1.4, "c": 1.4}, "wasmtime:cranelift": {"a": 1.0, "b": 1.0},
                    "wasmtime:cranelift (precompiled)": {"a": 1.1, "b": 1.2, "c": 1.3}})
    c = claim6(lines)
    # engines covering all three workloads win; of those the faster one
    assert "wasmtime:cranelift (precompiled)" in c.figure and "3.30x" in c.figure and c.verdict == "holds"
    assert "real programs" not in c.figure  # no real program among a, b, c
    only_two = claim6(_lines({"a": 9.0, "b": 1.0, "c": 4.0}, {"wasmtime:cranelift": {"a": 1.0, "b": 1.0}}))
    assert "3.00x" in only_two.figure and "2 workloads" in only_two.figure  # geomean(9, 1) over the common two


def test_claim6_shows_real_programs_apart_from_microbenchmarks():
    c = claim6(_lines({"bzip2-compress": 4.0, "micro-calls": 16.0}, {"wasmtime:cranelift": {"bzip2-compress": 1.21,
                                                                                         "micro-calls": 1.0}}))
    assert "8.00x" in c.figure and "real programs only (1): emulated 4.00x, wasm 1.21x" in c.figure


def test_claim6_cant_tell_without_both_sides():
    assert claim6([]).verdict == "can't tell here"
    emu_only = claim6(_lines({"a": 5.0}, {}))
    assert emu_only.verdict == "can't tell here" and "5.00x" in emu_only.figure
    wrong = _lines({}, {"wasmtime:cranelift": {"a": 1.0}}) + [_line("a", "qemu-user", 0, "wrong-output")]
    c = claim6(wrong)
    assert c.verdict == "can't tell here" and "wrong-output" in c.figure


def test_claim6_from_stored_rows_in_the_report(tmp_path):
    db = tmp_path / "r.db"
    with ResultsStore(db) as st:
        run = st.start_run("perf", command="harness perf --engines native64,qemu-user,wasmtime:cranelift")
        rows = []
        for wl in ("bzip2-compress", "micro-calls"):
            for label, engine, tier, f in (("native64", "native64", None, 1.0), ("qemu-user", "qemu-user", None, 6.0),
                                           ("wasmtime:cranelift", "wasmtime", "cranelift", 1.2)):
                rows += [ResultRow(suite="perf", file=wl, item="full", engine=engine, tier=tier, metric="wall_time",
                                   value=f * (1 + i / 100), unit="s", outcome="ok",
                                   extra={"label": label, "shell": f"/usr/bin/qemu-aarch64-static /p/{wl} > OUT"})
                         for i in range(3)]
        st.add(run, rows)
        st.finish_run(run)
        # a later, wider run without qemu-user: the merged lines take its wasm figure, claim 6 must not
        wide = st.start_run("perf", command="harness perf --engines wide")
        st.add(wide, [ResultRow(suite="perf", file=wl, item="full", engine=engine, tier=tier, metric="wall_time",
                                value=f * (1 + i / 100), unit="s", outcome="ok", extra={"label": label})
                      for wl in ("bzip2-compress", "micro-calls") for i in range(3)
                      for label, engine, tier, f in (("native64", "native64", None, 1.0),
                                                     ("native32", "native32", None, 1.0),
                                                     ("v8:turbofan", "v8", "turbofan", 1.0),
                                                     ("wasmtime:cranelift", "wasmtime", "cranelift", 3.0))])
        st.finish_run(wide)
    text = render_perf_report(db, tmp_path / "out").read_text()
    row6 = text[text.index("<tr><td>6</td>"):text.index("<tr><td>7</td>")]
    assert "v-holds" in row6 and "6.00x native64" in row6 and "1.20x native64" in row6
    assert "harness perf --engines native64,qemu-user,wasmtime:cranelift" in row6 and "wide" not in row6


# -- end to end --------------------------------------------------------------------------------------
@pytest.mark.slow
def test_perf_cli_qemu_user_end_to_end(tmp_path):
    import json

    from harness.cli import main

    if not get_adapter("qemu-user").available(""):
        pytest.skip(get_adapter("qemu-user").available("").reason)
    js = tmp_path / "out.json"
    code = main(["perf", "--engines", "native64,qemu-user", "--workloads", "micro-calls", "--metrics", "throughput",
                 "--repeat", "1", "--warmup", "0", "--db", str(tmp_path / "r.db"), "--json", str(js)])
    assert code == 0
    by = {ln["engine"]: ln for ln in json.loads(js.read_text())["table"]}
    assert by["qemu-user"]["outcome"] == "ok" and by["qemu-user"]["ratio"] > 1.0
