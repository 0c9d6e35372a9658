"""An SQLite store's path must name a file (or nothing yet, to be made): checked before
any open of it.

A named pipe there is no database, and opening one for reading waits for a writer that
never comes: the read-only check of sqlite_absence.py would hold its thread for ever (the
call ends at its deadline, the process then cannot exit). A folder or a device gives
SQLite's "unable to open" or "disk I/O error", which send the host to the wrong fault.
``os.stat`` opens nothing, so it never waits on a pipe.
"""

from __future__ import annotations

import os

from ocp_users_photo.file_kinds import non_file_kind
from ocp_users_photo.safe_text import shown_path

__all__ = ["StoreNotAFile", "refuse_non_file"]


class StoreNotAFile(OSError):
    """The store's database path names a named pipe, a folder, a device or a socket."""

    def __init__(self, database: str, kind: str) -> None:
        self.database = database
        self.kind = kind
        super().__init__(f"{shown_path(database)} is {kind}, not a file")


def refuse_non_file(database: str | os.PathLike[str]) -> None:
    """Raise ``StoreNotAFile`` when ``database`` exists and is not a regular file (a
    symbolic link is judged by what it points to). A path not there yet, a URI and an
    in-memory database pass: the store's own open makes or names them."""
    database = os.fspath(database)
    if not database or database == ":memory:" or database.startswith("file:"):
        return
    try:
        mode = os.stat(database).st_mode
    except OSError:
        return  # missing (made by the store), or unreachable: the open says which
    kind = non_file_kind(mode)
    if kind is not None:
        raise StoreNotAFile(database, kind)
