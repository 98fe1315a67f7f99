"""Our WASI programs and their data file stay in step (a program without expectations is never run)."""

import pytest

from harness.wasi.programs import PROGRAMS_DIR, load_table

KNOWN_KEYS = {"args", "env", "dirs", "files", "mkdirs", "stdin", "exit_code", "stdout", "stderr", "exact"}


def test_every_program_has_an_entry_and_every_entry_a_program():
    programs = {p.stem for p in PROGRAMS_DIR.glob("*.c")}
    assert programs == set(load_table())


def test_entries_use_known_keys_and_say_what_to_expect():
    for name, entry in load_table().items():
        assert set(entry) <= KNOWN_KEYS, f"{name}: unknown keys {set(entry) - KNOWN_KEYS}"
        assert "stdout" in entry or "exit_code" in entry, f"{name} checks nothing"
        for d in entry.get("dirs", []):
            assert not d.startswith("/") and ".." not in d.split("/"), f"{name}: dir {d!r} must be relative"


def _fake_build(monkeypatch, tmp_path):
    """build_own_suite with the cache in tmp_path and a compiler that records its calls instead of running zig."""
    import threading
    import time

    from harness.wasi import programs

    calls = []
    lock = threading.Lock()

    def fake_compile(source, out, include):
        time.sleep(0.005)  # long enough for a second builder to start while the first is compiling
        out.write_bytes(b"\0asm\1\0\0\0")
        with lock:
            calls.append(source.stem)

    monkeypatch.setattr(programs, "cache_dir", lambda: tmp_path)
    monkeypatch.setattr(programs, "source_hash", lambda programs_dir=None, zig=None: "h")
    monkeypatch.setattr(programs, "_zig_version", lambda: "0.fake")
    monkeypatch.setattr(programs, "compile_c", fake_compile)
    return programs, calls


def test_concurrent_builds_compile_once_and_share_one_complete_build(monkeypatch, tmp_path):
    """pytest-xdist workers build the suite at the same time: one compiles, the others wait and use its
    build.  (Both used to compile, and the second to finish deleted the first one's finished build while
    that worker was reading it: a missing-program KeyError in CI.)"""
    import threading

    programs, calls = _fake_build(monkeypatch, tmp_path)
    roots = []
    threads = [threading.Thread(target=lambda: roots.append(programs.build_own_suite())) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    table = load_table()
    assert len(roots) == 3 and len(set(roots)) == 1
    assert sorted(calls) == sorted(table)  # each program compiled once, not once per builder
    group = roots[0] / programs.GROUP_DIR
    assert (roots[0] / ".complete").is_file()
    assert {p.stem for p in group.glob("*.wasm")} == set(table)
    assert sorted(p.name for p in tmp_path.glob("wasi/own/*") if p.is_dir()) == ["h"]  # no tmp or old builds left


def test_forced_rebuild_replaces_the_build_in_place(monkeypatch, tmp_path):
    programs, calls = _fake_build(monkeypatch, tmp_path)
    root = programs.build_own_suite()
    (root / "stale").write_text("from the old build")
    assert programs.build_own_suite(force=True) == root
    assert len(calls) == 2 * len(load_table())
    assert (root / ".complete").is_file() and not (root / "stale").exists()
    assert sorted(p.name for p in tmp_path.glob("wasi/own/*") if p.is_dir()) == ["h"]


def test_a_failed_build_leaves_nothing_behind(monkeypatch, tmp_path):
    from harness.errors import HarnessError

    programs, _ = _fake_build(monkeypatch, tmp_path)

    def failing_compile(source, out, include):
        raise HarnessError(f"compiling {source.name} failed")

    monkeypatch.setattr(programs, "compile_c", failing_compile)
    with pytest.raises(HarnessError):
        programs.build_own_suite()
    assert [p.name for p in tmp_path.glob("wasi/own/*") if p.is_dir()] == []


def test_without_zig_the_build_of_the_same_sources_is_used_and_none_is_a_clear_error(monkeypatch, tmp_path):
    """An aarch64 root filesystem has no zig: it runs the build the host made of the same sources (the cache
    folder is shared), and says what to do when there is none -- or when the sources changed since."""
    from harness.errors import HarnessError

    programs, calls = _fake_build(monkeypatch, tmp_path)
    monkeypatch.setattr(programs, "_zig_version", lambda: None)
    with pytest.raises(HarnessError, match="needs zig .* no build of these sources"):
        programs.build_own_suite()
    monkeypatch.setattr(programs, "_zig_version", lambda: "0.fake")
    root = programs.build_own_suite()
    monkeypatch.setattr(programs, "_zig_version", lambda: None)
    assert programs.build_own_suite() == root
    assert len(calls) == len(load_table())  # nothing compiled without zig
    monkeypatch.setattr(programs, "sources_digest", lambda programs_dir=None: "other sources")
    with pytest.raises(HarnessError, match="no build of these sources"):
        programs.build_own_suite()
