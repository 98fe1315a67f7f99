"""On-disk cache of compiled object code.

Key: sha256 over the module's identity (its bytes when known, else its IR's ``repr``), the engine version
(llvmlite/LLVM versions plus a digest of this tier's own source files, so changing the code generator
invalidates old entries), the optimisation level and the host target (triple, CPU, features).

Entry format: ``MAGIC | sha256(payload) | len(payload) | payload``.  Anything that does not verify (a
truncated file, a torn write, garbage) is treated as a miss: the module is recompiled and the entry
overwritten.  Writes go to a temporary file renamed into place, so readers never see half an entry.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import struct
import sys
import warnings
from pathlib import Path

MAGIC = b"WASMLLVMOBJ1"
_HEADER = struct.Struct("<32sQ")
_source_digest: str | None = None


def default_cache_dir() -> Path:
    """``$HARNESS_LLVM_CACHE``, else ``$HARNESS_CACHE/llvm``, else the user cache dir's ``wasm-harness/llvm``."""
    env = os.environ.get("HARNESS_LLVM_CACHE")
    if env:
        return Path(env)
    root = os.environ.get("HARNESS_CACHE")
    if root:
        return Path(root) / "llvm"
    if sys.platform.startswith("linux"):
        # what platformdirs.user_cache_dir answers on Linux, without importing it on every start
        xdg = os.environ.get("XDG_CACHE_HOME", "").strip()
        return Path(xdg or Path.home() / ".cache") / "wasm-harness" / "llvm"
    try:
        import platformdirs

        return Path(platformdirs.user_cache_dir("wasm-harness")) / "llvm"
    except ImportError:
        return Path.home() / ".cache" / "wasm-harness" / "llvm"


def source_digest() -> str:
    """Digest of the tier's source files: part of the engine version in every cache key."""
    global _source_digest
    if _source_digest is None:
        h = hashlib.sha256()
        here = Path(__file__).resolve().parent
        for p in sorted(here.glob("*.py")):
            h.update(p.name.encode())
            h.update(p.read_bytes())
        _source_digest = h.hexdigest()[:16]
    return _source_digest


def cache_key(module_identity: bytes, engine_version: str, opt_level: int | str, target: tuple[str, ...]) -> str:
    h = hashlib.sha256()
    for part in (module_identity, engine_version.encode(), source_digest().encode(), str(opt_level).encode(),
                 "|".join(target).encode()):
        h.update(len(part).to_bytes(8, "little"))
        h.update(part)
    return h.hexdigest()


class ObjectCache:
    def __init__(self, directory: Path | str | None):
        self.directory = Path(directory) if directory is not None else None
        self.hits = 0
        self.misses = 0
        self._held: dict[str, bytes] = {}  # verified entries kept for the next load (see hold)
        self.store_failed = False  # a store failed (and was reported once)

    def hold(self, key: str) -> bool:
        """Load and verify the entry for ``key`` now and keep it for the next ``load(key)``: a caller
        that decides on its presence (a warm start) cannot then lose it to a concurrent eviction."""
        if key not in self._held:
            payload = self.load(key)
            if payload is None:
                return False
            self._held[key] = payload
        return True

    def _path(self, key: str) -> Path:
        assert self.directory is not None
        return self.directory / key[:2] / f"{key}.o"

    def load(self, key: str) -> bytes | None:
        held = self._held.pop(key, None)
        if held is not None:
            return held
        if self.directory is None:
            return None
        try:
            data = self._path(key).read_bytes()
        except OSError:
            self.misses += 1
            return None
        payload = _verify(data)
        if payload is None:
            self.misses += 1
        else:
            self.hits += 1
        return payload

    def store(self, key: str, payload: bytes) -> None:
        if self.directory is None:
            return
        import tempfile  # only on a miss: a warm start does not pay for importing it (and shutil, random)

        path = self._path(key)
        tmp = None
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
            with os.fdopen(fd, "wb") as f:
                f.write(MAGIC + _HEADER.pack(hashlib.sha256(payload).digest(), len(payload)) + payload)
            os.replace(tmp, path)
        except OSError as e:
            # a cache that cannot be written only costs time, but every later run pays it: say so, once
            if tmp is not None:
                with contextlib.suppress(OSError):
                    os.unlink(tmp)
            if not self.store_failed:
                warnings.warn(f"LLVM tier: cannot write the compiled-code cache in {self.directory} ({e}); "
                              "this code will be compiled again by every run (set HARNESS_LLVM_CACHE to a "
                              "writable directory)", RuntimeWarning, stacklevel=2)
            self.store_failed = True


def _verify(data: bytes) -> bytes | None:
    head = len(MAGIC) + _HEADER.size
    if len(data) < head or not data.startswith(MAGIC):
        return None
    digest, n = _HEADER.unpack_from(data, len(MAGIC))
    payload = data[head:]
    if len(payload) != n or hashlib.sha256(payload).digest() != digest:
        return None
    return payload
