"""What a path that is no regular file is, in words.

A history or an installation store given as a named pipe, a folder or a device is refused
by saying which: SQLite's own "disk I/O error" or "unable to open" sends a person to the
wrong fault, and opening a named pipe to read it waits for a writer that never comes.
A path through a loop of links is said to be one, not "No such file or directory".
"""

from __future__ import annotations

import errno
import os
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


def loops(path: str | os.PathLike[str]) -> bool:
    """Whether following ``path``'s links never ends (ELOOP), where opening it failed."""
    try:
        os.stat(path)
    except OSError as error:
        return error.errno == errno.ELOOP
    return False
