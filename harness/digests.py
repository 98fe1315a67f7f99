"""The one way the harness hashes a file: SHA-256, read in 1 MiB blocks so a large binary or workload
output is never held in memory whole.  Builds, kept binaries and workload sources and outputs are all
named by this digest, so two places that hashed differently would disagree about the same file."""

from __future__ import annotations

import hashlib
from pathlib import Path


def sha256_file(path: str | Path) -> str:
    """The hex SHA-256 of the file at ``path``; raises OSError when it cannot be read."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()
