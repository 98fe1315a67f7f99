"""LLVM plumbing: the host target machine, the optimisation pipeline, object emission and loading.

Code is compiled to an object file (``emit_object``) and then loaded into its own MCJIT engine, so a
cached object loads exactly like a fresh one and a warm start never runs LLVM's optimiser or code generator.
External symbols the objects need (setjmp/longjmp, libc memory routines, libm rounding) are registered
explicitly so symbol resolution does not depend on how the Python process was linked.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
import threading

import llvmlite
import llvmlite.binding as llvm

_lock = threading.Lock()
_target_machines: dict[int, llvm.TargetMachine] = {}
_initialised = False

_LIBC_SYMBOLS = ("_setjmp", "longjmp", "memcpy", "memmove", "memset")
_LIBM_SYMBOLS = (
    "ceil", "ceilf", "floor", "floorf", "trunc", "truncf", "roundeven", "roundevenf", "rint", "rintf",
    "nearbyint", "nearbyintf", "sqrt", "sqrtf", "fmin", "fminf", "fmax", "fmaxf", "fminimum", "fminimumf",
    "fmaximum", "fmaximumf",
)


def _init() -> None:
    global _initialised
    if _initialised:
        return
    llvm.initialize_native_target()
    llvm.initialize_native_asmprinter()
    libc = ctypes.CDLL(ctypes.util.find_library("c") or None)
    libm = ctypes.CDLL(ctypes.util.find_library("m") or None)
    for lib, names in ((libc, _LIBC_SYMBOLS), (libm, _LIBM_SYMBOLS)):
        for name in names:
            try:
                addr = ctypes.cast(getattr(lib, name), ctypes.c_void_p).value
            except AttributeError:
                continue
            llvm.add_symbol(name, addr)
    _initialised = True


@functools.cache
def host_cpu() -> tuple[str, str, str]:
    """(triple, cpu name, feature string) of the host: part of the cache key."""
    _init()
    try:
        features = llvm.get_host_cpu_features().flatten()
    except RuntimeError:  # some hosts cannot report features: the CPU name alone then decides
        features = ""
    return llvm.get_process_triple(), llvm.get_host_cpu_name(), features


def _new_target_machine(opt_level: int) -> llvm.TargetMachine:
    triple, cpu, features = host_cpu()
    target = llvm.Target.from_triple(triple)
    return target.create_target_machine(
        cpu=cpu, features=features, opt=min(opt_level, 3), reloc="default", codemodel="jitdefault"
    )


def target_machine(opt_level: int) -> llvm.TargetMachine:
    """The shared target machine for compiling (never handed to an engine: engines own and free theirs)."""
    with _lock:
        _init()
        tm = _target_machines.get(opt_level)
        if tm is None:
            tm = _target_machines[opt_level] = _new_target_machine(opt_level)
        return tm


def engine_version() -> str:
    return f"llvmlite-{llvmlite.__version__}-llvm-{'.'.join(map(str, llvm.llvm_version_info))}"


def compile_ir(ir_text: str, opt_level: int) -> bytes:
    """Parse, verify, optimise (O1-O3; O0 runs no passes) and emit an object file for the host."""
    tm = target_machine(opt_level)
    mod = llvm.parse_assembly(ir_text)
    mod.triple = tm.triple
    mod.data_layout = str(tm.target_data)
    mod.verify()
    if opt_level > 0:
        pto = llvm.create_pipeline_tuning_options(speed_level=min(opt_level, 3))
        # llvmlite leaves SLP off below O3; straight-line float code (nbody: ~7%) gains from it at O2 too,
        # for ~2% more compile time.  Loop vectorisation, unrolling and LICM are on from O2 by default.
        pto.slp_vectorization = opt_level >= 2
        pb = llvm.create_pass_builder(tm, pto)
        pb.getModulePassManager().run(mod, pb)
    return tm.emit_object(mod)


class LoadedObject:
    """An object file loaded into its own MCJIT engine; keeps the code alive while referenced."""

    def __init__(self, obj: bytes, opt_level: int):
        target_machine(opt_level)  # initialise LLVM
        with _lock:
            tm = _new_target_machine(opt_level)  # the engine takes ownership of it
            empty = llvm.parse_assembly("")
            empty.triple = tm.triple
            self.engine = llvm.create_mcjit_compiler(empty, tm)
            self.engine.add_object_file(llvm.ObjectFileRef.from_data(obj))
            self.engine.finalize_object()

    def symbol(self, name: str) -> int:
        addr = self.engine.get_global_value_address(name) or self.engine.get_function_address(name)
        if not addr:
            raise KeyError(f"symbol {name!r} missing from compiled object")
        return addr

    def pointer_table(self, name: str, n: int) -> list[int]:
        if n == 0:
            return []
        arr = (ctypes.c_void_p * n).from_address(self.symbol(name))
        return [int(a or 0) for a in arr]
