"""Our WASI programs and their data file stay in step (a program without expectations is never run)."""

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
