"""The LLVM tier's own object loader (``tiers/llvm/loader.py``): it runs the same code MCJIT runs, maps no
page writable and executable, hands what it cannot handle to MCJIT, and lets a warm start run without
importing llvmlite's binding at all (the host's target description is remembered on disk)."""

from __future__ import annotations

import os
import struct
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("llvmlite")

from test_llvm_tier import load  # noqa: E402

from harness.engine import syntax  # noqa: E402
from harness.engine.errors import Trap  # noqa: E402
from harness.engine.runtime import FuncInstance  # noqa: E402
from harness.engine.tiers.llvm import jit, loader  # noqa: E402

pytestmark = pytest.mark.skipif(not loader.supported_host(), reason="the loader handles x86-64 Linux only")

# Code, read-only data (a br_table and float constants), writable data (tables and globals), calls
# through a table, into the host, to libc (memory.fill) and libm (f64.nearest), and a trap.
MODULE = """
(module
  (import "env" "twice" (func $twice (param i32) (result i32)))
  (memory 1)
  (table 2 funcref)
  (global $g (mut i32) (i32.const 5))
  (elem (i32.const 0) $a $b)
  (type $t (func (param i32) (result i32)))
  (func $a (param i32) (result i32) (i32.add (local.get 0) (global.get $g)))
  (func $b (param i32) (result i32) (call $twice (local.get 0)))
  (func (export "dispatch") (param i32 i32) (result i32)
    (call_indirect (type $t) (local.get 1) (local.get 0)))
  (func (export "pick") (param i32) (result f64)
    (block $d (block $2 (block $1 (block $0
      (br_table $0 $1 $2 $d (local.get 0)))
      (return (f64.const 1.5)))
      (return (f64.nearest (f64.const 2.5))))
      (return (f64.const -0.25)))
    (f64.const 1e300))
  (func (export "fill") (param i32 i32) (result i32)
    (memory.fill (i32.const 100) (local.get 0) (local.get 1))
    (i32.load8_u (i32.const 100)))
  (func (export "set") (param i32) (global.set $g (local.get 0))))
"""


def _run(monkeypatch, loader_env: str | None, opt_level: int):
    if loader_env is None:
        monkeypatch.delenv("HARNESS_LLVM_LOADER", raising=False)
    else:
        monkeypatch.setenv("HARNESS_LLVM_LOADER", loader_env)
    twice = FuncInstance(syntax.FuncType(("i32",), ("i32",)), host=lambda x: x * 2)
    tier, inst = load(MODULE, opt_level, imports={"env": {"twice": twice}})
    call = lambda name, *a: tier.run(inst.exports[name], list(a))  # noqa: E731
    out = [call("dispatch", 0, 10), call("dispatch", 1, 21), [call("pick", k) for k in range(5)],
           call("fill", 7, 3)]
    call("set", 100)
    out.append(call("dispatch", 0, 1))
    try:
        call("dispatch", 2, 0)
        out.append("no trap")
    except Trap as e:
        out.append(e.kind)
    try:
        call("fill", 1, 70000)
        out.append("no trap")
    except Trap as e:
        out.append(e.kind)
    return inst.native.code.loaded, out


@pytest.mark.parametrize("opt_level", [0, 2])
def test_own_loader_runs_what_mcjit_runs(monkeypatch, opt_level):
    own_loaded, own = _run(monkeypatch, None, opt_level)
    mcjit_loaded, mcjit = _run(monkeypatch, "mcjit", opt_level)
    assert own_loaded.image is not None and mcjit_loaded.image is None  # each path really taken
    assert own == mcjit
    assert own[0] == [15] and own[1] == [42] and own[3] == [7] and own[4] == [101]
    assert own[5] == "undefined element" and own[6] == "out of bounds memory access"


def _mappings() -> list[tuple[int, int, str]]:
    out = []
    for line in Path("/proc/self/maps").read_text().splitlines():
        span, perms = line.split()[:2]
        lo, hi = (int(x, 16) for x in span.split("-"))
        out.append((lo, hi, perms))
    return out


def test_no_page_is_writable_and_executable():
    from harness.engine.binary.decode import decode_module
    from harness.engine.text import parse_module
    from harness.engine.tiers.llvm.translate import ModuleCompiler

    wat = MODULE.replace('(import "env" "twice" (func $twice (param i32) (result i32)))', "")
    wat = wat.replace("(call $twice (local.get 0))", "(local.get 0)")
    obj = jit.compile_ir(str(ModuleCompiler(decode_module(parse_module(wat))).compile()), 2)
    loaded = jit.LoadedObject(obj, 2)
    image = loaded.image
    assert image is not None and loaded.engine is None
    perms = {p for lo, hi, p in _mappings() if lo < image.base + image.size and hi > image.base}
    assert "r-xp" in perms and "rw-p" in perms
    assert not any("w" in p and "x" in p for p in perms)
    assert any(lo <= loaded.symbol("wasm_funcs") < hi and p == "rw-p" for lo, hi, p in _mappings())


def test_an_object_the_loader_cannot_take_goes_to_mcjit(monkeypatch):
    def refuse(parts, external):
        raise loader.Unsupported("refused by the test")

    monkeypatch.setattr(loader, "load", refuse)
    tier, inst = load("(module (func (export \"f\") (result i32) (i32.const 42)))", 2)
    assert tier.run(inst.exports["f"], []) == [42]
    assert inst.native.code.loaded.image is None and inst.native.code.loaded.engine is not None


def test_loader_refuses_what_it_does_not_know():
    with pytest.raises(loader.Unsupported):
        loader.load([b"not an object"], jit.external_address)
    obj = jit.compile_ir("""declare i32 @getpid()
define i32 @f() {
  %a = call i32 @getpid()
  %b = add i32 %a, 1
  ret i32 %b
}""", 2)
    import ctypes

    loaded = loader.load([obj], jit.external_address)
    assert ctypes.CFUNCTYPE(ctypes.c_int)(loaded.symbol("f"))() == os.getpid() + 1
    # the first relocation of .rela.text made an unknown type (R_X86_64_GOTOFF64 = 25)
    (shoff,) = struct.unpack_from("<Q", obj, 40)
    shentsize, shnum = struct.unpack_from("<HH", obj, 58)
    rela = next(struct.unpack_from("<IIQQQQIIQQ", obj, shoff + i * shentsize) for i in range(shnum)
                if struct.unpack_from("<I", obj, shoff + i * shentsize + 4)[0] == 4)
    patched = bytearray(obj)
    (info,) = struct.unpack_from("<Q", patched, rela[4] + 8)
    struct.pack_into("<Q", patched, rela[4] + 8, (info & ~0xFFFFFFFF) | 25)
    with pytest.raises(loader.Unsupported, match="relocation type 25"):
        loader.load([bytes(patched)], jit.external_address)
    with pytest.raises(loader.Unsupported, match="undefined symbol"):
        loader.load([obj], lambda name: None)
    with pytest.raises(loader.Unsupported, match="malformed"):
        loader.load([obj[:len(obj) // 2]], jit.external_address)


WARM_START = """
import sys
from harness.engine import api
store = api.Store(tier="llvm")
inst = store.instantiate(store.load(open(sys.argv[1], "rb").read()), {})
print(inst.call("f", 20), "llvmlite.binding" in sys.modules)
"""


def test_a_warm_start_never_imports_llvmlite_binding(tmp_path):
    """The second process finds the module's code and the host's description on disk, so it maps the
    object itself and runs without loading LLVM (~25 ms and ~50 MB saved per process)."""
    from harness.engine.text import parse_module

    wasm = tmp_path / "m.wasm"
    wasm.write_bytes(parse_module('(module (func (export "f") (param i32) (result i32) '
                                  '(i32.add (local.get 0) (i32.const 22))))'))
    script = tmp_path / "warm.py"
    script.write_text(WARM_START)
    env = {**os.environ, "HARNESS_LLVM_CACHE": str(tmp_path / "cache")}
    env.pop("HARNESS_LLVM_LOADER", None)
    runs = [subprocess.run([sys.executable, str(script), str(wasm)], env=env, capture_output=True, text=True,
                           timeout=120) for _ in range(2)]
    assert [r.returncode for r in runs] == [0, 0], runs[0].stderr + runs[1].stderr
    assert runs[0].stdout.split() == ["42", "True"]  # cold: compiled with LLVM
    assert runs[1].stdout.split() == ["42", "False"]  # warm: no LLVM at all
    memo = list((tmp_path / "cache" / "host").iterdir())
    assert len(memo) == 1 and tuple(memo[0].read_text().split("\n")[:3]) == jit.host_cpu()


def test_a_corrupt_host_memo_is_ignored_and_rewritten(tmp_path, monkeypatch):
    monkeypatch.setenv("HARNESS_LLVM_CACHE", str(tmp_path))
    path = jit._host_memo_path()
    assert path is not None and path.parent == tmp_path / "host"
    path.parent.mkdir(parents=True)
    path.write_text("half a\nmemo")
    jit._host.cache_clear()
    try:
        host = jit._host()
    finally:
        jit._host.cache_clear()
    assert host[:3] == jit.host_cpu() and tuple(path.read_text().split("\n")) == host


SPIN_AT_EXIT = """
import threading, time
from harness.engine import api
from harness.engine.text import parse_module
store = api.Store(tier="llvm", cache_dir=False)
inst = store.instantiate(store.load(parse_module('(module (func (export "spin") (loop $l (br $l))))')), {})
threading.Thread(target=lambda: inst.call("spin"), daemon=True).start()
time.sleep(0.2)
print("exiting")
"""


def test_the_process_exits_cleanly_while_a_daemon_thread_runs_compiled_code(tmp_path):
    """Mappings are not unmapped at interpreter exit: a daemon thread still in compiled code would fault
    there, and with the guard's SIGSEGV handler unmapped too, the process would die of the signal."""
    script = tmp_path / "spin.py"
    script.write_text(SPIN_AT_EXIT)
    env = {k: v for k, v in os.environ.items() if k != "HARNESS_LLVM_LOADER"}
    r = subprocess.run([sys.executable, str(script)], env=env, capture_output=True, text=True, timeout=120)
    assert (r.returncode, r.stdout.strip()) == (0, "exiting"), r.stderr[-2000:]


AARCH64_IR = """
@g = dso_local global [4 x i64] [i64 1, i64 2, i64 3, i64 4]
@ext_data = external global i64
declare i32 @getpid()
declare i32 @getppid()
define i64 @f(i64 %i) {
  %p = getelementptr [4 x i64], ptr @g, i64 0, i64 %i
  %v = load i64, ptr %p
  %a = call i32 @getpid()
  %b = call i32 @getppid()
  %e = load i64, ptr @ext_data
  %s = add i32 %a, %b
  %w = sext i32 %s to i64
  %x = add i64 %v, %w
  %y = add i64 %x, %e
  ret i64 %y
}
define ptr @addr() {
  ret ptr @g
}
"""


def _sext(v: int, bits: int) -> int:
    return v - (1 << bits) if v >> (bits - 1) else v


def _aarch64_image(monkeypatch, codemodel: str, fake: dict[str, int]):
    llvm = jit.llvm
    jit._init()
    llvm.initialize_all_targets()
    llvm.initialize_all_asmprinters()
    tm = llvm.Target.from_triple("aarch64-unknown-linux-gnu").create_target_machine(
        cpu="generic", opt=2, reloc="pic" if codemodel == "small" else "static", codemodel=codemodel)
    mod = llvm.parse_assembly(AARCH64_IR)
    mod.triple, mod.data_layout = tm.triple, str(tm.target_data)
    obj = tm.emit_object(mod)
    monkeypatch.setattr(loader, "_clear_cache", lambda: (lambda start, end: None))
    return loader._load([loader._Object(obj, loader._EM_AARCH64)], fake.get, loader._EM_AARCH64)


def _words(addr: int, n: int) -> list[int]:
    import ctypes

    return list(struct.unpack(f"<{n}I", ctypes.string_at(addr, 4 * n)))


def _branch_targets(image, fn: str) -> set[int]:
    """Where the ``bl`` instructions in the first 96 words of ``fn`` go, each through a stub
    (``ldr x16, #8; br x16; .quad target``): the set of final targets."""
    import ctypes

    start = image.symbol(fn)
    targets = set()
    for i, w in enumerate(_words(start, 96)):
        if w & 0xFC000000 == 0x94000000:  # bl
            stub = start + 4 * i + 4 * _sext(w & 0x3FFFFFF, 26)
            ldr, br, lit = struct.unpack("<IIQ", ctypes.string_at(stub, 16))
            assert (ldr, br) == (0x58000050, 0xD61F0200)
            targets.add(lit)
    return targets


def test_aarch64_large_code_model_moves_build_the_addresses(monkeypatch):
    """The large code model builds data addresses with ``movz``/``movk`` (``MOVW_UABS_G0..G3``): decoded
    again, the 16-bit pieces written to a register must make ``@g``'s address.  Calls stay ``bl``s."""

    fake = {"getpid": 0x7F00_1234_5000, "getppid": 0x7F00_1234_6000, "ext_data": 0x7F00_5555_0008}
    image = _aarch64_image(monkeypatch, "large", fake)
    try:
        regs: dict[int, int] = {}
        built = set()  # every value a register holds after a move
        for w in _words(image.symbol("f"), 96):
            rd, piece = w & 31, ((w >> 5) & 0xFFFF) << (16 * ((w >> 21) & 3))
            if w & 0xFF800000 == 0xD2800000:  # movz xd, #imm16, lsl #16*hw
                regs[rd] = piece
            elif w & 0xFF800000 == 0xF2800000 and rd in regs:  # movk keeps the other pieces
                regs[rd] = regs[rd] & ~(0xFFFF << (16 * ((w >> 21) & 3))) | piece
            else:
                continue
            built.add(regs[rd])
        assert image.symbol("g") in built
        assert _branch_targets(image, "f") == {fake["getpid"], fake["getppid"]}
    finally:
        image.close()


def test_aarch64_relocations_point_where_they_should(monkeypatch):
    """The aarch64 relocations, checked on any host: an object compiled for aarch64 is laid out and
    relocated (never run), and the patched instructions are decoded again -- every ``adrp`` + ``add``/
    ``ldr`` pair must reach ``@g`` or a GOT slot holding the external's address, and every ``bl`` a
    stub that jumps to the external function.  (Running the code is what ``scripts/aarch64 test`` does.)"""
    import ctypes

    fake = {"getpid": 0x7F00_1234_5000, "getppid": 0x7F00_1234_6000, "ext_data": 0x7F00_5555_0008}
    image = _aarch64_image(monkeypatch, "small", fake)
    try:
        g = image.symbol("g")
        text = ctypes.string_at(image.base, image.size)
        words = [int.from_bytes(text[i:i + 4], "little") for i in range(0, image.size - 3, 4)]
        page_of: dict[int, int] = {}  # register -> page an adrp put in it
        reached = set()
        f_start = image.symbol("f") - image.base
        for i, w in enumerate(words[f_start // 4:(f_start // 4) + 64]):
            pc = image.symbol("f") + 4 * i
            if w & 0x9F000000 == 0x90000000:  # adrp
                imm = _sext(((w >> 5) & 0x7FFFF) << 2 | (w >> 29) & 3, 21)
                page_of[w & 31] = (pc & ~0xFFF) + (imm << 12)
            elif w & 0xFF800000 == 0x91000000 and (w >> 5) & 31 in page_of:  # add xd, xn, #imm12
                reached.add(page_of[(w >> 5) & 31] + ((w >> 10) & 0xFFF))
            elif w & 0xFFC00000 == 0xF9400000 and (w >> 5) & 31 in page_of:  # ldr xt, [xn, #imm12*8]
                reached.add(page_of[(w >> 5) & 31] + ((w >> 10) & 0xFFF) * 8)
        assert g in reached or any(g <= a < g + 32 for a in reached)
        got_values = {int.from_bytes(ctypes.string_at(a, 8), "little") for a in reached if a != g}
        assert fake["ext_data"] in got_values  # the GOT slot the adrp/ldr pair reaches holds the address
        assert _branch_targets(image, "f") == {fake["getpid"], fake["getppid"]}
    finally:
        image.close()
