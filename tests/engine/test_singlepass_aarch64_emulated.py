"""The singlepass tier's aarch64 code run for real, from an x86-64 host: inside the emulated aarch64 root
filesystem (``scripts/aarch64``, qemu-user), the tier's own tests and the official 2.0 suite through
``ours:singlepass``.  Slow (Python is ~10x slower under qemu) and needing root and the root filesystem
(``scripts/aarch64 setup``): skipped with the reason otherwise.
``.venv/bin/pytest -m slow tests/engine/test_singlepass_aarch64_emulated.py``."""

from __future__ import annotations

import json
import os
import platform
import subprocess
from pathlib import Path

import pytest

from harness.paths import REPO_ROOT

_CACHE = Path(os.environ.get("HARNESS_CACHE", Path.home() / ".cache" / "wasm-harness"))
ROOT = Path(os.environ.get("HARNESS_AARCH64_ROOT", _CACHE / "aarch64" / "rootfs"))
SCRIPT = REPO_ROOT / "scripts" / "aarch64"


def _why_not() -> str:
    if platform.machine() not in ("x86_64", "AMD64"):
        return "runs aarch64 code under qemu from an x86-64 host (on aarch64: test_singlepass_aarch64_native.py)"
    if not (ROOT / "opt" / "venv" / ".installed").is_file():
        return f"no aarch64 root filesystem at {ROOT}: run 'scripts/aarch64 setup' (as root) first"
    if os.geteuid() != 0:
        return "scripts/aarch64 needs root (chroot and bind mounts)"
    return ""


pytestmark = [pytest.mark.slow, pytest.mark.skipif(bool(_why_not()), reason=_why_not() or "ready")]


def inside(*cmd: str, timeout: float) -> subprocess.CompletedProcess:
    return subprocess.run([str(SCRIPT), "run", *cmd], capture_output=True, text=True, timeout=timeout, cwd=REPO_ROOT)


def test_the_tier_tests_pass_under_emulation():
    """The aarch64 tests and the tier-neutral singlepass tests, on the aarch64 generator."""
    p = inside("python", "-m", "pytest", "-q", "-p", "no:cacheprovider", "-x",
               "tests/engine/test_singlepass_aarch64_native.py", "tests/engine/test_singlepass_tier.py",
               timeout=3600)
    assert p.returncode == 0, (p.stdout[-4000:], p.stderr[-2000:])
    assert " passed" in p.stdout and " skipped" not in p.stdout, p.stdout[-2000:]


@pytest.mark.official
def test_the_official_suite_passes_under_emulation(tmp_path: Path):
    out = REPO_ROOT / "reports" / f"aarch64-singlepass-{os.getpid()}.json"  # the checkout is what is shared
    out.parent.mkdir(exist_ok=True)
    try:
        p = inside("python", "-m", "harness", "spec", "--engines", "ours:singlepass", "--suite", "spec-2.0",
                   "-j", "2", "--timeout", "1200", "--no-store", "--json", str(out), timeout=4 * 3600)
        assert out.is_file(), (p.stdout[-4000:], p.stderr[-2000:])
        summary = json.loads(out.read_text())
    finally:
        out.unlink(missing_ok=True)
    totals = summary["engines"]["ours:singlepass"]["totals"]
    failing = {name: f for name, f in summary["engines"]["ours:singlepass"]["files"].items() if not f["fully_passed"]}
    assert totals["files"] == 148 and not failing, (totals, sorted(failing))
    assert totals["passed"] == totals["checks"], totals
