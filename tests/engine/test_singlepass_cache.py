"""The singlepass tier's code cache (``singlepass/cache.py`` over ``tiers/code_cache.py``): a module compiled
once is found by the next store (a new process in practice), keyed by the module's bytes, the tier's source
and the CPU; an entry that does not verify is a miss and is rewritten; a cache that cannot be written costs a
warning, not the run."""

from __future__ import annotations

import pytest

from harness.engine import api
from harness.engine.tiers import code_cache
from harness.engine.tiers.singlepass import cache as C
from harness.engine.tiers.singlepass import cpu_identity, unavailable_reason

pytestmark = pytest.mark.skipif(bool(unavailable_reason()), reason=unavailable_reason() or "available")

SRC = """(module (memory 1)
  (func $sq (param i32) (result i32) (i32.mul (local.get 0) (local.get 0)))
  (func (export "f") (param i32) (result i32 v128)
    (call $sq (local.get 0)) (i32x4.splat (call $sq (i32.const 3)))))"""


def run(tmp_path, data: bytes) -> tuple[list, dict, api.Module]:
    store = api.Store(tier="singlepass", cache_dir=tmp_path)
    module = store.load(data)
    inst = store.instantiate(module)
    return inst.invoke("f", [7]), store.tier._compiled[id(module.ast)][1].stats, module


def test_a_second_store_finds_the_code_and_skips_decoding_the_bodies(tmp_path) -> None:
    data = api.Module.from_text(SRC).data
    cold, stats, module = run(tmp_path, data)
    assert not stats["cached"] and module.ast.funcs[0].body
    warm, stats, module = run(tmp_path, data)
    assert stats["cached"] and warm == cold == [49, sum(9 << (32 * i) for i in range(4))]
    assert not module.ast.funcs[0].body  # declarations only: the cached code stands for validated bytes


def test_the_key_changes_with_the_bytes_the_tier_source_and_the_cpu(monkeypatch) -> None:
    data = api.Module.from_text(SRC).data
    key = C.cache_key(data, cpu_identity())
    assert C.cache_key(data + b"\0", cpu_identity()) != key
    assert C.cache_key(data, cpu_identity() + "+avx512f") != key
    monkeypatch.setattr(C, "source_digest", lambda: "0" * 16)
    assert C.cache_key(data, cpu_identity()) != key


@pytest.mark.parametrize("damage", ["truncate", "flip", "garbage", "bad offsets"])
def test_an_entry_that_does_not_verify_is_a_miss_and_is_rewritten(tmp_path, damage: str) -> None:
    data = api.Module.from_text(SRC).data
    run(tmp_path, data)
    (path,) = tmp_path.rglob("*.bin")
    raw = path.read_bytes()
    if damage == "truncate":
        path.write_bytes(raw[:-5])
    elif damage == "flip":
        path.write_bytes(raw[:-1] + bytes([raw[-1] ^ 1]))
    elif damage == "garbage":
        path.write_bytes(b"not an entry")
    else:  # verifies as bytes, but an offset points past the code
        path.write_bytes(code_cache.frame(C.MAGIC, C.encode_entry(b"\xc3", [5])))
    result, stats, _ = run(tmp_path, data)
    assert result[0] == 49 and not stats["cached"]
    assert path.read_bytes() == raw  # rewritten by the recompilation
    assert run(tmp_path, data)[1]["cached"]


def test_an_unwritable_cache_warns_once_and_compiles(tmp_path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    store = api.Store(tier="singlepass", cache_dir=blocker / "cache")
    with pytest.warns(RuntimeWarning, match="cannot write the code cache"):
        inst = store.instantiate(store.load(api.Module.from_text(SRC).data))
    assert inst.invoke("f", [2])[0] == 4


def test_no_cache_when_asked(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("HARNESS_SINGLEPASS_CACHE", str(tmp_path))
    store = api.Store(tier="singlepass", cache_dir=False)
    store.instantiate(store.load(api.Module.from_text(SRC).data))
    assert store.tier.cache.directory is None and not list(tmp_path.iterdir())


def test_the_command_reports_cold_then_warm(tmp_path) -> None:
    import json
    import subprocess
    import sys

    wasm = tmp_path / "m.wasm"
    wasm.write_bytes(api.Module.from_text(SRC).data)
    argv = [sys.executable, "-m", "harness.engine.tiers.singlepass", "--json", "--cache-dir", str(tmp_path / "c"),
            str(wasm)]
    runs = [json.loads(subprocess.run(argv, capture_output=True, text=True, check=True).stdout) for _ in range(2)]
    assert [r["cached"] for r in runs] == [False, True]
    assert runs[0]["object_bytes"] == runs[1]["object_bytes"] > 0
    bad = subprocess.run(argv[:-1] + [str(tmp_path / "missing.wasm")], capture_output=True, text=True)
    assert bad.returncode == 1 and "missing.wasm" in bad.stderr
