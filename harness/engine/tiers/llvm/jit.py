"""LLVM plumbing: the host target machine, the optimisation pipeline, object emission and loading.

Code is compiled to an object file (``emit_object``) and then loaded, so a cached object loads exactly like
a fresh one and a warm start never runs LLVM's optimiser or code generator.  On x86-64 Linux the tier's
own ELF loader (``loader``) maps it; elsewhere, or for an object that loader does not handle, an MCJIT
engine does.  External symbols the objects need (setjmp/longjmp, libc memory routines, libm rounding) are
looked up in the process (and registered with MCJIT explicitly), so symbol resolution does not depend on
how the Python process was linked.

``llvmlite.binding`` is imported on first use, and the host's target description (part of every cache
key) is remembered in a small file per CPU and llvmlite build (``_host``): a warm start then never loads
LLVM at all, which saves ~25 ms and ~50 MB of resident memory per process.
"""

from __future__ import annotations

import ctypes
import functools
import hashlib
import itertools
import os
import struct
import sys
import threading
from pathlib import Path

import llvmlite

from . import loader, recursion


class _Binding:
    """``llvmlite.binding``, imported when first used (see the module docstring)."""

    def __getattr__(self, name: str):
        import llvmlite.binding

        return getattr(llvmlite.binding, name)


llvm = _Binding()

_lock = threading.Lock()
_target_machines: dict[tuple[int, bool], llvm.TargetMachine] = {}
_initialised = False

_X86_HOST = os.uname().machine in ("x86_64", "AMD64")
_LIBC_SYMBOLS = ("_setjmp", "longjmp", "memcpy", "memmove", "memset", "sigaction")
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
    if _X86_HOST:
        # X86CmovConverter's "force mem operand" step rewrites every cmov that reads memory into a branch
        # around a plain load, even when that load was volatile: a guard-page access whose value only a
        # select uses then happens on one path only, and its trap with it (see docs/LLVM_TIER.md, "Every
        # trap stays").  Without it the cmov keeps its memory operand, which x86 reads whatever the
        # condition.  A process-wide option, parsed once: the pass has no per-function switch.
        llvm.set_option("", "-x86-cmov-converter-force-mem-operand=false")
    for name in _LIBC_SYMBOLS + _LIBM_SYMBOLS:
        addr = external_address(name)
        if addr:
            llvm.add_symbol(name, addr)
    _initialised = True


@functools.cache
def external_address(name: str) -> int | None:
    """Address of a C function the compiled code calls (``memcpy``, ``fminimum``...), or None: from the
    process itself (CPython links libc and libm), else from libc and libm found by name."""
    for lib in itertools.chain((_process(),), _named_libraries()):  # lazily: the process almost always has it
        try:
            return ctypes.cast(getattr(lib, name), ctypes.c_void_p).value
        except AttributeError:
            continue
    return None


@functools.cache
def _process() -> ctypes.CDLL:
    return ctypes.CDLL(None)


def _named_libraries():
    """libc and libm by name, found only when asked for (``find_library`` runs ldconfig: milliseconds)."""
    for libname in ("c", "m"):
        lib = _named_library(libname)
        if lib is not None:
            yield lib


@functools.cache
def _named_library(libname: str) -> ctypes.CDLL | None:
    from ctypes.util import find_library  # imports subprocess and more: only when it is needed

    path = find_library(libname)
    return ctypes.CDLL(path) if path else None


def host_cpu() -> tuple[str, str, str]:
    """(triple, cpu name, feature string) of the host: part of the cache key."""
    return _host()[:3]


@functools.cache
def _host() -> tuple[str, str, str, str]:
    """(triple, cpu name, features, LLVM version), asked of LLVM once per CPU and llvmlite build and then
    read from ``<cache>/host/<fingerprint>`` (four lines).  The fingerprint covers what LLVM's answer depends on:
    the CPUs' identification and feature flags as the kernel reports them, and the llvmlite build."""
    path = _host_memo_path()
    if path is not None:
        try:
            got = path.read_text().split("\n")
            if len(got) == 4 and all(got):
                return tuple(got)
        except (OSError, ValueError):
            pass
    _init()
    try:
        features = llvm.get_host_cpu_features().flatten()
    except RuntimeError:  # some hosts cannot report features: the CPU name alone then decides
        features = ""
    host = (llvm.get_process_triple(), llvm.get_host_cpu_name(), features,
            ".".join(map(str, llvm.llvm_version_info)))
    if path is not None:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
            tmp.write_text("\n".join(host))  # one field per line: none holds a newline
            tmp.replace(path)
        except OSError:
            pass  # a read-only cache: LLVM is asked again next time
    return host


_CPUINFO_FIELDS = frozenset({
    "vendor_id", "cpu family", "model", "model name", "stepping", "microcode", "flags",  # x86
    "Features", "CPU implementer", "CPU architecture", "CPU variant", "CPU part", "CPU revision",  # arm
})


def _host_memo_path() -> Path | None:
    """Where ``_host`` remembers its answer; None where /proc/cpuinfo cannot say what the CPU is."""
    try:
        text = Path("/proc/cpuinfo").read_text()
    except OSError:
        return None
    blocks = set()
    for block in text.split("\n\n"):
        fields = []
        for line in block.splitlines():
            key, sep, value = line.partition(":")
            if sep and key.strip() in _CPUINFO_FIELDS:
                fields.append(f"{key.strip()}={value.strip()}")
        if fields:
            blocks.add("\n".join(sorted(fields)))
    if not any("flags=" in b or "Features=" in b for b in blocks):
        return None
    h = hashlib.sha256()
    for part in sorted(blocks):
        h.update(part.encode() + b"\0")
    h.update(f"{sys.platform}|{os.uname().machine}|{llvmlite.__version__}|{llvmlite.__file__}".encode())
    for lib in sorted((Path(llvmlite.__file__).parent / "binding").glob("libllvmlite*")):
        st = lib.stat()
        h.update(f"{lib.name}:{st.st_size}:{st.st_mtime_ns}".encode())
    from .cache import default_cache_dir

    return default_cache_dir() / "host" / h.hexdigest()[:32]


def _new_target_machine(opt_level: int, small: bool = True) -> llvm.TargetMachine:
    """``small``: the small code model, position independent -- direct ``call`` between functions and
    PC-relative data, which is what the code runs fastest with (fib: ~10% over absolute addresses held
    in registers).  Safe because every object is loaded into one contiguous block (``LoadedObject``) and
    external functions are reached through the GOT (``translate._Metadata.got_flags``).  Otherwise the
    large code model: every address absolute, valid wherever the sections land."""
    triple, cpu, features = host_cpu()
    target = llvm.Target.from_triple(triple)
    return target.create_target_machine(
        cpu=cpu, features=features, opt=min(opt_level, 3), reloc="pic" if small else "default",
        codemodel="small" if small else "jitdefault",
    )


def target_machine(opt_level: int, small: bool = True) -> llvm.TargetMachine:
    """The shared target machine for compiling (never handed to an engine: engines own and free theirs)."""
    with _lock:
        _init()
        tm = _target_machines.get((opt_level, small))
        if tm is None:
            tm = _target_machines[opt_level, small] = _new_target_machine(opt_level, small)
        return tm


def engine_version() -> str:
    return f"llvmlite-{llvmlite.__version__}-llvm-{_host()[3]}"


def compile_ir(ir_text: str, opt_level: int) -> bytes:
    """Parse, verify, optimise (O1-O3; O0 runs no passes) and emit an object file for the host.

    O1-O3 use the small code model; if the object still calls an external symbol PC-relatively (not
    through the GOT: LLVM honours that for the calls it knows about, see ``translate``), it is compiled
    again with the large one rather than loaded unsafely.  O0 (fast compiles, FastISel: it ignores the
    GOT request for its library calls) always uses the large one."""
    small = opt_level > 0
    obj = _compile(ir_text, opt_level, small)
    if small and external_pc_relative(obj):
        obj = _compile(ir_text, opt_level, False)
    return obj


def _compile(ir_text: str, opt_level: int, small: bool) -> bytes:
    tm = target_machine(opt_level, small)
    return tm.emit_object(optimised(ir_text, opt_level, small))


def optimised(ir_text: str, opt_level: int, small: bool = True) -> llvm.ModuleRef:
    """The module after the optimisation pipeline of ``opt_level``, ready to emit (or to inspect)."""
    tm = target_machine(opt_level, small)
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
        unrolled = [fn for fn in mod.functions if recursion.is_unrolled(fn.name)]
        if unrolled:
            _loop_self_tail_calls(mod, unrolled, pb)
        pb.getModulePassManager().run(mod, pb)
    return mod


def _loop_self_tail_calls(mod: llvm.ModuleRef, copies: list, pb: llvm.PassBuilder) -> None:
    """Turn self tail calls into loops in the recursion copies and the functions they were copied from,
    before the O2 pipeline inlines the copies (see ``recursion``)."""
    bases = {fn.name.split(recursion.COPY_SUFFIX)[0] for fn in copies}
    fpm = llvm.create_new_function_pass_manager()
    fpm.add_sroa_pass()
    fpm.add_instruction_combine_pass()
    fpm.add_simplify_cfg_pass()
    fpm.add_tail_call_elimination_pass()
    for fn in copies + [mod.get_function(name) for name in sorted(bases)]:
        fpm.run(fn, pb)


_R_X86_64_PC32, _R_X86_64_PLT32 = 2, 4


def external_pc_relative(obj: bytes) -> list[str]:
    """Undefined (external) symbols an x86-64 ELF object reaches with a 32-bit PC-relative relocation
    (``R_X86_64_PC32``/``PLT32``): those need a stub or must be within 2 GiB, which the loader does not
    promise.  Empty for other objects (other targets' relocations are not checked)."""
    if obj[:4] != b"\x7fELF" or obj[4] != 2 or obj[5] != 1 or struct.unpack_from("<H", obj, 18)[0] != 62:
        return []
    (shoff,) = struct.unpack_from("<Q", obj, 40)
    shentsize, shnum = struct.unpack_from("<HH", obj, 58)
    sections = [struct.unpack_from("<IIQQQQIIQQ", obj, shoff + i * shentsize) for i in range(shnum)]
    found = set()
    for _name, sh_type, _f, _a, offset, size, link, _info, _al, entsize in sections:
        if sh_type != 4 or not entsize:  # SHT_RELA
            continue
        symtab = sections[link]
        strtab = sections[symtab[6]]
        for r in range(offset, offset + size, entsize):
            (info,) = struct.unpack_from("<Q", obj, r + 8)
            if info & 0xFFFFFFFF not in (_R_X86_64_PC32, _R_X86_64_PLT32):
                continue
            st_name, _st_info, _other, shndx = struct.unpack_from("<IBBH", obj, symtab[4] + (info >> 32) * symtab[9])
            if shndx == 0 and st_name:  # SHN_UNDEF
                start = strtab[4] + st_name
                found.add(obj[start : obj.index(b"\0", start)].decode())
    return sorted(found)


_PARTS_MAGIC = b"WASMLLVMPARTS1\0\0"
_PARTS_COUNT = struct.Struct("<I")
_PARTS_LEN = struct.Struct("<Q")


def pack_objects(objs: list[bytes]) -> bytes:
    """One payload for a module's objects (the cache stores one entry per module): a lone object as it
    is, several behind a small header (count, then each length)."""
    if len(objs) == 1:
        return objs[0]
    return (_PARTS_MAGIC + _PARTS_COUNT.pack(len(objs)) + b"".join(_PARTS_LEN.pack(len(o)) for o in objs)
            + b"".join(objs))


def unpack_objects(payload: bytes) -> list[bytes]:
    if not payload.startswith(_PARTS_MAGIC):
        return [payload]
    pos = len(_PARTS_MAGIC)
    (n,) = _PARTS_COUNT.unpack_from(payload, pos)
    pos += _PARTS_COUNT.size
    lengths = [_PARTS_LEN.unpack_from(payload, pos + k * _PARTS_LEN.size)[0] for k in range(n)]
    pos += n * _PARTS_LEN.size
    if pos + sum(lengths) != len(payload):
        raise ValueError(f"LLVM tier: malformed multi-object payload ({n} objects, {len(payload)} bytes)")
    objs = []
    for length in lengths:
        objs.append(payload[pos:pos + length])
        pos += length
    return objs


class LoadedObject:
    """A module's object file(s) loaded and linked to each other (a module compiled in parts, see
    ``pack_objects``): by ``loader`` where it can (x86-64 Linux), else into one MCJIT engine.  Keeps the
    code alive while referenced.  ``HARNESS_LLVM_LOADER=mcjit`` always uses MCJIT (to compare the two)."""

    def __init__(self, obj: bytes, opt_level: int):
        parts = unpack_objects(obj)
        self.image: loader.Image | None = None
        self.engine = None
        if loader.supported_host() and os.environ.get("HARNESS_LLVM_LOADER", "") != "mcjit":
            try:
                self.image = loader.load(parts, external_address)
                return
            except loader.Unsupported:
                pass  # MCJIT below handles every object LLVM emits
        target_machine(opt_level)  # initialise LLVM
        with _lock:
            tm = _new_target_machine(opt_level)  # the engine takes ownership of it
            empty = llvm.parse_assembly("")
            empty.triple = tm.triple
            # llvmlite's memory manager: all sections of an object in one block (see _new_target_machine)
            self.engine = llvm.create_mcjit_compiler(empty, tm, use_lmm=True)
            for part in parts:
                self.engine.add_object_file(llvm.ObjectFileRef.from_data(part))
            self.engine.finalize_object()

    def symbol(self, name: str) -> int:
        if self.image is not None:
            addr = self.image.symbols.get(name, 0)
        else:
            addr = self.engine.get_global_value_address(name) or self.engine.get_function_address(name)
        if not addr:
            raise KeyError(f"symbol {name!r} missing from compiled object")
        return addr

    def pointer_table(self, name: str, n: int) -> list[int]:
        if n == 0:
            return []
        arr = (ctypes.c_void_p * n).from_address(self.symbol(name))
        return [int(a or 0) for a in arr]
