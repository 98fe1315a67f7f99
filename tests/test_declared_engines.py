"""Engines declared in TOML (``harness.adapters.declared``): the format's mistakes are one line naming the
file, the line and the fix; command lines are filled in from their templates; the ``--invoke`` driver's
argument and result formats are exact (``harness.spec.drivers.declared_cli``), and it knows which actions
may change an instance (``effects``)."""

from __future__ import annotations

import struct
import textwrap
from pathlib import Path

import pytest

from harness.adapters.base import Invocation, RunnerUnavailable
from harness.adapters.declared import DeclaredAdapter, expand, load
from harness.engine.text import parse_module
from harness.spec.drivers.base import Unsupported
from harness.spec.drivers.declared_cli import format_arg, parse_results, parse_value, spectest_wat
from harness.spec.drivers.effects import writing_exports

GOOD = """\
[engine.mine]
binary = "sh"
version = ["{binary}", "-c", "echo mine 1.0"]
tiers = { fast = ["--fast"], slow = [] }

[engine.mine.wasi]
command = ["{binary}", "run", "{tier_flags}", "{dirs}", "{env}", "--argv0", "{argv0}", "{program}", "{args}"]
dir = ["--dir", "{host}::{guest}"]
env = ["--env", "{name}={value}"]

[engine.mine.spec]
instantiate = ["{binary}", "{module}"]
invoke = ["{binary}", "--invoke", "{export}", "{module}", "{args}"]
"""


def _load(tmp_path: Path, text: str, taken: set[str] | None = None):
    path = tmp_path / "harness.toml"
    path.write_text(textwrap.dedent(text))
    return load(path, taken or set())


def _error(tmp_path: Path, text: str, taken: set[str] | None = None) -> str:
    _, errors = _load(tmp_path, text, taken)
    assert len(errors) == 1, errors
    return str(errors[0])


def test_a_good_declaration_gives_an_available_adapter(tmp_path):
    adapters, errors = _load(tmp_path, GOOD)
    assert errors == []
    (mine,) = adapters
    assert isinstance(mine, DeclaredAdapter)
    assert (mine.runtime, mine.tiers, mine.default_tier) == ("mine", ("fast", "slow"), "fast")
    assert mine.capabilities("fast") == {"spec", "wasi", "perf"}
    assert mine.available("fast") and mine.version() == "mine 1.0"
    assert mine.spec_driver == "harness.spec.drivers.declared_cli:mine"
    (gc,), _ = _load(tmp_path, GOOD.replace("tiers =", 'features = ["gc"]\nmissing_features = ["memory64"]\ntiers ='))
    assert gc.features("slow")["gc"].supported and gc.unsupported_features("fast") == {"memory64"}


def test_the_wasi_command_fills_every_placeholder(tmp_path):
    (mine,), _ = _load(tmp_path, GOOD)
    inv = Invocation(tmp_path / "p.wasm", args=["a", "b c"], env={"K": "V"}, dirs=[("/h", "/g")],
                     program_name="prog")
    argv = mine.wasi_command("fast", inv, tmp_path)
    assert argv[1:] == ["run", "--fast", "--dir", "/h::/g", "--env", "K=V", "--argv0", "prog",
                        str((tmp_path / "p.wasm").resolve()), "a", "b c"]
    assert Path(argv[0]).name == "sh"


def test_a_program_needing_what_the_command_cannot_pass_is_refused_not_run_without_it(tmp_path):
    (mine,), _ = _load(tmp_path, GOOD.replace('"{dirs}", "{env}", ', ""))
    with pytest.raises(RunnerUnavailable, match=r"no way to pass environment variables \(no \{env\}"):
        mine.wasi_command("fast", Invocation(tmp_path / "p.wasm", env={"K": "V"}), tmp_path)
    with pytest.raises(RunnerUnavailable, match="no way to pass preopened directories"):
        mine.wasi_command("fast", Invocation(tmp_path / "p.wasm", dirs=[("/h", "/g")]), tmp_path)
    assert mine.wasi_command("fast", Invocation(tmp_path / "p.wasm"), tmp_path)[-1].endswith("p.wasm")


def test_expand_replaces_inside_elements_and_splices_lists():
    assert expand(["x{a}y", "{args}", "{a}"], {"a": "1"}, {"args": ["p", "q"]}) == ["x1y", "p", "q", "1"]
    assert expand(["{args}"], {}, {}) == []


@pytest.mark.parametrize("text, where, words", [
    (GOOD.replace('binary = "sh"', 'binray = "sh"'), ":2:", "unknown key 'binray' (fix: did you mean 'binary'?)"),
    (GOOD.replace('"{program}", "{args}"]', '"{args}"]'), ":7:", "lacks the placeholder {program}"),
    (GOOD.replace('"--invoke", "{export}"', '"--invoke", "{exprot}"'), ":13:", "unknown placeholder {exprot}"),
    (GOOD.replace('"{argv0}"', '"--x={args}"'), ":7:", "{args} must be an element of its own"),
    (GOOD.replace('dir = ["--dir", "{host}::{guest}"]\n', ""), ":7:", "wasi.dir is missing"),
    (GOOD.replace("tiers = { fast", "default_tier = \"turbo\"\ntiers = { fast"), ":4:",
     "default_tier 'turbo' is not one of its tiers"),
    (GOOD.replace("invoke = [", "invoek = ["), ":13:", "unknown key 'invoek'"),
    (GOOD + "trap_exit = 134\n", ":14:", "trap_exit must be a list of exit statuses"),
    (GOOD.replace("tiers =", 'features = ["tail-calls"]\ntiers ='), ":4:",
     "'tail-calls', which is not a WebAssembly 3.0 proposal (fix: did you mean 'tail-call'?)"),
    (GOOD + 'exhaustion = "("\n', ":14:", "spec.exhaustion is not a regular expression"),
    ("[engine.mine\n", ":1:", "not valid TOML"),
    (GOOD + "wrap = true\n", ":14:", "spec.wrap needs spec.preload"),
    (GOOD + 'reads_text = "yes"\n', ":14:", "spec.reads_text must be true or false"),
    (GOOD + 'extern_refs = "i31"\n', ":14:", "spec.extern_refs needs wrap = true"),
    (GOOD + 'extern_refs = "gc"\n', ":14:", "spec.extern_refs is 'gc' (fix: use one of none, i31)"),
])
def test_a_mistake_is_one_line_with_file_line_and_fix(tmp_path, text, where, words):
    message = _error(tmp_path, text)
    assert message.startswith(str(tmp_path / "harness.toml") + where), message
    assert words in message and "(fix: " in message and "\n" not in message


SLOW_OWN = """
[engine.mine.spec.tiers.slow]
invoke = ["{binary}", "--no-gc", "--invoke", "{export}", "{module}", "{args}"]
int_args = "hex"
"""


def test_a_tier_can_have_its_own_spec_commands(tmp_path):
    """``[engine.NAME.spec.tiers.TIER]`` replaces the keys it names for that tier; the others keep the
    engine's; and the spec driver of that tier runs them."""
    from harness.spec.drivers.declared_cli import DeclaredCliDriver

    (mine,), errors = _load(tmp_path, GOOD + SLOW_OWN)
    assert errors == []
    decl = mine.declaration
    fast, slow = decl.spec_for("fast"), decl.spec_for("slow")
    assert fast is decl.spec and "--no-gc" not in fast.invoke and fast.int_args == "signed"
    assert slow.invoke[1] == "--no-gc" and slow.int_args == "hex" and slow.instantiate == fast.instantiate
    assert DeclaredCliDriver(mine, "slow").commands is slow and DeclaredCliDriver(mine, "fast").commands is fast


@pytest.mark.parametrize("extra, where, words", [
    (SLOW_OWN.replace("tiers.slow", "tiers.turbo"), ":15:", "spec.tiers names 'turbo', which is not one of its tiers"),
    (SLOW_OWN.replace("int_args", "int_arg"), ":17:", "unknown key 'int_arg'"),
    (SLOW_OWN.replace('"{export}", ', ""), ":16:", "spec.tiers.slow.invoke lacks the placeholder {export}"),
    (SLOW_OWN + "wrap = true\n", ":18:", "spec.tiers.slow.wrap differs from spec.wrap"),
    (SLOW_OWN.replace("int_args = \"hex\"", "int_args = \"octal\""), ":17:", "spec.int_args is 'octal'"),
])
def test_a_mistake_in_a_tier_s_spec_commands_names_its_own_line(tmp_path, extra, where, words):
    message = _error(tmp_path, GOOD + extra)
    assert message.startswith(str(tmp_path / "harness.toml") + where), message
    assert words in message and "(fix: " in message


def test_a_name_the_harness_has_already_is_refused(tmp_path):
    assert "the name of a runtime the harness has already" in _error(tmp_path, GOOD, taken={"mine"})


def test_a_broken_engine_stays_listed_as_unavailable_with_its_mistake(tmp_path):
    adapters, errors = _load(tmp_path, GOOD.replace('binary = "sh"', 'binray = "sh"') + GOOD.replace("mine", "other"))
    broken, other = adapters
    assert broken.runtime == "mine" and not broken.available("") and broken.available("").reason == str(errors[0])
    assert other.available("fast")


def test_a_command_that_does_not_exist_makes_the_engine_unavailable_naming_the_line(tmp_path):
    (mine,), errors = _load(tmp_path, GOOD.replace('binary = "sh"', 'binary = "no-such-engine-here"'))
    assert errors == []
    why = mine.available("fast").reason
    assert why.startswith(f"{tmp_path / 'harness.toml'}:1: binary 'no-such-engine-here' is not on PATH"), why
    (mine,), _ = _load(tmp_path, GOOD.replace('invoke = ["{binary}"', 'invoke = ["/no/such/cli"'))
    assert "13: spec.invoke runs '/no/such/cli', which does not exist" in mine.available("fast").reason


# -- the --invoke driver's formats -----------------------------------------------------------------------

def _bits32(x: float) -> int:
    return struct.unpack("<I", struct.pack("<f", x))[0]


def _spec(**kw):
    (mine,), _ = _load(Path(kw.pop("tmp")), GOOD)
    commands = mine.declaration.spec
    for k, v in kw.items():
        setattr(commands, k, v)
    return commands


@pytest.mark.parametrize("bits", [0x00000001, 0x3DCCCCCD, 0x7F7FFFFF, 0x80000000, 0x00800000, 0x4B189680])
def test_an_f32_argument_reads_back_as_the_same_bits(tmp_path, bits):
    c = _spec(tmp=tmp_path)
    text = format_arg("f32", bits, c)
    assert parse_value("f32", text, c) == bits, text


def test_arguments_as_declared(tmp_path):
    c = _spec(tmp=tmp_path)
    assert format_arg("i32", 0xFFFFFFFF, c) == "-1"
    assert format_arg("f64", 0x7FF8000000000000, c) == "nan"
    assert format_arg("f32", 0xFF800000, c) == "-inf"
    with pytest.raises(Unsupported):
        format_arg("f32", 0x7FA00000, c)  # a NaN payload has no decimal form
    with pytest.raises(Unsupported):
        format_arg("externref", None, c)
    c = _spec(tmp=tmp_path, int_args="hex", float_args="bits")
    assert (format_arg("i32", 0xFFFFFFFF, c), format_arg("f32", 0x7FA00000, c)) == ("0xffffffff", str(0x7FA00000))


def test_results_in_every_accepted_form(tmp_path):
    c = _spec(tmp=tmp_path)
    out = "-1\n0x10:i64\n1e-45\n-0\n0x1.8p+1\ninf\nnan:0x200000\n316912650112397582603894390785\n<null funcref>\n"
    types = ("i32", "i64", "f32", "f64", "f64", "f32", "f32", "v128", "funcref")
    values = [v for _, v in parse_results(out, types, c)]
    assert values[:8] == [0xFFFFFFFF, 16, 1, 0x8000000000000000, 0x4008000000000000, 0x7F800000, 0x7FA00000,
                          316912650112397582603894390785]
    assert values[8] is None
    assert [v for _, v in parse_results("007\n-0x1\n", ("i32", "i64"), c)] == [7, 0xFFFFFFFFFFFFFFFF]
    with pytest.raises(Unsupported, match="NaN without its bits"):
        parse_results("NaN\n", ("f32",), c)
    with pytest.raises(ValueError, match="expected 2 result"):
        parse_results("1\n", ("i32", "i32"), c)


def test_an_f32_result_is_rounded_once(tmp_path):
    """0.1 read as a double and then as an f32 would round twice; the exact decimal rounds once."""
    c = _spec(tmp=tmp_path)
    assert parse_value("f32", "0.1", c) == _bits32(0.1)
    assert parse_value("f32", "16777217", c) == _bits32(16777216.0)  # a tie: to even


def test_spectest_as_a_module_matches_the_declarations():
    parse_module(spectest_wat())  # valid, with every export of harness.spec.spectest
    assert all(f'"{name}"' in spectest_wat() for name in ("print_i32", "global_f64", "table", "memory"))


def test_which_exports_may_change_the_instance():
    binary = parse_module("""(module
      (memory 1) (global $g (mut i32) (i32.const 0)) (table 1 funcref) (type $t (func)) (elem (i32.const 0) $store)
      (func $pure (export "pure") (result i32) (i32.load (i32.const 0)))
      (func $store (i32.store (i32.const 0) (i32.const 1)))
      (func (export "calls_store") (block (call $store)))
      (func (export "sets") (global.set $g (i32.const 1)))
      (func (export "indirect") (call_indirect (type $t) (i32.const 0)))
      (func (export "calls_pure") (drop (call $pure))))""")
    assert writing_exports(binary) == {"calls_store", "sets", "indirect"}
    pure = parse_module("""(module (table 1 funcref) (type $t (func (result i32))) (elem (i32.const 0) $k)
      (func $k (result i32) (i32.const 7))
      (func (export "indirect") (result i32) (call_indirect (type $t) (i32.const 0))))""")
    assert writing_exports(pure) == set()  # no function writes, so no indirect call can
    mixed = parse_module("""(module (table 1 funcref) (type $t (func (result i32))) (elem (i32.const 0) $k)
      (memory 1) (global $r (ref null func) (ref.func $w))
      (func $k (result i32) (i32.const 7))
      (func $w (result i32) (i32.store (i32.const 0) (i32.const 1)) (i32.const 1))
      (func $unreferenced (export "store") (i32.store (i32.const 0) (i32.const 2)))
      (func (export "indirect") (result i32) (call_indirect (type $t) (i32.const 0))))""")
    assert writing_exports(mixed) == {"store", "indirect"}  # $w's reference is taken (global $r)
    assert writing_exports(parse_module(
        """(module (table 1 funcref) (type $t (func (result i32))) (elem (i32.const 0) $k) (memory 1)
      (func $k (result i32) (i32.const 7))
      (func (export "store") (i32.store (i32.const 0) (i32.const 2)))
      (func (export "indirect") (result i32) (call_indirect (type $t) (i32.const 0))))""")) == {"store"}


@pytest.mark.parametrize("binary", [
    b"\0asm\1\0\0\0\x01\x05\x01\x60",  # a type section cut short
    b"\0asm\1\0\0\0\x02\x07\x02\x01a\x01b\x00\x00",  # two imports announced, one given
    b"\0asm\1\0\0\0\x01\x0b\x01\x60\xff\xff\xff\xff\xff\xff\x0f\x00",  # a count LEB128 too long
])
def test_a_module_the_section_reader_cannot_read_still_goes_to_the_engine(binary):
    """binary.wast's assert_malformed modules: reading their sections for the driver's bookkeeping raised
    before the engine was asked, so a correct rejection was recorded as a crash (21 checks of the 2.0
    suite, on every declared CLI engine).  Now only what needs the sections says it cannot."""
    from harness.spec.drivers.declared_cli import _Module

    module = _Module(Path("m.wasm"), binary)
    assert module.unreadable and module.imports_from() == set()
    with pytest.raises(Unsupported, match="cannot read the module's sections"):
        module.func_type("f")
