"""The spec suite for V8 in its image: the node driver (``harness.spec.drivers.node``) with its node child
started in the runtime's container instead of on the host.

The executor stays in the spec worker on the host, as for the local ``v8``; only the node process that
compiles, instantiates and invokes moves: ``docker run -i --rm`` of the image's node with the same flags and
the same ``v8_driver.js``, whose folder is mounted read-only at its own path.  One container per spec file
(the worker's lifetime), so a file costs one container start, not one per action.  The guard
(``harness.images.guard``) removes the container however the worker ends: a timeout kills the worker's
process group, which takes the Docker client with it, and the guard's watcher then runs ``docker rm -f``.

``harness.images.node_spec:ENGINE`` (``v8@docker``, ``v8@docker-arm64``) is the driver class bound to that
engine's image; ``spec_driver`` says which container engines have one.
"""

from __future__ import annotations

import itertools
import os

from ..adapters.base import RunnerUnavailable
from ..spec.drivers.node import JS_DRIVER, NodeDriver
from . import guard

RUNTIMES = frozenset({"v8"})
"""Runtimes whose own in-worker spec driver can run its engine in the image (node: a child process)."""

_names = itertools.count()


def spec_driver(runtime: str, engine: str) -> str | None:
    """The driver target (``module:Class``) of the container engine ``engine`` of ``runtime``, or None."""
    return f"{__name__}:{engine}" if runtime in RUNTIMES else None


class InImageNodeDriver(NodeDriver):
    """``NodeDriver`` whose node runs in the image of ``engine`` (set by the bound subclass)."""

    engine = ""
    what = "node in its container"  # a status 137 is the container killed (SIGKILL, the OOM killer)
    close_timeout = 30.0  # the client returns once the container is gone: slower than a local node, more so emulated

    def command(self, tier: str) -> list[str]:
        from ..adapters.registry import get_adapter

        container = get_adapter(self.engine)
        av = container.available(tier)
        if not av:
            raise RunnerUnavailable(f"{self.engine} is not available: {av.reason}", av.install)
        node = container.recipe.binary_for(tier)  # type: ignore[attr-defined]
        name = f"harness-{container.inner.runtime}-{os.getpid()}-spec{next(_names)}"  # type: ignore[attr-defined]
        return guard.command(container.tag, name, [node, *self.node_args(tier)],  # type: ignore[attr-defined]
                             [str(JS_DRIVER.parent)], [])


def __getattr__(name: str) -> type:
    """``harness.images.node_spec:ENGINE``: the in-image node driver bound to ENGINE."""
    if name.startswith("__") or name.partition("@")[0] not in RUNTIMES:
        raise AttributeError(name)
    return type(f"InImageNodeDriver[{name}]", (InImageNodeDriver,), {"engine": name})
