"""Nesting as deep as the validator accepts compiles on ``ours:llvm`` (issue 19, point 5).

About 600 nested blocks used to raise a Python ``RecursionError`` in the translator (reported as "call
stack exhausted"); the translator and the tier's other walks over function bodies are iterative now.  The
functions here nest blocks, loops and ifs in turn, each construct with a result that the code after its
``end`` adds 1 to; the innermost code either falls through every ``end`` or branches straight to the
outermost block.  Figures for 100,000 levels are in ``docs/LLVM_TIER.md`` ("Deep nesting").
"""

from __future__ import annotations

import pytest

pytest.importorskip("llvmlite")

from harness.engine import api  # noqa: E402
from harness.engine.binary.encode import uleb  # noqa: E402

KINDS = ("block", "loop", "if")
I32 = b"\x7f"


def nested_module(depth: int) -> bytes:
    """Exports ``fall(p)`` and ``jump(p)``, both ``(param i32) (result i32)``: ``depth`` constructs cycling
    through ``KINDS`` (block outermost), each ``if`` testing ``p`` with ``-1`` as its else; ``i32.const 1
    i32.add`` after every ``end``.  At the centre ``fall`` leaves 42 and ``jump`` branches to the outermost
    block with 7."""
    opens = []
    for level in range(depth):
        kind = KINDS[level % 3]
        opens.append(b"\x02" + I32 if kind == "block" else b"\x03" + I32 if kind == "loop" else b"\x20\x00\x04" + I32)
    closes = []
    for level in reversed(range(depth)):
        tail = b"\x41\x01\x6a"  # i32.const 1, i32.add
        closes.append((b"\x05\x41\x7f\x0b" if KINDS[level % 3] == "if" else b"\x0b") + tail)
    shell = b"".join(opens), b"".join(closes)
    bodies = [shell[0] + b"\x41\x2a" + shell[1], shell[0] + b"\x41\x07\x0c" + uleb(depth - 1) + shell[1]]
    code = b"".join(uleb(len(b) + 2) + b"\x00" + b + b"\x0b" for b in bodies)

    def section(sid: int, payload: bytes) -> bytes:
        return bytes([sid]) + uleb(len(payload)) + payload

    return (b"\0asm\1\0\0\0" + section(1, b"\x01\x60\x01\x7f\x01\x7f") + section(3, b"\x02\x00\x00")
            + section(7, b"\x02\x04fall\x00\x00\x04jump\x00\x01") + section(10, b"\x02" + code))


def expected(depth: int, p: int, jump: bool) -> int:
    """With ``p`` != 0 every ``if`` takes its then-arm: the centre's value plus 1 per ``end`` it passes
    (``jump`` passes only the outermost).  With ``p`` == 0 the outermost ``if`` (level 2) gives -1, and the
    ends of levels 2, 1 and 0 add 3."""
    if p == 0 and depth > 2:
        return 2
    return 7 + 1 if jump else 42 + depth


def check(depth: int, opt_level: int) -> None:
    inst = api.Store(tier="llvm", opt_level=opt_level, cache_dir=False).instantiate(
        api.Module.from_bytes(nested_module(depth)))
    for name in ("fall", "jump"):
        for p in (0, 1):
            assert inst.invoke(name, [p]) == [expected(depth, p, name == "jump")], (name, p)


@pytest.mark.parametrize("opt_level", [0, 2])
def test_thousands_of_levels(opt_level):
    """Well past Python's recursion limit (1,000 frames), in a second or two."""
    check(5_000, opt_level)


def test_shallow_nesting_matches_the_interpreter():
    """The module and ``expected`` agree with ours:interp where it can run them."""
    inst = api.Store(tier="interp").instantiate(api.Module.from_bytes(nested_module(60)))
    for name in ("fall", "jump"):
        for p in (0, 1):
            assert inst.invoke(name, [p]) == [expected(60, p, name == "jump")]


@pytest.mark.slow
@pytest.mark.parametrize("opt_level", [0, 2])
def test_hundred_thousand_levels(opt_level):
    """100,000 levels (33,334 blocks, 33,333 loops, 33,333 ifs): 30-40 s on a busy 2-core machine, nearly
    all of it building IR with llvmlite."""
    check(100_000, opt_level)
