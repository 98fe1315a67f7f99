"""The path resolver keeps a guest inside its preopened directory, whatever path or symlink it uses.

These run without any engine: the resolver and the host's path functions are called directly.
"""

import os

import pytest

from harness.engine.wasi import constants as C
from harness.engine.wasi.constants import WasiError
from harness.engine.wasi.sandbox import resolve

from .fakemem import FakeMemory, call_path


@pytest.fixture
def jail(tmp_path):
    """tmp/secret.txt outside; tmp/jail is the preopen with inner/, inside.txt and escape symlinks."""
    (tmp_path / "secret.txt").write_text("secret")
    j = tmp_path / "jail"
    (j / "inner").mkdir(parents=True)
    (j / "inside.txt").write_text("inside")
    os.symlink("../secret.txt", j / "up")
    os.symlink(str(tmp_path / "secret.txt"), j / "abs")
    os.symlink("..", j / "updir")
    os.symlink("../updir", j / "inner" / "chain")
    os.symlink("inside.txt", j / "ok_link")
    os.symlink("inner", j / "inner_link")
    os.symlink("loop_b", j / "loop_a")
    os.symlink("loop_a", j / "loop_b")
    fd = os.open(j, os.O_RDONLY | os.O_DIRECTORY)
    yield fd
    os.close(fd)


def errno_of(base, path, follow=True):
    with pytest.raises(WasiError) as e:
        resolve(base, path, follow).close()
    return e.value.errno


@pytest.mark.parametrize("path", [
    "../secret.txt", "inner/../../secret.txt", "inner/../../../../../../etc/passwd", "..", "inner/../..",
    "./../jail/inside.txt",
])
def test_dotdot_above_the_preopen_is_refused(jail, path):
    assert errno_of(jail, path) == C.ENOTCAPABLE


@pytest.mark.parametrize("path", ["/etc/passwd", "/", "//inside.txt"])
def test_absolute_paths_are_refused(jail, path):
    assert errno_of(jail, path) == C.ENOTCAPABLE


@pytest.mark.parametrize("path", ["up", "abs", "updir/secret.txt", "inner/chain/secret.txt", "updir"])
def test_symlinks_that_leave_are_refused_when_followed(jail, path):
    assert errno_of(jail, path, follow=True) == C.ENOTCAPABLE


@pytest.mark.parametrize("path", ["updir/secret.txt", "inner/chain/x"])
def test_intermediate_escaping_symlinks_are_refused_even_without_follow(jail, path):
    assert errno_of(jail, path, follow=False) == C.ENOTCAPABLE


def test_final_symlink_is_not_followed_without_the_flag(jail):
    with resolve(jail, "abs", follow=False) as r:
        assert r.name == "abs" and r.dir_fd == jail  # the caller acts on the link itself (lstat, unlink)


def test_symlink_loops_give_eloop(jail):
    assert errno_of(jail, "loop_a") == C.ELOOP


def test_paths_inside_resolve_to_the_final_component(jail):
    with resolve(jail, "inner/../inside.txt", follow=True) as r:
        assert r.name == "inside.txt" and r.dir_fd == jail
    with resolve(jail, "ok_link", follow=True) as r:
        assert r.name == "inside.txt"
    with resolve(jail, "inner_link/x", follow=False) as r:
        assert r.name == "x" and r.dir_fd != jail
        assert os.path.samestat(os.fstat(r.dir_fd), os.stat(os.readlink(f"/proc/self/fd/{r.dir_fd}")))
    with resolve(jail, ".", follow=False) as r:
        assert r.name == "."
    with resolve(jail, "inner/", follow=False) as r:
        assert r.name == "inner" and r.trailing_slash and r.host_name == "inner/"


def test_bad_paths(jail):
    assert errno_of(jail, "") == C.ENOENT
    assert errno_of(jail, "inside.txt\0") == C.EILSEQ
    assert errno_of(jail, "missing/x") == C.ENOENT
    assert errno_of(jail, "inside.txt/x") == C.ENOTDIR


def test_resolver_releases_descriptors(jail):
    before = len(os.listdir("/proc/self/fd"))
    for _ in range(50):
        with resolve(jail, "inner/../inner/x", follow=False):
            pass
        with pytest.raises(WasiError):
            resolve(jail, "inner/../../x", follow=False)
    assert len(os.listdir("/proc/self/fd")) == before


# -- the same escapes through the host's functions (what a guest actually calls) ---------------------

@pytest.fixture
def host(tmp_path, jail):
    from harness.engine.wasi import WasiConfig, WasiHost

    h = WasiHost(WasiConfig(args=["t"], preopens=[(str(tmp_path / "jail"), "/sandbox")]), FakeMemory())
    yield h
    h.close()


@pytest.mark.parametrize("path", ["../secret.txt", "/etc/passwd", "up", "abs", "updir/secret.txt",
                                  "inner/chain/secret.txt"])
def test_path_open_cannot_escape(host, path):
    assert call_path(host, "path_open", 3, C.LOOKUP_SYMLINK_FOLLOW, path, 0, C.R_FD_READ, 0, 0, 64) \
        == C.ENOTCAPABLE


def test_other_path_calls_cannot_escape(host, tmp_path):
    assert call_path(host, "path_create_directory", 3, "../made") == C.ENOTCAPABLE
    assert call_path(host, "path_unlink_file", 3, "../secret.txt") == C.ENOTCAPABLE
    assert call_path(host, "path_filestat_get", 3, C.LOOKUP_SYMLINK_FOLLOW, "abs", 128) == C.ENOTCAPABLE
    assert call_path(host, "path_symlink", "/etc/passwd", 3, "newlink") == C.ENOTCAPABLE
    assert call_path(host, "path_rename", 3, "inside.txt", 3, "../moved") == C.ENOTCAPABLE
    assert call_path(host, "path_link", 3, C.LOOKUP_SYMLINK_FOLLOW, "abs", 3, "hard") == C.ENOTCAPABLE
    assert (tmp_path / "secret.txt").read_text() == "secret"
    assert not (tmp_path / "made").exists() and not (tmp_path / "moved").exists()
    assert not (tmp_path / "jail" / "hard").exists()


def test_creating_through_an_escaping_symlink_is_refused(host, tmp_path):
    flags = C.OFLAG_CREAT
    assert call_path(host, "path_open", 3, C.LOOKUP_SYMLINK_FOLLOW, "updir/new.txt", flags,
                     C.R_FD_WRITE, 0, 0, 64) == C.ENOTCAPABLE
    assert not (tmp_path / "new.txt").exists()


def test_opening_a_symlink_without_follow_gives_eloop(host):
    assert call_path(host, "path_open", 3, 0, "abs", 0, C.R_FD_READ, 0, 0, 64) == C.ELOOP


# -- real C programs (suites/wasi/programs/sandbox_escape.c) on our host --------------------------------

@pytest.mark.parametrize("engine", ["hostcheck", "ours:interp"])
def test_compiled_escape_attempts_are_all_blocked(engine):
    pytest.importorskip("ziglang")
    from harness.adapters.base import RunnerUnavailable
    from harness.wasi.drivers import check_available, parse_engine
    from harness.wasi.programs import build_own_suite
    from harness.wasi.runner import run_test
    from harness.wasi.testsuite import discover

    spec = parse_engine(engine)
    try:
        check_available(spec)
    except RunnerUnavailable as e:
        pytest.skip(str(e))
    test = {t.name: t for t in discover(build_own_suite())}["sandbox_escape"]
    result = run_test(spec, test, timeout=300)
    assert "ESCAPED" not in result.message
    assert result.outcome == "pass", result.message
