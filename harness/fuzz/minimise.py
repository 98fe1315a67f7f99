"""Minimising a finding with ``wasm-tools shrink`` under a predicate that keeps the same disagreement.

``wasm-tools shrink PREDICATE IN -o OUT`` mutates the module towards smaller ones and keeps a candidate
when ``PREDICATE CANDIDATE`` exits 0.  Starting our engines for every candidate would cost seconds each, so
the predicate is a few lines of Python (started with ``-S -I``: no site packages, ~15 ms) that sends the
candidate's path over a Unix socket to a server thread in the harness, which runs it on the workers it
already has and answers whether the *same* disagreement happens: the same kind, and the same engines split
off from the others (``same_disagreement``).  Only the engines of the finding take part: its minority and
up to two of its majority, the most trusted first.

Hangs are not minimised (every candidate would cost the timeout); they are written as generated.
"""

from __future__ import annotations

import os
import socket
import stat
import subprocess
import sys
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path

from .compare import Disagreement, compare, reference_rank
from .engines import EngineWorker
from .plan import make_plan

SHRINK_TIMEOUT = 900.0

_PREDICATE = """\
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.connect({sock!r})
s.sendall(sys.argv[1].encode() + b"\\n")
answer = s.recv(8)
sys.exit(0 if answer.startswith(b"1") else 1)
"""


def same_disagreement(found: Disagreement, candidate: list[Disagreement]) -> bool:
    """Whether ``candidate`` (a verdict's disagreements) repeats ``found``: the same kind with the same engines
    on one side (either side: with two engines the majority is a matter of ties)."""
    side = frozenset(found.minority)
    return any(d.kind == found.kind and side in (frozenset(d.minority), frozenset(d.majority)) for d in candidate)


def predicate_engines(found: Disagreement, order: list[str]) -> list[str]:
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
    """Answers the predicate's questions on a Unix socket with the job's workers."""

    def __init__(self, path: str, workers: dict[str, EngineWorker], engines: list[str], found: Disagreement,
                 name: str):
        self.workers, self.engines, self.found, self.name = workers, engines, found, name
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.bind(path)
        self.sock.listen(4)
        self.asked = 0
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def interesting(self, wasm: bytes) -> bool:
        plan = make_plan(wasm, self.name)
        answers = {e: self.workers[e].run(wasm, plan.to_json()) for e in self.engines}
        verdict = compare(answers, self.engines, [c.describe() for c in plan.calls])
        return same_disagreement(self.found, verdict.disagreements)

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            with conn:
                try:
                    path = conn.makefile("rb").readline().decode().strip()
                    self.asked += 1
                    ok = self.interesting(Path(path).read_bytes())
                    conn.sendall(b"1" if ok else b"0")
                except Exception:  # noqa: BLE001 - a candidate we cannot judge is not interesting
                    try:
                        conn.sendall(b"0")
                    except OSError:
                        pass

    def close(self) -> None:
        self.sock.close()


def shrink(wasm: bytes, found: Disagreement, workers: dict[str, EngineWorker], order: list[str], name: str,
           tool: Path, attempts: int) -> ShrinkResult:
    """The smallest module ``wasm-tools shrink`` finds in ``attempts`` tries that repeats ``found``."""
    if found.kind == "hang":
        return ShrinkResult(wasm, False, "hangs are not minimised (each candidate would cost the timeout)")
    engines = predicate_engines(found, order)
    with tempfile.TemporaryDirectory(prefix="harness-shrink-") as tmp:
        d = Path(tmp)
        sock = str(d / "s")
        server = _Server(sock, workers, engines, found, name)
        try:
            pred = d / "predicate"
            pred.write_text(f"#!{sys.executable} -S -I\n" + _PREDICATE.format(sock=sock))
            pred.chmod(pred.stat().st_mode | stat.S_IXUSR)
            src, out = d / "in.wasm", d / "out.wasm"
            src.write_bytes(wasm)
            if not server.interesting(wasm):
                return ShrinkResult(wasm, False, "not reproduced by a fresh run on "
                                    f"{', '.join(engines)}: kept as generated (flaky?)")
            argv = [str(tool), "shrink", "--attempts", str(attempts), str(pred), str(src), "-o", str(out)]
            env = {**os.environ, "RUST_LOG": "off"}
            try:
                p = subprocess.run(argv, capture_output=True, timeout=SHRINK_TIMEOUT, cwd=tmp, env=env)
            except subprocess.TimeoutExpired:
                return ShrinkResult(wasm, False, f"wasm-tools shrink took over {SHRINK_TIMEOUT:.0f}s",
                                    server.asked)
            if p.returncode != 0 or not out.is_file():
                why = p.stderr.decode("utf-8", "replace").strip().splitlines()
                return ShrinkResult(wasm, False, f"wasm-tools shrink failed: {why[-1] if why else p.returncode}",
                                    server.asked)
            small = out.read_bytes()
            return ShrinkResult(small, True, f"{len(wasm)} -> {len(small)} bytes in {server.asked} candidates on "
                                f"{', '.join(engines)}", server.asked)
        finally:
            server.close()
