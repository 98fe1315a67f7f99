"""The three interpreter benchmark workloads (WAT text), shared by the script and the perf tests.

* ``compute``: an integer loop (LCG-style mixing with multiply, xor, shifts and rotates) of ``n`` iterations;
* ``fib``: naive doubly recursive Fibonacci (call-heavy);
* ``memory``: a byte sieve of Eratosthenes up to ``n`` plus an i32 array write/read pass (load/store-heavy).

Each entry: export name, argument, expected result (checked so a fast wrong answer cannot win).
"""

from __future__ import annotations

# A sieve of Eratosthenes over the bytes [0, $n) of memory that leaves the number of primes below $n in
# $count (a function body fragment: needs locals $n, $i, $j and $count).  Also the LLVM tier's ``sieve``
# workload (benchmarks/llvm_workloads.py), so that the two measure the same kernel.
SIEVE_COUNT = r"""
    (memory.fill (i32.const 0) (i32.const 1) (local.get $n))
    (local.set $i (i32.const 2))
    (block $done (loop $outer
      (br_if $done (i32.gt_u (i32.mul (local.get $i) (local.get $i)) (local.get $n)))
      (if (i32.load8_u (local.get $i)) (then
        (local.set $j (i32.mul (local.get $i) (local.get $i)))
        (block $d2 (loop $inner
          (br_if $d2 (i32.ge_u (local.get $j) (local.get $n)))
          (i32.store8 (local.get $j) (i32.const 0))
          (local.set $j (i32.add (local.get $j) (local.get $i)))
          (br $inner)))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $outer)))
    (local.set $i (i32.const 2))
    (block $d3 (loop $cnt
      (br_if $d3 (i32.ge_u (local.get $i) (local.get $n)))
      (local.set $count (i32.add (local.get $count) (i32.load8_u (local.get $i))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $cnt)))
"""

WAT = r"""
(module
  (memory 4)
  (func (export "compute") (param $n i32) (result i32) (local $i i32) (local $x i32)
    (local.set $x (i32.const 12345))
    (block $done
      (loop $l
        (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
        (local.set $x (i32.add (i32.mul (local.get $x) (i32.const 1103515245)) (i32.const 12345)))
        (local.set $x (i32.xor (local.get $x) (i32.shr_u (local.get $x) (i32.const 7))))
        (local.set $x (i32.add (local.get $x) (i32.rotl (local.get $i) (i32.const 3))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $l)))
    (local.get $x))
  (func $fib (export "fib") (param $n i32) (result i32)
    (if (result i32) (i32.lt_u (local.get $n) (i32.const 2))
      (then (local.get $n))
      (else (i32.add (call $fib (i32.sub (local.get $n) (i32.const 1)))
                     (call $fib (i32.sub (local.get $n) (i32.const 2)))))))
  (func (export "memory") (param $n i32) (result i32) (local $i i32) (local $j i32) (local $count i32) (local $sum i32)
    ;; sieve: bytes [0, n) set to 1, then cross out composites, then count the primes
""" + SIEVE_COUNT + r"""
    ;; i32 array pass: a[k] = k * 3 at 128 KiB, then sum
    (local.set $i (i32.const 0))
    (block $done (loop $w
      (br_if $done (i32.ge_u (local.get $i) (i32.const 8192)))
      (i32.store offset=131072 (i32.shl (local.get $i) (i32.const 2)) (i32.mul (local.get $i) (i32.const 3)))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $w)))
    (local.set $i (i32.const 0))
    (block $done (loop $r
      (br_if $done (i32.ge_u (local.get $i) (i32.const 8192)))
      (local.set $sum (i32.add (local.get $sum) (i32.load offset=131072 (i32.shl (local.get $i) (i32.const 2)))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $r)))
    (i32.add (local.get $count) (local.get $sum)))
)
"""


def _expected_compute(n: int) -> int:
    x = 12345
    for i in range(n):
        x = (x * 1103515245 + 12345) & 0xFFFFFFFF
        x ^= x >> 7
        x = (x + (((i << 3) | (i >> 29)) & 0xFFFFFFFF)) & 0xFFFFFFFF
    return x


def _expected_fib(n: int) -> int:
    a, b = 0, 1
    for _ in range(n):
        a, b = b, a + b
    return a


def _expected_memory(n: int) -> int:
    sieve = bytearray([1]) * n
    i = 2
    while i * i <= n:
        if sieve[i]:
            sieve[i * i :: i] = bytes(len(range(i * i, n, i)))
        i += 1
    return (sum(sieve[2:]) + sum(k * 3 for k in range(8192))) & 0xFFFFFFFF


def workloads(scale: float = 1.0) -> list[tuple[str, int, int]]:
    n_compute = int(20000 * scale)
    n_fib = 16 if scale < 1 else 20
    n_mem = int(60000 * scale)
    return [
        ("compute", n_compute, _expected_compute(n_compute)),
        ("fib", n_fib, _expected_fib(n_fib)),
        ("memory", n_mem, _expected_memory(n_mem)),
    ]


def wasm_bytes() -> bytes:
    import subprocess
    from pathlib import Path

    tools = Path(__file__).resolve().parents[1] / ".venv" / "bin" / "wasm-tools"
    try:
        from harness.engine.text import parse_module

        return parse_module(WAT)
    except Exception:  # noqa: BLE001 - the text parser may be unavailable: use wasm-tools
        return subprocess.run([str(tools), "parse", "-"], input=WAT.encode(), capture_output=True, check=True).stdout
