"""Options that several commands take, declared once so each means and reads the same everywhere.

Each ``add_*`` adds one option to a subcommand's parser; the command passes only what differs (its
default, what it runs: "files", "tests").  ``open_store`` turns ``--db``/``--no-store`` into a store.
"""

from __future__ import annotations

import argparse
import shlex
import sys
from pathlib import Path

from .paths import default_results_db
from .results.store import ResultsStore


def positive_seconds(text: str) -> float:
    """An argparse type: a number of seconds above zero (``--timeout -1`` or ``0`` would time out everything)."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number of seconds, got {text!r}") from None
    if not value > 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"must be a positive number of seconds, got {text!r}")
    return value


def positive_int(text: str) -> int:
    """An argparse type: a whole number from 1 up."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {text!r}")
    return value


def add_engines(p: argparse.ArgumentParser, default: str, detail: str = "") -> None:
    p.add_argument("--engines", default=default,
                   help="comma-separated runtime[:tier] list ('harness runtimes' lists them)"
                        + (f"; {detail}" if detail else "") + " (default: %(default)s)")
    add_engines_file(p)


def add_engines_file(p: argparse.ArgumentParser) -> None:
    """``--engines-file``: also a global option, so SUPPRESS keeps a subcommand from resetting it."""
    p.add_argument("--engines-file", type=Path, default=argparse.SUPPRESS, metavar="PATH",
                   help="TOML file declaring engines by their command lines (default: ./harness.toml, else "
                        "engines.toml in the user config dir; docs/DECLARED_ENGINES.md)")


def add_store(p: argparse.ArgumentParser, *, optional: bool = True) -> None:
    """``--db``, and ``--no-store`` where the command can run without a store."""
    p.add_argument("--db", type=Path, default=None,
                   help="results store (default: reports/results.db or $HARNESS_RESULTS)")
    if optional:
        p.add_argument("--no-store", action="store_true", help="do not write results to the store")


def add_json(p: argparse.ArgumentParser) -> None:
    p.add_argument("--json", type=Path, default=None, help="also write a JSON summary here")


def add_jobs(p: argparse.ArgumentParser, default: int, what: str) -> None:
    p.add_argument("--jobs", "-j", type=positive_int, default=default,
                   help=f"{what} run at the same time (default: %(default)s)")


def add_timeout(p: argparse.ArgumentParser, default: float | None, what: str) -> None:
    p.add_argument("--timeout", type=positive_seconds, default=default,
                   help=f"seconds {what} may take before its engine is killed (default: %(default)s)")


def add_pattern(p: argparse.ArgumentParser, what: str) -> None:
    p.add_argument("-k", dest="pattern", default=None,
                   help=f"only {what} whose name contains PATTERN (comma-separated: any of them)")


def add_verbose(p: argparse.ArgumentParser, what: str) -> None:
    p.add_argument("-v", "--verbose", action="store_true", help=f"print {what}, not only the problems")


def open_store(args: argparse.Namespace) -> ResultsStore | None:
    """The store that ``--db`` names (default: ``paths.default_results_db``), or None with ``--no-store``."""
    if getattr(args, "no_store", False):
        return None
    return ResultsStore(args.db or default_results_db())


def command_line(command: str) -> str:
    """How this command was invoked, to store with its run: ``harness <command> ARGS`` from the command line,
    the whole ``argv`` when called another way (a test, ``harness all`` runs ``python -m harness``)."""
    if sys.argv[1:2] == [command]:
        return f"harness {command} " + shlex.join(sys.argv[2:])
    return shlex.join(sys.argv)
