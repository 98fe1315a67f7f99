"""Parser of module text into :class:`harness.engine.syntax.Module`.

Structure (after the spec's reference interpreter): the lexer gives tokens; a first pass over the module
fields builds the identifier contexts (types, functions, tables, memories, globals, elem and data
segments) and checks that imports precede definitions; a second pass parses every field with all
identifiers known, desugaring the abbreviations (inline imports/exports, inline type uses, inline elem/data
segments, folded instructions) as it goes.  Inline function types that match no explicit type are appended
to the type section in textual order, as the spec prescribes.
"""

from __future__ import annotations

from .. import types
from ..errors import MalformedError
from ..syntax import (
    ArrayType,
    Data,
    Elem,
    Export,
    FieldType,
    Func,
    FuncType,
    Global,
    GlobalType,
    Import,
    Limits,
    MemType,
    Module,
    StructType,
    SubInfo,
    TableType,
)
from .instructions import KINDS, NATURAL_ALIGN
from .lexer import ID, KEYWORD, LPAR, RPAR, STRING, Token, error
from .numbers import NumberError, float_bits, int_bits, is_number, parse_nat

REFTYPES = frozenset(types.SHORTHANDS)
VALTYPES = frozenset(("i32", "i64", "f32", "f64", "v128")) | REFTYPES
SPACES = ("type", "func", "table", "memory", "global", "elem", "data", "tag")
SPACE_WORDS = {
    "type": "type", "func": "function", "table": "table", "memory": "memory", "global": "global",
    "elem": "elem segment", "data": "data segment", "tag": "tag",
}  # fmt: skip
DEF_WORDS = {"func": "function", "table": "table", "memory": "memory", "global": "global", "tag": "tag"}
SHAPES = {
    "i8x16": (16, 8),
    "i16x8": (8, 16),
    "i32x4": (4, 32),
    "i64x2": (2, 64),
    "f32x4": (4, 32),
    "f64x2": (2, 64),
}
U32_MAX = (1 << 32) - 1
FUNC_INDICES = "(ref func)"  # the type of an element segment listing function indices (3.0)
KEYWORDS = frozenset(
    """
module binary quote type func param result local import export table memory global elem data start offset
item declare mut then else end funcref externref extern i32 i64 f32 f64 v128 i8x16 i16x8 i32x4 i64x2 f32x4
f64x2 nan:canonical nan:arithmetic register invoke get assert_return assert_trap assert_exhaustion
assert_malformed assert_invalid assert_unlinkable assert_uninstantiable ref.extern input output ref null tag
catch catch_ref catch_all catch_all_ref rec sub final struct array field i8 i16
""".split()
) | frozenset(types.ABSTRACT) | frozenset(types.SHORTHANDS)


def is_known_keyword(text: str) -> bool:
    """Whether a keyword token is one the text format knows (an instruction, a keyword, a number, a memarg)."""
    if text in KEYWORDS or text in KINDS or is_number(text):
        return True
    for prefix in ("offset=", "align="):
        if text.startswith(prefix):
            return parse_nat(text[len(prefix) :]) is not None
    return False


class _Func:
    """Identifier context of one function body: locals and the label stack."""

    def __init__(self) -> None:
        self.locals: dict[str, int] = {}
        self.nlocals = 0
        self.labels: list[str | None] = []


class ModuleParser:
    """Parses the module fields in ``tokens[start:end]`` (the inside of ``(module ...)``)."""

    def __init__(self, src: str, tokens: list[Token], start: int, end: int):
        self.src = src
        self.toks = tokens
        self.pos = start
        self.end = end
        self.m = Module()
        self.ids: dict[str, dict[str, int]] = {s: {} for s in SPACES}
        self.counts: dict[str, int] = dict.fromkeys(SPACES, 0)
        self.fn: _Func | None = None
        self.uses_data_count = False
        self.nimported = dict.fromkeys(DEF_WORDS, 0)
        self.type_index: dict[FuncType, int] = {}  # first index of each function type
        self.field_ids: dict[int, dict[str, int]] = {}  # struct field names, per type

    # ----------------------------------------------------------------- token helpers

    def err(self, message: str, tok: Token | None = None) -> MalformedError:
        if tok is None:
            tok = self.peek()
        if tok is None:
            return error(
                self.src,
                len(self.src),
                f"{message} (unexpected end of input)" if message != "unexpected end of input" else message,
            )
        return error(self.src, tok.offset, message)

    def peek(self, k: int = 0) -> Token | None:
        i = self.pos + k
        return self.toks[i] if i < self.end else None

    def next(self) -> Token:
        tok = self.peek()
        if tok is None:
            raise self.err("unexpected end of input")
        self.pos += 1
        return tok

    def unexpected(self, tok: Token | None = None) -> MalformedError:
        """The error for a token that does not fit: "unknown operator" for a token the format does not
        know at all (as the reference interpreter reports), else "unexpected token"."""
        tok = tok if tok is not None else self.peek()
        if tok is None:
            return self.err("unexpected end of input")
        if tok.kind == "reserved" or (tok.kind == KEYWORD and not is_known_keyword(tok.text)):
            return self.err(f"unknown operator {tok.text}", tok)
        return self.err(f"unexpected token {tok.text}", tok)

    def expect(self, kind: str) -> Token:
        tok = self.peek()
        if tok is None or tok.kind != kind:
            raise self.unexpected(tok)
        self.pos += 1
        return tok

    def expect_kw(self, word: str) -> Token:
        tok = self.peek()
        if tok is None or tok.kind != KEYWORD or tok.text != word:
            raise self.unexpected(tok)
        self.pos += 1
        return tok

    def at_kw(self, word: str) -> bool:
        tok = self.peek()
        return tok is not None and tok.kind == KEYWORD and tok.text == word

    def at_field(self, word: str) -> bool:
        """Whether the next tokens are ``( word``."""
        a, b = self.peek(), self.peek(1)
        return a is not None and a.kind == LPAR and b is not None and b.kind == KEYWORD and b.text == word

    def at_kind(self, kind: str) -> bool:
        tok = self.peek()
        return tok is not None and tok.kind == kind

    def opt_id(self) -> Token | None:
        if self.at_kind(ID):
            return self.next()
        return None

    def skip_sexpr(self) -> None:
        """Skip one balanced s-expression starting at ``(``."""
        depth = 0
        while True:
            tok = self.next()
            if tok.kind == LPAR:
                depth += 1
            elif tok.kind == RPAR:
                depth -= 1
                if depth == 0:
                    return

    # ----------------------------------------------------------------- small grammar pieces

    def nat(self, bits: int = 32, message: str = "i32 constant out of range") -> int:
        tok = self.next()
        v = parse_nat(tok.text) if tok.kind == KEYWORD else None
        if v is None:
            raise self.unexpected(tok)
        if v >= 1 << bits:
            raise self.err(message, tok)
        return v

    def at_nat(self) -> bool:
        tok = self.peek()
        return tok is not None and tok.kind == KEYWORD and parse_nat(tok.text) is not None

    def string(self) -> bytes:
        return self.expect(STRING).value or b""

    def name(self) -> str:
        tok = self.expect(STRING)
        try:
            return (tok.value or b"").decode("utf-8")
        except UnicodeDecodeError:
            raise self.err("malformed UTF-8 encoding", tok) from None

    def valtype(self) -> str:
        if self.at_field("ref"):
            return self.ref_type()
        tok = self.next()
        if tok.kind == KEYWORD and tok.text in VALTYPES:
            return tok.text
        if tok.kind == KEYWORD:
            raise self.err(f"unknown operator {tok.text}", tok)
        raise self.unexpected(tok)

    def reftype(self) -> str:
        if self.at_field("ref"):
            return self.ref_type()
        tok = self.next()
        if tok.kind == KEYWORD and tok.text in REFTYPES:
            return tok.text
        if tok.kind == KEYWORD:
            raise self.err(f"unknown operator {tok.text}", tok)
        raise self.unexpected(tok)

    def ref_type(self) -> str:
        """``(ref null? heaptype)``."""
        self.next()
        self.next()
        nullable = self.at_kw("null")
        if nullable:
            self.next()
        heap = self.heaptype()
        self.expect(RPAR)
        return types.ref(nullable, heap)

    def heaptype(self) -> str | int:
        """An abstract heap type (``func``, ``extern``, ...) or a type index."""
        tok = self.peek()
        if tok is not None and tok.kind == KEYWORD and tok.text in types.ABSTRACT:
            self.next()
            return tok.text
        if tok is not None and (tok.kind == ID or (tok.kind == KEYWORD and parse_nat(tok.text) is not None)):
            return self.idx("type")
        tok = self.next()
        raise self.err(f"unknown operator {tok.text}", tok) if tok.kind == KEYWORD else self.unexpected(tok)

    def at_reftype(self) -> bool:
        return self.at_field("ref") or (self.at_kind(KEYWORD) and self.peek().text in REFTYPES)

    def idx(self, space: str) -> int:
        """An index into a module-level index space, as a number or an identifier."""
        tok = self.next()
        if tok.kind == ID:
            found = self.ids[space].get(tok.text)
            if found is None:
                raise self.err(f"unknown {SPACE_WORDS[space]} {tok.text}", tok)
            return found
        if tok.kind == KEYWORD:
            v = parse_nat(tok.text)
            if v is not None:
                if v > U32_MAX:
                    raise self.err("i32 constant out of range", tok)
                return v
        raise self.unexpected(tok)

    def at_idx(self) -> bool:
        return self.at_kind(ID) or self.at_nat()

    def bind(self, space: str, tok: Token | None) -> int:
        """Allocate the next index of ``space``, naming it if ``tok`` is an identifier."""
        i = self.counts[space]
        self.counts[space] += 1
        if tok is not None:
            if tok.text in self.ids[space]:
                raise self.err(f"duplicate {space} {tok.text}", tok)
            self.ids[space][tok.text] = i
        return i

    def limits(self, bits: int = 32) -> Limits:
        lo = self.nat(bits)
        hi = self.nat(bits) if self.at_nat() else None
        return Limits(lo, hi)

    def addrtype(self) -> str:
        """An optional ``i32``/``i64`` before limits (memory64)."""
        if self.at_kw("i64") or self.at_kw("i32"):
            return self.next().text
        return "i32"

    def globaltype(self) -> GlobalType:
        if self.at_field("mut"):
            self.next()
            self.next()
            t = self.valtype()
            self.expect(RPAR)
            return GlobalType(t, True)
        return GlobalType(self.valtype(), False)

    def inline_exports(self) -> list[str]:
        names = []
        while self.at_field("export"):
            self.next()
            self.next()
            names.append(self.name())
            self.expect(RPAR)
        return names

    # ----------------------------------------------------------------- types

    def type_index_of(self, ft: FuncType) -> int:
        """Smallest index of ``ft`` in the type section, appending it if it is not there (the spec's rule)."""
        found = self.type_index.get(ft)
        if found is None:
            found = self.type_index[ft] = len(self.m.types)
            self.m.types.append(ft)
            if self.m.rec_groups:
                self.m.rec_groups.append(1)
        return found

    def params_results(self, allow_names: bool) -> tuple[list[str], list[Token | None], list[str]]:
        """``(param ...)* (result ...)*``; returns param types, their id tokens, and result types."""
        params: list[str] = []
        names: list[Token | None] = []
        results: list[str] = []
        while self.at_field("param"):
            self.next()
            self.next()
            if self.at_kind(ID):
                tok = self.next()
                if not allow_names:
                    raise self.unexpected(tok)
                params.append(self.valtype())
                names.append(tok)
                self.expect(RPAR)
                continue
            while not self.at_kind(RPAR):
                params.append(self.valtype())
                names.append(None)
            self.next()
        while self.at_field("result"):
            self.next()
            self.next()
            while not self.at_kind(RPAR):
                results.append(self.valtype())
            self.next()
        if self.at_field("param") or self.at_field("type"):
            raise self.unexpected(self.peek(1))
        return params, names, results

    def typeuse(self, allow_names: bool = True) -> tuple[int, list[Token | None]]:
        """A type use: ``(type x)?`` and inline params/results.  Returns the type index and param ids."""
        explicit = None
        type_tok = None
        if self.at_field("type"):
            self.next()
            self.next()
            type_tok = self.peek()
            explicit = self.idx("type")
            self.expect(RPAR)
        start = self.pos
        params, names, results = self.params_results(allow_names)
        if explicit is None:
            return self.type_index_of(FuncType(tuple(params), tuple(results))), names
        if self.pos != start:  # inline declaration must match the referenced type
            if explicit >= len(self.m.types):
                raise self.err(f"unknown type {type_tok.text if type_tok else explicit}", type_tok)
            if self.m.types[explicit] != FuncType(tuple(params), tuple(results)):
                raise self.err("inline function type", self.toks[start])
            return explicit, names
        t = self.m.types[explicit] if explicit < len(self.m.types) else None
        n = len(t.params) if isinstance(t, FuncType) else 0  # not a function type: validation says so
        return explicit, [None] * n

    def blocktype(self):
        """Block type: None, a value type, or a type index."""
        if self.at_field("type"):
            idx, _ = self.typeuse(allow_names=False)
            return idx
        start = self.pos
        params, _, results = self.params_results(allow_names=False)
        if self.pos == start or (not params and not results):
            return None
        if not params and len(results) == 1:
            return results[0]
        return self.type_index_of(FuncType(tuple(params), tuple(results)))

    # ----------------------------------------------------------------- pass 1: identifiers

    def scan(self, fields: list[tuple[int, str]]) -> None:
        """Cut the fields, bind their identifiers, check import order; appends (token index, kind) per
        complete field to ``fields``."""
        first_def: str | None = None
        while self.pos < self.end:
            tok = self.peek()
            if tok.kind != LPAR:
                raise self.unexpected(tok)
            kw = self.peek(1)
            if kw is None:
                raise self.err("unexpected end of input")
            if kw.kind != KEYWORD or kw.text not in (
                "type", "import", "func", "table", "memory", "global", "export", "start", "elem", "data", "tag", "rec",
            ):  # fmt: skip
                raise self.unexpected(kw)
            start = self.pos
            kind = kw.text
            self.pos += 2
            if kind == "type":
                self.bind("type", self.opt_id())
                self.pos = start
                self.type_field()
                if self.m.rec_groups:
                    self.m.rec_groups.append(1)
                fields.append((start, kind))
                continue
            if kind == "rec":
                self.pos = start
                self.rec_field()
                fields.append((start, "type"))
                continue
            if kind == "import":
                self.name()
                self.name()
                self.expect(LPAR)
                desc = self.next()
                if desc.kind != KEYWORD or desc.text not in DEF_WORDS:
                    raise self.unexpected(desc)
                if first_def is not None:
                    raise self.err(f"import after {DEF_WORDS[first_def]}", tok)
                self.bind(desc.text, self.opt_id())
            elif kind in DEF_WORDS:
                ident = self.opt_id()
                while self.at_field("export"):
                    self.skip_sexpr()
                if self.at_field("import"):
                    if first_def is not None:
                        raise self.err(f"import after {DEF_WORDS[first_def]}", tok)
                else:
                    first_def = first_def or kind
                    skip = 1 if self.at_kw("i64") or self.at_kw("i32") else 0
                    tok = self.peek(skip)
                    if kind == "table" and tok is not None and tok.kind == KEYWORD and tok.text in REFTYPES:
                        if self.at_field_at(skip + 1, "elem"):
                            self.counts["elem"] += 1
                    elif kind == "table" and self.at_field_at(skip, "ref"):
                        k = skip
                        while self.peek(k) is not None and self.peek(k).kind != RPAR:
                            k += 1
                        if self.at_field_at(k + 1, "elem"):
                            self.counts["elem"] += 1
                    if kind == "memory" and self.at_field_at(skip, "data"):
                        self.counts["data"] += 1
                self.bind(kind, ident)
            elif kind in ("elem", "data"):
                self.bind(kind, self.opt_id())
            self.pos = start
            self.skip_sexpr()
            fields.append((start, kind))

    def at_field_at(self, k: int, word: str) -> bool:
        a, b = self.peek(k), self.peek(k + 1)
        return a is not None and a.kind == LPAR and b is not None and b.kind == KEYWORD and b.text == word

    # ----------------------------------------------------------------- pass 2: fields

    def parse(self) -> Module:
        fields: list[tuple[int, str]] = []
        pending: MalformedError | None = None
        try:
            self.scan(fields)
        except MalformedError as e:  # report an earlier error inside the fields before it, if there is one
            pending = e
        # types are complete after the scan; every other field is parsed now with all identifiers bound
        for start, kind in fields:
            if kind == "type":
                continue
            self.pos = start + 2
            self.fn = None
            getattr(self, f"field_{kind}")()
            self.expect(RPAR)
        self.fn = None
        if pending is not None:
            raise pending
        if self.uses_data_count:
            self.m.data_count = len(self.m.datas)
        # function identifiers become the name section, so traps and listings can say "$f"
        self.m.func_names = {i: name[1:] for name, i in self.ids["func"].items()}
        return self.m

    def type_field(self, in_rec: bool = False) -> None:
        """``(type $id? comptype)`` or ``(type $id? (sub final? $super* comptype))``."""
        self.expect(LPAR)
        self.expect_kw("type")
        self.opt_id()
        index = len(self.m.types)
        sub = None
        if self.at_field("sub"):
            self.next()
            self.next()
            final = self.at_kw("final")
            if final:
                self.next()
            supers = []
            while self.at_idx():
                supers.append(self.idx("type"))
            sub = SubInfo(tuple(supers), final)
            self.m.subs[index] = sub
        self.expect(LPAR)
        tok = self.next()
        if tok.kind == KEYWORD and tok.text == "func":
            params, _, results = self.params_results(allow_names=True)
            t = FuncType(tuple(params), tuple(results))
            if sub is None and not in_rec:  # what an inline type use may stand for
                self.type_index.setdefault(t, index)
        elif tok.kind == KEYWORD and tok.text == "struct":
            fields: list[FieldType] = []
            names = self.field_ids.setdefault(index, {})
            while self.at_field("field"):
                self.next()
                self.next()
                ident = self.opt_id()
                if ident is not None:
                    if ident.text in names:
                        raise self.err(f"duplicate field {ident.text}", ident)
                    names[ident.text] = len(fields)
                    fields.append(self.fieldtype())
                else:
                    while not self.at_kind(RPAR):
                        fields.append(self.fieldtype())
                self.expect(RPAR)
            t = StructType(tuple(fields))
        elif tok.kind == KEYWORD and tok.text == "array":
            t = ArrayType(self.fieldtype())
        else:
            raise self.unexpected(tok)
        self.expect(RPAR)
        if sub is not None:
            self.expect(RPAR)
        self.expect(RPAR)
        self.m.types.append(t)

    def fieldtype(self) -> FieldType:
        if self.at_field("mut"):
            self.next()
            self.next()
            storage = self.storagetype()
            self.expect(RPAR)
            return FieldType(storage, True)
        return FieldType(self.storagetype(), False)

    def storagetype(self) -> str:
        if self.at_kw("i8") or self.at_kw("i16"):
            return self.next().text
        return self.valtype()

    def rec_field(self) -> None:
        """``(rec (type ...)*)``: its types' identifiers are bound before any of them is parsed."""
        start = self.pos
        self.expect(LPAR)
        self.expect_kw("rec")
        while self.at_field("type"):
            p = self.pos
            self.pos += 2
            self.bind("type", self.opt_id())
            self.pos = p
            self.skip_sexpr()
        self.pos = start + 2
        n = 0
        while self.at_field("type"):
            self.type_field(in_rec=True)
            n += 1
        self.expect(RPAR)
        if not self.m.rec_groups:
            self.m.rec_groups = [1] * (len(self.m.types) - n)
        self.m.rec_groups.append(n)

    def field_import(self) -> None:
        module = self.name()
        name = self.name()
        self.expect(LPAR)
        kind = self.next().text
        self.opt_id()
        self.import_desc(module, name, kind)
        self.expect(RPAR)

    def import_desc(self, module: str, name: str, kind: str) -> None:
        if kind == "func":
            idx, _ = self.typeuse()
            desc = idx
        elif kind == "table":
            addr = self.addrtype()
            limits = self.limits(64 if addr == "i64" else 32)
            desc = TableType(limits, self.reftype(), addr)
        elif kind == "memory":
            addr = self.addrtype()
            desc = MemType(self.limits(64 if addr == "i64" else 32), addr)
        elif kind == "tag":
            desc, _ = self.typeuse()
        else:
            desc = self.globaltype()
        self.m.imports.append(Import(module, name, kind, desc))
        self.nimported[kind] += 1

    def add_exports(self, names: list[str], kind: str, index: int) -> None:
        for n in names:
            self.m.exports.append(Export(n, kind, index))

    def inline_import(self) -> tuple[str, str] | None:
        if not self.at_field("import"):
            return None
        self.next()
        self.next()
        module, name = self.name(), self.name()
        self.expect(RPAR)
        return module, name

    def field_func(self) -> None:
        self.opt_id()
        index = self.nimported["func"] + len(self.m.funcs)
        exports = self.inline_exports()
        imp = self.inline_import()
        self.add_exports(exports, "func", index)
        if imp:
            self.import_desc(imp[0], imp[1], "func")
            return
        type_idx, names = self.typeuse()
        fn = _Func()
        for tok in names:
            self.bind_local(fn, tok)
        locals_: list[str] = []
        while self.at_field("local"):
            self.next()
            self.next()
            if self.at_kind(ID):
                tok = self.next()
                locals_.append(self.valtype())
                self.bind_local(fn, tok)
                self.expect(RPAR)
                continue
            while not self.at_kind(RPAR):
                locals_.append(self.valtype())
                self.bind_local(fn, None)
            self.next()
        self.fn = fn
        body = self.instrs()
        self.fn = None
        self.m.funcs.append(Func(type_idx, locals_, body))

    def bind_local(self, fn: _Func, tok: Token | None) -> None:
        if tok is not None:
            if tok.text in fn.locals:
                raise self.err(f"duplicate local {tok.text}", tok)
            fn.locals[tok.text] = fn.nlocals
        fn.nlocals += 1

    def field_table(self) -> None:
        self.opt_id()
        index = self.nimported["table"] + len(self.m.tables)
        self.add_exports(self.inline_exports(), "table", index)
        imp = self.inline_import()
        if imp:
            self.import_desc(imp[0], imp[1], "table")
            return
        addr = self.addrtype()
        if self.at_reftype():
            elem = self.reftype()
            self.expect(LPAR)
            self.expect_kw("elem")
            seg_type = elem
            if self.at_kind(LPAR):
                items = []
                while not self.at_kind(RPAR):
                    items.append(self.elem_expr())
            else:
                seg_type = FUNC_INDICES
                items = []
                while not self.at_kind(RPAR):
                    items.append([("ref.func", self.idx("func"))])
            self.expect(RPAR)
            n = len(items)
            self.m.tables.append(TableType(Limits(n, n), elem, addr))
            self.m.elems.append(Elem(seg_type, items, "active", index, [(f"{addr}.const", 0)]))
            return
        limits = self.limits(64 if addr == "i64" else 32)
        self.m.tables.append(TableType(limits, self.reftype(), addr))
        if not self.at_kind(RPAR):  # 3.0: an initialiser for the table's elements
            self.m.table_inits[len(self.m.tables) - 1] = self.instrs()

    def field_memory(self) -> None:
        self.opt_id()
        index = self.nimported["memory"] + len(self.m.mems)
        self.add_exports(self.inline_exports(), "memory", index)
        imp = self.inline_import()
        if imp:
            self.import_desc(imp[0], imp[1], "memory")
            return
        addr = self.addrtype()
        if self.at_field("data"):
            self.next()
            self.next()
            data = bytearray()
            while self.at_kind(STRING):
                data += self.string()
            self.expect(RPAR)
            pages = (len(data) + 0xFFFF) // 0x10000
            self.m.mems.append(MemType(Limits(pages, pages), addr))
            self.m.datas.append(Data(bytes(data), "active", index, [(f"{addr}.const", 0)]))
            return
        self.m.mems.append(MemType(self.limits(64 if addr == "i64" else 32), addr))

    def field_global(self) -> None:
        self.opt_id()
        index = self.nimported["global"] + len(self.m.globals)
        self.add_exports(self.inline_exports(), "global", index)
        imp = self.inline_import()
        if imp:
            self.import_desc(imp[0], imp[1], "global")
            return
        gt = self.globaltype()
        self.m.globals.append(Global(gt, self.instrs()))

    def field_tag(self) -> None:
        self.opt_id()
        index = self.nimported["tag"] + len(self.m.tags)
        self.add_exports(self.inline_exports(), "tag", index)
        imp = self.inline_import()
        if imp:
            self.import_desc(imp[0], imp[1], "tag")
            return
        idx, _ = self.typeuse()
        self.m.tags.append(idx)

    def field_export(self) -> None:
        name = self.name()
        self.expect(LPAR)
        tok = self.next()
        if tok.kind != KEYWORD or tok.text not in DEF_WORDS:
            raise self.unexpected(tok)
        self.m.exports.append(Export(name, tok.text, self.idx(tok.text)))
        self.expect(RPAR)

    def field_start(self) -> None:
        tok = self.peek()
        if self.m.start is not None:
            raise self.err("multiple start sections", tok)
        self.m.start = self.idx("func")

    def offset_expr(self) -> list:
        """``(offset instr*)`` or a single folded instruction."""
        return self._const_expr("offset")

    def elem_expr(self) -> list:
        """``(item instr*)`` or a single folded instruction."""
        return self._const_expr("item")

    def _const_expr(self, keyword: str) -> list:
        """``(KEYWORD instr*)``, or the abbreviation: one folded instruction standing for it."""
        if self.at_field(keyword):
            self.next()
            self.next()
            e = self.instrs()
            self.expect(RPAR)
            return e
        out: list = []
        if not self.at_kind(LPAR):
            raise self.unexpected()
        self.folded(out)
        return out

    def elem_list(self, legacy_ok: bool) -> tuple[str, list]:
        if self.at_kw("func"):
            self.next()
            items = []
            while self.at_idx():
                items.append([("ref.func", self.idx("func"))])
            return FUNC_INDICES, items
        if self.at_reftype():
            t = self.reftype()
            items = []
            while self.at_kind(LPAR):
                items.append(self.elem_expr())
            return t, items
        if legacy_ok:
            items = []
            while self.at_idx():
                items.append([("ref.func", self.idx("func"))])
            return FUNC_INDICES, items
        raise self.unexpected()

    def field_elem(self) -> None:
        self.opt_id()
        if self.at_kw("declare"):
            self.next()
            t, items = self.elem_list(False)
            self.m.elems.append(Elem(t, items, "declarative"))
            return
        table = None
        if self.at_field("table"):
            self.next()
            self.next()
            table = self.idx("table")
            self.expect(RPAR)
        if self.at_kind(LPAR):
            offset = self.offset_expr()
            t, items = self.elem_list(table is None)
            self.m.elems.append(Elem(t, items, "active", table or 0, offset))
            return
        if table is not None:
            raise self.unexpected()
        t, items = self.elem_list(False)
        self.m.elems.append(Elem(t, items, "passive"))

    def field_data(self) -> None:
        self.opt_id()
        memory = None
        if self.at_field("memory"):
            self.next()
            self.next()
            memory = self.idx("memory")
            self.expect(RPAR)
        offset = None
        if self.at_kind(LPAR):
            offset = self.offset_expr()
        elif memory is not None:
            raise self.unexpected()
        data = bytearray()
        while self.at_kind(STRING):
            data += self.string()
        if offset is None:
            self.m.datas.append(Data(bytes(data), "passive"))
        else:
            self.m.datas.append(Data(bytes(data), "active", memory or 0, offset))

    # ----------------------------------------------------------------- instructions

    def instrs(self) -> list:
        """Instructions up to ``)``, ``end`` or ``else`` (not consumed)."""
        out: list = []
        while True:
            tok = self.peek()
            if tok is None:
                raise self.err("unexpected end of input")
            if tok.kind == RPAR:
                return out
            if tok.kind == LPAR:
                self.folded(out)
            elif tok.kind == KEYWORD:
                if tok.text in ("end", "else"):
                    return out
                self.plain(out)
            else:
                raise self.unexpected(tok)

    def label_def(self) -> None:
        tok = self.opt_id()
        self.fn_labels().append(tok.text if tok else None)

    def fn_labels(self) -> list:
        if self.fn is None:
            self.fn = _Func()  # constant expressions: no locals, but labels must still resolve
        return self.fn.labels

    def end_label(self, label: str | None) -> None:
        if self.at_kind(ID):
            tok = self.next()
            if tok.text != label:
                raise self.err(f"mismatching label {tok.text}", tok)

    def plain(self, out: list) -> None:
        tok = self.next()
        name = tok.text
        kind = KINDS.get(name)
        if kind is None:
            raise self.unexpected(tok)
        if kind != "block":
            out.append(self.immediates(name, kind, tok))
            return
        labels = self.fn_labels()
        self.label_def()
        label = labels[-1]
        bt = self.blocktype()
        catches = self.catches() if name == "try_table" else None
        body = self.instrs()
        if name == "if":
            else_body: list = []
            if self.at_kw("else"):
                self.next()
                self.end_label(label)
                else_body = self.instrs()
            self.expect_kw("end")
            self.end_label(label)
            labels.pop()
            out.append(("if", bt, body, else_body))
            return
        self.expect_kw("end")
        self.end_label(label)
        labels.pop()
        out.append((name, bt, body, catches) if catches is not None else (name, bt, body))

    def catches(self) -> tuple:
        """A try_table's catch clauses; their labels are counted from outside it (its own is not in scope)."""
        labels = self.fn_labels()
        own = labels.pop()
        out = []
        while self.at_field("catch") or self.at_field("catch_ref") or self.at_field("catch_all") \
                or self.at_field("catch_all_ref"):
            self.next()
            kind = self.next().text
            tag = self.idx("tag") if kind in ("catch", "catch_ref") else None
            out.append((kind, tag, self.label_idx()))
            self.expect(RPAR)
        labels.append(own)
        return tuple(out)

    def folded(self, out: list) -> None:
        self.expect(LPAR)
        tok = self.next()
        if tok.kind != KEYWORD:
            raise self.unexpected(tok)
        name = tok.text
        kind = KINDS.get(name)
        if kind is None:
            raise self.unexpected(tok)
        if kind == "block":
            labels = self.fn_labels()
            self.label_def()
            bt = self.blocktype()
            if name == "if":
                # the condition is evaluated outside the if: its own label is not in scope yet
                label = labels.pop()
                while self.at_kind(LPAR) and not self.at_field("then"):
                    self.folded(out)
                labels.append(label)
                self.expect(LPAR)
                self.expect_kw("then")
                then_body = self.instrs()
                self.expect(RPAR)
                else_body: list = []
                if self.at_field("else"):
                    self.next()
                    self.next()
                    else_body = self.instrs()
                    self.expect(RPAR)
                labels.pop()
                out.append(("if", bt, then_body, else_body))
            else:
                catches = self.catches() if name == "try_table" else None
                body = self.instrs()
                labels.pop()
                out.append((name, bt, body, catches) if catches is not None else (name, bt, body))
            self.expect(RPAR)
            return
        instr = self.immediates(name, kind, tok)
        while self.at_kind(LPAR):
            self.folded(out)
        self.expect(RPAR)
        out.append(instr)

    def label_idx(self) -> int:
        tok = self.next()
        labels = self.fn_labels()
        if tok.kind == ID:
            for depth, lab in enumerate(reversed(labels)):
                if lab == tok.text:
                    return depth
            raise self.err(f"unknown label {tok.text}", tok)
        v = parse_nat(tok.text) if tok.kind == KEYWORD else None
        if v is None:
            raise self.unexpected(tok)
        if v > U32_MAX:
            raise self.err("i32 constant out of range", tok)
        return v

    def local_idx(self) -> int:
        tok = self.peek()
        if tok is not None and tok.kind == ID:
            self.next()
            found = self.fn.locals.get(tok.text) if self.fn else None
            if found is None:
                raise self.err(f"unknown local {tok.text}", tok)
            return found
        return self.nat()

    def memarg(self, name: str) -> tuple[int, int]:
        offset, align = 0, 1 << NATURAL_ALIGN[name]
        tok = self.peek()
        if tok is not None and tok.kind == KEYWORD and tok.text.startswith("offset="):
            self.next()
            v = parse_nat(tok.text[7:])
            if v is None:
                raise self.unexpected(tok)
            if v > U32_MAX:
                raise self.err("i32 constant out of range", tok)
            offset = v
            tok = self.peek()
        if tok is not None and tok.kind == KEYWORD and tok.text.startswith("align="):
            self.next()
            v = parse_nat(tok.text[6:])
            if v is None:
                raise self.unexpected(tok)
            if v == 0 or v & (v - 1):
                raise self.err("alignment must be a power of two", tok)
            if v > U32_MAX:
                raise self.err("i32 constant out of range", tok)
            align = v
        return align.bit_length() - 1, offset

    def _nat_at(self, k: int) -> bool:
        tok = self.peek(k)
        return tok is not None and tok.kind == KEYWORD and parse_nat(tok.text) is not None

    def lane(self) -> int:
        """A lane index: a u8 ("malformed lane index" past 255; anything but a natural number does not fit)."""
        tok = self.next()
        v = parse_nat(tok.text) if tok.kind == KEYWORD else None
        if v is None:
            raise self.unexpected(tok)
        if v > 255:
            raise self.err("malformed lane index", tok)
        return v

    def number(self, fn, *args) -> int:
        tok = self.next()
        if tok.kind != KEYWORD:
            raise self.unexpected(tok)
        try:
            return fn(tok.text, *args)
        except NumberError as e:
            if e.message == "unexpected token":
                raise self.unexpected(tok) from None
            raise self.err(e.message, tok) from None

    def v128_const(self) -> int:
        tok = self.next()
        if tok.kind != KEYWORD or tok.text not in SHAPES:
            raise self.unexpected(tok)
        count, bits = SHAPES[tok.text]
        # the lane count is checked before the lanes themselves, as the reference interpreter does
        for i in range(count + 1):
            t = self.peek(i)
            is_lane = t is not None and t.kind not in (LPAR, RPAR)
            if i < count and not is_lane:
                raise self.err("wrong number of lane literals", t)
            if i == count and is_lane and t.kind == KEYWORD and is_number(t.text):
                raise self.err("wrong number of lane literals", t)
        value = 0
        for i in range(count):
            if tok.text[0] == "f":
                lane = self.number(float_bits, bits)
            else:
                lane = self.number(int_bits, bits)
            value |= lane << (i * bits)
        return value

    def immediates(self, name: str, kind: str, tok: Token) -> tuple:
        if kind == "none":
            return (name,)
        if kind == "const":
            t = name[:3]
            if t == "v12":
                return (name, self.v128_const())
            if t[0] == "i":
                return (name, self.number(int_bits, int(t[1:])))
            return (name, self.number(float_bits, int(t[1:])))
        if kind == "mem":
            x = self.idx("memory") if self.at_idx() else 0
            a, o = self.memarg(name)
            return (name, a, o, x) if x else (name, a, o)
        if kind == "memlane":
            # a memory index, then the lane: two naturals in a row means the first is the memory
            x = self.idx("memory") if self.at_kind(ID) or (self.at_nat() and self._nat_at(1)) else 0
            a, o = self.memarg(name)
            lane = self.lane()
            return (name, a, o, lane, x) if x else (name, a, o, lane)
        if kind == "memory":
            x = self.idx("memory") if self.at_idx() else 0
            return (name, x) if x else (name,)
        if kind == "memory.copy":
            if self.at_idx():
                dst = self.idx("memory")
                src = self.idx("memory")
                return (name, dst, src) if dst or src else (name,)
            return (name,)
        if kind == "label":
            return (name, self.label_idx())
        if kind == "local":
            return (name, self.local_idx())
        if kind == "global":
            return (name, self.idx("global"))
        if kind == "func":
            return (name, self.idx("func"))
        if kind == "lane":
            return (name, self.lane())
        if kind == "br_table":
            labels = [self.label_idx()]
            while self.at_idx():
                labels.append(self.label_idx())
            return (name, tuple(labels[:-1]), labels[-1])
        if kind == "call_indirect":
            table = self.idx("table") if self.at_idx() else 0
            type_idx, _ = self.typeuse(allow_names=False)
            return (name, type_idx, table)
        if kind == "table":
            return (name, self.idx("table") if self.at_idx() else 0)
        if kind == "table.copy":
            if self.at_idx():
                dst = self.idx("table")
                return (name, dst, self.idx("table"))
            return (name, 0, 0)
        if kind == "table.init":
            nxt = self.peek(1)
            if nxt is not None and (
                nxt.kind == ID or (nxt.kind == KEYWORD and parse_nat(nxt.text) is not None)
            ):
                table = self.idx("table")
                return (name, self.idx("elem"), table)
            return (name, self.idx("elem"), 0)
        if kind == "elem":
            return (name, self.idx("elem"))
        if kind == "data":
            self.uses_data_count = True
            return (name, self.idx("data"))
        if kind == "memory.init":
            self.uses_data_count = True
            nxt = self.peek(1)
            if nxt is not None and (nxt.kind == ID or (nxt.kind == KEYWORD and parse_nat(nxt.text) is not None)):
                x = self.idx("memory")
                d = self.idx("data")
                return (name, d, x) if x else (name, d)
            return (name, self.idx("data"))
        if kind == "ref.null":
            return (name, types.ref(True, self.heaptype()))
        if kind == "type":
            return (name, self.idx("type"))
        if kind == "tag":
            return (name, self.idx("tag"))
        if kind == "reftype":
            return (name, self.reftype())
        if kind == "field":
            t = self.idx("type")
            tok = self.peek()
            if tok is not None and tok.kind == ID:
                self.next()
                found = self.field_ids.get(t, {}).get(tok.text)
                if found is None:
                    raise self.err(f"unknown field {tok.text}", tok)
                return (name, t, found)
            return (name, t, self.nat())
        if kind == "type_type":
            t = self.idx("type")
            return (name, t, self.idx("type"))
        if kind == "type_data":
            self.uses_data_count = True
            t = self.idx("type")
            return (name, t, self.idx("data"))
        if kind == "type_elem":
            t = self.idx("type")
            return (name, t, self.idx("elem"))
        if kind == "type_n":
            t = self.idx("type")
            return (name, t, self.nat())
        if kind == "br_on_cast":
            label = self.label_idx()
            rt1 = self.reftype()
            return (name, label, rt1, self.reftype())
        if kind == "select":
            if self.at_field("result"):
                results: list[str] = []
                while self.at_field("result"):
                    self.next()
                    self.next()
                    while not self.at_kind(RPAR):
                        results.append(self.valtype())
                    self.next()
                return (name, tuple(results))
            return (name,)
        if kind == "shuffle":
            lanes = []
            while self.at_kind(KEYWORD) and is_number(self.peek().text):
                t = self.next()
                v = parse_nat(t.text)
                if v is None or v > 255:
                    raise self.err("malformed lane index", t)
                lanes.append(v)
            if len(lanes) != 16:
                raise self.err("invalid lane length", tok)
            return (name, tuple(lanes))
        raise AssertionError(f"no immediate parser for kind {kind}")
