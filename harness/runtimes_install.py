"""``harness runtimes install NAME``: build a reference runtime from crates.io with the machine's cargo,
into the harness cache (never into the repo), so the adapters find it.  Opt-in: these builds take
minutes (wasmi) to half an hour (wasmer) on a small machine.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

from .errors import HarnessError
from .paths import tools_dir

# runtime -> (crate, cargo arguments, binary).  Wasmer's LLVM backend needs an LLVM matching its
# llvm-sys; we build the cranelift and singlepass backends, which need nothing beyond cargo.
RECIPES: dict[str, tuple[str, list[str], str]] = {
    # wasmer-cli 7.5 needs rustc 1.96; 7.4.2 builds with the 1.95 toolchain this machine kind has.
    "wasmer": ("wasmer-cli@7.4.2", ["--features", "cranelift,singlepass"], "wasmer"),
    "wasmi": ("wasmi_cli@2.0.0", [], "wasmi"),
}


def install(names: list[str]) -> int:
    cargo = shutil.which("cargo")
    if cargo is None:
        raise HarnessError("cargo is not on PATH; install a Rust toolchain (rustup) to build wasmer/wasmi")
    for name in names:
        if name not in RECIPES:
            raise HarnessError(f"don't know how to build {name!r}; buildable: {', '.join(RECIPES)}")
        crate, extra, binary = RECIPES[name]
        root = tools_dir()
        argv = [cargo, "install", "--locked", "--root", str(root), crate, *extra]
        print(f"building {name}: {' '.join(argv)}", file=sys.stderr)
        # A persistent target dir makes an interrupted build resume instead of starting over.
        env = {**os.environ, "CARGO_TARGET_DIR": str(root / "target")}
        result = subprocess.run(argv, env=env)
        if result.returncode != 0:
            raise HarnessError(f"cargo install {crate} failed (exit {result.returncode}); see the cargo output above")
        print(f"{name}: installed {root / 'bin' / binary}", file=sys.stderr)
    return 0
