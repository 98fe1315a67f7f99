"""Planted mutations of our engine, each a way the engine could be wrong that the runner must catch.

``MutantDriver`` is a spec driver (``mutant=tests.mutations.mutants:MutantDriver`` in
``$HARNESS_SPEC_DRIVERS``) whose tier names the mutation: in the worker process it plants the mutation
into ``harness.engine`` and then drives the engine as ``OursDriver`` does.  A mutation of source code is a
one-text edit of one function, compiled again in its own module's namespace (``edit``), so each mutant
differs from the engine in exactly one place.  The LLVM tier's mutants compile without the object cache
(it is keyed by the tier's source, which the edit does not change) and in this process only.
"""

from __future__ import annotations

import inspect
import textwrap
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from harness.spec.drivers.ours import OursDriver


def edit(owners: list[Any], name: str, *changes: tuple[str, str]) -> None:
    """Replace the one occurrence of each ``old`` by its ``new`` in the source of ``owners[0].name`` and bind
    the recompiled function to ``name`` on every owner (a class, or each module that imported it).  All of
    a function's changes go in one call: its source is read from its file, not from an earlier edit."""
    func = getattr(owners[0], name)
    source = textwrap.dedent(inspect.getsource(func))
    for old, new in changes:
        assert source.count(old) == 1, f"{name}: {old!r} occurs {source.count(old)} times"
        source = source.replace(old, new)
    namespace = dict(func.__globals__)
    exec(compile(source, inspect.getsourcefile(func) or name, "exec"), namespace)  # noqa: S102
    for owner in owners:
        setattr(owner, name, namespace[name])


def _i32_add_carry() -> None:
    """i32.add wraps with an end-around carry: wrong only when the sum overflows."""
    from harness.engine.tiers.interp import optable

    optable.OPS["i32.add"] = ("p", "((({0} + {1}) + (({0} + {1}) >> 32)) & 0xffffffff)")


def _f32_neg_keeps_nan_sign() -> None:
    """f32.neg flips the sign bit of every value but a NaN."""
    from harness.engine.tiers.interp import optable

    optable.OPS["f32.neg"] = ("p", "(({0} ^ 0x80000000) if ({0} & 0x7fffffff) <= 0x7f800000 else {0})")


def _div_by_zero_is_overflow() -> None:
    """Signed division by zero traps, but as an integer overflow."""
    from harness.engine.exec import num_int

    edit([num_int], "_div_s", ("raise Trap(TRAP_DIV_ZERO)", "raise Trap(TRAP_INT_OVERFLOW)"))


ONE_PAGE_MORE = ("new_bytes - old_bytes, mmap.PROT_READ", "new_bytes - old_bytes + 4096, mmap.PROT_READ")


def _memory_one_page_more() -> None:
    """Growing a memory makes one more host page accessible than its size (the guard pages' mode)."""
    from harness.engine.runtime.memory import MemoryInstance

    edit([MemoryInstance], "_set_size", ONE_PAGE_MORE)


def _memory_view_one_word_more() -> None:
    """The interpreter's view of a memory reaches 8 bytes past its size (and those bytes are mapped)."""
    from harness.engine.runtime.memory import MemoryInstance

    edit([MemoryInstance], "_set_size", ONE_PAGE_MORE,
         ("buf = self._whole[:new_bytes]", "buf = self._whole[:new_bytes + 8]"))


def _explicit_check_off_by_one() -> None:
    """The explicit bounds check lets an access end one byte past the memory."""
    from harness.engine.tiers.llvm.translate import FunctionCompiler

    edit([FunctionCompiler], "effective_address",
         ("ir.Constant(I64, offset + size), flags", "ir.Constant(I64, offset + size - 1), flags"))


def _i32_add_untyped() -> None:
    """The validator checks i32.add's operand count but not their types."""
    from harness.engine.binary.opcodes import SIGNATURES
    from harness.engine.valid import code

    # the validator types fixed-signature instructions from its own copy of the opcode table (code._FIXED)
    SIGNATURES["i32.add"] = code._FIXED["i32.add"] = ((code.UNKNOWN, code.UNKNOWN), ("i32",))


def _leftover_values_valid() -> None:
    """The validator accepts values left over on the stack at the end of a block or function."""
    from harness.engine.valid import code, module

    edit([code, module], "validate_function", ("if len(vals) != frame.height:", "if len(vals) < frame.height:"))


def _lose_every_second_export() -> None:
    """Instantiation loses every second export (the driver then answers no values for it)."""
    from harness.engine import api

    instantiate = api.Store.instantiate

    def losing(self: Any, module: Any, imports: Any = None) -> Any:
        inst = instantiate(self, module, imports)
        inst.exports = {k: v for i, (k, v) in enumerate(inst.exports.items()) if i % 2 == 0}
        return inst

    api.Store.instantiate = losing


@dataclass(frozen=True)
class Mutation:
    plant: Callable[[], None]
    tier: str = "interp"  # the engine tier the mutant runs on
    options: dict[str, Any] = field(default_factory=dict)
    official: tuple[str, ...] = ()  # spec-2.0 files that must catch it
    corpus: tuple[str, ...] = ()  # our corpus files that must catch it
    at_least: int = 1  # checks of our corpus that must catch it (the official files: at least one)


LLVM = {"cache_dir": False, "compile_jobs": 1}
MUTATIONS: dict[str, Mutation] = {
    "i32-add-carry": Mutation(_i32_add_carry, official=("i32.wast",), corpus=("i32_arith.wast", "operand_types.wast")),
    "f32-neg-nan-sign": Mutation(_f32_neg_keeps_nan_sign, official=("f32_bitwise.wast",), corpus=("float_arith.wast",)),
    "div-zero-trap-kind": Mutation(_div_by_zero_is_overflow, official=("i32.wast", "i64.wast"),
                                   corpus=("i32_arith.wast", "i64_arith.wast"), at_least=2),
    "interp-bounds": Mutation(_memory_view_one_word_more, official=("memory_trap.wast", "address.wast"),
                              corpus=("memory.wast",)),
    "llvm-guard-bounds": Mutation(_memory_one_page_more, "llvm", {**LLVM, "bounds": "guard"},
                                  official=("memory_trap.wast", "address.wast"), corpus=("memory.wast",)),
    "llvm-explicit-bounds": Mutation(_explicit_check_off_by_one, "llvm", {**LLVM, "bounds": "explicit"},
                                     official=("memory_trap.wast", "address.wast"), corpus=("memory.wast",)),
    "i32-add-untyped": Mutation(_i32_add_untyped, official=("i32.wast",), corpus=("operand_types.wast",),
                                at_least=5),
    "leftover-values-valid": Mutation(_leftover_values_valid, official=("block.wast", "func.wast"),
                                      corpus=("operand_types.wast",), at_least=5),
    "lost-exports": Mutation(_lose_every_second_export, official=("exports.wast", "names.wast", "linking.wast"),
                             corpus=("linking.wast", "globals.wast")),
}


class MutantDriver(OursDriver):
    """Our engine with the mutation its tier names planted; an action on an export the engine lost answers
    no values (as the driver of issue 19's probe did)."""

    def __init__(self, tier: str):
        mutation = MUTATIONS[tier]
        mutation.plant()
        super().__init__(mutation.tier, **mutation.options)

    def invoke(self, instance: Any, field: str, args: list[tuple[str, Any]]) -> list[tuple[str, Any]]:
        if field not in instance.exports:
            return []
        return super().invoke(instance, field, args)

    def get(self, instance: Any, field: str) -> tuple[str, Any]:
        if field not in instance.exports:
            return ("i32", 0)
        return super().get(instance, field)
