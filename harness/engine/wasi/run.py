"""Running a WASI command module on our engine: link the host, bind memory, call ``_start``."""

from __future__ import annotations

from typing import Any

from .host import SIGNATURES, ProcExit, WasiConfig, WasiHost

IMPORT_MODULE = "wasi_snapshot_preview1"
TRAP_EXIT_CODE = 134  # what wasmtime's CLI exits with on a trap (like an abort)


class NotWasiError(Exception):
    """The module is not a WASI preview1 command (foreign imports, or no ``_start``)."""


def imports_for(host: WasiHost, api: Any) -> dict[str, dict[str, Any]]:
    """The import object for ``store.instantiate``: every preview1 function as an engine host function."""
    from ..syntax import FuncType

    fns = host.functions()
    return {IMPORT_MODULE: {name: api.host_func(FuncType(params, results), fns[name])
                            for name, (params, results) in SIGNATURES.items()}}


def check_command(imports: list, exports: list) -> None:
    """Refuse modules this host cannot run, with a message that says why."""
    for imp in imports:
        module, name = imp[0], imp[1]
        if module != IMPORT_MODULE:
            raise NotWasiError(f"imports {module}.{name}; a WASI preview1 command imports only {IMPORT_MODULE}"
                               + (" (wasm32-wasip2/p3 components need a component runtime)"
                                  if module.startswith("wasi:") else ""))
        if name not in SIGNATURES:
            raise NotWasiError(f"imports {module}.{name}, which is not a preview1 function")
    names = {e[0] for e in exports}
    if "_start" not in names:
        raise NotWasiError("exports no _start function (not a WASI command)")


def find_proc_exit(exc: BaseException | None) -> ProcExit | None:
    """The ProcExit behind an exception, also when an engine wrapped it (cause/context chain)."""
    seen = 0
    while exc is not None and seen < 20:
        if isinstance(exc, ProcExit):
            return exc
        exc = exc.__cause__ or exc.__context__
        seen += 1
    return None


def run_module(data: bytes, config: WasiConfig, tier: str = "interp", **store_options: Any) -> int:
    """Run a preview1 command to completion on our engine and return its exit code.

    Raises ``NotWasiError`` for modules that are not commands, ``WasiSetupError`` for a bad preopen, and
    the engine's own errors (MalformedError, ValidationError, LinkError, Trap) for the rest; stdio goes
    to the descriptors in ``config``.
    """
    from .. import api

    store = api.Store(tier=tier, **store_options)
    module = store.load(data)
    check_command(list(module.imports), list(module.exports))
    host = WasiHost(config)
    try:
        try:
            inst = store.instantiate(module, imports_for(host, api))
            host.bind_memory(inst.exports.get("memory"))
            inst.invoke("_start", [])
        except BaseException as e:
            found = find_proc_exit(e)
            if found is None:
                raise
            return found.code & 0xFFFFFFFF
        return 0
    finally:
        host.close()
