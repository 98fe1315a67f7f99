"""The wasi_snapshot_preview1 functions, implemented on the host's POSIX calls.

Every function takes the raw wasm arguments (unsigned ints) and returns an errno (0 on success); results
go through guest pointers.  Failures are ``WasiError``/``OSError`` inside and an errno at the boundary,
except ``proc_exit``, which raises ``ProcExit`` so the embedder can stop the program with its code.

Paths go through ``sandbox.resolve`` so a guest can only reach what is under its preopened directories.
Rights follow the preview1 capability model: a new descriptor gets the rights it asked for, cut down to
what its parent may hand on (``rights_inheriting``) and to what its file type can use; calls check them.
"""

from __future__ import annotations

import fcntl
import os
import select
import stat
import struct
import time
from collections.abc import Callable, Iterable
from typing import Any

from ..records import Record
from . import constants as C
from .constants import WasiError, errno_from_oserror
from .fdtable import FdEntry, FdTable, filetype_of
from .memory import GuestMemory
from .sandbox import resolve

_FDSTAT = struct.Struct("<BxHxxxxQQ")
_FILESTAT = struct.Struct("<QQBxxxxxxxQQQQQ")
_DIRENT = struct.Struct("<QQIBxxx")
_SUB = struct.Struct("<QB7xIxxxxQQH6x")  # userdata, tag, clock id / fd, timeout, precision, flags
_EVENT = struct.Struct("<QHBxxxxxQH6x")

assert _FDSTAT.size == C.SIZEOF_FDSTAT and _FILESTAT.size == C.SIZEOF_FILESTAT
assert _DIRENT.size == C.SIZEOF_DIRENT and _SUB.size == C.SIZEOF_SUBSCRIPTION and _EVENT.size == C.SIZEOF_EVENT

U64_MASK = (1 << 64) - 1
I64_MAX = (1 << 63) - 1


def _signed64(v: int) -> int:
    v &= U64_MASK
    return v - (1 << 64) if v >> 63 else v


class ProcExit(Exception):  # noqa: N818 - it is how a WASI program ends, not an error
    """Raised by ``proc_exit``: the program asked to end with ``code``."""

    def __init__(self, code: int):
        self.code = code
        super().__init__(f"proc_exit({code})")


class WasiSetupError(Exception):
    """The host could not be set up as asked (a preopen directory missing or not a directory)."""


class WasiConfig(Record):
    """What a WASI program sees: its argv (``args[0]`` is the program name), environment, preopened
    directories as ``(host_path, guest_name)`` and the host descriptors standing for its stdio."""

    __slots__ = ("args", "env", "preopens", "stdin", "stdout", "stderr")

    def __init__(self, args: list[str] | None = None, env: dict[str, str] | list[str] | None = None,
                 preopens: list[tuple[str, str]] | None = None, stdin: int = 0, stdout: int = 1, stderr: int = 2):
        self.args = ["main.wasm"] if args is None else args
        self.env = {} if env is None else env
        self.preopens = [] if preopens is None else preopens
        self.stdin = stdin
        self.stdout = stdout
        self.stderr = stderr


_CLOCKS = {
    C.CLOCK_REALTIME: time.CLOCK_REALTIME,
    C.CLOCK_MONOTONIC: time.CLOCK_MONOTONIC,
    C.CLOCK_PROCESS_CPUTIME: time.CLOCK_PROCESS_CPUTIME_ID,
    C.CLOCK_THREAD_CPUTIME: time.CLOCK_THREAD_CPUTIME_ID,
}

# (params, results) of every import, in wasm value types.
I, L = "i32", "i64"
SIGNATURES: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "args_get": ((I, I), (I,)),
    "args_sizes_get": ((I, I), (I,)),
    "environ_get": ((I, I), (I,)),
    "environ_sizes_get": ((I, I), (I,)),
    "clock_res_get": ((I, I), (I,)),
    "clock_time_get": ((I, L, I), (I,)),
    "fd_advise": ((I, L, L, I), (I,)),
    "fd_allocate": ((I, L, L), (I,)),
    "fd_close": ((I,), (I,)),
    "fd_datasync": ((I,), (I,)),
    "fd_fdstat_get": ((I, I), (I,)),
    "fd_fdstat_set_flags": ((I, I), (I,)),
    "fd_fdstat_set_rights": ((I, L, L), (I,)),
    "fd_filestat_get": ((I, I), (I,)),
    "fd_filestat_set_size": ((I, L), (I,)),
    "fd_filestat_set_times": ((I, L, L, I), (I,)),
    "fd_pread": ((I, I, I, L, I), (I,)),
    "fd_prestat_get": ((I, I), (I,)),
    "fd_prestat_dir_name": ((I, I, I), (I,)),
    "fd_pwrite": ((I, I, I, L, I), (I,)),
    "fd_read": ((I, I, I, I), (I,)),
    "fd_readdir": ((I, I, I, L, I), (I,)),
    "fd_renumber": ((I, I), (I,)),
    "fd_seek": ((I, L, I, I), (I,)),
    "fd_sync": ((I,), (I,)),
    "fd_tell": ((I, I), (I,)),
    "fd_write": ((I, I, I, I), (I,)),
    "path_create_directory": ((I, I, I), (I,)),
    "path_filestat_get": ((I, I, I, I, I), (I,)),
    "path_filestat_set_times": ((I, I, I, I, L, L, I), (I,)),
    "path_link": ((I, I, I, I, I, I, I), (I,)),
    "path_open": ((I, I, I, I, I, L, L, I, I), (I,)),
    "path_readlink": ((I, I, I, I, I, I), (I,)),
    "path_remove_directory": ((I, I, I), (I,)),
    "path_rename": ((I, I, I, I, I, I), (I,)),
    "path_symlink": ((I, I, I, I, I), (I,)),
    "path_unlink_file": ((I, I, I), (I,)),
    "poll_oneoff": ((I, I, I, I), (I,)),
    "proc_exit": ((I,), ()),
    "proc_raise": ((I,), (I,)),
    "sched_yield": ((), (I,)),
    "random_get": ((I, I), (I,)),
    "sock_accept": ((I, I, I), (I,)),
    "sock_recv": ((I, I, I, I, I, I), (I,)),
    "sock_send": ((I, I, I, I, I), (I,)),
    "sock_shutdown": ((I, I), (I,)),
}


class WasiHost:
    """One program's WASI state: arguments, environment, descriptors, and the memory it binds to."""

    def __init__(self, config: WasiConfig, memory: Any = None):
        self.config = config
        self.mem = GuestMemory(memory)
        self.fds = FdTable()
        self.args = [a.encode() for a in config.args]
        env = config.env.items() if isinstance(config.env, dict) else (e.partition("=")[::2] for e in config.env)
        self.environ = [f"{k}={v}".encode() for k, v in env]
        for fd in (config.stdin, config.stdout, config.stderr):
            self.fds.insert(self._stdio_entry(fd))
        try:
            for host, guest in config.preopens:
                self.add_preopen(host, guest)
        except WasiSetupError:
            self.close()
            raise

    # -- setup ------------------------------------------------------------------------------------
    def bind_memory(self, memory: Any) -> None:
        """Point the host at the instance's exported memory (call after instantiation)."""
        self.mem.memory = memory

    def add_preopen(self, host_path: str, guest_name: str) -> int:
        try:
            host_fd = os.open(host_path, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
        except FileNotFoundError:
            raise WasiSetupError(f"preopen directory {host_path!r} does not exist") from None
        except NotADirectoryError:
            raise WasiSetupError(f"preopen {host_path!r} is not a directory") from None
        except OSError as e:
            raise WasiSetupError(f"cannot open preopen directory {host_path!r}: {e.strerror}") from None
        return self.fds.insert(FdEntry(host_fd, C.FILETYPE_DIRECTORY, C.DIR_RIGHTS,
                                       C.DIR_RIGHTS | C.FILE_RIGHTS, preopen=guest_name))

    @staticmethod
    def _stdio_entry(host_fd: int) -> FdEntry:
        try:
            mode = os.fstat(host_fd).st_mode
        except OSError:
            mode = stat.S_IFCHR
        ftype = filetype_of(mode)
        rights = C.FILE_RIGHTS if ftype == C.FILETYPE_REGULAR_FILE else C.STREAM_RIGHTS
        return FdEntry(host_fd, ftype, rights, 0, close_host=False, is_stdio=True)

    def close(self) -> None:
        self.fds.close_all()

    # -- the import object ------------------------------------------------------------------------
    def functions(self) -> dict[str, Callable[..., Any]]:
        """Every preview1 function as ``fn(*raw_args) -> list of raw results``."""
        out = {}
        for name in SIGNATURES:
            out[name] = self._boundary(name, getattr(self, name))
        return out

    @staticmethod
    def _boundary(name: str, fn: Callable[..., int | None]) -> Callable[..., list[int]]:
        if name == "proc_exit":
            def exit_call(*args: int) -> list[int]:
                fn(*args)
                return []
            return exit_call

        def call(*args: int) -> list[int]:
            try:
                return [fn(*args) or 0]
            except WasiError as e:
                return [e.errno]
            except OSError as e:
                return [errno_from_oserror(e)]
            except (ValueError, OverflowError):
                return [C.EINVAL]
        call.__name__ = name
        return call

    # -- args, environ ----------------------------------------------------------------------------
    def _strings_get(self, items: list[bytes], ptrs: int, buf: int) -> int:
        pos = buf
        for i, item in enumerate(items):
            self.mem.put_u32(ptrs + 4 * i, pos)
            self.mem.write(pos, item + b"\0")
            pos += len(item) + 1
        return 0

    def _strings_sizes(self, items: list[bytes], count_ptr: int, size_ptr: int) -> int:
        self.mem.put_u32(count_ptr, len(items))
        self.mem.put_u32(size_ptr, sum(len(a) + 1 for a in items))
        return 0

    def args_get(self, argv: int, argv_buf: int) -> int:
        return self._strings_get(self.args, argv, argv_buf)

    def args_sizes_get(self, argc_ptr: int, size_ptr: int) -> int:
        return self._strings_sizes(self.args, argc_ptr, size_ptr)

    def environ_get(self, environ: int, environ_buf: int) -> int:
        return self._strings_get(self.environ, environ, environ_buf)

    def environ_sizes_get(self, count_ptr: int, size_ptr: int) -> int:
        return self._strings_sizes(self.environ, count_ptr, size_ptr)

    # -- clocks, random, scheduling ---------------------------------------------------------------
    @staticmethod
    def _clock(clock_id: int) -> int:
        try:
            return _CLOCKS[clock_id]
        except KeyError:
            raise WasiError(C.EINVAL, f"unknown clock {clock_id}") from None

    def clock_res_get(self, clock_id: int, res_ptr: int) -> int:
        res = time.clock_getres(self._clock(clock_id))
        self.mem.put_u64(res_ptr, max(1, round(res * 1e9)))
        return 0

    def clock_time_get(self, clock_id: int, precision: int, time_ptr: int) -> int:
        self.mem.put_u64(time_ptr, time.clock_gettime_ns(self._clock(clock_id)))
        return 0

    def random_get(self, buf: int, length: int) -> int:
        self.mem.write(buf, os.urandom(length))
        return 0

    def sched_yield(self) -> int:
        os.sched_yield()
        return 0

    def proc_exit(self, code: int) -> None:
        raise ProcExit(code)

    def proc_raise(self, sig: int) -> int:
        return C.ENOSYS  # signals are not part of what this host offers

    # -- descriptors --------------------------------------------------------------------------------
    def fd_close(self, fd: int) -> int:
        self.fds.close(fd)
        return 0

    def fd_renumber(self, fd: int, to: int) -> int:
        entry = self.fds.get(fd)
        self.fds.get(to)
        if fd == to:
            return 0
        self.fds.close(to)
        del self.fds.entries[fd]
        self.fds.insert(entry, to)
        return 0

    def fd_fdstat_get(self, fd: int, ptr: int) -> int:
        e = self.fds.get(fd)
        flags = e.flags
        if not e.is_stdio and e.filetype != C.FILETYPE_DIRECTORY:
            host = fcntl.fcntl(e.host_fd, fcntl.F_GETFL)
            flags = (flags & ~(C.FDFLAG_APPEND | C.FDFLAG_NONBLOCK)) | (
                C.FDFLAG_APPEND if host & os.O_APPEND else 0) | (C.FDFLAG_NONBLOCK if host & os.O_NONBLOCK else 0)
        self.mem.pack(ptr, _FDSTAT, e.filetype, flags, e.rights_base, e.rights_inheriting)
        return 0

    def fd_fdstat_set_flags(self, fd: int, flags: int) -> int:
        e = self.fds.get(fd)
        e.require(C.R_FD_FDSTAT_SET_FLAGS)
        if flags & ~(C.FDFLAG_APPEND | C.FDFLAG_DSYNC | C.FDFLAG_NONBLOCK | C.FDFLAG_RSYNC | C.FDFLAG_SYNC):
            raise WasiError(C.EINVAL)
        if flags & (C.FDFLAG_DSYNC | C.FDFLAG_RSYNC | C.FDFLAG_SYNC) != e.flags & (
                C.FDFLAG_DSYNC | C.FDFLAG_RSYNC | C.FDFLAG_SYNC):
            raise WasiError(C.ENOTSUP, "only append and nonblock can change after open")
        if not e.is_stdio and not e.is_dir:
            host = fcntl.fcntl(e.host_fd, fcntl.F_GETFL) & ~(os.O_APPEND | os.O_NONBLOCK)
            host |= (os.O_APPEND if flags & C.FDFLAG_APPEND else 0) | (
                os.O_NONBLOCK if flags & C.FDFLAG_NONBLOCK else 0)
            fcntl.fcntl(e.host_fd, fcntl.F_SETFL, host)
        e.flags = flags
        return 0

    def fd_fdstat_set_rights(self, fd: int, base: int, inheriting: int) -> int:
        e = self.fds.get(fd)
        if base & ~e.rights_base or inheriting & ~e.rights_inheriting:
            raise WasiError(C.ENOTCAPABLE, "rights can only be dropped")
        e.rights_base, e.rights_inheriting = base, inheriting
        return 0

    def _write_filestat(self, ptr: int, st: os.stat_result) -> None:
        self.mem.pack(ptr, _FILESTAT, st.st_dev & U64_MASK, st.st_ino & U64_MASK, filetype_of(st.st_mode),
                      st.st_nlink, st.st_size, st.st_atime_ns & U64_MASK, st.st_mtime_ns & U64_MASK,
                      st.st_ctime_ns & U64_MASK)

    def fd_filestat_get(self, fd: int, ptr: int) -> int:
        e = self.fds.get(fd)
        e.require(C.R_FD_FILESTAT_GET)
        st = os.fstat(e.host_fd)
        self._write_filestat(ptr, st)
        if e.is_stdio and filetype_of(st.st_mode) != e.filetype:
            self.mem.put_u8(ptr + 16, e.filetype)
        return 0

    def fd_filestat_set_size(self, fd: int, size: int) -> int:
        e = self.fds.get(fd)
        e.require(C.R_FD_FILESTAT_SET_SIZE)
        if size > I64_MAX:
            raise WasiError(C.EINVAL)
        os.ftruncate(e.host_fd, size)
        return 0

    @staticmethod
    def _times(st: os.stat_result, atim: int, mtim: int, fst: int) -> tuple[int, int]:
        if fst & ~0xF or (fst & C.FSTFLAG_ATIM and fst & C.FSTFLAG_ATIM_NOW) or (
                fst & C.FSTFLAG_MTIM and fst & C.FSTFLAG_MTIM_NOW):
            raise WasiError(C.EINVAL, "conflicting fstflags")
        now = time.time_ns()
        a = atim if fst & C.FSTFLAG_ATIM else now if fst & C.FSTFLAG_ATIM_NOW else st.st_atime_ns
        m = mtim if fst & C.FSTFLAG_MTIM else now if fst & C.FSTFLAG_MTIM_NOW else st.st_mtime_ns
        return a, m

    def fd_filestat_set_times(self, fd: int, atim: int, mtim: int, fst: int) -> int:
        e = self.fds.get(fd)
        e.require(C.R_FD_FILESTAT_SET_TIMES)
        os.utime(e.host_fd, ns=self._times(os.fstat(e.host_fd), atim, mtim, fst))
        return 0

    def fd_advise(self, fd: int, offset: int, length: int, advice: int) -> int:
        e = self.fds.get(fd)
        e.require(C.R_FD_ADVISE)
        if advice > 5:
            raise WasiError(C.EINVAL, f"unknown advice {advice}")
        if e.is_dir:
            raise WasiError(C.EBADF, "cannot advise on a directory")
        if offset > I64_MAX or length > I64_MAX:
            raise WasiError(C.EINVAL)
        if hasattr(os, "posix_fadvise") and e.filetype == C.FILETYPE_REGULAR_FILE:
            os.posix_fadvise(e.host_fd, offset, length, advice)
        return 0

    def fd_allocate(self, fd: int, offset: int, length: int) -> int:
        e = self.fds.get(fd)
        e.require(C.R_FD_ALLOCATE)
        if e.is_dir:
            raise WasiError(C.EBADF, "cannot allocate in a directory")
        if offset > I64_MAX or length > I64_MAX or offset + length > I64_MAX:
            raise WasiError(C.EINVAL)
        if length == 0:
            raise WasiError(C.EINVAL)
        if os.fstat(e.host_fd).st_size < offset + length:
            try:
                os.posix_fallocate(e.host_fd, offset, length)
            except OSError:
                os.ftruncate(e.host_fd, offset + length)
        return 0

    def fd_datasync(self, fd: int) -> int:
        e = self.fds.get(fd)
        e.require(C.R_FD_DATASYNC)
        os.fdatasync(e.host_fd)
        return 0

    def fd_sync(self, fd: int) -> int:
        e = self.fds.get(fd)
        e.require(C.R_FD_SYNC)
        os.fsync(e.host_fd)
        return 0

    # -- reading and writing --------------------------------------------------------------------------
    def fd_read(self, fd: int, iovs: int, iovs_len: int, nread_ptr: int) -> int:
        e = self.fds.get(fd)
        e.require(C.R_FD_READ)
        if e.is_dir:
            raise WasiError(C.EISDIR)
        vecs = self.mem.iovecs(iovs, iovs_len)
        total = sum(n for _, n in vecs)
        data = os.read(e.host_fd, total) if total else b""
        self.mem.scatter(vecs, data)
        self.mem.put_u32(nread_ptr, len(data))
        return 0

    @staticmethod
    def _check_positional(e, offset: int) -> None:
        """What pread and pwrite ask beyond read/write: a seekable regular file and an offset in i64."""
        if e.filetype != C.FILETYPE_REGULAR_FILE:
            raise WasiError(C.ESPIPE)
        e.require(C.R_FD_SEEK)
        if offset > I64_MAX:
            raise WasiError(C.EINVAL)

    def fd_pread(self, fd: int, iovs: int, iovs_len: int, offset: int, nread_ptr: int) -> int:
        e = self.fds.get(fd)
        e.require(C.R_FD_READ)
        if e.is_dir:
            raise WasiError(C.EISDIR)
        self._check_positional(e, offset)
        vecs = self.mem.iovecs(iovs, iovs_len)
        total = sum(n for _, n in vecs)
        data = os.pread(e.host_fd, total, offset) if total else b""
        self.mem.scatter(vecs, data)
        self.mem.put_u32(nread_ptr, len(data))
        return 0

    @staticmethod
    def _write_all(host_fd: int, data: bytes) -> int:
        view = memoryview(data)
        done = 0
        while done < len(data):
            try:
                n = os.write(host_fd, view[done:])
            except BlockingIOError:
                if done:
                    break
                select.select([], [host_fd], [])
                continue
            if n == 0:
                break
            done += n
        return done

    def fd_write(self, fd: int, iovs: int, iovs_len: int, nwritten_ptr: int) -> int:
        e = self.fds.get(fd)
        e.require(C.R_FD_WRITE)
        if e.is_dir:
            raise WasiError(C.EBADF)
        data = self.mem.gather(self.mem.iovecs(iovs, iovs_len))
        n = self._write_all(e.host_fd, data) if data else 0
        self.mem.put_u32(nwritten_ptr, n)
        return 0

    def fd_pwrite(self, fd: int, iovs: int, iovs_len: int, offset: int, nwritten_ptr: int) -> int:
        e = self.fds.get(fd)
        e.require(C.R_FD_WRITE)
        if e.is_dir:
            raise WasiError(C.EBADF)
        self._check_positional(e, offset)
        data = self.mem.gather(self.mem.iovecs(iovs, iovs_len))
        n = os.pwrite(e.host_fd, data, offset) if data else 0
        self.mem.put_u32(nwritten_ptr, n)
        return 0

    def fd_seek(self, fd: int, offset: int, whence: int, newoffset_ptr: int) -> int:
        e = self.fds.get(fd)
        if whence == C.WHENCE_CUR and offset == 0:
            if not e.rights_base & (C.R_FD_TELL | C.R_FD_SEEK):
                raise WasiError(C.ENOTCAPABLE)
        else:
            e.require(C.R_FD_SEEK)
        if whence not in (C.WHENCE_SET, C.WHENCE_CUR, C.WHENCE_END):
            raise WasiError(C.EINVAL, f"bad whence {whence}")
        if e.is_dir:
            raise WasiError(C.EISDIR)
        host_whence = {C.WHENCE_SET: os.SEEK_SET, C.WHENCE_CUR: os.SEEK_CUR, C.WHENCE_END: os.SEEK_END}[whence]
        pos = os.lseek(e.host_fd, _signed64(offset), host_whence)
        self.mem.put_u64(newoffset_ptr, pos)
        return 0

    def fd_tell(self, fd: int, ptr: int) -> int:
        e = self.fds.get(fd)
        if not e.rights_base & (C.R_FD_TELL | C.R_FD_SEEK):
            raise WasiError(C.ENOTCAPABLE)
        if e.is_dir:
            raise WasiError(C.EISDIR)
        self.mem.put_u64(ptr, os.lseek(e.host_fd, 0, os.SEEK_CUR))
        return 0

    # -- directories --------------------------------------------------------------------------------
    def fd_prestat_get(self, fd: int, ptr: int) -> int:
        e = self.fds.get(fd)
        if e.preopen is None:
            raise WasiError(C.EBADF, f"fd {fd} is not a preopened directory")
        self.mem.put_u8(ptr, C.PREOPENTYPE_DIR)
        self.mem.put_u32(ptr + 4, len(e.preopen.encode()))
        return 0

    def fd_prestat_dir_name(self, fd: int, path: int, path_len: int) -> int:
        e = self.fds.get(fd)
        if e.preopen is None:
            raise WasiError(C.EBADF, f"fd {fd} is not a preopened directory")
        name = e.preopen.encode()
        if path_len < len(name):
            raise WasiError(C.ENAMETOOLONG)
        self.mem.write(path, name)
        return 0

    def _listing(self, e: FdEntry) -> list[tuple[str, int, int]]:
        here = os.fstat(e.host_fd)
        try:
            parent = os.stat("..", dir_fd=e.host_fd).st_ino
        except OSError:
            parent = here.st_ino
        out = [(".", here.st_ino, C.FILETYPE_DIRECTORY), ("..", parent, C.FILETYPE_DIRECTORY)]
        dup = os.dup(e.host_fd)  # scandir closes the descriptor it is given
        with os.scandir(dup) as it:
            for entry in it:
                try:
                    ftype = filetype_of(entry.stat(follow_symlinks=False).st_mode)
                except OSError:
                    ftype = C.FILETYPE_UNKNOWN
                out.append((entry.name, entry.inode(), ftype))
        return out

    def fd_readdir(self, fd: int, buf: int, buf_len: int, cookie: int, bufused_ptr: int) -> int:
        e = self.fds.get(fd)
        e.require(C.R_FD_READDIR)
        if not e.is_dir:
            raise WasiError(C.ENOTDIR)
        if cookie == 0 or e.dir_entries is None:
            e.dir_entries = self._listing(e)
        out = bytearray()
        for i in range(cookie, len(e.dir_entries)):
            name, ino, ftype = e.dir_entries[i]
            raw = name.encode("utf-8", "surrogateescape")
            out += _DIRENT.pack(i + 1, ino & U64_MASK, len(raw), ftype) + raw
            if len(out) >= buf_len:
                break
        data = bytes(out[:buf_len])
        self.mem.write(buf, data)
        self.mem.put_u32(bufused_ptr, len(data))
        return 0

    # -- paths ----------------------------------------------------------------------------------------
    def _path(self, ptr: int, length: int) -> str:
        return self.mem.string(ptr, length)

    def _dir(self, fd: int, rights: int) -> FdEntry:
        e = self.fds.get(fd)
        if not e.is_dir:
            raise WasiError(C.ENOTDIR, f"fd {fd} is not a directory")
        e.require(rights)
        return e

    def path_create_directory(self, fd: int, path: int, path_len: int) -> int:
        d = self._dir(fd, C.R_PATH_CREATE_DIRECTORY)
        with resolve(d.host_fd, self._path(path, path_len), follow=False) as r:
            os.mkdir(r.host_name, 0o777, dir_fd=r.dir_fd)
        return 0

    def path_filestat_get(self, fd: int, flags: int, path: int, path_len: int, buf: int) -> int:
        d = self._dir(fd, C.R_PATH_FILESTAT_GET)
        with resolve(d.host_fd, self._path(path, path_len), follow=bool(flags & C.LOOKUP_SYMLINK_FOLLOW)) as r:
            st = os.stat(r.host_name, dir_fd=r.dir_fd, follow_symlinks=False)
        self._write_filestat(buf, st)
        return 0

    def path_filestat_set_times(self, fd: int, flags: int, path: int, path_len: int, atim: int, mtim: int,
                                fst: int) -> int:
        d = self._dir(fd, C.R_PATH_FILESTAT_SET_TIMES)
        with resolve(d.host_fd, self._path(path, path_len), follow=bool(flags & C.LOOKUP_SYMLINK_FOLLOW)) as r:
            st = os.stat(r.host_name, dir_fd=r.dir_fd, follow_symlinks=False)
            os.utime(r.host_name, ns=self._times(st, atim, mtim, fst), dir_fd=r.dir_fd, follow_symlinks=False)
        return 0

    def path_link(self, old_fd: int, old_flags: int, old_path: int, old_len: int, new_fd: int, new_path: int,
                  new_len: int) -> int:
        src = self._dir(old_fd, C.R_PATH_LINK_SOURCE)
        dst = self._dir(new_fd, C.R_PATH_LINK_TARGET)
        old, new = self._path(old_path, old_len), self._path(new_path, new_len)
        with resolve(src.host_fd, old, follow=bool(old_flags & C.LOOKUP_SYMLINK_FOLLOW)) as a, \
                resolve(dst.host_fd, new, follow=False) as b:
            if a.trailing_slash and not stat.S_ISDIR(os.stat(a.name, dir_fd=a.dir_fd,
                                                              follow_symlinks=False).st_mode):
                raise WasiError(C.ENOTDIR)
            os.link(a.name, b.host_name, src_dir_fd=a.dir_fd, dst_dir_fd=b.dir_fd, follow_symlinks=False)
        return 0

    def path_open(self, fd: int, dirflags: int, path: int, path_len: int, oflags: int, rights_base: int,
                  rights_inheriting: int, fdflags: int, fd_ptr: int) -> int:
        d = self._dir(fd, C.R_PATH_OPEN)
        name = self._path(path, path_len)
        creat, directory = oflags & C.OFLAG_CREAT, oflags & C.OFLAG_DIRECTORY
        excl, trunc = oflags & C.OFLAG_EXCL, oflags & C.OFLAG_TRUNC
        if oflags & ~0xF:
            raise WasiError(C.EINVAL, f"unknown oflags {oflags:#x}")
        if directory and (creat or trunc):
            raise WasiError(C.EINVAL, "O_DIRECTORY with O_CREAT or O_TRUNC")
        if creat:
            d.require(C.R_PATH_CREATE_FILE)
        if fdflags & (C.FDFLAG_DSYNC | C.FDFLAG_RSYNC | C.FDFLAG_SYNC):
            # Synchronous modes are rights of the new descriptor: the directory must be able to hand them on.
            need = C.R_FD_SYNC if fdflags & (C.FDFLAG_RSYNC | C.FDFLAG_SYNC) else C.R_FD_DATASYNC
            if d.rights_inheriting & need != need:
                raise WasiError(C.ENOTCAPABLE, "the directory cannot grant synchronous writes")
        granted = rights_base & d.rights_inheriting  # open the host file only as far as the rights go
        want_read = bool(granted & (C.R_FD_READ | C.R_FD_READDIR))
        want_write = bool(granted & (C.R_FD_WRITE | C.R_FD_ALLOCATE | C.R_FD_FILESTAT_SET_SIZE
                                         | C.R_FD_DATASYNC)) or bool(trunc) or bool(fdflags & C.FDFLAG_APPEND)
        flags = os.O_CLOEXEC | os.O_NOFOLLOW | os.O_NOCTTY
        if creat:
            flags |= os.O_CREAT
        if excl:
            flags |= os.O_EXCL
        if trunc:
            flags |= os.O_TRUNC
        if directory:
            flags |= os.O_DIRECTORY
        if fdflags & C.FDFLAG_APPEND:
            flags |= os.O_APPEND
        if fdflags & C.FDFLAG_NONBLOCK:
            flags |= os.O_NONBLOCK
        if fdflags & C.FDFLAG_DSYNC:
            flags |= os.O_DSYNC
        if fdflags & C.FDFLAG_SYNC:
            flags |= os.O_SYNC
        follow = bool(dirflags & C.LOOKUP_SYMLINK_FOLLOW)
        with resolve(d.host_fd, name, follow=follow and not (creat and excl)) as r:
            if r.trailing_slash:
                flags |= os.O_DIRECTORY
            if want_write and not directory:
                mode = os.O_RDWR if want_read else os.O_WRONLY
            else:
                mode = os.O_RDONLY
            try:
                host_fd = os.open(r.name, flags | mode, 0o666, dir_fd=r.dir_fd)
            except IsADirectoryError:
                if mode == os.O_RDONLY or trunc:
                    raise
                # A directory opened with write rights asked for: open it read-only, rights decide.
                host_fd = os.open(r.name, (flags & ~(os.O_CREAT | os.O_EXCL)) | os.O_RDONLY, dir_fd=r.dir_fd)
        ftype = filetype_of(os.fstat(host_fd).st_mode)
        allowed = C.DIR_RIGHTS if ftype == C.FILETYPE_DIRECTORY else C.FILE_RIGHTS
        if ftype == C.FILETYPE_DIRECTORY and rights_base & C.R_FD_WRITE:
            os.close(host_fd)
            raise WasiError(C.EISDIR)
        entry = FdEntry(host_fd, ftype, rights_base & d.rights_inheriting & allowed,
                        rights_inheriting & d.rights_inheriting,
                        flags=fdflags & (C.FDFLAG_APPEND | C.FDFLAG_NONBLOCK | C.FDFLAG_DSYNC | C.FDFLAG_SYNC
                                         | C.FDFLAG_RSYNC))
        try:
            new_fd = self.fds.insert(entry)
            self.mem.put_u32(fd_ptr, new_fd)
        except WasiError:
            self.fds.entries = {k: v for k, v in self.fds.entries.items() if v is not entry}
            os.close(host_fd)
            raise
        return 0

    def path_readlink(self, fd: int, path: int, path_len: int, buf: int, buf_len: int, bufused_ptr: int) -> int:
        d = self._dir(fd, C.R_PATH_READLINK)
        with resolve(d.host_fd, self._path(path, path_len), follow=False) as r:
            target = os.readlink(r.host_name, dir_fd=r.dir_fd)
        raw = target.encode("utf-8", "surrogateescape")[:buf_len]
        self.mem.write(buf, raw)
        self.mem.put_u32(bufused_ptr, len(raw))
        return 0

    def path_remove_directory(self, fd: int, path: int, path_len: int) -> int:
        d = self._dir(fd, C.R_PATH_REMOVE_DIRECTORY)
        with resolve(d.host_fd, self._path(path, path_len), follow=False) as r:
            os.rmdir(r.host_name, dir_fd=r.dir_fd)
        return 0

    def path_rename(self, fd: int, old_path: int, old_len: int, new_fd: int, new_path: int, new_len: int) -> int:
        src = self._dir(fd, C.R_PATH_RENAME_SOURCE)
        dst = self._dir(new_fd, C.R_PATH_RENAME_TARGET)
        old, new = self._path(old_path, old_len), self._path(new_path, new_len)
        with resolve(src.host_fd, old, follow=False) as a, resolve(dst.host_fd, new, follow=False) as b:
            os.rename(a.host_name, b.host_name, src_dir_fd=a.dir_fd, dst_dir_fd=b.dir_fd)
        return 0

    def path_symlink(self, old_path: int, old_len: int, fd: int, new_path: int, new_len: int) -> int:
        d = self._dir(fd, C.R_PATH_SYMLINK)
        target = self._path(old_path, old_len)
        if "\0" in target:
            raise WasiError(C.EILSEQ)
        if target.startswith("/"):
            raise WasiError(C.ENOTCAPABLE, "absolute symlink targets would point outside the sandbox")
        with resolve(d.host_fd, self._path(new_path, new_len), follow=False) as r:
            os.symlink(target, r.host_name, dir_fd=r.dir_fd)
        return 0

    def path_unlink_file(self, fd: int, path: int, path_len: int) -> int:
        d = self._dir(fd, C.R_PATH_UNLINK_FILE)
        with resolve(d.host_fd, self._path(path, path_len), follow=False) as r:
            os.unlink(r.host_name, dir_fd=r.dir_fd)
        return 0

    # -- poll -----------------------------------------------------------------------------------------
    def poll_oneoff(self, in_ptr: int, out_ptr: int, nsubs: int, nevents_ptr: int) -> int:
        if nsubs == 0:
            raise WasiError(C.EINVAL, "poll_oneoff needs at least one subscription")
        subs = [self.mem.unpack(in_ptr + i * C.SIZEOF_SUBSCRIPTION, _SUB) for i in range(nsubs)]
        self.mem._buf(out_ptr, nsubs * C.SIZEOF_EVENT)
        events: list[tuple[int, int, int, int, int]] = []  # userdata, errno, type, nbytes, flags
        deadlines: list[tuple[int, int]] = []  # (monotonic deadline ns, userdata)
        waits: list[tuple[int, int, int, FdEntry]] = []  # userdata, type, fd, entry
        now_mono = time.monotonic_ns()
        for userdata, tag, ident, timeout, _precision, flags in subs:
            if tag == C.EVENTTYPE_CLOCK:
                if ident not in _CLOCKS:
                    events.append((userdata, C.EINVAL, tag, 0, 0))
                    continue
                if flags & C.SUBCLOCK_ABSTIME:
                    remaining = timeout - time.clock_gettime_ns(_CLOCKS[ident])
                else:
                    remaining = timeout
                deadlines.append((now_mono + max(0, remaining), userdata))
            elif tag in (C.EVENTTYPE_FD_READ, C.EVENTTYPE_FD_WRITE):
                entry = self.fds.entries.get(ident)
                if entry is None:
                    events.append((userdata, C.EBADF, tag, 0, 0))
                    continue
                need = C.R_FD_READ if tag == C.EVENTTYPE_FD_READ else C.R_FD_WRITE
                if entry.rights_base & need != need:
                    events.append((userdata, C.ENOTCAPABLE, tag, 0, 0))
                    continue
                if entry.filetype == C.FILETYPE_REGULAR_FILE:
                    nbytes = 0
                    if tag == C.EVENTTYPE_FD_READ:
                        try:
                            nbytes = max(0, os.fstat(entry.host_fd).st_size
                                         - os.lseek(entry.host_fd, 0, os.SEEK_CUR))
                        except OSError:
                            nbytes = 0
                    events.append((userdata, 0, tag, nbytes, 0))
                    continue
                waits.append((userdata, tag, ident, entry))
            else:
                events.append((userdata, C.EINVAL, tag, 0, 0))
        if not events:
            events = self._wait(waits, deadlines)
        for i, ev in enumerate(events[:nsubs]):
            self.mem.pack(out_ptr + i * C.SIZEOF_EVENT, _EVENT, *ev)
        self.mem.put_u32(nevents_ptr, min(len(events), nsubs))
        return 0

    @staticmethod
    def _wait(waits: list[tuple[int, int, int, FdEntry]], deadlines: list[tuple[int, int]]
              ) -> list[tuple[int, int, int, int, int]]:
        while True:
            timeout_ms: float | None = None
            if deadlines:
                timeout_ms = max(0.0, (min(d for d, _ in deadlines) - time.monotonic_ns()) / 1e6)
            events: list[tuple[int, int, int, int, int]] = []
            if waits:
                poller = select.poll()
                for _, tag, _fd, entry in waits:
                    poller.register(entry.host_fd, select.POLLIN if tag == C.EVENTTYPE_FD_READ else select.POLLOUT)
                ready = dict(poller.poll(None if timeout_ms is None else int(timeout_ms + 0.999)))
                for userdata, tag, _fd, entry in waits:
                    got = ready.get(entry.host_fd, 0)
                    want = select.POLLIN if tag == C.EVENTTYPE_FD_READ else select.POLLOUT
                    if got & (want | select.POLLHUP | select.POLLERR | select.POLLNVAL):
                        flags = C.EVENTRW_HANGUP if got & select.POLLHUP else 0
                        events.append((userdata, 0, tag, 0, flags))
            elif timeout_ms is not None and timeout_ms > 0:
                time.sleep(timeout_ms / 1000)
            now = time.monotonic_ns()
            for deadline, userdata in deadlines:
                if deadline <= now:
                    events.append((userdata, 0, C.EVENTTYPE_CLOCK, 0, 0))
            if events or (not waits and not deadlines):
                return events

    # -- sockets: none are preopened by this host, so every descriptor is the wrong kind ------------
    def _not_socket(self, fd: int) -> int:
        e = self.fds.get(fd)
        if e.filetype not in (C.FILETYPE_SOCKET_STREAM, C.FILETYPE_SOCKET_DGRAM):
            raise WasiError(C.ENOTSOCK)
        raise WasiError(C.ENOTSUP, "sockets are not provided by this host")

    def sock_accept(self, fd: int, flags: int, fd_ptr: int) -> int:
        return self._not_socket(fd)

    def sock_recv(self, fd: int, ri_data: int, ri_len: int, ri_flags: int, ro_len_ptr: int,
                  ro_flags_ptr: int) -> int:
        return self._not_socket(fd)

    def sock_send(self, fd: int, si_data: int, si_len: int, si_flags: int, so_len_ptr: int) -> int:
        return self._not_socket(fd)

    def sock_shutdown(self, fd: int, how: int) -> int:
        return self._not_socket(fd)


def function_names() -> Iterable[str]:
    return SIGNATURES.keys()
