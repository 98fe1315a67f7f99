"""The singlepass tier's SSE (v128) instruction forms against capstone: every entry of ``encoder.VOPS`` and
``VSHIFT_I`` with registers that need REX bits and with a memory source, and the lane moves."""

from __future__ import annotations

import pytest

from harness.engine.tiers.singlepass.x86_64 import encoder as E
from harness.engine.tiers.singlepass.x86_64.encoder import VOPS, VSHIFT_I, Assembler, Mem

capstone = pytest.importorskip("capstone")
_MD = capstone.Cs(capstone.CS_ARCH_X86, capstone.CS_MODE_64)
_GPR_DST = {"pmovmskb", "movmskps", "movmskpd"}
_MEM_SIZE = {"pmovsxbw": "qword", "pmovsxwd": "qword", "pmovsxdq": "qword", "pmovzxbw": "qword",
             "pmovzxwd": "qword", "pmovzxdq": "qword", "cvtps2pd": "qword", "cvtdq2pd": "qword",
             "insertps": "dword"}


def one(emit) -> str:
    a = Assembler()
    emit(a)
    ins = list(_MD.disasm(bytes(a.buf), 0))
    assert len(ins) == 1 and ins[0].size == len(a.buf), f"{bytes(a.buf).hex()}: {ins}"
    return f"{ins[0].mnemonic} {ins[0].op_str}"


def _imm(name: str) -> int | None:
    return 0x1B if VOPS[name][2] else None


def _suffix(name: str) -> str:
    return ", 0x1b" if VOPS[name][2] else ""


@pytest.mark.parametrize("name", sorted(VOPS))
def test_register_form(name: str) -> None:
    dst = "r9d" if name in _GPR_DST else "xmm9"
    dreg = E.R9 if name in _GPR_DST else 9
    assert one(lambda a: a.vop(name, dreg, 12, _imm(name))) == f"{name} {dst}, xmm12{_suffix(name)}"
    dst = "eax" if name in _GPR_DST else "xmm0"
    assert one(lambda a: a.vop(name, 0, 3, _imm(name))) == f"{name} {dst}, xmm3{_suffix(name)}"


@pytest.mark.parametrize("name", sorted(n for n in VOPS if n not in _GPR_DST))
def test_memory_form(name: str) -> None:
    size = _MEM_SIZE.get(name, "xmmword")
    assert (one(lambda a: a.vop(name, 14, Mem(E.R11, 8, E.RAX), _imm(name)))
            == f"{name} xmm14, {size} ptr [r11 + rax + 8]{_suffix(name)}")


def test_immediate_is_checked() -> None:
    with pytest.raises(ValueError):
        Assembler().vop("pshufd", 1, 2)
    with pytest.raises(ValueError):
        Assembler().vop("paddb", 1, 2, 3)


@pytest.mark.parametrize("name", sorted(VSHIFT_I))
def test_shift_by_immediate(name: str) -> None:
    assert one(lambda a: a.vshift_i(name, 10, 5)) == f"{name} xmm10, 5"
    assert one(lambda a: a.vshift_i(name, 2, 5)) == f"{name} xmm2, 5"


CASES = [
    (lambda a: a.movdqu_load(3, Mem(E.RSP, 32)), "movdqu xmm3, xmmword ptr [rsp + 0x20]"),
    (lambda a: a.movdqu_load(13, Mem(E.R14, 4, E.R12)), "movdqu xmm13, xmmword ptr [r14 + r12 + 4]"),
    (lambda a: a.movdqu_store(Mem(E.RSP, 0x200), 8), "movdqu xmmword ptr [rsp + 0x200], xmm8"),
    (lambda a: a.movq_load(1, Mem(E.R14, 0, E.RAX)), "movq xmm1, qword ptr [r14 + rax]"),
    (lambda a: a.movq_xx(9, 2), "movq xmm9, xmm2"),
    (lambda a: a.movd_xr(4, Mem(E.R14, 0, E.RCX), False), "movd xmm4, dword ptr [r14 + rcx]"),
    (lambda a: a.movs_store(Mem(E.R14, 0, E.RCX), 4, True), "movsd qword ptr [r14 + rcx], xmm4"),
    (lambda a: a.pinsr(1, 2, E.RAX, 15), "pinsrb xmm2, eax, 0xf"),
    (lambda a: a.pinsr(2, 10, E.R9, 7), "pinsrw xmm10, r9d, 7"),
    (lambda a: a.pinsr(4, 0, E.RSI, 3), "pinsrd xmm0, esi, 3"),
    (lambda a: a.pinsr(8, 12, E.R12, 1), "pinsrq xmm12, r12, 1"),
    (lambda a: a.pinsr(1, 3, Mem(E.R14, 1, E.RDX), 4), "pinsrb xmm3, byte ptr [r14 + rdx + 1], 4"),
    (lambda a: a.pinsr(2, 3, Mem(E.R14, 0, E.RDX), 4), "pinsrw xmm3, word ptr [r14 + rdx], 4"),
    (lambda a: a.pinsr(8, 3, Mem(E.R14, 0, E.RDX), 1), "pinsrq xmm3, qword ptr [r14 + rdx], 1"),
    (lambda a: a.pextr(1, E.RAX, 2, 15), "pextrb eax, xmm2, 0xf"),
    (lambda a: a.pextr(2, E.R9, 10, 7), "pextrw r9d, xmm10, 7"),
    (lambda a: a.pextr(4, E.RSI, 0, 3), "pextrd esi, xmm0, 3"),
    (lambda a: a.pextr(8, E.R12, 12, 1), "pextrq r12, xmm12, 1"),
    (lambda a: a.pextr(1, Mem(E.R14, 0, E.RDX), 3, 4), "pextrb byte ptr [r14 + rdx], xmm3, 4"),
    (lambda a: a.pextr(4, Mem(E.R14, 0, E.RDX), 3, 2), "pextrd dword ptr [r14 + rdx], xmm3, 2"),
]


@pytest.mark.parametrize(("emit", "expected"), CASES, ids=[c[1] for c in CASES])
def test_lane_and_move_forms(emit, expected: str) -> None:
    assert one(emit) == expected
