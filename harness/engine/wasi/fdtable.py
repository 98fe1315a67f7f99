"""The guest's file descriptor table: what each WASI fd is on the host, and the rights it carries."""

from __future__ import annotations

import os
import stat

from ..records import Record
from .constants import (
    EBADF,
    EMFILE,
    ENOTCAPABLE,
    FILETYPE_BLOCK_DEVICE,
    FILETYPE_CHARACTER_DEVICE,
    FILETYPE_DIRECTORY,
    FILETYPE_REGULAR_FILE,
    FILETYPE_SOCKET_STREAM,
    FILETYPE_SYMBOLIC_LINK,
    FILETYPE_UNKNOWN,
    WasiError,
)

MAX_FDS = 1 << 16


def filetype_of(mode: int) -> int:
    """The preview1 filetype of a host ``st_mode`` (FIFOs have no preview1 type: unknown)."""
    if stat.S_ISREG(mode):
        return FILETYPE_REGULAR_FILE
    if stat.S_ISDIR(mode):
        return FILETYPE_DIRECTORY
    if stat.S_ISLNK(mode):
        return FILETYPE_SYMBOLIC_LINK
    if stat.S_ISCHR(mode):
        return FILETYPE_CHARACTER_DEVICE
    if stat.S_ISBLK(mode):
        return FILETYPE_BLOCK_DEVICE
    if stat.S_ISSOCK(mode):
        return FILETYPE_SOCKET_STREAM
    return FILETYPE_UNKNOWN


class FdEntry(Record):
    """One open guest descriptor.

    ``close_host`` is False for descriptors the embedder lent us (stdio), which the guest may close or
    renumber without closing the embedder's own descriptor.  ``preopen`` is the guest-visible name of a
    preopened directory (``fd_prestat_*``).  ``dir_entries`` caches one ``fd_readdir`` listing so cookies
    stay meaningful across calls.
    """

    __slots__ = ("host_fd", "filetype", "rights_base", "rights_inheriting", "flags", "preopen", "close_host",
                 "is_stdio", "dir_entries")

    def __init__(self, host_fd: int, filetype: int, rights_base: int, rights_inheriting: int, flags: int = 0,
                 preopen: str | None = None, close_host: bool = True, is_stdio: bool = False,
                 dir_entries: list[tuple[str, int, int]] | None = None):
        self.host_fd = host_fd
        self.filetype = filetype
        self.rights_base = rights_base
        self.rights_inheriting = rights_inheriting
        self.flags = flags
        self.preopen = preopen
        self.close_host = close_host
        self.is_stdio = is_stdio
        self.dir_entries = dir_entries

    def require(self, rights: int) -> None:
        if self.rights_base & rights != rights:
            raise WasiError(ENOTCAPABLE, "the descriptor lacks the rights for this call")

    @property
    def is_dir(self) -> bool:
        return self.filetype == FILETYPE_DIRECTORY


class FdTable:
    def __init__(self) -> None:
        self.entries: dict[int, FdEntry] = {}

    def get(self, fd: int) -> FdEntry:
        entry = self.entries.get(fd)
        if entry is None:
            raise WasiError(EBADF, f"fd {fd} is not open")
        return entry

    def insert(self, entry: FdEntry, fd: int | None = None) -> int:
        if fd is None:
            fd = 0
            while fd in self.entries:
                fd += 1
            if fd >= MAX_FDS:
                raise WasiError(EMFILE, "too many open descriptors")
        self.entries[fd] = entry
        return fd

    def close(self, fd: int) -> None:
        entry = self.entries.pop(fd, None)
        if entry is None:
            raise WasiError(EBADF, f"fd {fd} is not open")
        release(entry)

    def close_all(self) -> None:
        for fd in list(self.entries):
            release(self.entries.pop(fd))


def release(entry: FdEntry) -> None:
    if entry.close_host:
        try:
            os.close(entry.host_fd)
        except OSError:
            pass
