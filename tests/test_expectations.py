"""The expectations format shared by the spec and WASI suites: a bad file is an error that names the file
and the entry, and every entry of the repository's files loads and names a file or test that exists."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness import expectations
from harness.errors import HarnessError
from harness.expectations import Schema
from harness.paths import REPO_ROOT
from harness.spec import expectations as spec_expectations
from harness.wasi import expectations as wasi_expectations

SCHEMA = Schema(suites=frozenset({"spec", "corpus"}), keys=frozenset({"lines", "skip", "flaky"}))


def _problems(tmp_path: Path, text: str, name: str = "eng-t.toml") -> str:
    (tmp_path / name).write_text(text)
    with pytest.raises(HarnessError) as e:
        expectations.load(tmp_path, SCHEMA, "eng", "t")
    return str(e.value)


def test_entries_of_every_tier_and_of_one_tier_both_apply(tmp_path):
    (tmp_path / "eng.toml").write_text('[spec."a.wast"]\nreason = "all tiers"\n')
    (tmp_path / "eng-t.toml").write_text('[spec."b.wast"]\nreason = "tier t"\nlines = [3, 4]\nskip = true\n')
    (tmp_path / "eng-u.toml").write_text('[spec."c.wast"]\nreason = "tier u"\n')
    got = expectations.load(tmp_path, SCHEMA, "eng", "t")
    assert sorted(got) == [("spec", "a.wast"), ("spec", "b.wast")]
    b = got[("spec", "b.wast")]
    assert (b.reason, b.lines, b.skip, b.flaky) == ("tier t", frozenset({3, 4}), True, False)
    assert b.where == f'{tmp_path / "eng-t.toml"}: [spec."b.wast"]'
    assert expectations.load(tmp_path, SCHEMA, "other", "t") == {}


@pytest.mark.parametrize(("text", "says"), [
    ('[spec."a.wast"]\nreason = "x"\nline = [3]\n', """[spec."a.wast"]: unknown key 'line'"""),
    ('[spec."a.wast"]\nreson = "x"\n', """[spec."a.wast"]: unknown key 'reson'"""),
    ('[spec."a.wast"]\nlines = [3]\n', '[spec."a.wast"] needs a reason'),
    ('[spec."a.wast"]\nreason = ""\n', '[spec."a.wast"] needs a reason'),
    ('[spec."a.wast"]\nreason = 3\n', '[spec."a.wast"] needs a reason'),
    ('[spec."a.wast"]\nreason = "x"\nlines = 3\n', '[spec."a.wast"]: lines must be a list of line numbers'),
    ('[spec."a.wast"]\nreason = "x"\nlines = ["3"]\n', '[spec."a.wast"]: lines must be a list of line numbers'),
    ('[spec."a.wast"]\nreason = "x"\nlines = [true]\n', '[spec."a.wast"]: lines must be a list of line numbers'),
    ('[spec."a.wast"]\nreason = "x"\nskip = "yes"\n', '[spec."a.wast"]: skip must be true or false'),
    ('[spec."a.wast"]\nreason = "x"\nflaky = 1\n', '[spec."a.wast"]: flaky must be true or false'),
    ('[spce."a.wast"]\nreason = "x"\n', "[spce] is not a suite here (expected corpus, spec)"),
    ('spec = 3\n', "spec must be a table of entries"),
    ('[spec]\n"a.wast" = "why"\n', '[spec."a.wast"] must be a table'),
    ('[spec."a.wast"\nreason = "x"\n', "not valid TOML"),
])
def test_a_bad_file_names_the_file_and_the_entry(tmp_path, text, says):
    message = _problems(tmp_path, text)
    assert str(tmp_path / "eng-t.toml") in message and says in message


def test_every_problem_is_reported_at_once(tmp_path):
    message = _problems(tmp_path, '[spec."a.wast"]\nreason = "x"\nbogus = 1\n[spec."b.wast"]\nskip = true\n')
    assert """[spec."a.wast"]: unknown key 'bogus'""" in message and '[spec."b.wast"] needs a reason' in message


def test_an_entry_given_for_every_tier_and_for_one_is_an_error(tmp_path):
    (tmp_path / "eng.toml").write_text('[spec."a.wast"]\nreason = "x"\n')
    message = _problems(tmp_path, '[spec."a.wast"]\nreason = "y"\n')
    assert f'{tmp_path / "eng-t.toml"}: [spec."a.wast"]: also given in {tmp_path / "eng.toml"}' in message


def test_entries_matching_nothing_are_named(tmp_path):
    (tmp_path / "eng-t.toml").write_text('[spec."gone.wast"]\nreason = "x"\n[spec."here.wast"]\nreason = "y"\n'
                                         '[corpus."gone.wast"]\nreason = "z"\n')
    got = expectations.load(tmp_path, SCHEMA, "eng", "t")
    assert expectations.unmatched(got, "spec", ["here.wast"]) == [
        f'{tmp_path / "eng-t.toml"}: [spec."gone.wast"]: matches no file of the spec suite']


def test_the_wasi_schema_takes_flaky_and_not_lines(tmp_path):
    (tmp_path / "eng.toml").write_text('[wasi."g/a"]\nreason = "x"\nlines = [1]\n')
    with pytest.raises(HarnessError, match="unknown key 'lines'"):
        wasi_expectations.load("eng", "t", tmp_path)


def _unmatched(directory: Path, schema: Schema, suite: str, items: list[str]) -> list[str]:
    """The entries of every file of a folder, loaded as the runners load them, that name none of ``items``."""
    stale = []
    for path in sorted(directory.glob("*.toml")):
        runtime, _, tier = path.stem.partition("-")
        stale += expectations.unmatched(expectations.load(directory, schema, runtime, tier), suite, items)
    return stale


def _suite(name: str) -> Path:
    from harness.suites.catalog import get_suite

    path = get_suite(name).path
    if not path.is_dir():
        pytest.skip(f"the {name} suite is not fetched (harness suites fetch {name})")
    return path


def test_every_spec_entry_names_a_file_that_exists():
    where, schema = spec_expectations.EXPECTATIONS_DIR, spec_expectations.SCHEMA
    corpus = [p.name for p in (REPO_ROOT / "suites" / "spec" / "corpus").glob("*.wast")]
    assert _unmatched(where, schema, "corpus", corpus) == []
    official = [p.name for name in ("spec-2.0", "spec-3.0") for p in _suite(name).glob("*.wast")]
    assert _unmatched(where, schema, "spec", official) == []


def test_every_wasi_entry_names_a_test_that_exists():
    from harness.wasi.programs import load_table
    from harness.wasi.testsuite import PREVIEW1, discover

    own = [f"own/{PREVIEW1}/{name}" for name in load_table()]  # as programs.build_own_suite lays them out
    official = [t.id for t in discover(_suite("wasi"))]
    assert _unmatched(wasi_expectations.EXPECTATIONS_DIR, wasi_expectations.SCHEMA, "wasi", own + official) == []
