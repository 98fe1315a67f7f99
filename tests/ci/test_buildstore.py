"""The build store keeps engine binaries by content so ``ci/confirm`` can measure the build before a step
after the engine was upgraded in place; a binary that is gone or changed, and not kept, is named clearly."""

import json
import os
import subprocess
import sys
import time

import pytest

from harness.dashboard.confirm import _binary_env, plans
from harness.digests import sha256_file as sha256
from harness.results import buildstore
from harness.results.builds import engine_builds
from harness.results.buildstore import OVERRIDES_ENV, BuildStore, BuildStoreError, find_binary
from tests.ci.test_confirm import _history_with_builds


@pytest.fixture(autouse=True)
def store_root(tmp_path, monkeypatch):
    root = tmp_path / "builds"
    monkeypatch.setenv(buildstore.STORE_ENV, str(root))
    monkeypatch.delenv(buildstore.CAP_ENV, raising=False)
    return root


def _binary(path, content):
    path.write_bytes(content)
    path.chmod(0o755)
    return path


def test_a_binary_is_kept_once_by_its_digest_and_found_again_after_its_path_is_gone(tmp_path, store_root):
    exe = _binary(tmp_path / "engine", b"engine build one" * 100)
    digest = sha256(exe)
    store = BuildStore()
    kept = store.keep(exe, version="engine 1.0")
    assert kept == store_root / digest and kept.read_bytes() == exe.read_bytes() and os.access(kept, os.X_OK)
    assert store.keep(exe) == kept and len(store.entries()) == 1  # the same build again adds nothing
    exe.unlink()
    build = {"kind": "binary", "version": "engine 1.0", "path": str(exe), "digest": digest}
    assert find_binary(build) == (kept, "")


def test_the_least_recently_used_build_is_evicted_when_the_cap_is_reached(tmp_path, store_root):
    store = BuildStore(cap=2500)
    a, b, c = (_binary(tmp_path / name, name.encode() * 1000) for name in "abc")  # 1,000 bytes each
    da, db_, dc = (sha256(x) for x in (a, b, c))
    store.keep(a)
    time.sleep(0.01)
    store.keep(b)
    time.sleep(0.01)
    assert store.lookup(da) is not None  # a used again: b is now the least recently used
    time.sleep(0.01)
    store.keep(c)
    assert {k.digest for k in store.entries()} == {da, dc} and store.size() <= 2500
    assert not (store_root / db_).exists()
    big = _binary(tmp_path / "big", b"x" * 3000)
    assert store.keep(big) is None and store.size() <= 2500  # larger than the whole cap: not kept
    d = _binary(tmp_path / "d", b"d" * 10)
    assert BuildStore(cap=0).keep(d) is None and not (store_root / sha256(d)).exists()  # cap 0: nothing kept


def test_a_kept_copy_changed_on_disk_is_removed_not_measured(tmp_path, store_root):
    exe = _binary(tmp_path / "engine", b"the real build" * 50)
    store = BuildStore()
    kept = store.keep(exe)
    kept.write_bytes(b"tampered")
    assert store.lookup(sha256(exe)) is None and not kept.exists()


def test_a_cap_that_is_not_a_number_is_refused_with_the_fix(monkeypatch):
    monkeypatch.setenv(buildstore.CAP_ENV, "1GB")
    with pytest.raises(BuildStoreError, match=r"HARNESS_BUILD_STORE_CAP='1GB' is not a number of bytes \(fix"):
        BuildStore()


def test_a_missing_or_changed_binary_that_is_not_kept_is_named_with_its_digest_and_the_store(tmp_path, store_root):
    gone = {"kind": "binary", "version": "wasmtime 1.0", "path": str(tmp_path / "gone"), "digest": "c" * 64}
    path, why = find_binary(gone)
    assert path is None
    assert f"{tmp_path / 'gone'} no longer exists" in why and "sha256 cccccccccccc" in why and str(store_root) in why
    changed = _binary(tmp_path / "wasmtime", b"the upgraded build")
    path, why = find_binary({**gone, "path": str(changed)})
    assert path is None and f"{changed} now holds another build (sha256 {sha256(changed)[:12]})" in why


def test_a_perf_run_keeps_the_binaries_of_its_engines(tmp_path, store_root, monkeypatch):
    import harness.adapters.registry as registry

    exe = _binary(tmp_path / "fake-engine", b"fake engine build")

    class Fake:
        def binary(self):
            return exe

    monkeypatch.setattr(registry, "get_adapter", lambda runtime: Fake())
    [build] = engine_builds({"fake:jit": "fake 1"}, keep=True).values()
    assert build["kept"] is True and (store_root / build["digest"]).read_bytes() == exe.read_bytes()
    [build] = engine_builds({"fake:jit": "fake 1"}).values()
    assert "kept" not in build  # only perf runs keep (spec and wasi runs are never re-measured)


def test_confirm_measures_the_previous_binary_from_the_store_in_turns_with_the_current_one(tmp_path, store_root):
    old = _binary(tmp_path / "wasmtime-old", b"wasmtime build 1")
    previous = {"kind": "binary", "version": "wasmtime 1.0", "path": str(tmp_path / "wasmtime"), "digest": sha256(old)}
    BuildStore().keep(old, version="wasmtime 1.0")  # kept by the night that measured it
    new = _binary(tmp_path / "wasmtime", b"wasmtime build 2")  # upgraded in place since
    current = {**previous, "version": "wasmtime 2.0", "digest": sha256(new)}
    [plan] = plans(_history_with_builds(tmp_path / "h.db", previous, current, "wasmtime", "cranelift"), pairs=4, repeat=2)
    assert plan.previous == previous and "pairs in turns" in plan.why
    assert json.loads(_binary_env(plan.previous, plan.engine)[OVERRIDES_ENV]) == {"wasmtime": str(store_root / previous["digest"])}
    assert json.loads(_binary_env(plan.current, plan.engine)[OVERRIDES_ENV]) == {"wasmtime": str(new)}


def test_confirm_says_why_when_the_previous_binary_was_replaced_and_not_kept(tmp_path):
    _binary(tmp_path / "wasmtime", b"wasmtime build 2")
    previous = {"kind": "binary", "version": "wasmtime 1.0", "path": str(tmp_path / "wasmtime"), "digest": "e" * 64}
    current = {**previous, "version": "wasmtime 2.0", "digest": sha256(tmp_path / "wasmtime")}
    [plan] = plans(_history_with_builds(tmp_path / "h.db", previous, current, "wasmtime", "cranelift"))
    assert plan.previous is None
    assert "the binary of wasmtime 1.0 (sha256 eeeeeeeeeeee) is not here any more" in plan.why
    assert "now holds another build" in plan.why


def test_the_override_makes_the_adapter_run_that_binary_and_a_wrong_one_is_refused(tmp_path):
    exe = _binary(tmp_path / "wasmtime-kept", b"#!/bin/sh\necho wasmtime-cli 0.0.1\n")
    code = "from harness.adapters.registry import get_adapter; print(get_adapter('wasmtime').binary())"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
                          env={**os.environ, OVERRIDES_ENV: json.dumps({"wasmtime": str(exe)})})
    assert done.returncode == 0 and done.stdout.strip() == str(exe), done.stderr
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
                          env={**os.environ, OVERRIDES_ENV: json.dumps({"wasmtime": str(tmp_path / "nope")})})
    assert done.returncode != 0 and f"the binary {tmp_path / 'nope'} for wasmtime does not exist" in done.stderr
