"""A finding's signature (which engines disagree, how, on which instructions) and whether it is known.

Two findings are the same bug when the same engines disagree with the same others in the same way on the
same instructions: ``kind | minority vs majority | class``.  The class is the set of instructions left in
the *minimised* module once the instructions every module has are set aside (locals, constants, control,
calls, and the fuel check smith adds: ``global.get``/``global.set``/``i32.eqz``/``i32.sub``... are kept only
when nothing else is left), so an ``i32.rotl`` bug reads ``i32.rotl`` whichever random module found it.
A finding whose signature the results database holds from an earlier run is *known*: stored again (so the
database counts how often it recurs) but not reported as new.
"""

from __future__ import annotations

import re
import subprocess
from collections import Counter
from pathlib import Path

from ..results.store import ResultsStore

SUITE = "fuzz"
METRIC = "finding"
MAX_CLASS = 4

_STRUCTURAL = {"block", "loop", "if", "else", "end", "br", "br_if", "br_table", "return", "call", "drop", "nop",
               "local.get", "local.set", "local.tee", "i32.const", "i64.const", "f32.const", "f64.const",
               "v128.const", "then", "unreachable", "select", "ref.null", "ref.func"}
_FUEL = {"global.get", "global.set", "i32.eqz", "i32.sub"}
_INSTR = re.compile(r"^\s*\(?([a-z][a-z0-9_]*(?:\.[a-z0-9_]+)?)\b")
_DECL = {"module", "type", "func", "param", "result", "local", "table", "memory", "global", "export", "import",
         "elem", "data", "start", "mut", "offset", "item", "rec", "sub", "tag", "struct", "array", "field"}


def instruction_class(wasm: bytes, tool: Path) -> str:
    """The instructions that characterise ``wasm`` (see the module doc), ``+N`` when more than ``MAX_CLASS``."""
    try:
        p = subprocess.run([str(tool), "print"], input=wasm, capture_output=True, timeout=60)
    except (OSError, subprocess.TimeoutExpired):
        return "unknown"
    if p.returncode != 0:
        return "unprintable"
    return class_of_text(p.stdout.decode("utf-8", "replace"))


def class_of_text(wat: str) -> str:
    found: set[str] = set()
    for line in wat.splitlines():
        m = _INSTR.match(line)
        if m and m.group(1) not in _DECL:
            found.add(m.group(1))
    rest = found - _STRUCTURAL - _FUEL or found & _FUEL or found
    names = sorted(rest)
    if not names:
        return "empty"
    return " ".join(names[:MAX_CLASS]) + (f" +{len(names) - MAX_CLASS}" if len(names) > MAX_CLASS else "")


def signature(kind: str, engines_key: str, iclass: str) -> str:
    return f"{kind} | {engines_key} | {iclass}"


def known_signatures(store: ResultsStore | None) -> Counter[str]:
    """Signature -> how many findings earlier runs stored with it (read once, when a run starts)."""
    if store is None:
        return Counter()
    df = store.dataframe(suite=SUITE)
    if df.empty:
        return Counter()
    return Counter(df.loc[df["metric"] == METRIC, "file"])
