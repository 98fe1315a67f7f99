"""A collected code block leaves the fault handler's ranges before its pages are unmapped.

Why: the singlepass handler claims every fault whose instruction lies in a published range.  Its blocks were
unmapped by their own finalizer while their ranges stayed published until the next registration; the LLVM tier
then mapped code at the same address, and the handler took that code's guard-page fault for ours and sent it to
our crash stub (``tests/engine/test_trap_preservation.py`` died of it).  The invariant pinned here: an address
is never unmapped while it is still published.
"""

from __future__ import annotations

import gc
import platform
import sys

import pytest

pytestmark = pytest.mark.skipif(sys.platform != "linux" or platform.machine() != "x86_64",
                                reason="the singlepass tier generates x86-64 code on Linux")


def _mapped(address: int) -> bool:
    with open("/proc/self/maps") as maps:
        for line in maps:
            lo, hi = (int(x, 16) for x in line.split()[0].split("-"))
            if lo <= address < hi:
                return True
    return False


def _published(guard, address: int) -> bool:
    return any(start == address for start, _end in guard.ranges.values())


def test_pages_outlive_their_published_range():
    from harness.engine.tiers.singlepass import faults
    from harness.engine.tiers.singlepass.codemem import CodeBlock

    guard = faults.guard()
    block = CodeBlock(b"\xc3")  # ret
    faults.name_code(block, lambda off: f"test block +{off:#x}")
    address = block.address
    assert _published(guard, address) and _mapped(address)
    del block
    gc.collect()
    # collected, but the range is still published until the next drain: the pages must still be there
    assert not _published(guard, address) or _mapped(address)
    faults.check()  # what runs before generated code is entered from Python
    assert not _published(guard, address)
    assert not _mapped(address), "the pages of a collected block are unmapped once its range is gone"
