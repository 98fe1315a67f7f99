"""Compile a module with the singlepass tier into its code cache and say where the time went.

    python -m harness.engine.tiers.singlepass [--cache-dir DIR] [--json] FILE.wasm

A cold run (empty cache) decodes, validates and generates code; a warm run decodes the module's declarations
and copies the cached code into an executable block.  ``harness perf --metrics compile`` times this command
for ``ours:singlepass`` (cold, then warm), as it times ``python -m harness.engine.tiers.llvm`` for ``ours:llvm``.
Exit status 0, or 1 with one line on stderr when the file cannot be read, decoded, validated or compiled.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m harness.engine.tiers.singlepass",
                                 description=__doc__.split("\n\n")[0])
    ap.add_argument("file", type=Path, help="the module (.wasm)")
    ap.add_argument("--cache-dir", type=Path, help="code cache (default: the tier's usual cache directory)")
    ap.add_argument("--json", action="store_true", help="print the figures as one JSON object")
    args = ap.parse_args(argv)

    from ... import api
    from ...errors import WasmError
    from .errors import UnsupportedError

    t0 = time.perf_counter()
    store = api.Store(tier="singlepass", cache_dir=args.cache_dir)
    try:
        data = args.file.read_bytes()
        module = store.load(data)  # warm: the declarations only, no second validation
        t1 = time.perf_counter()
        code = store.tier.compile(module.ast, module.data)
    except (OSError, WasmError, UnsupportedError) as e:
        print(f"{args.file}: {e}", file=sys.stderr)
        return 1
    t2 = time.perf_counter()
    s = code.stats
    figures = {"file": str(args.file), "cached": s["cached"], "decode_validate_s": t1 - t0,
               "compile_s": s["compile_seconds"], "total_s": t2 - t0, "object_bytes": s["code_bytes"],
               "wasm_bytes": len(data), "functions": len(module.ast.funcs),
               "cache_dir": str(store.tier.cache.directory)}
    if args.json:
        print(json.dumps(figures))
    else:
        how = "found in the cache" if s["cached"] else "generated"
        print(f"{args.file}: {len(module.ast.funcs)} functions, {s['code_bytes']} bytes of code {how} in "
              f"{s['compile_seconds']:.3f} s; {t2 - t0:.3f} s in all (cache {store.tier.cache.directory})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
