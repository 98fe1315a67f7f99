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

    def binary_for(self, tier: str) -> str:
        """The CLI inside the image that runs ``tier``."""
        return self.binaries.get(tier, self.binary)

    def files_digest(self) -> str:
        h = hashlib.sha256()
        for path in sorted(p for p in self.folder.rglob("*") if p.is_file()):
            h.update(path.relative_to(self.folder).as_posix().encode() + b"\0")
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
    return Recipe(folder.name, folder, "runtime", str(data["version"]), str(data["binary"]), tuple(data["tiers"]),
                  dict(data["fetch"]), binaries=binaries)


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
