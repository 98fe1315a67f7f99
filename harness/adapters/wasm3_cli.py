"""wasm3 with wasm3's own WASI, through the harness's command line (``containers/wasm3-cli``): the engine
``wasm3-cli@docker:interp``, or ``wasm3-cli:interp`` with that CLI on PATH as ``wasm3-cli``.

Not the ``wasm3`` engine: that is pywasm3's wasm3 0.5 in-process with the harness's WASI host; this one is
wasm3 0.4.7 (the sources crates.io's wasm3-sys carries) with the WASI wasm3 itself implements, the thing
to compare a WASI host against.  That WASI has one preopened directory, which the guest sees by the name
it was opened with, relative to the working folder: the testsuites' layout (``BASE/GUEST`` preopened as
``GUEST``) runs in BASE with ``--dir=GUEST``; a second directory is refused by the CLI (the test fails,
saying so), and any other layout is given by its host path.
"""

from __future__ import annotations

import re
from pathlib import Path

from .base import PERF, WASI, Invocation
from .cargo_runtimes import CargoRuntimeAdapter


def preopen_base(inv: Invocation) -> str | None:
    """The folder that holds every preopen as its guest name (``BASE/GUEST`` -> ``GUEST``), else None."""
    bases = set()
    for host, guest in inv.dirs:
        hp, gp = Path(host).resolve().parts, Path(guest).parts
        if Path(guest).is_absolute() or not gp or ".." in gp or hp[-len(gp):] != gp:
            return None
        bases.add(str(Path(*hp[: len(hp) - len(gp)])))
    return bases.pop() if len(bases) == 1 else None


class Wasm3CliAdapter(CargoRuntimeAdapter):
    def __init__(self) -> None:
        super().__init__("wasm3-cli", "wasm3-cli", ("interp",),
                         "wasm3 0.4.7 with its own WASI, through the harness's CLI (containers/wasm3-cli)",
                         install_hint="harness images build wasm3-cli   (then wasm3-cli@docker)")
        # wasm3 0.4.7 predates bulk memory, sign extension and saturating conversions, which zig's clang
        # emits by default: perf gives it the programs built for WebAssembly 1.0 (``wasm32-mvp``, in its
        # label); the WASI suites' binaries are what they are (it fails them)
        self.capabilities_by_tier = {"interp": frozenset({WASI, PERF})}
        self.program_target = "wasm32-mvp"
        self.slow_tiers = frozenset({"interp"})

    def lacks(self, stderr: str) -> str | None:
        """wasm3 0.4.7's WASI lacks some preview1 functions (``fd_tell``, ``fd_pread``...): it refuses a
        program importing one when the call is made, "missing imported function 'MODULE.NAME'"."""
        found = re.search(r"missing imported function '([^']+)'", stderr)
        return f"wasm3 0.4.7's WASI has no {found.group(1)}, which the program calls" if found else None

    def wasi_command(self, tier: str, inv: Invocation, scratch: Path) -> list[str]:
        cli, wasm = self._cli(), str(inv.wasm.resolve())
        envs = [f"--env={k}={v}" for k, v in inv.env.items()]
        base = preopen_base(inv)
        if base is not None:
            return ["env", "-C", base, cli, *[f"--dir={g}" for _, g in inv.dirs], *envs, wasm, *inv.args]
        return [cli, *[f"--dir={Path(h).resolve()}" for h, _ in inv.dirs], *envs, wasm, *inv.args]
