"""The official SIMD testsuite's ``assert_return`` cases, applied straight to harness.engine.exec.simd.

Why: the spec tests encode the spec authors' own edge cases (and which NaNs must be canonical). Without an
interpreter we can still run the many of them whose export is a single-instruction wrapper, i.e. a
function whose body is ``local.get 0 .. local.get n-1`` followed by one SIMD instruction.

Needs the official testsuite fetched (``harness suites fetch``, found under ``<suites>/spec-2.0``) and
wasm-tools; skipped otherwise.
"""

from __future__ import annotations

import re
import subprocess
from functools import cache
from pathlib import Path

import pytest

from harness.engine.exec.simd import SIMD_ARITY, SIMD_OPS
from harness.paths import suites_dir

pytestmark = pytest.mark.official

SUITE = suites_dir() / "spec-2.0"
FILES = sorted(p.name for p in SUITE.glob("simd_*.wast")) if SUITE.is_dir() else []
# scripts that only exercise memory access, constants, linking or validation: no value-op wrappers
NO_WRAPPERS = {"simd_address.wast", "simd_align.wast", "simd_const.wast", "simd_linking.wast",
               "simd_select.wast", "simd_store.wast", "simd_load_extend.wast", "simd_load_splat.wast",
               "simd_load_zero.wast"}

_FUNC = re.compile(r"^  \(func \(;(\d+);\) \(type \d+\)(?: \(param ([^)]*)\))?(?: \(result [^)]*\))?\n"
                   r"((?:    .*\n)*?)  \)$", re.M)
_EXPORT = re.compile(r'^  \(export "((?:[^"\\]|\\.)*)" \(func (\d+)\)\)$', re.M)


def _wasm_tools() -> str:
    from harness.spec.convert import wasm_tools

    return str(wasm_tools())


@cache
def wrappers(wasm: Path) -> dict[str, tuple[str, tuple]]:
    """Export name -> (instruction, immediates) for the module's single-SIMD-instruction wrappers."""
    text = subprocess.run([_wasm_tools(), "print", str(wasm)], capture_output=True, timeout=60,
                          check=True).stdout.decode()
    if "local.get $" in text or "(param $" in text:  # named locals: print without the name section
        stripped = subprocess.run([_wasm_tools(), "strip", "--all", str(wasm)], capture_output=True,
                                  timeout=60, check=True).stdout
        text = subprocess.run([_wasm_tools(), "print"], input=stripped, capture_output=True, timeout=60,
                              check=True).stdout.decode()
    funcs = {}
    for m in _FUNC.finditer(text):
        params = m.group(2).split() if m.group(2) else []
        body = [line.strip() for line in m.group(3).splitlines()]
        if len(body) != len(params) + 1 or body[:-1] != [f"local.get {i}" for i in range(len(params))]:
            continue
        name, *imm = body[-1].split()
        if name in SIMD_OPS and SIMD_ARITY[name] == len(params):
            ints = tuple(int(x) for x in imm)
            funcs[int(m.group(1))] = (name, (ints,) if name == "i8x16.shuffle" else ints)
    return {export: funcs[int(idx)] for export, idx in _EXPORT.findall(text) if int(idx) in funcs}


_WIDTH = {"i8": 8, "i16": 16, "i32": 32, "i64": 64, "f32": 32, "f64": 64}


def arg_value(arg: dict) -> int:
    if arg["type"] == "v128":
        w = _WIDTH[arg["lane_type"]]
        return sum((int(v) & ((1 << w) - 1)) << (w * i) for i, v in enumerate(arg["value"]))
    return int(arg["value"]) & ((1 << _WIDTH[arg["type"]]) - 1)


def _nan_ok(bits: int, width: int, pattern: str) -> bool:
    exp = ((1 << (8 if width == 32 else 11)) - 1) << (23 if width == 32 else 52)
    quiet = 1 << (22 if width == 32 else 51)
    mant = quiet * 2 - 1
    if bits & exp != exp or not bits & mant:
        return False
    return bits & mant == quiet if pattern == "nan:canonical" else bool(bits & quiet)


def result_ok(expected: dict, got: int) -> bool:
    if expected["type"] == "v128":
        w = _WIDTH[expected["lane_type"]]
        for i, v in enumerate(expected["value"]):
            lane = (got >> (w * i)) & ((1 << w) - 1)
            if v.startswith("nan:"):
                if not _nan_ok(lane, w, v):
                    return False
            elif lane != int(v) & ((1 << w) - 1):
                return False
        return True
    w = _WIDTH[expected["type"]]
    v = expected["value"]
    if isinstance(v, str) and v.startswith("nan:"):
        return _nan_ok(got, w, v)
    return got == int(v) & ((1 << w) - 1)


def run_script(name: str) -> tuple[int, list[str]]:
    """Check every applicable assert_return of one script: (number checked, failure descriptions)."""
    import json

    from harness.spec.convert import convert

    json_path = convert(SUITE / name)
    commands = json.loads(json_path.read_text())["commands"]
    current: Path | None = None  # module files; their wrappers are looked up only when invoked
    named: dict[str, Path | None] = {}
    checked, failures = 0, []
    for cmd in commands:
        if cmd["type"] == "module":
            current = json_path.parent / cmd["filename"] if cmd.get("module_type", "binary") == "binary" else None
            if "name" in cmd:
                named[cmd["name"]] = current
        elif cmd["type"] == "assert_return" and cmd["action"]["type"] == "invoke":
            action = cmd["action"]
            module = named.get(action["module"]) if "module" in action else current
            target = wrappers(module).get(action["field"]) if module else None
            if target is None or len(cmd["expected"]) != 1:
                continue
            op, imm = target
            args = [arg_value(a) for a in action["args"]]
            got = SIMD_OPS[op](*args, *imm)
            checked += 1
            if not result_ok(cmd["expected"][0], got):
                failures.append(f"{name}:{cmd['line']}: {op}{imm} -> {got:#x}, expected {cmd['expected'][0]}")
    return checked, failures


@pytest.mark.skipif(not FILES, reason=f"official testsuite not found in {SUITE} (harness suites fetch)")
@pytest.mark.parametrize("script", FILES)
def test_official_simd_assert_returns(script: str) -> None:
    checked, failures = run_script(script)
    assert not failures, f"{len(failures)} of {checked} failed:\n" + "\n".join(failures[:10])
    if script not in NO_WRAPPERS and not script.startswith(("simd_load", "simd_store")):
        assert checked > 0, f"no single-instruction wrapper found in {script}: the extractor is broken"
