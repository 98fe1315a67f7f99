"""The ``harness`` command.  Each subcommand lives with its stage (``spec/cli.py``, ...) or, when it belongs to
no single stage, in ``harness/commands/``; this module only dispatches.

A subcommand module exposes ``HELP`` (one line), ``add_arguments(parser)`` and ``main(args) -> int``.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys

from .adapters.base import UnknownEngineError
from .adapters.declared import ENV as ENGINES_FILE_ENV
from .cli_options import add_engines_file
from .errors import HarnessError
from .interrupts import Terminated

SUBCOMMANDS = {
    "runtimes": "harness.commands.runtimes",
    "suites": "harness.suites.cli",
    "spec": "harness.spec.cli",
    "wasi": "harness.wasi.cli",
    "run": "harness.commands.run",
    "perf": "harness.perf.cli",
    "report": "harness.report.cli",
    "results": "harness.results.cli",
    "dashboard": "harness.dashboard.cli",
    "images": "harness.images.cli",
    "fuzz": "harness.fuzz.cli",
    "all": "harness.commands.all",
}


def build_parser() -> argparse.ArgumentParser:
    from . import __version__

    parser = argparse.ArgumentParser(
        prog="harness",
        description="Conformance and performance harness for WebAssembly runtimes and their tiers. "
        "Engines are named runtime:tier (wasmtime:cranelift, v8:liftoff, ours:interp); "
        "'harness runtimes' lists them.",
    )
    parser.add_argument("--version", action="version", version=f"harness {__version__}")
    add_engines_file(parser)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, modname in SUBCOMMANDS.items():
        mod = importlib.import_module(modname)
        p = sub.add_parser(name, help=mod.HELP, description=getattr(mod, "DESCRIPTION", mod.HELP),
                           formatter_class=argparse.RawDescriptionHelpFormatter)
        mod.add_arguments(p)
        p.set_defaults(_main=mod.main)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "_main", None):
        parser.print_help()
        return 2
    if getattr(args, "engines_file", None):  # in the environment, so every process the harness starts reads it
        os.environ[ENGINES_FILE_ENV] = str(args.engines_file.resolve())
    try:
        return int(args._main(args) or 0)
    except (HarnessError, UnknownEngineError) as e:
        print(f"harness {args.command}: error: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt as e:
        # a recorded run adds a note of what the store kept (results.run.recording)
        how = "terminated (SIGTERM)" if isinstance(e, Terminated) else "interrupted"
        print("; ".join([f"harness {args.command}: {how}", *getattr(e, "__notes__", [])]), file=sys.stderr)
        return Terminated.exit_code if isinstance(e, Terminated) else 130


if __name__ == "__main__":
    sys.exit(main())
