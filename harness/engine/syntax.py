"""The abstract syntax of a module: what the decoder and the text parser produce, and what validation,
the interpreter and the compiler tiers consume.

Conventions (the contract between the engine's stages; change them only together):

* Value types are strings: ``"i32" "i64" "f32" "f64" "v128" "funcref" "externref"``, and the other 3.0
  reference types as :mod:`harness.engine.types` writes them (``"(ref 3)"``, ``"(ref null func)"`` is
  ``"funcref"``; ``("ref.null", t)`` carries the nullable type ``t``).
* An instruction is a tuple whose first item is its text-format name (``"i32.add"``), followed by its
  immediates:

  - ``("block", bt, body)``, ``("loop", bt, body)``, ``("if", bt, then_body, else_body)`` where ``bt`` is
    ``None`` (no result), a value-type string (one result) or an ``int`` type index, and bodies are lists
    of instructions (structured, not flat: ``end``/``else`` do not appear).
  - ``("br", l)``, ``("br_if", l)``, ``("br_table", (l0, l1, ...), default)``
  - ``("call", funcidx)``, ``("call_indirect", typeidx, tableidx)``
  - ``("select",)`` or ``("select", (valtype,))`` for the typed form
  - ``("local.get", i)`` and the like for locals/globals
  - memory access: ``("i32.load", align_log2, offset)``; lanes: ``("v128.load8_lane", align_log2, offset, lane)``
  - ``("memory.size",)``, ``("memory.grow",)``, ``("memory.copy",)``, ``("memory.fill",)``,
    ``("memory.init", dataidx)``, ``("data.drop", dataidx)``
  - multi-memory: an instruction on a memory other than 0 carries its index last (``("i32.load", a, o, 1)``,
    ``("memory.size", 1)``, ``("memory.copy", dst, src)``, ``("memory.init", dataidx, 1)``), so memory-0 code
    keeps the 2.0 shape; ``binary.opcodes.memory_index(ins)`` reads it
  - ``("i32.const", n)`` and ``("i64.const", n)`` with ``n`` the *unsigned* bit pattern;
    ``("f32.const", bits)`` / ``("f64.const", bits)`` with the raw IEEE bits as an unsigned int (so NaN
    payloads survive); ``("v128.const", n)`` with the 128-bit little-endian value as an unsigned int
  - ``("ref.null", reftype)``, ``("ref.func", funcidx)``, ``("ref.is_null",)``
  - ``("table.get", t)``, ``("table.set", t)``, ``("table.size", t)``, ``("table.grow", t)``,
    ``("table.fill", t)``, ``("table.copy", dst, src)``, ``("table.init", elemidx, tableidx)``,
    ``("elem.drop", elemidx)``
  - exceptions: ``("throw", tagidx)``, ``("throw_ref",)``, ``("try_table", bt, body, catches)`` with each
    catch ``(kind, tagidx or None, label)``, kind one of ``catch catch_ref catch_all catch_all_ref``
  - lane ops: ``("i8x16.extract_lane_s", lane)``, ``("i8x16.shuffle", (16 lane indices))``
  - everything else has no immediates: ``("i32.add",)``, ``("drop",)``, ``("unreachable",)``

* Constant expressions (global initialisers, segment offsets, element items) are instruction lists.
"""

from __future__ import annotations

from .records import Frozen, Record

I32, I64, F32, F64, V128 = "i32", "i64", "f32", "f64", "v128"
FUNCREF, EXTERNREF = "funcref", "externref"
NUM_TYPES = (I32, I64, F32, F64)
REF_TYPES = (FUNCREF, EXTERNREF)
VAL_TYPES = (I32, I64, F32, F64, V128, FUNCREF, EXTERNREF)

Instr = tuple
Expr = list  # list[Instr]
BlockType = None | str | int


class FuncType(Frozen):
    __slots__ = ("params", "results")

    def __init__(self, params: tuple[str, ...], results: tuple[str, ...]):
        self.params = params
        self.results = results

    def __str__(self) -> str:
        return f"[{' '.join(self.params)}] -> [{' '.join(self.results)}]"


class FieldType(Frozen):
    """A struct field or array element (GC): a value type or a packed ``"i8"``/``"i16"``, and mutability."""

    __slots__ = ("storage", "mutable")

    def __init__(self, storage: str, mutable: bool):
        self.storage = storage
        self.mutable = mutable


class StructType(Frozen):
    __slots__ = ("fields",)

    def __init__(self, fields: tuple[FieldType, ...]):
        self.fields = fields


class ArrayType(Frozen):
    __slots__ = ("field",)

    def __init__(self, field: FieldType):
        self.field = field


class SubInfo(Frozen):
    """A type's place in the GC type hierarchy: its declared supertypes and whether it is final."""

    __slots__ = ("supers", "final")

    def __init__(self, supers: tuple[int, ...] = (), final: bool = True):
        self.supers = supers
        self.final = final


class Limits(Frozen):
    __slots__ = ("min", "max")

    def __init__(self, min: int, max: int | None = None):
        self.min = min
        self.max = max


class TableType(Frozen):
    __slots__ = ("limits", "elem", "addr")

    def __init__(self, limits: Limits, elem: str, addr: str = "i32"):
        self.limits = limits
        self.elem = elem  # "funcref" | "externref"
        self.addr = addr  # address type: "i64" for a table64 (memory64 proposal)


class MemType(Frozen):
    __slots__ = ("limits", "addr")

    def __init__(self, limits: Limits, addr: str = "i32"):
        self.limits = limits  # in 64 KiB pages
        self.addr = addr  # address type: "i64" for a memory64


class GlobalType(Frozen):
    __slots__ = ("valtype", "mutable")

    def __init__(self, valtype: str, mutable: bool):
        self.valtype = valtype
        self.mutable = mutable


class Import(Frozen):
    __slots__ = ("module", "name", "kind", "desc")

    def __init__(self, module: str, name: str, kind: str, desc: int | TableType | MemType | GlobalType):
        self.module = module
        self.name = name
        self.kind = kind  # "func" | "table" | "memory" | "global" | "tag"
        self.desc = desc  # type index for functions and tags


class Export(Frozen):
    __slots__ = ("name", "kind", "index")

    def __init__(self, name: str, kind: str, index: int):
        self.name = name
        self.kind = kind  # "func" | "table" | "memory" | "global"
        self.index = index


class Func(Record):
    __slots__ = ("type_idx", "locals", "body", "offset")

    def __init__(self, type_idx: int, locals: list[str], body: Expr, offset: int = 0):
        self.type_idx = type_idx
        self.locals = locals  # declared locals only (parameters come from the type)
        self.body = body
        self.offset = offset  # byte offset of the body in the binary, for error messages


class Global(Record):
    __slots__ = ("type", "init")

    def __init__(self, type: GlobalType, init: Expr):
        self.type = type
        self.init = init


class Elem(Record):
    __slots__ = ("type", "init", "mode", "table", "offset")

    def __init__(self, type: str, init: list[Expr], mode: str, table: int = 0, offset: Expr | None = None):
        self.type = type  # reference type of the items
        self.init = init  # one constant expression per item (ref.func i / ref.null t / global.get)
        self.mode = mode  # "passive" | "active" | "declarative"
        self.table = table
        self.offset = offset


class Data(Record):
    __slots__ = ("init", "mode", "memory", "offset")

    def __init__(self, init: bytes, mode: str, memory: int = 0, offset: Expr | None = None):
        self.init = init
        self.mode = mode  # "passive" | "active"
        self.memory = memory
        self.offset = offset


class Custom(Record):
    __slots__ = ("name", "payload")

    def __init__(self, name: str, payload: bytes):
        self.name = name
        self.payload = payload


class Module(Record):
    """A module's sections; every list is empty in a new one, filled by the decoder or the text parser."""

    __slots__ = ("types", "imports", "funcs", "tables", "mems", "globals", "exports", "start", "elems",
                 "datas", "data_count", "customs", "func_names", "bodies_skipped", "table_inits", "tags", "rec_groups",
                 "subs")

    def __init__(self, types: list[FuncType] | None = None, imports: list[Import] | None = None,
                 funcs: list[Func] | None = None, tables: list[TableType] | None = None,
                 mems: list[MemType] | None = None, globals: list[Global] | None = None,
                 exports: list[Export] | None = None, start: int | None = None,
                 elems: list[Elem] | None = None, datas: list[Data] | None = None,
                 data_count: int | None = None, customs: list[Custom] | None = None,
                 func_names: dict[int, str] | None = None, bodies_skipped: bool = False):
        self.types = [] if types is None else types
        self.imports = [] if imports is None else imports
        self.funcs = [] if funcs is None else funcs
        self.tables = [] if tables is None else tables
        self.mems = [] if mems is None else mems
        self.globals = [] if globals is None else globals
        self.exports = [] if exports is None else exports
        self.start = start
        self.elems = [] if elems is None else elems
        self.datas = [] if datas is None else datas
        self.data_count = data_count
        self.customs = [] if customs is None else customs
        self.func_names = {} if func_names is None else func_names  # from the name section, when present
        # decoded for already-compiled code: funcs have no locals/body (decode_module)
        self.bodies_skipped = bodies_skipped
        # 3.0: initialiser of a defined table (by its index among m.tables), when it has one
        self.table_inits: dict[int, Expr] = {}
        self.tags: list[int] = []  # 3.0 exception handling: each defined tag's (function) type index
        # GC: the sizes of the recursion groups the types come in (empty: each type is a group of its own),
        # and the SubInfo of every type declared with ``sub`` (the others are final, with no supertype)
        self.rec_groups: list[int] = []
        self.subs: dict[int, SubInfo] = {}

    def imported(self, kind: str) -> list[Import]:
        return [imp for imp in self.imports if imp.kind == kind]

    def groups(self) -> list[tuple[int, int]]:
        """``(first type index, size)`` of each recursion group."""
        if not self.rec_groups:
            return [(i, 1) for i in range(len(self.types))]
        out, start = [], 0
        for n in self.rec_groups:
            out.append((start, n))
            start += n
        return out

    def func_type(self, funcidx: int) -> FuncType:
        """Type of function ``funcidx`` in the function index space (imports first)."""
        imported = self.imported("func")
        if funcidx < len(imported):
            return self.types[imported[funcidx].desc]
        return self.types[self.funcs[funcidx - len(imported)].type_idx]
