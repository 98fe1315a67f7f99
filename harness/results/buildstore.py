"""Old engine builds kept by content, so the build before a suspected step can be measured again after
the engine was upgraded in place (``ci/confirm``).

A run records each engine's binary by path and sha256 (``builds.py``); an upgrade overwrites the file at
that path, and the build the history measured is gone.  Every perf run therefore copies each engine
binary it measured into this store, once per digest:

    <store>/<sha256>          the binary (executable), named by its content
    <store>/<sha256>.json     {"digest", "bytes", "version", "path" it was found at, "kept", "used"}

The store is ``$HARNESS_BUILD_STORE`` or ``<harness cache>/builds``.  Its size is capped by
``$HARNESS_BUILD_STORE_CAP`` (bytes; ``CAP_DEFAULT``, 1 GiB, when unset; ``0`` keeps nothing).  Eviction
rule: when a new build would take the store past the cap, the builds used least recently (kept, or
looked up for a re-measurement) are removed first, until it fits; the build being kept is never the one
removed, and one larger than the whole cap is not kept at all.  A build is looked up by digest and
checked against it before it is used: a copy changed on disk is removed, never measured.

Only the executable is kept: an engine that loads shared libraries of its own (a dynamically linked
``node``) is measured again with today's libraries.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from ..digests import sha256_file
from ..errors import HarnessError
from ..paths import cache_dir

STORE_ENV = "HARNESS_BUILD_STORE"
CAP_ENV = "HARNESS_BUILD_STORE_CAP"
CAP_DEFAULT = 1 << 30
OVERRIDES_ENV = "HARNESS_ENGINE_BINARIES"  # {"runtime": "/path/to/binary"}: what ci/confirm measures


class BuildStoreError(HarnessError):
    """A build that cannot be kept or had again, in words a user can act on."""


def store_dir() -> Path:
    root = os.environ.get(STORE_ENV)
    return Path(root) if root else cache_dir() / "builds"


def cap_bytes() -> int:
    raw = os.environ.get(CAP_ENV, "").strip()
    if not raw:
        return CAP_DEFAULT
    try:
        cap = int(raw)
    except ValueError:
        raise BuildStoreError(f"${CAP_ENV}={raw!r} is not a number of bytes (fix: e.g. {CAP_ENV}=1073741824, "
                              f"or 0 to keep no builds)") from None
    return max(cap, 0)


@dataclass(frozen=True)
class Kept:
    digest: str
    path: Path
    bytes: int
    version: str | None
    source: str  # where the binary was when it was kept
    kept: float
    used: float


class BuildStore:
    """The content-addressed store of engine binaries (see the module's docstring)."""

    def __init__(self, root: Path | None = None, cap: int | None = None):
        self.root = root or store_dir()
        self.cap = cap_bytes() if cap is None else cap

    def _meta(self, digest: str) -> Path:
        return self.root / f"{digest}.json"

    def entries(self) -> list[Kept]:
        """Every build kept, least recently used first."""
        out = []
        for meta in self.root.glob("*.json") if self.root.is_dir() else ():
            try:
                m = json.loads(meta.read_text())
                binary = self.root / m["digest"]
                out.append(Kept(m["digest"], binary, binary.stat().st_size, m.get("version"), m.get("path", ""),
                                float(m.get("kept", 0)), float(m.get("used", 0))))
            except (OSError, ValueError, KeyError):
                continue  # a half-written entry: not a build (its binary, if any, is swept by evict)
        return sorted(out, key=lambda k: (k.used, k.digest))

    def size(self) -> int:
        return sum(k.bytes for k in self.entries())

    def _touch(self, digest: str, **fields: object) -> None:
        meta = self._meta(digest)
        m = json.loads(meta.read_text()) if meta.exists() else {"digest": digest}
        m.update(fields, used=time.time())
        tmp = meta.with_suffix(".json.tmp")
        tmp.write_text(json.dumps(m, sort_keys=True))
        tmp.replace(meta)

    def keep(self, binary: str | Path, digest: str | None = None, version: str | None = None) -> Path | None:
        """Copy ``binary`` into the store under its digest (once) and return the kept copy; None when the
        cap keeps nothing or the binary is larger than the whole cap.  ``digest``: its sha256 if known."""
        src = Path(binary)
        digest = digest or sha256_file(src)
        kept = self.root / digest
        if kept.is_file() and self._meta(digest).exists():
            self._touch(digest)
            return kept
        size = src.stat().st_size
        if self.cap <= 0 or size > self.cap:
            return None
        self.root.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=self.root, prefix=".keep-")
        os.close(fd)
        try:
            shutil.copyfile(src, tmp)
            if sha256_file(Path(tmp)) != digest:  # the binary changed while it was copied: keep nothing
                return None
            os.chmod(tmp, 0o755)
            os.replace(tmp, kept)
        finally:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp)
        now = time.time()
        self._touch(digest, bytes=size, version=version, path=str(src), kept=now)
        self.evict(spare=digest)
        return kept

    def lookup(self, digest: str) -> Path | None:
        """The kept binary of ``digest``, checked against it; None when it is not kept (or was changed on
        disk, which removes it)."""
        kept = self.root / digest
        if not kept.is_file() or not self._meta(digest).exists():
            return None
        if sha256_file(kept) != digest:
            self.remove(digest)
            return None
        self._touch(digest)
        return kept

    def remove(self, digest: str) -> None:
        for p in (self.root / digest, self._meta(digest)):
            with contextlib.suppress(FileNotFoundError):
                p.unlink()

    def evict(self, spare: str | None = None) -> list[str]:
        """Remove the least recently used builds until the store fits its cap (never ``spare``), and any
        binary without its entry; the digests removed."""
        removed = []
        known = set()
        entries = self.entries()
        total = sum(k.bytes for k in entries)
        for k in entries:
            known.add(k.digest)
            if total <= self.cap:
                continue
            if k.digest == spare:
                continue
            self.remove(k.digest)
            removed.append(k.digest)
            total -= k.bytes
        for p in self.root.iterdir() if self.root.is_dir() else ():
            if p.suffix == "" and not p.name.startswith(".") and p.name not in known:
                with contextlib.suppress(OSError):
                    p.unlink()
        return removed


def keep_build(build: dict) -> None:
    """Keep the binary a recorded ``build`` (``builds.engine_build``) names, and say so in it
    (``build["kept"]``); never raises: a run is recorded whether or not its engine could be kept."""
    path, digest = build.get("path"), build.get("digest")
    if build.get("kind") != "binary" or not path or not digest:
        return
    try:
        build["kept"] = BuildStore().keep(path, digest, build.get("version")) is not None
    except (OSError, BuildStoreError) as e:
        build["kept"] = False
        build["keep_error"] = f"{type(e).__name__}: {e}"


def find_binary(build: dict) -> tuple[Path | None, str]:
    """Where the binary of a recorded ``build`` can be had with its digest: at the path the run recorded,
    else in the store; (None, why not) otherwise, the reason naming the path, the digest and the store."""
    from .builds import file_digest

    path, digest = build.get("path"), build.get("digest")
    what = build.get("version") or "that build"
    if not path or not digest:
        return None, f"the run recorded no binary for {what} (only its version)"
    if Path(path).is_file() and file_digest.__wrapped__(path) == digest:
        return Path(path), ""
    store = BuildStore()
    kept = store.lookup(digest)
    if kept is not None:
        return kept, ""
    if not Path(path).exists():
        there = f"{path} no longer exists"
    else:
        there = f"{path} now holds another build (sha256 {(file_digest.__wrapped__(path) or '?')[:12]})"
    return None, (f"the binary of {what} (sha256 {digest[:12]}) is not here any more: {there}, and the build "
                  f"store {store.root} does not hold it (it keeps perf runs' binaries up to ${CAP_ENV} bytes, "
                  f"least recently used evicted first)")


def binary_overrides() -> dict[str, str]:
    """``$HARNESS_ENGINE_BINARIES``: runtime -> the binary to run instead of the one its adapter finds."""
    raw = os.environ.get(OVERRIDES_ENV, "").strip()
    if not raw:
        return {}
    try:
        value = json.loads(raw)
    except ValueError:
        value = None
    if not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
        raise BuildStoreError(f"${OVERRIDES_ENV} must be a JSON object of runtime to binary path, not {raw!r}")
    return value


def apply_overrides(adapters: dict) -> None:
    """Make each adapter named in ``$HARNESS_ENGINE_BINARIES`` run that binary (its ``binary()``)."""
    for runtime, path in binary_overrides().items():
        adapter = adapters.get(runtime)
        if adapter is None:
            raise BuildStoreError(f"${OVERRIDES_ENV} names runtime {runtime!r}, which is not known here")
        if not Path(path).is_file():
            raise BuildStoreError(f"${OVERRIDES_ENV}: the binary {path} for {runtime} does not exist")
        binary = Path(path)
        adapter.binary = lambda *_args, _b=binary, **_kw: _b
