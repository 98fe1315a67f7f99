"""A finding on disk: the module as generated, minimised (.wasm and .wat), a .wast script asserting what
the majority of engines did, ``finding.json`` (everything stored in the database too) and a README with
the one command that reproduces it.

The .wast embeds the binary (``module binary``) so it tests exactly the bytes that disagreed, then asserts
the majority's observation at every step up to the disagreement: each call's results or trap, and the
exported global that differed.  A memory that differs cannot be asserted in a script, so its hashes are a
comment.  Nothing here decides anything; a full disk or an unwritable folder raises ``OSError`` for the
runner to record (the finding is in the results database regardless).
"""

from __future__ import annotations

import json
import re
import struct
import subprocess
from pathlib import Path
from typing import Any

from .compare import Disagreement, nan_free

TRAP_TEXT = {"memory": "out of bounds memory access", "div0": "integer divide by zero",
             "overflow": "integer overflow", "conversion": "invalid conversion to integer",
             "unreachable": "unreachable", "table": "out of bounds table access",
             "null": "uninitialized element", "signature": "indirect call type mismatch"}


def slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9.]+", "-", text).strip("-")[:90]


def wast_value(t: str, v: Any, result: bool = False) -> str:
    if v is None:
        return f"(ref.null {t.removesuffix('ref')})"
    if v == "ref":
        return "(ref.func)" if t == "funcref" else "(ref.extern)"
    if t in ("i32", "i64"):
        return f"({t}.const {v:#x})"
    if t == "v128":
        lanes = " ".join(f"{(v >> (32 * i)) & 0xFFFFFFFF:#x}" for i in range(4))
        return f"(v128.const i32x4 {lanes})"
    bits, frac = (32, 23) if t == "f32" else (64, 52)
    sign = "-" if v >> (bits - 1) else ""
    if nan_free(t, v) == "nan":
        return f"({t}.const nan:arithmetic)" if result else f"({t}.const {sign}nan:{v & ((1 << frac) - 1):#x})"
    x = struct.unpack("<f", struct.pack("<I", v))[0] if t == "f32" else struct.unpack("<d", struct.pack("<Q", v))[0]
    if x in (float("inf"), float("-inf")):
        return f"({t}.const {sign}inf)"
    return f"({t}.const {x.hex()})"


def _invoke(call: list) -> str:
    export, args = call
    return f'(invoke "{export}"{"".join(" " + wast_value(t, v) for t, v in args)})'


def _binary(wasm: bytes) -> str:
    chunks = ["".join(f"\\{b:02x}" for b in wasm[i:i + 32]) for i in range(0, len(wasm), 32)]
    return "(module binary\n" + "\n".join(f'  "{c}"' for c in chunks) + ")"


def _assertion(obs: dict, action: str) -> str:
    from ..spec.traps import trap_class

    r = obs["r"]
    if r == "ok":
        return f"(assert_return {action}{''.join(' ' + wast_value(t, v, True) for t, v in obs.get('v', []))})"
    if r == "trap":
        cls = trap_class(obs.get("k"))
        return f'(assert_trap {action} "{TRAP_TEXT.get(cls or "", (obs.get("k") or "trap").replace(chr(34), ""))}")'
    if r == "exhaustion":
        return f'(assert_exhaustion {action} "call stack exhausted")'
    return f";; {action}: {r} {obs.get('k', '')}"


def wast_script(wasm: bytes, plan: dict, majority_answer: dict, d: Disagreement, header: list[str]) -> str:
    """The .wast of a finding: what the majority (``majority_answer``) did, step by step up to ``d``."""
    lines = [f";; {h}" for h in header]
    module = _binary(wasm)
    if d.step == -1 and "compile" in majority_answer:
        lines.append(f'(assert_invalid {module} "{majority_answer["compile"].replace(chr(34), "")}")')
        return "\n".join(lines) + "\n"
    inst = majority_answer.get("inst", {"r": "ok"})
    if inst["r"] == "trap":
        lines.append(_assertion(inst, module).replace("(assert_trap ", "(assert_trap ", 1))
        return "\n".join(lines) + "\n"
    lines.append(module)
    calls = plan["calls"]
    last = len(majority_answer.get("calls", [])) if d.step < 1 else d.step
    refuel = f'(invoke "{plan["refuel"]}")' if plan.get("refuel") else None
    for k, obs in enumerate(majority_answer.get("calls", [])[:last]):
        if refuel:
            lines.append(refuel)
        lines.append(_assertion(obs, _invoke(calls[k])))
    if d.kind == "global" and d.step >= 0:
        state = (inst if d.step == 0 else majority_answer["calls"][d.step - 1]).get("s", {})
        for name, (t, v) in state.get("g", {}).items():
            if any(f"global {name} " in s for s in d.said.values()):
                lines.append(f'(assert_return (get "{name}") {wast_value(t, v, True)})')
    if d.kind == "memory":
        lines += [f";; {e}: {s}" for e, s in d.said.items()]
    return "\n".join(lines) + "\n"


def write_finding(folder: Path, record: dict, original: bytes, small: bytes, wast: str, tool: Path,
                  reproduce: str) -> Path:
    """Write one finding's files into ``folder`` (created); returns it.  Raises OSError."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "module.wasm").write_bytes(original)
    (folder / "min.wasm").write_bytes(small)
    try:
        p = subprocess.run([str(tool), "print", str(folder / "min.wasm")], capture_output=True, timeout=60)
        wat = p.stdout.decode("utf-8", "replace") if p.returncode == 0 else f";; wasm-tools print failed: {p.stderr!r}\n"
    except (OSError, subprocess.TimeoutExpired) as e:
        wat = f";; wasm-tools print could not run: {e}\n"
    (folder / "min.wat").write_text(wat)
    (folder / "min.wast").write_text(wast)
    (folder / "finding.json").write_text(json.dumps(record, indent=1, sort_keys=True) + "\n")
    (folder / "README.md").write_text(
        f"# {record['signature']}\n\n{record['where']}\n\n"
        + "".join(f"- {e}: {s}\n" for e, s in record["said"].items())
        + (f"\nwabt's interpreter on min.wast: {record['wabt']}\n" if record.get("wabt") else "")
        + f"\nReproduce:\n\n    {reproduce}\n\nThe module as generated: `{record['regenerate']}`\n")
    return folder
