"""WAMR and wasm3-cli, the runtimes built from registry sources by a recipe's own build script: the command
lines their container engines run (one binary per WAMR tier; wasm3's single preopen named by its guest
path), the recipe check on per-tier binaries, and one clear line when a build script fails.  No Docker:
the images are taken as built."""

from __future__ import annotations

import shutil

import pytest

from harness.adapters import container
from harness.adapters.base import Availability, Invocation
from harness.adapters.registry import get_adapter
from harness.errors import HarnessError
from harness.images import build, docker, recipes
from harness.images.docker import BuildFailed


@pytest.fixture
def built(monkeypatch):
    monkeypatch.setattr(container, "_docker_reachable", lambda: Availability(True))
    monkeypatch.setattr(container, "_image", lambda tag: docker.Image(tag, "sha256:" + "cd" * 32, "", 1, {}))


def _inner(argv: list[str]) -> list[str]:
    return argv[argv.index("--") + 1:]


@pytest.mark.parametrize("tier", ["interp", "fast-interp", "fast-jit"])
def test_each_wamr_tier_runs_its_own_build(built, tmp_path, tier):
    wasm = tmp_path / "p.wasm"
    pre = tmp_path / "work" / "fs-tests.dir"
    inv = Invocation(wasm, args=["a"], env={"K": "v"}, dirs=[(str(pre), "fs-tests.dir")])
    argv = get_adapter("wamr@docker").wasi_command(tier, inv, tmp_path / "scratch")
    assert _inner(argv) == [f"/usr/local/bin/iwasm-{tier}", f"--map-dir=fs-tests.dir::{pre.resolve()}", "--env=K=v",
                            str(wasm.resolve()), "a"]
    timed = get_adapter("wamr@docker").run_command(tier, Invocation(wasm), tmp_path / "scratch")
    # perf reads the tier's own binary in before the timed run, not another tier's
    assert timed[timed.index("--warm") + 1] == f"/usr/local/bin/iwasm-{tier}"


def test_wasm3_cli_runs_in_the_folder_of_its_one_preopen(built, tmp_path):
    wasm, base = tmp_path / "p.wasm", tmp_path / "copy"
    argv = get_adapter("wasm3-cli@docker").wasi_command(
        "interp", Invocation(wasm, dirs=[(str(base / "fs-tests.dir"), "fs-tests.dir")]), tmp_path / "s")
    assert _inner(argv) == ["env", "-C", str(base.resolve()), "/usr/local/bin/wasm3", "--dir=fs-tests.dir",
                            str(wasm.resolve())]
    # a preopen whose guest name is not the end of its host path is given by its host path
    odd = get_adapter("wasm3-cli@docker").wasi_command(
        "interp", Invocation(wasm, dirs=[(str(base / "x"), "/sandbox")]), tmp_path / "s")
    assert _inner(odd) == ["/usr/local/bin/wasm3", f"--dir={(base / 'x').resolve()}", str(wasm.resolve())]


@pytest.fixture
def recipe_copy(tmp_path, monkeypatch):
    shutil.copytree(recipes.RECIPES_DIR, tmp_path / "containers")
    monkeypatch.setattr(recipes, "RECIPES_DIR", tmp_path / "containers")
    recipes.recipes.cache_clear()
    yield tmp_path / "containers"
    recipes.recipes.cache_clear()


def test_a_binary_for_a_tier_the_recipe_lacks_is_an_error(recipe_copy):
    toml = recipe_copy / "wamr" / "recipe.toml"
    toml.write_text(toml.read_text().replace('fast-jit = "/usr/local/bin/iwasm-fast-jit"',
                                             'fast-jit = "/usr/local/bin/iwasm-fast-jit"\nllvm-jit = "/x"'))
    with pytest.raises(HarnessError, match=r"\[binaries\] names tiers not in tiers: llvm-jit"):
        recipes.load("wamr")


def test_a_failing_build_script_is_one_line_naming_its_logs(recipe_copy, tmp_path, monkeypatch):
    (recipe_copy / "wasm3-cli" / "build.sh").write_text("echo compiling; echo 'm3_core.c: error: boom' >&2; exit 3\n")
    recipes.recipes.cache_clear()
    source = tmp_path / "crate"
    (source / "wasm3" / "source").mkdir(parents=True)
    monkeypatch.setattr(build, "_crate_source", lambda spec: source)
    monkeypatch.setattr(build, "work_dir", lambda: tmp_path / "work")
    with pytest.raises(BuildFailed) as e:
        build.fetch(recipes.load("wasm3-cli"), tmp_path, recipes.host_arch())
    text = str(e.value)
    assert "build.sh failed (exit 3): m3_core.c: error: boom" in text and str(tmp_path / "work" / "built") in text
    assert "\n" not in text


def test_a_foreign_build_without_its_cross_compiler_is_one_line(recipe_copy, tmp_path, monkeypatch):
    real_which = shutil.which
    monkeypatch.setattr(build.shutil, "which", lambda name: None if name.endswith("-gcc") else real_which(name))
    other = "arm64" if recipes.host_arch() == "amd64" else "amd64"
    with pytest.raises(BuildFailed, match=r"(-gcc is missing: apt-get install gcc-|no cross compiler known)"):
        build.fetch(recipes.load("wamr"), tmp_path, other)


# stands in for WAMR's build.sh: one script per tier that prints its version, the fast JIT on x86-64 only
FAKE_WAMR_BUILD = """out=$2
for t in interp fast-interp; do printf '#!/bin/sh\\necho "WAMR 2.4.3 %s (harness CLI; %s)"\\n' $t "$3" > "$out/iwasm-$t"; done
[ "$TARGET_ARCH" = amd64 ] && printf '#!/bin/sh\\necho "WAMR 2.4.3 fast-jit (harness CLI; %s)"\\n' "$3" > "$out/iwasm-fast-jit"
chmod +x "$out"/iwasm-*
"""


@pytest.fixture
def fake_wamr_build(recipe_copy, tmp_path, monkeypatch):
    (recipe_copy / "wamr" / "build.sh").write_text("mkdir -p $2\n" + FAKE_WAMR_BUILD)
    recipes.recipes.cache_clear()
    source = tmp_path / "crate"
    (source / "wasm-micro-runtime").mkdir(parents=True)
    monkeypatch.setattr(build, "_crate_source", lambda spec: source)
    monkeypatch.setattr(build, "_debian_source", lambda spec: tmp_path)
    monkeypatch.setattr(build, "work_dir", lambda: tmp_path / "work")
    monkeypatch.setattr(build, "cross_env", lambda arch: {**build.os.environ, "TARGET_ARCH": arch})
    return recipe_copy / "wamr" / "build.sh"


def test_an_arm64_build_has_the_arm64_tiers_and_says_its_version_without_a_tier(fake_wamr_build, tmp_path):
    recipe = recipes.load("wamr")
    context = tmp_path / "context"
    context.mkdir()
    build.fetch(recipe, context, "arm64")
    assert sorted(p.name for p in context.iterdir()) == ["iwasm-fast-interp", "iwasm-interp"]
    versions = build._versions(recipe, context, "arm64")
    assert set(versions) == {"interp", "fast-interp"}
    version, per_tier = build.version_labels(recipe, versions)
    # the image's own version names no tier (it said "interp" for every tier), each tier has its own label
    assert version.startswith("WAMR 2.4.3 (harness CLI; wamrx-sys@0.3.0") and "interp" not in version
    assert "asmjit" not in version  # the arm64 build has no fast JIT, so no asmjit
    assert per_tier["fast-interp"].startswith("WAMR 2.4.3 fast-interp (")
    assert get_adapter("wamr@docker-arm64").tiers == ("interp", "fast-interp")
    assert get_adapter("wamr@docker").tiers == (("interp", "fast-interp", "fast-jit") if recipes.host_arch() == "amd64"
                                                else ("interp", "fast-interp"))


def test_an_amd64_build_names_the_debian_source_its_fast_jit_used(fake_wamr_build, tmp_path):
    recipe = recipes.load("wamr")
    context = tmp_path / "context"
    context.mkdir()
    build.fetch(recipe, context, "amd64")
    versions = build._versions(recipe, context, "amd64")
    assert "Debian source asmjit=" in versions["fast-jit"]


def test_a_build_that_lacks_a_tier_of_its_arch_fails_naming_it(fake_wamr_build, tmp_path):
    fake_wamr_build.write_text(fake_wamr_build.read_text().replace("for t in interp fast-interp;", "for t in interp;"))
    recipes.recipes.cache_clear()
    with pytest.raises(BuildFailed, match=r"built no binary for fast-interp \(arm64; logs in "):
        build.fetch(recipes.load("wamr"), tmp_path, "arm64")


def test_the_shared_cli_header_is_part_of_both_c_recipes_digests(recipe_copy):
    before = {r.name: r.digest() for r in recipes.runtime_recipes()}
    header = recipe_copy / "common" / "cli_args.h"
    header.write_text(header.read_text() + "/* edited */\n")
    recipes.recipes.cache_clear()
    after = {r.name: r.digest() for r in recipes.runtime_recipes()}
    assert {n for n in before if before[n] != after[n]} == {"wamr", "wasm3-cli"}
    header.unlink()
    recipes.recipes.cache_clear()
    with pytest.raises(HarnessError, match=r"shared files not in .*: common/cli_args.h"):
        recipes.load("wamr")


def _all_stages(monkeypatch, tmp_path, *argv: str) -> dict[str, list[str]]:
    """The stages ``harness all ARGV`` would run, by name, with every suite present."""
    import argparse
    from types import SimpleNamespace

    from harness.commands import all as all_command

    monkeypatch.setattr(all_command, "get_suite", lambda name: SimpleNamespace(path=tmp_path))
    monkeypatch.setattr(all_command, "_run_stages", lambda stages, db: planned.update(stages) or 0)
    planned: dict[str, list[str]] = {}
    p = argparse.ArgumentParser()
    all_command.add_arguments(p)
    assert all_command.main(p.parse_args(["--db", str(tmp_path / "r.db"), *argv])) == 0
    return planned


def _engines(argv: list[str]) -> set[str]:
    return set(argv[argv.index("--engines") + 1].split(","))


def test_harness_all_runs_the_built_container_engines_in_every_stage_and_says_so(built, monkeypatch, tmp_path, capsys):
    stages = _all_stages(monkeypatch, tmp_path)
    assert set(stages) == {"spec corpus", "spec official", "spec 3.0", "wasi", "perf"}
    for name in ("spec corpus", "spec official", "spec 3.0"):
        assert {"wasmtime@docker:cranelift", "v8@docker:turbofan"} <= _engines(stages[name]), name
    assert {"wamr@docker:fast-jit", "wasm3-cli@docker:interp", "wasmtime@docker:cranelift"} <= _engines(stages["wasi"])
    assert {"wasmtime@docker:cranelift", "wamr@docker:fast-jit", "ours:llvm", "native64"} <= _engines(stages["perf"])
    assert not [e for argv in stages.values() for e in _engines(argv) if "arm64" in e]
    err = capsys.readouterr().err
    for capability in ("spec", "wasi", "perf"):
        assert f"harness all: {capability} also in containers (images built here)" in err


def test_harness_all_quick_gives_container_engines_the_corpus_only(built, monkeypatch, tmp_path, capsys):
    stages = _all_stages(monkeypatch, tmp_path, "--quick")
    assert "wasmtime@docker:cranelift" in _engines(stages["spec corpus"])
    assert not [e for e in _engines(stages["spec official"]) | _engines(stages["spec 3.0"]) if "@docker" in e]
    assert "on our corpus only (--quick)" in capsys.readouterr().err


def test_harness_all_leaves_containers_out_when_told_or_given_engines(built, monkeypatch, tmp_path, capsys):
    for argv in (["--no-containers"], ["--engines", "ours:interp"]):
        stages = _all_stages(monkeypatch, tmp_path, *argv)
        assert not [e for s in stages.values() for e in _engines(s) if "@docker" in e], argv
    assert _engines(stages["perf"]) == {"ours:interp"}
    assert "also in containers" not in capsys.readouterr().err


def test_interpreters_get_small_perf_inputs_and_wasm3_cli_is_timed_on_its_webassembly_1_build():
    from harness.adapters.base import PERF, WASI

    wamr = get_adapter("wamr@docker")
    assert wamr.slow("interp") and wamr.slow("fast-interp") and not wamr.slow("fast-jit")
    wasm3 = get_adapter("wasm3-cli@docker")
    assert wasm3.capabilities("interp") == {WASI, PERF} and wasm3.slow("interp")
    assert wasm3.program_target == "wasm32-mvp"  # wasm3 0.4.7 predates bulk memory (zig's default)
    assert PERF in wamr.capabilities("fast-jit")


def test_the_container_spec_driver_binds_the_declared_wrapping_driver():
    """Without Docker: the driver class resolves (it follows the declared drivers' modules) and runs
    wasmtime's declared commands with the image's binary."""
    from harness.images import spec_driver
    from harness.spec.drivers.declared_wrap_driver import WrappingDriver

    cls = spec_driver.__getattr__("wasmtime@docker")
    assert issubclass(cls, WrappingDriver)
    adapter = spec_driver.in_image("wasmtime@docker")
    assert adapter.binary() == recipes.load("wasmtime").binary
    assert "spec" in get_adapter("wasmtime@docker").capabilities("winch")
    assert "spec" not in get_adapter("wasmtime@docker").capabilities("pulley")  # no spec commands declared
