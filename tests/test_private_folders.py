"""Folders made for a history or an installation database are their owner's alone, even
under ``umask 000``: the folders above the file too, not only its own (anyone who may
write to a folder above may swap the one below for theirs)."""

from __future__ import annotations

import asyncio
import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from ocp_users_photo.examples.bolt_photo_app import _create_private
from ocp_users_photo.undo import HistoryOwner, PhotoHistory


@pytest.fixture
def no_umask() -> Iterator[None]:
    before = os.umask(0)
    try:
        yield
    finally:
        os.umask(before)


def modes_below(root: Path, file: Path) -> dict[str, int]:
    """The permission bits of each folder from ``root`` (excluded) down to ``file``'s."""
    found = {}
    folder = file.parent
    while folder != root:
        found[folder.name] = stat.S_IMODE(folder.stat().st_mode)
        folder = folder.parent
    return found


@pytest.mark.usefixtures("no_umask")
def test_a_new_history_s_folders_are_owner_only(tmp_path: Path) -> None:
    path = tmp_path / "home" / ".local" / "share" / "ocp-users-photo" / "history.sqlite3"

    async def made_and_listed() -> None:
        # Made as a change with keeping on makes it (a read alone makes no file).
        history = PhotoHistory(path)
        await asyncio.to_thread(history.check_usable)
        assert await history.entries(HistoryOwner("T1", "U1")) == []
        await history.aclose()

    asyncio.run(made_and_listed())
    assert modes_below(tmp_path, path) == {
        "home": 0o700,
        ".local": 0o700,
        "share": 0o700,
        "ocp-users-photo": 0o700,
    }
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


@pytest.mark.usefixtures("no_umask")
def test_a_new_installation_database_s_folders_are_owner_only(tmp_path: Path) -> None:
    path = tmp_path / "app" / "data" / "installations.sqlite3"
    _create_private(str(path))
    assert modes_below(tmp_path, path) == {"app": 0o700, "data": 0o700}
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_folders_that_exist_are_left_as_they_are(tmp_path: Path) -> None:
    shared = tmp_path / "shared"
    shared.mkdir(mode=0o755)
    os.chmod(shared, 0o755)
    path = shared / "mine" / "history.sqlite3"
    _create_private(str(path))
    assert stat.S_IMODE(shared.stat().st_mode) == 0o755
    assert stat.S_IMODE((shared / "mine").stat().st_mode) == 0o700
