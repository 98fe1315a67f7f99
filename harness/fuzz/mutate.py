"""Seeded mutations of a WebAssembly binary, for validation fuzzing (``harness.fuzz.validation``).

Why these mutators: a decoder's and a validator's bugs sit where the binary format has rules beyond "a
byte": section sizes that must match their contents, LEB128 integers with a length limit (overlong but
within it is valid, past it is malformed), a section order, instruction bytes whose operand types must
check, indices that must be in range.  Random bit flips reach few of those, so besides flips each
mutator below aims at one rule:

==================  ===========================================================================================
``bit_flip``        one bit anywhere after the 8-byte header
``byte_set``        one byte set to an edge value (0x00, 0x7f, 0x80, 0xff, ...) or a random one
``truncate_file``   the file cut inside a section (everything after it lost)
``truncate_section``  a section's contents cut short, its size field made to match (the rest still follows)
``section_size``    a section's size field off by a few bytes, or huge, its contents unchanged
``leb_overlong``    a LEB128 (a section size, a vector count, a body size, a type index) re-encoded longer
                    than needed but within the 5-byte limit of a u32: still valid
``leb_too_long``    the same LEB128 past its limit (6+ bytes), or 5 bytes with unused bits set: malformed
``section_swap``    two neighbouring non-custom sections exchanged (their order is a rule)
``section_dup``     a non-custom section written twice (each may appear once)
``opcode_swap``     in a function body, a byte that reads as an instruction without immediates (i32.add,
                    drop, f64.sqrt, ...) replaced by another one: operand types, stack heights
``type_index``      an entry of the function section pointing past the last type
==================  ===========================================================================================

A mutator that finds nothing to act on (no code section, say) falls back to ``bit_flip``, so every mutant
differs from its base.  Everything is a pure function of the input bytes and a ``random.Random``:
:func:`make_mutant` derives that from ``(seed, index)`` alone, so mutant ``index`` of a run is the same
bytes on every machine and every re-run, whatever ran before it.  Each applied mutation is recorded as a
:class:`Mutation` (kind and a sentence naming offsets and values), which findings keep.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass

HEADER = b"\x00asm\x01\x00\x00\x00"
U32_MAX_BYTES = 5  # ceil(32 / 7): the spec's limit on a u32's LEB128 length

SECTION_NAMES = {0: "custom", 1: "type", 2: "import", 3: "function", 4: "table", 5: "memory", 6: "global",
                 7: "export", 8: "start", 9: "element", 10: "code", 11: "data", 12: "datacount", 13: "tag"}

# Single-byte instructions without immediates, by class: swapping inside the whole set changes operand
# types and stack effects while leaving the byte stream decodable.
NO_IMMEDIATE_OPS = bytes([0x00, 0x01, 0x0F, 0x1A, 0x1B, *range(0x45, 0xC5)])
EDGE_BYTES = (0x00, 0x01, 0x7F, 0x80, 0x81, 0xFE, 0xFF, 0x40, 0x60, 0x0B, 0x70, 0x6F)


@dataclass(frozen=True)
class Mutation:
    """One change made to a binary: ``kind`` (a mutator's name) and ``detail`` (where, what)."""

    kind: str
    detail: str

    def __str__(self) -> str:
        return f"{self.kind}: {self.detail}"


@dataclass(frozen=True)
class Mutant:
    """A mutated binary with its provenance: the base module's name and the mutations, in order."""

    data: bytes
    base: str
    seed: int
    index: int
    mutations: tuple[Mutation, ...]

    def describe(self) -> str:
        return f"{self.base} + " + "; ".join(str(m) for m in self.mutations)


# ---- LEB128 ------------------------------------------------------------------------------------------------

def uleb(value: int, width: int | None = None) -> bytes:
    """``value`` as unsigned LEB128, padded with continuation bytes to ``width`` bytes when asked (overlong:
    the same value, more bytes)."""
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        out.append(byte)
        if not value:
            break
    for i in range(len(out) - 1):
        out[i] |= 0x80
    if width is not None and width > len(out):
        out[-1] |= 0x80
        out += b"\x80" * (width - len(out) - 1) + b"\x00"
    return bytes(out)


def read_uleb(data: bytes, pos: int, limit: int = 10) -> tuple[int, int] | None:
    """(value, length) of the LEB128 at ``pos``, or None if it runs off the end or past ``limit`` bytes."""
    value = shift = 0
    for i in range(limit):
        if pos + i >= len(data):
            return None
        byte = data[pos + i]
        value |= (byte & 0x7F) << shift
        shift += 7
        if not byte & 0x80:
            return value, i + 1
    return None


# ---- sections ----------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Section:
    """One section as found in a binary: its id, where its header starts, and its contents."""

    id: int
    offset: int
    payload: bytes

    @property
    def name(self) -> str:
        return SECTION_NAMES.get(self.id, f"unknown({self.id})")

    def encode(self) -> bytes:
        return bytes([self.id]) + uleb(len(self.payload)) + self.payload


def split_sections(data: bytes) -> list[Section] | None:
    """The sections of a well-framed binary (header right, every size inside the file), else None: the
    structural mutators need a frame to aim at; a binary without one gets byte-level mutations only."""
    if not data.startswith(HEADER):
        return None
    pos, out = len(HEADER), []
    while pos < len(data):
        size = read_uleb(data, pos + 1, U32_MAX_BYTES)
        if size is None:
            return None
        start = pos + 1 + size[1]
        end = start + size[0]
        if end > len(data):
            return None
        out.append(Section(data[pos], pos, data[start:end]))
        pos = end
    return out


def join_sections(sections: list[Section]) -> bytes:
    return HEADER + b"".join(s.encode() for s in sections)


def _replace_payload(sections: list[Section], k: int, payload: bytes) -> bytes:
    s = sections[k]
    return join_sections([*sections[:k], Section(s.id, s.offset, payload), *sections[k + 1:]])


def leb_sites(section: Section) -> list[tuple[int, str]]:
    """Offsets (inside the contents) of LEB128 u32s whose meaning is known: the leading count (or index) of
    every non-custom section, each body size of the code section, each type index of the function section."""
    p = section.payload
    if section.id == 0 or not p:
        return []
    first = read_uleb(p, 0, U32_MAX_BYTES)
    if first is None:
        return []
    what = "function index" if section.id == 8 else "vector count"
    sites = [(0, f"{section.name} section {what}")]
    pos = first[1]
    if section.id in (3, 10):
        for i in range(min(first[0], 10_000)):
            item = read_uleb(p, pos, U32_MAX_BYTES)
            if item is None:
                break
            sites.append((pos, f"{'type index of function' if section.id == 3 else 'size of body'} {i}"))
            pos += item[1] + (item[0] if section.id == 10 else 0)
    return sites


# ---- mutators ----------------------------------------------------------------------------------------------

Result = tuple[bytes, str] | None
Mutator = Callable[[bytes, random.Random], Result]


def bit_flip(data: bytes, rng: random.Random) -> Result:
    if len(data) <= len(HEADER):
        return None
    pos, bit = rng.randrange(len(HEADER), len(data)), rng.randrange(8)
    out = bytearray(data)
    out[pos] ^= 1 << bit
    return bytes(out), f"bit {bit} of byte {pos:#x} ({data[pos]:#04x} -> {out[pos]:#04x})"


def byte_set(data: bytes, rng: random.Random) -> Result:
    if len(data) <= len(HEADER):
        return None
    pos = rng.randrange(len(HEADER), len(data))
    value = rng.choice(EDGE_BYTES) if rng.random() < 0.7 else rng.randrange(256)
    if value == data[pos]:
        value ^= 0xFF
    out = bytearray(data)
    out[pos] = value
    return bytes(out), f"byte {pos:#x} {data[pos]:#04x} -> {value:#04x}"


def _pick_section(data: bytes, rng: random.Random, want: Callable[[Section], bool] = lambda s: True
                  ) -> tuple[list[Section], int] | None:
    sections = split_sections(data)
    if not sections:
        return None
    candidates = [k for k, s in enumerate(sections) if want(s)]
    return (sections, rng.choice(candidates)) if candidates else None


def truncate_file(data: bytes, rng: random.Random) -> Result:
    picked = _pick_section(data, rng)
    if picked is None:
        return None
    sections, k = picked
    s = sections[k]
    end = s.offset + len(s.encode())
    cut = rng.randrange(s.offset + 1, end)
    return data[:cut], f"file cut at {cut:#x}, inside the {s.name} section at {s.offset:#x} (was {len(data)} bytes)"


def truncate_section(data: bytes, rng: random.Random) -> Result:
    picked = _pick_section(data, rng, lambda s: len(s.payload) > 0)
    if picked is None:
        return None
    sections, k = picked
    s = sections[k]
    keep = rng.randrange(len(s.payload))
    return (_replace_payload(sections, k, s.payload[:keep]),
            f"{s.name} section at {s.offset:#x} cut from {len(s.payload)} to {keep} bytes, size field matching")


def section_size(data: bytes, rng: random.Random) -> Result:
    picked = _pick_section(data, rng)
    if picked is None:
        return None
    sections, k = picked
    s = sections[k]
    size = len(s.payload)
    new = rng.choice([size - 1, size + 1, size - 2, size + 2, size + rng.randrange(3, 64), 0xFFFFFFFF,
                      rng.randrange(0, max(size, 1))])
    new = max(new, 0)
    if new == size:
        new = size + 1
    body = [x.encode() for x in sections]
    body[k] = bytes([s.id]) + uleb(new) + s.payload
    return (HEADER + b"".join(body),
            f"{s.name} section at {s.offset:#x}: size field {size} -> {new}, contents unchanged")


def _overlong(data: bytes, rng: random.Random, too_long: bool) -> Result:
    sections = split_sections(data)
    if not sections:
        return None
    choices = [(k, None, "") for k in range(len(sections))]  # the section size fields themselves
    for k, s in enumerate(sections):
        choices += [(k, pos, what) for pos, what in leb_sites(s)]
    k, pos, what = rng.choice(choices)
    s = sections[k]
    if pos is None:
        value, length, what = len(s.payload), len(uleb(len(s.payload))), f"size field of the {s.name} section"
    else:
        value, length = read_uleb(s.payload, pos, U32_MAX_BYTES) or (0, 0)
    if too_long:
        if rng.random() < 0.3 and value < 1 << 28:
            # 5 bytes, but with bits set above bit 31 in the last one: too large for a u32.
            enc = bytearray(uleb(value, U32_MAX_BYTES))
            enc[-1] |= rng.choice((0x10, 0x20, 0x40, 0x70))
            enc = bytes(enc)
            how = f"5 bytes with unused bits set in the last ({enc[-1]:#04x})"
        else:
            width = rng.choice((6, 7, 10, 11))
            enc = uleb(value, width)
            how = f"{width} bytes, past the u32 limit of {U32_MAX_BYTES}"
    else:
        width = rng.randrange(max(length, len(uleb(value))) + 1, U32_MAX_BYTES + 1) if length < 5 else 5
        enc = uleb(value, width)
        how = f"{width} bytes (overlong, within the limit)"
    if pos is None:
        body = [x.encode() for x in sections]
        body[k] = bytes([s.id]) + enc + s.payload
        return HEADER + b"".join(body), f"{what} ({value}) at {s.offset:#x} re-encoded in {how}"
    payload = s.payload[:pos] + enc + s.payload[pos + length:]
    return (_replace_payload(sections, k, payload),
            f"{what} ({value}) at {s.name}+{pos:#x} re-encoded in {how}; section size updated")


def leb_overlong(data: bytes, rng: random.Random) -> Result:
    return _overlong(data, rng, too_long=False)


def leb_too_long(data: bytes, rng: random.Random) -> Result:
    return _overlong(data, rng, too_long=True)


def section_swap(data: bytes, rng: random.Random) -> Result:
    sections = split_sections(data)
    pairs = [k for k in range(len(sections or []) - 1) if sections[k].id and sections[k + 1].id]
    if not pairs:  # custom sections may sit anywhere: swapping one breaks no rule
        return None
    k = rng.choice(pairs)
    a, b = sections[k], sections[k + 1]
    swapped = [*sections[:k], b, a, *sections[k + 2:]]
    return join_sections(swapped), f"{a.name} section at {a.offset:#x} swapped with the {b.name} section after it"


def section_dup(data: bytes, rng: random.Random) -> Result:
    picked = _pick_section(data, rng, lambda s: s.id != 0)  # custom sections may repeat
    if picked is None:
        return None
    sections, k = picked
    s = sections[k]
    return (join_sections([*sections[:k + 1], s, *sections[k + 1:]]),
            f"{s.name} section at {s.offset:#x} written twice in a row")


def opcode_swap(data: bytes, rng: random.Random) -> Result:
    picked = _pick_section(data, rng, lambda s: s.id == 10)
    if picked is None:
        return None
    sections, k = picked
    s = sections[k]
    sites = [pos for pos, what in leb_sites(s) if what.startswith("size of body")]
    spots = []
    for pos in sites:
        size, length = read_uleb(s.payload, pos, U32_MAX_BYTES) or (0, 0)
        start = pos + length
        spots += [i for i in range(start, min(start + size, len(s.payload))) if s.payload[i] in NO_IMMEDIATE_OPS]
    if not spots:
        return None
    i = rng.choice(spots)
    old = s.payload[i]
    new = rng.choice([b for b in NO_IMMEDIATE_OPS if b != old])
    payload = s.payload[:i] + bytes([new]) + s.payload[i + 1:]
    return _replace_payload(sections, k, payload), f"code byte at code+{i:#x} {old:#04x} -> opcode {new:#04x}"


def type_index(data: bytes, rng: random.Random) -> Result:
    sections = split_sections(data)
    if not sections:
        return None
    funcs = [k for k, s in enumerate(sections) if s.id == 3]
    if not funcs:
        return None
    k = funcs[0]
    s = sections[k]
    entries = [(pos, what) for pos, what in leb_sites(s) if pos > 0]
    if not entries:
        return None
    types = next((read_uleb(t.payload, 0, U32_MAX_BYTES) for t in sections if t.id == 1), None)
    n_types = types[0] if types else 0
    pos, what = rng.choice(entries)
    old, length = read_uleb(s.payload, pos, U32_MAX_BYTES) or (0, 0)
    new = rng.choice([n_types, n_types + 1, n_types + rng.randrange(2, 1000), 0xFFFFFFFF])
    payload = s.payload[:pos] + uleb(new) + s.payload[pos + length:]
    return (_replace_payload(sections, k, payload),
            f"{what}: {old} -> {new} (the module has {n_types} types)")


MUTATORS: dict[str, Mutator] = {
    "bit_flip": bit_flip, "byte_set": byte_set, "truncate_file": truncate_file,
    "truncate_section": truncate_section, "section_size": section_size, "leb_overlong": leb_overlong,
    "leb_too_long": leb_too_long, "section_swap": section_swap, "section_dup": section_dup,
    "opcode_swap": opcode_swap, "type_index": type_index,
}
# How often each is picked: byte-level changes are cheap and broad, the structural ones aim at rules.
WEIGHTS: dict[str, int] = {
    "bit_flip": 3, "byte_set": 3, "truncate_file": 1, "truncate_section": 2, "section_size": 2,
    "leb_overlong": 3, "leb_too_long": 2, "section_swap": 1, "section_dup": 1, "opcode_swap": 4, "type_index": 1,
}


def apply(kind: str, data: bytes, rng: random.Random) -> tuple[bytes, Mutation]:
    """Apply mutator ``kind``; if it has nothing to act on, a bit flip (named as such) instead."""
    done = MUTATORS[kind](data, rng)
    if done is None or done[0] == data:
        kind, done = "bit_flip", bit_flip(data, rng)
        if done is None:  # a bare header or less: append a byte
            return data + b"\x00", Mutation("byte_set", f"byte {len(data):#x} appended (0x00)")
    return done[0], Mutation(kind, done[1])


def mutate(data: bytes, rng: random.Random, kinds: list[str] | None = None) -> tuple[bytes, tuple[Mutation, ...]]:
    """One to three mutations of ``data`` (mostly one: a single change is easier to blame), drawn by
    ``WEIGHTS`` unless ``kinds`` names them."""
    if kinds is None:
        n = rng.choices((1, 2, 3), weights=(75, 20, 5))[0]
        names = list(WEIGHTS)
        kinds = rng.choices(names, weights=[WEIGHTS[k] for k in names], k=n)
    done: list[Mutation] = []
    for kind in kinds:
        data, m = apply(kind, data, rng)
        done.append(m)
    return data, tuple(done)


def mutant_rng(seed: int, index: int) -> random.Random:
    """The generator of mutant ``index`` of run ``seed`` (string seeding hashes with SHA-512: the same on
    every platform and Python version)."""
    return random.Random(f"validation-fuzz/{seed}/{index}")


def make_mutant(bases: list[tuple[str, bytes]], seed: int, index: int, weights: list[float] | None = None
                ) -> Mutant:
    """Mutant ``index`` of run ``seed``: its base module (drawn by ``weights`` if given) and its mutations
    depend on these alone."""
    rng = mutant_rng(seed, index)
    name, data = rng.choices(bases, weights=weights)[0] if weights else bases[rng.randrange(len(bases))]
    out, mutations = mutate(data, rng)
    return Mutant(out, name, seed, index, mutations)
