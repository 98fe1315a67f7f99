"""Output checks: every run's output is compared with the reference (native64 built from the same
sources).  A mismatch makes the result ``wrong-output``: it is never reported as a timing."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

from ..digests import sha256_file


def normalized_digest(path: Path, pattern: str | None) -> str:
    """sha256 of the output with volatile parts (timings) removed line by line."""
    text = path.read_bytes().decode(errors="replace")
    if pattern:
        rx = re.compile(pattern, re.MULTILINE)
        text = "\n".join(rx.sub("", line).rstrip() for line in text.splitlines())
    return hashlib.sha256(text.encode()).hexdigest()


def digest(path: Path, check: str, normalize: str | None) -> str:
    if check == "normalized":
        return normalized_digest(path, normalize)
    return sha256_file(path)
