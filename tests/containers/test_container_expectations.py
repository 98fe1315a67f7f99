"""A container engine's own expectations replace its runtime's for the same test (v8@docker runs Debian's
node 18, which passes a test the host's node 20 fails), while a test given twice among the runtime's own
files is still an error.  The real files must load (WAMR passes every preview1 test: it has none)."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.errors import HarnessError
from harness.expectations import load
from harness.wasi.expectations import SCHEMA

RUNTIME = '[wasi."rust/wasm32-wasip1/poll_oneoff_stdio"]\nreason = "node 20 fails it"\n'
OWN = '[wasi."rust/wasm32-wasip1/poll_oneoff_stdio"]\nreason = "node 18 passes it"\nflaky = true\n'


def test_the_container_file_replaces_the_runtimes_entry(tmp_path):
    (tmp_path / "v8.toml").write_text(RUNTIME)
    (tmp_path / "v8@docker.toml").write_text(OWN)
    local = load(tmp_path, SCHEMA, "v8", "turbofan")
    inside = load(tmp_path, SCHEMA, "v8@docker", "turbofan")
    key = ("wasi", "rust/wasm32-wasip1/poll_oneoff_stdio")
    assert not local[key].flaky and local[key].reason == "node 20 fails it"
    assert inside[key].flaky and inside[key].reason == "node 18 passes it"


def test_a_test_given_twice_by_the_runtime_is_still_an_error(tmp_path):
    (tmp_path / "v8.toml").write_text(RUNTIME)
    (tmp_path / "v8-turbofan.toml").write_text(RUNTIME)
    with pytest.raises(HarnessError, match="also given in"):
        load(tmp_path, SCHEMA, "v8@docker", "turbofan")


@pytest.mark.parametrize("engine,tier", [("v8@docker", "turbofan"), ("wasm3-cli@docker", "interp")])
def test_the_container_engines_files_load(engine, tier):
    folder = Path(__file__).resolve().parents[2] / "suites" / "wasi" / "expectations"
    assert load(folder, SCHEMA, engine, tier), f"{engine}:{tier} has no known failures: a file is missing"
