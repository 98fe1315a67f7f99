"""pytest glue for the spec suites (``suites/spec/test_spec.py``): options, the run id shared with
xdist workers, and writing result rows.

Options are registered from ``suites/conftest.py`` (pytest only asks conftests it loads at startup) and
tolerate another suite registering the same ``--engines`` option first.
"""

from __future__ import annotations

import os
import time
import uuid
from pathlib import Path

RUN_ID_ENV = "HARNESS_RUN_ID"
RUN_COMMAND_ENV = "HARNESS_RUN_COMMAND"
DEFAULT_ENGINES = "wasmtime:cranelift,wabt,ours"


def add_options(parser) -> None:
    group = parser.getgroup("harness")
    for name, kwargs in (
        ("--engines", {"default": None, "help": "engines (runtime[:tier], comma-separated) for the suites"}),
        ("--suite-dir", {"default": None, "help": "official spec testsuite dir (else $HARNESS_SPEC_DIR)"}),
        ("--spec-timeout", {"default": 300.0, "type": float, "help": "seconds per .wast file and engine"}),
    ):
        try:
            group.addoption(name, **kwargs)
        except ValueError:  # another suite's conftest registered it already; share it
            pass


def official_dir(config) -> Path | None:
    """The official suite: --suite-dir, $HARNESS_SPEC_DIR, or the spec-2.0 suite 'harness suites fetch' got."""
    given = config.getoption("--suite-dir", None) or os.environ.get("HARNESS_SPEC_DIR")
    if given:
        return Path(given)
    try:
        from ..suites.catalog import get_suite

        candidate = get_suite("spec-2.0").path
    except Exception:  # noqa: BLE001 - no catalogue in this checkout: only explicit suite dirs
        return None
    return candidate if candidate.is_dir() else None


def start_run(config) -> None:
    """On the controller (not on xdist workers): pick the run id and export it to the workers.

    The run row itself is created by the first ``record`` (any process), so sessions that collect no
    spec items leave no empty runs behind.  This hook lives in ``suites/conftest.py`` because with
    xdist the controller never imports ``suites/spec/conftest.py``.
    """
    if hasattr(config, "workerinput") or os.environ.get(RUN_ID_ENV):
        return
    run_id = time.strftime("%Y%m%dT%H%M%S") + "-" + uuid.uuid4().hex[:8]
    os.environ[RUN_ID_ENV] = run_id
    os.environ[RUN_COMMAND_ENV] = "pytest " + " ".join(config.invocation_params.args)
    config._harness_spec_run_id = run_id


def finish_run(config) -> None:
    run_id = getattr(config, "_harness_spec_run_id", None)
    if not run_id:
        return
    os.environ.pop(RUN_ID_ENV, None)
    from ..paths import default_results_db

    db = default_results_db()
    if not db.is_file():
        return
    from ..results.store import ResultsStore

    with ResultsStore(db) as store:
        store.finish_run(run_id)  # no-op when no spec item recorded anything


def record(result) -> None:
    """Write a FileResult's rows under the shared run id (each xdist worker writes its own rows)."""
    run_id = os.environ.get(RUN_ID_ENV)
    if not run_id:
        return
    from ..paths import default_results_db
    from ..results.store import ResultsStore
    from .summary import store_rows

    with ResultsStore(default_results_db()) as store:
        store.start_run("spec", command=os.environ.get(RUN_COMMAND_ENV, "pytest"), run_id=run_id)  # once
        store.add(run_id, store_rows(result))
