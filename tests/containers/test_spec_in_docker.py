"""The spec suite in a container, for real: wasmtime's CLI in its image gives the same outcome, check by
check, as the same CLI on the host driven by the same declared commands (examples/declared-wasmtime), on
a file of our corpus; and the run's metadata names the image.  Skipped, saying what to build, where Docker,
the image or the local wasmtime CLI is missing.  About a minute: a container starts per action."""

from __future__ import annotations

import json
import subprocess
import sys
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
