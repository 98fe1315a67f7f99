"""The official SIMD testsuite's ``assert_return`` cases, applied straight to harness.engine.exec.simd.

Why: the spec tests encode the spec authors' own edge cases (and which NaNs must be canonical). Apart from
the interpreter (``test_interp_spec.py`` runs these files whole), the many of them whose export is a
single-instruction wrapper, i.e. a function whose body is ``local.get 0 .. local.get n-1`` followed by one
SIMD instruction, check the SIMD operations alone.  Scripts, arguments and the matching of results (NaN
classes, lanes) are the harness spec runner's (``harness.spec.script``, ``harness.spec.values``).

Needs the official testsuite fetched (``harness suites fetch``) and wasm-tools; skipped otherwise.
"""

from __future__ import annotations

import re
import subprocess
from functools import cache
from pathlib import Path

import pytest
from official_spec import NOT_FETCHED, WAST_FILES

from harness.engine.exec.simd import SIMD_ARITY, SIMD_OPS
from harness.spec import values
from harness.spec.convert import convert, wasm_tools
from harness.spec.script import load_script

pytestmark = pytest.mark.official

FILES = [p for p in WAST_FILES if p.name.startswith("simd_")]
# scripts that only exercise memory access, constants, linking or validation: no value-op wrappers
NO_WRAPPERS = {"simd_address.wast", "simd_align.wast", "simd_const.wast", "simd_linking.wast",
               "simd_select.wast", "simd_store.wast", "simd_load_extend.wast", "simd_load_splat.wast",
               "simd_load_zero.wast"}

_FUNC = re.compile(r"^  \(func \(;(\d+);\) \(type \d+\)(?: \(param ([^)]*)\))?(?: \(result [^)]*\))?\n"
                   r"((?:    .*\n)*?)  \)$", re.M)
_EXPORT = re.compile(r'^  \(export "((?:[^"\\]|\\.)*)" \(func (\d+)\)\)$', re.M)


@cache
def wrappers(wasm: Path) -> dict[str, tuple[str, tuple]]:
    """Export name -> (instruction, immediates) for the module's single-SIMD-instruction wrappers."""
    tool = str(wasm_tools())
    text = subprocess.run([tool, "print", str(wasm)], capture_output=True, timeout=60,
                          check=True).stdout.decode()
    if "local.get $" in text or "(param $" in text:  # named locals: print without the name section
        stripped = subprocess.run([tool, "strip", "--all", str(wasm)], capture_output=True,
                                  timeout=60, check=True).stdout
        text = subprocess.run([tool, "print"], input=stripped, capture_output=True, timeout=60,
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


def run_script(wast: Path) -> tuple[int, list[str]]:
    """Check every applicable assert_return of one script: (number checked, failure descriptions)."""
    current: Path | None = None  # module files; their wrappers are looked up only when invoked
    named: dict[str, Path | None] = {}
    checked, failures = 0, []
    for cmd in load_script(convert(wast)).commands:
        if cmd.type == "module":
            current = cmd.filename if cmd.module_type != "text" else None
            if cmd.name:
                named[cmd.name] = current
        elif cmd.type == "assert_return" and cmd.action and cmd.action.kind == "invoke":
            action = cmd.action
            module = named.get(action.module) if action.module else current
            target = wrappers(module).get(action.field) if module else None
            if target is None or len(cmd.expected) != 1:
                continue
            op, imm = target
            got = SIMD_OPS[op](*[values.arg_to_raw(a) for a in action.args], *imm)
            checked += 1
            if not values.match(cmd.expected[0], got):
                expected = cmd.expected[0]
                failures.append(f"{wast.name}:{cmd.line}: {op}{imm} -> {values.format_raw(expected['type'], got)}, "
                                f"expected {values.format_expected(expected)}")
    return checked, failures


@pytest.mark.skipif(not FILES, reason=NOT_FETCHED)
@pytest.mark.parametrize("wast", FILES, ids=lambda p: p.name)
def test_official_simd_assert_returns(wast: Path) -> None:
    checked, failures = run_script(wast)
    assert not failures, f"{len(failures)} of {checked} failed:\n" + "\n".join(failures[:10])
    if wast.name not in NO_WRAPPERS and not wast.name.startswith(("simd_load", "simd_store")):
        assert checked > 0, f"no single-instruction wrapper found in {wast.name}: the extractor is broken"
