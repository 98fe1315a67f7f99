"""The container recipes in ``containers/``: one folder per runtime (``recipe.toml`` + ``Dockerfile``) and
``containers/base`` for the Debian root they are all built on.

An image's tag is the runtime's pinned version plus the architecture and a digest of its recipe, which
covers every file of the recipe's folder and, for a runtime, the base's digest: editing a recipe (or the
base) gives a new tag, so an image built from an older recipe is never mistaken for the current one, and
two machines with the same tag ran the same runtime build.
"""

from __future__ import annotations

import hashlib
import platform
import re
import tomllib
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from ..errors import HarnessError
from ..paths import REPO_ROOT

RECIPES_DIR = REPO_ROOT / "containers"
BASE = "base"
REPOSITORY = "harness"
"""Every image is ``harness/<name>:<tag>``."""

ARCHES = ("amd64", "arm64")


def host_arch() -> str:
    """The host's architecture in Docker's spelling."""
    return {"x86_64": "amd64", "aarch64": "arm64", "arm64": "arm64"}.get(platform.machine(), platform.machine())


@dataclass(frozen=True)
class Recipe:
    """One folder of ``containers/``."""

    name: str
    folder: Path
    kind: str  # "base" or "runtime"
    version: str  # the runtime's pinned version; the Debian suite for the base
    binary: str = ""  # the runtime's CLI inside the image
    tiers: tuple[str, ...] = ()
    fetch: dict[str, str] = field(default_factory=dict)
    base: dict[str, object] = field(default_factory=dict)  # debootstrap settings of the base
    binaries: dict[str, str] = field(default_factory=dict)  # a tier's own CLI, where builds differ by tier (WAMR)
    shared: tuple[str, ...] = ()  # files of containers/ outside the folder that the build uses (a shared header)
    arch_tiers: dict[str, tuple[str, ...]] = field(default_factory=dict)  # [arch_tiers]: an arch's build has fewer

    def binary_for(self, tier: str) -> str:
        """The CLI inside the image that runs ``tier``."""
        return self.binaries.get(tier, self.binary)

    def tiers_for(self, arch: str) -> tuple[str, ...]:
        """The tiers the image for ``arch`` has (WAMR's fast JIT is x86-64 only)."""
        return self.arch_tiers.get(arch, self.tiers)

    def shared_paths(self) -> list[Path]:
        return [self.folder.parent / rel for rel in self.shared]

    def files_digest(self) -> str:
        """sha256 of the recipe's folder and its shared files: editing a header both C recipes include is a
        new tag for each."""
        h = hashlib.sha256()
        files = [(p.relative_to(self.folder).as_posix(), p) for p in self.folder.rglob("*") if p.is_file()]
        files += [(f"../{rel}", path) for rel, path in zip(self.shared, self.shared_paths(), strict=True)]
        for name, path in sorted(files):
            h.update(name.encode() + b"\0")
            h.update(hashlib.sha256(path.read_bytes()).digest())
        return h.hexdigest()

    def digest(self) -> str:
        """sha256 of the recipe's files, and of the base's for a runtime."""
        if self.kind == BASE:
            return self.files_digest()
        return hashlib.sha256(f"{self.files_digest()} {load(BASE).digest()}".encode()).hexdigest()

    def tag(self, arch: str | None = None) -> str:
        # a Docker tag allows [A-Za-z0-9_.-]: Debian's 18.20.4+dfsg-1~deb12u2 becomes 18.20.4_dfsg-1_deb12u2
        version = re.sub(r"[^A-Za-z0-9_.-]", "_", self.version)
        return f"{REPOSITORY}/{self.name}:{version}-{arch or host_arch()}-{self.digest()[:12]}"


def _read(folder: Path) -> Recipe:
    path = folder / "recipe.toml"
    try:
        data = tomllib.loads(path.read_text())
    except (OSError, tomllib.TOMLDecodeError) as e:
        raise HarnessError(f"{path}: {e}") from None
    kind = data.get("kind")
    if kind == BASE:
        return Recipe(folder.name, folder, BASE, str(data["suite"]), base=data)
    if kind != "runtime":
        raise HarnessError(f"{path}: kind must be 'base' or 'runtime', not {kind!r}")
    missing = [k for k in ("runtime", "version", "binary", "tiers", "fetch") if k not in data]
    if missing:
        raise HarnessError(f"{path}: missing {', '.join(missing)}")
    if data["runtime"] != folder.name:
        raise HarnessError(f"{path}: runtime {data['runtime']!r} must be the folder's name")
    binaries = {str(k): str(v) for k, v in data.get("binaries", {}).items()}
    if set(binaries) - set(data["tiers"]):
        raise HarnessError(f"{path}: [binaries] names tiers not in tiers: {', '.join(sorted(set(binaries) - set(data['tiers'])))}")
    arch_tiers = {str(k): tuple(v) for k, v in data.get("arch_tiers", {}).items()}
    for arch, tiers in arch_tiers.items():
        if arch not in ARCHES or set(tiers) - set(data["tiers"]):
            raise HarnessError(f"{path}: [arch_tiers] {arch} = {list(tiers)}: an architecture of {', '.join(ARCHES)} "
                               "and some of the recipe's tiers")
    shared = tuple(str(s) for s in data.get("shared", []))
    missing_shared = [s for s in shared if not (folder.parent / s).is_file()]
    if missing_shared:
        raise HarnessError(f"{path}: shared files not in {folder.parent}: {', '.join(missing_shared)}")
    return Recipe(folder.name, folder, "runtime", str(data["version"]), str(data["binary"]), tuple(data["tiers"]),
                  dict(data["fetch"]), binaries=binaries, shared=shared, arch_tiers=arch_tiers)


@cache
def recipes() -> dict[str, Recipe]:
    """Every recipe by name, the base first."""
    found = {f.name: _read(f) for f in sorted(RECIPES_DIR.iterdir()) if (f / "recipe.toml").is_file()}
    return dict(sorted(found.items(), key=lambda kv: kv[0] != BASE))


def load(name: str) -> Recipe:
    try:
        return recipes()[name]
    except KeyError:
        raise HarnessError(f"no container recipe {name!r}; recipes: {', '.join(recipes())}") from None


def runtime_recipes() -> list[Recipe]:
    return [r for r in recipes().values() if r.kind == "runtime"]
