"""Compiling a large module in several processes: the plan, and the worker each process runs.

LLVM compiles one module on one core, and llvmlite serialises every call into LLVM behind a single lock,
so threads gain nothing: a module whose code is large enough is split into contiguous ranges of its
functions, each translated and compiled by its own ``python -m <this module>`` process into its own
object.  The objects are loaded together, which links them (``translate.ModuleCompiler``'s
``part``: a part keeps its functions ``internal``, exports them by hidden aliases and reaches the other
parts' through the GOT).

The price is calls between parts: through the GOT, and not inlined unless the callee is small enough to
be copied into the caller's part (``translate.COPY_MAX_BYTES``).  Ranges follow the binary's order, in
which linkers keep a source file's functions together, so many calls stay within a part.

Worker: ``python -m harness.engine.tiers.llvm.partition MODULE.wasm OUT.o --opt N --range LO:HI
[--omit bounds,stack] [--bounds explicit|guard]``; prints its timings as JSON.  The module was validated by the parent.
"""

from __future__ import annotations

import argparse
import gc
import json
import sys
import time
from pathlib import Path

from ... import syntax

# No part smaller than this many bytes of code, so only large modules are split.  Splitting costs run
# time where hot calls cross parts: bzip2 (125 KB of code) in two parts ran 7-9% slower, while speedtest1
# (1 MB) lost nothing measurable and compiled 1.6-1.8x faster on 2 cores.  And a process costs ~0.3 s to
# start (Python, llvmlite, decoding the module again).
MIN_PART_BYTES = 256 * 1024


def plan(module: syntax.Module, data_len: int, jobs: int, min_part_bytes: int | None = None) -> list[range]:
    """Contiguous ranges of ``module.funcs`` of about equal code size, at most ``jobs`` of them and none
    smaller than ``min_part_bytes`` (default ``MIN_PART_BYTES``); one range (no split) for small modules."""
    if min_part_bytes is None:
        min_part_bytes = MIN_PART_BYTES
    funcs = module.funcs
    if not funcs:
        return [range(0)]
    offsets = [f.offset for f in funcs] + [data_len]
    sizes = [max(offsets[i + 1] - offsets[i], 1) for i in range(len(funcs))]
    total = sum(sizes)
    n = min(jobs, len(funcs), total // max(min_part_bytes, 1))
    if n < 2:
        return [range(len(funcs))]
    ranges, start, acc = [], 0, 0
    for i, size in enumerate(sizes):
        # each function goes to the part its midpoint falls in
        if len(ranges) < n - 1 and i > start and acc + size / 2 > total * (len(ranges) + 1) / n:
            ranges.append(range(start, i))
            start = i
        acc += size
    ranges.append(range(start, len(funcs)))
    return ranges


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m harness.engine.tiers.llvm.partition")
    ap.add_argument("module", type=Path)
    ap.add_argument("out", type=Path)
    ap.add_argument("--opt", type=int, required=True)
    ap.add_argument("--range", required=True, help="LO:HI, indices of defined functions")
    ap.add_argument("--omit", default="")
    ap.add_argument("--bounds", default="explicit", choices=("explicit", "guard"))
    args = ap.parse_args(argv)
    gc.disable()  # a short-lived process building ~10^6 IR objects that stay alive (see compiler._gc_paused)

    from ...binary import decode_module
    from . import jit, recursion
    from .translate import ModuleCompiler

    lo, hi = (int(x) for x in args.range.split(":"))
    module = decode_module(args.module.read_bytes())
    omit = frozenset(x for x in args.omit.split(",") if x)
    t0 = time.perf_counter()
    text = str(ModuleCompiler(module, omit=omit, part=range(lo, hi), bounds=args.bounds,
                               unroll_recursion=recursion.depth_for(args.opt)).compile())
    t1 = time.perf_counter()
    obj = jit.compile_ir(text, args.opt)
    t2 = time.perf_counter()
    args.out.write_bytes(obj)
    print(json.dumps({"translate": t1 - t0, "llvm": t2 - t1}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
