"""What capstone reads in the bytes an encoder wrote: the encoders' tests (x86-64, A64) compare this text with
the instruction each emitting method was meant to write."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


def disassembler(md: Any) -> Callable[[bytes], list[str]]:
    """``disasm(code)``: one ``"mnemonic operands"`` string per instruction ``md`` (a ``capstone.Cs``) decodes,
    failing the test when any byte of ``code`` is left undecoded (an encoding capstone cannot read)."""

    def disasm(code: bytes) -> list[str]:
        out = []
        total = 0
        for ins in md.disasm(code, 0):
            out.append(f"{ins.mnemonic} {ins.op_str}".strip())
            total += ins.size
        assert total == len(code), f"undecodable bytes in {code.hex()}: {out}"
        return out

    return disasm
