"""The abstract syntax of a module: what the decoder and the text parser produce, and what validation,
the interpreter and the compiler tiers consume.

Conventions (the contract between the engine's stages; change them only together):

* Value types are strings: ``"i32" "i64" "f32" "f64" "v128" "funcref" "externref"``.
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
  - ``("i32.const", n)`` and ``("i64.const", n)`` with ``n`` the *unsigned* bit pattern;
    ``("f32.const", bits)`` / ``("f64.const", bits)`` with the raw IEEE bits as an unsigned int (so NaN
    payloads survive); ``("v128.const", n)`` with the 128-bit little-endian value as an unsigned int
  - ``("ref.null", reftype)``, ``("ref.func", funcidx)``, ``("ref.is_null",)``
  - ``("table.get", t)``, ``("table.set", t)``, ``("table.size", t)``, ``("table.grow", t)``,
    ``("table.fill", t)``, ``("table.copy", dst, src)``, ``("table.init", elemidx, tableidx)``,
    ``("elem.drop", elemidx)``
  - lane ops: ``("i8x16.extract_lane_s", lane)``, ``("i8x16.shuffle", (16 lane indices))``
  - everything else has no immediates: ``("i32.add",)``, ``("drop",)``, ``("unreachable",)``

* Constant expressions (global initialisers, segment offsets, element items) are instruction lists.
"""

from __future__ import annotations

from dataclasses import dataclass, field

I32, I64, F32, F64, V128 = "i32", "i64", "f32", "f64", "v128"
FUNCREF, EXTERNREF = "funcref", "externref"
NUM_TYPES = (I32, I64, F32, F64)
REF_TYPES = (FUNCREF, EXTERNREF)
VAL_TYPES = (I32, I64, F32, F64, V128, FUNCREF, EXTERNREF)

Instr = tuple
Expr = list  # list[Instr]
BlockType = None | str | int


@dataclass(frozen=True)
class FuncType:
    params: tuple[str, ...]
    results: tuple[str, ...]

    def __str__(self) -> str:
        return f"[{' '.join(self.params)}] -> [{' '.join(self.results)}]"


@dataclass(frozen=True)
class Limits:
    min: int
    max: int | None = None


@dataclass(frozen=True)
class TableType:
    limits: Limits
    elem: str  # "funcref" | "externref"


@dataclass(frozen=True)
class MemType:
    limits: Limits  # in 64 KiB pages


@dataclass(frozen=True)
class GlobalType:
    valtype: str
    mutable: bool


@dataclass(frozen=True)
class Import:
    module: str
    name: str
    kind: str  # "func" | "table" | "memory" | "global"
    desc: int | TableType | MemType | GlobalType  # type index for functions


@dataclass(frozen=True)
class Export:
    name: str
    kind: str  # "func" | "table" | "memory" | "global"
    index: int


@dataclass
class Func:
    type_idx: int
    locals: list[str]  # declared locals only (parameters come from the type)
    body: Expr
    offset: int = 0  # byte offset of the body in the binary, for error messages


@dataclass
class Global:
    type: GlobalType
    init: Expr


@dataclass
class Elem:
    type: str  # reference type of the items
    init: list[Expr]  # one constant expression per item (ref.func i / ref.null t / global.get)
    mode: str  # "passive" | "active" | "declarative"
    table: int = 0
    offset: Expr | None = None


@dataclass
class Data:
    init: bytes
    mode: str  # "passive" | "active"
    memory: int = 0
    offset: Expr | None = None


@dataclass
class Custom:
    name: str
    payload: bytes


@dataclass
class Module:
    types: list[FuncType] = field(default_factory=list)
    imports: list[Import] = field(default_factory=list)
    funcs: list[Func] = field(default_factory=list)
    tables: list[TableType] = field(default_factory=list)
    mems: list[MemType] = field(default_factory=list)
    globals: list[Global] = field(default_factory=list)
    exports: list[Export] = field(default_factory=list)
    start: int | None = None
    elems: list[Elem] = field(default_factory=list)
    datas: list[Data] = field(default_factory=list)
    data_count: int | None = None
    customs: list[Custom] = field(default_factory=list)
    func_names: dict[int, str] = field(default_factory=dict)  # from the name section, when present
    bodies_skipped: bool = False  # decoded for already-compiled code: funcs have no locals/body (decode_module)

    def imported(self, kind: str) -> list[Import]:
        return [imp for imp in self.imports if imp.kind == kind]

    def func_type(self, funcidx: int) -> FuncType:
        """Type of function ``funcidx`` in the function index space (imports first)."""
        imported = self.imported("func")
        if funcidx < len(imported):
            return self.types[imported[funcidx].desc]
        return self.types[self.funcs[funcidx - len(imported)].type_idx]
