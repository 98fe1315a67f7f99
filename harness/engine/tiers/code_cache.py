"""The native tiers' on-disk cache of compiled code, verified on every read and written atomically.

The LLVM tier (object files) and the singlepass tier (machine code and function offsets) cache different
payloads under the same rules, so the rules live here once and each tier's ``cache.py`` keeps only its payload
format, its key parts and its directory's name:

- a key is sha256 over length-prefixed parts (``digest_key``): the tiers put in the module's bytes (or their
  digest), a digest of the tier's own source files (``source_digest``: changing the code generator invalidates
  every entry) and the host CPU, so entries are content-addressed and a stale one is never found;
- an entry on disk is ``magic | sha256(payload) | len(payload) | payload``; anything that does not verify (a
  truncated file, a torn write, another tier's or format's entry, garbage) is a miss, so the code is
  recompiled and the entry overwritten;
- writes go to a temporary file in the entry's directory renamed into place, so concurrent readers and
  writers only ever see whole entries;
- a cache that cannot be written costs one warning per cache object, not the run.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import struct
import sys
import warnings
from collections.abc import Iterable
from pathlib import Path
from typing import Generic, TypeVar

T = TypeVar("T")

_HEADER = struct.Struct("<32sQ")  # sha256(payload), len(payload)
_source_digests: dict[Path, str] = {}


def default_cache_dir(env_var: str, name: str) -> Path:
    """``$<env_var>``, else ``$HARNESS_CACHE/<name>``, else the user cache directory's ``wasm-harness/<name>``
    (the one ``harness.paths`` gets from platformdirs; worked out here on Linux, since importing platformdirs
    would cost every warm start)."""
    env = os.environ.get(env_var)
    if env:
        return Path(env)
    root = os.environ.get("HARNESS_CACHE")
    if root:
        return Path(root) / name
    if sys.platform.startswith("linux"):
        xdg = os.environ.get("XDG_CACHE_HOME", "").strip()
        return Path(xdg or Path.home() / ".cache") / "wasm-harness" / name
    try:
        import platformdirs

        return Path(platformdirs.user_cache_dir("wasm-harness")) / name
    except ImportError:
        return Path.home() / ".cache" / "wasm-harness" / name


def source_digest(package: Path) -> str:
    """Digest of every ``.py`` file under ``package`` (names and contents), computed once per process: part of
    every key, so entries made by other code are never found."""
    package = package.resolve()
    digest = _source_digests.get(package)
    if digest is None:
        h = hashlib.sha256()
        for p in sorted(package.rglob("*.py")):
            h.update(str(p.relative_to(package)).encode())
            h.update(p.read_bytes())
        digest = _source_digests[package] = h.hexdigest()[:16]
    return digest


def digest_key(parts: Iterable[bytes]) -> str:
    """sha256 (hex) over ``parts``, each prefixed by its length so no two lists of parts share a key."""
    h = hashlib.sha256()
    for part in parts:
        h.update(len(part).to_bytes(8, "little"))
        h.update(part)
    return h.hexdigest()


def frame(magic: bytes, payload: bytes) -> bytes:
    """The bytes of an entry holding ``payload``."""
    return magic + _HEADER.pack(hashlib.sha256(payload).digest(), len(payload)) + payload


def unframe(magic: bytes, data: bytes) -> bytes | None:
    """The payload of an entry, or None when ``data`` is not a whole, intact entry with this ``magic``."""
    head = len(magic) + _HEADER.size
    if len(data) < head or not data.startswith(magic):
        return None
    digest, n = _HEADER.unpack_from(data, len(magic))
    payload = data[head:]
    if len(payload) != n or hashlib.sha256(payload).digest() != digest:
        return None
    return payload


class FileCache(Generic[T]):
    """A directory of verified entries (``None``: no cache) and what this process found in it.

    A tier subclasses it with its entry's ``magic`` and file ``suffix``, its ``tier`` name and ``env_var`` (for
    the warning), and ``decode`` (payload to what ``load`` returns, None when the payload is not well formed);
    its ``store`` encodes the payload and calls ``write``."""

    magic: bytes
    suffix: str
    tier: str
    env_var: str

    def __init__(self, directory: Path | str | None):
        self.directory = Path(directory) if directory is not None else None
        self.hits = 0
        self.misses = 0
        self.store_failed = False  # a write failed (and was reported once)
        self._held: dict[str, T] = {}  # verified entries kept for the next load (see hold)

    def decode(self, payload: bytes) -> T | None:
        raise NotImplementedError

    def path(self, key: str) -> Path:
        """Where the entry for ``key`` lives (two-character fan-out directories)."""
        assert self.directory is not None
        return self.directory / key[:2] / f"{key}{self.suffix}"

    def hold(self, key: str) -> bool:
        """Load and verify the entry for ``key`` now and keep it for the next ``load(key)``: a caller that
        decides on its presence (a warm start) cannot then lose it to a concurrent rewrite or eviction."""
        if key not in self._held:
            entry = self.load(key)
            if entry is None:
                return False
            self._held[key] = entry
        return True

    def load(self, key: str) -> T | None:
        """The entry for ``key``, or None (a miss) when there is none or it does not verify."""
        held = self._held.pop(key, None)
        if held is not None:
            return held
        if self.directory is None:
            return None
        try:
            data = self.path(key).read_bytes()
        except OSError:
            self.misses += 1
            return None
        payload = unframe(self.magic, data)
        entry = self.decode(payload) if payload is not None else None
        if entry is None:
            self.misses += 1
        else:
            self.hits += 1
        return entry

    def write(self, key: str, payload: bytes) -> None:
        """Store ``payload`` as the entry for ``key``: whole or not at all."""
        if self.directory is None:
            return
        import tempfile  # only on a miss: a warm start does not pay for importing it (and shutil, random)

        path = self.path(key)
        tmp = None
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
            with os.fdopen(fd, "wb") as f:
                f.write(frame(self.magic, payload))
            os.replace(tmp, path)
        except OSError as e:
            # a cache that cannot be written only costs time, but every later run pays it: say so, once
            if tmp is not None:
                with contextlib.suppress(OSError):
                    os.unlink(tmp)
            if not self.store_failed:
                warnings.warn(f"{self.tier} tier: cannot write the code cache in {self.directory} ({e}); this "
                              f"code will be compiled again by every run (set {self.env_var} to a writable "
                              "directory)", RuntimeWarning, stacklevel=3)
            self.store_failed = True
