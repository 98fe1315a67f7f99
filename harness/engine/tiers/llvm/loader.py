"""Load the tier's x86-64 ELF objects into executable memory in this process, without LLVM.

Why: a warm start (the object already in the cache) used to load it through llvmlite's MCJIT, and
importing llvmlite's binding and its shared library cost ~25 ms and ~50 MB of resident memory per process,
more than everything else a cached run of a small program does.  The objects are the tier's own
(``jit.compile_ir`` emits them), so this loader needs only what LLVM puts in them: allocatable sections,
a symbol table and RELA relocations of a few x86-64 types.  Anything else raises ``Unsupported``, and
``jit.LoadedObject`` loads the object through MCJIT as before.

Layout: every section of every object (a module compiled in parts is several objects, which are linked to
each other here) goes into one mapping -- code, then read-only data and the GOT, then writable data -- so
32-bit PC-relative references always reach (the small code model's assumption, see
``jit._new_target_machine``).  Code pages end up read+execute and read-only data read-only: no page is
writable and executable at once.  ``.eh_frame`` is not loaded: traps leave compiled code by ``longjmp``,
never by unwinding.
"""

from __future__ import annotations

import ctypes
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
_ET_REL, _EM_X86_64 = 1, 62

_R_NONE, _R_64, _R_PC32, _R_PLT32, _R_GOTPCREL, _R_32, _R_32S, _R_PC64 = 0, 1, 2, 4, 9, 10, 11, 24
_R_GOTPCRELX, _R_REX_GOTPCRELX = 41, 42
_GOT_RELOCS = (_R_GOTPCREL, _R_GOTPCRELX, _R_REX_GOTPCRELX)

_REGIONS = ("text", "ro", "rw")


class Unsupported(Exception):
    """An object (or a host) this loader does not handle: load it through MCJIT instead."""


def supported_host() -> bool:
    """x86-64 Linux: the objects are ELF for that target, and mmap/mprotect are the Linux ones."""
    return sys.platform.startswith("linux") and os.uname().machine in ("x86_64", "AMD64")


class _Object:
    """One parsed relocatable object: its sections, their names and its symbol table."""

    def __init__(self, data: bytes):
        if len(data) < _EHDR.size or data[:4] != b"\x7fELF" or data[4] != 2 or data[5] != 1:
            raise Unsupported("not a little-endian 64-bit ELF object")
        _ident, e_type, machine, _v, _entry, _phoff, shoff, _flags, _eh, _phe, _phn, shentsize, shnum, shstrndx = (
            _EHDR.unpack_from(data, 0))
        if e_type != _ET_REL or machine != _EM_X86_64:
            raise Unsupported(f"ELF type {e_type}, machine {machine}: not an x86-64 relocatable object")
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
        return _load([_Object(data) for data in objects], external)
    except (struct.error, IndexError, ValueError, UnicodeDecodeError) as e:  # cut short or inconsistent
        raise Unsupported(f"malformed object: {type(e).__name__}: {e}") from None


def _load(objs: list[_Object], external: Callable[[str], int | None]) -> Image:
    page = mmap.PAGESIZE

    # layout: offsets of every loaded section, region by region, each region page-aligned
    placed: dict[tuple[int, int], int] = {}
    bounds: dict[str, tuple[int, int]] = {}
    cursor = 0
    got_keys: dict[object, int] = {}
    got_off = 0
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
        for k, obj in enumerate(objs):
            _relocate(obj, k, placed, base, symbols[k], got_keys, got_off, image)
        ctypes.memmove(base, bytes(image), size)
        for region, prot in (("text", mmap.PROT_READ | mmap.PROT_EXEC), ("ro", mmap.PROT_READ)):
            start, end = bounds[region]
            length = _align(end, page) - start
            if length and _mprotect(base + start, length, prot) != 0:
                raise OSError(ctypes.get_errno(), f"mprotect of the {region} pages of compiled code failed")
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
        for s in obj.sections:
            if s[1] != _SHT_RELA or not obj.loaded(s[7]):
                continue
            for _off, info, _add in _RELA.iter_unpack(obj.data[s[4]:s[4] + s[5]]):
                if info & 0xFFFFFFFF in _GOT_RELOCS:
                    keys.setdefault(_sym_key(obj, k, info >> 32), len(keys))
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
              got_keys: dict[object, int], got_off: int, image: bytearray) -> None:
    pack = struct.pack_into
    for s in obj.sections:
        target = s[7]
        if s[1] != _SHT_RELA or (k, target) not in placed:
            continue
        sec_off = placed[k, target]
        for r_offset, info, addend in _RELA.iter_unpack(obj.data[s[4]:s[4] + s[5]]):
            rtype, j = info & 0xFFFFFFFF, info >> 32
            if rtype == _R_NONE:
                continue
            o = sec_off + r_offset
            place = base + o
            if rtype in _GOT_RELOCS:
                value = base + got_off + 8 * got_keys[_sym_key(obj, k, j)] + addend - place
                kind = "<i"
            else:
                sym = symbols[j]
                if sym is None:
                    raise Unsupported(f"relocation against symbol {obj.symbols[j][0]!r}, which is not loaded")
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
