"""``harness runtimes install NAME``: build a reference runtime from crates.io with the machine's cargo,
into the harness cache (never into the repo), so the adapters find it.  Opt-in: these builds take
minutes (wasmi) to half an hour (wasmer) on a small machine.  What to build (crate, version, features) is each
adapter's ``cargo_install``.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

from ..adapters.cargo_runtimes import CargoRuntimeAdapter
from ..adapters.registry import adapters
from ..errors import HarnessError
from ..paths import tools_dir


def buildable() -> dict[str, CargoRuntimeAdapter]:
    """Runtimes whose adapter says how cargo builds them (``CargoRuntimeAdapter.cargo_install``)."""
    return {n: a for n, a in adapters().items() if isinstance(a, CargoRuntimeAdapter) and a.cargo_install}


def install(names: list[str]) -> int:
    cargo = shutil.which("cargo")
    if cargo is None:
        raise HarnessError("cargo is not on PATH; install a Rust toolchain (rustup) to build wasmer/wasmi")
    recipes = buildable()
    for name in names:
        if name not in recipes:
            raise HarnessError(f"don't know how to build {name!r}; buildable: {', '.join(recipes)}")
        adapter = recipes[name]
        crate, extra = adapter.cargo_install
        root = tools_dir()
        argv = [cargo, "install", "--locked", "--root", str(root), crate, *extra]
        print(f"building {name}: {' '.join(argv)}", file=sys.stderr)
        # A persistent target dir makes an interrupted build resume instead of starting over.
        env = {**os.environ, "CARGO_TARGET_DIR": str(root / "target")}
        result = subprocess.run(argv, env=env)
        if result.returncode != 0:
            raise HarnessError(f"cargo install {crate} failed (exit {result.returncode}); see the cargo output above")
        print(f"{name}: installed {root / 'bin' / adapter.binary_name}", file=sys.stderr)
    return 0
