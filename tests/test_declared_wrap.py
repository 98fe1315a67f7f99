"""The wrapper and replay modules a ``wrap = true`` declared engine runs (``declared_wrap``) and the history that
decides what a process preloads (``declared_replay``).  The wrappers are run by our own engine here, linked
to a module under test as a CLI's preload would link them: every value must come back with its exact bits."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.engine import api
from harness.engine.text import parse_module
from harness.spec.drivers import declared_wrap as W
from harness.spec.drivers.base import Inexpressible, Unsupported
from harness.spec.drivers.declared_effects import ANY, Access, GroupEffects, writes_nothing_when_trapping
from harness.spec.drivers.declared_replay import SPECTEST_STATE, History
from harness.spec.values import HostRef
from harness.spec.wasm_sections import read_module_info

TARGET = """(module
  (global (export "gf") (mut f32) (f32.const 0))
  (global (export "gv") v128 (v128.const i64x2 -2 3))
  (global (export "gr") funcref (ref.func $echo))
  (memory (export "mem") 1)
  (func $echo (export "echo") (param i32 i64 f32 f64 v128 funcref externref)
        (result i32 i64 f32 f64 v128 funcref externref)
    (local.get 0) (local.get 1) (local.get 2) (local.get 3) (local.get 4) (local.get 5) (local.get 6))
  (func (export "set") (param f32) (global.set 0 (local.get 0)))
  (func (export "bump") (i32.store (i32.const 0) (i32.add (i32.load (i32.const 0)) (i32.const 1))))
  (func (export "peek") (result i32) (i32.load (i32.const 0))))"""
ECHO = ("i32", "i64", "f32", "f64", "v128", "funcref", "externref")


@pytest.fixture(scope="module")
def target():
    store = api.Store(tier="interp")
    inst = store.instantiate(api.Module.from_text(TARGET), {})
    return store, inst


def _run_wrapper(store, inst, text: str, name: str = "M") -> list[int]:
    wrapper = store.instantiate(api.Module.from_bytes(W.binary(text)), {name: dict(inst.exports)})
    return wrapper.invoke(W.EXPORT, [])


# bit patterns a decimal CLI cannot carry: NaN payloads (signalling, negative), -0, subnormals, lanes
CASES = [
    (0xFFFFFFFF, 0x8000000000000000, 0x7FA00001, 0xFFF0000000000001, (1 << 128) - 1),
    (0, 0, 0x80000000, 0x8000000000000000, 0x7FC00000_00000001_FFFFFFFF_00000000),
    (7, 1 << 63, 0x00000001, 0x000FFFFFFFFFFFFF, 1 << 127),
]


@pytest.mark.parametrize("values", CASES)
def test_a_call_wrapper_returns_every_argument_with_its_bits(target, values):
    store, inst = target
    args = tuple(zip(ECHO, [*values, None, None], strict=True))
    text = W.call_wrapper(W.Call("M", "echo", ECHO, ECHO, args))
    ints = _run_wrapper(store, inst, text)
    assert len(ints) == len(W.slots(ECHO)) == 8
    got = W.decode(ECHO, ints)
    assert got == [(t, v) for t, v in args]


def test_a_non_null_function_reference_comes_back_as_non_null(target):
    store, inst = target
    (got,) = W.decode(("funcref",), _run_wrapper(store, inst, W.global_wrapper("M", "gr", "funcref", False)))
    assert got[0] == "funcref" and got[1] is not None


def test_globals_are_read_with_their_bits_mutable_or_not(target):
    store, inst = target
    store.invoke(inst.exports["set"], [0xFF800001])  # a negative signalling NaN
    assert W.decode(("f32",), _run_wrapper(store, inst, W.global_wrapper("M", "gf", "f32", True))) == [("f32", 0xFF800001)]
    v = _run_wrapper(store, inst, W.global_wrapper("M", "gv", "v128", False))
    assert W.decode(("v128",), v) == [("v128", (3 << 64) | ((1 << 64) - 2))]


def test_a_replay_module_repeats_its_calls_when_instantiated(target):
    store, inst = target
    before = inst.invoke("peek", [])[0]
    call = W.Call("M", "bump", (), (), ())
    store.instantiate(api.Module.from_bytes(W.binary(W.replay_module([call, call, call]))),
                      {"M": dict(inst.exports)})
    assert inst.invoke("peek", [])[0] == before + 3


def test_what_a_wrapper_cannot_make_is_unsupported():
    with pytest.raises(Unsupported, match="ref.extern 3"):
        W.const("externref", HostRef(3))
    with pytest.raises(Unsupported, match="non-null externref"):
        W.decode(("externref",), [0])
    with pytest.raises(ValueError, match="not 0 or 1"):
        W.decode(("funcref",), [2])


def test_names_with_quotes_and_non_ascii_reach_the_import():
    text = W.call_wrapper(W.Call('a"\\é', 'f\n"', (), ("i32",), ()))
    info = read_module_info(W.binary(text))
    assert info.imports[0][:2] == ('a"\\é', 'f\n"')


# -- the history: what a process must preload ------------------------------------------------------------

class _Mod:
    def __init__(self, imports=()):
        self.info = type("Info", (), {"imports": list(imports)})()


def test_a_process_preloads_the_group_in_order_with_the_writes_replayed_between():
    h = History()
    a = h.new_live(_Mod(), {}, False)
    h.wrote(a, "w", ("i32",), (), [("i32", 1)])
    b = h.new_live(_Mod([("A", "w", "func", 0)]), {"A": a}, False)
    h.wrote(b, "v", (), (), [])
    h.wrote(a, "w", ("i32",), (), [("i32", 2)])
    lone = h.new_live(_Mod(), {}, False)  # another group: never preloaded with a or b
    plan = h.plan([b])
    assert [(s.name, s.live.serial if s.live else [c.field for c in s.calls]) for s in plan.steps] == [
        ("A", a.serial), ("__r1", ["w"]), (f"__i{b.serial}", b.serial), ("__r3", ["v", "w"])]
    assert plan.steps[3].calls[0].module == f"__i{b.serial}" and plan.steps[3].calls[1].module == "A"
    assert [s.live for s in h.plan([lone]).steps] == [lone] and not plan.spectest


def test_spectest_memory_joins_groups():
    h = History()
    a = h.new_live(_Mod([("spectest", "memory", "memory", None)]), {}, True)
    b = h.new_live(_Mod([("spectest", "memory", "memory", None)]), {}, True)
    c = h.new_live(_Mod(), {}, False)
    assert [s.live for s in h.plan([b]).steps] == [a, b] and h.plan([b]).spectest
    assert h.group([SPECTEST_STATE]) == [a, b] and h.group([c]) == [c]


def test_dirty_locations_refuse_only_the_checks_that_touch_them():
    h = History()
    h.mark(frozenset({("global", 1, 0)}), "a trap")
    assert h.dirt(Access(frozenset({("global", 1, 0)}))) == "a trap"
    assert h.dirt(Access(frozenset({("global", 1, 1)}), frozenset({("memory", 1)}))) is None
    assert h.dirt(Access(frozenset({ANY}))) == "a trap"  # what may touch anything touches it


def test_one_instance_under_two_names_is_inexpressible():
    h = History()
    a = h.new_live(_Mod(), {}, False)
    h.new_live(_Mod(), {"M1": a}, False)
    b = h.new_live(_Mod(), {"M2": a}, False)
    with pytest.raises(Inexpressible, match="M1, M2"):
        h.plan([b])
    h = History()
    a = h.new_live(_Mod(), {}, False)
    h.new_live(_Mod(), {"M": a}, False)
    other = h.new_live(_Mod(), {}, False)
    with pytest.raises(Inexpressible, match="two instances are registered as 'M'"):
        h.plan([a, other], {"M": other})


# -- effects across linked instances ---------------------------------------------------------------------

def _live(h: History, wat: str, links: dict | None = None):
    from harness.spec.drivers.declared_cli import _Module

    binary = parse_module(wat)
    return h.new_live(_Module(Path("unused.wasm"), binary), links or {}, False)


def test_an_action_writes_what_the_functions_it_reaches_write_in_other_instances():
    h = History()
    a = _live(h, """(module (memory (export "mem") 1) (global (export "g") (mut i32) (i32.const 0))
      (func (export "poke") (i32.store (i32.const 0) (i32.const 1)))
      (func (export "peek") (result i32) (i32.load (i32.const 0)))
      (func (export "noop") (drop (memory.grow (i32.const 0)))))""")
    b = _live(h, """(module (import "A" "poke" (func $poke)) (import "A" "g" (global $g (mut i32)))
      (import "spectest" "print_i32" (func $print (param i32)))
      (table 2 funcref) (elem (i32.const 0) $poke $quiet) (type $t (func))
      (func $quiet (call $print (i32.const 1)))
      (func (export "via-import") (call $poke))
      (func (export "via-table") (call_indirect (type $t) (i32.const 1)))
      (func (export "set-g") (global.set $g (i32.const 2)))
      (func (export "prints") (call $quiet)))""", {"A": a})
    fx = GroupEffects(h.group([a]))
    mem_a, g_a = ("memory", a.serial), ("global", a.serial, 0)
    assert fx.of_export(b, "via-import").writes == {mem_a}
    assert mem_a in fx.of_export(b, "via-table").writes  # $poke is in the table: any indirect call may reach it
    assert fx.of_export(b, "set-g").writes == {g_a} and fx.of_global(a, "g").reads == {g_a}
    assert fx.of_export(b, "prints").writes == set()  # spectest's functions only print
    assert fx.of_export(a, "peek") == Access(frozenset({mem_a}))
    assert fx.of_export(a, "noop").writes == set()  # growing by 0 changes nothing


@pytest.mark.parametrize("body, clean", [
    ("(i32.store (i32.const 0) (i32.const 2))", True),  # the store is the only trap: it writes nothing
    ("(f64.store (unreachable) (f64.const 7))", True),
    ("(global.set $g (unreachable))", True),
    ("(global.set $g (i32.const 1)) (unreachable)", False),  # wrote, then trapped
    ("(i32.store (i32.const 0) (i32.const 2)) (drop (i32.div_s (i32.const 1) (i32.const 0)))", False),
    ("(block (i32.store (i32.const 0) (i32.const 2)))", False),  # control flow: not analysed
])
def test_whether_a_trap_left_writes_behind(body, clean):
    from harness.engine.binary.decode import decode_module

    m = decode_module(parse_module(f"(module (memory 1) (global $g (mut i32) (i32.const 0)) (func {body}))"))
    assert writes_nothing_when_trapping(m.funcs[0].body) is clean


def test_a_call_no_wrapper_can_be_written_for_is_skipped(tmp_path):
    """A type the binary reader does not name (read_module_info's "?": a 3.0 reference type) has no text form."""
    from harness.adapters.declared import load
    from harness.spec.drivers.declared_wrap_driver import WrappingDriver

    path = tmp_path / "harness.toml"
    path.write_text('[engine.mine]\nbinary = "sh"\ntiers = { t = [] }\n[engine.mine.spec]\n'
                    'instantiate = ["{binary}", "{preload}", "{module}"]\n'
                    'invoke = ["{binary}", "{preload}", "{export}", "{module}", "{args}"]\n'
                    'preload = ["{name}={path}"]\nwrap = true\n')
    (adapter,), errors = load(path, set())
    assert errors == [] and adapter.declaration.spec.wrap
    driver = WrappingDriver(adapter, "t")
    try:
        with pytest.raises(Unsupported, match="no wrapper module can be written"):
            driver._write(W.call_wrapper(W.Call("M", "f", ("?",), (), (("i32", 1),))))
    finally:
        driver.close()


@pytest.mark.parametrize("ref", [HostRef(0), HostRef(7), HostRef((1 << 31) - 1), None])
def test_with_i31_a_host_reference_keeps_its_identity_through_the_module(target, ref):
    """``extern_refs = "i31"``: ``ref.extern N`` made in the wrapper comes back as itself (and through a
    replay too); one N beyond an i31 stays inexpressible."""
    store, inst = target
    args = (("i32", 1), ("i64", 2), ("f32", 3), ("f64", 4), ("v128", 5), ("funcref", None), ("externref", ref))
    text = W.call_wrapper(W.Call("M", "echo", ECHO, ECHO, args), i31=True)
    assert W.decode(ECHO, _run_wrapper(store, inst, text), i31=True)[-1] == ("externref", ref)
    replay = W.replay_module([W.Call("M", "echo", ECHO, ECHO, args)], i31=True)
    store.instantiate(api.Module.from_bytes(W.binary(replay)), {"M": dict(inst.exports)})
    with pytest.raises(Unsupported):
        W.const("externref", HostRef(1 << 31), i31=True)


def test_with_i31_an_externref_no_wrapper_made_is_unsupported_and_a_bad_slot_unreadable():
    with pytest.raises(Unsupported, match="no wrapper made"):
        W.decode(("externref",), [0xFFFFFFFE], i31=True)
    with pytest.raises(ValueError, match="no externref's slot"):
        W.decode(("externref",), [0x80000000], i31=True)
