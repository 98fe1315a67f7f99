"""The runner judges escapes on the host: anything outside the preopened dirs must be left untouched."""

import os

from harness.wasi.runner import changed_paths, host_snapshot


def _layout(tmp_path):
    (tmp_path / "escape.dir" / "jail" / "inner").mkdir(parents=True)
    (tmp_path / "escape.dir" / "secret.txt").write_text("host secret\n")
    (tmp_path / "escape.dir" / "jail" / "inside.txt").write_text("inside\n")
    return [(str(tmp_path / "escape.dir" / "jail"), "escape.dir/jail")]


def test_changes_inside_the_preopen_are_the_guests_business(tmp_path):
    dirs = _layout(tmp_path)
    before = host_snapshot(tmp_path, dirs)
    (tmp_path / "escape.dir" / "jail" / "new.txt").write_text("x")
    (tmp_path / "escape.dir" / "jail" / "inside.txt").unlink()
    (tmp_path / "escape.dir" / "jail" / "inner" / "deep.txt").write_text("y")
    assert changed_paths(before, host_snapshot(tmp_path, dirs)) == []


def test_created_modified_and_removed_outside_files_are_reported(tmp_path):
    dirs = _layout(tmp_path)
    before = host_snapshot(tmp_path, dirs)
    (tmp_path / "escape.dir" / "moved.txt").write_text("out")
    secret = tmp_path / "escape.dir" / "secret.txt"
    secret.write_text("changed, and longer\n")
    os.utime(secret, ns=(1, 1))
    changed = changed_paths(before, host_snapshot(tmp_path, dirs))
    assert "escape.dir/moved.txt" in changed and "escape.dir/secret.txt" in changed
    (tmp_path / "escape.dir" / "moved.txt").unlink()
    assert "escape.dir/moved.txt" not in changed_paths(before, host_snapshot(tmp_path, dirs))
