"""Session 12: a path's file read whole when opened; a history read never creates the file.

Each test was seen failing before its fix.
"""

from __future__ import annotations

import json
from pathlib import Path

from ocp_users_photo.emulator import RunningEmulator
from ocp_users_photo.undo.entries import HistoryOwner
from ocp_users_photo.undo.store import PhotoHistory
from tests.cli_fixtures import slack_emulator_config_fixture  # noqa: F401 (fixtures)
from tests.test_cli import cli
from tests.test_terminal_and_log_echoes import env_for

# A history read never creates the file ---------------------------------------------------


async def test_reading_a_history_that_does_not_exist_answers_empty_and_creates_nothing(
    tmp_path: Path,
) -> None:
    """A misspelt history path listed, undone or forgotten left an empty SQLite file there,
    which every later read then took for the history. Reads now answer as an empty
    history would, and only a change (which keeps a photo) makes the file."""
    where = tmp_path / "no-such-folder" / "typo.sqlite3"
    owner = HistoryOwner("T0001", "U0001")
    history = PhotoHistory(where)
    try:
        assert await history.entries(owner) == []
        assert await history.entry(owner, None) is None
        assert await history.entry(owner, 3) is None
        assert await history.newest_entry(owner) == 0
        assert await history.made_here(owner, "0123456789ab") is False
        assert await history.forget(owner) == 0
        assert await history.forget_workspace("T0001") == 0
        assert not where.exists()
        assert not where.parent.exists()
    finally:
        await history.aclose()


async def test_a_history_deleted_under_an_open_connection_is_not_made_again_by_a_read(
    tmp_path: Path,
) -> None:
    """The file removed while this process had it open (the person deleted it to start
    over): the next read sees no history, and does not write an empty one in its place."""
    where = tmp_path / "history.sqlite3"
    owner = HistoryOwner("T0001", "U0001")
    history = PhotoHistory(where)
    try:
        await history.forget(owner)  # opens it, while it is absent: nothing made
        assert not where.exists()
        where.touch()  # an empty file is a history SQLite opens (its schema made on opening)
        assert await history.entries(owner) == []
        assert where.exists()
        _remove_history_files(tmp_path)
        assert await history.entries(owner) == []
        assert not where.exists()
    finally:
        await history.aclose()


def _remove_history_files(folder: Path) -> None:
    for leftover in folder.glob("history.sqlite3*"):  # the file, its -wal and -shm
        leftover.unlink()


def test_history_listed_from_a_misspelt_path_leaves_no_file_there(
    slack_emulator: RunningEmulator, tmp_path: Path
) -> None:
    env = env_for(slack_emulator, tmp_path)
    typo = tmp_path / "histroy.sqlite3"
    listed = cli("history", "--json", "--history", str(typo), env=env)
    assert listed.returncode == 0, listed.stderr
    assert json.loads(listed.stdout)["entries"] == []
    assert not typo.exists()
