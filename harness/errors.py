"""User-facing errors of the harness: printed as one line, exit code 2, never a traceback."""


class HarnessError(Exception):
    """Something the user can fix: the message says what was wrong, where, and what to do."""

    exit_code = 2
