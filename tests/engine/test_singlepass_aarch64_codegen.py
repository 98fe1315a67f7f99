"""The singlepass tier's aarch64 code generator, checked on any host (running its code needs an aarch64 one:
``test_singlepass_aarch64_emulated.py``): the host's ISA picks the generator, what it cannot compile is
refused naming the function and the instruction, and the code it emits for sample functions decodes as the
instructions the design says (stack check against the State's limit, bounds check against the pinned size,
jump table for ``br_table``)."""

from __future__ import annotations

import os

import pytest

from harness.engine import api
from harness.engine.tiers import singlepass
from harness.engine.tiers.singlepass import simd_common
from harness.engine.tiers.singlepass.aarch64 import simd
from harness.engine.tiers.singlepass.aarch64.codegen import compile_module
from harness.engine.tiers.singlepass.errors import UnsupportedError

capstone = pytest.importorskip("capstone")


def disasm(code: bytes, start: int = 0, end: int | None = None) -> list[str]:
    md = capstone.Cs(capstone.CS_ARCH_ARM64, capstone.CS_MODE_ARM)
    return [f"{i.mnemonic} {i.op_str}".strip() for i in md.disasm(code[start:end], start)]


def compile_text(src: str) -> tuple[bytes, list[int]]:
    return compile_module(api.Module.from_text(src).ast)


def _uname(machine: str):
    real = os.uname()
    return lambda: os.uname_result((real.sysname, real.nodename, real.release, real.version, machine))


@pytest.mark.parametrize("machine, isa", [("aarch64", "aarch64"), ("arm64", "aarch64"), ("x86_64", "x86_64")])
def test_the_host_architecture_picks_the_generator(monkeypatch, machine, isa):
    monkeypatch.setattr(os, "uname", _uname(machine))
    monkeypatch.setattr(singlepass.sys, "platform", "linux")
    assert singlepass.isa() == isa
    assert singlepass.isa_module("codegen").__name__ == f"harness.engine.tiers.singlepass.{isa}.codegen"
    assert singlepass.isa_module("stubs").__name__ == f"harness.engine.tiers.singlepass.{isa}.stubs"
    assert singlepass.cpu_identity().startswith(f"{machine}:")
    if isa == "aarch64":
        assert singlepass.unavailable_reason() == ""
        assert singlepass.cpu_identity() == f"{machine}:a64+neon"


def test_other_architectures_are_refused_with_the_reason(monkeypatch):
    monkeypatch.setattr(os, "uname", _uname("riscv64"))
    monkeypatch.setattr(singlepass.sys, "platform", "linux")
    assert singlepass.isa() is None
    assert "riscv64" in singlepass.unavailable_reason()
    with pytest.raises(RuntimeError, match="riscv64"):
        singlepass.isa_module("codegen")


def test_what_it_cannot_compile_is_refused_naming_the_function_and_the_instruction():
    src = """(module (func $ok) (func $tail (result i32) (return_call 2)) (func (result i32) (i32.const 1)))"""
    with pytest.raises(UnsupportedError, match=r"aarch64.*function 1 \(\$?tail\)?.*instruction return_call"):
        compile_text(src)


def test_a_function_decodes_to_the_designed_prologue_checks_and_epilogue():
    code, offsets = compile_text("""(module (memory 1)
      (func (param i32) (result i32) (i32.add (i32.load offset=8 (local.get 0)) (i32.const 5))))""")
    text = disasm(code)
    assert text[:4] == ["stp x29, x30, [sp, #-0x20]!", "mov x29, sp", "stp x28, x1, [sp, #0x10]", "mov x28, x0"]
    # stack check: the frame's new sp against the State's limit, the trap path to Exhaustion
    assert text[4:7] == ["ldr x16, [x28]", "ldr x16, [x16, #8]", "mov x17, sp"]
    assert text[8:11] == ["cmp x17, x16", text[9], "mov sp, x17"] and text[9].startswith("b.lo")
    # the load: end = addr + offset + size compared with the pinned size (x27), base x26
    i = next(k for k, t in enumerate(text) if t.startswith("add x16, x") and t.endswith(", #0xc"))
    addr = text[i].split(", ")[1]  # the register the address is in, reused for the loaded value
    assert text[i + 1 : i + 2] == ["cmp x16, x27"] and text[i + 2].startswith("b.hi")
    assert text[i + 3 : i + 5] == ["add x16, x26, x16", f"ldur w{addr[1:]}, [x16, #-4]"]
    assert text[i + 5] == f"add w{addr[1:]}, w{addr[1:]}, #5"
    assert text.count("ret") == 1
    # every trap path: code in w0, out through the context's trap exit
    assert text[-3:] == [text[-3], "ldr x16, [x28, #8]", "br x16"] and text[-3].startswith("mov w0, #")


def test_br_table_is_a_jump_table_of_offsets():
    code, _ = compile_text("""(module (func (param i32) (result i32)
      (block (block (block (br_table 0 1 2 (local.get 0))) (return (i32.const 10))) (return (i32.const 11)))
      (i32.const 12)))""")
    text = disasm(code)
    i = next(k for k, t in enumerate(text) if t.startswith("adr x16"))
    assert text[i - 2].startswith("cmp w15, #2") and text[i - 1].startswith("b.hs")
    assert text[i + 1 : i + 4] == ["ldrsw x17, [x16, w15, uxtw #2]", "add x16, x16, x17", "br x16"]
    table = int(text[i].split("#")[1], 16)
    entries = [int.from_bytes(code[table + 4 * k : table + 4 * k + 4], "little", signed=True) for k in range(2)]
    assert all(0 < e < len(code) - table for e in entries)  # forward, inside the code
    assert entries[0] != entries[1]


def test_float_compares_stay_in_the_flags_for_if():
    code, _ = compile_text("""(module (func (param f64 f64) (result i32)
      (if (result i32) (f64.lt (local.get 0) (local.get 1)) (then (i32.const 1)) (else (i32.const 2)))))""")
    text = disasm(code)
    i = text.index("fcmp d29, d28") if "fcmp d29, d28" in text else next(
        k for k, t in enumerate(text) if t.startswith("fcmp"))
    assert text[i + 1].startswith("b.pl")  # not "mi" (less than): false for NaN as well
    assert not any(t.startswith("cset") for t in text)


def test_every_2_0_lane_operation_has_native_code():
    """The note's count: lane operations left to Python helpers (0 of wasm 2.0's; 3.0's relaxed ones are)."""
    assert simd.helper_ops() == []
    assert simd_common.fallback_handler("i8x16.relaxed_swizzle") is not None
