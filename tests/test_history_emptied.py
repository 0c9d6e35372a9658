"""A history file emptied in place (``truncate -s 0``, ``: > history.sqlite3``, same inode),
while a tool has it open or after it closed it: SQLite takes a zero-byte file for a new
database, so the next change made the history's tables again and answered ok, and every
photo kept before was gone without a word. Now the file the store knew to hold a history
and finds empty is refused as emptied, saying what to do; nothing is changed in Slack."""

from __future__ import annotations

import asyncio
import os
import threading
from pathlib import Path

import pytest

from ocp_users_photo.emulator import EmulatorConfig, RunningEmulator
from ocp_users_photo.undo import HistoryOwner, HistoryUnavailable, PhotoHistory
from tests.conftest import photo_requests
from tests.undo_fixtures import GREEN, RED, history_tool


@pytest.fixture
def emulator_config() -> EmulatorConfig:
    return EmulatorConfig(rate_limit_per_minute=None)


@pytest.mark.parametrize("closed_first", [False, True], ids=["open", "closed"])
async def test_a_history_emptied_in_place_is_refused_not_made_again(
    emulator: RunningEmulator, tmp_path: Path, closed_first: bool
) -> None:
    where = tmp_path / "history.sqlite3"
    history = PhotoHistory(where)
    async with history_tool(emulator, history, keep_previous=True) as tool:
        await tool.call({"image": RED})
        await tool.call({"image": GREEN})
        if closed_first:
            await history.aclose()  # the WAL goes into the file
        else:  # the kept rows in the file itself, as a long-lived tool's are after a while
            await history._run(lambda database: database.execute("PRAGMA wal_checkpoint"))
        assert where.stat().st_size > 0
        inode = where.stat().st_ino
        os.truncate(where, 0)
        assert where.stat().st_ino == inode
        sent = len(photo_requests(emulator))
        with pytest.raises(HistoryUnavailable) as refused:
            await tool.call({"image": RED})
        listing = await tool.restore_tool().run({})
    message = str(refused.value)
    assert "was emptied" in message
    assert "nothing was changed in Slack" in message
    assert "move the file away" in message
    assert len(photo_requests(emulator)) == sent, "no photo sent"
    assert listing["ok"] is False
    assert "was emptied" in listing["message"]
    assert where.stat().st_size == 0, "the emptied file is left as it was found"


def test_a_new_history_whose_pages_are_all_in_its_wal_is_not_taken_for_emptied(
    tmp_path: Path,
) -> None:
    """A new history in WAL mode keeps its main file at zero bytes until a checkpoint: a file
    the store never saw grow is no emptied one."""
    where = tmp_path / "history.sqlite3"
    history = PhotoHistory(where)
    owner = HistoryOwner("T0001", "U0001")
    try:
        for _ in range(3):
            assert asyncio.run(history.entries(owner)) == []
    finally:
        history.close()


def test_a_history_vacuumed_smaller_by_another_program_is_used_as_it_is(
    tmp_path: Path,
) -> None:
    """A file that shrank but still holds the history (``sqlite3 history.sqlite3 VACUUM``
    after removals) is checked again and used, not refused."""
    import sqlite3

    where = tmp_path / "history.sqlite3"
    history = PhotoHistory(where)
    owner = HistoryOwner("T0001", "U0001")
    try:
        assert asyncio.run(history.entries(owner)) == []
        asyncio.run(
            history._run(
                lambda database: (
                    database.execute("CREATE TABLE padding (x)"),
                    database.execute(
                        "INSERT INTO padding SELECT zeroblob(4000) FROM "
                        "(WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n "
                        "WHERE i < 200) SELECT i FROM n)"
                    ),
                    database.execute("PRAGMA wal_checkpoint"),
                )
            )
        )
        assert asyncio.run(history.entries(owner)) == []
        grown = where.stat().st_size
        with sqlite3.connect(where) as other:
            other.execute("DROP TABLE padding")
        other.close()
        with sqlite3.connect(where, isolation_level=None) as other:
            other.execute("VACUUM")
            other.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        other.close()
        assert where.stat().st_size < grown
        assert asyncio.run(history.entries(owner)) == []
    finally:
        history.close()


@pytest.mark.parametrize("ending", ["given_back", "settled"])
def test_a_turn_ended_after_the_history_was_emptied_makes_no_new_history_in_it(
    tmp_path: Path, ending: str
) -> None:
    """A change's turn ends after the file was emptied under it (during the upload): giving
    its lease back is refused, and the lease is given back later (or set to run out) on a
    connection of its own. That connection made a new history in the emptied file, and
    from then on every change was kept there and answered ok: the loss was never told."""
    where = tmp_path / "history.sqlite3"
    history = PhotoHistory(where, lease_seconds=2.0)
    owner = HistoryOwner("T0001", "U0001")

    async def change() -> None:
        turn = await history.turn(owner)
        # The kept rows in the file itself, as a long-lived tool's are after a while.
        await history._run(lambda database: database.execute("PRAGMA wal_checkpoint"))
        assert where.stat().st_size > 0
        os.truncate(where, 0)
        with pytest.raises(HistoryUnavailable, match="was emptied"):
            # How the change ended is not recorded (KeptChange.end's finish is refused).
            await history.entries(owner)
        if ending == "given_back":
            await turn.end()
        else:
            turn.end_after(1.0, wait=True)

    try:
        asyncio.run(change())
        for thread in threading.enumerate():
            if thread.name == "ocp-users-photo lease":
                thread.join(timeout=10)
        assert where.stat().st_size == 0, "the emptied file is left as it was found"
        with pytest.raises(HistoryUnavailable, match="was emptied"):
            asyncio.run(history.entries(owner))
    finally:
        history.close()


def test_a_history_whose_first_page_was_zeroed_is_damaged_not_another_kind_of_file(
    tmp_path: Path,
) -> None:
    """A history emptied in place while a connection held pages in its -wal file comes back
    partly, its first page zeros: it is a damaged history (with the way to recover its
    photos), not "a file of another kind" given for the history."""
    where = tmp_path / "history.sqlite3"
    history = PhotoHistory(where)
    try:
        history.check_usable()
    finally:
        history.close()
    whole = where.read_bytes()
    where.write_bytes(bytes(4096) + whole[4096:] + bytes(8192))
    with pytest.raises(HistoryUnavailable) as refused:
        PhotoHistory(where).check_usable()
    assert "is damaged" in str(refused.value)
    assert "another kind" not in str(refused.value)
    assert "move the file away" in str(refused.value)


@pytest.mark.parametrize("spelling", ["same", "symlink", "relative", "dotted"])
def test_a_history_emptied_is_refused_by_every_photo_history_whatever_its_path_spelling(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, spelling: str
) -> None:
    """Two PhotoHistory objects on one file (two tools each given the path, or each on the
    default one), reached by the same path or another spelling of it (a link to it, a
    path relative to the working folder, one with ``..`` in it): the file emptied after
    one saw it hold a history, the other, which had not used it yet, made a new history
    in it, and from then on both used that one: the loss was never told, by either."""
    folder = tmp_path / "data"
    folder.mkdir()
    where = folder / "history.sqlite3"
    monkeypatch.chdir(tmp_path)
    if spelling == "symlink":
        other: Path = tmp_path / "link.sqlite3"
        other.symlink_to(where)
    elif spelling == "relative":
        other = Path("data") / "history.sqlite3"
    elif spelling == "dotted":
        other = folder / ".." / "data" / "history.sqlite3"
    else:
        other = where
    owner = HistoryOwner("T0001", "U0001")
    first, second = PhotoHistory(where), PhotoHistory(other)
    try:
        first.check_usable()
        assert where.stat().st_size > 0
        os.truncate(where, 0)
        with pytest.raises(HistoryUnavailable, match="was emptied"):
            asyncio.run(second.entries(owner))
        with pytest.raises(HistoryUnavailable, match="was emptied"):
            asyncio.run(first.entries(owner))
        assert where.stat().st_size == 0, "the emptied file is left as it was found"
    finally:
        first.close()
        second.close()


def test_a_relative_history_in_a_removed_working_folder_says_what_a_change_would(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Once a history was seen, resolving another's relative path asked for the working
    folder, and a removed one raised a bare FileNotFoundError out of the store. A listing
    there then read as a history not made yet; it now says what a change there would (no
    change can make it), as HistoryUnavailable with what to do, never a bare error."""
    seen = PhotoHistory(tmp_path / "seen.sqlite3")
    try:
        seen.check_usable()
    finally:
        seen.close()
    gone = tmp_path / "gone"
    gone.mkdir()
    monkeypatch.chdir(gone)
    gone.rmdir()
    relative = PhotoHistory("history.sqlite3")
    try:
        with pytest.raises(HistoryUnavailable, match="working directory that no longer exists"):
            asyncio.run(relative.entries(HistoryOwner("T0001", "U0001")))
    finally:
        relative.close()
