"""Whether SQLite refused for a moment (another connection writes) rather than for good:
the photo history and the SQLite refresh lock both wait on such a refusal and report
any other."""

from __future__ import annotations

import sqlite3
from typing import Final

__all__ = ["LONGEST_BUSY_WAIT", "busy_wait", "is_busy"]

# SQLITE_BUSY and SQLITE_LOCKED (primary codes: the low byte of an extended one).
_BUSY_CODES: Final = (5, 6)
# SQLite's busy timeout is a C int of milliseconds: about 24.8 days, in seconds.
LONGEST_BUSY_WAIT: Final = (2**31 - 1) / 1000


def is_busy(error: sqlite3.Error) -> bool:
    """SQLITE_BUSY or SQLITE_LOCKED, by their codes where Python gives them (3.11 and
    later), else by SQLite's text ("database is locked", "... is busy")."""
    code = getattr(error, "sqlite_errorcode", None)
    if code is not None:
        return code & 0xFF in _BUSY_CODES
    text = str(error)
    return "locked" in text or "busy" in text


def busy_wait(seconds: float) -> float:
    """``seconds`` of busy timeout as SQLite can wait them: past its longest, Python's
    sqlite3 handed it 0 (no wait at all, the very opposite), and 1e308 raised OverflowError
    where the history sets the timeout again after a checkpoint."""
    return min(float(seconds), LONGEST_BUSY_WAIT)
