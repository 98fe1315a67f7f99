"""`harness run` and `harness wasi` end to end on wasmtime (fast) and our host, including bad input."""

import json
import sqlite3
from pathlib import Path

import pytest

from harness.cli import main

from .conftest import EXIT_WAT, FOREVER_WAT, HELLO_WAT, NOT_WASI_WAT, wat2wasm

pytest.importorskip("wasmtime")


def test_run_passes_stdout_and_exit_code(wat, capfd):
    assert main(["run", "--engine", "wasmtime", str(wat(HELLO_WAT))]) == 0
    assert capfd.readouterr().out == "hi\n"
    assert main(["run", "--engine", "wasmtime", str(wat(EXIT_WAT, "exit.wasm"))]) == 7


def test_run_hostcheck_engine(wat, capfd):
    assert main(["run", "--engine", "hostcheck", str(wat(HELLO_WAT))]) == 0
    assert capfd.readouterr().out == "hi\n"


def test_run_wat_source(tmp_path, capfd):
    src = tmp_path / "hello.wat"
    src.write_text(HELLO_WAT)
    assert main(["run", "--engine", "wasmtime", str(src)]) == 0
    assert capfd.readouterr().out == "hi\n"


def test_run_bad_input_gives_clear_errors(wat, tmp_path, capfd):
    hello = str(wat(HELLO_WAT))
    assert main(["run", "--engine", "nosuch", hello]) == 2
    assert "unknown runtime 'nosuch'" in capfd.readouterr().err
    assert main(["run", "--engine", "wasmtime", "--dir", str(tmp_path / "missing"), hello]) == 2
    assert "does not exist" in capfd.readouterr().err
    assert main(["run", "--engine", "wasmtime", str(wat(NOT_WASI_WAT, "lib.wasm"))]) == 2
    assert "env.foo" in capfd.readouterr().err
    assert main(["run", "--engine", "wasmtime", str(tmp_path / "absent.wasm")]) == 2
    assert "no such file" in capfd.readouterr().err


def test_run_timeout_kills_a_program_that_never_exits(wat, capfd):
    assert main(["run", "--engine", "wasmtime", "--timeout", "1", str(wat(FOREVER_WAT, "loop.wasm"))]) == 124
    assert "did not exit" in capfd.readouterr().err


def _mini_suite(root: Path) -> Path:
    p1 = root / "tests" / "mini" / "testsuite" / "wasm32-wasip1"
    p1.mkdir(parents=True)
    wat2wasm(HELLO_WAT, p1 / "hello.wasm")
    (p1 / "hello.json").write_text(json.dumps({"stdout": "hi\n"}))
    wat2wasm(HELLO_WAT, p1 / "wrong_output.wasm")
    (p1 / "wrong_output.json").write_text(json.dumps({"stdout": "bye\n"}))
    wat2wasm(EXIT_WAT, p1 / "exit7.wasm")
    (p1 / "exit7.json").write_text(json.dumps({"operations": [{"type": "run"}, {"type": "wait", "exit_code": 7}]}))
    wat2wasm(FOREVER_WAT, p1 / "forever.wasm")
    wat2wasm(HELLO_WAT, p1 / "no_preopen.wasm")
    (p1 / "no_preopen.json").write_text(json.dumps({"dirs": ["missing.dir"]}))
    wat2wasm(NOT_WASI_WAT, p1 / "not_wasi.wasm")
    p3 = root / "tests" / "mini" / "testsuite" / "wasm32-wasip3"
    p3.mkdir(parents=True)
    (p3 / "component.wasm").write_bytes(b"\0asm\x0d\x00\x01\x00")
    return root


def test_wasi_runner_matrix_store_and_json(tmp_path, capsys):
    suite = _mini_suite(tmp_path / "suite")
    out_json, db = tmp_path / "out.json", tmp_path / "r.db"
    code = main(["wasi", "--engines", "wasmtime,nosuch,hostcheck", "--suite-dir", str(suite), "--timeout", "2",
                 "--json", str(out_json), "--db", str(db)])
    assert code == 1  # failures and an unknown engine, but the run went on
    captured = capsys.readouterr()
    assert "skipping engine 'nosuch'" in captured.err
    summary = json.loads(out_json.read_text())
    outcomes = {(t["engine"], t["test"].split("/")[-1]): t["outcome"] for t in summary["tests"]}
    for eng in ("wasmtime:cranelift", "hostcheck"):
        assert outcomes[(eng, "hello")] == "pass"
        assert outcomes[(eng, "exit7")] == "pass"
        assert outcomes[(eng, "wrong_output")] == "fail"
        assert outcomes[(eng, "forever")] == "timeout"
        assert outcomes[(eng, "no_preopen")] == "fail"
        assert outcomes[(eng, "not_wasi")] == "fail"
        assert outcomes[(eng, "component")] == "unsupported"
    messages = {t["test"].split("/")[-1]: t["message"] for t in summary["tests"] if t["engine"] == "hostcheck"}
    assert "env.foo" in messages["not_wasi"] and "missing.dir" in messages["no_preopen"]
    totals = summary["engines"]["wasmtime:cranelift"]["groups"]["mini/wasm32-wasip1"]
    assert (totals["passed"], totals["failed"], totals["unsupported"]) == (2, 4, 0)
    assert summary["engines"]["wasmtime:cranelift"]["groups"]["mini/wasm32-wasip3"]["unsupported"] == 1
    rows = sqlite3.connect(db).execute("SELECT engine, tier, file, metric, outcome FROM results WHERE suite='wasi'"
                                       ).fetchall()
    assert len(rows) == 14
    assert ("wasmtime", "cranelift", "tests/mini/testsuite/wasm32-wasip1/hello.wasm", "test", "pass") in rows
    assert "mini/wasm32-wasip1" in captured.out and "TIMEOUT" in captured.out


def test_wasi_runner_warns_of_entries_naming_no_test_of_a_suite_that_ran(tmp_path, monkeypatch, capsys):
    from harness import expectations
    from harness.wasi import expectations as wasi_expectations

    suite = _mini_suite(tmp_path / "suite")
    (tmp_path / "exp").mkdir()
    (tmp_path / "exp" / "wasmtime.toml").write_text(
        '[wasi."mini/wasm32-wasip1/gone"]\nreason = "x"\n[wasi."own/wasm32-wasip1/not_run"]\nreason = "y"\n')
    real_load = expectations.load
    monkeypatch.setattr(wasi_expectations.expectations, "load",
                        lambda directory, schema, runtime, tier: real_load(tmp_path / "exp", schema, runtime, tier))
    monkeypatch.setenv("HARNESS_WASI_DIR", str(suite))
    main(["wasi", "--engines", "wasmtime", "--timeout", "2", "--no-store"])
    warnings = [ln for ln in capsys.readouterr().err.splitlines() if "warning" in ln]
    # our own programs did not run: their entry is not judged
    assert warnings == [f'harness wasi: warning: {tmp_path / "exp" / "wasmtime.toml"}: '
                        '[wasi."mini/wasm32-wasip1/gone"]: matches no test of the wasi suite']
    main(["wasi", "--engines", "wasmtime", "--timeout", "2", "--no-store", "-k", "hello"])
    assert "warning" not in capsys.readouterr().err


def test_wasi_runner_unknown_engines_only_is_an_error(tmp_path, capsys):
    suite = _mini_suite(tmp_path / "suite")
    assert main(["wasi", "--engines", "nosuch", "--suite-dir", str(suite), "--no-store"]) == 2
    assert "no usable engine" in capsys.readouterr().err


def test_wasi_runner_missing_suite_dir(tmp_path, capsys):
    assert main(["wasi", "--engines", "wasmtime", "--suite-dir", str(tmp_path / "nope"), "--no-store"]) == 2
    assert "does not exist" in capsys.readouterr().err


BIG_WAT = """(module
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 2)
  (func (export "_start") (local $i i32)
    (memory.fill (i32.const 1024) (i32.const 120) (i32.const 65536))
    (i32.store (i32.const 0) (i32.const 1024))
    (i32.store (i32.const 4) (i32.const 65536))
    (loop $l
      (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $l (i32.lt_u (local.get $i) (i32.const 32))))))
"""


@pytest.mark.parametrize("engine", ["v8", "wasmtime", "hostcheck"])
def test_run_large_output_arrives_whole(wat, capfd, engine):
    import shutil

    if engine == "v8" and shutil.which("node") is None:
        pytest.skip("node is not on PATH")
    assert main(["run", "--engine", engine, str(wat(BIG_WAT, "big.wasm"))]) == 0
    assert capfd.readouterr().out == "x" * (32 * 65536)


@pytest.mark.parametrize("engine", ["ours:interp", "ours:llvm"])
def test_run_on_our_engine_in_process_and_with_a_timeout(wat, capfd, engine, monkeypatch):
    """Without --timeout our engine runs in the harness process (one start-up); with it, in the driver
    process that the timeout can kill.  Output, exit code and trap status are the same either way."""
    import subprocess

    if engine.endswith("llvm"):
        pytest.importorskip("llvmlite")
    hello, exit7 = str(wat(HELLO_WAT)), str(wat(EXIT_WAT, "exit.wasm"))
    spawned = []
    real_popen = subprocess.Popen
    monkeypatch.setattr(subprocess, "Popen", lambda *a, **k: spawned.append(a) or real_popen(*a, **k))
    assert main(["run", "--engine", engine, hello]) == 0
    drivers = lambda: [a for a in spawned if "harness.wasi.child" in a[0]]  # noqa: E731
    assert capfd.readouterr().out == "hi\n" and drivers() == []
    assert main(["run", "--engine", engine, exit7]) == 7
    assert main(["run", "--engine", engine, "--timeout", "60", exit7]) == 7
    assert len(drivers()) == 1
