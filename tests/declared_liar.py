"""A CLI that lies: runs the real command after its first two arguments and plants one fault in what an
``--invoke`` run gives back, for ``test_declared_wasmtime.py`` (a declared engine must fail these checks,
never pass them).

    python declared_liar.py MODE PROGRAM ARGS...

MODE: ``off-by-one`` adds 1 to the last integer printed; ``garbage`` prints text that is no result;
``no-replay`` drops the ``--preload`` of every replay module (``__r*``), so the state of earlier actions
is lost; ``honest`` changes nothing.  Runs without ``--invoke`` (compile, instantiate) pass through.
"""

from __future__ import annotations

import re
import subprocess
import sys


def main() -> int:
    mode, argv = sys.argv[1], sys.argv[2:]
    if "--invoke" not in argv:
        return subprocess.run(argv).returncode
    if mode == "no-replay":
        kept: list[str] = []
        for arg in argv:
            if kept and kept[-1] == "--preload" and arg.startswith("__r"):
                kept.pop()
                continue
            kept.append(arg)
        argv = kept
    done = subprocess.run(argv, capture_output=True, text=True)
    out = done.stdout
    if mode == "off-by-one":
        numbers = list(re.finditer(r"-?\d+", out))
        if numbers:
            last = numbers[-1]
            out = out[:last.start()] + str(int(last.group()) + 1) + out[last.end():]
    elif mode == "garbage":
        out = "result: <unprintable>\n" * max(1, out.count("\n"))
    sys.stdout.write(out)
    sys.stderr.write(done.stderr)
    return done.returncode


if __name__ == "__main__":
    sys.exit(main())
