"""The text parser over the official spec testsuite (slow; needs the suite and wasm-tools).

For every ``.wast`` file, converted with ``wasm-tools json-from-wast`` by the harness's spec runner
(``harness.spec.convert``, cached by content):

* text modules wasm-tools left as text (``module quote``) must parse; ``assert_malformed`` text modules must
  raise MalformedError with the suite's wording (a prefix of our message);
* every ``(module ...)`` command of the ``.wast`` (also those inside assertions) is parsed by us and compared
  with the binary wasm-tools produced: byte-equal (ignoring custom sections), or equal after decoding both
  (the encoder may choose another of the equivalent element-segment encodings).

Run ``pytest -m slow tests/engine/test_text_suite.py`` or ``python tests/engine/test_text_suite.py`` for
per-file counts.
"""

from __future__ import annotations

import collections
import json
import sys
from pathlib import Path

import pytest
from official_spec import NOT_FETCHED, WAST_FILES

from harness.engine.binary import decode_module
from harness.engine.errors import MalformedError
from harness.engine.text import parse_module
from harness.engine.text.script import parse_script
from harness.spec.convert import convert

pytestmark = [pytest.mark.slow, pytest.mark.official]

_MODULE_ASSERTS = (
    "assert_invalid",
    "assert_unlinkable",
    "assert_uninstantiable",
    "assert_trap",
    "assert_malformed",
)


def _strip_customs(b: bytes) -> bytes:
    out, i = bytearray(b[:8]), 8
    while i < len(b):
        sid, j, size, shift = b[i], i + 1, 0, 0
        while True:
            x = b[j]
            j += 1
            size |= (x & 0x7F) << shift
            shift += 7
            if not x & 0x80:
                break
        if sid != 0:
            out += b[i : j + size]
        i = j + size
    return bytes(out)


def _normalised(data: bytes):
    m = decode_module(data)
    m.customs, m.func_names = [], {}
    for f in m.funcs:
        f.offset = 0
    return m


def check_file(wast: Path) -> tuple[collections.Counter, list[str]]:
    """Counts and failure descriptions for one ``.wast`` file."""
    counts: collections.Counter = collections.Counter()
    failures: list[str] = []
    json_path = convert(wast)
    json_dir = json_path.parent
    commands = json.loads(json_path.read_text())["commands"]
    for cmd in commands:
        if cmd.get("module_type") != "text":
            continue
        text = (json_dir / cmd["filename"]).read_text(encoding="utf-8", errors="surrogateescape")
        where = f"{wast.name}:{cmd['line']}"
        try:
            parse_module(text)
            ok = cmd["type"] != "assert_malformed"
            counts["quote_ok" if ok else "malformed_missed"] += 1
            if not ok:
                failures.append(f"{where}: parsed, but the suite expects {cmd['text']!r}")
        except MalformedError as e:
            if cmd["type"] != "assert_malformed":
                counts["quote_failed"] += 1
                failures.append(f"{where}: {e}")
            elif not e.message.startswith(cmd["text"]):
                counts["malformed_wording"] += 1
                failures.append(f"{where}: wording {e.message!r}, suite expects {cmd['text']!r}")
            else:
                counts["malformed_ok"] += 1
    binaries = {
        c["line"]: c["filename"] for c in commands if c.get("module_type") == "binary" and "filename" in c
    }
    src = wast.read_text(encoding="utf-8")
    for com in parse_script(src):
        if com.kind == "module":
            text, offset = com.text, com.offset
        elif com.kind in _MODULE_ASSERTS and com.children and com.children[0].startswith("(module"):
            text = com.children[0]
            offset = com.offset + com.text.index(text)
        else:
            continue
        line = src.count("\n", 0, offset) + 1
        ref = binaries.get(line) or binaries.get(line + text[: max(text.find("module"), 0)].count("\n"))
        if ref is None:
            continue  # a quoted module wasm-tools kept as text: checked above
        where = f"{wast.name}:{line}"
        theirs = (json_dir / ref).read_bytes()
        try:
            mine = parse_module(text)
        except Exception as e:  # any failure is recorded, whatever it is
            counts["module_failed"] += 1
            failures.append(f"{where}: {type(e).__name__}: {e}")
            continue
        if mine == theirs or _strip_customs(mine) == _strip_customs(theirs):
            counts["module_bytes_equal"] += 1
        elif _normalised(mine) == _normalised(theirs):
            counts["module_decoded_equal"] += 1
        else:
            counts["module_differs"] += 1
            failures.append(f"{where}: bytes differ from wasm-tools'")
    return counts, failures


@pytest.mark.skipif(not WAST_FILES, reason=NOT_FETCHED)
@pytest.mark.parametrize("wast", WAST_FILES, ids=lambda p: p.stem)
def test_text_parser_on_spec_file(wast):
    counts, failures = check_file(wast)
    assert not failures, "\n".join(failures[:20])


def main() -> int:
    if not WAST_FILES:
        print(NOT_FETCHED)
        return 2
    total: collections.Counter = collections.Counter()
    all_failures = []
    for wast in WAST_FILES:
        counts, failures = check_file(wast)
        print(f"{wast.stem:40} " + " ".join(f"{k}={v}" for k, v in sorted(counts.items())))
        total.update(counts)
        all_failures += failures
    print("TOTAL", " ".join(f"{k}={v}" for k, v in sorted(total.items())))
    for f in all_failures:
        print("FAIL", f)
    return 1 if all_failures else 0


if __name__ == "__main__":
    sys.exit(main())
