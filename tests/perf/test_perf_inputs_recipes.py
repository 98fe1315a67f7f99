import zlib

import pytest

from harness.errors import HarnessError
from harness.perf.checks import normalized_digest
from harness.perf.inputs import generate, input_file
from harness.perf.recipes import load_programs, load_workloads, select_workloads


def test_generator_is_deterministic_and_seeded():
    a = generate(300_000, seed=7)
    assert a == generate(300_000, seed=7)
    assert a != generate(300_000, seed=8)
    assert len(a) == 300_000


def test_generator_mixes_text_and_binary():
    data = generate(2 << 20, seed=3)
    ratio = len(zlib.compress(data, 6)) / len(data)
    assert 0.15 < ratio < 0.85  # neither pure text nor pure noise
    printable = sum(32 <= b < 127 or b == 10 for b in data) / len(data)
    assert 0.3 < printable < 0.95


def _input_in(cache):
    return input_file(cache, 4096, seed=7)


def test_input_file_from_concurrent_processes_is_whole_and_leaves_no_temporaries(tmp_path):
    """``harness perf`` under pytest-xdist: several processes may generate the same input at once; each
    publishes whole files by renaming its own temporary (a shared temporary name used to make the
    second rename fail)."""
    import hashlib
    from concurrent.futures import ProcessPoolExecutor

    with ProcessPoolExecutor(4) as pool:
        results = list(pool.map(_input_in, [tmp_path] * 8))
    path, digest = results[0]
    assert all(r == (path, digest) for r in results)
    assert path.read_bytes() == generate(4096, seed=7)
    assert hashlib.sha256(path.read_bytes()).hexdigest() == digest == path.with_suffix(".sha256").read_text()
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([path.name, path.with_suffix(".sha256").name])


def test_every_workload_names_a_known_program():
    programs = load_programs()
    for w in load_workloads():
        assert w.program in programs, w.name
    for p in programs.values():
        if p.source:
            assert len(p.source.orig_sha256) == 64 and len(p.source.dsc_sha256) == 64


def test_select_by_group_and_name():
    ws = load_workloads()
    assert {w.group for w in select_workloads(ws, "gzip")} == {"gzip"}
    assert [w.name for w in select_workloads(ws, "micro-calls")] == ["micro-calls"]
    with pytest.raises(HarnessError, match="unknown workload"):
        select_workloads(ws, "nope")


def test_scale_substitution():
    w = next(w for w in load_workloads() if w.name == "sqlite-speedtest1")
    assert w.argv(7)[:2] == ["--size", "7"]
    assert w.argv(None)[1] == str(w.scale)


def test_normalized_digest_ignores_timings(tmp_path):
    a, b, c = tmp_path / "a", tmp_path / "b", tmp_path / "c"
    a.write_text(" 100 - inserts.....    0.123s\nTOTAL    1.5s\nhash 42\n")
    b.write_text(" 100 - inserts.....    9.999s\nTOTAL    2.25s\nhash 42\n")
    c.write_text(" 100 - inserts.....    0.123s\nTOTAL    1.5s\nhash 43\n")
    pat = r"\d+\.\d+s$"
    assert normalized_digest(a, pat) == normalized_digest(b, pat)
    assert normalized_digest(a, pat) != normalized_digest(c, pat)
