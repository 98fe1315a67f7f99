"""Compile a module with the LLVM tier into its object cache and say where the time went.

    python -m harness.engine.tiers.llvm [--opt 0-3] [--jobs N] [--bounds MODE] [--cache-dir DIR] [--json] FILE.wasm

A cold run (empty cache) decodes, validates, translates to LLVM IR, optimises and emits code; a warm run
finds the object and only loads it.  Either way the next program run on ``ours:llvm`` with the same cache
starts warm.  ``harness perf --metrics compile`` times this command for ``ours:llvm`` (cold, then warm).
Exit status 0, or 1 with one line on stderr when the file cannot be read, decoded or validated.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m harness.engine.tiers.llvm",
                                 description=__doc__.split("\n\n")[0])
    ap.add_argument("file", type=Path, help="the module (.wasm)")
    ap.add_argument("--opt", type=int, default=2, choices=range(4), help="optimisation level (default 2)")
    ap.add_argument("--jobs", type=int, help="processes compiling one large module (default: the CPUs this "
                    "process may use; 1 = this process only)")
    ap.add_argument("--bounds", default="auto", choices=("auto", "guard", "explicit"),
                    help="memory bounds checks: guard pages, explicit compares, or auto (default: guard pages "
                    "where the host allows them; the code is cached per mode)")
    ap.add_argument("--cache-dir", type=Path, help="object cache (default: the tier's usual cache directory)")
    ap.add_argument("--json", action="store_true", help="print the figures as one JSON object")
    args = ap.parse_args(argv)

    from ... import api
    from ...errors import WasmError

    t0 = time.perf_counter()
    if args.jobs is not None and args.jobs < 1:
        ap.error(f"--jobs must be at least 1, not {args.jobs}")
    store = api.Store(tier="llvm", opt_level=args.opt, cache_dir=args.cache_dir, compile_jobs=args.jobs,
                      bounds=args.bounds)
    cache = store.tier.cache
    try:
        module = store.load(args.file.read_bytes())  # warm: the declarations only, no second validation
    except (OSError, WasmError) as e:
        print(f"{args.file}: {e}", file=sys.stderr)
        return 1
    t1 = time.perf_counter()
    code = store.tier.compile(module.ast, module.data)
    t2 = time.perf_counter()
    s = code.stats
    figures = {"file": str(args.file), "opt_level": args.opt, "bounds": store.tier.bounds, "cached": s.cached, "decode_validate_s": t1 - t0,
               "translate_s": s.translate, "llvm_s": s.llvm, "load_s": s.load, "total_s": t2 - t0,
               "object_bytes": s.object_bytes, "functions": len(module.ast.funcs), "cache_dir": str(cache.directory),
               "processes": s.extra.get("partitions", 1)}
    if args.json:
        print(json.dumps(figures))
    else:
        how = "found in the cache" if s.cached else f"translated {s.translate:.3f} s, LLVM {s.llvm:.3f} s"
        if s.extra.get("partitions", 1) > 1:
            how += f" (CPU time summed over {s.extra['partitions']} processes)"
        print(f"{args.file}: {len(module.ast.funcs)} functions, O{args.opt}, {store.tier.bounds} bounds, {how}, loaded {s.load:.3f} s; "
              f"{s.object_bytes} bytes of object code; {t2 - t0:.3f} s in all (cache {cache.directory})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
