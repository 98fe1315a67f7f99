"""A small driver of the official spec testsuite's JSON scripts (``wasm-tools json-from-wast``) against the
LLVM tier, for the tier's own conformance checks (the harness's real spec runner lives in harness/spec).

Only the commands that exercise execution are scored: module, register, action, assert_return,
assert_trap, assert_exhaustion, assert_uninstantiable, assert_unlinkable.  Decoding/validation
assertions (malformed/invalid) belong to the decoder and validator and are skipped here.

Run by hand: ``python tests/engine/llvm_spec_script.py FILE.json [...] [--opt N]``.
"""

from __future__ import annotations

import json
import math
import struct
import sys
from pathlib import Path

from harness.engine import errors, syntax
from harness.engine.binary import decode_module
from harness.engine.runtime import GlobalInstance, MemoryInstance, TableInstance, resolve_imports
from harness.engine.runtime.objects import FuncInstance
from harness.engine.tiers.llvm.tier import LLVMTier
from harness.engine.valid import validate_module


def spectest_imports() -> dict:
    def printer(*params):
        return FuncInstance(syntax.FuncType(tuple(params), ()), host=lambda *a: None)

    return {
        "print": printer(),
        "print_i32": printer("i32"),
        "print_i64": printer("i64"),
        "print_f32": printer("f32"),
        "print_f64": printer("f64"),
        "print_i32_f32": printer("i32", "f32"),
        "print_f64_f64": printer("f64", "f64"),
        "global_i32": GlobalInstance(syntax.GlobalType("i32", False), 666),
        "global_i64": GlobalInstance(syntax.GlobalType("i64", False), 666),
        "global_f32": GlobalInstance(syntax.GlobalType("f32", False), struct.unpack("<I", struct.pack("<f", 666.6))[0]),
        "global_f64": GlobalInstance(syntax.GlobalType("f64", False), struct.unpack("<Q", struct.pack("<d", 666.6))[0]),
        "table": TableInstance(syntax.TableType(syntax.Limits(10, 20), "funcref")),
        "memory": MemoryInstance(syntax.MemType(syntax.Limits(1, 2))),
    }


class ExternRef:
    """Host reference ``ref.extern N`` of the scripts (equal when N is equal)."""

    def __init__(self, n: int):
        self.n = n

    def __eq__(self, other):
        return isinstance(other, ExternRef) and other.n == self.n

    def __hash__(self):
        return hash(self.n)


_LANES = {"i8": (8, 16), "i16": (16, 8), "i32": (32, 4), "i64": (64, 2), "f32": (32, 4), "f64": (64, 2)}


def parse_arg(v: dict):
    t = v["type"]
    if t in ("i32", "i64", "f32", "f64"):
        return int(v["value"]) & ((1 << (32 if t in ("i32", "f32") else 64)) - 1)
    if t == "v128":
        bits, n = _LANES[v["lane_type"]]
        out = 0
        for i, x in enumerate(v["value"]):
            out |= (int(x) & ((1 << bits) - 1)) << (i * bits)
        return out
    if t == "externref":
        return None if v["value"] == "null" else ExternRef(int(v["value"]))
    if t == "funcref":
        return None if v["value"] == "null" else v["value"]
    raise ValueError(t)


def _nan_ok(kind: str, bits: int, width: int) -> bool:
    exp_bits, frac_bits = (8, 23) if width == 32 else (11, 52)
    exp = (bits >> frac_bits) & ((1 << exp_bits) - 1)
    frac = bits & ((1 << frac_bits) - 1)
    if exp != (1 << exp_bits) - 1 or frac == 0:
        return False
    quiet = 1 << (frac_bits - 1)
    return frac == quiet if kind == "nan:canonical" else bool(frac & quiet)


def matches(expected: dict, got) -> bool:
    t = expected["type"]
    val = expected.get("value")
    if t in ("f32", "f64") and isinstance(val, str) and val.startswith("nan:"):
        return _nan_ok(val, got, 32 if t == "f32" else 64)
    if t == "v128":
        bits, n = _LANES[expected["lane_type"]]
        for i, x in enumerate(val):
            lane = (got >> (i * bits)) & ((1 << bits) - 1)
            if x.startswith("nan:"):
                if not _nan_ok(x, lane, bits):
                    return False
            elif lane != int(x) & ((1 << bits) - 1):
                return False
        return True
    if t == "externref":
        return got is None if val == "null" else got == ExternRef(int(val))
    if t == "funcref":
        return got is None if val == "null" else got is not None
    return got == parse_arg(expected)


class Script:
    def __init__(self, json_path: Path, opt_level: int = 0):
        self.path = json_path
        self.dir = json_path.parent
        self.tier = LLVMTier(opt_level=opt_level, cache_dir=False)
        self.registered = {"spectest": spectest_imports()}
        self.current = None
        self.named: dict[str, object] = {}
        self.passed = 0
        self.failed: list[str] = []

    def instantiate(self, filename: str, module_type: str = "binary"):
        data = (self.dir / filename).read_bytes()
        if module_type == "text":
            from harness.engine.text import parse_module

            data = parse_module(data.decode())
        module = decode_module(data)
        validate_module(module)
        externs = resolve_imports(module, self.registered)
        return self.tier.instantiate(module, externs, data)

    def action(self, act: dict):
        inst = self.named[act["module"]] if act.get("module") else self.current
        ext = inst.exports[act["field"]]
        if act["type"] == "get":
            return [ext.value]
        args = [parse_arg(a) for a in act["args"]]
        return self.tier.run(ext, args)

    def run(self) -> tuple[int, list[str]]:
        for cmd in json.loads(self.path.read_text())["commands"]:
            try:
                self.command(cmd)
            except Exception as exc:  # a failure of one command must not end the script
                self.failed.append(f"line {cmd.get('line')}: {cmd['type']}: {type(exc).__name__}: {exc}")
        return self.passed, self.failed

    def command(self, cmd: dict) -> None:
        t = cmd["type"]
        line = cmd.get("line")
        if t == "module":
            self.current = self.instantiate(cmd["filename"], cmd.get("module_type", "binary"))
            if cmd.get("name"):
                self.named[cmd["name"]] = self.current
            self.passed += 1
        elif t == "register":
            inst = self.named[cmd["name"]] if cmd.get("name") else self.current
            self.registered[cmd["as"]] = inst.exports
        elif t == "action":
            self.action(cmd["action"])
            self.passed += 1
        elif t == "assert_return":
            got = self.action(cmd["action"])
            exp = cmd["expected"]
            if len(got) == len(exp) and all(matches(e, g) for e, g in zip(exp, got, strict=True)):
                self.passed += 1
            else:
                self.failed.append(f"line {line}: assert_return {cmd['action'].get('field')}: got {got!r}, expected {exp}")
        elif t in ("assert_trap", "assert_exhaustion"):
            try:
                got = self.action(cmd["action"])
            except errors.Trap as exc:
                if t == "assert_exhaustion" and not isinstance(exc, errors.Exhaustion):
                    self.failed.append(f"line {line}: expected exhaustion, trapped {exc.kind}")
                elif t == "assert_trap" and cmd["text"] not in exc.kind and exc.kind not in cmd["text"]:
                    self.failed.append(f"line {line}: trap {exc.kind!r}, expected {cmd['text']!r}")
                else:
                    self.passed += 1
            else:
                self.failed.append(f"line {line}: {t}: returned {got!r}, expected trap {cmd['text']!r}")
        elif t in ("assert_uninstantiable", "assert_unlinkable"):
            try:
                self.instantiate(cmd["filename"])
            except (errors.Trap, errors.LinkError):
                self.passed += 1
            else:
                self.failed.append(f"line {line}: {t}: instantiated")
        # malformed / invalid: the decoder's and validator's business


def main(argv: list[str]) -> int:
    opt = 0
    if "--opt" in argv:
        i = argv.index("--opt")
        opt = int(argv[i + 1])
        del argv[i : i + 2]
    total_p = total_f = 0
    for p in argv:
        passed, failed = Script(Path(p), opt).run()
        total_p += passed
        total_f += len(failed)
        print(f"{Path(p).stem}: {passed} passed, {len(failed)} failed")
        for f in failed[:8]:
            print("   ", f)
    print(f"TOTAL {total_p} passed, {total_f} failed")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

_ = math
