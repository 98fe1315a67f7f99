"""Where the harness keeps things outside the repository: suites, built workloads, converted scripts,
runtimes built with cargo.  Everything is overridable by environment variables so CI and users can
point at their own copies.
"""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs

REPO_ROOT = Path(__file__).resolve().parent.parent


def cache_dir() -> Path:
    """Root of the harness cache: ``$HARNESS_CACHE`` or the user cache dir."""
    root = os.environ.get("HARNESS_CACHE")
    path = Path(root) if root else Path(platformdirs.user_cache_dir("wasm-harness"))
    path.mkdir(parents=True, exist_ok=True)
    return path


def suites_dir() -> Path:
    """Where official testsuites are cloned: ``$HARNESS_SUITES`` or ``<cache>/suites``."""
    root = os.environ.get("HARNESS_SUITES")
    path = Path(root) if root else cache_dir() / "suites"
    return path


def tools_dir() -> Path:
    """Where runtimes built with cargo are installed (``<cache>/tools``; binaries in ``bin/``)."""
    path = cache_dir() / "tools"
    return path


def default_results_db() -> Path:
    """The results store: ``$HARNESS_RESULTS`` or ``results.db`` in the reports folder of the repo/cwd."""
    env = os.environ.get("HARNESS_RESULTS")
    if env:
        return Path(env)
    return Path.cwd() / "reports" / "results.db"
