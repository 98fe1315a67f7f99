"""V8's spec suite in its image, for real: node's driver with its node child in the v8 container gives the
local ``v8``'s outcomes check by check on our corpus (but where Debian's node 18 is known to differ from the
host's node, ``suites/spec/expectations/v8@docker.toml``), and the run's metadata names the image.  Planted
faults: the container killed mid-file, and a file that hangs past its timeout, are recorded outcomes, and
no container is left behind (``docker ps -a``).  Skipped, saying what to build, without Docker, the image or
a local node.  About a minute."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
import tomllib
from pathlib import Path

import pytest

from harness.adapters.base import EngineSpec
from harness.adapters.registry import get_adapter
from harness.images import docker
from harness.results.store import ResultsStore
from harness.spec.runner import run_file

ROOT = Path(__file__).resolve().parents[2]
OWN_EXPECTATIONS = ROOT / "suites" / "spec" / "expectations" / "v8@docker.toml"
TIERS = ("turbofan", "liftoff")

# one check that passes, one that spins forever, one after it
SPIN_WAST = """(module
  (func (export "one") (result i32) (i32.const 1))
  (func (export "spin") (loop (br 0))))
(assert_return (invoke "one") (i32.const 1))
(assert_return (invoke "spin"))
(assert_return (invoke "one") (i32.const 1))
"""


def _needs_image() -> None:
    av = get_adapter("v8@docker").available("turbofan")
    if not av:
        pytest.skip(f"v8@docker: {av.reason} ({av.install})")


def _checks(summary: dict, engine: str) -> dict[str, tuple]:
    files = summary["engines"][engine]["files"]
    return {name: (f["total"], f["passed"], sorted((x.get("line"), x.get("outcome")) for x in f["failures"]))
            for name, f in files.items()}


def _known_differences() -> dict[str, set[int]]:
    """Corpus file -> lines where node 18 is expected to differ (from v8@docker's own expectations)."""
    if not OWN_EXPECTATIONS.is_file():
        return {}
    entries = tomllib.loads(OWN_EXPECTATIONS.read_text()).get("corpus", {})
    return {name: set(e.get("lines", [])) for name, e in entries.items()}


def test_corpus_same_outcomes_in_the_image_as_with_the_local_node(tmp_path):
    _needs_image()
    if not get_adapter("v8").available("turbofan"):
        pytest.skip("no local node to compare with")
    engines = ",".join(f"{r}:{t}" for t in TIERS for r in ("v8", "v8@docker"))
    db, out = tmp_path / "r.db", tmp_path / "spec.json"
    subprocess.run([sys.executable, "-m", "harness", "spec", "--engines", engines, "--suite", "corpus",
                    "--db", str(db), "--json", str(out)], cwd=ROOT, capture_output=True, text=True, timeout=900)
    summary = json.loads(out.read_text())
    known = _known_differences()
    for tier in TIERS:
        local, inside = _checks(summary, f"v8:{tier}"), _checks(summary, f"v8@docker:{tier}")
        assert set(local) == set(inside) and sum(c[0] for c in inside.values()) > 100
        for name in local:
            if name not in known:
                assert local[name] == inside[name], (tier, name)
            else:  # node 18's known differences, on their lines only
                apart = set(local[name][2]) ^ set(inside[name][2])
                assert {line for line, _ in apart} <= known[name], (tier, name, apart)
    with ResultsStore(db) as st:
        engines_meta = json.dumps([r.get("engines") for r in st.runs()])
    tag = get_adapter("v8@docker").tag  # type: ignore[attr-defined]
    assert tag in engines_meta and "sha256:" in engines_meta, engines_meta[:500]


def _workers() -> set[int]:
    """Spec workers started by this process (the runner's children): their pid names their containers."""
    found = set()
    for entry in Path("/proc").iterdir():
        try:
            stat = (entry / "stat").read_text()
            cmdline = (entry / "cmdline").read_bytes()
        except (OSError, ValueError):
            continue
        if int(stat.rpartition(")")[2].split()[1]) == os.getpid() and b"harness.spec.worker" in cmdline:
            found.add(int(entry.name))
    return found


def _containers_of(pids: set[int]) -> list[str]:
    return [n for n in docker.leftover_containers() if n.startswith("harness-v8-") and n.split("-")[-2] in map(str, pids)]


def _wait_until_spinning(name: str, cpu: float = 2.0, deadline: float = 120) -> None:
    """Until the container's node has used ``cpu`` seconds of CPU: starting and compiling this script takes
    a fraction of that, so it is in the spinning check (a fixed sleep raced node's start on a loaded host)."""
    end = time.monotonic() + deadline
    while time.monotonic() < end:
        pid = subprocess.run([docker.client(), "inspect", "-f", "{{.State.Pid}}", name], capture_output=True,
                             text=True, timeout=60).stdout.strip()
        try:
            fields = Path(f"/proc/{int(pid)}/stat").read_text().rpartition(")")[2].split()
            if (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK") >= cpu:
                return
        except (ValueError, OSError):
            pass
        time.sleep(0.5)
    raise AssertionError(f"{name}: node never spun")


def _run_spin(tmp_path: Path, timeout: float, kill: bool):
    """Run SPIN_WAST on v8@docker in a thread; with ``kill``, ``docker kill`` its container once it spins.
    Returns the file's result and the worker pids seen."""
    wast = tmp_path / "spin.wast"
    wast.write_text(SPIN_WAST)
    box: dict = {}
    t = threading.Thread(target=lambda: box.setdefault("r", run_file(EngineSpec("v8@docker", "turbofan"), wast,
                                                                      tmp_path, timeout)))
    t.start()
    pids: set[int] = set()
    names: list[str] = []
    end = time.monotonic() + 60
    while t.is_alive() and not names and time.monotonic() < end:
        pids |= _workers()
        names = _containers_of(pids)
        time.sleep(0.2)
    assert names, "the container never started"
    if kill:
        _wait_until_spinning(names[0])
        subprocess.run([docker.client(), "kill", *names], capture_output=True, timeout=60)
    t.join(timeout + 60)
    assert not t.is_alive()
    return box["r"], pids


def _gone(pids: set[int], deadline: float = 30) -> list[str]:
    end = time.monotonic() + deadline
    while (left := _containers_of(pids)) and time.monotonic() < end:
        time.sleep(0.5)
    return left


def test_container_killed_mid_file_is_a_recorded_crash(tmp_path):
    _needs_image()
    result, pids = _run_spin(tmp_path, timeout=120, kill=True)
    got = [(o.line, o.outcome.value) for o in result.outcomes]
    assert got == [(1, "pass"), (4, "pass"), (5, "crash"), (6, "crash")], got
    assert "node in its container exited (status 137)" in result.message, result.message
    assert _gone(pids) == []


def test_a_hanging_file_times_out_and_its_container_is_removed(tmp_path):
    _needs_image()
    t0 = time.monotonic()
    result, pids = _run_spin(tmp_path, timeout=30, kill=False)  # node starts in seconds, even loaded
    got = [(o.line, o.outcome.value) for o in result.outcomes]
    assert got == [(1, "pass"), (4, "pass"), (5, "timeout"), (6, "timeout")], got
    assert time.monotonic() - t0 < 120
    assert _gone(pids) == []


def test_the_node_child_is_started_in_the_image_by_the_guard(monkeypatch):
    """Without Docker: v8@docker's spec driver is node's, and its child's command line is the guard's,
    with the image's node, the tier's flags and the driver's folder mounted read-only, nothing writable."""
    from harness.adapters.base import Availability
    from harness.images import guard, node_spec
    from harness.spec.drivers.node import JS_DRIVER

    adapter = get_adapter("v8@docker")
    assert adapter.spec_driver == "harness.images.node_spec:v8@docker"
    assert all("spec" in adapter.capabilities(t) for t in TIERS)
    monkeypatch.setattr(adapter, "available", lambda tier: Availability(True))
    cls = getattr(node_spec, "v8@docker")
    argv = cls.command(cls.__new__(cls), "liftoff")
    cut = argv.index("--")
    assert guard.is_guarded(argv) and argv[3] == adapter.tag  # type: ignore[attr-defined]
    assert argv[5:cut] == ["--ro", str(JS_DRIVER.parent)]
    assert argv[cut + 1:] == ["/usr/bin/node", "--liftoff-only", "--experimental-wasm-type-reflection", str(JS_DRIVER)]


def test_the_arm64_image_has_the_images_known_differences():
    """The arm64 image holds the same node build as the amd64 one: v8@docker-arm64 has v8@docker's entries
    (then any of its own), and the local v8 has none of them."""
    from harness.spec.expectations import load_expectations

    for engine in ("v8@docker:turbofan", "v8@docker-arm64:liftoff"):
        assert ("spec", "binary.wast") in load_expectations(engine), engine
    assert ("spec", "binary.wast") not in load_expectations("v8:turbofan")
