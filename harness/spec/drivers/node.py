"""V8 through node: the executor runs in the worker as for every in-process engine, and this driver
forwards compile / instantiate / invoke / get to ``v8_driver.js`` in a node child process (one per file).

Tiers are node flags from the adapter (``--liftoff-only`` / ``--no-liftoff --no-concurrent-marking``), and a
3.0 suite adds the ``--experimental-wasm-*`` flags of the proposals the adapter declares.  ``spectest`` is
sent to the child as data (``harness.spec.spectest.as_json``), which builds it with the JS API; its functions
are ``WebAssembly.Function`` objects, so imports of them are type-checked like those of wasm functions.
"""

from __future__ import annotations

import base64
import json
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ... import process
from ...adapters.registry import V8Adapter
from ...text import clip_start
from .. import spectest
from ..values import BITS, HostRef
from .base import (
    CompileFailure,
    Driver,
    EngineDied,
    ExhaustionFailure,
    LinkFailure,
    ThrownException,
    TrapFailure,
    enabled_features,
)

JS_DRIVER = Path(__file__).with_name("v8_driver.js")


@dataclass(frozen=True)
class NodeFuncRef:
    """A non-null funcref living in the node process."""

    id: int


@dataclass
class _Module:
    handle: int
    imports: list[str]


@dataclass
class _Instance:
    handle: int


class NodeDriver(Driver):
    reads_text = False

    what = "node"
    """The child, as failures name it."""
    close_timeout = 5.0
    """Seconds ``close`` waits for node to end once its stdin is closed, before killing it."""

    def __init__(self, tier: str):
        super().__init__(tier)
        # In the worker's process group, which the runner kills whole; and killed by the kernel should the
        # worker itself be killed alone.  Not through process.run: the driver talks to it while it runs.
        self.proc = subprocess.Popen(self.command(tier), stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, text=True, bufsize=1,
                                     preexec_fn=process.die_with_parent())
        self._id = 0
        self._spectest: _Instance | None = None

    def command(self, tier: str) -> list[str]:
        """The node child's command line: the local node (``harness.images.node_spec`` runs it in an image)."""
        node = V8Adapter().binary()
        if node is None:
            raise RuntimeError("node is not on PATH")
        return [str(node), *self.node_args(tier)]

    @staticmethod
    def node_args(tier: str) -> list[str]:
        """node's arguments after the binary: the tier's flags, the suite's proposals, the driver script."""
        features = [flag for support in enabled_features("v8", tier).values() for flag in support.enable]
        return [*V8Adapter.node_flags(tier), *features, "--experimental-wasm-type-reflection", str(JS_DRIVER)]

    def _call(self, op: str, **fields: Any) -> dict[str, Any]:
        self._id += 1
        try:
            self.proc.stdin.write(json.dumps({"op": op, "id": self._id, **fields}) + "\n")
            self.proc.stdin.flush()
            line = self.proc.stdout.readline()
        except (BrokenPipeError, OSError):
            line = ""
        if not line:  # its stdout closed: it is ending (the wait gives its status, not None)
            try:
                status: int | None = self.proc.wait(timeout=self.close_timeout)
            except subprocess.TimeoutExpired:
                status = None
            err = clip_start(self.proc.stderr.read().strip()) if status is not None else ""
            raise EngineDied(f"{self.what} exited (status {status}): {err}")
        reply = json.loads(line)
        error = reply.get("error")
        if error is None:
            return reply
        message = reply.get("message", "")
        if error == "compile":
            raise CompileFailure(message)
        if error == "link":
            raise LinkFailure(message)
        if error == "trap":
            raise TrapFailure(message)
        if error == "exhaustion":
            raise ExhaustionFailure(message)
        if error == "exception":
            raise ThrownException(message)
        raise RuntimeError(f"node driver: {error}: {message}")

    def compile(self, binary: bytes | None, text: str | None = None) -> Any:
        assert binary is not None
        reply = self._call("compile", bytes=base64.b64encode(binary).decode())
        return _Module(reply["handle"], reply["imports"])

    def spectest_instance(self) -> _Instance:
        if self._spectest is None:
            self._spectest = _Instance(self._call("host", exports=spectest.as_json())["handle"])
        return self._spectest

    def instantiate(self, module: Any, registry: dict[str, Any]) -> Any:
        names = {n: i.handle for n, i in registry.items() if n in module.imports}
        if spectest.NAME in module.imports and spectest.NAME not in names:
            names[spectest.NAME] = self.spectest_instance().handle
        reply = self._call("instantiate", module=module.handle, registry=names)
        return _Instance(reply["handle"])

    @staticmethod
    def _arg(t: str, raw: Any) -> Any:
        if t in BITS:
            return str(raw)
        if raw is None:
            return None
        if isinstance(raw, HostRef):
            return {"host": raw.n}
        if isinstance(raw, NodeFuncRef):
            return {"func": raw.id}
        raise TypeError(f"cannot pass {raw!r} as {t} to node")

    @staticmethod
    def _result(t: str, raw: Any) -> tuple[str, Any]:
        if t in BITS:
            return t, int(raw)
        if raw is None:
            return t, None
        if "host" in raw:
            return t, HostRef(raw["host"])
        return t, NodeFuncRef(raw["func"])

    def invoke(self, instance: Any, field: str, args: list[tuple[str, Any]]) -> list[tuple[str, Any]]:
        reply = self._call("invoke", instance=instance.handle, field=field,
                           args=[[t, self._arg(t, raw)] for t, raw in args])
        return [self._result(t, raw) for t, raw in reply["results"]]

    def get(self, instance: Any, field: str) -> tuple[str, Any]:
        t, raw = self._call("get", instance=instance.handle, field=field)["result"]
        return self._result(t, raw)

    def close(self) -> None:
        try:
            self.proc.stdin.close()
            self.proc.wait(timeout=self.close_timeout)
        except (OSError, subprocess.TimeoutExpired):
            self.proc.kill()
