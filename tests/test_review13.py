"""Review of session 13: what its changes left, mended.

Each test was seen failing before its fix.
"""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from ocp_users_photo.undo import store
from ocp_users_photo.undo.database import open_history
from ocp_users_photo.undo.entries import HistoryOwner
from ocp_users_photo.undo.store import PhotoHistory

# A history copied over the closed one, in place, is checked --------------------------------


def test_a_history_copied_over_the_closed_one_in_place_is_checked_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Session 13 checks a file swapped in after ``check_usable``/``close`` by its device and
    inode alone. A backup put back with ``cp backup history.sqlite3`` (or written over the
    file by any program that truncates and writes) keeps the inode: the next opening took
    it for the file it had checked and skipped SQLite's quick check. What the closed
    connection left (its size and change time too) is compared now."""
    checks: list[bool] = []

    def recording(path: Path, busy_timeout: float, *, check: bool) -> Any:
        checks.append(check)
        return open_history(path, busy_timeout, check=check)

    monkeypatch.setattr(store, "open_history", recording)
    where = tmp_path / "history.sqlite3"
    owner = HistoryOwner("T0001", "U0001")
    backup = PhotoHistory(tmp_path / "backup.sqlite3")
    history = PhotoHistory(where)
    try:
        backup.check_usable()
        backup.close()
        with contextlib.closing(sqlite3.connect(tmp_path / "backup.sqlite3")) as database:
            database.execute("CREATE TABLE other_rows (x)")  # a page more than the history
        history.check_usable()
        assert asyncio.run(history.entries(owner)) == []
        assert checks == [True, True, False], "the same file, opened again: not checked again"
        asyncio.run(history.aclose())
        assert asyncio.run(history.entries(owner)) == []
        assert checks == [True, True, False, False], "nor after aclose"
        asyncio.run(history.aclose())
        inode = where.stat().st_ino
        where.write_bytes((tmp_path / "backup.sqlite3").read_bytes())  # cp's way: in place
        assert where.stat().st_ino == inode
        assert asyncio.run(history.entries(owner)) == []
        assert checks == [True, True, False, False, True], "a file copied over it is checked"
    finally:
        history.close()
        backup.close()
