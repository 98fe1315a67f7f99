"""Cloning official suites at their pinned commits into the suites cache."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from ..errors import HarnessError
from ..text import clip
from .catalog import SuiteSource, present_commit


def _git(*args: str, cwd: Path | None = None, timeout: float = 600) -> subprocess.CompletedProcess:
    return subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, timeout=timeout)


def fetch_suite(src: SuiteSource, origin: str | None = None, progress=print) -> Path:
    """Clone ``src`` (or a local mirror ``origin``) and check out the pinned commit.  Idempotent."""
    dest = src.path
    if present_commit(dest) == src.commit:
        progress(f"{src.name}: already at {src.commit[:10]} in {dest}")
        return dest
    url = origin or src.repo
    dest.parent.mkdir(parents=True, exist_ok=True)
    if not (dest / ".git").exists():
        if dest.exists():
            shutil.rmtree(dest)
        progress(f"{src.name}: cloning {url} ...")
        try:
            r = _git("clone", "--quiet", "--no-checkout", url, str(dest))
        except subprocess.TimeoutExpired:
            raise HarnessError(f"cloning {url} timed out; point the harness at a local copy with --from DIR") from None
        if r.returncode != 0:
            shutil.rmtree(dest, ignore_errors=True)
            raise HarnessError(
                f"could not clone {url} ({r.stderr.strip().splitlines()[-1] if r.stderr.strip() else 'git failed'}); "
                f"offline? clone it elsewhere and run 'harness suites fetch {src.name} --from PATH', "
                f"or pass --suite-dir DIR to the runners"
            )
    r = _git("checkout", "--quiet", "--force", src.commit, cwd=dest)
    if r.returncode != 0:
        r2 = _git("fetch", "--quiet", "origin", src.commit, cwd=dest)
        if src.branch:
            _git("fetch", "--quiet", "origin", src.branch, cwd=dest)
        r = _git("checkout", "--quiet", "--force", src.commit, cwd=dest)
        if r.returncode != 0:
            raise HarnessError(
                f"{src.name}: commit {src.commit} is not in {url} ({clip((r2.stderr or r.stderr).strip())}); "
                "use --from with a clone that has it"
            )
    progress(f"{src.name}: checked out {src.commit[:10]} in {dest}")
    return dest
