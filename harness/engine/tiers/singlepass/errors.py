"""The singlepass tier's compile error."""

from __future__ import annotations

from ...errors import WasmError


class UnsupportedError(WasmError):
    """A validated module uses something the code generator does not emit yet (the message names the function
    and the instruction): the module is refused at compile time rather than run with wrong code."""
