"""Child process that runs one WASI program on an in-process Python engine (ours, pywasm, wasm3, hostcheck).

``python -m harness.wasi.child --engine ours:interp [--dir HOST::GUEST] [--env K=V] [--argv0 NAME] FILE -- ARGS``

Stdio is the process's own (0/1/2).  Exit status: the program's exit code; 134 after a trap (like
wasmtime); 1 when the module cannot run (malformed, invalid, not a WASI command, bad preopen), with one
line on stderr; 70 (EX_SOFTWARE) when the engine itself failed unexpectedly.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

TRAP_EXIT = 134
SETUP_EXIT = 1
INTERNAL_EXIT = 70


def parse_dir(text: str) -> tuple[str, str]:
    """``HOST::GUEST`` or ``HOST`` (guest name = host path as given)."""
    host, sep, guest = text.partition("::")
    return (host, guest) if sep else (text, text)


def parse_env(text: str) -> tuple[str, str]:
    key, sep, value = text.partition("=")
    if not sep or not key:
        raise argparse.ArgumentTypeError(f"--env wants KEY=VALUE, got {text!r}")
    return key, value


def build_parser() -> argparse.ArgumentParser:
    # A fixed help width: argparse would otherwise import shutil (and bz2, lzma) to ask the terminal's.
    p = argparse.ArgumentParser(prog="python -m harness.wasi.child",
                                formatter_class=lambda prog: argparse.HelpFormatter(prog, width=100))
    p.add_argument("--engine", required=True)
    p.add_argument("--dir", action="append", default=[], type=parse_dir)
    p.add_argument("--env", action="append", default=[], type=parse_env)
    p.add_argument("--argv0")
    p.add_argument("file")
    p.add_argument("args", nargs=argparse.REMAINDER)
    return p


def _run_pywasm(path: Path, args: list[str], env: dict[str, str], dirs: list[tuple[str, str]]) -> int:
    import pywasm

    wasi = pywasm.wasi.Preview1(args, {guest: host for host, guest in dirs}, env)
    runtime = pywasm.core.Runtime()
    wasi.bind(runtime)
    instance = runtime.instance_from_file(str(path))
    try:
        return int(wasi.main(runtime, instance))
    except AssertionError as e:  # pywasm signals traps (unreachable, bounds) with failed assertions
        print(f"error: wasm trap (pywasm): {e or 'assertion failed'}", file=sys.stderr)
        return TRAP_EXIT


def run(engine: str, path: Path, args: list[str], env: dict[str, str], dirs: list[tuple[str, str]]) -> int:
    """Run and return the exit status (see the module docstring)."""
    from ..engine.wasi import NotWasiError, WasiConfig, WasiSetupError

    config = WasiConfig(args=args, env=env, preopens=dirs)
    runtime, _, tier = engine.partition(":")
    try:
        data = path.read_bytes()
    except OSError as e:
        print(f"error: cannot read {path}: {e.strerror}", file=sys.stderr)
        return SETUP_EXIT
    try:
        if runtime == "ours":
            from ..engine import errors as E
            from ..engine.wasi import run_module

            if path.suffix == ".wat":
                data = _wat_to_wasm(data)
            try:
                return run_module(data, config, tier=tier or "interp")
            except E.Trap as e:
                print(f"error: wasm trap: {e}", file=sys.stderr)
                return TRAP_EXIT
            except (E.MalformedError, E.ValidationError, E.LinkError) as e:
                print(f"error: {type(e).__name__}: {e}", file=sys.stderr)
                return SETUP_EXIT
        if runtime == "hostcheck":
            from .hostcheck import run_module as run_on_wasmtime

            return run_on_wasmtime(data, config)
        if runtime == "pywasm":
            return _run_pywasm(path, args, env, dirs)
        if runtime == "wasm3":
            from .wasm3_host import run_module as run_on_wasm3

            return run_on_wasm3(data, config)
        print(f"error: engine {engine!r} is not run in-process", file=sys.stderr)
        return SETUP_EXIT
    except (NotWasiError, WasiSetupError) as e:
        print(f"error: {e}", file=sys.stderr)
        return SETUP_EXIT
    except RecursionError:
        print("error: wasm trap: call stack exhausted", file=sys.stderr)
        return TRAP_EXIT


def _show_compiles() -> None:
    """On a terminal, say when the LLVM tier compiles (seconds to a minute the first time a program runs);
    never into a file or pipe, where the program's own stderr is being captured or compared."""
    import logging

    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("harness: ours:llvm: %(message)s"))
    log = logging.getLogger("harness.engine.llvm")
    log.addHandler(handler)
    log.setLevel(logging.INFO)
    log.propagate = False


def _wat_to_wasm(data: bytes) -> bytes:
    from ..engine import text

    return text.parse_module(data.decode())


def main(argv: list[str] | None = None) -> int:
    ns = build_parser().parse_args(argv)
    if ns.engine.startswith("ours") and os.isatty(2):
        _show_compiles()
    args = ns.args[1:] if ns.args[:1] == ["--"] else ns.args
    path = Path(ns.file)
    argv0 = ns.argv0 or path.name
    try:
        code = run(ns.engine, path, [argv0, *args], dict(ns.env), list(ns.dir))
    except SystemExit:
        raise
    except BaseException as e:  # the engine failed: report it as such, not as the program's exit code
        if type(e).__name__ == "ProcExit":
            code = int(getattr(e, "code", 1))
        elif type(e).__name__ in ("Trap", "Exhaustion"):
            print(f"error: wasm trap: {e}", file=sys.stderr)
            code = TRAP_EXIT
        else:
            print(f"harness: internal error in engine {ns.engine}: {type(e).__name__}: {e}", file=sys.stderr)
            import traceback  # only here: importing it costs every start a few milliseconds

            traceback.print_exc()
            code = INTERNAL_EXIT
    sys.stdout.flush()
    sys.stderr.flush()
    return code & 0xFF if code >= 0 else 1


if __name__ == "__main__":
    code = main()
    sys.stdout.flush()
    os._exit(code)
