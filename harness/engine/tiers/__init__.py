"""The engine's tiers: ways to execute the same validated modules behind one embedding API
(:mod:`harness.engine.api`).  ``interp`` compiles each function to Python source that CPython runs;
``llvm`` translates functions to LLVM IR and compiles them to native code.

Everything else -- decoding, validation, the runtime objects, instantiation, linking, WASI -- is shared, so a
tier is only what :class:`Tier` says: how a module becomes callable code, and how a call enters it.  Adding
one (docs/ARCHITECTURE.md, "Our engine"): a package here whose tier class has these methods, one line in
``api.TIERS``, and the tier's options in ``tests/engine/test_tiers.py``, which checks it against this contract.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

if TYPE_CHECKING:  # for the annotations only: a process that imports one tier's module pays for no more
    from .. import syntax
    from ..runtime.instance import CompiledModule, ModuleInstance
    from ..runtime.objects import FuncInstance


@runtime_checkable
class Tier(Protocol):
    """What :class:`harness.engine.api.Store` expects of the object its tier factory returns.

    A tier's constructor takes its options as keywords (``api.Store(tier="llvm", opt_level=3)`` passes
    ``opt_level=3`` on); a store holds one tier object for its whole life, so a tier may keep per-store state
    (compiled modules, native state).
    """

    def compile(self, module: syntax.Module, data: bytes | None = None) -> CompiledModule:
        """The tier's code for ``module``, made once per module object and shared by all its instances.

        Why apart from ``instantiate``: compiling is the expensive part, and a module is instantiated many
        times (the spec suite re-instantiates, a WASI run links a module into fresh state); tools also
        compile ahead of time (``python -m harness.engine.tiers.llvm``).  ``data`` is the module's bytes,
        given only for a validated module, so that a tier may find code it made for the same bytes before.
        """

    def instantiate(self, module: syntax.Module, externs: list[Any], data: bytes | None = None) -> ModuleInstance:
        """A new instance of ``module`` linked to ``externs`` (resolved imports, one per import in order).

        Why the tier does it: ``runtime.instantiate`` is shared, but only the tier can pass its compiled code
        (to link the instance's functions) and its ``run`` (to call the start function with the tier's trap
        handling).  Raises ``Trap`` from the start function or an out-of-bounds segment.
        """

    def run(self, func: FuncInstance, args: list) -> list:
        """Call ``func`` (wasm, of this or another tier, or host) with raw arguments; the raw results.

        Why: the one entry from the host into wasm code, where the tier sets up what its code needs around
        a call (a call-depth budget, a native stack floor) and turns its own failures into ``Trap`` and
        ``Exhaustion``, so that no Python exception of the tier's making escapes to the embedder.
        """

    def has_code_for(self, data: bytes) -> bool:
        """Whether the tier already holds code for exactly these (once validated) bytes.

        Why: ``api.Store.load`` then decodes only the module's declarations and skips validating the
        bodies again, which is most of a warm start for a large module.  A tier that keeps nothing between
        processes answers False.
        """
