"""Byte-level reading of the binary format: LEB128 integers, lengths, names, with the spec's error wording.

Like the spec's reference decoder, one reader walks the whole file: a section's declared size is checked
after the section has been read ("section size mismatch"), not used to bound the reads inside it, so the
messages for broken sections are the ones the spec testsuite expects.
"""

from __future__ import annotations

from ..errors import MalformedError

EOS = "unexpected end of section or function"


class Reader:
    """A cursor over ``data``.  Every failure raises :class:`MalformedError` with the offset."""

    __slots__ = ("data", "pos", "end")

    def __init__(self, data: bytes, pos: int = 0):
        self.data = data
        self.pos = pos
        self.end = len(data)

    def fail(self, message: str, pos: int | None = None) -> MalformedError:
        return MalformedError(message, self.pos if pos is None else pos)

    def eof(self) -> bool:
        return self.pos >= self.end

    def byte(self) -> int:
        pos = self.pos
        if pos >= self.end:
            raise self.fail(EOS, self.end)
        self.pos = pos + 1
        return self.data[pos]

    def peek(self) -> int | None:
        return self.data[self.pos] if self.pos < self.end else None

    def bytes(self, n: int) -> bytes:
        pos = self.pos
        if n < 0 or pos + n > self.end:
            raise self.fail(EOS, self.end)
        self.pos = pos + n
        return self.data[pos:pos + n]

    def uleb(self, bits: int) -> int:
        """Unsigned LEB128 of at most ``bits`` bits ("integer representation too long" / "too large")."""
        data, end = self.data, self.end
        pos = self.pos
        if pos < end and data[pos] < 0x80 and (bits >= 7 or data[pos] < (1 << bits)):
            self.pos = pos + 1
            return data[pos]
        result = shift = 0
        n = bits
        while True:
            if n <= 0:
                raise self.fail("integer representation too long", pos)
            if pos >= end:
                raise self.fail(EOS, end)
            b = data[pos]
            pos += 1
            if n < 7 and (b & 0x7F) >= (1 << n):
                self.pos = pos
                raise self.fail("integer too large", pos - 1)
            result |= (b & 0x7F) << shift
            if not b & 0x80:
                self.pos = pos
                return result
            shift += 7
            n -= 7

    def sleb(self, bits: int) -> int:
        """Signed LEB128 of at most ``bits`` bits, returned as a Python (signed) int."""
        data, end = self.data, self.end
        pos = self.pos
        result = shift = 0
        n = bits
        while True:
            if n <= 0:
                raise self.fail("integer representation too long", pos)
            if pos >= end:
                raise self.fail(EOS, end)
            b = data[pos]
            pos += 1
            if n < 7:
                mask = (-1 << (n - 1)) & 0x7F
                if b & mask not in (0, mask):
                    raise self.fail("integer too large", pos - 1)
            result |= (b & 0x7F) << shift
            shift += 7
            if not b & 0x80:
                self.pos = pos
                if b & 0x40:
                    result -= 1 << shift
                return result
            n -= 7

    def u32(self) -> int:
        data, pos = self.data, self.pos
        if pos < self.end and data[pos] < 0x80:
            self.pos = pos + 1
            return data[pos]
        return self.uleb(32)

    def u64(self) -> int:
        return self.uleb(64)

    def len32(self) -> int:
        """A length or count: never more than the bytes left in the file, so huge counts fail fast."""
        start = self.pos
        n = self.u32()
        if n > self.end - start:
            raise self.fail("length out of bounds", start)
        return n

    def name(self) -> str:
        start = self.pos
        raw = self.bytes(self.len32())
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError:
            raise self.fail("malformed UTF-8 encoding", start) from None
