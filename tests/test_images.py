"""Container recipes and engines without a Docker engine: recipe digests and tags, the ``@docker`` engine
names, the command lines the container adapter builds, and one clear line when Docker is missing or
refuses.  What needs a real engine and a built image is in ``tests/containers/``."""

from __future__ import annotations

import os
import re
import shutil
import stat
from pathlib import Path

import pytest

from harness.adapters import container
from harness.adapters.base import Availability, Invocation, UnknownEngineError
from harness.adapters.registry import get_adapter, parse_engines
from harness.expectations import engine_files
from harness.images import docker, guard, recipes
from harness.images.cli import main as images_main


@pytest.fixture
def recipe_copy(tmp_path, monkeypatch):
    """The recipes copied into a folder of the test's own, so a test can edit them."""
    shutil.copytree(recipes.RECIPES_DIR, tmp_path / "containers")
    monkeypatch.setattr(recipes, "RECIPES_DIR", tmp_path / "containers")
    recipes.recipes.cache_clear()
    yield tmp_path / "containers"
    recipes.recipes.cache_clear()


def test_digest_is_stable_and_covers_the_recipe_and_the_base(recipe_copy):
    before = {n: r.digest() for n, r in recipes.recipes().items()}
    recipes.recipes.cache_clear()
    assert {n: r.digest() for n, r in recipes.recipes().items()} == before

    (recipe_copy / "wasmi" / "Dockerfile").write_text((recipe_copy / "wasmi" / "Dockerfile").read_text() + "# x\n")
    recipes.recipes.cache_clear()
    assert recipes.load("wasmi").digest() != before["wasmi"]
    assert recipes.load("wasmtime").digest() == before["wasmtime"]

    (recipe_copy / "base" / "recipe.toml").write_text((recipe_copy / "base" / "recipe.toml").read_text() + "# y\n")
    recipes.recipes.cache_clear()
    assert recipes.load("wasmtime").digest() != before["wasmtime"], "a new base must give every runtime a new tag"


def test_tag_is_version_arch_and_digest():
    r = recipes.load("wasmtime")
    assert re.fullmatch(r"harness/wasmtime:49\.0\.4-amd64-[0-9a-f]{12}", r.tag("amd64"))
    assert r.tag("arm64").endswith(f"-arm64-{r.digest()[:12]}")
    assert recipes.load("base").tag("amd64").startswith("harness/base:bookworm-amd64-")
    assert recipes.load("v8").tag("amd64").startswith("harness/v8:18.20.4_dfsg-1_deb12u2-amd64-")
    for r in recipes.recipes().values():
        assert re.fullmatch(r"harness/[a-z0-9-]+:[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}", r.tag("arm64")), r.tag("arm64")


def test_every_runtime_recipe_names_a_known_runtime_and_its_tiers():
    for r in recipes.runtime_recipes():
        adapter = get_adapter(r.name)
        assert set(r.tiers) <= set(adapter.tiers), r.name
        assert (r.folder / "Dockerfile").is_file()


def test_engine_names():
    assert [e.name for e in parse_engines("wasmtime@docker:winch,wasmi@docker")] == \
        ["wasmtime@docker:winch", "wasmi@docker:interp"]
    assert container.split("wasmtime@docker-arm64") == ("wasmtime", "arm64")
    assert container.split("wasmtime") is None
    with pytest.raises(UnknownEngineError, match="no container recipe for pywasm"):
        get_adapter("pywasm@docker")
    with pytest.raises(UnknownEngineError, match="no 'riscv64' images"):
        get_adapter("wasmtime@docker-riscv64")
    assert "emulated" in get_adapter("wasmtime@docker-arm64").description


def test_container_engines_share_their_runtimes_expectations():
    files = [p.name for p in engine_files(Path("x"), "wasmtime@docker", "winch")]
    assert files[:2] == ["wasmtime.toml", "wasmtime-winch.toml"]


@pytest.fixture
def built(monkeypatch):
    """Docker reachable and every image built, as far as the adapters can tell."""
    monkeypatch.setattr(container, "_docker_reachable", lambda: Availability(True))
    monkeypatch.setattr(container, "_image", lambda tag: docker.Image(tag, "sha256:" + "ab" * 32, "", 1, {}))


def _mounts(argv: list[str]) -> tuple[list[str], list[str]]:
    cut = argv.index("--")
    flags = argv[5:cut]
    return ([flags[i + 1] for i in range(0, len(flags), 2) if flags[i] == "--ro"],
            [flags[i + 1] for i in range(0, len(flags), 2) if flags[i] == "--rw"])


def test_command_runs_the_images_binary_with_only_scratch_and_preopens_writable(built, tmp_path):
    wasm = tmp_path / "prog" / "p.wasm"
    wasm.parent.mkdir()
    wasm.write_bytes(b"")
    scratch, pre = tmp_path / "scratch", tmp_path / "work" / "fs"
    argv = get_adapter("wasmtime@docker").wasi_command("winch", Invocation(wasm, dirs=[(str(pre), "fs")]), scratch)
    assert guard.is_guarded(argv)
    inner = argv[argv.index("--") + 1:]
    assert inner[:4] == ["/usr/local/bin/wasmtime", "run", "-C", "compiler=winch"]
    ro, rw = _mounts(argv)
    assert str(wasm.parent) in ro and sorted(rw) == sorted([str(pre), str(scratch)])
    assert all(Path(p).is_relative_to(wasm.parent) for p in ro)
    assert argv[3] == recipes.load("wasmtime").tag()


def test_helper_runs_inside_the_container(built, tmp_path):
    argv = get_adapter("wasmi@docker").run_command("interp", Invocation(tmp_path / "p.wasm"), tmp_path)
    wrapped = guard.wrap_inside(argv, ["/h", "/r/ru", "--"], ro=["/h"], rw=["/r"])
    cut = wrapped.index("--")
    assert wrapped[cut + 1:cut + 4] == ["/h", "/r/ru", "--"] and wrapped[cut + 4] == "/usr/local/bin/wasmi"
    ro, rw = _mounts(wrapped)
    assert "/h" in ro and "/r" in rw
    image, name, ro, rw, inner, files = guard._parse(wrapped[3:])
    assert files == {"warm": "/usr/local/bin/wasmi"} and inner[:3] == ["/h", "/r/ru", "--"]
    docker_argv = guard.docker_argv(image, name, ro, rw, inner, **files, stdin="/in put", stdout="/r/out")
    assert "/h:/h:ro" in docker_argv and "/r:/r" in docker_argv and "--rm" in docker_argv
    # the binary is read, and the stdio files opened, inside, before the helper starts (outside the timed run)
    assert docker_argv[docker_argv.index(image) + 1:][:6] == \
        ["/bin/sh", "-c", "cat /usr/local/bin/wasmi > /dev/null && exec \"$@\" < '/in put' > /r/out", "sh", "/h",
         "/r/ru"]
    assert docker_argv[docker_argv.index("--network") + 1] == "none"


def _fake_docker(tmp_path: Path, body: str) -> Path:
    script = tmp_path / "docker"
    script.write_text(f"#!/bin/sh\n{body}\n")
    script.chmod(script.stat().st_mode | stat.S_IEXEC)
    return script


@pytest.mark.parametrize(("body", "says"), [
    ("echo 'Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?' >&2;"
     " exit 1", "not reachable: Cannot connect"),
    ("echo 'permission denied while trying to connect to the Docker daemon socket' >&2; exit 1", "no permission"),
])
def test_docker_down_is_one_line_with_the_fix(tmp_path, monkeypatch, capsys, body, says):
    monkeypatch.setenv("HARNESS_DOCKER", str(_fake_docker(tmp_path, body)))
    av = docker.reachable()
    assert not av and says in av.reason and av.install and "\n" not in av.reason
    monkeypatch.setattr(container, "_docker_reachable", docker.reachable)
    adapter = container.ContainerAdapter(get_adapter("wasmtime"), recipes.host_arch())
    assert says in adapter.available("cranelift").reason


def test_missing_client_and_cli_error(tmp_path, monkeypatch):
    from harness.errors import HarnessError

    monkeypatch.setenv("HARNESS_DOCKER", str(tmp_path / "no-docker"))
    assert "is not installed" in docker.reachable().reason
    import argparse

    with pytest.raises(HarnessError, match="not installed"):
        images_main(argparse.Namespace(action="list", arch="amd64", json=False))


def test_missing_image_names_the_build_command(tmp_path, monkeypatch):
    monkeypatch.setenv("HARNESS_DOCKER", str(_fake_docker(tmp_path, 'case "$1" in version) echo 20.10;; *) exit 1;; esac')))
    monkeypatch.setattr(container, "_docker_reachable", docker.reachable)
    monkeypatch.setattr(container, "_image", docker.inspect)
    av = container.ContainerAdapter(get_adapter("wasmi"), recipes.host_arch()).available("interp")
    assert not av and "is not built" in av.reason and av.install == "harness images build wasmi"


def test_a_failing_build_is_one_line_and_the_others_are_built(monkeypatch):
    from harness.images import build as build_mod

    built_here = {recipes.load("base").tag("amd64")}
    monkeypatch.setattr(build_mod.docker, "inspect",
                        lambda tag: docker.Image(tag, "sha256:0", "", 0, {}) if tag in built_here else None)

    def runtime(recipe, arch, log):
        if recipe.name == "wasmi":
            raise docker.BuildFailed("wasmi: cargo install wasmi_cli@2.0.0 failed: error: linker `cc` not found")

    monkeypatch.setattr(build_mod, "build_runtime", runtime)
    logs: list[str] = []
    done, failed = build_mod.build(["wasmi", "wasmtime"], "amd64", logs.append)
    assert failed == ["wasmi"] and [(b.name, b.reused) for b in done] == [("base", True), ("wasmtime", False)]
    assert [line for line in logs if "FAILED" in line] == \
        ["FAILED wasmi: cargo install wasmi_cli@2.0.0 failed: error: linker `cc` not found"]

    def no_base(recipe, arch, log):
        raise docker.BuildFailed("base: debootstrap failed (exit 1): E: no network")

    built_here.clear()
    monkeypatch.setattr(build_mod, "build_base", no_base)
    assert build_mod.build(["wasmi", "wasmtime"], "amd64", logs.append) == ([], ["base", "wasmi", "wasmtime"])


@pytest.mark.parametrize(("run_status", "events", "memory", "says"), [
    (137, "oom", "64m", "killed by the out-of-memory killer: it outgrew its memory limit of 64m (fix: raise or unset"),
    (137, "oom", "", "killed by the out-of-memory killer: the machine ran out of memory (fix: run fewer jobs"),
    (137, "", "", "was killed from outside (status 137"),
    (3, "oom", "", None),  # any other status is the runtime's own, passed on without a word
    (0, "", "", None),
])
def test_the_guard_passes_the_status_on_and_explains_a_killed_container(tmp_path, run_status, events, memory, says):
    """The guard ends with the client's status; after a 137 its last line of stderr says why (Docker's
    ``oom`` event for the container, asked with ``docker events``), and with the limit it ran under."""
    import subprocess
    import sys

    log = tmp_path / "calls"
    fake = _fake_docker(tmp_path, f'echo "$*" >> {log}\ncase "$1" in run) echo runtime said >&2; exit {run_status};; '
                                  f'events) echo "{events}";; esac')
    env = {**os.environ, "HARNESS_DOCKER": str(fake), "HARNESS_CONTAINER_MEMORY": memory}
    done = subprocess.run([sys.executable, "-m", "harness.images.guard", "img", "harness-x-1-0", "--", "/bin/true"],
                          env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == run_status
    last = done.stderr.strip().splitlines()[-1]
    if says is None:
        assert last == "runtime said"
    else:
        assert last.startswith("harness: the container harness-x-1-0 ") and says in last, last
    calls = log.read_text()
    assert ("--memory 64m" in calls) == (memory == "64m")
    assert ("events" in calls) == (run_status == 137)


def test_a_crate_for_another_architecture_is_cross_built_with_its_rust_target(tmp_path, monkeypatch):
    """wasmi's arm64 image: ``cargo install --target aarch64-unknown-linux-gnu`` linked by Debian's cross
    gcc, the target's standard library added through rustup when missing, into folders apart from the
    host's build; the host's build stays as it was."""
    import subprocess

    from harness.images import build as build_mod

    calls = []

    def run(argv, env=None, **kw):
        calls.append((argv, env))
        if argv[:3] == ["/bin/rustup", "target", "list"]:
            return subprocess.CompletedProcess(argv, 0, "x86_64-unknown-linux-gnu\n", "")
        if argv[1] == "install":
            bin_dir = Path(argv[argv.index("--root") + 1]) / "bin"
            bin_dir.mkdir(parents=True, exist_ok=True)
            (bin_dir / "wasmi").write_text("built")
        return subprocess.CompletedProcess(argv, 0, "", "")

    monkeypatch.setattr(build_mod.subprocess, "run", run)
    monkeypatch.setattr(build_mod.shutil, "which", lambda name: f"/bin/{name}")
    monkeypatch.setattr(build_mod, "work_dir", lambda: tmp_path / "work")
    monkeypatch.setattr(build_mod, "tools_dir", lambda: tmp_path / "tools")
    monkeypatch.setattr(build_mod, "host_arch", lambda: "amd64")
    build_mod._from_cargo("wasmi_cli@2.0.0", "wasmi", tmp_path / "arm", "arm64")
    (install, env), = [(a, e) for a, e in calls if a[1] == "install"]
    assert ["/bin/rustup", "target", "add", "aarch64-unknown-linux-gnu"] in [a for a, _ in calls]
    assert install[-2:] == ["--target", "aarch64-unknown-linux-gnu"] and "cargo-arm64" in install[install.index("--root") + 1]
    assert env["CARGO_TARGET_AARCH64_UNKNOWN_LINUX_GNU_LINKER"] == "aarch64-linux-gnu-gcc"
    assert env["CARGO_TARGET_DIR"].endswith("target-arm64") and (tmp_path / "arm").read_text() == "built"
    calls.clear()
    build_mod._from_cargo("wasmi_cli@2.0.0", "wasmi", tmp_path / "host", "amd64")
    (install, env), = [(a, e) for a, e in calls if a[1] == "install"]
    assert "--target" not in install and env["CARGO_TARGET_DIR"].endswith("target") and len(calls) == 1
    monkeypatch.setattr(build_mod.shutil, "which", lambda name: None if name == "aarch64-linux-gnu-gcc" else f"/bin/{name}")
    with pytest.raises(build_mod.BuildFailed, match="apt-get install gcc-aarch64-linux-gnu"):
        build_mod._from_cargo("wasmi_cli@2.0.0", "wasmi", tmp_path / "arm", "arm64")
