"""The spec suite in a container, for real: wasmtime's CLI in its image gives the same outcome, check by
check, as the same CLI on the host driven by the same declared commands (examples/declared-wasmtime), on
a file of our corpus; and the run's metadata names the image.  Skipped, saying what to build, where Docker,
the image or the local wasmtime CLI is missing.  One container per spec file (harness.images.session)."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest

from harness.adapters.registry import get_adapter
from harness.results.store import ResultsStore

ROOT = Path(__file__).resolve().parents[2]
DECLARED = ROOT / "examples" / "declared-wasmtime" / "harness.toml"
FILES = "globals"


def _outcomes(summary: dict, engine: str) -> dict[str, tuple]:
    files = summary["engines"][engine]["files"]
    return {name: (f["total"], f["passed"], f["failed"], f["unsupported"],
                   sorted((x.get("line"), x.get("outcome")) for x in f["failures"])) for name, f in files.items()}


def test_corpus_same_outcomes_in_the_image_as_on_the_host(tmp_path):
    av = get_adapter("wasmtime@docker").available("cranelift")
    if not av:
        pytest.skip(f"wasmtime@docker: {av.reason} ({av.install})")
    engines = "wasmtime-cli:cranelift,wasmtime@docker:cranelift"
    db, out = tmp_path / "r.db", tmp_path / "spec.json"
    done = subprocess.run([sys.executable, "-m", "harness", "spec", "--engines", engines, "--engines-file", str(DECLARED),
                           "--suite", "corpus", "-k", FILES, "--db", str(db), "--json", str(out)],
                          cwd=ROOT, capture_output=True, text=True, timeout=900)
    if "wasmtime-cli" in done.stdout + done.stderr and not out.exists():
        pytest.skip(f"the local wasmtime CLI is not usable: {done.stderr[-300:]}")
    summary = json.loads(out.read_text())
    local, inside = _outcomes(summary, "wasmtime-cli:cranelift"), _outcomes(summary, "wasmtime@docker:cranelift")
    assert local and local == inside, (local, inside)
    assert sum(f[0] for f in inside.values()) > 0
    with ResultsStore(db) as st:
        engines_meta = json.dumps([r.get("engines") for r in st.runs()])
    tag = get_adapter("wasmtime@docker").tag  # type: ignore[attr-defined]
    assert tag in engines_meta and "sha256:" in engines_meta, engines_meta[:500]


# -- one container per file, for real: the planted faults of test_spec_session.py through the image ----------

FAULTS = """(module
  (func (export "one") (result i32) (i32.const 1))
  (func (export "spin") (loop (br 0))))
(assert_return (invoke "one") (i32.const 1))
(assert_return (invoke "spin"))
(assert_return (invoke "one") (i32.const 1))
(assert_return (invoke "one") (i32.const 1))
(assert_return (invoke "one") (i32.const 1))
"""


def _session_containers() -> dict[str, int]:
    """Per-file containers on this machine (``harness-RUNTIME-PID-sessionN``), by name, with their pid."""
    from harness.images import docker

    return {n: int(n.split("-")[-2]) for n in docker.leftover_containers() if n.split("-")[-1].startswith("session")}


def test_one_container_per_file_and_its_faults_are_outcomes(tmp_path):
    """A hang is killed inside the container (the file's container goes on), and the container removed
    between two checks costs one check, recorded as failed; the next check starts a new container."""
    import dataclasses

    from harness.spec.convert import convert
    from harness.spec.drivers import load_driver
    from harness.spec.executor import run_script
    from harness.spec.script import load_script

    av = get_adapter("wasmtime@docker").available("cranelift")
    if not av:
        pytest.skip(f"wasmtime@docker: {av.reason} ({av.install})")
    wast = tmp_path / "faults.wast"
    wast.write_text(FAULTS)
    script = load_script(convert(wast))
    driver = load_driver("wasmtime@docker", "cranelift")
    driver.commands = dataclasses.replace(driver.commands, timeout=5.0)  # type: ignore[attr-defined]
    outcomes = []
    try:
        for outcome in run_script(driver, script):
            outcomes.append(outcome)
            if len([o for o in outcomes if o.command == "assert_return"]) == 3:  # kill it between two checks
                subprocess.run(["docker", "rm", "-f", driver._session.name], capture_output=True, timeout=60)  # type: ignore[attr-defined]
        session = driver._session  # type: ignore[attr-defined]
    finally:
        driver.close()
    checks = [(o.line, o.outcome.value, o.message or o.actual or "") for o in outcomes if o.command == "assert_return"]
    assert [c[1] for c in checks] == ["pass", "crash", "pass", "fail", "pass"], checks
    assert "took more than 5 s" in checks[1][2] and "ended during this command" in checks[3][2], checks
    assert (session.started, session.lost) == (2, 1)  # the hang did not cost the container, the removal did
    deadline = time.monotonic() + 20
    while session.name in _session_containers() and time.monotonic() < deadline:
        time.sleep(0.5)
    assert session.name not in _session_containers()


def test_a_spec_file_timing_out_leaves_no_container(tmp_path):
    """The whole file's timeout kills the spec worker (SIGKILL): the guard's watcher removes its container.
    The file's actions spin forever, so it outlasts the timeout on any machine (a corpus file that took
    over 8 s with a container per action finishes in 2 s with one per file)."""
    av = get_adapter("wasmtime@docker").available("cranelift")
    if not av:
        pytest.skip(f"wasmtime@docker: {av.reason} ({av.install})")
    (tmp_path / "spins.wast").write_text('(module (func (export "spin") (loop (br 0))))\n'
                                         + '(assert_return (invoke "spin"))\n' * 4)
    done = subprocess.run([sys.executable, "-m", "harness", "spec", "--engines", "wasmtime@docker:cranelift",
                           "--suite-dir", str(tmp_path), "--timeout", "8", "--no-store"],
                          cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert "timeout" in done.stdout + done.stderr, done.stdout[-500:]
    deadline = time.monotonic() + 20
    while (dead := [n for n, pid in _session_containers().items() if not Path(f"/proc/{pid}").exists()]) \
            and time.monotonic() < deadline:
        time.sleep(0.5)
    assert dead == []
