"""``ci/shard aarch64-emulated`` for real: our interpreter's conformance under qemu-user in the arm64 root
filesystem of ``scripts/aarch64``, merged with an x86-64 shard into one history, rendered into the
dashboard's own "aarch64 (emulated)" column.  (The dry run of both subsets is in ``test_workflow.py``.)"""

import json
import os
import sqlite3
import subprocess
from pathlib import Path

import pytest

from harness.analysis.history import is_emulated, load_history
from harness.paths import REPO_ROOT, cache_dir

ROOT = Path(os.environ.get("HARNESS_AARCH64_ROOT") or cache_dir() / "aarch64" / "rootfs")
CI = REPO_ROOT / "ci"

pytestmark = [
    pytest.mark.slow,  # ~5-10 minutes under emulation on 2 cores
    pytest.mark.skipif(not (ROOT / "opt" / "venv" / ".installed").exists(),
                       reason=f"no arm64 root filesystem at {ROOT}, or its setup has not finished "
                              "(build it once: sudo scripts/aarch64 setup)"),
    pytest.mark.skipif(os.geteuid() != 0, reason="the emulated shard needs root (chroot and bind mounts)"),
]


def test_the_emulated_shard_s_real_runs_fill_the_dashboard_s_emulated_column(tmp_path):
    emulated = tmp_path / "x86_64-aarch64-emulated.db"  # outside the checkout: ci/shard moves it here
    scratch_before = set(REPO_ROOT.glob(".ci-aarch64-shard.*"))  # another shard's, running now
    done = subprocess.run([str(CI / "shard"), "aarch64-emulated", "--subset", "tiny", "--db", str(emulated)],
                          capture_output=True, text=True, timeout=3600)
    assert emulated.exists(), done.stderr[-3000:]
    assert set(REPO_ROOT.glob(".ci-aarch64-shard.*")) <= scratch_before, "its scratch folder in the checkout is removed"
    with sqlite3.connect(emulated) as db:
        runs = [(json.loads(m), s) for m, s in db.execute("SELECT machine, status FROM runs")]
        counts = dict(db.execute("SELECT suite, SUM(outcome = 'pass') FROM results GROUP BY suite"))
        arches = {a for (a,) in db.execute("SELECT DISTINCT arch FROM results")}
    assert len(runs) == 2 and all(s == "finished" for _, s in runs), (runs, done.stderr[-3000:])
    # qemu 10 shows the guest an ARMv8 /proc/cpuinfo: the host marks the runs (harness.results.emulation)
    assert all(m["arch"] == "aarch64" and is_emulated(m) and m["host_arch"] == "x86_64" for m, _ in runs)
    assert arches == {"aarch64"}
    assert counts.get("corpus", 0) > 0 and counts.get("spec", 0) > 0, counts

    native = tmp_path / "x86_64-spec.db"
    subprocess.run([str(CI / "shard"), "spec", "--subset", "tiny", "--db", str(native)], capture_output=True,
                   timeout=900)
    history = tmp_path / "history.db"
    merged = subprocess.run([str(CI / "merge"), str(history), str(native), str(emulated)], capture_output=True,
                            text=True, timeout=600)
    assert merged.returncode == 0, merged.stderr
    loaded = load_history(history)
    where = {(c.suite, c.arch, c.emulated): c.passed for c in loaded.conformance}
    assert where[("corpus", "aarch64", True)] > 0 and where[("corpus", "x86_64", False)] > 0
    assert not any(k.emulated and not k.arch == "aarch64" for k in loaded.series)
    site = tmp_path / "site"
    published = subprocess.run([str(CI / "publish"), str(history), str(site)], capture_output=True, text=True,
                               timeout=600)
    assert published.returncode == 0, published.stderr
    index = (site / "index.html").read_text()
    assert "aarch64 (emulated)" in index and "x86_64" in index
    suite_page = (site / "suite-corpus.html").read_text()
    assert "corpus on aarch64 (emulated): passed checks per night" in suite_page
    assert "corpus on x86_64: passed checks per night" in suite_page  # a chart each, never one chart
