"""Clipping long text (an engine's stderr, a failure message) for a terminal line or a stored row.

A clipped text says that it was clipped and by how much, so a reader never mistakes a cut message for
the whole one.  The limits are named by where the text goes, so every place of one kind cuts alike.
"""

from __future__ import annotations

CELL = 80
"""A cell of a summary table."""
LINE = 160
"""A detail after a progress or summary line on the terminal."""
MESSAGE = 300
"""A message stored with a row or raised in an error: an engine's last words, a failed build's output."""
OUTPUT = 2000
"""A longer stored text, such as the output comparison of a WASI test."""


def clip(text: str, limit: int = MESSAGE) -> str:
    """The first ``limit`` characters of ``text``, and how many more there were."""
    if len(text) <= limit:
        return text
    return f"{text[:limit]}... ({len(text) - limit} more characters)"


def clip_start(text: str, limit: int = MESSAGE) -> str:
    """The last ``limit`` characters of ``text`` (where a process's error output says what went wrong),
    and how many came before."""
    if len(text) <= limit:
        return text
    return f"({len(text) - limit} earlier characters) ...{text[-limit:]}"
