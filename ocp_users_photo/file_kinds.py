"""What a path that is no regular file is, in words.

A history or an installation store given as a named pipe, a folder or a device is refused
by saying which: SQLite's own "disk I/O error" or "unable to open" sends a person to the
wrong fault, and opening a named pipe to read it waits for a writer that never comes.
"""

from __future__ import annotations

import stat


def non_file_kind(mode: int) -> str | None:
    """``mode`` (``os.stat``'s ``st_mode``) in words when it is no regular file; None for one."""
    if stat.S_ISREG(mode):
        return None
    if stat.S_ISFIFO(mode):
        return "a named pipe (FIFO)"
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "a special file"
