"""``python -m harness.spec.worker ENGINE SCRIPT.json [--line N]``: run one converted script on an
in-process engine and stream one JSON line per outcome to stdout.

Running each file in its own process means a segfault, an abort or a hang inside an engine costs only the
rest of that file: the parent keeps every line already streamed and marks the rest crash / timeout.
The last line is ``{"done": true}``; a driver that cannot start prints ``{"fatal": "..."}``.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import traceback

from .drivers import load_driver
from .executor import run_script
from .script import load_script


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m harness.spec.worker")
    p.add_argument("engine", help="runtime:tier")
    p.add_argument("script", help="converted JSON script")
    p.add_argument("--line", type=int, default=None)
    args = p.parse_args(argv)
    runtime, _, tier = args.engine.partition(":")
    # Outcomes get the real stdout to themselves; whatever an engine's C library prints (wasm3 prints
    # backtraces) goes to stderr instead of corrupting the JSON lines.
    out = os.fdopen(os.dup(1), "w")
    os.dup2(2, 1)
    sys.setrecursionlimit(max(sys.getrecursionlimit(), 20000))
    try:
        driver = load_driver(runtime, tier)
    except Exception as e:  # noqa: BLE001 - reported to the parent as one line
        out.write(json.dumps({"fatal": f"cannot start {args.engine}: {type(e).__name__}: {e}"}) + "\n")
        return 3
    script = load_script(args.script)
    try:
        for outcome in run_script(driver, script, args.line):
            out.write(json.dumps(outcome.to_dict()) + "\n")
            out.flush()
    except Exception as e:  # noqa: BLE001 - the executor itself failed; the parent marks the rest
        out.write(json.dumps({"fatal": "".join(traceback.format_exception_only(e)).strip()}) + "\n")
        return 3
    finally:
        try:
            driver.close()
        except Exception:  # noqa: BLE001
            pass
    out.write(json.dumps({"done": True}) + "\n")
    out.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
