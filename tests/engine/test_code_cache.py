"""The native tiers' shared code cache (``tiers/code_cache.py``), through a small tier of its own: an entry
is found by the next cache object (a new process in practice); a corrupt, truncated, wrong-digest or foreign
entry is a miss that the next store rewrites; concurrent writers never show a reader half an entry; a cache
that cannot be written warns once and leaves nothing behind."""

from __future__ import annotations

import hashlib
import threading
import warnings
from pathlib import Path

import pytest

from harness.engine.tiers import code_cache
from harness.engine.tiers.llvm import cache as llvm_cache
from harness.engine.tiers.singlepass import cache as singlepass_cache

KEY = "ab" + "1" * 62


class TextCache(code_cache.FileCache[str]):
    """A payload format of our own: UTF-8 text that must start with ``text:``."""

    magic = b"TESTTEXT1"
    suffix = ".txt"
    tier = "test"
    env_var = "HARNESS_TEST_CACHE"

    def decode(self, payload: bytes) -> str | None:
        text = payload.decode("utf-8", "replace")
        return text if text.startswith("text:") else None

    def store(self, key: str, text: str) -> None:
        self.write(key, text.encode())


def stored(tmp_path: Path, text: str = "text: some code") -> Path:
    TextCache(tmp_path).store(KEY, text)
    (path,) = tmp_path.rglob("*.txt")
    return path


def test_an_entry_is_found_by_the_next_cache(tmp_path) -> None:
    path = stored(tmp_path)
    assert path == tmp_path / KEY[:2] / f"{KEY}.txt"
    cache = TextCache(tmp_path)
    assert cache.load(KEY) == "text: some code" and (cache.hits, cache.misses) == (1, 0)
    assert cache.load("cd" + "2" * 62) is None and (cache.hits, cache.misses) == (1, 1)


def _truncated(raw: bytes) -> bytes:
    return raw[:-3]


def _payload_flipped(raw: bytes) -> bytes:
    return raw[:-1] + bytes([raw[-1] ^ 0x20])  # still text: the digest is what catches it


def _wrong_digest(raw: bytes) -> bytes:
    payload = b"text: other code"
    header = code_cache._HEADER.pack(hashlib.sha256(b"text: some code").digest(), len(payload))
    return TextCache.magic + header + payload


def _wrong_length(raw: bytes) -> bytes:
    return raw + b"more"


def _other_magic(raw: bytes) -> bytes:
    return code_cache.frame(b"TESTTEXT2", b"text: some code")  # another format's (or tier's) entry


def _does_not_decode(raw: bytes) -> bytes:
    return code_cache.frame(TextCache.magic, b"binary: intact, but not this tier's payload")


def _empty(raw: bytes) -> bytes:
    return b""


def _header_only(raw: bytes) -> bytes:
    return raw[: len(TextCache.magic) + code_cache._HEADER.size - 1]


@pytest.mark.parametrize("damage", [_truncated, _payload_flipped, _wrong_digest, _wrong_length, _other_magic,
                                    _does_not_decode, _header_only, _empty],
                         ids=lambda f: f.__name__.strip("_"))
def test_an_entry_that_does_not_verify_is_a_miss_and_is_rewritten(tmp_path, damage) -> None:
    path = stored(tmp_path)
    raw = path.read_bytes()
    path.write_bytes(damage(raw))
    cache = TextCache(tmp_path)
    assert not cache.hold(KEY)
    assert cache.load(KEY) is None and (cache.hits, cache.misses) == (0, 2)
    cache.store(KEY, "text: some code")  # what a tier does after recompiling
    assert path.read_bytes() == raw
    assert TextCache(tmp_path).load(KEY) == "text: some code"


def test_a_held_entry_survives_its_file(tmp_path) -> None:
    path = stored(tmp_path)
    cache = TextCache(tmp_path)
    assert cache.hold(KEY) and cache.hold(KEY)
    path.unlink()  # a concurrent eviction after the warm start was decided on
    assert cache.load(KEY) == "text: some code"
    assert cache.load(KEY) is None  # held for one load only


def test_no_directory_means_no_cache(tmp_path) -> None:
    cache = TextCache(None)
    cache.store(KEY, "text: x")
    assert cache.load(KEY) is None and not cache.hold(KEY) and (cache.hits, cache.misses) == (0, 0)


def test_a_failed_write_warns_once_and_leaves_no_temporary_file(tmp_path, monkeypatch) -> None:
    def no_rename(src, dst):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(code_cache.os, "replace", no_rename)
    cache = TextCache(tmp_path)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        cache.store(KEY, "text: a")
        cache.store("cd" + "2" * 62, "text: b")
    messages = [str(w.message) for w in caught]
    assert len(messages) == 1 and "No space left" in messages[0] and "HARNESS_TEST_CACHE" in messages[0]
    assert cache.store_failed and [p for p in tmp_path.rglob("*") if p.is_file()] == []


def test_concurrent_writers_never_show_a_reader_half_an_entry(tmp_path) -> None:
    """Writers rewrite one key with large entries while readers load it: every load finds a whole entry (a
    write in place would let readers see partial files, which verify as misses)."""
    texts = [f"text: {i}".encode() + bytes([65 + i]) * (4 << 20) for i in range(3)]
    TextCache(tmp_path).write(KEY, texts[0])
    stop = threading.Event()
    seen: list[str | None] = []

    def writer(text: bytes) -> None:
        cache = TextCache(tmp_path)
        for _ in range(6):
            cache.write(KEY, text)

    def reader() -> None:
        cache = TextCache(tmp_path)
        while not stop.is_set():
            seen.append(cache.load(KEY))

    readers = [threading.Thread(target=reader) for _ in range(2)]
    writers = [threading.Thread(target=writer, args=(t,)) for t in texts]
    for t in readers + writers:
        t.start()
    for t in writers:
        t.join()
    stop.set()
    for t in readers:
        t.join()
    assert seen and all(s is not None and s.encode() in texts for s in seen)
    assert [p.name for p in tmp_path.rglob("*") if p.is_file()] == [f"{KEY}.txt"]  # no temporary file left


def test_a_key_tells_its_parts_apart() -> None:
    key = code_cache.digest_key((b"ab", b"c"))
    assert len(key) == 64 and key == code_cache.digest_key([b"ab", b"c"])
    assert key != code_cache.digest_key((b"a", b"bc")) and key != code_cache.digest_key((b"abc",))


def test_the_source_digest_covers_every_file_of_the_package(tmp_path) -> None:
    def package(name: str, sub: str) -> Path:
        root = tmp_path / name
        (root / "gen").mkdir(parents=True)
        (root / "tier.py").write_text("x = 1\n")
        (root / "gen" / "codegen.py").write_text(sub)
        return root

    one, same, other = package("a", "y = 1\n"), package("b", "y = 1\n"), package("c", "y = 2\n")
    assert code_cache.source_digest(one) == code_cache.source_digest(same) != code_cache.source_digest(other)


def test_the_cache_directory_follows_the_environment(monkeypatch) -> None:
    monkeypatch.setenv("HARNESS_TEST_CACHE", "/tmp/own")
    monkeypatch.setenv("HARNESS_CACHE", "/tmp/shared")
    assert code_cache.default_cache_dir("HARNESS_TEST_CACHE", "test") == Path("/tmp/own")
    monkeypatch.delenv("HARNESS_TEST_CACHE")
    assert code_cache.default_cache_dir("HARNESS_TEST_CACHE", "test") == Path("/tmp/shared/test")
    monkeypatch.delenv("HARNESS_CACHE")
    monkeypatch.setenv("XDG_CACHE_HOME", "/tmp/xdg")
    if code_cache.sys.platform.startswith("linux"):
        assert code_cache.default_cache_dir("HARNESS_TEST_CACHE", "test") == Path("/tmp/xdg/wasm-harness/test")


def test_the_two_tiers_keep_their_directories_and_cannot_read_each_others_entries(tmp_path, monkeypatch) -> None:
    for var in ("HARNESS_LLVM_CACHE", "HARNESS_SINGLEPASS_CACHE"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("HARNESS_CACHE", str(tmp_path))
    assert llvm_cache.default_cache_dir() == tmp_path / "llvm"
    assert singlepass_cache.default_cache_dir() == tmp_path / "singlepass"
    code = singlepass_cache.encode_entry(b"\xc3", [0])
    llvm_cache.ObjectCache(tmp_path).store(KEY, code)
    (tmp_path / KEY[:2] / f"{KEY}.o").rename(tmp_path / KEY[:2] / f"{KEY}.bin")  # same key, other tier's file
    assert singlepass_cache.CodeCache(tmp_path).load(KEY) is None
    singlepass_cache.CodeCache(tmp_path).store(KEY, b"\xc3", [0])
    assert singlepass_cache.CodeCache(tmp_path).load(KEY) == (b"\xc3", [0])
