"""Whether SQLite refused for a moment (another connection writes) rather than for good:
the photo history and the SQLite refresh lock both wait on such a refusal and report
any other."""

from __future__ import annotations

import sqlite3
from typing import Final

__all__ = ["is_busy"]

# SQLITE_BUSY and SQLITE_LOCKED (primary codes: the low byte of an extended one).
_BUSY_CODES: Final = (5, 6)


def is_busy(error: sqlite3.Error) -> bool:
    """SQLITE_BUSY or SQLITE_LOCKED, by their codes where Python gives them (3.11 and
    later), else by SQLite's text ("database is locked", "... is busy")."""
    code = getattr(error, "sqlite_errorcode", None)
    if code is not None:
        return code & 0xFF in _BUSY_CODES
    text = str(error)
    return "locked" in text or "busy" in text
