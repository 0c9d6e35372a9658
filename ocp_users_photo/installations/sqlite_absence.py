"""Whether slack_sdk's SQLite store answered "no installation" because it could not read.

``SQLite3InstallationStore.find_installation`` catches every error (a database locked
past SQLite's wait, a damaged or unreadable file, a missing table), logs it and returns
None, as for a person who never installed the app. Told "install the app", every person
would install again while the fault is the database's. So a None from that store is
checked with a read of the same file: read-only (it creates nothing), bounded in time.
Where that read fails too, the error is the store's, not a missing installation; and
where it fails for want of the table while another program writes to the file, the
store could not make its tables for that write: the lock's error is raised instead.
Before any open, the path must be a file (``sqlite_file.py``: a named pipe would hold
the read-only open for ever).
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
from pathlib import Path
from typing import Final

from slack_sdk.oauth.installation_store.sqlite3 import SQLite3InstallationStore

from ocp_users_photo.installations.sqlite_file import refuse_non_file
from ocp_users_photo.sqlite_busy import is_busy

__all__ = ["confirm_absent"]

# A read of slack_sdk's table of installations (its SQLite store's create_tables).
_READ: Final = "SELECT 1 FROM slack_installations LIMIT 1"
# The store's own read already waited SQLite's 5 s on a lock; this read waits less.
PROBE_TIMEOUT_SECONDS: Final = 1.0


def confirm_absent(store: SQLite3InstallationStore) -> None:
    """Raise the ``sqlite3.Error`` that reading the store's file gives, if it gives one
    (``StoreNotAFile`` for a path that is no file); return where the file reads well (the
    person's installation is really absent)."""
    database = store.database
    if not database or database == ":memory:":
        return  # a database of the store's connection alone: nothing to read beside it
    refuse_non_file(database)
    # A file: URI, its path percent-encoded (a "?" or "#" in a folder's name), read-only.
    location = Path(os.path.abspath(database)).as_uri()
    connection = sqlite3.connect(f"{location}?mode=ro", uri=True, timeout=PROBE_TIMEOUT_SECONDS)
    with contextlib.closing(connection):
        try:
            connection.execute(_READ).fetchall()
        except sqlite3.OperationalError as error:
            if not is_busy(error):
                _raise_if_written(location)
            raise


def _raise_if_written(location: str) -> None:
    """Raise the busy error when another connection holds the file in a write: the
    store's read, which makes missing tables first, was refused by that write.

    Opened read-write (``mode=rw`` makes no file) for a write transaction ended at once:
    a read-only connection takes no write lock, so it cannot tell."""
    try:
        connection = sqlite3.connect(
            f"{location}?mode=rw", uri=True, timeout=PROBE_TIMEOUT_SECONDS, isolation_level=None
        )
    except sqlite3.Error:
        return  # a file it may not open to write: the read's error stands
    with contextlib.closing(connection):
        try:
            connection.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as error:
            if is_busy(error):
                raise
            return  # a file it may not write: the read's error stands
        connection.execute("ROLLBACK")
