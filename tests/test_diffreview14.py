"""Review of the 14th round's changes: defects found in what it added.

Each test fails on the code as the round left it.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from slack_sdk.oauth.installation_store.sqlite3 import SQLite3InstallationStore

from ocp_users_photo.installations.store_access import StoreAccess
from ocp_users_photo.tokens import ActingPerson


async def test_a_sqlite_store_given_a_path_object_still_reads(tmp_path: Path) -> None:
    """slack_sdk's SQLite store connects with whatever ``database`` it was given, and a
    pathlib.Path works there (sqlite3.connect takes one, as confirm_absent does): the
    owner-only creation before the first read called ``.startswith`` on it, so every read
    of such a store failed as InstallationStoreFailed, where it had found the person
    absent."""
    database = tmp_path / "installations.db"
    store = SQLite3InstallationStore(database=database, client_id="111.222")  # type: ignore[arg-type]
    previous = os.umask(0o022)
    try:
        found = await StoreAccess(store).find(ActingPerson("T0123456789", "UALICE0001"))
    finally:
        os.umask(previous)
    assert found is None
    assert stat.S_IMODE(database.stat().st_mode) & 0o077 == 0, oct(database.stat().st_mode)
