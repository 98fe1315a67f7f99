"""syntax.Module -> binary format, the inverse of :mod:`.decode` (used by the text-format parser).

Integers are written in their shortest LEB128 form; instruction bodies are encoded iteratively, so
deeply nested blocks are fine.  The encoder does not validate: it writes whatever indices and types the
module holds (an invalid module encodes to an invalid binary, which is what ``assert_invalid`` needs).
"""

from __future__ import annotations

from .. import syntax as S
from .. import types
from .opcodes import ELSE, EMPTY_BLOCKTYPE, END, OPCODES, SELECT_T, VALTYPE_CODES

_KIND_CODES = {"func": 0, "table": 1, "memory": 2, "global": 3, "tag": 4}
_CATCH_CODES = {"catch": 0, "catch_ref": 1, "catch_all": 2, "catch_all_ref": 3}


def uleb(n: int) -> bytes:
    if n < 0:
        raise ValueError(f"unsigned LEB128 of negative {n}")
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def sleb(n: int) -> bytes:
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        if (n == 0 and not b & 0x40) or (n == -1 and b & 0x40):
            out.append(b)
            return bytes(out)
        out.append(b | 0x80)


def _signed(n: int, bits: int) -> int:
    n &= (1 << bits) - 1
    return n - (1 << bits) if n >> (bits - 1) else n


def _name(s: str) -> bytes:
    raw = s.encode("utf-8", "surrogatepass")
    return uleb(len(raw)) + raw


def _vec(items: list[bytes]) -> bytes:
    return uleb(len(items)) + b"".join(items)


def _valtype(t: str) -> bytes:
    code = VALTYPE_CODES.get(t)
    if code is not None:
        return bytes((code,))
    parsed = types.parse(t)
    if parsed is None:
        raise ValueError(f"cannot encode value type {t!r}")
    nullable, heap = parsed
    if nullable and isinstance(heap, str):
        return _heaptype(heap)
    return (b"\x63" if nullable else b"\x64") + _heaptype(heap)


def _heaptype(heap: str | int) -> bytes:
    if isinstance(heap, int):
        return sleb(heap)
    return bytes((types.ABSTRACT[heap][0],))


def _limits(lim: S.Limits, addr: str = "i32") -> bytes:
    flags = 4 if addr == "i64" else 0
    if lim.max is None:
        return bytes((flags,)) + uleb(lim.min)
    return bytes((flags | 1,)) + uleb(lim.min) + uleb(lim.max)


def _tabletype(t: S.TableType) -> bytes:
    return _valtype(t.elem) + _limits(t.limits, t.addr)


def _memarg(align: int, offset: int, mem: int) -> bytes:
    if mem:
        return uleb(align | 0x40) + uleb(mem) + uleb(offset)
    return uleb(align) + uleb(offset)


def _globaltype(g: S.GlobalType) -> bytes:
    return _valtype(g.valtype) + (b"\x01" if g.mutable else b"\x00")


def _blocktype(bt: S.BlockType) -> bytes:
    if bt is None:
        return bytes((EMPTY_BLOCKTYPE,))
    if isinstance(bt, str):
        return _valtype(bt)
    return sleb(bt)


def _opcode(name: str) -> bytes:
    code = OPCODES[name][0]
    if isinstance(code, tuple):
        return bytes((code[0],)) + uleb(code[1])
    return bytes((code,))


def encode_expr(body: list, out: bytearray | None = None) -> bytes:
    """Instructions followed by ``end``."""
    out = bytearray() if out is None else out
    # Each entry: iterator over instructions, and what to write when it runs out (else-branch or end).
    stack: list[tuple] = [(iter(body), None)]
    while stack:
        it, pending_else = stack[-1]
        ins = next(it, None)
        if ins is None:
            stack.pop()
            if pending_else is not None:
                out.append(ELSE)
                stack.append((iter(pending_else), None))
            else:
                out.append(END)
            continue
        name = ins[0]
        try:
            code, imm = OPCODES[name]
        except KeyError:
            raise ValueError(f"cannot encode unknown instruction {name!r}") from None
        if imm == "br_on_cast":
            (n1, h1), (n2, h2) = types.parse(ins[2]), types.parse(ins[3])
            out += _opcode(name) + bytes((int(n1) | int(n2) << 1,)) + uleb(ins[1]) + _heaptype(h1) + _heaptype(h2)
            continue
        if imm == "heaptype":  # ref.test / ref.cast: the _null opcode when the target type is nullable
            nullable, heap = types.parse(ins[1])
            out += _opcode(name + "_null" if nullable else name) + _heaptype(heap)
            continue
        if name == "select" and len(ins) > 1:
            out.append(SELECT_T)
            out += _vec([_valtype(t) for t in ins[1]])
            continue
        out += _opcode(name)
        if not imm:
            continue
        if imm == "block":
            out += _blocktype(ins[1])
            stack.append((iter(ins[2]), None))
        elif imm == "try_table":
            out += _blocktype(ins[1]) + uleb(len(ins[3]))
            for kind, tag, label in ins[3]:
                out.append(_CATCH_CODES[kind])
                if tag is not None:
                    out += uleb(tag)
                out += uleb(label)
            stack.append((iter(ins[2]), None))
        elif imm == "if":
            out += _blocktype(ins[1])
            stack.append((iter(ins[2]), ins[3] if ins[3] else None))
        elif imm in ("idx", "label"):
            out += uleb(ins[1])
        elif imm == "memarg":
            out += _memarg(ins[1], ins[2], ins[3] if len(ins) > 3 else 0)
        elif imm == "memarg_lane":
            out += _memarg(ins[1], ins[2], ins[4] if len(ins) > 4 else 0) + bytes((ins[3],))
        elif imm == "i32":
            out += sleb(_signed(ins[1], 32))
        elif imm == "i64":
            out += sleb(_signed(ins[1], 64))
        elif imm == "f32":
            out += (ins[1] & 0xFFFFFFFF).to_bytes(4, "little")
        elif imm == "f64":
            out += (ins[1] & 0xFFFFFFFFFFFFFFFF).to_bytes(8, "little")
        elif imm == "v128":
            out += (ins[1] & ((1 << 128) - 1)).to_bytes(16, "little")
        elif imm == "br_table":
            out += _vec([uleb(label) for label in ins[1]]) + uleb(ins[2])
        elif imm in ("call_indirect", "idx2"):
            out += uleb(ins[1]) + uleb(ins[2])
        elif imm == "zero":  # memory index (0 when absent)
            out += uleb(ins[1] if len(ins) > 1 else 0)
        elif imm == "zero2":
            out += uleb(ins[1]) + uleb(ins[2]) if len(ins) > 2 else b"\x00\x00"
        elif imm == "idx_zero":
            out += uleb(ins[1]) + uleb(ins[2] if len(ins) > 2 else 0)
        elif imm == "reftype":  # ref.null: the heap type
            out += _heaptype(types.parse(ins[1])[1])
        elif imm == "lane":
            out.append(ins[1])
        elif imm == "shuffle":
            out += bytes(ins[1])
        else:  # pragma: no cover - the table has no other kinds
            raise ValueError(f"unhandled immediate kind {imm!r}")
    return bytes(out)


def _comptype(t: S.FuncType | S.StructType | S.ArrayType) -> bytes:
    if isinstance(t, S.StructType):
        return b"\x5f" + _vec([_fieldtype(f) for f in t.fields])
    if isinstance(t, S.ArrayType):
        return b"\x5e" + _fieldtype(t.field)
    return b"\x60" + _vec([_valtype(x) for x in t.params]) + _vec([_valtype(x) for x in t.results])


def _fieldtype(f: S.FieldType) -> bytes:
    storage = {"i8": b"\x78", "i16": b"\x77"}.get(f.storage) or _valtype(f.storage)
    return storage + (b"\x01" if f.mutable else b"\x00")


def _types(m: S.Module) -> bytes:
    """The type section: each recursion group (0x4E unless it has one type), sub types."""
    groups = []
    for start, n in m.groups():
        members = []
        for i in range(start, start + n):
            sub = m.subs.get(i)
            head = b"" if sub is None else (b"\x4f" if sub.final else b"\x50") + _vec([uleb(x) for x in sub.supers])
            members.append(head + _comptype(m.types[i]))
        groups.append(members[0] if n == 1 else b"\x4e" + _vec(members))  # a group of one is the type alone
    return _vec(groups)


def _section(sid: int, payload: bytes) -> bytes:
    return bytes((sid,)) + uleb(len(payload)) + payload


def _import(imp: S.Import) -> bytes:
    head = _name(imp.module) + _name(imp.name) + bytes((_KIND_CODES[imp.kind],))
    d = imp.desc
    if imp.kind == "func":
        return head + uleb(d)
    if imp.kind == "tag":
        return head + b"\x00" + uleb(d)
    if imp.kind == "table":
        return head + _tabletype(d)
    if imp.kind == "memory":
        return head + _limits(d.limits, d.addr)
    return head + _globaltype(d)


def _elem(e: S.Elem) -> bytes:
    # function indices: what the text format's "func $f ..." lists are, of type (ref func) in 3.0
    func_indices = e.type == "(ref func)" and all(len(x) == 1 and x[0][0] == "ref.func" for x in e.init)
    items = ([uleb(x[0][1]) for x in e.init] if func_indices else [encode_expr(x) for x in e.init])
    exprs = 0 if func_indices else 4
    if e.mode == "active":
        offset = encode_expr(e.offset or [])
        if e.table == 0 and (func_indices or e.type == "funcref"):
            return uleb(exprs) + offset + _vec(items)
        kind = b"\x00" if func_indices else _valtype(e.type)
        return uleb(2 | exprs) + uleb(e.table) + offset + kind + _vec(items)
    flags = (1 if e.mode == "passive" else 3) | exprs
    kind = b"\x00" if func_indices else _valtype(e.type)
    return uleb(flags) + kind + _vec(items)


def _data(d: S.Data) -> bytes:
    body = uleb(len(d.init)) + bytes(d.init)
    if d.mode == "passive":
        return b"\x01" + body
    offset = encode_expr(d.offset or [])
    if d.memory == 0:
        return b"\x00" + offset + body
    return b"\x02" + uleb(d.memory) + offset + body


def _code(f: S.Func) -> bytes:
    groups: list[bytes] = []
    i = 0
    while i < len(f.locals):
        j = i
        while j < len(f.locals) and f.locals[j] == f.locals[i]:
            j += 1
        groups.append(uleb(j - i) + _valtype(f.locals[i]))
        i = j
    body = _vec(groups) + encode_expr(f.body)
    return uleb(len(body)) + body


def _uses_data_count(m: S.Module) -> bool:
    """Whether some function names a data segment (then the binary needs a data count section)."""
    for f in m.funcs:
        stack = [f.body]
        while stack:
            for ins in stack.pop():
                name = ins[0]
                if name in ("memory.init", "data.drop", "array.new_data", "array.init_data"):
                    return True
                if name in ("block", "loop", "try_table"):
                    stack.append(ins[2])
                elif name == "if":
                    stack.append(ins[2])
                    stack.append(ins[3])
    return False


def encode_module(m: S.Module) -> bytes:
    """The binary encoding of ``m`` (custom sections other than ``name`` are written after the data)."""
    out = bytearray(b"\x00asm\x01\x00\x00\x00")
    if m.types:
        out += _section(1, _types(m))
    if m.imports:
        out += _section(2, _vec([_import(i) for i in m.imports]))
    if m.funcs:
        out += _section(3, _vec([uleb(f.type_idx) for f in m.funcs]))
    if m.tables:
        out += _section(4, _vec([b"\x40\x00" + _tabletype(t) + encode_expr(m.table_inits[i]) if i in m.table_inits
                                 else _tabletype(t) for i, t in enumerate(m.tables)]))
    if m.mems:
        out += _section(5, _vec([_limits(mt.limits, mt.addr) for mt in m.mems]))
    if m.tags:
        out += _section(13, _vec([b"\x00" + uleb(t) for t in m.tags]))
    if m.globals:
        out += _section(6, _vec([_globaltype(g.type) + encode_expr(g.init) for g in m.globals]))
    if m.exports:
        out += _section(7, _vec([_name(e.name) + bytes((_KIND_CODES[e.kind],)) + uleb(e.index)
                                 for e in m.exports]))
    if m.start is not None:
        out += _section(8, uleb(m.start))
    if m.elems:
        out += _section(9, _vec([_elem(e) for e in m.elems]))
    data_count = m.data_count
    if data_count is None and _uses_data_count(m):
        data_count = len(m.datas)
    if data_count is not None:
        out += _section(12, uleb(data_count))
    if m.funcs:
        out += _section(10, _vec([_code(f) for f in m.funcs]))
    if m.datas:
        out += _section(11, _vec([_data(d) for d in m.datas]))
    customs = list(m.customs)
    if m.func_names and not any(c.name == "name" for c in customs):
        customs.append(S.Custom("name", _name_payload(m.func_names)))
    for c in customs:
        out += _section(0, _name(c.name) + bytes(c.payload))
    return bytes(out)


def _name_payload(func_names: dict[int, str]) -> bytes:
    sub = _vec([uleb(i) + _name(n) for i, n in sorted(func_names.items())])
    return b"\x01" + uleb(len(sub)) + sub


__all__ = ["encode_module", "encode_expr", "uleb", "sleb"]
