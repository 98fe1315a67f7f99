"""``python -m harness.fuzz.worker ENGINE [--fuel N]``: one engine, many modules, over a pipe.

Starting an engine (importing llvmlite, wasmtime, starting node) costs far more than running one small
module, so the harness keeps one worker per engine and sends it modules one by one: each request is one
JSON line on stdin (``{"wasm": base64, "plan": Plan.to_json()}``), each answer one JSON line on the real
stdout (the engine's own prints go to stderr, as in the spec worker).  The engine is driven through its
spec driver (``harness.spec.drivers``), so every engine the spec runner drives can be fuzzed, with its
failures already sorted into compile errors, traps (with the engine's wording), exhaustion and the rest.

Every module gets a fresh store where the driver allows it (ours, wasmtime), so nothing one module did is
seen by the next, and wasmtime counts fuel (``--fuel``) so that a module too long to compare is recognised
(``"fuel"``) rather than run for minutes on the slowest engine.  A Python exception the driver does not
translate is an answer too (``"error"``: for our engine, a bug); only the process dying, hanging or
printing something that is not an answer is judged by the harness side (``engines``).
"""

from __future__ import annotations

import argparse
import base64
import ctypes
import hashlib
import json
import os
import sys
import time
from typing import Any

from ..engine.runtime.objects import HOST_TABLE_LIMIT

OUT: Any = None  # the real stdout, where answers go (a planted "garbage" engine in the tests writes to it)

# A memory bigger than this is compared by its size alone (hashing 4 GiB per call is not a test).
HASHED_BYTES = 1 << 24
MEMORY_LIMIT = 1 << 30  # per memory, where the engine's API can set one (wasmtime)


def _memory(driver: Any, instance: Any, name: str, seen: dict[str, tuple[bytes, str]] | None = None) -> list | None:
    """[bytes, sha256 prefix] of an exported memory, or None when this engine's API cannot read it.

    ``seen`` (name -> the contents and hash at the last look, for one module): a memory no call changed is
    not hashed again.  Hashing a 1 MiB memory costs ~0.65 ms and it is read after every call, on every engine
    (~4 ms a module each); copying and comparing it costs ~0.1 ms."""
    exports = getattr(instance, "exports", None)
    mem = exports.get(name) if isinstance(exports, dict) else None
    if mem is None:
        return None
    if hasattr(mem, "buf"):  # our engine
        n = len(mem.buf)
        if n > HASHED_BYTES:
            return [n, "big"]
        data = bytes(mem.buf)
    elif hasattr(mem, "data_len") and hasattr(driver, "store"):  # wasmtime
        n = mem.data_len(driver.store)
        if n > HASHED_BYTES:
            return [n, "big"]
        data = ctypes.string_at(ctypes.addressof(mem.data_ptr(driver.store).contents), n) if n else b""
    else:
        return None
    last = seen.get(name) if seen is not None else None
    if last is not None and last[0] == data:
        return [n, last[1]]
    digest = hashlib.sha256(data).hexdigest()[:16]
    if seen is not None:
        seen[name] = (data, digest)
    return [n, digest]


def _raw(t: str, v: Any) -> Any:
    if isinstance(v, int) and not isinstance(v, bool):
        return v
    return None if v is None else "ref"


class Session:
    """The driver of one engine and how to give each module a fresh store."""

    def __init__(self, runtime: str, tier: str, fuel: int | None):
        from ..spec.drivers import load_driver

        self.runtime, self.tier, self.fuel = runtime, tier, fuel
        self.seen: dict[str, tuple[bytes, str]] = {}  # each memory at its last look (``_memory``), per module
        self.driver = load_driver(runtime, tier)
        if runtime == "wasmtime" and fuel:
            import wasmtime

            from ..spec.drivers.wasmtime_py import make_config

            config = make_config(tier)
            config.consume_fuel = True
            self.driver.engine = wasmtime.Engine(config)

    def fresh(self) -> None:
        self.seen = {}
        d = self.driver
        if self.runtime == "wasmtime":
            import wasmtime

            d.store = wasmtime.Store(d.engine)
            # a memory64 grown to gigabytes makes wasmtime touch all of it (a module ran past 200 s that way):
            # growing past this fails instead, which the comparison treats as resource-dependent.  A table
            # gets our engine's own limit, so both refuse the same grows: wasmtime honoured a table.grow of
            # 2,063,209,382 entries that ours refused, and filled 16 GB for over 60 s (a false hang)
            d.store.set_limits(memory_size=MEMORY_LIMIT, table_elements=HOST_TABLE_LIMIT)
            d._helpers = None
            if self.fuel:
                d.store.set_fuel(self.fuel)
        elif hasattr(d, "api") and hasattr(d, "store"):  # ours: a new api.Store with the same options
            features_off = d.features_off
            # no object cache for the LLVM tiers: a fuzz run would fill it with modules never seen again, and
            # writing it costs a quarter of the compile time
            options = {"cache_dir": False} if self.runtime == "ours" and self.tier.startswith("llvm") else {}
            type(d).__init__(d, d.tier, **options)
            d.features_off = features_off

    def outcome(self, e: BaseException) -> dict:
        from ..spec.drivers import base

        text = getattr(e, "message", "") or str(e)
        kind = getattr(e, "kind", None)
        if isinstance(e, base.TrapFailure) and "fuel" in f"{text} {kind}".lower() and self.runtime == "wasmtime":
            return {"r": "fuel"}
        if isinstance(e, base.ExhaustionFailure):
            return {"r": "exhaustion", "k": text}
        if isinstance(e, base.TrapFailure):
            return {"r": "trap", "k": f"{text} [{kind}]" if kind and kind not in text else text}
        if isinstance(e, base.ThrownException):
            return {"r": "thrown", "k": text}
        if isinstance(e, base.Unsupported):
            return {"r": "unsupported", "k": text}
        if isinstance(e, base.DriverFailure):  # a link failure: there are no imports, so the engine is wrong
            return {"r": "error", "k": f"{type(e).__name__}: {text}"}
        return {"r": "error", "k": f"{type(e).__name__}: {e}"}

    def state(self, instance: Any, plan: dict) -> dict:
        from ..spec.drivers.base import DriverFailure

        g: dict[str, Any] = {}
        for name in plan["globals"]:
            try:
                t, v = self.driver.get(instance, name)
                g[name] = [t, _raw(t, v)]
            except (DriverFailure, Exception):  # noqa: BLE001 - a value this API cannot read (node: a v128
                pass  # global) leaves this engine out of that global's comparison, as memories do
        m = {name: _memory(self.driver, instance, name, self.seen) for name in plan["memories"]}
        return {"g": g, "m": {k: v for k, v in m.items() if v is not None}}

    def run(self, wasm: bytes, plan: dict) -> dict:
        from ..spec.drivers.base import CompileFailure, DriverFailure, EngineDied

        self.fresh()
        answer: dict[str, Any] = {"calls": []}
        try:
            module = self.driver.compile(wasm)
        except CompileFailure as e:
            answer["compile"] = e.message or "rejected"
            return answer
        except EngineDied:
            raise
        except Exception as e:  # noqa: BLE001 - an engine's internal error is an answer, not our crash
            answer["compile"] = f"{type(e).__name__}: {e}"
            answer["compile_error"] = True
            return answer
        try:
            instance = self.driver.instantiate(module, {})
        except EngineDied:
            raise
        except Exception as e:  # noqa: BLE001
            answer["inst"] = self.outcome(e)
            return answer
        answer["inst"] = {"r": "ok", "s": self.state(instance, plan)}
        refuel = plan.get("refuel")
        for export, args in plan["calls"]:
            if refuel:
                try:
                    self.driver.invoke(instance, refuel, [])
                except Exception:  # noqa: BLE001 - the call itself will show what is wrong
                    pass
            try:
                results = self.driver.invoke(instance, export, [tuple(a) for a in args])
                obs: dict[str, Any] = {"r": "ok", "v": [[t, _raw(t, v)] for t, v in results]}
            except EngineDied:
                raise
            except DriverFailure as e:
                obs = self.outcome(e)
            except Exception as e:  # noqa: BLE001
                obs = self.outcome(e)
            if obs["r"] in ("fuel", "error"):
                answer["calls"].append(obs)
                break
            obs["s"] = self.state(instance, plan)
            answer["calls"].append(obs)
        return answer


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m harness.fuzz.worker")
    p.add_argument("engine", help="runtime:tier")
    p.add_argument("--fuel", type=int, default=None, help="wasmtime fuel per module")
    args = p.parse_args(argv)
    runtime, _, tier = args.engine.partition(":")
    global OUT
    sys.modules.setdefault("harness.fuzz.worker", sys.modules[__name__])  # one OUT under -m too
    out = OUT = os.fdopen(os.dup(1), "w")
    os.dup2(2, 1)
    sys.setrecursionlimit(max(sys.getrecursionlimit(), 20000))
    try:
        session = Session(runtime, tier, args.fuel)
    except Exception as e:  # noqa: BLE001 - one line for the harness
        out.write(json.dumps({"fatal": f"cannot start {args.engine}: {type(e).__name__}: {e}"}) + "\n")
        out.flush()
        return 3
    out.write(json.dumps({"ready": args.engine}) + "\n")
    out.flush()
    for line in sys.stdin:
        request = json.loads(line)
        start = time.perf_counter()
        answer = session.run(base64.b64decode(request["wasm"]), request["plan"])
        answer["ms"] = round((time.perf_counter() - start) * 1000, 2)
        out.write(json.dumps(answer) + "\n")
        out.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
