"""The validator on hand-built IR: the typing algorithm and every module-level rule, with spec wording
(the 2.0 rules: ``invalid`` validates with ``features.WASM2``; test_wasm3_* check where 3.0 differs)."""

from __future__ import annotations

import pytest

from harness.engine import syntax as S
from harness.engine.errors import ValidationError
from harness.engine.features import WASM2
from harness.engine.valid import validate_module

VOID = S.FuncType((), ())


def module(body: list, params=(), results=(), locals_=(), **kw) -> S.Module:
    types = [S.FuncType(tuple(params), tuple(results))] + kw.pop("types", [])
    return S.Module(types=types, funcs=[S.Func(0, list(locals_), body)], **kw)


def invalid(m: S.Module, message: str) -> ValidationError:
    with pytest.raises(ValidationError) as info:
        validate_module(m, WASM2)
    assert info.value.message.startswith(message), info.value.message
    return info.value


MEM = [S.MemType(S.Limits(1))]
TAB = [S.TableType(S.Limits(1), "funcref")]


# ------------------------------------------------------------------------------------------- typing
@pytest.mark.parametrize("body,params,results", [
    ([("local.get", 0), ("local.get", 1), ("i32.add",)], ("i32", "i32"), ("i32",)),
    ([("unreachable",), ("i32.add",)], (), ("i32",)),  # Unknown operands after unreachable
    ([("unreachable",), ("select",)], (), ("i32",)),
    ([("i32.const", 1), ("br", 0), ("f32.add",), ("drop",)], (), ("i32",)),
    ([("i32.const", 1), ("i32.const", 2), ("block", 1, [("i32.add",)])], (), ("i32",)),  # block with params
    ([("f64.const", 0), ("f64.const", 1), ("i32.const", 0), ("select",)], (), ("f64",)),
    ([("ref.null", "externref"), ("ref.null", "externref"), ("i32.const", 0), ("select", ("externref",))],
     (), ("externref",)),
    ([("block", "i32", [("i32.const", 0), ("i32.const", 1), ("br_if", 0)])], (), ("i32",)),
    ([("block", None, [("block", None, [("i32.const", 0), ("br_table", (0, 1), 0)])])], (), ()),
    ([("loop", None, [("br", 0)])], (), ()),
    ([("i32.const", 1), ("if", "i32", [("i32.const", 1)], [("i32.const", 2)])], (), ("i32",)),
    ([("i32.const", 1), ("return",), ("drop",)], (), ("i32",)),
    ([("ref.null", "funcref"), ("ref.is_null",)], (), ("i32",)),
])
def test_valid_bodies(body, params, results):
    validate_module(module(body, params, results, types=[S.FuncType(("i32", "i32"), ("i32",))]))


@pytest.mark.parametrize("body,results", [
    ([("i32.const", 1), ("i64.const", 1), ("i32.add",)], ("i32",)),
    ([("i32.const", 1)], ()),  # leftover value
    ([], ("i32",)),  # missing result
    ([("i32.const", 1), ("if", "i32", [("i32.const", 1)], [])], ("i32",)),  # if without else needs in == out
    ([("block", None, [("i32.const", 1)])], ()),
    ([("i32.const", 0), ("i32.const", 1), ("i32.const", 0), ("select", ("i64",))], ("i64",)),
    ([("ref.null", "funcref"), ("ref.null", "funcref"), ("i32.const", 0), ("select",)], ("funcref",)),
    ([("i32.const", 0), ("ref.is_null",)], ("i32",)),
    ([("block", "i32", [("block", None, [("i32.const", 0), ("i32.const", 0), ("br_table", (0,), 1)])])],
     ("i32",)),  # br_table label arities differ
    ([("i32.const", 1), ("br", 0), ("unreachable",), ("i64.const", 0)], ("i32",)),
])
def test_type_mismatch(body, results):
    invalid(module(body, (), results), "type mismatch")


def test_invalid_result_arity_for_typed_select():
    invalid(module([("unreachable",), ("select", ("i32", "i32"))]), "invalid result arity")


@pytest.mark.parametrize("body,message", [
    ([("local.get", 3), ("drop",)], "unknown local 3"),
    ([("global.get", 0), ("drop",)], "unknown global 0"),
    ([("call", 5)], "unknown function 5"),
    ([("br", 1)], "unknown label 1"),
    ([("block", 9, [])], "unknown type 9"),
    ([("i32.const", 0), ("call_indirect", 0, 0)], "unknown table 0"),
    ([("i32.const", 0), ("i32.load", 2, 0), ("drop",)], "unknown memory 0"),
    ([("memory.size",), ("drop",)], "unknown memory"),
    ([("data.drop", 0)], "unknown data segment 0"),
    ([("elem.drop", 0)], "unknown elem segment 0"),
    ([("table.size", 0), ("drop",)], "unknown table 0"),
])
def test_unknown_indices(body, message):
    invalid(module(body), message)


def test_memory_instructions():
    ok = [("i32.const", 0), ("i64.load", 3, 8), ("drop",), ("i32.const", 0), ("v128.const", 0), ("v128.load64_lane", 3, 0, 1),
          ("drop",), ("i32.const", 0), ("i32.const", 0), ("i32.const", 0), ("memory.init", 0)]
    validate_module(module(ok, (), (), mems=MEM, datas=[S.Data(b"", "passive")], data_count=1))
    invalid(module([("i32.const", 0), ("i32.load", 3, 0), ("drop",)], mems=MEM),
            "alignment must not be larger than natural")
    invalid(module([("i32.const", 0), ("v128.const", 0), ("v128.store8_lane", 0, 0, 16)], mems=MEM),
            "invalid lane index")


@pytest.mark.parametrize("ins,lanes", [("i8x16.extract_lane_u", 16), ("i64x2.extract_lane", 2),
                                       ("f32x4.extract_lane", 4)])
def test_lane_bounds(ins, lanes):
    result = "i32" if ins.startswith("i8") else ("i64" if ins.startswith("i64") else "f32")
    validate_module(module([("v128.const", 0), (ins, lanes - 1)], (), (result,)))
    invalid(module([("v128.const", 0), (ins, lanes)], (), (result,)), "invalid lane index")
    invalid(module([("v128.const", 0), ("v128.const", 0), ("i8x16.shuffle", (0,) * 15 + (32,))], (), ("v128",)),
            "invalid lane index")


def test_globals_and_mutability():
    g = [S.Global(S.GlobalType("i32", False), [("i32.const", 0)]),
         S.Global(S.GlobalType("i64", True), [("i64.const", 0)])]
    validate_module(module([("i64.const", 1), ("global.set", 1)], globals=g))
    invalid(module([("i32.const", 1), ("global.set", 0)], globals=g), "global is immutable")


def test_tables_and_references():
    tabs = [S.TableType(S.Limits(1), "funcref"), S.TableType(S.Limits(1), "externref")]
    ok = [("i32.const", 0), ("table.get", 1), ("drop",), ("table.size", 0), ("drop",),
          ("i32.const", 0), ("i32.const", 0), ("i32.const", 0), ("table.copy", 0, 0)]
    validate_module(module(ok, tables=tabs))
    invalid(module([("i32.const", 0), ("i32.const", 0), ("i32.const", 0), ("table.copy", 0, 1)], tables=tabs),
            "type mismatch")
    invalid(module([("i32.const", 0), ("call_indirect", 0, 1)], tables=tabs), "type mismatch")
    # ref.func needs the function to be declared outside function bodies
    invalid(module([("ref.func", 0), ("drop",)]), "undeclared function reference")
    declared = S.Elem("funcref", [[("ref.func", 0)]], "declarative")
    validate_module(module([("ref.func", 0), ("drop",)], elems=[declared]))
    validate_module(module([("ref.func", 0), ("drop",)], exports=[S.Export("f", "func", 0)]))


# -------------------------------------------------------------------------------------- module rules
def test_constant_expressions():
    imp = [S.Import("m", "g", "global", S.GlobalType("i32", False)),
           S.Import("m", "mg", "global", S.GlobalType("i32", True))]
    ok = S.Module(imports=imp, globals=[S.Global(S.GlobalType("i32", False), [("global.get", 0)])])
    validate_module(ok)
    for init, message in [([("i32.const", 0), ("i32.const", 0), ("i32.add",)], "constant expression required"),
                          ([("global.get", 1)], "constant expression required"),  # mutable import
                          ([("global.get", 2)], "unknown global 2"),  # not imported: not visible
                          ([("i64.const", 0)], "type mismatch"),
                          ([], "type mismatch"),
                          ([("nop",)], "constant expression required")]:
        globals_ = [S.Global(S.GlobalType("i32", False), init), S.Global(S.GlobalType("i32", False),
                                                                       [("i32.const", 1)])]
        invalid(S.Module(imports=imp, globals=globals_), message)


def test_segments():
    invalid(S.Module(datas=[S.Data(b"", "active", 0, [("i32.const", 0)])]), "unknown memory 0")
    invalid(S.Module(mems=MEM, datas=[S.Data(b"", "active", 0, [("i64.const", 0)])]), "type mismatch")
    invalid(S.Module(elems=[S.Elem("funcref", [], "active", 0, [("i32.const", 0)])]), "unknown table 0")
    invalid(S.Module(tables=TAB, elems=[S.Elem("externref", [], "active", 0, [("i32.const", 0)])]),
            "type mismatch")
    invalid(S.Module(elems=[S.Elem("funcref", [[("ref.func", 3)]], "passive")]), "unknown function 3")


@pytest.mark.parametrize("m,message", [
    (S.Module(mems=[S.MemType(S.Limits(2, 1))]), "size minimum must not be greater than maximum"),
    (S.Module(tables=[S.TableType(S.Limits(2, 1), "funcref")]), "size minimum must not be greater than maximum"),
    (S.Module(mems=[S.MemType(S.Limits(65537))]), "memory size must be at most 65536 pages (4GiB)"),
    (S.Module(mems=[S.MemType(S.Limits(0, 65537))]), "memory size must be at most 65536 pages (4GiB)"),
    (S.Module(mems=MEM * 2), "multiple memories"),
    (S.Module(imports=[S.Import("m", "mem", "memory", MEM[0])], mems=MEM), "multiple memories"),
    (S.Module(imports=[S.Import("m", "f", "func", 3)]), "unknown type 3"),
    (S.Module(exports=[S.Export("a", "memory", 0)]), "unknown memory 0"),
    (S.Module(mems=MEM, exports=[S.Export("a", "memory", 0), S.Export("a", "memory", 0)]),
     "duplicate export name"),
    (S.Module(start=0), "unknown function 0"),
    (module([("local.get", 0), ("drop",)], params=("i32",), start=0), "start function"),
])
def test_module_rules(m, message):
    invalid(m, message)


def test_multiple_tables_are_fine():
    validate_module(S.Module(tables=TAB * 3, mems=MEM))


def test_error_names_the_function():
    err = invalid(module([("i32.add",)], func_names={0: "adder"}), "type mismatch")
    assert err.where == "func 0 $adder"


# ------------------------------------------------------------------------------------ size limits
def test_deep_nesting_validates_without_recursion():
    body: list = [("i32.const", 1)]
    for _ in range(100_000):
        body = [("block", "i32", body)]
    validate_module(module(body, (), ("i32",)))
    bad: list = [("i64.const", 1)]
    for _ in range(100_000):
        bad = [("block", "i32", bad)]
    invalid(module(bad, (), ("i32",)), "type mismatch")


def test_long_function():
    body = [("i32.const", 1)] + [("i32.const", 2), ("i32.add",)] * 100_000
    validate_module(module(body, (), ("i32",)))
