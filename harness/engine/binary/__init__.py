"""The binary format: :func:`decode_module` (bytes -> :class:`syntax.Module`) and :func:`encode_module`.

The instruction table both directions share lives in :mod:`.opcodes`.
"""

from .decode import decode_module
from .encode import encode_module

__all__ = ["decode_module", "encode_module"]
