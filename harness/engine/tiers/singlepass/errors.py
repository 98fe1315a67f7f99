"""The singlepass tier's compile error."""

from __future__ import annotations

from ...errors import UnsupportedFeature


class UnsupportedError(UnsupportedFeature):
    """A validated module uses something the code generator does not emit yet (the message names the function
    and the instruction): the module is refused at compile time rather than run with wrong code.  It is an
    ``UnsupportedFeature`` so that the harness reports such checks as unsupported by this tier, not as
    crashes or conformance failures."""

    def __init__(self, message: str, what: str = ""):
        self.features = [what] if what else []
        self.tier = "singlepass"
        Exception.__init__(self, message)
