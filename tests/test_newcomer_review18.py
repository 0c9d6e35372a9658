"""Newcomer review, round 18: what a first-timer meets following the README."""

from __future__ import annotations

import asyncio
import os
import stat
from pathlib import Path

from ocp_users_photo.undo import HistoryOwner, PhotoHistory


def test_an_empty_history_file_made_beforehand_becomes_owner_only(tmp_path: Path) -> None:
    """``touch photo-history.sqlite3`` (or an editor's empty save) before the first ``set``:
    the tool makes the history in that file, so it is made owner-only as a new one is; it
    was left readable by everyone (the umask's 644) while it came to hold people's photos."""
    path = tmp_path / "photo-history.sqlite3"
    path.touch()
    os.chmod(path, 0o644)

    async def made() -> None:
        history = PhotoHistory(path)
        await asyncio.to_thread(history.check_usable)
        assert await history.entries(HistoryOwner("T1", "U1")) == []
        await history.aclose()

    asyncio.run(made())
    assert path.stat().st_size > 0  # the history's tables are in it now
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_a_history_file_with_content_keeps_its_owner_s_mode(tmp_path: Path) -> None:
    """A history that exists is its owner's: its mode is left as it is."""
    path = tmp_path / "photo-history.sqlite3"

    async def made() -> None:
        history = PhotoHistory(path)
        await asyncio.to_thread(history.check_usable)
        await history.aclose()

    asyncio.run(made())
    os.chmod(path, 0o640)
    asyncio.run(made())
    assert stat.S_IMODE(path.stat().st_mode) == 0o640
