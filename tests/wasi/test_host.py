"""Preview1 functions of our WASI host, called directly with a fake guest memory (no engine needed)."""

import os
import struct
import time

import pytest

from harness.engine.wasi import ProcExit, WasiConfig, WasiHost, WasiSetupError
from harness.engine.wasi import constants as C

from .fakemem import FakeMemory, call, call_path


@pytest.fixture
def pipes():
    r_out, w_out = os.pipe()
    r_in, w_in = os.pipe()
    yield r_in, w_in, r_out, w_out
    for fd in (r_out, w_out, r_in, w_in):
        try:
            os.close(fd)
        except OSError:
            pass


@pytest.fixture
def host(tmp_path, pipes):
    r_in, _, _, w_out = pipes
    (tmp_path / "root").mkdir()
    cfg = WasiConfig(args=["prog", "a b", "ü"], env={"K": "V", "E": ""}, preopens=[(str(tmp_path / "root"), "/data")],
                     stdin=r_in, stdout=w_out, stderr=w_out)
    h = WasiHost(cfg, FakeMemory())
    yield h
    h.close()


def iovec(mem, data: bytes) -> tuple[int, int]:
    addr, n = mem.put(data)
    return mem.put(struct.pack("<II", addr, n))[0], 1


def test_args_and_environ_layout(host):
    mem = host.mem.memory
    assert call(host, "args_sizes_get", 0, 4) == 0
    assert mem.u32(0) == 3 and mem.u32(4) == len(b"prog\0a b\0\xc3\xbc\0")
    assert call(host, "args_get", 100, 200) == 0
    ptrs = [mem.u32(100 + 4 * i) for i in range(3)]
    assert bytes(mem.buf[ptrs[1]:ptrs[1] + 4]) == b"a b\0" and ptrs[0] == 200
    assert call(host, "environ_sizes_get", 0, 4) == 0
    assert mem.u32(0) == 2 and mem.u32(4) == len(b"K=V\0E=\0")


def test_fd_write_and_read_stdio(host, pipes):
    r_in, w_in, r_out, _ = pipes
    mem = host.mem.memory
    iovs, n = iovec(mem, b"hello")
    assert call(host, "fd_write", 1, iovs, n, 0) == 0 and mem.u32(0) == 5
    assert os.read(r_out, 100) == b"hello"
    os.write(w_in, b"input")
    buf = mem.put(bytes(3))[0]
    iov = mem.put(struct.pack("<II", buf, 3))[0]
    assert call(host, "fd_read", 0, iov, 1, 8) == 0 and mem.u32(8) == 3
    assert bytes(mem.buf[buf:buf + 3]) == b"inp"


def test_bad_descriptors_and_pointers(host):
    assert call(host, "fd_write", 99, 0, 0, 0) == C.EBADF
    assert call(host, "fd_close", 42) == C.EBADF
    assert call(host, "args_get", 70000, 0) == C.EFAULT
    iov = host.mem.memory.put(struct.pack("<II", 65530, 100))[0]
    assert call(host, "fd_write", 1, iov, 1, 0) == C.EFAULT


def test_prestat(host):
    mem = host.mem.memory
    assert call(host, "fd_prestat_get", 3, 0) == 0
    assert mem.buf[0] == C.PREOPENTYPE_DIR and mem.u32(4) == 5
    assert call(host, "fd_prestat_dir_name", 3, 16, 5) == 0 and bytes(mem.buf[16:21]) == b"/data"
    assert call(host, "fd_prestat_dir_name", 3, 16, 2) == C.ENAMETOOLONG
    assert call(host, "fd_prestat_get", 1, 0) == C.EBADF
    assert call(host, "fd_prestat_get", 4, 0) == C.EBADF


def open_file(host, name, oflags=C.OFLAG_CREAT, rights=C.R_FD_READ | C.R_FD_WRITE | C.R_FD_SEEK | C.R_FD_TELL
              | C.R_FD_FILESTAT_GET | C.R_FD_FILESTAT_SET_SIZE, fdflags=0):
    errno = call_path(host, "path_open", 3, 0, name, oflags, rights, 0, fdflags, 60)
    return errno, host.mem.memory.u32(60)


def test_file_io_seek_tell_and_filestat(host, tmp_path):
    mem = host.mem.memory
    errno, fd = open_file(host, "f.txt")
    assert errno == 0 and fd == 4
    iovs, n = iovec(mem, b"0123456789")
    assert call(host, "fd_write", fd, iovs, n, 0) == 0
    assert call(host, "fd_seek", fd, (-4) & (2**64 - 1), C.WHENCE_END, 8) == 0 and mem.u64(8) == 6
    assert call(host, "fd_tell", fd, 8) == 0 and mem.u64(8) == 6
    assert call(host, "fd_seek", fd, 0, 7, 8) == C.EINVAL
    assert call(host, "fd_seek", fd, (-100) & (2**64 - 1), C.WHENCE_SET, 8) == C.EINVAL
    assert call(host, "fd_filestat_get", fd, 128) == 0
    assert mem.buf[128 + 16] == C.FILETYPE_REGULAR_FILE and mem.u64(128 + 32) == 10
    assert call(host, "fd_filestat_set_size", fd, 3) == 0
    assert (tmp_path / "root" / "f.txt").read_bytes() == b"012"
    assert call(host, "fd_close", fd) == 0
    assert call(host, "fd_close", fd) == C.EBADF


def test_rights_are_enforced_and_only_drop(host):
    errno, fd = open_file(host, "r.txt", rights=C.R_FD_READ | C.R_FD_FILESTAT_GET)
    assert errno == 0
    iovs, n = iovec(host.mem.memory, b"x")
    assert call(host, "fd_write", fd, iovs, n, 0) == C.ENOTCAPABLE
    assert call(host, "fd_fdstat_set_rights", fd, C.R_FD_READ | C.R_FD_WRITE, 0) == C.ENOTCAPABLE
    assert call(host, "fd_fdstat_set_rights", fd, C.R_FD_FILESTAT_GET, 0) == 0
    assert call(host, "fd_read", fd, iovs, n, 0) == C.ENOTCAPABLE
    assert call(host, "fd_fdstat_get", fd, 200) == 0
    mem = host.mem.memory
    assert mem.buf[200] == C.FILETYPE_REGULAR_FILE and mem.u64(208) == C.R_FD_FILESTAT_GET


def test_directory_rights_and_fdstat(host):
    mem = host.mem.memory
    assert call(host, "fd_fdstat_get", 3, 0) == 0
    assert mem.buf[0] == C.FILETYPE_DIRECTORY
    base = mem.u64(8)
    assert base & C.R_PATH_OPEN and not base & C.R_FD_SEEK and not base & C.R_FD_FILESTAT_SET_SIZE
    assert call(host, "fd_seek", 3, 0, C.WHENCE_CUR, 0) in (C.ENOTCAPABLE, C.EISDIR, C.EBADF)


def test_readdir_lists_dot_entries_and_honours_cookies(host):
    for name in ("a", "b", "c"):
        assert open_file(host, name)[0] == 0
    mem = host.mem.memory
    assert call(host, "fd_readdir", 3, 1000, 4000, 0, 0) == 0
    used = mem.u32(0)
    names, cookies, pos = [], [], 1000
    while pos + 24 <= 1000 + used:
        d_next, _ino, namlen, _typ = struct.unpack_from("<QQIB", mem.buf, pos)
        names.append(bytes(mem.buf[pos + 24:pos + 24 + namlen]).decode())
        cookies.append(d_next)
        pos += 24 + namlen
    assert sorted(names) == [".", "..", "a", "b", "c"]
    assert cookies == [1, 2, 3, 4, 5]
    assert call(host, "fd_readdir", 3, 1000, 4000, 3, 0) == 0
    rest = mem.u32(0)
    assert rest == sum(24 + len(n) for n in names[3:])
    # A buffer too small for everything is filled completely (the guest then knows to call again).
    assert call(host, "fd_readdir", 3, 1000, 30, 0, 0) == 0 and mem.u32(0) == 30


def test_path_operations(host, tmp_path):
    root = tmp_path / "root"
    assert call_path(host, "path_create_directory", 3, "d") == 0
    assert call_path(host, "path_create_directory", 3, "d") == C.EEXIST
    assert open_file(host, "d/f")[0] == 0
    assert call_path(host, "path_remove_directory", 3, "d") == C.ENOTEMPTY
    assert call_path(host, "path_unlink_file", 3, "d") == C.EISDIR
    assert call_path(host, "path_rename", 3, "d/f", 3, "g") == 0
    assert (root / "g").is_file()
    assert call_path(host, "path_symlink", "g", 3, "link") == 0
    assert call_path(host, "path_readlink", 3, "link", 500, 1, 8) == 0
    assert host.mem.memory.u32(8) == 1 and host.mem.memory.buf[500:501] == b"g"
    assert call_path(host, "path_filestat_get", 3, 0, "link", 600) == 0
    assert host.mem.memory.buf[616] == C.FILETYPE_SYMBOLIC_LINK
    assert call_path(host, "path_filestat_get", 3, C.LOOKUP_SYMLINK_FOLLOW, "link", 600) == 0
    assert host.mem.memory.buf[616] == C.FILETYPE_REGULAR_FILE
    assert call_path(host, "path_link", 3, 0, "g", 3, "h") == 0
    assert os.stat(root / "g").st_nlink == 2
    assert call_path(host, "path_unlink_file", 3, "g/") == C.ENOTDIR
    assert call_path(host, "path_remove_directory", 3, "d/") == 0
    assert call_path(host, "path_open", 3, 0, "missing", 0, 0, 0, 0, 60) == C.ENOENT
    assert call_path(host, "path_open", 3, 0, "h", C.OFLAG_CREAT | C.OFLAG_EXCL, 0, 0, 0, 60) == C.EEXIST
    assert call_path(host, "path_open", 3, 0, ".", C.OFLAG_DIRECTORY, C.R_FD_READ | C.R_FD_WRITE, 0, 0, 60) \
        == C.EISDIR
    assert call_path(host, "path_open", 3, 0, "h", C.OFLAG_DIRECTORY, 0, 0, 0, 60) == C.ENOTDIR
    assert call_path(host, "path_create_directory", 1, "x") == C.ENOTDIR


def test_fstflags_validation(host):
    errno, fd = open_file(host, "t", rights=C.R_FD_FILESTAT_SET_TIMES | C.R_FD_FILESTAT_GET)
    assert call(host, "fd_filestat_set_times", fd, 5, 5, C.FSTFLAG_ATIM | C.FSTFLAG_ATIM_NOW) == C.EINVAL
    assert call(host, "fd_filestat_set_times", fd, 0, 1_000_000_000, C.FSTFLAG_MTIM) == 0
    assert call(host, "fd_filestat_get", fd, 128) == 0
    assert host.mem.memory.u64(128 + 48) == 1_000_000_000


def test_poll_oneoff_clock_waits(host):
    mem = host.mem.memory
    sub = struct.pack("<QB7xIxxxxQQH6x", 77, C.EVENTTYPE_CLOCK, C.CLOCK_MONOTONIC, 30_000_000, 0, 0)
    addr = mem.put(sub)[0]
    start = time.monotonic()
    assert call(host, "poll_oneoff", addr, 2000, 1, 0) == 0
    assert time.monotonic() - start >= 0.029
    assert mem.u32(0) == 1
    userdata, err, typ = struct.unpack_from("<QHB", mem.buf, 2000)
    assert (userdata, err, typ) == (77, 0, C.EVENTTYPE_CLOCK)
    assert call(host, "poll_oneoff", addr, 2000, 0, 0) == C.EINVAL


def test_poll_oneoff_fd_ready_before_clock(host, pipes):
    _, w_in, _, _ = pipes
    os.write(w_in, b"x")
    mem = host.mem.memory
    subs = struct.pack("<QB7xIxxxxQQH6x", 1, C.EVENTTYPE_CLOCK, C.CLOCK_MONOTONIC, 5_000_000_000, 0, 0)
    subs += struct.pack("<QB7xIxxxxQQH6x", 2, C.EVENTTYPE_FD_READ, 0, 0, 0, 0)
    addr = mem.put(subs)[0]
    start = time.monotonic()
    assert call(host, "poll_oneoff", addr, 3000, 2, 0) == 0
    assert time.monotonic() - start < 2
    assert mem.u32(0) == 1 and struct.unpack_from("<QHB", mem.buf, 3000) == (2, 0, C.EVENTTYPE_FD_READ)


def test_proc_exit_raises_with_the_code(host):
    with pytest.raises(ProcExit) as e:
        host.functions()["proc_exit"](7)
    assert e.value.code == 7


def test_misc_calls(host):
    mem = host.mem.memory
    assert call(host, "random_get", 100, 64) == 0 and any(mem.buf[100:164])
    assert call(host, "clock_time_get", C.CLOCK_REALTIME, 0, 0) == 0 and mem.u64(0) > 1_577_836_800 * 10**9
    assert call(host, "clock_res_get", 99, 0) == C.EINVAL
    assert call(host, "sched_yield") == 0
    assert call(host, "proc_raise", 6) == C.ENOSYS
    assert call(host, "sock_shutdown", 77, 1) == C.EBADF
    assert call(host, "sock_shutdown", 1, 1) == C.ENOTSOCK
    assert call(host, "sock_accept", 3, 0, 0) == C.ENOTSOCK
    assert call(host, "sock_recv", 3, 0, 0, 0, 0, 0) == C.ENOTSOCK
    assert call(host, "sock_send", 3, 0, 0, 0, 0) == C.ENOTSOCK


def test_renumber_moves_and_closes(host):
    _, fd = open_file(host, "x")
    assert call(host, "fd_renumber", fd, 1) == 0
    assert call(host, "fd_fdstat_get", fd, 0) == C.EBADF
    assert call(host, "fd_fdstat_get", 1, 0) == 0 and host.mem.memory.buf[0] == C.FILETYPE_REGULAR_FILE
    assert call(host, "fd_renumber", 1, 50) == C.EBADF


def test_missing_preopen_is_a_setup_error(tmp_path):
    with pytest.raises(WasiSetupError, match="does not exist"):
        WasiHost(WasiConfig(preopens=[(str(tmp_path / "nope"), "x")]))
