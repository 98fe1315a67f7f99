"""Fake validators with planted faults, for tests/fuzz/test_validation.py: each is a ``check(data) ->
(accepted, message)`` that a validation-fuzzing server process loads by file path
(``NAME=/path/validation_fakes.py:function``).  All answer like our engine except where the fault is."""

from __future__ import annotations

import os
import signal
import sys
import time

from harness.engine import api
from harness.engine.errors import MalformedError, ValidationError
from harness.fuzz.mutate import split_sections


def honest(data: bytes) -> tuple[bool, str]:
    try:
        api.Module.from_bytes(data)
    except (MalformedError, ValidationError) as e:
        return False, str(e)
    return True, ""


def accepts_truncated(data: bytes) -> tuple[bool, str]:
    """Accepts a binary whose last section runs past the end of the file (a truncated section)."""
    if data.startswith(b"\0asm\1\0\0\0") and split_sections(data) is None:
        return True, ""
    return honest(data)


def crashes(data: bytes) -> tuple[bool, str]:
    """Dies of SIGSEGV on every binary whose length is a multiple of 5."""
    if len(data) % 5 == 0:
        os.kill(os.getpid(), signal.SIGSEGV)
    return honest(data)


def hangs(data: bytes) -> tuple[bool, str]:
    """Never answers on binaries whose length is a multiple of 7."""
    if len(data) % 7 == 0:
        time.sleep(3600)
    return honest(data)


def raises(data: bytes) -> tuple[bool, str]:
    """Raises IndexError (a decoder bug that is not a rejection) on lengths that are multiples of 3."""
    if len(data) % 3 == 0:
        raise IndexError("planted")
    return honest(data)


def garbage(data: bytes) -> tuple[bool, str]:
    """Prints a line that is not an answer on lengths that are multiples of 4."""
    if len(data) % 4 == 0:
        sys.stdout.buffer.write(b"\x00\xffnot json\n")
        sys.stdout.buffer.flush()
    return honest(data)
