"""On-disk cache of the singlepass tier's machine code, so a module compiled once starts warm in every later
process (the rules, shared with the LLVM tier, are in ``tiers/code_cache.py``: verified entries, atomic
writes, a failed write warned about once).  What our own code generator makes needs no loader: the code is
position-independent -- calls within the module are rel32, everything else goes through the VMContext -- so a
payload is the code bytes and each function's offset, copied into a fresh executable block.

Key: sha256 over the module's bytes (validated ones only: ``api.Module.data``), a digest of the tier's own
source files (this package and its code generators: a change to the code generator invalidates every entry),
and the host's architecture and the CPU features the code uses.
"""

from __future__ import annotations

import hashlib
import struct
import sys
from pathlib import Path

from .. import code_cache

MAGIC = b"WASMSINGLEPASS1"
_COUNT = struct.Struct("<I")
_HERE = Path(__file__).parent


def default_cache_dir() -> Path:
    """``$HARNESS_SINGLEPASS_CACHE``, else ``$HARNESS_CACHE/singlepass``, else ``~/.cache/wasm-harness/singlepass``
    (``$XDG_CACHE_HOME`` honoured)."""
    return code_cache.default_cache_dir("HARNESS_SINGLEPASS_CACHE", "singlepass")


def source_digest() -> str:
    """Digest of every source file of the tier (this package and its code generators)."""
    return code_cache.source_digest(_HERE)


def cache_key(data: bytes, cpu: str) -> str:
    return code_cache.digest_key((hashlib.sha256(data).digest(), source_digest().encode(), cpu.encode(),
                                  sys.byteorder.encode()))


def encode_entry(code: bytes, offsets: list[int]) -> bytes:
    return _COUNT.pack(len(offsets)) + struct.pack(f"<{len(offsets)}I", *offsets) + code


def decode_entry(payload: bytes) -> tuple[bytes, list[int]] | None:
    if len(payload) < _COUNT.size:
        return None
    (n,) = _COUNT.unpack_from(payload)
    head = _COUNT.size + 4 * n
    if len(payload) < head:
        return None
    offsets = list(struct.unpack_from(f"<{n}I", payload, _COUNT.size))
    code = payload[head:]
    if any(o > len(code) for o in offsets):
        return None
    return code, offsets


class CodeCache(code_cache.FileCache[tuple[bytes, list[int]]]):
    """Machine code and function offsets, one entry per key (``.bin``)."""

    magic = MAGIC
    suffix = ".bin"
    tier = "singlepass"
    env_var = "HARNESS_SINGLEPASS_CACHE"

    def decode(self, payload: bytes) -> tuple[bytes, list[int]] | None:
        return decode_entry(payload)

    def store(self, key: str, code: bytes, offsets: list[int]) -> None:
        self.write(key, encode_entry(code, offsets))
