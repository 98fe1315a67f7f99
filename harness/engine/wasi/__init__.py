"""WASI preview1 (wasi_snapshot_preview1) for our engine.

``WasiHost`` holds one program's state and implements every preview1 function on raw values;
``run_module`` links it into an instance of our engine and runs ``_start``.  Paths are confined to the
preopened directories by ``sandbox.resolve``.
"""

from .constants import WasiError
from .host import SIGNATURES, ProcExit, WasiConfig, WasiHost, WasiSetupError
from .run import (
    IMPORT_MODULE,
    TRAP_EXIT_CODE,
    NotWasiError,
    check_command,
    find_proc_exit,
    imports_for,
    run_module,
)

__all__ = [
    "IMPORT_MODULE", "SIGNATURES", "TRAP_EXIT_CODE", "NotWasiError", "ProcExit", "WasiConfig", "WasiError",
    "WasiHost", "WasiSetupError", "check_command", "find_proc_exit", "imports_for", "run_module",
]
