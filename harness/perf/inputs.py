"""The deterministic input of the compression workloads: seeded, mixed text and binary.

Real files are neither pure text nor pure noise, and compressors behave very differently on each, so
the input interleaves 64 KiB blocks of: English-like text from a seeded vocabulary (60%), structured
binary records with small-step integers (25%), incompressible random bytes (10%) and long runs (5%).
The same seed and size always give the same bytes (``GENERATOR_VERSION`` changes if the recipe does),
so outputs can be compared across engines, runs and machines.
"""

from __future__ import annotations

import hashlib
import os
import random
import struct
from pathlib import Path

GENERATOR_VERSION = 1
BLOCK = 64 * 1024
DEFAULT_SEED = 20261126


def _vocabulary(rng: random.Random, n: int = 4000) -> list[bytes]:
    letters = "etaoinshrdlcumwfgypbvkjxqz"
    weights = [12.7, 9.1, 8.2, 7.5, 7.0, 6.7, 6.3, 6.1, 6.0, 4.3, 4.0, 2.8, 2.8, 2.4, 2.4, 2.2, 2.0, 2.0,
               1.9, 1.5, 1.0, 0.8, 0.2, 0.2, 0.1, 0.1]
    words = []
    for _ in range(n):
        length = max(1, min(14, int(rng.expovariate(1 / 5.0)) + 1))
        words.append("".join(rng.choices(letters, weights, k=length)).encode())
    return words


def _text_block(rng: random.Random, words: list[bytes], cum: list[float]) -> bytes:
    out = bytearray()
    while len(out) < BLOCK:
        sentence = rng.choices(words, cum_weights=cum, k=rng.randint(5, 18))
        s = b" ".join(sentence)
        out += s[:1].upper() + s[1:] + (b".\n" if rng.random() < 0.2 else b". ")
    return bytes(out[:BLOCK])


def _record_block(rng: random.Random) -> bytes:
    base, step = rng.getrandbits(32), rng.randint(1, 9)
    tag = rng.getrandbits(16)
    recs = [struct.pack("<IHHd", (base + i * step) & 0xFFFFFFFF, tag, i & 0xFFFF, i * 0.25) for i in range(BLOCK // 16)]
    return b"".join(recs)


def _runs_block(rng: random.Random) -> bytes:
    out = bytearray()
    while len(out) < BLOCK:
        out += bytes([rng.getrandbits(8)]) * rng.randint(16, 4096)
    return bytes(out[:BLOCK])


def generate(size: int, seed: int = DEFAULT_SEED) -> bytes:
    """``size`` bytes of mixed content for ``seed``."""
    rng = random.Random(seed)
    words = _vocabulary(rng)
    # Zipf-like word frequencies, as in natural text.
    cum, total = [], 0.0
    for i in range(len(words)):
        total += 1.0 / (i + 1)
        cum.append(total)
    out = bytearray()
    while len(out) < size:
        kind = rng.random()
        if kind < 0.60:
            out += _text_block(rng, words, cum)
        elif kind < 0.85:
            out += _record_block(rng)
        elif kind < 0.95:
            out += rng.randbytes(BLOCK)
        else:
            out += _runs_block(rng)
    return bytes(out[:size])


def input_file(cache: Path, size: int, seed: int = DEFAULT_SEED) -> tuple[Path, str]:
    """The generated input as a cached file, and its sha256."""
    cache.mkdir(parents=True, exist_ok=True)
    path = cache / f"input-v{GENERATOR_VERSION}-s{seed}-{size}.bin"
    sha_path = path.with_suffix(".sha256")
    if path.exists() and sha_path.exists():
        return path, sha_path.read_text().strip()
    data = generate(size, seed)
    digest = hashlib.sha256(data).hexdigest()
    # per-process temporary names, renamed into place: concurrent callers each publish a whole file
    tmp = path.with_suffix(f".{os.getpid()}.tmp")
    tmp.write_bytes(data)
    tmp.rename(path)
    sha_tmp = sha_path.with_suffix(f".{os.getpid()}.tmp")
    sha_tmp.write_text(digest)
    sha_tmp.rename(sha_path)
    return path, digest
