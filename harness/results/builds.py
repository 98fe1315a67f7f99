"""Which build of each engine a run measured, recorded with the run (``runs.extra["builds"]``), so two
nights can be told to have measured the same build or not, and ``ci/confirm`` can measure the build
before a suspected step again, in turns with the build of the step.

- Our engine (``ours:*``): the digest of its source (every file under ``harness/engine``) and the
  checkout's commit, with ``dirty`` when that source differs from the commit's; a clean commit can be
  had again with ``git archive``.
- Any other engine: its version string and, where the adapter names its binary, the binary's path and
  sha256 (a build that can be had again only while that binary is kept).

A version string alone cannot tell builds apart: ours says ``harness-engine 0.1.0`` at every commit.
"""

from __future__ import annotations

import functools
import hashlib
import subprocess
from pathlib import Path
from typing import Any

from ..digests import sha256_file
from ..paths import REPO_ROOT

ENGINE_SOURCE = REPO_ROOT / "harness" / "engine"


@functools.cache
def source_digest(root: Path = ENGINE_SOURCE) -> str:
    """sha256 over the relative paths and contents of the source files under ``root`` (caches excluded)."""
    h = hashlib.sha256()
    for f in sorted(p for p in root.rglob("*") if p.is_file() and "__pycache__" not in p.parts
                    and p.suffix not in (".pyc", ".so")):
        h.update(str(f.relative_to(root)).encode() + b"\0" + f.read_bytes() + b"\0")
    return h.hexdigest()


def _git(*args: str) -> str | None:
    try:
        done = subprocess.run(["git", "-C", str(REPO_ROOT), *args], capture_output=True, text=True, timeout=20)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return done.stdout.strip() if done.returncode == 0 else None


@functools.cache
def our_build() -> dict[str, Any]:
    commit = _git("rev-parse", "HEAD")
    build: dict[str, Any] = {"kind": "source", "digest": source_digest()}
    if commit:
        status = _git("status", "--porcelain", "--", "harness/engine")
        build.update(commit=commit, dirty=bool(status) if status is not None else True)
    return build


@functools.cache
def file_digest(path: str) -> str | None:
    try:
        return sha256_file(path)
    except OSError:
        return None


def engine_build(label: str, version: str | None) -> dict[str, Any]:
    """The build of the engine ``label`` (``runtime:tier``); never raises (a probe that fails says so)."""
    runtime = label.split(":", 1)[0]
    if runtime == "ours":
        return our_build()
    build: dict[str, Any] = {"kind": "binary", "version": version}
    try:
        from ..adapters.registry import get_adapter

        binary = getattr(get_adapter(runtime), "binary", None)
        path = binary() if callable(binary) else None
    except Exception as e:  # an engine the registry cannot give is recorded as such, never a failed run
        build["error"] = f"{type(e).__name__}: {e}"
        return build
    if path:
        build.update(path=str(path), digest=file_digest(str(path)))
    return build


def engine_builds(engines: dict[str, str | None], keep: bool = False) -> dict[str, dict[str, Any]]:
    """``engine_build`` of every engine of a run; with ``keep``, each binary is also copied into the build
    store (``buildstore.py``, once per digest) so it can be measured again after an upgrade."""
    from .buildstore import keep_build

    out = {}
    for label, version in engines.items():
        try:
            out[label] = engine_build(label, version)
            if keep:
                keep_build(out[label])
        except Exception as e:  # recording a run never fails on its metadata
            out[label] = {"error": f"{type(e).__name__}: {e}"}
    return out


def same_build(a: dict[str, Any] | None, b: dict[str, Any] | None) -> bool | None:
    """Whether two recorded builds are the same; None when either lacks a digest."""
    if not a or not b or not a.get("digest") or not b.get("digest"):
        return None
    return a["digest"] == b["digest"]
