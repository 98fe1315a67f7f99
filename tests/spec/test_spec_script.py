"""Conversion (wasm-tools, cache, one-line errors) and the command model."""

from __future__ import annotations

import pytest

from harness.spec.convert import MalformedWastError, convert
from harness.spec.script import load_script

SCRIPT = """(module $M (func (export "f") (param i32) (result i32) (local.get 0)))
(register "m" $M)
(assert_return (invoke "f" (i32.const -1)) (i32.const -1))
(assert_trap (invoke "f" (i32.const 0)) "unreachable")
(assert_malformed (module quote "(func") "unexpected end")
(assert_invalid (module (func (result i32))) "type mismatch")
(module quote "(func (export \\"g\\"))")
"""


@pytest.fixture
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv("HARNESS_CACHE", str(tmp_path / "cache"))
    return tmp_path / "cache"


def test_convert_and_parse(tmp_path, cache):
    wast = tmp_path / "demo.wast"
    wast.write_text(SCRIPT)
    json_path = convert(wast)
    assert json_path.is_relative_to(cache / "wast-json")
    script = load_script(json_path)
    types = [c.type for c in script.commands]
    assert types == ["module", "register", "assert_return", "assert_trap", "assert_malformed", "assert_invalid",
                     "module"]
    assert [c.type for c in script.checks()] == [t for t in types if t != "register"]
    mod, reg, ret, trap, malformed, invalid, quoted = script.commands
    assert mod.name and reg.name == mod.name and reg.register_as == "m"
    assert mod.filename.read_bytes().startswith(b"\0asm")
    assert ret.line == 3 and ret.action.field == "f" and ret.action.args[0]["type"] == "i32"
    assert trap.text == "unreachable"
    assert malformed.module_type == "text" and malformed.filename.suffix == ".wat"
    assert quoted.module_type == "text" and quoted.binary_filename.read_bytes().startswith(b"\0asm")


def test_conversion_is_cached_by_content(tmp_path, cache):
    wast = tmp_path / "a.wast"
    wast.write_text(SCRIPT)
    first = convert(wast)
    stamp = first.stat().st_mtime_ns
    assert convert(wast) == first and first.stat().st_mtime_ns == stamp
    wast.write_text(SCRIPT + "(assert_return (invoke \"f\" (i32.const 2)) (i32.const 2))\n")
    assert convert(wast) != first


def test_scripts_with_the_same_text_and_different_names_convert_each(tmp_path, cache):
    """The files of a conversion are named after the script, so the cache entry must be too."""
    for name in ("one.wast", "two.wast"):
        (tmp_path / name).write_text(SCRIPT)
    one, two = convert(tmp_path / "one.wast"), convert(tmp_path / "two.wast")
    assert (one.name, two.name) == ("one.json", "two.json")
    assert load_script(one).commands[0].filename.is_file() and load_script(two).commands[0].filename.is_file()


def test_malformed_wast_is_one_line_with_file_and_line(tmp_path, cache):
    wast = tmp_path / "bad.wast"
    wast.write_text("(module)\n\n(assert_return (invoke \"f\") (i32.const))\n")
    with pytest.raises(MalformedWastError) as e:
        convert(wast)
    text = str(e.value)
    assert "\n" not in text
    assert f"{wast}:3:" in text
