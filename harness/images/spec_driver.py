"""The spec suite in a container: the declared-engine CLI driver (``harness.spec.drivers.declared_cli``,
one process per action) with each of its command lines run inside the runtime's image.

A runtime with a ``containers/spec/RUNTIME.toml`` (``[engine.RUNTIME]`` with ``tiers`` and a ``[engine.RUNTIME.spec]`` table
in the declared-engine format, ``docs/DECLARED_ENGINES.md``) gives its container engines the ``spec``
capability.  ``harness.images.spec_driver:ENGINE`` (``wasmtime@docker``) is that engine's driver: the same
commands as the declared engine on the host, with the image's binary in place of the local one, run in
one container per spec file (``harness.images.session``: a command loop in the image, started at the
file's first command and removed at its end), with the driver's own folder (the modules it writes, the
spectest module) mounted read-only.  So the outcomes in and out of the container come from the same
command lines, and any difference is the image's.  A command naming a host file outside that folder (none
does today) gets a container of its own through ``harness.images.guard``, as every command once did
(about a second each here).
"""

from __future__ import annotations

import itertools
import os
import tomllib
from functools import cache
from pathlib import Path

from .. import process
from ..adapters.base import Availability, RunnerUnavailable
from ..adapters.declared import DeclaredAdapter, load
from . import guard
from .recipes import Recipe
from .session import Session

SPEC_DIR = "spec"  # containers/spec/RUNTIME.toml
_names = itertools.count()


def spec_file(recipe: Recipe) -> Path:
    return recipe.folder.parent / SPEC_DIR / f"{recipe.name}.toml"


def declared_tiers(recipe: Recipe) -> set[str] | None:
    """The tiers ``containers/spec/RUNTIME.toml`` declares spec commands for; None without the file."""
    path = spec_file(recipe)
    if not path.is_file():
        return None
    try:
        engine = tomllib.loads(path.read_text()).get("engine", {}).get(recipe.name, {})
    except tomllib.TOMLDecodeError:
        return set()  # the driver says what is wrong when it loads the file
    return set(engine.get("tiers", {})) if isinstance(engine, dict) and "spec" in engine else set()


class InImage(DeclaredAdapter):
    """The recipe's declared spec commands, each run in ``container`` (a ``ContainerAdapter``)."""

    def __init__(self, declared: DeclaredAdapter, container: object) -> None:
        super().__init__(declared.declaration)
        self.container = container

    def binary(self) -> str | None:
        return self.container.recipe.binary  # type: ignore[attr-defined]

    def _probe(self, tier: str) -> Availability:
        return self.container.available(tier)  # type: ignore[attr-defined]

    def version(self) -> str | None:
        return self.container.version()  # type: ignore[attr-defined]

    def check(self, tier: str) -> None:
        """Raise ``RunnerUnavailable`` (what to build) unless the image is there."""
        av = self.container.available(tier)  # type: ignore[attr-defined]
        if not av:
            raise RunnerUnavailable(f"{self.container.runtime} is not available: {av.reason}", av.install)  # type: ignore[attr-defined]

    def session(self, ro: list[str | Path], env: dict[str, str]) -> Session:
        """A per-file container of the image, ``ro`` mounted read-only (see ``harness.images.session``)."""
        return Session(self.container.tag, self.container.inner.runtime, ro, env,  # type: ignore[attr-defined]
                       stage=self.binary())

    def guarded(self, argv: list[str], env: dict[str, str]) -> list[str]:
        """``argv`` in a container of its own, every file it names (the module, a preloaded one, as
        NAME=PATH too) mounted read-only by its folder."""
        paths = {str(Path(p).parent) for a in argv[1:] for p in (a, a.partition("=")[2])
                 if p.startswith("/") and os.path.exists(p) and p != "/dev/null"}
        name = f"harness-{self.container.inner.runtime}-{os.getpid()}-spec{next(_names)}"  # type: ignore[attr-defined]
        return guard.command(self.container.tag, name, argv, sorted(paths), [], env=env)  # type: ignore[attr-defined]


class InContainer:
    """Mixed in front of a declared-CLI driver class: its command lines run in the image, in one container
    for the driver's life (a spec file)."""

    adapter: InImage
    dir: Path
    tier: str

    def _execute(self, argv: list[str], env: dict[str, str], timeout: float) -> process.Captured:
        self.adapter.check(self.tier)
        if getattr(self, "_session", None) is None:
            self._session = self.adapter.session([self.dir], self.commands.env)  # type: ignore[attr-defined]
        if self._session.covers(argv):
            return self._session.run(argv, timeout)
        return process.run_captured(self.adapter.guarded(argv, self.commands.env), timeout=timeout)  # type: ignore[attr-defined]

    def close(self) -> None:
        session = getattr(self, "_session", None)
        if session is not None:
            session.close()
        super().close()  # type: ignore[misc]


@cache
def in_image(engine: str) -> InImage:
    """The declared-spec adapter of the container engine ``engine`` (``wasmtime@docker``)."""
    from ..adapters.registry import get_adapter

    container = get_adapter(engine)
    path = spec_file(container.recipe)  # type: ignore[attr-defined]
    found, errors = load(path, set())
    if errors or not found or not isinstance(found[0], DeclaredAdapter):
        raise RunnerUnavailable(f"{path}: {'; '.join(str(e) for e in errors) or 'declares no engine'}",
                                f"correct {path} (docs/DECLARED_ENGINES.md)")
    return InImage(found[0], container)


def __getattr__(name: str) -> type:
    """``harness.images.spec_driver:ENGINE``: the declared-CLI driver class bound to ENGINE's image."""
    if name.startswith("__"):
        raise AttributeError(name)
    from ..spec.drivers.declared_cli import DeclaredCliDriver

    adapter = in_image(name)
    spec = adapter.declaration.spec
    base: type = DeclaredCliDriver
    if spec is not None and spec.wrap:
        from ..spec.drivers.declared_wrap_driver import WrappingDriver

        base = WrappingDriver

    class Bound(InContainer, base):  # type: ignore[valid-type,misc]
        def __init__(self, tier: str) -> None:
            super().__init__(adapter, tier)

    Bound.__name__ = f"ContainerSpecDriver[{name}]"
    return Bound
