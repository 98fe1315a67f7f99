"""``harness images``: build the reference runtimes' container images from ``containers/`` and list them.

  harness images build [RUNTIME...]   the base, then each runtime (all of them without names); an image
                                      built already is reused
  harness images list                 every recipe: its tag, and whether that image is built here

Any engine runs in its image as ``RUNTIME@docker:TIER`` (``@docker-arm64`` for the arm64 image under
qemu-user), in ``harness wasi``, ``run``, ``perf`` and (wasmtime, v8) ``spec`` (see docs/CONTAINERS.md).
$HARNESS_CONTAINER_MEMORY (``512m``, ``2g``; unset: no limit) bounds the memory of every container a run
starts; a container the out-of-memory killer ends is reported as such, with the limit.
"""

from __future__ import annotations

import argparse
import json
import sys

from ..errors import HarnessError
from . import docker
from .build import build
from .recipes import ARCHES, host_arch, recipes, runtime_recipes

HELP = "build the reference runtimes' container images (harness images build/list)"
DESCRIPTION = __doc__


def add_arguments(p: argparse.ArgumentParser) -> None:
    sub = p.add_subparsers(dest="action", required=True)
    b = sub.add_parser("build", help="build the base and the runtime images (all without names)")
    b.add_argument("names", nargs="*", help=f"runtimes: {', '.join(r.name for r in runtime_recipes())}")
    b.add_argument("--arch", choices=ARCHES, default=host_arch(), help="image architecture (default: the host's)")
    b.add_argument("--force", action="store_true", help="rebuild the named images even if they exist ('base' too "
                   "when named)")
    lst = sub.add_parser("list", help="every recipe with its tag and whether it is built here")
    lst.add_argument("--arch", choices=ARCHES, default=host_arch())
    lst.add_argument("--json", action="store_true")


def _log(text: str) -> None:
    print(f"harness images: {text}", file=sys.stderr)


def main(args: argparse.Namespace) -> int:
    av = docker.reachable()
    if not av:
        raise HarnessError(f"{av.reason} ({av.install})")
    if args.action == "list":
        return _list(args.arch, args.json)
    _, failed = build(args.names or [r.name for r in runtime_recipes()], args.arch, _log, args.force)
    if failed:
        _log(f"not built: {', '.join(failed)} (fix the cause above, then: {_build_command(failed, args.arch)})")
    return 1 if failed else 0


def _build_command(names: list[str], arch: str) -> str:
    return " ".join(["harness images build", *names, *([] if arch == host_arch() else ["--arch", arch])])


def _list(arch: str, as_json: bool) -> int:
    rows = []
    for r in recipes().values():
        img = docker.inspect(r.tag(arch))
        rows.append({"recipe": r.name, "kind": r.kind, "version": r.version, "tag": r.tag(arch),
                     "built": img is not None, "image_id": img.id if img else None,
                     "runtime_version": img.labels.get(f"{docker.LABEL}.version") if img else None,
                     "size_mb": round(img.size / 1e6, 1) if img else None})
    if as_json:
        json.dump(rows, sys.stdout, indent=2)
        print()
        return 0
    width = max(len(row["tag"]) for row in rows)
    for row in rows:
        state = f"built {row['image_id'][7:19]} {row['size_mb']} MB" if row["built"] else \
            f"not built -> {_build_command([row['recipe']] if row['kind'] == 'runtime' else [], arch)}"
        print(f"{row['recipe']:<10} {row['tag']:<{width}}  {state}")
    return 0
