"""``harness perf build``: fetch, verify and build every program for every target into the cache.

Layout under ``<cache>/perf/``: ``downloads/`` (Debian source files), ``src/<pkg>-<version>/``
(unpacked), ``bin/<target>/<program>`` (+ ``.json`` build record).  A build is redone only when its
command line or inputs change.  A program that fails to build for a target is recorded with the tail of
the compiler output and the run goes on: the perf table shows it as a build failure.
"""

from __future__ import annotations

import hashlib
import json
import subprocess
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from pathlib import Path

from ..digests import sha256_file
from ..errors import HarnessError
from ..paths import cache_dir
from ..text import LINE, clip, clip_start
from . import sources
from .recipes import PERF_SUITE, Program, load_programs
from .targets import TARGETS, Target, compile_argv, freestanding_files

# foreign64 (the other 64-bit architecture, for qemu-user) is built by default too: zig cross-compiles it
# like any other target, and without it claim 6 cannot be measured.  wasm32-free and wasm64 are the
# freestanding pair of the pointer study (only programs whose recipe says ``freestanding = true``).
DEFAULT_TARGETS = ("native64", "native32", "foreign64", "wasm32", "wasm32-free", "wasm64")


def perf_cache() -> Path:
    p = cache_dir() / "perf"
    p.mkdir(parents=True, exist_ok=True)
    return p


@dataclass
class BuildRecord:
    program: str
    target: str
    ok: bool
    path: str | None
    argv: list[str]
    seconds: float
    sha256: str | None = None
    message: str = ""
    key: str = ""

    @staticmethod
    def load(path: Path) -> BuildRecord | None:
        try:
            return BuildRecord(**json.loads(path.read_text()))
        except (OSError, ValueError, TypeError):
            return None


def binary_path(program: str, target: str) -> Path:
    suffix = ".wasm" if TARGETS[target].wasm else ""
    return perf_cache() / "bin" / target / f"{program}{suffix}"


def record_path(program: str, target: str) -> Path:
    return perf_cache() / "bin" / target / f"{program}.json"


def build_record(program: str, target: str) -> BuildRecord | None:
    return BuildRecord.load(record_path(program, target))


def source_tree(prog: Program, log=print) -> Path | None:
    if prog.source is None:
        return None
    src = prog.source
    tarball = sources.fetch(src, perf_cache() / "downloads", log)
    version = src.debian_version.split(":")[-1]  # drop the epoch
    tree = sources.unpack(tarball, perf_cache() / "src" / f"{src.debian_package}-{version}")
    stamp = tree / ".prepared"
    if prog.prepare and not stamp.exists():
        for cmd in prog.prepare:
            log(f"[{prog.name}] prepare: {cmd}")
            r = subprocess.run(cmd, shell=True, cwd=tree, capture_output=True, text=True, timeout=1800)
            if r.returncode:
                raise HarnessError(f"{prog.recipe}: prepare step {cmd!r} failed in {tree}: "
                                   f"{clip_start((r.stderr or r.stdout).strip())}")
        stamp.write_text("ok")
    return tree


def _resolve(path: str, tree: Path | None) -> str:
    if path.startswith("@"):
        return str(PERF_SUITE / path[1:])
    if tree is None:
        raise HarnessError(f"source {path!r} needs an upstream tree but the recipe has no [source]")
    return str(tree / path)


def _key(argv: list[str], files: list[str]) -> str:
    h = hashlib.sha256(json.dumps(argv).encode())
    for f in files:
        try:
            h.update(Path(f).read_bytes())
        except OSError:
            h.update(b"missing:" + f.encode())
    return h.hexdigest()[:16]


NEEDS_LIBC = "needs-libc"  # the key of a build record that is no build by design (``needs_libc``)


def needs_libc(prog: Program, target: Target) -> str | None:
    """Why ``prog`` has no build for a freestanding ``target`` (None when it has one): only programs whose
    recipe declares ``freestanding = true`` get by with our runtime instead of a libc."""
    if not target.freestanding or prog.freestanding:
        return None
    return (f"{prog.name} needs a libc; {target.name} is freestanding and builds only programs marked "
            "freestanding = true in suites/perf/recipes/")


def build_one(prog: Program, target: Target, tree: Path | None, force: bool = False) -> BuildRecord:
    out = binary_path(prog.name, target.name)
    out.parent.mkdir(parents=True, exist_ok=True)
    why = needs_libc(prog, target)
    if why:  # not a compiler failure: recorded without running the compiler
        rec = BuildRecord(prog.name, target.name, False, None, [], 0.0, message=why, key=NEEDS_LIBC)
        record_path(prog.name, target.name).write_text(json.dumps(asdict(rec), indent=1))
        return rec
    srcs = [_resolve(s, tree) for s in prog.sources]
    inc = [_resolve(i if i.startswith("@") else i, tree) for i in prog.include]
    if any(s.startswith(str(PERF_SUITE / "micro")) for s in srcs):
        inc.append(str(PERF_SUITE / "micro"))
    argv = compile_argv(target, srcs, str(out), inc, list(prog.cflags), list(prog.wasm_cflags),
                        list(prog.wasm_libs))
    headers = [str(p) for p in (PERF_SUITE / "micro").glob("*.h")]
    if target.freestanding:
        headers += freestanding_files()
    key = _key(argv, srcs + headers)
    old = build_record(prog.name, target.name)
    if not force and old and old.key == key and (not old.ok or out.exists()):
        return old
    t0 = time.perf_counter()
    try:
        r = subprocess.run(argv, capture_output=True, text=True, timeout=1800, cwd=tree or PERF_SUITE)
        ok, msg = r.returncode == 0 and out.exists(), (r.stderr or r.stdout)
    except subprocess.TimeoutExpired:
        ok, msg = False, "compiler timed out after 1800 s"
    errors = [ln for ln in msg.splitlines() if "error" in ln.lower()]
    rec = BuildRecord(prog.name, target.name, ok, str(out) if ok else None, argv,
                      round(time.perf_counter() - t0, 2),
                      sha256_file(out) if ok else None,
                      "" if ok else "\n".join((errors or msg.splitlines())[-6:]), key)
    record_path(prog.name, target.name).write_text(json.dumps(asdict(rec), indent=1))
    return rec


def build_all(programs: list[str] | None = None, targets: list[str] | None = None, force: bool = False,
              jobs: int = 2, log=print) -> list[BuildRecord]:
    """Build the named programs (default all) for the named targets; never raises for one failure."""
    known = load_programs()
    names = programs or list(known)
    unknown = [n for n in names if n not in known]
    if unknown:
        raise HarnessError(f"unknown program(s) {', '.join(unknown)}; known: {', '.join(known)}")
    tnames = list(targets or DEFAULT_TARGETS)
    bad = [t for t in tnames if t not in TARGETS]
    if bad:
        raise HarnessError(f"unknown target(s) {', '.join(bad)}; known: {', '.join(TARGETS)}")
    jobs_list: list[tuple[Program, Target, Path | None]] = []
    records: list[BuildRecord] = []
    for name in names:
        prog = known[name]
        try:
            tree = source_tree(prog, log)
        except HarnessError as e:
            for t in tnames:
                rec = BuildRecord(name, t, False, None, [], 0.0, message=f"source: {e}")
                records.append(rec)
                record_path(name, t).parent.mkdir(parents=True, exist_ok=True)
                record_path(name, t).write_text(json.dumps(asdict(rec), indent=1))
            log(f"[{name}] cannot get sources: {e}")
            continue
        jobs_list += [(prog, TARGETS[t], tree) for t in tnames]

    def run(job: tuple[Program, Target, Path | None]) -> BuildRecord:
        prog, target, tree = job
        rec = build_one(prog, target, tree, force)
        first = rec.message.splitlines()[0] if rec.message else ""
        if rec.key != NEEDS_LIBC:
            log(f"  {prog.name:12s} {target.name:9s} {'ok' if rec.ok else 'FAILED'}"
                f"{'' if rec.ok else ': ' + clip(first, LINE)}")
        return rec

    with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        records += list(pool.map(run, jobs_list))
    return records
