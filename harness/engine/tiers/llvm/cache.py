"""On-disk cache of the LLVM tier's compiled object code (the rules, shared with the singlepass tier, are in
``tiers/code_cache.py``: verified entries, atomic writes, a failed write warned about once).

Key: sha256 over the module's identity (its bytes when known, else its IR's ``repr``), the engine version
(llvmlite/LLVM versions plus a digest of this tier's own source files, so changing the code generator
invalidates old entries), the optimisation level and the host target (triple, CPU, features).  Payload: the
object file as LLVM wrote it.
"""

from __future__ import annotations

from pathlib import Path

from .. import code_cache

MAGIC = b"WASMLLVMOBJ1"
_HERE = Path(__file__).parent


def default_cache_dir() -> Path:
    """``$HARNESS_LLVM_CACHE``, else ``$HARNESS_CACHE/llvm``, else the user cache dir's ``wasm-harness/llvm``."""
    return code_cache.default_cache_dir("HARNESS_LLVM_CACHE", "llvm")


def source_digest() -> str:
    """Digest of the tier's source files: part of the engine version in every cache key."""
    return code_cache.source_digest(_HERE)


def cache_key(module_identity: bytes, engine_version: str, opt_level: int | str, target: tuple[str, ...]) -> str:
    return code_cache.digest_key((module_identity, engine_version.encode(), source_digest().encode(),
                                  str(opt_level).encode(), "|".join(target).encode()))


class ObjectCache(code_cache.FileCache[bytes]):
    """Object files, one per key (``.o``)."""

    magic = MAGIC
    suffix = ".o"
    tier = "LLVM"
    env_var = "HARNESS_LLVM_CACHE"

    def decode(self, payload: bytes) -> bytes | None:
        return payload

    def store(self, key: str, payload: bytes) -> None:
        self.write(key, payload)
