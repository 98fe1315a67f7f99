"""wasi-testsuite layout and spec parsing: both spec forms, defaults, unsupported operations, cleanup."""

import json

import pytest

from harness.wasi.execute import RunResult
from harness.wasi.runner import judge
from harness.wasi.testsuite import SpecError, TestSpec, WasiTest, clean_artifacts, discover, parse_spec


def test_legacy_spec_defaults_and_reads():
    s = parse_spec({"args": ["a"], "env": {"K": "V"}, "dirs": ["d"], "exit_code": 3, "stdout": "x"})
    assert (s.args, s.env, s.dirs, s.exit_code, s.reads) == (["a"], {"K": "V"}, ["d"], 3, [("stdout", "x")])
    empty = parse_spec({})
    assert (empty.args, empty.exit_code, empty.reads, empty.unsupported) == ([], 0, [], None)


def test_operation_spec():
    s = parse_spec({"operations": [{"type": "run", "args": ["x"], "dirs": ["fs"]},
                                   {"type": "read", "payload": "hello"},
                                   {"type": "read", "id": "stderr", "payload": "e"},
                                   {"type": "wait", "exit_code": 2}]})
    assert s.args == ["x"] and s.dirs == ["fs"] and s.exit_code == 2
    assert s.reads == [("stdout", "hello"), ("stderr", "e")] and s.unsupported is None


@pytest.mark.parametrize("data", [
    {"operations": [{"type": "run"}, {"type": "connect"}, {"type": "wait"}]},
    {"proposals": ["http"], "operations": [{"type": "run"}, {"type": "wait"}]},
    {"world": "wasi:http/service", "operations": []},
])
def test_operations_a_command_runner_cannot_do_are_unsupported(data):
    assert parse_spec(data).unsupported


def test_mixed_or_unknown_specs_are_errors():
    with pytest.raises(SpecError):
        parse_spec({"operations": [], "args": []})
    with pytest.raises(SpecError):
        parse_spec({"operations": [{"type": "dance"}]})


def test_discover_layout(tmp_path):
    p1 = tmp_path / "tests" / "c" / "testsuite" / "wasm32-wasip1"
    p3 = tmp_path / "tests" / "rust" / "testsuite" / "wasm32-wasip3"
    for d in (p1, p3):
        d.mkdir(parents=True)
    (p1 / "a.wasm").write_bytes(b"")
    (p1 / "a.json").write_text(json.dumps({"stdout": "x"}))
    (p1 / "b.wasm").write_bytes(b"")
    (p1 / "b.json").write_text("{not json")
    (p3 / "c.wasm").write_bytes(b"")
    tests = discover(tmp_path)
    assert [t.id for t in tests] == ["c/wasm32-wasip1/a", "c/wasm32-wasip1/b", "rust/wasm32-wasip3/c"]
    assert tests[0].spec.reads == [("stdout", "x")]
    assert tests[1].spec.unsupported.startswith("bad spec")
    assert tests[2].version == "wasm32-wasip3"
    assert [t.id for t in discover(tmp_path, ("wasm32-wasip1",))] == ["c/wasm32-wasip1/a", "c/wasm32-wasip1/b"]


def test_clean_artifacts(tmp_path):
    (tmp_path / "keep.txt").write_text("k")
    (tmp_path / "x.cleanup").write_text("x")
    (tmp_path / "d.cleanup" / "sub").mkdir(parents=True)
    (tmp_path / "d.cleanup" / "sub" / "f").write_text("f")
    (tmp_path / "inner").mkdir()
    (tmp_path / "inner" / "l.cleanup").symlink_to("/nonexistent")
    assert clean_artifacts(tmp_path) == 3
    assert sorted(p.name for p in tmp_path.rglob("*")) == ["inner", "keep.txt"]


def _result(code, out=b"", err=b""):
    return RunResult(code, out, err, 0.1)


def test_judge_follows_the_official_runner():
    t = WasiTest(path=__import__("pathlib").Path("t.wasm"), group="g", version="wasm32-wasip1",
                 spec=TestSpec(exit_code=0, reads=[("stdout", "hello")]))
    assert judge(t, _result(0, b"hello world"))[0] == "pass"  # reads len(payload) characters, as upstream
    assert judge(t, _result(0, b"help"))[0] == "fail"
    assert judge(t, _result(1, b"hello"))[0] == "fail"
    t.spec.exact_output = True
    assert judge(t, _result(0, b"hello world"))[0] == "fail"
    assert judge(t, RunResult(None, b"", b"", 5, timed_out=True))[0] == "timeout"
    assert judge(t, RunResult(-11, b"", b"", 1, signal=11))[0] == "crash"
    assert judge(t, RunResult(None, b"", b"", 0, error="no binary"))[0] == "skip"
