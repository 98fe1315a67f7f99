"""The results store: runs and result rows in SQLite.  Reports read it; nothing here runs engines."""

from .machine import machine_fingerprint
from .store import ResultRow, ResultsStore

__all__ = ["ResultRow", "ResultsStore", "machine_fingerprint"]
