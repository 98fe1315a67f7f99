"""Any runtime with a container recipe (``containers/``) run inside its image: the engine
``RUNTIME@docker:TIER`` (``RUNTIME@docker-arm64:TIER`` for the arm64 image, run under qemu-user).

The command line is the runtime's own adapter's, with the image's binary in place of the local one,
wrapped by ``harness.images.guard`` in ``docker run --rm``: every host path the run touches is mounted at
the same path inside (so the command line needs no rewriting: the program's folder and any other host file
the command names), read-only except the run's scratch folder and the test's own copies of its preopened
directories; no network.  A killed or timed-out run's container is removed by the guard.  ``harness perf``
runs its rusage helper inside the container (``harness.perf.measure``), so throughput does not count the
container's start.  No ahead-of-time step (``precompiles``): the compile metric is the local runtime's.

An image is used only when its tag (runtime version + recipe digest) is built here; ``version()`` names
the image id and the recipe digest, so each run's metadata records exactly which build ran.
"""

from __future__ import annotations

import copy
import itertools
import os
from functools import cache
from pathlib import Path

from ..images import docker, guard, spec_driver
from ..images.recipes import ARCHES, host_arch, load, runtime_recipes
from .base import (
    PERF,
    PHASES,
    SPEC,
    WASI,
    Adapter,
    Availability,
    Invocation,
    RunnerUnavailable,
    UnknownEngineError,
)

MARK = "@docker"
"""``wasmtime@docker`` is wasmtime in its image for the host's architecture; ``wasmtime@docker-arm64`` for arm64."""

_names = itertools.count()


def split(runtime: str) -> tuple[str, str] | None:
    """``wasmtime@docker-arm64`` -> (``wasmtime``, ``arm64``); None for a runtime without the mark."""
    base, mark, arch = runtime.partition(MARK)
    if not mark:
        return None
    return base, arch.removeprefix("-") or host_arch()


class ContainerAdapter(Adapter):
    def __init__(self, inner: Adapter, arch: str) -> None:
        self.inner, self.arch, self.recipe = inner, arch, load(inner.runtime)
        foreign = arch != host_arch()
        engine = f"{inner.runtime}{MARK}{'-' + arch if foreign else ''}"
        spec_tiers = spec_driver.declared_tiers(self.recipe)
        from ..images.node_spec import spec_driver as node_spec_driver  # imports the node driver: not at load

        # node's own driver with its child in the image (v8), else the declared-CLI one (containers/spec/)
        in_image_driver = node_spec_driver(inner.runtime, engine)
        if in_image_driver:
            spec_tiers = set(inner.tiers)
        super().__init__(
            runtime=engine,
            tiers=tuple(t for t in inner.tiers if t in self.recipe.tiers_for(arch)),  # no fast JIT on arm64
            default_tier=inner.default_tier,
            description=f"{inner.runtime} in its {arch} container image"
                        + (" (emulated by qemu-user: timings are not native)" if foreign else ""),
            install_hint=f"harness images build {inner.runtime}" + (f" --arch {arch}" if foreign else ""),
            # phases only from a command line that writes them (node's driver), not from an in-process API
            capabilities_by_tier={t: inner.capabilities(t) & {WASI, PERF, *([PHASES] if inner.writes_phases else [])}
                                  | ({SPEC} if spec_tiers is not None and t in spec_tiers else set())
                                  for t in inner.tiers},
            # the declared-CLI driver with each action in the image (containers/spec/RUNTIME.toml)
            spec_driver=in_image_driver or (f"harness.images.spec_driver:{engine}" if spec_tiers else None),
            slow_tiers=inner.slow_tiers,
            program_target=inner.program_target,
            stdio_to_files=inner.stdio_to_files,
            writes_phases=inner.writes_phases,
        )

    @property
    def tag(self) -> str:
        return self.recipe.tag(self.arch)

    def _probe(self, tier: str) -> Availability:
        av = _docker_reachable()
        if not av:
            return av
        if _image(self.tag) is None:
            return Availability(False, f"the image {self.tag} is not built", self.install_hint)
        return Availability(True)

    def version(self) -> str | None:
        img = _image(self.tag)
        if img is None:
            return None
        runtime_version = img.labels.get(f"{docker.LABEL}.version", self.recipe.version)
        return f"{runtime_version} (image {self.tag} {img.id}, recipe sha256:{self.recipe.digest()})"

    def lacks(self, stderr: str) -> str | None:
        return self.inner.lacks(stderr)  # the same runtime, so the same gaps

    def _in_image(self, tier: str) -> Adapter:
        """The runtime's adapter with the image's binary for ``tier`` as its CLI (WAMR has one per tier)."""
        inner = copy.copy(self.inner)
        inner.binary = lambda *_: Path(self.recipe.binary_for(tier))  # type: ignore[method-assign]
        return inner

    def _wrap(self, argv: list[str], inv: Invocation, scratch: Path, warm: str | None = None) -> list[str]:
        av = self._probe(self.default_tier)
        if not av:
            raise RunnerUnavailable(f"{self.runtime} is not available: {av.reason}", av.install)
        rw = {str(Path(host).resolve()) for host, _ in inv.dirs} | {str(scratch.resolve())}
        if inv.phases_file:
            rw.add(str(inv.phases_file.resolve().parent))
        # the program's folder, and any other host file the command names (node's WASI driver)
        ro = {str(inv.wasm.resolve().parent)} | {a for a in argv[1:] if a.startswith("/") and os.path.exists(a)
                                                 and not any(Path(a).is_relative_to(w) for w in rw)}
        name = f"harness-{self.inner.runtime}-{os.getpid()}-{next(_names)}"
        return guard.command(self.tag, name, argv, sorted(ro - rw), sorted(rw), warm)

    def wasi_command(self, tier: str, inv: Invocation, scratch: Path) -> list[str]:
        return self._wrap(self._in_image(tier).wasi_command(tier, inv, scratch), inv, scratch)

    def run_command(self, tier: str, inv: Invocation, scratch: Path) -> list[str]:
        # what perf times: the binary's pages are read in before the timed run (guard.docker_argv)
        return self._wrap(self._in_image(tier).run_command(tier, inv, scratch), inv, scratch,
                          warm=self.recipe.binary_for(tier))


@cache
def _docker_reachable() -> Availability:
    return docker.reachable()


@cache
def _image(tag: str) -> docker.Image | None:
    return docker.inspect(tag)


_adapters: dict[str, ContainerAdapter] = {}


def container_adapter(runtime: str, inner: Adapter) -> ContainerAdapter:
    """The adapter of ``runtime`` (``wasmtime@docker``), whose own runtime's adapter is ``inner``."""
    if runtime in _adapters:
        return _adapters[runtime]
    parsed = split(runtime)
    if parsed is None or parsed[0] != inner.runtime:
        raise UnknownEngineError(f"{runtime!r} is not a container engine name (RUNTIME{MARK}[-ARCH])")
    if parsed[1] not in ARCHES:
        raise UnknownEngineError(f"{runtime!r}: no {parsed[1]!r} images (architectures: {', '.join(ARCHES)})")
    if inner.runtime not in {r.name for r in runtime_recipes()}:
        raise UnknownEngineError(f"no container recipe for {inner.runtime}; recipes: "
                                 f"{', '.join(r.name for r in runtime_recipes())} (containers/)")
    _adapters[runtime] = ContainerAdapter(inner, parsed[1])
    return _adapters[runtime]


def container_adapters(arches: tuple[str, ...] = ARCHES) -> list[ContainerAdapter]:
    """One per recipe and architecture, for listings (``harness runtimes``, ``harness all``)."""
    from .registry import get_adapter

    out = []
    for recipe in runtime_recipes():
        for arch in arches:
            suffix = "" if arch == host_arch() else f"-{arch}"
            out.append(container_adapter(f"{recipe.name}{MARK}{suffix}", get_adapter(recipe.name)))
    return out


def spec_drivers() -> dict[str, str]:
    """``engine -> module:Class`` of every container engine with the spec capability (the spec worker finds
    its driver here: container engines are not in the registry's list)."""
    return {a.runtime: a.spec_driver for a in container_adapters() if a.spec_driver}
