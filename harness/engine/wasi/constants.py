"""Numbers of the wasi_snapshot_preview1 ABI (legacy/preview1/witx/typenames.witx), and errno mapping.

Kept apart from the host so tests and the sandbox resolver can use them without a memory or an engine.
"""

from __future__ import annotations

import errno as _os_errno

# -- errno (u16) ----------------------------------------------------------------------------------
ERRNO_NAMES = (
    "success 2big acces addrinuse addrnotavail afnosupport again already badf badmsg busy canceled child "
    "connaborted connrefused connreset deadlk destaddrreq dom dquot exist fault fbig hostunreach idrm ilseq "
    "inprogress intr inval io isconn isdir loop mfile mlink msgsize multihop nametoolong netdown netreset "
    "netunreach nfile nobufs nodev noent noexec nolck nolink nomem nomsg noprotoopt nospc nosys notconn notdir "
    "notempty notrecoverable notsock notsup notty nxio overflow ownerdead perm pipe proto protonosupport "
    "prototype range rofs spipe srch stale timedout txtbsy xdev notcapable"
).split()
ERRNO = {name: i for i, name in enumerate(ERRNO_NAMES)}

SUCCESS = 0
E2BIG = ERRNO["2big"]
EACCES = ERRNO["acces"]
EAGAIN = ERRNO["again"]
EBADF = ERRNO["badf"]
EBUSY = ERRNO["busy"]
EEXIST = ERRNO["exist"]
EFAULT = ERRNO["fault"]
EFBIG = ERRNO["fbig"]
EILSEQ = ERRNO["ilseq"]
EINTR = ERRNO["intr"]
EINVAL = ERRNO["inval"]
EIO = ERRNO["io"]
EISDIR = ERRNO["isdir"]
ELOOP = ERRNO["loop"]
EMFILE = ERRNO["mfile"]
ENAMETOOLONG = ERRNO["nametoolong"]
ENOENT = ERRNO["noent"]
ENOSPC = ERRNO["nospc"]
ENOSYS = ERRNO["nosys"]
ENOTDIR = ERRNO["notdir"]
ENOTEMPTY = ERRNO["notempty"]
ENOTSOCK = ERRNO["notsock"]
ENOTSUP = ERRNO["notsup"]
ENOTTY = ERRNO["notty"]
EOVERFLOW = ERRNO["overflow"]
EPERM = ERRNO["perm"]
EPIPE = ERRNO["pipe"]
ESPIPE = ERRNO["spipe"]
EXDEV = ERRNO["xdev"]
ENOTCAPABLE = ERRNO["notcapable"]

assert ENOTCAPABLE == 76 and EINVAL == 28 and ENOENT == 44


class WasiError(Exception):
    """A WASI call failed with ``errno`` (a preview1 errno number); host functions return it to the guest."""

    def __init__(self, errno: int, message: str = ""):
        self.errno = errno
        super().__init__(message or ERRNO_NAMES[errno])


def _build_host_map() -> dict[int, int]:
    table: dict[int, int] = {}
    for name in ERRNO_NAMES[1:-1]:
        host = getattr(_os_errno, "E" + name.upper(), None)
        if host is not None:
            table[host] = ERRNO[name]
    table[_os_errno.EACCES] = EACCES
    table[_os_errno.EWOULDBLOCK] = EAGAIN
    if hasattr(_os_errno, "EOPNOTSUPP"):
        table[_os_errno.EOPNOTSUPP] = ENOTSUP
    return table


_HOST_TO_WASI = _build_host_map()


def errno_from_oserror(err: OSError) -> int:
    """The preview1 errno for a host ``OSError`` (EIO when the host errno has no preview1 equivalent)."""
    return _HOST_TO_WASI.get(err.errno or 0, EIO)


# -- rights (u64 flags) ---------------------------------------------------------------------------
RIGHT_NAMES = (
    "fd_datasync fd_read fd_seek fd_fdstat_set_flags fd_sync fd_tell fd_write fd_advise fd_allocate "
    "path_create_directory path_create_file path_link_source path_link_target path_open fd_readdir "
    "path_readlink path_rename_source path_rename_target path_filestat_get path_filestat_set_size "
    "path_filestat_set_times fd_filestat_get fd_filestat_set_size fd_filestat_set_times path_symlink "
    "path_remove_directory path_unlink_file poll_fd_readwrite sock_shutdown sock_accept"
).split()
RIGHT = {name: 1 << i for i, name in enumerate(RIGHT_NAMES)}
R_FD_DATASYNC = RIGHT["fd_datasync"]
R_FD_READ = RIGHT["fd_read"]
R_FD_SEEK = RIGHT["fd_seek"]
R_FD_FDSTAT_SET_FLAGS = RIGHT["fd_fdstat_set_flags"]
R_FD_SYNC = RIGHT["fd_sync"]
R_FD_TELL = RIGHT["fd_tell"]
R_FD_WRITE = RIGHT["fd_write"]
R_FD_ADVISE = RIGHT["fd_advise"]
R_FD_ALLOCATE = RIGHT["fd_allocate"]
R_PATH_CREATE_DIRECTORY = RIGHT["path_create_directory"]
R_PATH_CREATE_FILE = RIGHT["path_create_file"]
R_PATH_LINK_SOURCE = RIGHT["path_link_source"]
R_PATH_LINK_TARGET = RIGHT["path_link_target"]
R_PATH_OPEN = RIGHT["path_open"]
R_FD_READDIR = RIGHT["fd_readdir"]
R_PATH_READLINK = RIGHT["path_readlink"]
R_PATH_RENAME_SOURCE = RIGHT["path_rename_source"]
R_PATH_RENAME_TARGET = RIGHT["path_rename_target"]
R_PATH_FILESTAT_GET = RIGHT["path_filestat_get"]
R_PATH_FILESTAT_SET_SIZE = RIGHT["path_filestat_set_size"]
R_PATH_FILESTAT_SET_TIMES = RIGHT["path_filestat_set_times"]
R_FD_FILESTAT_GET = RIGHT["fd_filestat_get"]
R_FD_FILESTAT_SET_SIZE = RIGHT["fd_filestat_set_size"]
R_FD_FILESTAT_SET_TIMES = RIGHT["fd_filestat_set_times"]
R_PATH_SYMLINK = RIGHT["path_symlink"]
R_PATH_REMOVE_DIRECTORY = RIGHT["path_remove_directory"]
R_PATH_UNLINK_FILE = RIGHT["path_unlink_file"]
R_POLL_FD_READWRITE = RIGHT["poll_fd_readwrite"]
R_SOCK_SHUTDOWN = RIGHT["sock_shutdown"]
R_SOCK_ACCEPT = RIGHT["sock_accept"]
ALL_RIGHTS = (1 << len(RIGHT_NAMES)) - 1

# What a regular file descriptor can ever hold.
FILE_RIGHTS = (R_FD_DATASYNC | R_FD_READ | R_FD_SEEK | R_FD_FDSTAT_SET_FLAGS | R_FD_SYNC | R_FD_TELL
               | R_FD_WRITE | R_FD_ADVISE | R_FD_ALLOCATE | R_FD_FILESTAT_GET | R_FD_FILESTAT_SET_SIZE
               | R_FD_FILESTAT_SET_TIMES | R_POLL_FD_READWRITE)
# What a directory descriptor can ever hold.  Sizes are set through files (no path_filestat_set_size here,
# like the hosts the official suite was written against), and directories cannot seek.
DIR_RIGHTS = (R_FD_FDSTAT_SET_FLAGS | R_FD_SYNC | R_FD_DATASYNC | R_FD_ADVISE | R_PATH_CREATE_DIRECTORY
              | R_PATH_CREATE_FILE | R_PATH_LINK_SOURCE | R_PATH_LINK_TARGET | R_PATH_OPEN | R_FD_READDIR
              | R_PATH_READLINK | R_PATH_RENAME_SOURCE | R_PATH_RENAME_TARGET | R_PATH_FILESTAT_GET
              | R_PATH_FILESTAT_SET_TIMES | R_FD_FILESTAT_GET | R_FD_FILESTAT_SET_TIMES | R_PATH_SYMLINK
              | R_PATH_REMOVE_DIRECTORY | R_PATH_UNLINK_FILE | R_POLL_FD_READWRITE)
# Terminals and pipes (stdio).
STREAM_RIGHTS = (R_FD_READ | R_FD_WRITE | R_FD_FDSTAT_SET_FLAGS | R_FD_FILESTAT_GET | R_POLL_FD_READWRITE
                 | R_FD_SYNC | R_FD_DATASYNC | R_FD_ADVISE)

# -- enums and flags --------------------------------------------------------------------------------
FILETYPE_UNKNOWN = 0
FILETYPE_BLOCK_DEVICE = 1
FILETYPE_CHARACTER_DEVICE = 2
FILETYPE_DIRECTORY = 3
FILETYPE_REGULAR_FILE = 4
FILETYPE_SOCKET_DGRAM = 5
FILETYPE_SOCKET_STREAM = 6
FILETYPE_SYMBOLIC_LINK = 7

FDFLAG_APPEND = 1
FDFLAG_DSYNC = 2
FDFLAG_NONBLOCK = 4
FDFLAG_RSYNC = 8
FDFLAG_SYNC = 16

OFLAG_CREAT = 1
OFLAG_DIRECTORY = 2
OFLAG_EXCL = 4
OFLAG_TRUNC = 8

LOOKUP_SYMLINK_FOLLOW = 1

FSTFLAG_ATIM = 1
FSTFLAG_ATIM_NOW = 2
FSTFLAG_MTIM = 4
FSTFLAG_MTIM_NOW = 8

WHENCE_SET, WHENCE_CUR, WHENCE_END = 0, 1, 2

CLOCK_REALTIME, CLOCK_MONOTONIC, CLOCK_PROCESS_CPUTIME, CLOCK_THREAD_CPUTIME = 0, 1, 2, 3

EVENTTYPE_CLOCK, EVENTTYPE_FD_READ, EVENTTYPE_FD_WRITE = 0, 1, 2
SUBCLOCK_ABSTIME = 1
EVENTRW_HANGUP = 1

PREOPENTYPE_DIR = 0

SDFLAG_RD, SDFLAG_WR = 1, 2

# -- struct sizes -----------------------------------------------------------------------------------
SIZEOF_FDSTAT = 24
SIZEOF_FILESTAT = 64
SIZEOF_DIRENT = 24
SIZEOF_SUBSCRIPTION = 48
SIZEOF_EVENT = 32
SIZEOF_IOVEC = 8
