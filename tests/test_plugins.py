"""Adapters from packages (the entry-point group ``harness.adapters``): the example plugin
(``examples/plugin-engine``), installed with pip into a temporary target, is listed with its package and
version and runs through ``harness spec``, ``wasi``, ``run`` and ``perf``; a plugin that raises on import
is one line naming its package, and the other engines still run."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

import pytest
from stage_runs import harness, runs_a_program, runs_spec_files, runs_the_wasi_suite, times_a_workload

from harness.adapters.registry import Known
from harness.adapters.wasmtime import WasmtimeAdapter
from harness.paths import REPO_ROOT

ENGINE = "plugin-interp"


@pytest.fixture(scope="module")
def env(tmp_path_factory):
    """The environment in which the example plugin is installed (pip, no network, no build isolation)."""
    tmp = tmp_path_factory.mktemp("plugin")
    source = tmp / "source"
    shutil.copytree(REPO_ROOT / "examples" / "plugin-engine", source)  # the build writes next to its sources
    target = tmp / "site"
    done = subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-build-isolation",
                           "--no-index", "--target", str(target), str(source)], capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    return {**os.environ, "PYTHONPATH": os.pathsep.join([str(target), str(REPO_ROOT)])}


def _broken_plugin(env: dict[str, str], tmp_path) -> dict[str, str]:
    """``env`` plus an installed package whose adapter module raises on import."""
    site = tmp_path / "broken-site"
    dist = site / "broken_plugin-0.3.dist-info"
    dist.mkdir(parents=True)
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: broken-plugin\nVersion: 0.3\n")
    (dist / "entry_points.txt").write_text("[harness.adapters]\nbroken = broken_plugin:ADAPTER\n")
    (site / "broken_plugin.py").write_text("raise RuntimeError('this engine is not built for this machine')\n")
    return {**env, "PYTHONPATH": os.pathsep.join([str(site), env["PYTHONPATH"]])}


def test_harness_runtimes_shows_its_package_and_version(env):
    rows = {row["engine"]: row for row in json.loads(harness(env, "runtimes", "--json").stdout)}
    row = rows[f"{ENGINE}:interp"]
    assert row["available"] and row["source"] == "plugin harness-plugin-example 0.1.0", row
    assert row["version"] == "harness-plugin-example 0.1.0"


def test_harness_run_runs_it(env, tmp_path):
    runs_a_program(env, ENGINE, tmp_path)


def test_harness_wasi_runs_it(env, tmp_path):
    runs_the_wasi_suite(env, ENGINE, tmp_path)


def test_harness_spec_runs_its_own_driver(env, tmp_path):
    summary = runs_spec_files(env, ENGINE, tmp_path, "--file", "globals.wast")
    totals = summary["engines"][f"{ENGINE}:interp"]["totals"]
    assert totals["checks"] > 0 and totals["passed"] == totals["checks"], totals


def test_harness_perf_times_it(env, tmp_path):
    times_a_workload(env, f"{ENGINE}:interp", tmp_path)


def test_a_plugin_that_raises_on_import_is_one_line_and_the_others_run(env, tmp_path):
    broken = _broken_plugin(env, tmp_path)
    r = harness(broken, "runtimes")
    assert r.returncode == 0, r.stderr
    (line,) = [ln for ln in r.stdout.splitlines() if ln.startswith("error: ")]
    assert "plugin broken-plugin 0.3" in line and "RuntimeError: this engine is not built for this machine" in line
    assert any(ln.startswith(f"{ENGINE}:interp ") for ln in r.stdout.splitlines())
    runs_a_program(broken, ENGINE, tmp_path)


def test_a_plugin_cannot_take_a_name_the_harness_has_already():
    known = Known()
    known.add(WasmtimeAdapter(), "built-in")
    known.add(WasmtimeAdapter(), "plugin wasmtime-fork 2.0")
    assert known.sources == {"wasmtime": "built-in"}
    assert known.errors == ["plugin wasmtime-fork 2.0: runtime 'wasmtime' is already defined (built-in); it is "
                            "ignored (fix: rename it)"]
