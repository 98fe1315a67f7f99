"""`harness suites fetch` checks out the pinned commit from a local clone, and says what to do offline."""

import subprocess

import pytest

from harness.cli import main
from harness.errors import HarnessError
from harness.suites.catalog import SuiteSource, present_commit
from harness.suites.fetch import fetch_suite


def _make_repo(path):
    subprocess.run(["git", "init", "-q", str(path)], check=True)
    (path / "a.wast").write_text("(module)\n")
    env = {"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@t", "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@t"}
    subprocess.run(["git", "-C", str(path), "add", "."], check=True)
    subprocess.run(["git", "-C", str(path), "commit", "-qm", "one"], check=True, env={**env, "PATH": "/usr/bin:/bin"})
    first = subprocess.run(["git", "-C", str(path), "rev-parse", "HEAD"], capture_output=True, text=True).stdout.strip()
    (path / "b.wast").write_text("(module)\n")
    subprocess.run(["git", "-C", str(path), "add", "."], check=True)
    subprocess.run(["git", "-C", str(path), "commit", "-qm", "two"], check=True, env={**env, "PATH": "/usr/bin:/bin"})
    return first


def test_fetch_checks_out_the_pinned_commit(tmp_path, monkeypatch):
    monkeypatch.setenv("HARNESS_SUITES", str(tmp_path / "suites"))
    origin = tmp_path / "origin"
    first = _make_repo(origin)
    src = SuiteSource(name="demo", description="", repo="https://invalid.example/none.git", commit=first, layout="spec")
    dest = fetch_suite(src, origin=str(origin), progress=lambda m: None)
    assert present_commit(dest) == first
    assert (dest / "a.wast").exists() and not (dest / "b.wast").exists()


def test_offline_fetch_explains_how_to_use_a_local_copy(tmp_path, monkeypatch):
    monkeypatch.setenv("HARNESS_SUITES", str(tmp_path / "suites"))
    src = SuiteSource(name="demo", description="", repo=str(tmp_path / "does-not-exist"), commit="0" * 40, layout="spec")
    with pytest.raises(HarnessError, match="--from"):
        fetch_suite(src, progress=lambda m: None)


def test_suites_list_runs(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("HARNESS_SUITES", str(tmp_path / "suites"))
    assert main(["suites", "list"]) == 0
    out = capsys.readouterr().out
    assert "spec-2.0" in out and "missing" in out
