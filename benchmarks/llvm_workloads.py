"""Compute microbenchmarks for the LLVM tier, and the engines it is compared with.

Each workload is a WAT module exporting ``run`` plus the arguments for a full-size run and a small run (for
the interpreter, which is ~100x slower).  ``python benchmarks/llvm_workloads.py`` prints per
workload: execution time of ours:llvm (O2), wasmtime cranelift (wasmtime-py, same process, same wasm bytes)
and ours:interp, the ratios, and the LLVM tier's cold compile and warm (cached) start times.

Times are thread CPU time (``time.thread_time``), median of 5 runs: on a shared, loaded machine wall time
mostly measures the scheduler.  ``--baseline DIR`` loads another copy of the tier package (e.g. a snapshot
taken before a change: ``cp -r harness/engine/tiers/llvm /tmp/llvm_before``) and runs it side by side in
the same process, so before/after ratios see the same machine load.  ``--only a,b`` selects workloads,
``--no-interp`` skips the (slow) interpreter column, which runs each workload at a smaller size (after one
warm-up call, median of 3) against ours:llvm on that same small input (``per_call``): same work, same
cache footprint.  (Scaling the small run up to the full size would mix sizes: where the full size outgrows
the caches, as sieve's 10 MB does, the compiled code pays misses the interpreter's small run never sees.)  ``--programs`` also times real WASI programs
(minigzip -6 and bzip2 -9 on the perf suite's 1 MiB input, sqlite's speedtest1 --size 10 --memdb, and the
perf suite's C microbenchmarks, if ``harness perf build`` has built them): thread CPU time inside ``_start`` only, against wasmtime-py running
the same bytes, with the share of it spent in host (WASI) calls and their number.

``--gap`` says where the rest of the gap to cranelift comes from: the same modules compiled with explicit
bounds checks instead of guard pages (``LLVMTier(bounds="explicit")``), without any bounds checking and
without stack checks (``LLVMTier(unsafe_omit=...)``, a measuring aid that is unsafe for real use) run side
by side, and the table shows their time relative to the default code (0.90 = 10% faster than the default;
"-bounds" also drops the volatile accesses guard mode needs, see ``translate.BOUNDS_MODES``).  Calls into the host are the ``host`` share of the programs' time.  ``--programs-interp``
runs the programs once on ours:interp as well, for the interpreter ratio on real code.  fib and the C
kernels are also built natively with the system C compiler and timed (``llvm/native``, ``interp/native``):
what native code reaches bounds what the interp/llvm ratio can be.

``matmul`` is n=256: power-of-two row strides make every load of the column walk miss L1 in the same two
sets, and the result then depends on how the loop's loads are scheduled more than on the work it does (see
``benchmarks/matmul_loop_shapes``); ``matmul255`` is the same kernel at n=255 without that artefact.
"""

from __future__ import annotations

import argparse
import functools
import importlib
import importlib.util
import os
import re
import statistics
import struct
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from interp_workloads import SIEVE_COUNT  # a sibling: benchmarks/ is not a package

from harness.engine import api
from harness.perf.measure import run_measured

LOOP_SUM = """(module
  (func (export "run") (param $n i32) (result i64) (local $acc i64)
    (block $done (loop $l
      (br_if $done (i32.eqz (local.get $n)))
      (local.set $acc (i64.add (local.get $acc) (i64.extend_i32_u (i32.mul (local.get $n) (local.get $n)))))
      (local.set $n (i32.sub (local.get $n) (i32.const 1)))
      (br $l)))
    (local.get $acc)))"""

FIB = """(module
  (func $fib (export "run") (param $n i32) (result i32)
    (if (result i32) (i32.lt_u (local.get $n) (i32.const 2)) (then (local.get $n))
      (else (i32.add (call $fib (i32.sub (local.get $n) (i32.const 1)))
                     (call $fib (i32.sub (local.get $n) (i32.const 2))))))))"""

# C = A * B for n x n f64 matrices at 0, n*n*8, 2*n*n*8; A and B filled with small values first.
MATMUL = """(module
  (memory 32)
  (func (export "run") (param $n i32) (result f64)
    (local $i i32) (local $j i32) (local $k i32) (local $acc f64) (local $nn i32) (local $sum f64)
    (local.set $nn (i32.mul (local.get $n) (local.get $n)))
    (local.set $i (i32.const 0))
    (block $f (loop $fl
      (br_if $f (i32.ge_u (local.get $i) (local.get $nn)))
      (f64.store (i32.shl (local.get $i) (i32.const 3)) (f64.convert_i32_u (i32.rem_u (local.get $i) (i32.const 7))))
      (f64.store (i32.shl (i32.add (local.get $i) (local.get $nn)) (i32.const 3))
                 (f64.convert_i32_u (i32.rem_u (local.get $i) (i32.const 5))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $fl)))
    (local.set $i (i32.const 0))
    (block $bi (loop $li
      (br_if $bi (i32.ge_u (local.get $i) (local.get $n)))
      (local.set $j (i32.const 0))
      (block $bj (loop $lj
        (br_if $bj (i32.ge_u (local.get $j) (local.get $n)))
        (local.set $acc (f64.const 0))
        (local.set $k (i32.const 0))
        (block $bk (loop $lk
          (br_if $bk (i32.ge_u (local.get $k) (local.get $n)))
          (local.set $acc (f64.add (local.get $acc)
            (f64.mul
              (f64.load (i32.shl (i32.add (i32.mul (local.get $i) (local.get $n)) (local.get $k)) (i32.const 3)))
              (f64.load (i32.shl (i32.add (local.get $nn) (i32.add (i32.mul (local.get $k) (local.get $n)) (local.get $j))) (i32.const 3))))))
          (local.set $k (i32.add (local.get $k) (i32.const 1)))
          (br $lk)))
        (f64.store (i32.shl (i32.add (i32.add (local.get $nn) (local.get $nn)) (i32.add (i32.mul (local.get $i) (local.get $n)) (local.get $j))) (i32.const 3))
                   (local.get $acc))
        (local.set $sum (f64.add (local.get $sum) (local.get $acc)))
        (local.set $j (i32.add (local.get $j) (i32.const 1)))
        (br $lj)))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $li)))
    (local.get $sum)))"""

# Sieve of Eratosthenes over bytes [0, n): returns the number of primes below n (the interpreter benchmark's
# kernel, defined once in interp_workloads.py).
SIEVE = """(module
  (memory 160)
  (func (export "run") (param $n i32) (result i32) (local $i i32) (local $j i32) (local $count i32)""" + SIEVE_COUNT + """    (local.get $count)))"""


# Kernels in C, compiled with zig cc for wasm32 at -O2 (what real toolchains emit: __stack_pointer, memory
# traffic through the shadow stack, call_indirect-free loops).
C_KERNELS = r"""typedef unsigned int u32;
typedef unsigned long long u64;

static u32 crc_table[256];

static void crc_init(void) {
    for (u32 i = 0; i < 256; i++) {
        u32 c = i;
        for (int k = 0; k < 8; k++) c = c & 1 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
        crc_table[i] = c;
    }
}

static unsigned char buf[1 << 20];

u32 crc32_bench(int rounds) {
    crc_init();
    for (u32 i = 0; i < sizeof buf; i++) buf[i] = (unsigned char)(i * 2654435761u >> 24);
    u32 crc = 0;
    for (int r = 0; r < rounds; r++) {
        u32 c = ~crc;
        for (u32 i = 0; i < sizeof buf; i++) c = crc_table[(c ^ buf[i]) & 0xff] ^ (c >> 8);
        crc = ~c;
    }
    return crc;
}

static int arr[1 << 18];

static void qsort_int(int *a, int n) {
    while (n > 16) {
        int p = a[n / 2], i = 0, j = n - 1;
        while (i <= j) {
            while (a[i] < p) i++;
            while (a[j] > p) j--;
            if (i <= j) { int t = a[i]; a[i] = a[j]; a[j] = t; i++; j--; }
        }
        if (j + 1 < n - i) { qsort_int(a, j + 1); a += i; n -= i; }
        else { qsort_int(a + i, n - i); n = j + 1; }
    }
    for (int i = 1; i < n; i++) {
        int v = a[i], k = i - 1;
        while (k >= 0 && a[k] > v) { a[k + 1] = a[k]; k--; }
        a[k + 1] = v;
    }
}

u32 sort_bench(int rounds) {
    u32 x = 12345, check = 0;
    for (int r = 0; r < rounds; r++) {
        for (int i = 0; i < (1 << 18); i++) { x = x * 1103515245u + 12345u; arr[i] = (int)(x >> 1); }
        qsort_int(arr, 1 << 18);
        check += (u32)arr[1000] ^ (u32)arr[200000];
    }
    return check;
}

typedef struct { double x, y, z, vx, vy, vz, m; } body;

double nbody_bench(int steps) {
    body b[5] = {
        {0, 0, 0, 0, 0, 0, 39.47841760435743},
        {4.84, -1.16, -0.10, 0.606, 2.81, -0.02, 0.037},
        {8.34, 4.12, -0.4, -1.01, 1.82, 0.008, 0.011},
        {12.89, -15.11, -0.22, 1.08, 0.868, -0.01, 0.0017},
        {15.37, -25.9, 0.179, 0.979, 0.594, -0.034, 0.002},
    };
    double dt = 0.01, e = 0;
    for (int s = 0; s < steps; s++) {
        for (int i = 0; i < 5; i++)
            for (int j = i + 1; j < 5; j++) {
                double dx = b[i].x - b[j].x, dy = b[i].y - b[j].y, dz = b[i].z - b[j].z;
                double d2 = dx * dx + dy * dy + dz * dz;
                double mag = dt / (d2 * __builtin_sqrt(d2));
                b[i].vx -= dx * b[j].m * mag; b[i].vy -= dy * b[j].m * mag; b[i].vz -= dz * b[j].m * mag;
                b[j].vx += dx * b[i].m * mag; b[j].vy += dy * b[i].m * mag; b[j].vz += dz * b[i].m * mag;
            }
        for (int i = 0; i < 5; i++) { b[i].x += dt * b[i].vx; b[i].y += dt * b[i].vy; b[i].z += dt * b[i].vz; }
    }
    for (int i = 0; i < 5; i++) e += 0.5 * b[i].m * (b[i].vx * b[i].vx + b[i].vy * b[i].vy + b[i].vz * b[i].vz);
    return e;
}
"""


@dataclass(frozen=True)
class Workload:
    name: str
    wat: str | None  # the module in WAT, or None for a C kernel
    arg: int  # full-size run (native engines)
    small_arg: int  # the interpreter's run (and ours:llvm's, for the ratio)
    export: str = "run"


WORKLOADS = [
    Workload("loop_sum", LOOP_SUM, 100_000_000, 300_000),
    Workload("fib", FIB, 32, 24),
    Workload("matmul", MATMUL, 256, 24),
    Workload("matmul255", MATMUL, 255, 24),
    Workload("sieve", SIEVE, 10_000_000, 100_000),
    Workload("c_crc32", None, 20, 1, "crc32_bench"),
    Workload("c_qsort", None, 4, 1, "sort_bench"),
    Workload("c_nbody", None, 2_000_000, 20_000, "nbody_bench"),
]
_c_module: bytes | None = None


def c_kernels_wasm() -> bytes:
    """C_KERNELS compiled once per process with ``python -m ziglang cc -target wasm32-freestanding -O2``."""
    global _c_module
    if _c_module is None:
        with tempfile.TemporaryDirectory() as d:
            src, out = Path(d) / "kernels.c", Path(d) / "kernels.wasm"
            src.write_text(C_KERNELS)
            exports = [f"-Wl,--export={w.export}" for w in WORKLOADS if w.wat is None]
            subprocess.run([sys.executable, "-m", "ziglang", "cc", "-target", "wasm32-freestanding", "-O2",
                            "-nostdlib", "-Wl,--no-entry", *exports, "-o", str(out), str(src)],
                           check=True, capture_output=True, timeout=300)
            _c_module = out.read_bytes()
    return _c_module


def wasm_bytes(w: Workload) -> bytes:
    if w.wat is None:
        return c_kernels_wasm()
    from harness.engine.text import parse_module

    return parse_module(w.wat)


class OursRunner:
    def __init__(self, w: Workload, tier: str, **opts):
        self.module = api.Module.from_bytes(wasm_bytes(w))
        t0 = time.perf_counter()
        self.store = api.Store(tier=tier, **opts)
        self.inst = self.store.instantiate(self.module)
        self.instantiate_s = time.perf_counter() - t0
        self.fn = self.inst.exports[w.export]

    def __call__(self, arg: int):
        return self.store.invoke(self.fn, [arg])[0]


class WasmtimeRunner:
    def __init__(self, w: Workload):
        import wasmtime

        config = wasmtime.Config()
        config.strategy = "cranelift"
        self.engine = wasmtime.Engine(config)
        self.store = wasmtime.Store(self.engine)
        t0 = time.perf_counter()
        module = wasmtime.Module(self.engine, wasm_bytes(w))
        self.instance = wasmtime.Instance(self.store, module, [])
        self.instantiate_s = time.perf_counter() - t0
        self.fn = self.instance.exports(self.store)[w.export]

    def __call__(self, arg: int):
        return self.fn(self.store, arg)


def best_of(fn, arg, repeat: int) -> float:
    """Smallest thread CPU time of ``repeat`` calls."""
    times = []
    for _ in range(repeat):
        t0 = time.thread_time()
        fn(arg)
        times.append(time.thread_time() - t0)
    return min(times)


def per_call(fn, arg, min_batch_s: float = 0.02) -> float:
    """Thread CPU time of one ``fn(arg)`` call: median of 3 batches of calls, each batch long enough
    (>= ``min_batch_s``) for the clock; the compiled tier's time on the interpreter's (small) input, so the
    interp/llvm ratio compares the same work at the same size, caches included."""
    fn(arg)
    count, t = 1, best_of(fn, arg, 1)
    while t < min_batch_s and count < 1 << 20:
        count *= 2
        t0 = time.thread_time()
        for _ in range(count):
            fn(arg)
        t = time.thread_time() - t0
    batches = []
    for _ in range(3):
        t0 = time.thread_time()
        for _ in range(count):
            fn(arg)
        batches.append((time.thread_time() - t0) / count)
    return statistics.median(batches)


def register_baseline(path: Path, tier: str = "llvm_base") -> str:
    """Load the tier package copy at ``path`` as ``harness.engine.tiers.<tier>`` and make it available as
    ``api.Store(tier=<tier>)``; its relative imports resolve to this checkout's engine."""
    name = f"harness.engine.tiers.{tier}"
    init = path / "__init__.py"
    if not init.is_file():
        raise SystemExit(f"--baseline {path}: not a copy of the LLVM tier package (no __init__.py)")
    spec = importlib.util.spec_from_file_location(name, init, submodule_search_locations=[str(path)])
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    tier_class = importlib.import_module(f"{name}.tier").LLVMTier
    api.TIERS[tier] = lambda **opts: tier_class(**opts)
    return tier


# fib in C, the same function the FIB module holds; built twice: with -DOUT_OF_LINE as a separate
# (noinline) function like the wasm one, and without, when gcc -O2 also inlines it into itself
# (max-inline-recursive-depth-auto), as the LLVM tier now does (recursion.py).
NATIVE_FIB = r"""#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#ifdef OUT_OF_LINE
__attribute__((noinline))
#endif
unsigned fib(unsigned n) { return n < 2 ? n : fib(n - 1) + fib(n - 2); }
int main(int argc, char **argv) {
    volatile unsigned n = (unsigned)atoi(argv[1]);
    int reps = atoi(argv[2]);
    double best = 1e9;
    unsigned r = 0;
    for (int k = 0; k < reps; k++) {
        struct timespec a, b;
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &a);
        r += fib(n);
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &b);
        double t = (b.tv_sec - a.tv_sec) + (b.tv_nsec - a.tv_nsec) * 1e-9;
        if (t < best) best = t;
    }
    printf("%u %.9f\n", r, best);
    return 0;
}
"""


def _c_compiler() -> str | None:
    """The system C compiler the native references are built with, or None."""
    import shutil

    return shutil.which("cc") or shutil.which("gcc")


def native_fib(args: list[int], out_of_line: bool = True) -> dict[int, float] | None:
    """Thread CPU seconds of native fib(n) for each n (best of 200 runs at small n, 15 at large), built with
    the system C compiler at -O2; None without one.  The reference for the fib row: a call-bound kernel
    whose interp/llvm ratio is bounded by what native code achieves."""
    cc = _c_compiler()
    if cc is None:
        return None
    with tempfile.TemporaryDirectory() as d:
        src, exe = Path(d) / "fib.c", Path(d) / "fib"
        src.write_text(NATIVE_FIB)
        flags = ["-DOUT_OF_LINE"] if out_of_line else []
        subprocess.run([cc, "-O2", *flags, "-o", str(exe), str(src)], check=True, capture_output=True, timeout=120)
        out = {}
        for n in args:
            reps = "200" if n < 28 else "15"
            line = subprocess.run([str(exe), str(n), reps], check=True, capture_output=True, text=True,
                                  timeout=120).stdout.split()
            out[n] = float(line[1])
        return out


# A timing main for C_KERNELS built natively: ``kernels <export> <arg> <reps>`` prints the best thread CPU
# time of ``reps`` calls.
NATIVE_KERNELS_MAIN = r"""#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
unsigned crc32_bench(int); unsigned sort_bench(int); double nbody_bench(int);
static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
    return t.tv_sec + t.tv_nsec * 1e-9;
}
int main(int argc, char **argv) {
    const char *which = argv[1];
    int arg = atoi(argv[2]), reps = atoi(argv[3]);
    volatile double sink = 0;
    double best = 1e9;
    for (int r = 0; r < reps; r++) {
        double t0 = now();
        if (!strcmp(which, "crc32_bench")) sink += crc32_bench(arg);
        else if (!strcmp(which, "sort_bench")) sink += sort_bench(arg);
        else if (!strcmp(which, "nbody_bench")) sink += nbody_bench(arg);
        else return 2;
        double t = now() - t0;
        if (t < best) best = t;
    }
    printf("%.9f\n", best);
    return 0;
}
"""


def native_kernels(workloads: list[Workload]) -> dict[str, tuple[float, float]]:
    """Thread CPU seconds of each C kernel built natively (``cc -O2 -fno-math-errno``, best of 5) at its full and its small
    argument; empty without a C compiler.  The bound for the C rows' interp/llvm ratio: where native code
    itself is under 100x the interpreter (qsort's data-dependent branches), no compiler gets there."""
    cc = _c_compiler()
    chosen = [w for w in workloads if w.wat is None]
    if cc is None or not chosen:
        return {}
    with tempfile.TemporaryDirectory() as d:
        exe = Path(d) / "kernels"
        (Path(d) / "kernels.c").write_text(C_KERNELS)
        (Path(d) / "main.c").write_text(NATIVE_KERNELS_MAIN)
        # -fno-math-errno: f64.sqrt sets no errno, so nbody's sqrt stays one instruction, as in the wasm
        subprocess.run([cc, "-O2", "-fno-math-errno", "-o", str(exe), str(Path(d) / "kernels.c"), str(Path(d) / "main.c"), "-lm"],
                       check=True, capture_output=True, timeout=120)
        out = {}
        for w in chosen:
            times = [float(subprocess.run([str(exe), w.export, str(arg), "5"], check=True, capture_output=True,
                                          text=True, timeout=300).stdout)
                     for arg in (w.arg, w.small_arg)]
            out[w.name] = (times[0], times[1])
        return out


PERF_DIR = Path.home() / ".cache" / "wasm-harness" / "perf"
# program -> (arguments, whether it reads the 1 MiB input on stdin); the C microbenchmarks of `harness perf`
# (suites/perf/micro) at sizes that take 0.01-0.4 s each, so their compute time is compared without the
# process start that dominates their whole-process figures
PROGRAMS = {"minigzip": (["-6"], True), "bzip2": (["-9", "-c"], True),
            "speedtest1": (["--size", "10", "--memdb"], False),
            "linkedlist": (["20"], False), "bintrees": (["14"], False), "hashtable": (["1"], False),
            "matmul": (["300"], False), "calls": (["30"], False), "membw": (["5"], False)}
HOST_CALLS: dict[str, list[tuple[float, int]]] = {}  # variant -> (seconds in host calls, calls) per run


def _time_ours_program(data: bytes, argv: list[str], tier: str, inp: Path | None, out: Path, cache: Path,
                       label: str = "", **tier_opts) -> float:
    """Thread CPU time inside ``_start`` (outermost entries only); host-call time and count go to
    ``HOST_CALLS[label]``."""
    from harness.engine.wasi.host import WasiConfig
    from harness.engine.wasi.run import run_module

    native = importlib.import_module(type(api.Store(tier=tier, cache_dir=False).tier).__module__.rsplit(".", 1)[0]
                                     + ".native")
    spent, host = [0.0], [0.0, 0]
    call_entry, host_callback = native.NativeStore.call_entry, native.NativeStore._host_callback

    def timed(self, *args):
        if self.depth:
            return call_entry(self, *args)
        t0 = time.thread_time()
        try:
            return call_entry(self, *args)
        finally:
            spent[0] += time.thread_time() - t0

    def timed_host(self, *args):
        t0 = time.thread_time()
        try:
            return host_callback(self, *args)
        finally:
            host[0] += time.thread_time() - t0
            host[1] += 1

    native.NativeStore.call_entry = timed
    native.NativeStore._host_callback = timed_host  # bound when the store is made, i.e. below
    try:
        with open(inp if inp else os.devnull, "rb") as fi, open(out, "wb") as fo:
            run_module(data, WasiConfig(args=argv, stdin=fi.fileno(), stdout=fo.fileno()), tier=tier, opt_level=2,
                       cache_dir=cache, **tier_opts)
    finally:
        native.NativeStore.call_entry = call_entry
        native.NativeStore._host_callback = host_callback
    HOST_CALLS.setdefault(label, []).append((host[0], host[1]))
    return spent[0]


def _time_wasmtime_program(engine, module, argv: list[str], inp: Path | None, out: Path) -> float:
    import wasmtime

    store = wasmtime.Store(engine)
    wasi = wasmtime.WasiConfig()
    wasi.argv = argv
    wasi.stdin_file = str(inp) if inp else os.devnull
    wasi.stdout_file = str(out)
    store.set_wasi(wasi)
    linker = wasmtime.Linker(engine)
    linker.define_wasi()
    start = linker.instantiate(store, module).exports(store)["_start"]
    t0 = time.thread_time()
    try:
        start(store)
    except wasmtime.ExitTrap:
        pass
    return time.thread_time() - t0


def _comparable(out: bytes) -> bytes:
    """Program output without the timings speedtest1 prints at the end of its lines, and the padding before
    them (its TOTAL line right-aligns the time, so 9.9 s and 10.0 s pad differently)."""
    return re.sub(rb" *\d+\.\d+s$", b"", out, flags=re.MULTILINE)


def _built_programs(sizes: dict[str, list[str]] | None = None):
    """(argv, wasm bytes, stdin path or None) of each program of PROGRAMS that is built and has its
    input; ``sizes`` replaces the arguments of the named ones.  Says which are missing."""
    inputs = sorted((PERF_DIR / "inputs").glob("input-*-1048576.bin"))
    for name, (args, reads_input) in PROGRAMS.items():
        wasm = PERF_DIR / "bin" / "wasm32" / f"{name}.wasm"
        if not wasm.is_file() or (reads_input and not inputs):
            print(f"{name}: not built, or no 1 MiB input (run `harness perf build` and `harness perf` once)")
            continue
        yield [name, *(sizes or {}).get(name, args)], wasm.read_bytes(), inputs[0] if reads_input else None


def programs_against_interp() -> None:
    """The real programs once on ours:interp (whole ``run_module``, thread CPU) against ours:llvm's warm
    ``_start``: the "100x the interpreter" target on real code.  speedtest1 at --size 1 (the interpreter
    takes seconds per unit of size), the C microbenchmarks at their smallest useful sizes; hashtable is left
    out: its smallest size keeps the interpreter busy for about a minute.  With the native builds there,
    interp/native at the same sizes says how far any compiler could go."""
    from harness.engine.wasi.host import WasiConfig
    from harness.engine.wasi.run import run_module

    small = {"speedtest1": ["--size", "1", "--memdb"], "linkedlist": ["1"], "bintrees": ["10"],
             "matmul": ["60"], "calls": ["22"], "membw": ["1"]}
    for argv, data, inp in _built_programs(small):
        if argv[0] == "hashtable":
            print(f"{argv[0]:28} not run on ours:interp: its smallest size takes about a minute there", flush=True)
            continue
        with tempfile.TemporaryDirectory() as d:
            tmp = Path(d)
            t_llvm = min(_time_ours_program(data, argv, "llvm", inp, tmp / "llvm", tmp / "cache") for _ in range(3))
            with open(inp or os.devnull, "rb") as fi, open(tmp / "interp", "wb") as fo:
                t0 = time.thread_time()
                run_module(data, WasiConfig(args=argv, stdin=fi.fileno(), stdout=fo.fileno()), tier="interp")
                t_interp = time.thread_time() - t0
            same = _comparable((tmp / "llvm").read_bytes()) == _comparable((tmp / "interp").read_bytes())
            native = ""
            for width in ("native32", "native64"):
                t_native = _time_native(argv, inp, width)
                if t_native:
                    native += f"  {width} {t_native:.4f} s (interp/{width} {t_interp / t_native:.0f})"
            print(f"{' '.join(argv):28} interp {t_interp:.2f} s  llvm {t_llvm:.4f} s  interp/llvm "
                  f"{t_interp / t_llvm:.0f}{native}" + ("" if same else "  OUTPUT MISMATCH"), flush=True)


def _time_native(argv: list[str], inp: Path | None, width: str) -> float | None:
    """Least CPU time (user + sys, from the kernel's accounting of the child, as ``harness perf``
    measures it) of three runs of the program's native build (``harness perf build``'s native32 -- 32-bit
    pointers, as in wasm32 -- or native64), whole process, so ~1 ms of process start is included: the
    bound a compiler meets on memory-bound programs.  None when it is not built or a run fails (said on
    stderr)."""
    exe = PERF_DIR / "bin" / width / argv[0]
    if not exe.is_file():
        return None
    best = None
    for _ in range(3):
        m = run_measured([str(exe), *argv[1:]], inp, None, timeout=120, sample_vm=False)
        if m.returncode != 0:
            print(f"{exe} {' '.join(argv[1:])}: exit {m.returncode}, not timed", file=sys.stderr)
            return None
        best = m.user + m.sys if best is None else min(best, m.user + m.sys)
    return best


def programs(base: str | None, gap: bool) -> None:
    """Real programs: compute time of ours:llvm O2 (and the baseline, and the check-less variants) vs
    wasmtime, outputs compared, the host-call share of ours:llvm's time."""
    import wasmtime

    engine = wasmtime.Engine()
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        for argv, data, inp in _built_programs():
            module = wasmtime.Module(engine, data)
            HOST_CALLS.clear()
            ours = functools.partial(_time_ours_program, data, argv, inp=inp, cache=tmp / "cache")
            runs = {"llvm": functools.partial(ours, tier="llvm", out=tmp / "llvm", label="llvm"),
                    "wasmtime": functools.partial(_time_wasmtime_program, engine, module, argv, inp, tmp / "wasmtime")}
            if base:
                runs["base"] = functools.partial(ours, tier=base, out=tmp / "base", label="base")
            if gap:
                runs["explicit"] = functools.partial(ours, tier="llvm", out=tmp / "explicit", bounds="explicit",
                                                     label="explicit")
                for check in ("bounds", "stack"):
                    runs[f"no-{check}"] = functools.partial(ours, tier="llvm", out=tmp / f"no-{check}",
                                                            unsafe_omit=(check,), label=f"no-{check}")
            for run in runs.values():  # compile (cached for the timed runs) and warm up
                run()
            HOST_CALLS.clear()
            samples: dict[str, list[float]] = {k: [] for k in runs}
            for _ in range(5):
                for k, run in runs.items():
                    samples[k].append(run())
            med = {k: statistics.median(v) for k, v in samples.items()}
            ref = _comparable((tmp / "wasmtime").read_bytes())
            same = all(_comparable((tmp / k).read_bytes()) == ref for k in runs)
            host_s = statistics.median(h for h, _ in HOST_CALLS["llvm"])
            calls = HOST_CALLS["llvm"][0][1]
            print(f"{' '.join(argv):22} " + "  ".join(
                f"{k} {v:.4f} s (x{v / med['wasmtime']:.2f})" for k, v in med.items())
                  + f"  | llvm host calls: {calls}, {host_s:.4f} s = {host_s / med['llvm']:.1%} of its time"
                  + ("" if same else "  OUTPUT MISMATCH"), flush=True)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--baseline", type=Path, help="a copy of the tier package to run side by side")
    ap.add_argument("--only", help="comma-separated workload names")
    ap.add_argument("--no-interp", action="store_true", help="skip the interpreter column")
    ap.add_argument("--programs", action="store_true",
                    help="also time minigzip/bzip2/speedtest1 and the perf suite's C microbenchmarks (WASI, if built)")
    ap.add_argument("--programs-interp", action="store_true",
                    help="also run the programs once on ours:interp (~1 min) for the interp/llvm ratio")
    ap.add_argument("--gap", action="store_true",
                    help="also run with explicit bounds checks instead of guard pages, and without bounds "
                         "checks and without stack checks (the cost of each)")
    args = ap.parse_args(argv)
    base = register_baseline(args.baseline) if args.baseline else None
    chosen = [w for w in WORKLOADS if not args.only or w.name in args.only.split(",")]
    print(f"load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}; thread CPU s, median of 5")
    print(f"{'workload':10} {'llvm O2 s':>10} {'wasmtime s':>10} {'llvm/wt':>8} "
          + (f"{'base s':>8} {'base/wt':>8} " if base else "")
          + (f"{'explicit':>8} {'-bounds':>8} {'-stack':>8} " if args.gap else "")
          + f"{'interp/llvm':>11} {'cold compile s':>14} {'warm start s':>12} {'O0 s':>8}")
    fib_interp = fib_llvm = None
    ours_times: dict[str, float] = {}  # full-size ours:llvm time per workload
    interp_times: dict[str, float] = {}  # small-size ours:interp time per workload
    with tempfile.TemporaryDirectory() as cache:
        for w in chosen:
            cold = OursRunner(w, "llvm", opt_level=2, cache_dir=Path(cache) / w.name)
            warm = OursRunner(w, "llvm", opt_level=2, cache_dir=Path(cache) / w.name)
            o0 = OursRunner(w, "llvm", opt_level=0, cache_dir=False)
            wt = WasmtimeRunner(w)
            runners = [cold, wt] + ([OursRunner(w, base, opt_level=2, cache_dir=False)] if base else [])
            if args.gap:
                runners.append(OursRunner(w, "llvm", opt_level=2, cache_dir=False, bounds="explicit"))
                runners += [OursRunner(w, "llvm", opt_level=2, cache_dir=False, unsafe_omit=(check,))
                            for check in ("bounds", "stack")]
            r_llvm, r_wt = cold(w.arg), wt(w.arg)
            if isinstance(r_wt, float):
                r_wt = struct.unpack("<Q", struct.pack("<d", r_wt))[0]
            if r_llvm not in (r_wt % (1 << 64), r_wt % (1 << 32)):
                print(f"  result mismatch: {r_llvm} vs wasmtime {r_wt}")
            samples: list[list[float]] = [[] for _ in runners]
            for _ in range(5):  # interleaved, so a burst of load hits every engine alike
                for i, run in enumerate(runners):
                    samples[i].append(best_of(run, w.arg, 1))
            t_llvm, t_wt = statistics.median(samples[0]), statistics.median(samples[1])
            base_cols = ""
            if base:
                t_base = statistics.median(samples[2])
                base_cols = f"{t_base:8.4f} {t_base / t_wt:8.2f} "
            if args.gap:
                base_cols += " ".join(f"{statistics.median(s) / t_llvm:8.2f}" for s in samples[-3:]) + " "
            t_o0 = best_of(o0, w.arg, 2)
            speedup = "-"
            if not args.no_interp:
                # warm, like the compiled engines: the first call also builds the interpreter's code
                interp = OursRunner(w, "interp")
                interp(w.small_arg)
                t_interp_small = statistics.median(best_of(interp, w.small_arg, 1) for _ in range(3))
                speedup = f"{t_interp_small / per_call(cold, w.small_arg):.0f}"
                interp_times[w.name] = t_interp_small
                if w.name == "fib":
                    fib_interp = t_interp_small
            ours_times[w.name] = t_llvm
            if w.name == "fib":
                fib_llvm = t_llvm
            print(f"{w.name:10} {t_llvm:10.4f} {t_wt:10.4f} {t_llvm / t_wt:8.2f} {base_cols}{speedup:>11} "
                  f"{cold.instantiate_s:14.3f} {warm.instantiate_s:12.4f} {t_o0:8.4f}", flush=True)
    if fib_llvm is not None:
        fib_w = next(w for w in WORKLOADS if w.name == "fib")
        for out_of_line, how in ((True, "noinline"), (False, "inlined into itself")):
            native = native_fib([fib_w.arg, fib_w.small_arg], out_of_line)
            if native:
                line = (f"fib native (cc -O2, {how}): fib({fib_w.arg}) {native[fib_w.arg]:.4f} s, "
                        f"llvm/native {fib_llvm / native[fib_w.arg]:.2f}")
                if fib_interp is not None:
                    line += f"; interp/native at fib({fib_w.small_arg}) {fib_interp / native[fib_w.small_arg]:.0f}"
                print(line, flush=True)
    for name, (t_full, t_small) in native_kernels(chosen).items():
        line = f"{name} native (cc -O2 -fno-math-errno): {t_full:.4f} s, llvm/native {ours_times[name] / t_full:.2f}"
        if name in interp_times:
            line += f"; interp/native {interp_times[name] / t_small:.0f}"
        print(line, flush=True)
    if args.programs:
        programs(base, args.gap)
    if args.programs_interp:
        programs_against_interp()
    return 0


if __name__ == "__main__":
    sys.exit(main())
