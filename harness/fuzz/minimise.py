"""Minimising a finding with ``wasm-tools shrink`` under a predicate that keeps the same disagreement.

``wasm-tools shrink PREDICATE IN -o OUT`` mutates the module towards smaller ones and keeps a candidate
when ``PREDICATE CANDIDATE`` exits 0.  Starting our engines for every candidate would cost seconds each, so
the predicate is a few lines of shell (~1 ms to start; Python takes ~200 ms on a loaded machine) that
hands the candidate's path through a named pipe to a server thread in the harness, which runs it on the
workers it already has and answers whether the *same* disagreement happens: the same kind, and the same engines split
off from the others (``same_disagreement``).  Only the engines of the finding take part: its minority and
up to two of its majority, the most trusted first.

Hangs are not minimised (every candidate would cost the timeout); they are written as generated.
"""

from __future__ import annotations

import os
import stat
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from .compare import Disagreement, compare, reference_rank
from .engines import EngineWorker, run_all
from .plan import make_plan

SHRINK_TIMEOUT = 900.0  # all rounds of one finding
ROUNDS = 4

# The predicate: a POSIX shell script (a Python one costs ~200 ms to start on a loaded machine, more than the
# engines take), asking the harness through two named pipes.  shrink runs one predicate at a time.
_PREDICATE = """#!/bin/sh
printf '%s\\n' "$1" > "{req}"
read -r answer < "{resp}"
[ "$answer" = 1 ]
"""


def same_disagreement(found: Disagreement, candidate: list[Disagreement]) -> bool:
    """Whether ``candidate`` (a verdict's disagreements) repeats ``found``: the same kind with the same engines
    on one side (either side: with two engines the majority is a matter of ties)."""
    side = frozenset(found.minority)
    return any(d.kind == found.kind and side in (frozenset(d.minority), frozenset(d.majority)) for d in candidate)


def predicate_engines(found: Disagreement, order: list[str]) -> list[str]:
    """The engines a candidate runs on: a crash or garbage needs only the engine that fails (each interesting
    candidate costs it a restart, seconds for an engine that loads LLVM); a disagreement of values needs its
    minority and up to two of its majority, the most trusted first."""
    if found.kind in ("crash", "garbage"):
        return [e for e in order if e in found.minority]
    return witness_engines(found, order)


def witness_engines(found: Disagreement, order: list[str]) -> list[str]:
    """The finding's minority and up to two of its majority, the most trusted first (they run the minimised
    module once more to give its .wast the majority's answers)."""
    trusted = sorted(found.majority, key=lambda e: reference_rank(e, order))
    chosen = set(found.minority) | set(trusted[:2])
    return [e for e in order if e in chosen]


@dataclass
class ShrinkResult:
    wasm: bytes
    shrunk: bool
    note: str  # what happened, for the finding's record
    candidates: int = 0


class _Server:
    """Answers the predicate's questions (a path on the request pipe, 1 or 0 on the answer pipe) with the job's
    workers, on a thread of its own."""

    def __init__(self, folder: Path, workers: dict[str, EngineWorker], engines: list[str], found: Disagreement,
                 name: str):
        self.workers, self.engines, self.found, self.name = workers, engines, found, name
        self.req, self.resp = folder / "req", folder / "resp"
        os.mkfifo(self.req)
        os.mkfifo(self.resp)
        self.asked = 0
        self.closing = False
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def interesting(self, wasm: bytes) -> bool:
        plan = make_plan(wasm, self.name)
        answers = run_all({e: self.workers[e] for e in self.engines}, wasm, plan.to_json())
        verdict = compare(answers, self.engines, [c.describe() for c in plan.calls])
        return same_disagreement(self.found, verdict.disagreements)

    def _serve(self) -> None:
        while True:
            with open(self.req) as f:  # blocks until the predicate (or close) opens it for writing
                path = f.readline().strip()
            if self.closing:
                return
            try:
                self.asked += 1
                ok = self.interesting(Path(path).read_bytes())
            except Exception:  # noqa: BLE001 - a candidate we cannot judge is not interesting
                ok = False
            with open(self.resp, "w") as f:
                f.write("1\n" if ok else "0\n")

    def close(self) -> None:
        self.closing = True
        try:
            fd = os.open(self.req, os.O_WRONLY | os.O_NONBLOCK)  # wakes the server if it waits for a question
            os.close(fd)
        except OSError:
            pass  # nobody reading: the server is not waiting there
        self.thread.join(timeout=5)


def shrink(wasm: bytes, found: Disagreement, workers: dict[str, EngineWorker], order: list[str], name: str,
           tool: Path, attempts: int) -> ShrinkResult:
    """The smallest module ``wasm-tools shrink`` finds in ``attempts`` tries that repeats ``found``."""
    if found.kind == "hang":
        return ShrinkResult(wasm, False, "hangs are not minimised (each candidate would cost the timeout)")
    engines = predicate_engines(found, order)
    with tempfile.TemporaryDirectory(prefix="harness-shrink-") as tmp:
        d = Path(tmp)
        server = _Server(d, workers, engines, found, name)
        try:
            pred = d / "predicate"
            pred.write_text(_PREDICATE.format(req=server.req, resp=server.resp))
            pred.chmod(pred.stat().st_mode | stat.S_IXUSR)
            src, out = d / "in.wasm", d / "out.wasm"
            src.write_bytes(wasm)
            if not server.interesting(wasm):
                return ShrinkResult(wasm, False, "not reproduced by a fresh run on "
                                    f"{', '.join(engines)}: kept as generated (flaky?)")
            small, rounds = wasm, 0
            env = {**os.environ, "RUST_LOG": "off"}
            deadline = time.monotonic() + SHRINK_TIMEOUT
            # shrink stops in a local minimum (a value nothing else can remove alone); another round with
            # another seed often gets out of it, so rounds go on while they gain
            for seed in range(42, 42 + ROUNDS):
                src.write_bytes(small)
                argv = [str(tool), "shrink", "--attempts", str(attempts), "--seed", str(seed), str(pred), str(src),
                        "-o", str(out)]
                try:
                    p = subprocess.run(argv, capture_output=True, cwd=tmp, env=env,
                                       timeout=max(deadline - time.monotonic(), 1))
                except subprocess.TimeoutExpired:
                    if rounds:
                        break
                    return ShrinkResult(wasm, False, f"wasm-tools shrink took over {SHRINK_TIMEOUT:.0f}s",
                                        server.asked)
                if p.returncode == 0 and not out.is_file():
                    break  # shrink writes nothing when it found nothing smaller
                if p.returncode != 0 or not out.is_file():
                    if rounds:
                        break
                    lines = [ln.strip() for ln in p.stderr.decode("utf-8", "replace").splitlines() if ln.strip()]
                    why = next((ln for ln in lines if ln.startswith("error")),
                               lines[0] if lines else f"status {p.returncode}")
                    return ShrinkResult(wasm, False, f"wasm-tools shrink failed: {why}", server.asked)
                rounds += 1
                smaller = out.read_bytes()
                out.unlink()
                if len(smaller) >= len(small):
                    break
                small = smaller
            if small is wasm:
                return ShrinkResult(wasm, False, f"wasm-tools shrink found nothing smaller in {server.asked} "
                                    f"candidates on {', '.join(engines)}", server.asked)
            return ShrinkResult(small, True, f"{len(wasm)} -> {len(small)} bytes in {server.asked} candidates, "
                                f"{rounds} rounds, on {', '.join(engines)}", server.asked)
        finally:
            server.close()
