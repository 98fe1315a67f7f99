"""Measure the engine's front end (decoder + validator + encoder) against the official spec testsuite.

For every ``.wast`` in the suite this converts it as the harness's spec runner does (``harness.spec.convert``:
``wasm-tools json-from-wast``, cached by content), then checks every command that carries a *binary* module:

* ``module`` / ``assert_unlinkable`` / ``assert_uninstantiable``: decodes and validates ("valid");
  with ``--roundtrip`` also ``decode(encode(decode(x))) == decode(x)``;
* ``assert_malformed``: raises ``MalformedError`` ("malformed");
* ``assert_invalid``: raises ``ValidationError`` ("invalid").

A message "matches" when it starts with the suite's expected text (the spec harness's rule).
Text modules (``module_type: text``) belong to the text-format parser and are skipped.

    .venv/bin/python tests/engine/conformance_frontend.py [--roundtrip] [-v] [FILTER ...]
"""

from __future__ import annotations

import argparse
import copy
import dataclasses
import json
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from official_spec import SUITE  # noqa: E402

from harness.engine import syntax as S  # noqa: E402
from harness.engine.binary import decode_module, encode_module  # noqa: E402
from harness.engine.errors import MalformedError, ValidationError  # noqa: E402
from harness.engine.valid import validate_module  # noqa: E402
from harness.spec.convert import convert  # noqa: E402

CLASSES = ("valid", "malformed", "invalid")


def _strip(m):
    """A module with the byte offsets of function bodies zeroed, for structural comparison."""
    m = copy.copy(m)
    m.funcs = [S.Func(f.type_idx, f.locals, f.body) for f in m.funcs]
    return m


@dataclasses.dataclass
class Outcome:
    cls: str
    ok: bool
    text_ok: bool
    detail: str = ""


def check_command(cmd: dict, wasm: bytes, roundtrip: bool) -> Outcome | None:
    kind = cmd["type"]
    if kind in ("module", "assert_unlinkable", "assert_uninstantiable"):
        try:
            m = decode_module(wasm)
            validate_module(m)
        except (MalformedError, ValidationError) as e:
            return Outcome("valid", False, False, f"rejected: {type(e).__name__}: {e}")
        except Exception as e:  # noqa: BLE001 - a crash is exactly what this script must report
            return Outcome("valid", False, False, f"CRASH {type(e).__name__}: {e}")
        if roundtrip:
            try:
                again = decode_module(encode_module(m))
            except Exception as e:  # noqa: BLE001
                return Outcome("valid", False, True, f"roundtrip failed: {type(e).__name__}: {e}")
            if _strip(again) != _strip(m):
                return Outcome("valid", False, True, "roundtrip differs")
        return Outcome("valid", True, True)
    if kind in ("assert_malformed", "assert_invalid"):
        cls = "malformed" if kind == "assert_malformed" else "invalid"
        want = MalformedError if cls == "malformed" else ValidationError
        expected = cmd.get("text", "")
        try:
            m = decode_module(wasm)
            validate_module(m)
        except (MalformedError, ValidationError) as e:
            text_ok = e.message.startswith(expected)
            ok = isinstance(e, want)
            detail = "" if ok and text_ok else f"{type(e).__name__}: {e.message!r}, expected {expected!r}"
            return Outcome(cls, ok, ok and text_ok, detail)
        except Exception as e:  # noqa: BLE001
            return Outcome(cls, False, False, f"CRASH {type(e).__name__}: {e}")
        return Outcome(cls, False, False, f"accepted, expected {expected!r}")
    return None


def run(suite: Path, filters: list[str], roundtrip: bool, verbose: bool, out=sys.stdout) -> dict:
    totals = {c: Counter() for c in CLASSES}
    failures: list[str] = []
    rows = []
    for wast in sorted(suite.glob("*.wast")):
        if filters and not any(f in wast.stem for f in filters):
            continue
        js = convert(wast)
        commands = json.loads(js.read_text())["commands"]
        per = {c: Counter() for c in CLASSES}
        for cmd in commands:
            if cmd.get("module_type") != "binary" or "filename" not in cmd:
                continue
            wasm = (js.parent / cmd["filename"]).read_bytes()
            res = check_command(cmd, wasm, roundtrip)
            if res is None:
                continue
            for counter in (per[res.cls], totals[res.cls]):
                counter["total"] += 1
                counter["pass"] += res.ok
                counter["text"] += res.text_ok
            if res.detail:
                failures.append(f"{wast.name}:{cmd['line']}: {res.cls}: {res.detail}")
        rows.append((wast.stem, per))
    if verbose:
        for name, per in rows:
            cells = "  ".join(f"{c} {per[c]['pass']}/{per[c]['total']} (text {per[c]['text']})"
                              for c in CLASSES if per[c]["total"]) or "(no binary modules)"
            print(f"{name:40s} {cells}", file=out)
    for line in failures:
        print(line, file=out)
    print("class       pass/total   message text matches", file=out)
    for c in CLASSES:
        t = totals[c]
        print(f"{c:10s}  {t['pass']:5d}/{t['total']:<5d}  {t['text']:5d}", file=out)
    return {"totals": totals, "failures": failures}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("filters", nargs="*", help="only .wast files whose name contains one of these")
    ap.add_argument("--suite", type=Path, default=SUITE, help="a folder of .wast files (default: the spec-2.0 suite)")
    ap.add_argument("--roundtrip", action="store_true", help="also check decode(encode(decode(x))) == decode(x)")
    ap.add_argument("-v", "--verbose", action="store_true", help="per-file counts")
    args = ap.parse_args(argv)
    if args.suite is None or not args.suite.is_dir():
        print(f"error: no testsuite at {args.suite} (harness suites fetch spec-2.0, or pass --suite)", file=sys.stderr)
        return 2
    t0 = time.time()
    res = run(args.suite, args.filters, args.roundtrip, args.verbose)
    print(f"({time.time() - t0:.1f}s)")
    return 1 if res["failures"] else 0


if __name__ == "__main__":
    sys.exit(main())
