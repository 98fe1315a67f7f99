"""Load the tier's ELF objects (x86-64 or aarch64) into executable memory in this process, without LLVM.

Why: a warm start (the object already in the cache) used to load it through llvmlite's MCJIT, and
importing llvmlite's binding and its shared library cost ~25 ms and ~50 MB of resident memory per process,
more than everything else a cached run of a small program does.  The objects are the tier's own
(``jit.compile_ir`` emits them), so this loader needs only what LLVM puts in them: allocatable sections,
a symbol table and RELA relocations of the few types LLVM emits for them (x86-64: absolute, PC-relative
and GOT-relative; aarch64: also ADRP/ADD/LDR page pairs, MOVZ/MOVK absolute moves and 26-bit branches).
Anything else raises ``Unsupported``, and ``jit.LoadedObject`` loads the object through MCJIT as before.

Layout: every section of every object (a module compiled in parts is several objects, which are linked to
each other here) goes into one mapping -- code, then read-only data and the GOT, then writable data -- so
32-bit PC-relative references always reach (the small code model's assumption, see
``jit._new_target_machine``).  Code pages end up read+execute and read-only data read-only: no page is
writable and executable at once.  ``.eh_frame`` is not loaded: traps leave compiled code by ``longjmp``,
never by unwinding.

aarch64: a ``bl``/``b`` reaches +-128 MiB, so calls to functions outside the image (libc, libm, the host's
callbacks) go through a 16-byte stub at the end of the code (``ldr x16, #8; br x16; .quad target``).  The
code is written through a data mapping, so the instruction cache is made coherent with it
(``__clear_cache`` from libgcc_s) before it runs; without that function the loader declines.
"""

from __future__ import annotations

import ctypes
import functools
import mmap
import os
import struct
import sys
import weakref
from collections.abc import Callable

# libc's mmap, mprotect and munmap as the runtime's memories use them (argument types set once, there)
from ...runtime.memory import _MAP_FAILED, _mmap, _mprotect, _munmap

_EHDR = struct.Struct("<16sHHIQQQIHHHHHH")
_SHDR = struct.Struct("<IIQQQQIIQQ")
_SYM = struct.Struct("<IBBHQQ")
_RELA = struct.Struct("<QQq")

_SHT_RELA, _SHT_NOBITS, _SHT_X86_64_UNWIND = 4, 8, 0x70000001
_SHF_WRITE, _SHF_ALLOC, _SHF_EXECINSTR = 1, 2, 4
_SHN_UNDEF, _SHN_LORESERVE, _SHN_ABS = 0, 0xFF00, 0xFFF1
_STB_LOCAL, _STB_WEAK = 0, 2
_ET_REL, _EM_X86_64, _EM_AARCH64 = 1, 62, 183
_MACHINES = {"x86_64": _EM_X86_64, "AMD64": _EM_X86_64, "aarch64": _EM_AARCH64, "arm64": _EM_AARCH64}

_R_64, _R_PC32, _R_PLT32, _R_GOTPCREL, _R_32, _R_32S, _R_PC64 = 1, 2, 4, 9, 10, 11, 24
_R_GOTPCRELX, _R_REX_GOTPCRELX = 41, 42

# aarch64 (ELF for the Arm 64-bit Architecture, "Relocation types")
_A_ABS64, _A_ABS32, _A_PREL64, _A_PREL32 = 257, 258, 260, 261
_A_MOVW = {263: (0, True), 264: (0, False), 265: (16, True), 266: (16, False), 267: (32, True),
           268: (32, False), 269: (48, True)}  # MOVW_UABS_G<n>[_NC]: (shift, overflow-checked)
_A_ADR_PAGE, _A_ADR_PAGE_NC, _A_ADD_LO12 = 275, 276, 277
_A_LDST_LO12 = {278: 0, 284: 1, 285: 2, 286: 3, 299: 4}  # LDST<8|16|32|64|128>_ABS_LO12_NC: log2 size
_A_TSTBR14, _A_CONDBR19, _A_JUMP26, _A_CALL26 = 279, 280, 282, 283
_A_GOT_PAGE, _A_GOT_LO12 = 311, 312

_GOT_RELOCS = {_EM_X86_64: (_R_GOTPCREL, _R_GOTPCRELX, _R_REX_GOTPCRELX), _EM_AARCH64: (_A_GOT_PAGE, _A_GOT_LO12)}
_STUB_SIZE = 16

_REGIONS = ("text", "ro", "rw")


class Unsupported(Exception):
    """An object (or a host) this loader does not handle: load it through MCJIT instead."""


def supported_host() -> bool:
    """x86-64 or aarch64 Linux: the objects are ELF for those targets, and mmap/mprotect are the Linux ones."""
    return sys.platform.startswith("linux") and os.uname().machine in _MACHINES


def _host_machine() -> int:
    return _MACHINES.get(os.uname().machine, -1)


_clear_cache_fn = None


def _clear_cache():
    """libgcc's ``__clear_cache(begin, end)``, which makes the instruction cache see newly written code on
    aarch64 (``Unsupported`` if it cannot be found)."""
    global _clear_cache_fn
    if _clear_cache_fn is None:
        for name in ("libgcc_s.so.1", None):
            try:
                fn = getattr(ctypes.CDLL(name), "__clear_cache")
            except (OSError, AttributeError):
                continue
            fn.argtypes, fn.restype = [ctypes.c_void_p, ctypes.c_void_p], None
            _clear_cache_fn = fn
            break
        else:
            raise Unsupported("no __clear_cache in libgcc_s or the process: cannot flush the instruction cache")
    return _clear_cache_fn


class _Object:
    """One parsed relocatable object: its sections, their names and its symbol table."""

    def __init__(self, data: bytes, machine_wanted: int):
        if len(data) < _EHDR.size or data[:4] != b"\x7fELF" or data[4] != 2 or data[5] != 1:
            raise Unsupported("not a little-endian 64-bit ELF object")
        _ident, e_type, machine, _v, _entry, _phoff, shoff, _flags, _eh, _phe, _phn, shentsize, shnum, shstrndx = (
            _EHDR.unpack_from(data, 0))
        if e_type != _ET_REL or machine != machine_wanted:
            raise Unsupported(f"ELF type {e_type}, machine {machine}: not a relocatable object for this host "
                              f"(machine {machine_wanted})")
        self.got_relocs = _GOT_RELOCS[machine]
        if shnum == 0 or shstrndx >= shnum:
            raise Unsupported("extended section numbering")
        self.data = data
        self.sections = [_SHDR.unpack_from(data, shoff + i * shentsize) for i in range(shnum)]
        strtab_off = self.sections[shstrndx][4]
        self.names = [_cstring(data, strtab_off + s[0]) for s in self.sections]
        symtabs = [i for i, s in enumerate(self.sections) if s[1] == 2]  # SHT_SYMTAB
        if len(symtabs) != 1:
            raise Unsupported(f"{len(symtabs)} symbol tables")
        _n, _t, _f, _a, off, size, link, _i, _al, entsize = self.sections[symtabs[0]]
        names_off = self.sections[link][4]
        # (name, bind, section index, value) per symbol
        self.symbols = []
        for pos in range(off, off + size, entsize or _SYM.size):
            st_name, info, _other, shndx, value, _size = _SYM.unpack_from(data, pos)
            self.symbols.append((_cstring(data, names_off + st_name) if st_name else "", info >> 4, shndx, value))

    @functools.cached_property
    def relocations(self) -> list[tuple[int, int, int, int, int]]:
        """``(target section, offset in it, type, symbol index, addend)`` of every RELA entry for a section
        that is loaded (type NONE left out): read once, for the GOT and stub plans and for applying them."""
        out = []
        for s in self.sections:
            if s[1] == _SHT_RELA and self.loaded(s[7]):
                out.extend((s[7], r_offset, info & 0xFFFFFFFF, info >> 32, addend)
                           for r_offset, info, addend in _RELA.iter_unpack(self.data[s[4]:s[4] + s[5]])
                           if info & 0xFFFFFFFF)  # R_X86_64_NONE and R_AARCH64_NONE are both 0
        return out

    def loaded(self, i: int) -> bool:
        """Whether section ``i`` goes into memory (allocatable, and not unwind tables)."""
        s = self.sections[i]
        return bool(s[2] & _SHF_ALLOC) and s[1] != _SHT_X86_64_UNWIND and not self.names[i].startswith(".eh_frame")


def _cstring(data: bytes, start: int) -> str:
    return data[start:data.index(b"\0", start)].decode()


def _align(n: int, a: int) -> int:
    return (n + a - 1) & -a if a > 1 else n


class Image:
    """Objects loaded into one mapping; the mapping lives as long as this object (or ``close``)."""

    def __init__(self, base: int, size: int, symbols: dict[str, int]):
        self.base, self.size, self.symbols = base, size, symbols
        self._finalizer = weakref.finalize(self, _munmap, base, size)
        # not at interpreter exit: a daemon thread may still run this code then, and the process's
        # SIGSEGV handler may live here (``faults``); the process going away frees the mapping anyway
        self._finalizer.atexit = False

    def symbol(self, name: str) -> int:
        return self.symbols[name]

    def close(self) -> None:
        self._finalizer()


def load(objects: list[bytes], external: Callable[[str], int | None]) -> Image:
    """Map ``objects`` as one image, resolving their undefined symbols first against each other's global
    symbols and then through ``external`` (name -> address, or None)."""
    if not supported_host():
        raise Unsupported(f"host {sys.platform}/{os.uname().machine}")
    try:
        machine = _host_machine()
        return _load([_Object(data, machine) for data in objects], external, machine)
    except (struct.error, IndexError, ValueError, UnicodeDecodeError) as e:  # cut short or inconsistent
        raise Unsupported(f"malformed object: {type(e).__name__}: {e}") from None


def _load(objs: list[_Object], external: Callable[[str], int | None], machine: int) -> Image:
    page = mmap.PAGESIZE
    flush = _clear_cache() if machine == _EM_AARCH64 else None

    # layout: offsets of every loaded section, region by region, each region page-aligned
    placed: dict[tuple[int, int], int] = {}
    bounds: dict[str, tuple[int, int]] = {}
    cursor = 0
    got_keys: dict[object, int] = {}
    got_off = 0
    stub_keys: dict[str, int] = {}
    stub_off = 0
    for region in _REGIONS:
        start = cursor = _align(cursor, page)
        for k, obj in enumerate(objs):
            for i, s in enumerate(obj.sections):
                if not obj.loaded(i):
                    continue
                flags = s[2]
                kind = "text" if flags & _SHF_EXECINSTR else "rw" if flags & _SHF_WRITE else "ro"
                if kind != region:
                    continue
                if s[8] > page:
                    raise Unsupported(f"section aligned to {s[8]} bytes, more than a page")
                cursor = _align(cursor, max(s[8], 1))
                placed[k, i] = cursor
                cursor += s[5]
        if region == "text" and machine == _EM_AARCH64:
            stub_keys = _stub_entries(objs)
            stub_off = cursor = _align(cursor, 8)
            cursor += _STUB_SIZE * len(stub_keys)
        if region == "ro":
            got_keys = _got_entries(objs)
            got_off = cursor = _align(cursor, 8)
            cursor += 8 * len(got_keys)
        bounds[region] = (start, cursor)
    size = max(_align(cursor, page), page)

    base = _mmap(None, size, mmap.PROT_READ | mmap.PROT_WRITE, mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS, -1, 0)
    if base is None or base == _MAP_FAILED:
        raise MemoryError(f"LLVM tier: cannot map {size} bytes for compiled code (errno {ctypes.get_errno()})")
    try:
        image = bytearray(size)
        for (k, i), off in placed.items():
            s = objs[k].sections[i]
            if s[1] != _SHT_NOBITS:
                image[off:off + s[5]] = objs[k].data[s[4]:s[4] + s[5]]
        symbols = _symbol_addresses(objs, placed, base, external)
        by_name = {obj.symbols[j][0]: addr for k, obj in enumerate(objs) for j, addr in enumerate(symbols[k])
                   if addr is not None and obj.symbols[j][1] != _STB_LOCAL and obj.symbols[j][0]}
        for key, slot in got_keys.items():
            addr = symbols[key[0]][key[1]] if isinstance(key, tuple) else by_name.get(key)
            if addr is None:
                raise Unsupported(f"GOT entry for a symbol with no address: {key!r}")
            struct.pack_into("<Q", image, got_off + 8 * slot, addr)
        for name, slot in stub_keys.items():
            addr = by_name.get(name)
            if addr is None:  # only external symbols get stubs, and every one was resolved (or refused)
                raise Unsupported(f"stub for a symbol with no address: {name!r}")
            struct.pack_into("<IIQ", image, stub_off + _STUB_SIZE * slot, 0x58000050, 0xD61F0200, addr)
        got = (got_keys, got_off)
        for k, obj in enumerate(objs):
            if machine == _EM_AARCH64:
                _relocate_aarch64(obj, k, placed, base, symbols[k], got, (stub_keys, stub_off), image)
            else:
                _relocate(obj, k, placed, base, symbols[k], got, image)
        ctypes.memmove(base, bytes(image), size)
        for region, prot in (("text", mmap.PROT_READ | mmap.PROT_EXEC), ("ro", mmap.PROT_READ)):
            start, end = bounds[region]
            length = _align(end, page) - start
            if length and _mprotect(base + start, length, prot) != 0:
                raise OSError(ctypes.get_errno(), f"mprotect of the {region} pages of compiled code failed")
        if flush is not None:
            start, end = bounds["text"]
            flush(base + start, base + end)
    except BaseException:
        _munmap(base, size)
        raise
    exported = {}
    for k, obj in enumerate(objs):
        for j, (name, bind, shndx, _value) in enumerate(obj.symbols):
            if name and bind != _STB_LOCAL and shndx != _SHN_UNDEF and symbols[k][j] is not None:
                exported.setdefault(name, symbols[k][j])
    return Image(base, size, exported)


def _got_entries(objs: list[_Object]) -> dict[object, int]:
    """A GOT slot per symbol that a GOT-relative relocation names: global symbols by name (shared by all
    objects), local ones by (object, index)."""
    keys: dict[object, int] = {}
    for k, obj in enumerate(objs):
        for _target, _off, rtype, j, _addend in obj.relocations:
            if rtype in obj.got_relocs:
                keys.setdefault(_sym_key(obj, k, j), len(keys))
    return keys


def _stub_entries(objs: list[_Object]) -> dict[str, int]:
    """aarch64: a stub per symbol that a branch (``CALL26``/``JUMP26``) names and no object defines."""
    defined = {name for obj in objs for name, bind, shndx, _v in obj.symbols
               if name and bind != _STB_LOCAL and shndx != _SHN_UNDEF}
    keys: dict[str, int] = {}
    for obj in objs:
        for _target, _off, rtype, j, _addend in obj.relocations:
            if rtype in (_A_CALL26, _A_JUMP26):
                name, _bind, shndx, _value = obj.symbols[j]
                if shndx == _SHN_UNDEF and name not in defined:
                    keys.setdefault(name, len(keys))
    return keys


def _sym_key(obj: _Object, k: int, j: int) -> object:
    name, bind, _shndx, _value = obj.symbols[j]
    return name if bind != _STB_LOCAL and name else (k, j)


def _symbol_addresses(objs: list[_Object], placed: dict[tuple[int, int], int], base: int,
                      external: Callable[[str], int | None]) -> list[list[int | None]]:
    """Every symbol's address per object (None: defined in a section that is not loaded)."""
    defined: dict[str, int] = {}
    out: list[list[int | None]] = []
    for k, obj in enumerate(objs):
        addrs: list[int | None] = []
        for name, bind, shndx, value in obj.symbols:
            if shndx == _SHN_UNDEF:
                addrs.append(None)
                continue
            if shndx == _SHN_ABS:
                addr = value
            elif shndx >= _SHN_LORESERVE:
                raise Unsupported(f"symbol {name!r} in special section {shndx:#x}")
            elif (k, shndx) in placed:
                addr = base + placed[k, shndx] + value
            else:
                addrs.append(None)
                continue
            addrs.append(addr)
            if name and bind != _STB_LOCAL:
                if name in defined and bind != _STB_WEAK and defined[name] != addr:
                    raise Unsupported(f"symbol {name!r} defined twice")
                defined.setdefault(name, addr)
        out.append(addrs)
    for k, obj in enumerate(objs):
        for j, (name, bind, shndx, _value) in enumerate(obj.symbols):
            if shndx != _SHN_UNDEF or not name:
                continue
            addr = defined.get(name)
            if addr is None:
                addr = external(name)
            if addr is None:
                if bind != _STB_WEAK:
                    raise Unsupported(f"undefined symbol {name!r}")
                addr = 0
            out[k][j] = addr
    return out


def _relocate(obj: _Object, k: int, placed: dict[tuple[int, int], int], base: int, symbols: list[int | None],
              got: tuple[dict[object, int], int], image: bytearray) -> None:
    pack = struct.pack_into
    got_keys, got_off = got
    for target, r_offset, rtype, j, addend in obj.relocations:
        o = placed[k, target] + r_offset
        place = base + o
        if rtype in obj.got_relocs:
            value = base + got_off + 8 * got_keys[_sym_key(obj, k, j)] + addend - place
            kind = "<i"
        else:
            sym = _target_address(obj, symbols, j)
            if rtype == _R_64:
                pack("<Q", image, o, (sym + addend) & 0xFFFFFFFFFFFFFFFF)
                continue
            if rtype in (_R_PC32, _R_PLT32):
                value, kind = sym + addend - place, "<i"
            elif rtype == _R_PC64:
                value, kind = sym + addend - place, "<q"
            elif rtype == _R_32:
                value, kind = sym + addend, "<I"
            elif rtype == _R_32S:
                value, kind = sym + addend, "<i"
            else:
                raise Unsupported(f"relocation type {rtype}")
        try:
            pack(kind, image, o, value)
        except struct.error:
            raise Unsupported(f"relocation type {rtype} out of range ({value:#x})") from None


def _target_address(obj: _Object, symbols: list[int | None], j: int) -> int:
    sym = symbols[j]
    if sym is None:
        raise Unsupported(f"relocation against symbol {obj.symbols[j][0]!r}, which is not loaded")
    return sym


def _relocate_aarch64(obj: _Object, k: int, placed: dict[tuple[int, int], int], base: int,
                      symbols: list[int | None], got: tuple[dict[object, int], int],
                      stubs: tuple[dict[str, int], int], image: bytearray) -> None:
    """Apply ``obj``'s relocations for aarch64: data words are written whole, instructions get their
    immediate field patched (the encodings of the Arm ARM; ``_fits`` checks the ranges that must hold)."""
    got_keys, got_off = got
    stub_keys, stub_off = stubs
    for target, r_offset, rtype, j, addend in obj.relocations:
        o = placed[k, target] + r_offset
        place = base + o
        if rtype in obj.got_relocs:
            if addend:
                raise Unsupported(f"GOT relocation {rtype} with addend {addend}")
            x = base + got_off + 8 * got_keys[_sym_key(obj, k, j)]
        else:
            sym = _target_address(obj, symbols, j)
            name = obj.symbols[j][0]
            if rtype in (_A_CALL26, _A_JUMP26) and name in stub_keys and obj.symbols[j][2] == _SHN_UNDEF:
                sym = base + stub_off + _STUB_SIZE * stub_keys[name]
            x = sym + addend
        if rtype == _A_ABS64:
            struct.pack_into("<Q", image, o, x & 0xFFFFFFFFFFFFFFFF)
        elif rtype == _A_PREL64:
            struct.pack_into("<q", image, o, _fits(x - place, 64, True, rtype))
        elif rtype == _A_ABS32:
            struct.pack_into("<I", image, o, _fits(x, 32, False, rtype))
        elif rtype == _A_PREL32:
            struct.pack_into("<i", image, o, _fits(x - place, 32, True, rtype))
        elif rtype in _A_MOVW:
            shift, checked = _A_MOVW[rtype]
            if checked and x >> (shift + 16):
                raise Unsupported(f"relocation type {rtype} out of range ({x:#x})")
            _patch(image, o, (x >> shift) & 0xFFFF, 5, 16)
        elif rtype in (_A_ADR_PAGE, _A_ADR_PAGE_NC, _A_GOT_PAGE):
            pages = (x >> 12) - (place >> 12)
            if rtype != _A_ADR_PAGE_NC:
                _fits(pages, 21, True, rtype)
            _patch(image, o, pages & 3, 29, 2)
            _patch(image, o, (pages >> 2) & 0x7FFFF, 5, 19)
        elif rtype == _A_ADD_LO12:
            _patch(image, o, x & 0xFFF, 10, 12)
        elif rtype in _A_LDST_LO12 or rtype == _A_GOT_LO12:
            scale = 3 if rtype == _A_GOT_LO12 else _A_LDST_LO12[rtype]
            if x & ((1 << scale) - 1):
                raise Unsupported(f"relocation type {rtype}: {x:#x} not aligned to {1 << scale}")
            _patch(image, o, (x & 0xFFF) >> scale, 10, 12)
        elif rtype in (_A_CALL26, _A_JUMP26, _A_CONDBR19, _A_TSTBR14):
            bits, lsb = {_A_CALL26: (26, 0), _A_JUMP26: (26, 0), _A_CONDBR19: (19, 5), _A_TSTBR14: (14, 5)}[rtype]
            delta = x - place
            if delta & 3:
                raise Unsupported(f"relocation type {rtype}: branch to a misaligned address")
            _patch(image, o, _fits(delta >> 2, bits, True, rtype) & ((1 << bits) - 1), lsb, bits)
        else:
            raise Unsupported(f"relocation type {rtype}")


def _fits(value: int, bits: int, signed: bool, rtype: int) -> int:
    lo, hi = (-(1 << (bits - 1)), 1 << (bits - 1)) if signed else (0, 1 << bits)
    if not lo <= value < hi:
        raise Unsupported(f"relocation type {rtype} out of range ({value:#x})")
    return value


def _patch(image: bytearray, o: int, field: int, lsb: int, width: int) -> None:
    """Set bits ``lsb .. lsb+width-1`` of the little-endian instruction word at ``o`` to ``field``."""
    (word,) = struct.unpack_from("<I", image, o)
    mask = ((1 << width) - 1) << lsb
    struct.pack_into("<I", image, o, (word & ~mask) | ((field << lsb) & mask))
