"""Guest path resolution that cannot leave a preopened directory.

A guest path is resolved one component at a time, relative to a host directory descriptor, with
``os.open(..., dir_fd=..., O_NOFOLLOW)``: the kernel never walks more than one name of a guest path, so it
never follows a symlink or ``..`` on the guest's behalf.  Symlinks are expanded here, and only while the
expansion stays inside the starting directory: ``..`` above it, an absolute path or an absolute link
target is an escape and fails with ``ENOTCAPABLE``.  Too many links fail with ``ELOOP``.

What comes back is the directory that holds the last component (a host fd this module opened, or the
starting fd) and that component's name, so the caller finishes with one ``*at`` call that does not follow
symlinks (``unlink(name, dir_fd=...)``, ``os.open(name, O_NOFOLLOW, dir_fd=...)``).
"""

from __future__ import annotations

import os
import stat
from collections import deque

from ..records import Record
from .constants import EILSEQ, ELOOP, ENOENT, ENOTCAPABLE, ENOTDIR, WasiError, errno_from_oserror

MAX_SYMLINKS = 40
_DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC


class Resolved(Record):
    """Where a guest path ends: ``name`` inside the host directory ``dir_fd``.

    ``name`` is ``"."`` when the path names the directory itself.  ``trailing_slash`` records a trailing
    ``/`` (the guest insists on a directory); ``host_name`` re-appends it for the final system call, which
    is safe because a final symlink has then already been expanded here.  Close it (or use ``with``) to
    release the intermediate directory descriptors.
    """

    __slots__ = ("dir_fd", "name", "trailing_slash", "_owned")

    def __init__(self, dir_fd: int, name: str, trailing_slash: bool = False, _owned: list[int] | None = None):
        self.dir_fd = dir_fd
        self.name = name
        self.trailing_slash = trailing_slash
        self._owned = [] if _owned is None else _owned

    @property
    def host_name(self) -> str:
        return self.name + "/" if self.trailing_slash and self.name not in (".", "..") else self.name

    def close(self) -> None:
        while self._owned:
            os.close(self._owned.pop())

    def __enter__(self) -> Resolved:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _split(path: str) -> tuple[list[str], bool]:
    parts = [p for p in path.split("/") if p]
    return parts, path.endswith("/")


def resolve(base_fd: int, path: str, follow: bool) -> Resolved:
    """Resolve ``path`` relative to ``base_fd``; ``follow`` expands a final symlink too (lookupflags).

    Raises ``WasiError`` with the preview1 errno on failure (escape: ENOTCAPABLE).
    """
    if path == "":
        raise WasiError(ENOENT, "empty path")
    if "\0" in path:
        raise WasiError(EILSEQ, "NUL in path")
    if path.startswith("/"):
        raise WasiError(ENOTCAPABLE, f"absolute path {path!r} is outside the sandbox")
    first, trailing = _split(path)
    parts: deque[str] = deque(first)
    owned: list[int] = []
    cur = base_fd
    links = 0
    result: Resolved | None = None
    try:
        if not parts:  # "" handled above, so this is a run of slashes -> absolute (handled) or impossible
            raise WasiError(ENOENT, "empty path")
        while parts:
            comp = parts.popleft()
            last = not parts
            if comp == ".":
                if last:
                    result = Resolved(cur, ".", trailing, owned)
                    return result
                continue
            if comp == "..":
                if not owned:
                    raise WasiError(ENOTCAPABLE, f"{path!r} leaves the sandbox through '..'")
                os.close(owned.pop())
                cur = owned[-1] if owned else base_fd
                if last:
                    result = Resolved(cur, ".", trailing, owned)
                    return result
                continue
            if last and not (follow or trailing):
                result = Resolved(cur, comp, trailing, owned)
                return result
            try:
                st = os.stat(comp, dir_fd=cur, follow_symlinks=False)
            except FileNotFoundError:
                if last:
                    result = Resolved(cur, comp, trailing, owned)
                    return result
                raise WasiError(ENOENT, f"{comp!r} in {path!r} does not exist") from None
            if stat.S_ISLNK(st.st_mode):
                links += 1
                if links > MAX_SYMLINKS:
                    raise WasiError(ELOOP, f"too many symbolic links in {path!r}")
                target = os.readlink(comp, dir_fd=cur)
                if target.startswith("/"):
                    raise WasiError(ENOTCAPABLE, f"symlink {comp!r} points outside the sandbox")
                new_parts, target_trailing = _split(target)
                if not new_parts:
                    raise WasiError(ENOENT, f"symlink {comp!r} has an empty target")
                if last:
                    trailing = trailing or target_trailing
                parts.extendleft(reversed(new_parts))
                continue
            if last:
                result = Resolved(cur, comp, trailing, owned)
                return result
            if not stat.S_ISDIR(st.st_mode):
                raise WasiError(ENOTDIR, f"{comp!r} in {path!r} is not a directory")
            fd = os.open(comp, _DIR_FLAGS, dir_fd=cur)
            owned.append(fd)
            cur = fd
        raise AssertionError("unreachable")  # pragma: no cover
    except OSError as e:
        raise WasiError(errno_from_oserror(e), str(e)) from None
    finally:
        if result is None:
            for fd in owned:
                os.close(fd)
