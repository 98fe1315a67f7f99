"""Our own WASI test programs (suites/wasi/programs/*.c), compiled on demand into the harness cache.

Each program is compiled with ``python -m ziglang cc -target wasm32-wasi -O2`` and laid out like the
official suite (``tests/own/testsuite/wasm32-wasip1/<name>.wasm`` + ``<name>.json``), so the same runner
and drivers run it.  What each program gets and must print is data in ``programs/tests.toml``; the
build directory is keyed by a hash of the sources, the data file and the compiler version, so edits
rebuild and nothing compiled is ever written into the repository.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

from .. import process
from ..errors import HarnessError
from ..paths import REPO_ROOT, cache_dir

PROGRAMS_DIR = REPO_ROOT / "suites" / "wasi" / "programs"
SPEC_FILE = PROGRAMS_DIR / "tests.toml"
GROUP_DIR = Path("tests") / "own" / "testsuite" / "wasm32-wasip1"


def load_table(path: Path = SPEC_FILE) -> dict[str, dict]:
    with open(path, "rb") as f:
        return tomllib.load(f)


def _zig_version() -> str | None:
    """zig's version, or None when it is not installed (an aarch64 root filesystem under emulation has none)."""
    try:
        out = subprocess.run([sys.executable, "-m", "ziglang", "version"], capture_output=True, text=True, timeout=60)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return out.stdout.strip() or None if out.returncode == 0 else None


def sources_digest(programs: Path = PROGRAMS_DIR) -> str:
    """The programs, their header and their table: what a build is of, whichever compiler made it."""
    h = hashlib.sha256()
    for p in sorted(programs.glob("*")):
        if p.suffix in (".c", ".h", ".toml"):
            h.update(p.name.encode() + b"\0" + p.read_bytes())
    return h.hexdigest()


def source_hash(programs: Path = PROGRAMS_DIR, zig: str | None = None) -> str:
    """The build's folder name: the sources and the zig that compiles them."""
    return hashlib.sha256(f"{sources_digest(programs)}\0{zig or _zig_version() or '?'}".encode()).hexdigest()[:16]


SOURCES_FILE = ".sources"  # in a finished build: the sources_digest it was compiled from


def _prebuilt(digest: str) -> Path | None:
    """The newest finished build of exactly these sources, by any zig: what a machine without zig runs."""
    builds = [d for d in (cache_dir() / "wasi" / "own").glob("*")
              if (d / ".complete").is_file() and (d / SOURCES_FILE).is_file()
              and (d / SOURCES_FILE).read_text().strip() == digest]
    return max(builds, key=lambda d: (d / ".complete").stat().st_mtime, default=None)


def compile_c(source: Path, out: Path, include: Path) -> None:
    """Compile one C program to a wasm32-wasi command."""
    argv = [sys.executable, "-m", "ziglang", "cc", "-target", "wasm32-wasi", "-O2", f"-I{include}", str(source),
            "-o", str(out)]
    try:
        # zig runs clang and the linker as children of its own: a timeout must take them too
        done = process.run_captured(argv, timeout=600, stdin=subprocess.DEVNULL)
    except FileNotFoundError:
        raise HarnessError("compiling our WASI programs needs zig (pip install ziglang)") from None
    if done.exit.timed_out:
        raise HarnessError(f"compiling {source.name} took longer than 600 s; stopped")
    if done.exit.returncode != 0:
        raise HarnessError(f"compiling {source.name} failed:\n{done.stderr.decode(errors='replace').strip()}")


def _materialize_fixture(group: Path, name: str, entry: dict) -> None:
    """Create the directories a program preopens: ``<name>.dir`` (with ``files``), or a jail layout."""
    if not entry.get("dirs"):
        return
    top = group / entry["dirs"][0].split("/")[0]
    if top.exists():
        shutil.rmtree(top)
    for d in entry["dirs"]:
        (group / d).mkdir(parents=True, exist_ok=True)
    for rel, content in entry.get("files", {}).items():
        path = top / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(content)
    for rel in entry.get("mkdirs", []):
        (top / rel).mkdir(parents=True, exist_ok=True)


def build_own_suite(force: bool = False) -> Path:
    """Compile every program (once per source hash) and return the suite root for ``spec.discover``.

    Safe to call from several processes at once (pytest-xdist workers do): the build holds a lock, so one
    process compiles and the others wait for it and then use its build; a finished build is only ever
    replaced by renaming, never deleted while another process may be reading it."""
    table = load_table()
    sources = {p.stem: p for p in PROGRAMS_DIR.glob("*.c")}
    missing = sorted(set(table) - set(sources))
    if missing:
        raise HarnessError(f"{SPEC_FILE}: no program {', '.join(m + '.c' for m in missing)} in {PROGRAMS_DIR}")
    digest = sources_digest()
    zig = _zig_version()
    if zig is None:
        built = _prebuilt(digest)
        if built is not None and not force:
            return built
        raise HarnessError("compiling our WASI programs needs zig (pip install ziglang), and no build of these "
                           f"sources is in {cache_dir() / 'wasi' / 'own'}: compile them where zig is (any harness "
                           "wasi --own run there) with that cache folder shared")
    root = cache_dir() / "wasi" / "own" / source_hash(zig=zig)
    marker = root / ".complete"
    if marker.is_file() and not force:
        if not (root / SOURCES_FILE).is_file():  # built before builds recorded their sources
            (root / SOURCES_FILE).write_text(digest + "\n")
        return root
    root.parent.mkdir(parents=True, exist_ok=True)
    with open(root.with_name(root.name + ".lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes
        if marker.is_file() and not force:  # another process built it while this one waited
            return root
        tmp = root.with_name(root.name + f".tmp{os.getpid()}")
        shutil.rmtree(tmp, ignore_errors=True)
        group = tmp / GROUP_DIR
        group.mkdir(parents=True)
        (group / "manifest.json").write_text(json.dumps({"name": "harness own WASI programs [wasm32-wasip1]"}))
        try:
            for name, entry in sorted(table.items()):
                compile_c(sources[name], group / f"{name}.wasm", PROGRAMS_DIR)
                spec = {k: entry[k] for k in ("args", "env", "dirs", "exit_code", "stdout", "stderr", "stdin")
                        if k in entry}
                spec["exact_output"] = bool(entry.get("exact", True))
                (group / f"{name}.json").write_text(json.dumps(spec, indent=2))
                _materialize_fixture(group, name, entry)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        (tmp / SOURCES_FILE).write_text(digest + "\n")
        (tmp / ".complete").write_text("ok\n")
        old = None
        if root.exists():  # a forced rebuild: move the old build aside first, so the swap is two renames
            old = root.with_name(root.name + f".old{os.getpid()}")
            root.rename(old)
        tmp.rename(root)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
    return root
