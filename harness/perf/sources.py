"""Fetching upstream sources as Debian source packages and verifying them against the recipe.

The only network the harness may use is package registries, so sources come from Debian's archive
with ``apt-get source --download-only pkg=version``.  Both the ``.dsc`` and the upstream (``orig``)
tarball are checked against the sha256 in the recipe before anything is unpacked; a mismatch stops the
build of that program with a message saying which file and what to do.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tarfile
from pathlib import Path

from ..digests import sha256_file
from ..errors import HarnessError
from ..text import clip_start
from .recipes import Source

DEB_SRC_LIST = Path("/etc/apt/sources.list.d/harness-deb-src.sources")
DEB_SRC_ENTRY = """\
# Written by `harness perf build`: Debian source packages for the perf workloads.
Types: deb-src
URIs: http://deb.debian.org/debian
Suites: {suite} {suite}-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
"""


def _have_deb_src() -> bool:
    for p in [Path("/etc/apt/sources.list"), *Path("/etc/apt/sources.list.d").glob("*")]:
        try:
            text = p.read_text()
        except OSError:
            continue
        if "deb-src" in text and "disabled" not in p.name:
            return True
    return False


def ensure_deb_src(log=print) -> None:
    """Write a deb-src entry and run ``apt-get update`` once, if the machine has none."""
    if _have_deb_src():
        return
    if shutil.which("apt-get") is None:
        raise HarnessError("apt-get is not available: put the Debian source files named in suites/perf/recipes "
                           "into $HARNESS_PERF_SOURCES and run again")
    if os.geteuid() != 0:
        raise HarnessError(f"no deb-src entry in /etc/apt: as root, write {DEB_SRC_LIST} with a deb-src line "
                           "and run `apt-get update` (or run `harness perf build` as root once)")
    codename = "bookworm"
    try:
        for line in Path("/etc/os-release").read_text().splitlines():
            if line.startswith("VERSION_CODENAME="):
                codename = line.split("=", 1)[1].strip() or codename
    except OSError:
        pass
    DEB_SRC_LIST.write_text(DEB_SRC_ENTRY.format(suite=codename))
    log(f"wrote {DEB_SRC_LIST}; running apt-get update")
    r = subprocess.run(["apt-get", "update"], capture_output=True, text=True, timeout=600)
    if r.returncode:
        raise HarnessError(f"apt-get update failed: {clip_start(r.stderr.strip())}")


def _verify(path: Path, expected: str) -> None:
    got = sha256_file(path)
    if got != expected:
        raise HarnessError(f"{path}: sha256 {got} does not match the recipe's {expected}; delete the file "
                           "and run `harness perf build` again, or update the recipe if Debian changed the package")


def fetch(src: Source, downloads: Path, log=print) -> Path:
    """Download (if needed) and verify the .dsc and orig tarball; return the orig tarball's path."""
    downloads.mkdir(parents=True, exist_ok=True)
    dsc, orig = downloads / src.dsc, downloads / src.orig
    offline = os.environ.get("HARNESS_PERF_SOURCES")
    if offline:
        for name in (src.dsc, src.orig):
            if not (downloads / name).exists() and (Path(offline) / name).exists():
                shutil.copy2(Path(offline) / name, downloads / name)
    if not (dsc.exists() and orig.exists()):
        ensure_deb_src(log)
        log(f"apt-get source --download-only {src.debian_package}={src.debian_version}")
        r = subprocess.run(["apt-get", "source", "--download-only", f"{src.debian_package}={src.debian_version}"],
                           cwd=downloads, capture_output=True, text=True, timeout=900)
        if r.returncode or not (dsc.exists() and orig.exists()):
            raise HarnessError(f"apt-get source {src.debian_package}={src.debian_version} failed: "
                               f"{clip_start((r.stderr or r.stdout).strip())}; is that version still in the archive? "
                               "Update the recipe in suites/perf/recipes")
    _verify(dsc, src.dsc_sha256)
    _verify(orig, src.orig_sha256)
    if src.orig_sha256 not in dsc.read_text(errors="replace"):
        raise HarnessError(f"{dsc}: does not list {src.orig} with sha256 {src.orig_sha256}")
    return orig


def unpack(tarball: Path, dest: Path) -> Path:
    """Unpack into ``dest`` (stripping the single top directory); return ``dest``."""
    marker = dest / ".unpacked"
    if marker.exists():
        return dest
    if dest.exists():
        shutil.rmtree(dest)
    tmp = dest.with_name(dest.name + ".tmp")
    if tmp.exists():
        shutil.rmtree(tmp)
    tmp.mkdir(parents=True)
    with tarfile.open(tarball) as tf:
        tf.extractall(tmp, filter="data")
    entries = list(tmp.iterdir())
    top = entries[0] if len(entries) == 1 and entries[0].is_dir() else tmp
    top.rename(dest)
    if top is not tmp:
        tmp.rmdir()
    marker.write_text(tarball.name)
    return dest
