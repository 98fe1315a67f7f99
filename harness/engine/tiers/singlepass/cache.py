"""On-disk cache of the singlepass tier's machine code, so a module compiled once starts warm in every later
process (the LLVM tier's object cache, ``tiers/llvm/cache.py``, is the model; this one stores what our own
code generator makes, which needs no loader: the code is position-independent -- calls within the module are
rel32, everything else goes through the VMContext -- so an entry is the code bytes and each function's
offset, copied into a fresh executable block).

Key: sha256 over the module's bytes (validated ones only: ``api.Module.data``), a digest of the tier's own
source files (a change to the code generator invalidates every entry), and the host's architecture and the
CPU features the code uses.  Entry: ``MAGIC | sha256(payload) | len(payload) | payload``; anything that does
not verify is a miss (recompiled and overwritten).  Writes go to a temporary file renamed into place.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import struct
import sys
import warnings
from pathlib import Path

MAGIC = b"WASMSINGLEPASS1"
_HEADER = struct.Struct("<32sQ")
_COUNT = struct.Struct("<I")
_source_digest: str | None = None


def default_cache_dir() -> Path:
    """``$HARNESS_SINGLEPASS_CACHE``, else ``$HARNESS_CACHE/singlepass``, else ``~/.cache/wasm-harness/singlepass``
    (``$XDG_CACHE_HOME`` honoured)."""
    env = os.environ.get("HARNESS_SINGLEPASS_CACHE")
    if env:
        return Path(env)
    root = os.environ.get("HARNESS_CACHE")
    if root:
        return Path(root) / "singlepass"
    xdg = os.environ.get("XDG_CACHE_HOME", "").strip()
    return Path(xdg or Path.home() / ".cache") / "wasm-harness" / "singlepass"


def source_digest() -> str:
    """Digest of every source file of the tier (this package and its code generators)."""
    global _source_digest
    if _source_digest is None:
        h = hashlib.sha256()
        here = Path(__file__).resolve().parent
        for p in sorted(here.rglob("*.py")):
            h.update(str(p.relative_to(here)).encode())
            h.update(p.read_bytes())
        _source_digest = h.hexdigest()[:16]
    return _source_digest


def cache_key(data: bytes, cpu: str) -> str:
    h = hashlib.sha256()
    for part in (hashlib.sha256(data).digest(), source_digest().encode(), cpu.encode(), sys.byteorder.encode()):
        h.update(len(part).to_bytes(8, "little"))
        h.update(part)
    return h.hexdigest()


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


class CodeCache:
    """The directory of entries (``None``: no cache) and what this process found in it."""

    def __init__(self, directory: Path | str | None):
        self.directory = Path(directory) if directory is not None else None
        self.hits = 0
        self.misses = 0
        self.store_failed = False
        self._held: dict[str, tuple[bytes, list[int]]] = {}

    def _path(self, key: str) -> Path:
        assert self.directory is not None
        return self.directory / key[:2] / f"{key}.bin"

    def hold(self, key: str) -> bool:
        """Load and verify the entry now and keep it for the next ``load`` (a warm start decided on its
        presence cannot then lose it to a concurrent rewrite)."""
        if key not in self._held:
            entry = self.load(key)
            if entry is None:
                return False
            self._held[key] = entry
        return True

    def load(self, key: str) -> tuple[bytes, list[int]] | None:
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
        entry = _verify(data)
        if entry is None:
            self.misses += 1
        else:
            self.hits += 1
        return entry

    def store(self, key: str, code: bytes, offsets: list[int]) -> None:
        if self.directory is None:
            return
        import tempfile

        payload = encode_entry(code, offsets)
        path = self._path(key)
        tmp = None
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
            with os.fdopen(fd, "wb") as f:
                f.write(MAGIC + _HEADER.pack(hashlib.sha256(payload).digest(), len(payload)) + payload)
            os.replace(tmp, path)
        except OSError as e:
            if tmp is not None:
                with contextlib.suppress(OSError):
                    os.unlink(tmp)
            if not self.store_failed:
                warnings.warn(f"singlepass tier: cannot write the code cache in {self.directory} ({e}); every "
                              "run compiles again (set HARNESS_SINGLEPASS_CACHE to a writable directory)",
                              RuntimeWarning, stacklevel=2)
            self.store_failed = True


def _verify(data: bytes) -> tuple[bytes, list[int]] | None:
    head = len(MAGIC) + _HEADER.size
    if len(data) < head or not data.startswith(MAGIC):
        return None
    digest, n = _HEADER.unpack_from(data, len(MAGIC))
    payload = data[head:]
    if len(payload) != n or hashlib.sha256(payload).digest() != digest:
        return None
    return decode_entry(payload)
