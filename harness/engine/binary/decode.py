"""Binary format -> :class:`syntax.Module` (wasm 2.0).

Errors are :class:`MalformedError` with the spec testsuite's wording.  Instruction sequences are decoded
iteratively with an explicit stack of open blocks, so arbitrarily deep nesting never reaches Python's
recursion limit; counts are checked against the bytes left before anything is allocated.
"""

from __future__ import annotations

from .. import syntax as S
from .. import types
from ..errors import MalformedError
from ..features import EXCEPTIONS, FUNCTION_REFERENCES, GC, MEMORY64, MULTI_MEMORY, WASM3
from ..types import HEAP_BY_BYTE, ref
from .opcodes import (
    BY_BYTE,
    BY_PREFIX,
    ELSE,
    EMPTY_BLOCKTYPE,
    END,
    FB,
    FC,
    FD,
    OPCODES,
    REFTYPE_BYTES,
    VALTYPE_BYTES,
)
from .reader import Reader

MAGIC = b"\x00asm"
VERSION = b"\x01\x00\x00\x00"
MAX_LOCALS = 1_000_000  # implementation limit (the spec's own limit is 2**32 - 1)

# Position of each non-custom section in the required order (the data count section sits before code).
SECTION_ORDER = {1: 1, 2: 2, 3: 3, 4: 4, 5: 5, 13: 5.5, 6: 6, 7: 7, 8: 8, 9: 9, 12: 10, 10: 11, 11: 12}
CATCH_KINDS = ("catch", "catch_ref", "catch_all", "catch_all_ref")

# Dispatch tables: byte -> (name, immediate kind).
_OP1: list[tuple[str, str] | None] = [None] * 256
for _b, _n in BY_BYTE.items():
    _OP1[_b] = (_n, OPCODES[_n][1])
_OPX: dict[int, dict[int, tuple[str, str]]] = {
    p: {sub: (n, OPCODES[n][1]) for sub, n in table.items()} for p, table in BY_PREFIX.items()}
_OP1[0x1C] = ("select", "select_t")


def decode_module(data: bytes, bodies: bool = True, features: frozenset[str] = WASM3) -> S.Module:
    """Decode a binary module.  Raises :class:`MalformedError` (never another exception) on bad input.

    ``bodies=False`` leaves function bodies and locals undecoded (``Module.bodies_skipped``): all that
    instantiating a module needs when its code is already compiled and the bytes were validated before,
    as on a warm start of the LLVM tier (a large program's bodies are most of its decode time).
    ``features``: the 2.0 binary format (``WASM2``) wants zero bytes where 3.0 reads memory indices, and
    knows no 64-bit limits."""
    try:
        return _Decoder(bytes(data), bodies, features).module()
    except MalformedError:
        raise
    except (RecursionError, MemoryError, OverflowError) as e:  # defensive: report, never crash
        raise MalformedError(f"module too complex to decode ({type(e).__name__})") from None
    except (IndexError, KeyError, ValueError, TypeError) as e:  # a decoder bug: still no traceback for users
        raise MalformedError(f"unexpected decoder failure ({type(e).__name__}: {e}); please report it") from e


class _Decoder:
    def __init__(self, data: bytes, bodies: bool = True, features: frozenset[str] = WASM3):
        self.r = Reader(data)
        self.uses_data_idx = False
        self.bodies = bodies
        self.multi_memory = MULTI_MEMORY in features
        self.typed_refs = FUNCTION_REFERENCES in features
        self.exceptions = EXCEPTIONS in features
        self.gc = GC in features
        self.memory64 = MEMORY64 in features

    # ------------------------------------------------------------------------------------------ types
    def valtype(self) -> str:
        r = self.r
        b = r.byte()
        t = VALTYPE_BYTES.get(b)
        if t is None:
            t = self.ref_tail(b)
        if t is None:
            if b & 0x80:  # a (non-canonical) LEB128: report its encoding errors first
                r.pos -= 1
                r.sleb(7)
            raise r.fail("malformed value type", r.pos - 1)
        return t

    def ref_tail(self, b: int) -> str | None:
        """The 3.0 reference type that byte ``b`` starts (``ref null? ht`` or an abstract shorthand)."""
        if not self.typed_refs:
            return None
        if b in (0x63, 0x64):
            return ref(b == 0x63, self.heaptype())
        heap = HEAP_BY_BYTE.get(b)
        return None if heap is None else ref(True, heap)

    def heaptype(self) -> str | int:
        r = self.r
        b = r.peek()
        if b is not None and b in HEAP_BY_BYTE:
            r.pos += 1
            return HEAP_BY_BYTE[b]
        start = r.pos
        idx = r.sleb(33)
        if idx < 0:
            raise r.fail("malformed heap type", start)
        return idx

    def reftype(self) -> str:
        r = self.r
        b = r.byte()
        t = REFTYPE_BYTES.get(b) or self.ref_tail(b)
        if t is None:
            raise r.fail("malformed reference type", r.pos - 1)
        return t

    def limits(self) -> tuple[S.Limits, str]:
        """Limits and their address type (flag bit 2: 64-bit, memory64)."""
        r = self.r
        if not self.memory64:
            has_max = r.uleb(1)
            lo = r.u32()
            return S.Limits(lo, r.u32() if has_max else None), "i32"
        start = r.pos
        flags = r.byte()
        if flags not in (0, 1, 4, 5):
            raise r.fail("malformed limits flags", start)
        read = r.u64 if flags & 4 else r.u32
        lo = read()
        return S.Limits(lo, read() if flags & 1 else None), "i64" if flags & 4 else "i32"

    def memtype(self) -> S.MemType:
        lim, addr = self.limits()
        return S.MemType(lim, addr)

    def tabletype(self) -> S.TableType:
        elem = self.reftype()
        lim, addr = self.limits()
        return S.TableType(lim, elem, addr)

    def table(self, m: S.Module) -> S.TableType:
        """A table of the table section; 3.0's ``0x40 0x00 tabletype expr`` form gives it an initialiser."""
        r = self.r
        if self.typed_refs and r.peek() == 0x40:
            r.pos += 1
            if r.byte() != 0:
                raise r.fail("malformed table", r.pos - 1)
            t = self.tabletype()
            m.table_inits[len(m.tables)] = self.expr()  # the table's index among the defined ones
            return t
        return self.tabletype()

    def globaltype(self) -> S.GlobalType:
        t = self.valtype()
        r = self.r
        m = r.byte()
        if m not in (0, 1):
            raise r.fail("malformed mutability", r.pos - 1)
        return S.GlobalType(t, bool(m))

    def gc_types(self, m: S.Module) -> None:
        """The 3.0 type section: recursion groups (0x4E) of sub types (0x50, final 0x4F) or plain types."""
        r = self.r
        for _ in range(r.len32()):
            if r.peek() == 0x4E:
                r.pos += 1
                n = r.len32()
            else:
                n = 1
            m.rec_groups.append(n)
            for _ in range(n):
                b = r.peek()
                if b in (0x50, 0x4F):
                    r.pos += 1
                    supers = tuple(r.u32() for _ in range(r.len32()))
                    m.subs[len(m.types)] = S.SubInfo(supers, b == 0x4F)
                m.types.append(self.comptype())
        if all(n == 1 for n in m.rec_groups):
            m.rec_groups = []  # each type a group of its own: the 2.0 shape

    def comptype(self) -> S.FuncType | S.StructType | S.ArrayType:
        r = self.r
        b = r.peek()
        if b == 0x5F:
            r.pos += 1
            return S.StructType(tuple(self.fieldtype() for _ in range(r.len32())))
        if b == 0x5E:
            r.pos += 1
            return S.ArrayType(self.fieldtype())
        return self.functype()

    def fieldtype(self) -> S.FieldType:
        r = self.r
        b = r.peek()
        if b in (0x78, 0x77):
            r.pos += 1
            storage = "i8" if b == 0x78 else "i16"
        else:
            storage = self.valtype()
        m = r.byte()
        if m not in (0, 1):
            raise r.fail("malformed mutability", r.pos - 1)
        return S.FieldType(storage, bool(m))

    def functype(self) -> S.FuncType:
        r = self.r
        start = r.pos
        if r.sleb(7) != -0x20:  # 0x60 as a signed LEB128
            raise r.fail("malformed function type", start)
        params = tuple(self.valtype() for _ in range(r.len32()))
        results = tuple(self.valtype() for _ in range(r.len32()))
        return S.FuncType(params, results)

    def blocktype(self) -> S.BlockType:
        r = self.r
        b = r.peek()
        if b == EMPTY_BLOCKTYPE:
            r.pos += 1
            return None
        if b is not None and b & 0xC0 == 0x40:
            return self.valtype()
        return r.sleb(33)

    # ----------------------------------------------------------------------------------- instructions
    def expr(self) -> list:
        """Instructions up to and including the ``end`` that closes the sequence."""
        r = self.r
        data = r.data
        op1, opx = _OP1, _OPX
        body: list = []
        # Open blocks: (name, blocktype, enclosing list, then-list once inside an else-branch, else None)
        stack: list = []
        cur = body
        while True:
            pos = r.pos
            if pos >= r.end:
                raise r.fail("unexpected end of section or function", r.end)
            b = data[pos]
            r.pos = pos + 1
            if b == END:
                if not stack:
                    return body
                name, bt, outer, then = stack.pop()
                if name == "if":
                    outer.append(("if", bt, then, cur) if then is not None else ("if", bt, cur, []))
                elif name == "try_table":  # ``then`` holds its catch clauses
                    outer.append(("try_table", bt, cur, then))
                else:
                    outer.append((name, bt, cur))
                cur = outer
                continue
            if b == ELSE:
                if stack and stack[-1][0] == "if" and stack[-1][3] is None:
                    name, bt, outer, _ = stack.pop()
                    stack.append((name, bt, outer, cur))
                    cur = []
                    continue
                raise r.fail("END opcode expected", pos)
            if b == FC or b == FD or (b == FB and self.gc):
                sub = r.u32()
                entry = opx[b].get(sub)
                if entry is None:
                    raise r.fail(f"illegal opcode {b:02x} {sub:02x}", pos)
            else:
                entry = op1[b]
                if entry is None:
                    raise r.fail(f"illegal opcode {b:02x}", pos)
            name, imm = entry
            if not imm:
                cur.append((name,))
            elif imm == "idx":
                cur.append((name, r.u32()))
                if name == "data.drop":
                    self.uses_data_idx = True
            elif imm == "memarg":
                a, o, x = self.memarg()
                cur.append((name, a, o, x) if x else (name, a, o))
            elif imm == "i32":
                cur.append((name, r.sleb(32) & 0xFFFFFFFF))
            elif imm == "i64":
                cur.append((name, r.sleb(64) & 0xFFFFFFFFFFFFFFFF))
            elif imm == "f32":
                cur.append((name, int.from_bytes(r.bytes(4), "little")))
            elif imm == "f64":
                cur.append((name, int.from_bytes(r.bytes(8), "little")))
            elif imm == "block" or imm == "if":
                bt = self.blocktype()
                stack.append((name, bt, cur, None))
                cur = []
            elif imm == "try_table":
                bt = self.blocktype()
                stack.append((name, bt, cur, tuple(self.vec(self.catch))))
                cur = []
            elif imm == "label":
                cur.append((name, r.u32()))
            elif imm == "br_table":
                n = r.len32()
                labels = tuple(r.u32() for _ in range(n))
                cur.append((name, labels, r.u32()))
            elif imm == "call_indirect":
                ti = r.u32()
                cur.append((name, ti, r.u32()))
            elif imm == "zero":
                x = self.zero()
                cur.append((name, x) if x else (name,))
            elif imm == "zero2":
                d = self.zero()
                s = self.zero()
                cur.append((name, d, s) if d or s else (name,))
            elif imm == "idx_zero":
                idx = r.u32()
                x = self.zero()
                self.uses_data_idx = True
                cur.append((name, idx, x) if x else (name, idx))
            elif imm == "idx2":
                a = r.u32()
                cur.append((name, a, r.u32()))
                if name == "array.new_data" or name == "array.init_data":
                    self.uses_data_idx = True
            elif imm == "br_on_cast":  # flags (bit 0: the first type nullable, bit 1: the second), label, two types
                flags = r.byte()
                if flags > 3:
                    raise r.fail("malformed cast flags", r.pos - 1)
                label = r.u32()
                rt1 = types.ref(bool(flags & 1), self.heaptype())
                cur.append((name, label, rt1, types.ref(bool(flags & 2), self.heaptype())))
            elif imm == "heaptype":  # ref.test/ref.cast: the target, as a reference type (null: the _null form)
                nullable = name.endswith("_null")
                cur.append((name[:-5] if nullable else name, types.ref(nullable, self.heaptype())))
            elif imm == "reftype":  # ref.null's heap type, as the nullable reference type
                if self.typed_refs:
                    cur.append((name, ref(True, self.heaptype())))
                else:
                    cur.append((name, self.reftype()))
            elif imm == "lane":
                cur.append((name, r.byte()))
            elif imm == "memarg_lane":
                a, o, x = self.memarg()
                lane = r.byte()
                cur.append((name, a, o, lane, x) if x else (name, a, o, lane))
            elif imm == "v128":
                cur.append((name, int.from_bytes(r.bytes(16), "little")))
            elif imm == "shuffle":
                cur.append((name, tuple(r.bytes(16))))
            elif imm == "select_t":
                cur.append((name, tuple(self.valtype() for _ in range(r.len32()))))
            else:  # pragma: no cover - every kind in the table is handled above
                raise AssertionError(imm)

    def catch(self) -> tuple[str, int | None, int]:
        r = self.r
        k = r.byte()
        if k > 3:
            raise r.fail("malformed catch clause", r.pos - 1)
        tag = r.u32() if k < 2 else None
        return CATCH_KINDS[k], tag, r.u32()

    def memarg(self) -> tuple[int, int, int]:
        """Alignment, offset and memory index (3.0: flag bit 6 says an index follows; offsets are u64)."""
        r = self.r
        start = r.pos
        align = r.u32()
        mem = 0
        if self.multi_memory and align & 0x40:
            align &= ~0x40
            mem = r.u32()
        if align >= 32:
            raise r.fail("malformed memop flags", start)
        return align, r.u64() if self.memory64 else r.u32(), mem

    def zero(self) -> int:
        """A memory index in 3.0 (multi-memory); the reserved zero byte in 2.0."""
        r = self.r
        if self.multi_memory:
            return r.u32()
        if r.byte() != 0:
            raise r.fail("zero byte expected", r.pos - 1)
        return 0

    # --------------------------------------------------------------------------------------- sections
    def module(self) -> S.Module:
        r = self.r
        data = r.data
        if len(data) < 4:
            raise MalformedError("unexpected end", len(data))
        if data[:4] != MAGIC:
            raise MalformedError("magic header not detected", 0)
        if len(data) < 8:
            raise MalformedError("unexpected end", len(data))
        if data[4:8] != VERSION:
            raise MalformedError("unknown binary version", 4)
        r.pos = 8
        m = S.Module(bodies_skipped=not self.bodies)
        func_types: list[int] = []
        code_count: int | None = None
        code_uses_data = False
        last = 0
        while not r.eof():
            sec_start = r.pos
            sid = data[r.pos]
            if sid > 13 or (sid == 13 and not self.exceptions):
                raise MalformedError("malformed section id", sec_start)
            if sid != 0:
                order = SECTION_ORDER[sid]
                if order <= last:
                    raise MalformedError("unexpected content after last section", sec_start)
                last = order
            r.pos += 1
            try:
                size = r.len32()
            except MalformedError as e:
                if e.message.startswith("unexpected end"):
                    raise MalformedError("unexpected end", e.offset) from None
                raise
            start = r.pos
            if sid == 0:
                self.custom(m, start + size)
            elif sid == 1:
                if self.gc:
                    self.gc_types(m)
                else:
                    m.types = self.vec(self.functype)
            elif sid == 2:
                m.imports = self.vec(self.import_)
            elif sid == 3:
                func_types = self.vec(r.u32)
            elif sid == 4:
                for _ in range(r.len32()):
                    m.tables.append(self.table(m))
            elif sid == 5:
                m.mems = self.vec(self.memtype)
            elif sid == 6:
                m.globals = self.vec(lambda: S.Global(self.globaltype(), self.expr()))
            elif sid == 7:
                m.exports = self.vec(self.export)
            elif sid == 8:
                m.start = r.u32()
            elif sid == 9:
                m.elems = self.vec(self.elem)
            elif sid == 12:
                m.data_count = r.u32()
            elif sid == 10:
                self.uses_data_idx = False
                bodies = self.vec(self.code)
                code_uses_data = self.uses_data_idx
                code_count = len(bodies)
                m.funcs = bodies
            elif sid == 11:
                m.datas = self.vec(self.data)
            elif sid == 13:
                m.tags = self.vec(self.tagtype)
            if r.pos != start + size:
                raise MalformedError("section size mismatch", start)
        if len(func_types) != (code_count or 0):
            raise MalformedError("function and code section have inconsistent lengths", r.pos)
        for f, t in zip(m.funcs, func_types, strict=True):
            f.type_idx = t
        if m.data_count is not None and m.data_count != len(m.datas):
            raise MalformedError("data count and data section have inconsistent lengths", r.pos)
        if m.data_count is None and code_uses_data:
            raise MalformedError("data count section required", r.pos)
        return m

    def vec(self, item) -> list:
        n = self.r.len32()
        return [item() for _ in range(n)]

    def import_(self) -> S.Import:
        r = self.r
        mod = r.name()
        name = r.name()
        kind = r.byte()
        if kind == 0:
            return S.Import(mod, name, "func", r.u32())
        if kind == 1:
            return S.Import(mod, name, "table", self.tabletype())
        if kind == 2:
            return S.Import(mod, name, "memory", self.memtype())
        if kind == 3:
            return S.Import(mod, name, "global", self.globaltype())
        if kind == 4 and self.exceptions:
            return S.Import(mod, name, "tag", self.tagtype())
        raise r.fail("malformed import kind", r.pos - 1)

    def tagtype(self) -> int:
        r = self.r
        if r.byte() != 0:
            raise r.fail("malformed tag attribute", r.pos - 1)
        return r.u32()

    def export(self) -> S.Export:
        r = self.r
        name = r.name()
        kind = r.byte()
        if kind > (4 if self.exceptions else 3):
            raise r.fail("malformed export kind", r.pos - 1)
        return S.Export(name, ("func", "table", "memory", "global", "tag")[kind], r.u32())

    def code(self) -> S.Func:
        r = self.r
        size = r.len32()
        start = r.pos
        if not self.bodies:
            r.pos = start + size
            if r.pos > len(r.data):
                raise r.fail("unexpected end", start)
            return S.Func(0, [], [], start)
        total = 0
        locals_: list[str] = []
        for _ in range(r.len32()):
            n = r.u32()
            t = self.valtype()
            total += n
            if total >= 1 << 32:
                raise r.fail("too many locals", start)
            if total > MAX_LOCALS:
                raise r.fail(f"too many locals (more than {MAX_LOCALS}, this engine's limit)", start)
            locals_.extend([t] * n)
        body = self.expr()
        if r.pos != start + size:
            raise r.fail("section size mismatch", start)
        return S.Func(0, locals_, body, start)

    def elem(self) -> S.Elem:
        r = self.r
        start = r.pos
        flags = r.u32()
        if flags > 7:
            raise r.fail("malformed elements segment kind", start)
        table = 0
        offset = None
        if flags & 1:
            mode = "declarative" if flags & 2 else "passive"
        else:
            mode = "active"
            if flags & 2:
                table = r.u32()
            offset = self.expr()
        if flags & 4:  # expressions
            etype = self.reftype() if flags & 3 else "funcref"
            init = self.vec(self.expr)
        else:  # function indices: in 3.0 references that cannot be null
            if flags & 3:
                if r.byte() != 0:
                    raise r.fail("malformed element kind", r.pos - 1)
            etype = "(ref func)" if self.typed_refs else "funcref"
            init = [[("ref.func", i)] for i in self.vec(r.u32)]
        return S.Elem(etype, init, mode, table, offset)

    def data(self) -> S.Data:
        r = self.r
        start = r.pos
        flags = r.u32()
        if flags == 0:
            offset = self.expr()
            return S.Data(r.bytes(r.len32()), "active", 0, offset)
        if flags == 1:
            return S.Data(r.bytes(r.len32()), "passive")
        if flags == 2:
            mem = r.u32()
            offset = self.expr()
            return S.Data(r.bytes(r.len32()), "active", mem, offset)
        raise r.fail("malformed data segment kind", start)

    def custom(self, m: S.Module, end: int) -> None:
        r = self.r
        name = r.name()
        if r.pos > end:
            raise r.fail("unexpected end", end)
        payload = r.bytes(end - r.pos)
        m.customs.append(S.Custom(name, payload))
        if name == "name":
            try:
                m.func_names = _function_names(payload)
            except MalformedError:
                pass  # a broken name section is ignored, as the spec allows for custom sections


def _function_names(payload: bytes) -> dict[int, str]:
    """The function-name subsection (id 1) of a name section."""
    r = Reader(payload)
    names: dict[int, str] = {}
    while not r.eof():
        sid = r.byte()
        size = r.len32()
        end = r.pos + size
        if sid == 1:
            for _ in range(r.len32()):
                idx = r.u32()
                names[idx] = r.name()
        r.pos = end
    return names
