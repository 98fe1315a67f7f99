"""Run official spec .wast files directly against our engine's API (no harness runner in between).

Why: a quick conformance loop for the engine's runtime and interpreter while the real spec runner is
being written elsewhere.  Usage::

    .venv/bin/python tests/engine/interp_spec_direct.py [--tier interp] [--simd] [NAME ...]

Converts each .wast (from $WAST_SUITE_DIR, else the suite ``harness suites fetch spec-2.0`` put in the
cache) with ``wasm-tools json-from-wast`` into ``harness.paths.spec_json_dir()/<name>/``, then runs
module/register/action/assert_* commands and prints passed/total per file.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import struct
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from harness.engine import api  # noqa: E402
from harness.engine.errors import Exhaustion, LinkError, MalformedError, Trap, ValidationError  # noqa: E402
from harness.engine.syntax import FuncType, GlobalType, Limits, MemType, TableType  # noqa: E402
from harness.paths import spec_json_dir, suites_dir  # noqa: E402

SUITE = Path(os.environ.get("WAST_SUITE_DIR") or suites_dir() / "spec-2.0")
JSON_DIR = spec_json_dir()
WASM_TOOLS = ROOT / ".venv" / "bin" / "wasm-tools"


def spectest(store: api.Store) -> dict:
    def printer(*types):
        return api.host_func(FuncType(tuple(types), ()), lambda *a: None)

    return {
        "print": printer(), "print_i32": printer("i32"), "print_i64": printer("i64"),
        "print_f32": printer("f32"), "print_f64": printer("f64"), "print_i32_f32": printer("i32", "f32"),
        "print_f64_f64": printer("f64", "f64"),
        "global_i32": api.GlobalInstance(GlobalType("i32", False), 666),
        "global_i64": api.GlobalInstance(GlobalType("i64", False), 666),
        "global_f32": api.GlobalInstance(GlobalType("f32", False), struct.unpack("<I", struct.pack("<f", 666.6))[0]),
        "global_f64": api.GlobalInstance(GlobalType("f64", False), struct.unpack("<Q", struct.pack("<d", 666.6))[0]),
        "table": api.TableInstance(TableType(Limits(10, 20), "funcref")),
        "memory": api.MemoryInstance(MemType(Limits(1, 2))),
    }


class Ref:
    """An externref host value as the suite writes it: ``ref.extern N``."""

    def __init__(self, n: int):
        self.n = n

    def __eq__(self, other):
        return isinstance(other, Ref) and other.n == self.n

    def __hash__(self):
        return hash(self.n)


_LANE_BITS = {"i8": 8, "i16": 16, "i32": 32, "i64": 64, "f32": 32, "f64": 64}


def parse_value(v: dict):
    t = v["type"]
    if t in ("i32", "i64", "f32", "f64"):
        bits = 32 if t in ("i32", "f32") else 64
        return int(v["value"]) & ((1 << bits) - 1)
    if t == "v128":
        w = _LANE_BITS[v["lane_type"]]
        r = 0
        for i, x in enumerate(v["value"]):
            r |= (int(x) & ((1 << w) - 1)) << (i * w)
        return r
    if t == "externref":
        return None if v["value"] == "null" else Ref(int(v["value"]))
    if t == "funcref":
        return None if v.get("value") == "null" else v.get("value")
    raise ValueError(t)


def _nan_ok(kind: str, bits: int, width: int) -> bool:
    if width == 32:
        exp, frac, quiet = 0x7F800000, 0x7FFFFF, 0x400000
    else:
        exp, frac, quiet = 0x7FF0000000000000, 0xFFFFFFFFFFFFF, 0x8000000000000
    if bits & exp != exp or not bits & frac:
        return False
    if kind == "nan:canonical":
        return bits & frac == quiet
    return bool(bits & quiet)


def match(expected: dict, got) -> bool:
    t = expected["type"]
    val = expected.get("value")
    if t in ("f32", "f64") and isinstance(val, str) and val.startswith("nan:"):
        return _nan_ok(val, got, 32 if t == "f32" else 64)
    if t == "v128":
        w = _LANE_BITS[expected["lane_type"]]
        for i, x in enumerate(expected["value"]):
            lane = (got >> (i * w)) & ((1 << w) - 1)
            if isinstance(x, str) and x.startswith("nan:"):
                if not _nan_ok(x, lane, w):
                    return False
            elif lane != int(x) & ((1 << w) - 1):
                return False
        return True
    if t == "funcref":
        if val is None:
            return got is not None and not isinstance(got, Ref)
        return got is None if val == "null" else got is not None
    if t == "externref":
        if val is None:
            return got is not None
        return got is None if val == "null" else got == Ref(int(val))
    return got == parse_value(expected)


class Runner:
    def __init__(self, tier: str, directory: Path, **options):
        self.store = api.Store(tier=tier, **options)
        self.dir = directory
        self.registered = {"spectest": spectest(self.store)}
        self.modules: dict[str | None, api.Instance] = {}
        self.last = None

    def load(self, filename: str) -> api.Module:
        return api.Module.from_bytes((self.dir / filename).read_bytes())

    def instantiate(self, filename: str) -> api.Instance:
        m = self.load(filename)
        return self.store.instantiate(m, self.registered)

    def action(self, a: dict) -> list:
        inst = self.modules[a.get("module")] if a.get("module") else self.last
        if a["type"] == "invoke":
            return inst.invoke(a["field"], [parse_value(v) for v in a["args"]])
        g = inst.exports[a["field"]]
        return [g.value]

    def run(self, cmd: dict) -> bool | None:
        """True pass, False fail, None not applicable."""
        t = cmd["type"]
        if t == "module":
            filename = cmd["filename"] if cmd.get("module_type", "binary") == "binary" else cmd.get("binary_filename")
            if filename is None:
                return None
            inst = self.instantiate(filename)
            self.last = inst
            if cmd.get("name"):
                self.modules[cmd["name"]] = inst
            return True
        if t == "register":
            inst = self.modules[cmd["name"]] if cmd.get("name") else self.last
            self.registered[cmd["as"]] = dict(inst.exports)
            return None
        if t == "action":
            self.action(cmd["action"])
            return True
        if t == "assert_return":
            got = self.action(cmd["action"])
            exp = cmd["expected"]
            return len(got) == len(exp) and all(match(e, g) for e, g in zip(exp, got, strict=True))
        if t in ("assert_trap", "assert_exhaustion"):
            want = Exhaustion if t == "assert_exhaustion" else Trap
            try:
                if "action" in cmd:
                    self.action(cmd["action"])
                else:
                    self.instantiate(cmd["filename"])
            except want:
                return True
            except Trap:
                return t == "assert_trap"
            return False
        if t == "assert_uninstantiable":
            try:
                self.instantiate(cmd["filename"])
            except Trap:
                return True
            return False
        if t == "assert_unlinkable":
            try:
                self.instantiate(cmd["filename"])
            except LinkError:
                return True
            return False
        if t in ("assert_invalid", "assert_malformed"):
            if cmd.get("module_type") != "binary":
                return None
            try:
                self.load(cmd["filename"])
            except (ValidationError, MalformedError):
                return True
            return False
        return None


def convert(name: str) -> Path:
    out = JSON_DIR / name
    js = out / f"{name}.json"
    if not js.exists():
        out.mkdir(parents=True, exist_ok=True)
        subprocess.run([str(WASM_TOOLS), "json-from-wast", str(SUITE / f"{name}.wast"), "-o", str(js),
                        "--wasm-dir", str(out)], check=True, capture_output=True, timeout=120)
    return js


def run_file(name: str, tier: str = "interp", **options) -> tuple[int, int, list[str]]:
    js = convert(name)
    cmds = json.loads(js.read_text())["commands"]
    r = Runner(tier, js.parent, **options)
    passed = total = 0
    fails = []
    for cmd in cmds:
        try:
            ok = r.run(cmd)
        except Exception as e:  # noqa: BLE001 - report everything as a failure of this command
            ok = False
            err = f"{type(e).__name__}: {e}"[:200]
        else:
            err = ""
        if ok is None:
            continue
        total += 1
        if ok:
            passed += 1
        else:
            fails.append(f"{name}:{cmd.get('line')} {cmd['type']} {err}")
    return passed, total, fails


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("names", nargs="*")
    ap.add_argument("--tier", default="interp")
    ap.add_argument("--simd", action="store_true", help="only the simd_* files")
    ap.add_argument("--all", action="store_true", help="non-SIMD and SIMD files")
    ap.add_argument("-v", "--verbose", action="count", default=0)
    ap.add_argument("--flat", action="store_true", help="interp tier: force the flat fallback translation")
    args = ap.parse_args()
    names = args.names or sorted(p.stem for p in SUITE.glob("*.wast")
                                 if args.all or (p.stem.startswith("simd_") == args.simd))
    sys.setrecursionlimit(max(sys.getrecursionlimit(), 10000))
    gp = gt = 0
    for name in names:
        t0 = time.time()
        try:
            p, t, fails = run_file(name, args.tier, **({"force_flat": True} if args.flat else {}))
        except subprocess.CalledProcessError as e:
            print(f"{name}: conversion failed: {e.stderr[:200]}")
            continue
        gp += p
        gt += t
        print(f"{name}: {p}/{t} ({time.time() - t0:.1f}s)", flush=True)
        for f in fails[: 5 + 100 * args.verbose]:
            print("   ", f)
    print(f"TOTAL {gp}/{gt}")
    return 0 if gp == gt else 1


if __name__ == "__main__":
    math.isfinite(0.0)
    sys.exit(main())
