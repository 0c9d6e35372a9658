"""Whether slack_sdk's SQLite store answered "no installation" because it could not read.

``SQLite3InstallationStore.find_installation`` catches every error (a database locked
past SQLite's wait, a damaged or unreadable file, a missing table), logs it and returns
None, as for a person who never installed the app. Told "install the app", every person
would install again while the fault is the database's; after a refresh, the refreshed
installation was taken for one deleted meanwhile and dropped, the refresh token Slack
had just spent left in the store. So a None from that store is checked with a read of
the person's own rows in the same file: read-only (it creates nothing), bounded in
time. Rows found there mean the store's read failed (a lock held past its wait, gone
by the time of the check): ``InstallationUnread``. Where that read fails too, the error
is the store's, not a missing installation; and where it fails for want of the table
while another program writes to the file, the store could not make its tables for that
write: the lock's error is raised instead.
Its ``find_bot`` does the same: a None from it, where the refreshed installation holds a
bot, is checked by ``confirm_no_bot`` (a save would otherwise bury a bot rotated since).
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

__all__ = ["BotUnread", "InstallationUnread", "confirm_absent", "confirm_no_bot"]

# Whether the store's table of installations holds one for the person (its
# find_installation's own terms).
_READ: Final = (
    "SELECT 1 FROM slack_installations WHERE client_id = ? AND enterprise_id = ? "
    "AND team_id = ? AND user_id = ? LIMIT 1"
)
# Whether the store's table of bots holds one for a workspace (its find_bot's own terms).
_READ_BOTS: Final = (
    "SELECT 1 FROM slack_bots WHERE client_id = ? AND enterprise_id = ? AND team_id = ? LIMIT 1"
)
# The store's own read already waited SQLite's 5 s on a lock; this read waits less.
PROBE_TIMEOUT_SECONDS: Final = 1.0


class InstallationUnread(sqlite3.OperationalError):
    """slack_sdk's SQLite store answered "no installation" for a person whose installation
    its file holds: its read failed (a lock past its wait), and it said nothing of it."""


def confirm_absent(
    store: SQLite3InstallationStore,
    *,
    enterprise_id: str | None,
    team_id: str | None,
    user_id: str,
    is_enterprise_install: bool | None,
) -> None:
    """Return where the store's file holds no installation for the person, as its
    ``find_installation`` that answered None said; raise ``InstallationUnread`` where it
    holds one, or the ``sqlite3.Error`` that reading the file gives (``StoreNotAFile`` for
    a path that is no file)."""
    location = _file_location(store)
    if location is None:
        return  # a database of the store's connection alone: nothing to read beside it
    connection = sqlite3.connect(f"{location}?mode=ro", uri=True, timeout=PROBE_TIMEOUT_SECONDS)
    workspace = "" if is_enterprise_install or team_id is None else team_id
    with contextlib.closing(connection):
        try:
            found = connection.execute(
                _READ, [store.client_id, enterprise_id or "", workspace, user_id]
            ).fetchall()
        except sqlite3.OperationalError as error:
            if not is_busy(error):
                _raise_if_written(location)
            raise
    if found:
        raise InstallationUnread("the store's read of the person's installation failed")


class BotUnread(sqlite3.OperationalError):
    """slack_sdk's SQLite store answered "no bot" for a workspace whose bot its file holds:
    its read failed (a lock past its wait), and it said nothing of it."""


def confirm_no_bot(
    store: SQLite3InstallationStore,
    *,
    enterprise_id: str | None,
    team_id: str | None,
    is_enterprise_install: bool | None,
) -> None:
    """Return where the store's file holds no bot for the workspace, as its ``find_bot``
    that answered None said; raise ``BotUnread`` where it holds one (that None was a read
    the store could not make), or the ``sqlite3.Error`` reading the file gives. A file
    read read-only and bounded in time, as ``confirm_absent``'s."""
    location = _file_location(store)
    if location is None:
        return
    connection = sqlite3.connect(f"{location}?mode=ro", uri=True, timeout=PROBE_TIMEOUT_SECONDS)
    workspace = "" if is_enterprise_install or team_id is None else team_id
    with contextlib.closing(connection):
        found = connection.execute(
            _READ_BOTS, [store.client_id, enterprise_id or "", workspace]
        ).fetchall()
    if found:
        raise BotUnread("the store's read of the workspace's bot failed")


def _file_location(store: SQLite3InstallationStore) -> str | None:
    """The store's file as a file: URI (its path percent-encoded: a "?" or "#" in a
    folder's name), once it is known to be a file; None for a database of the store's
    connection alone (":memory:"), which has nothing to read beside it."""
    database = store.database
    if not database or database == ":memory:":
        return None
    refuse_non_file(database)  # before any open: a named pipe would hold it for ever
    return Path(os.path.abspath(database)).as_uri()


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
