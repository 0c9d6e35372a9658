"""Undo's history as a hostile neighbour or a pasted path may make it (the review of
2026-12-06 19:20 UTC)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from ocp_users_photo.emulator import RunningEmulator
from ocp_users_photo.undo import HistoryUnavailable, NothingToUndo
from tests.conftest import CANARY_TOKEN
from tests.undo_fixtures import GREEN, RED, history_tool

# A token pasted as a folder's name, with a terminal's escape after it.
PASTED = "xoxp-1111111111-2222222222-3333333333-canary0c4a7e9f1b2d3c4e5f60718293a4b5c6"


async def test_nothing_to_undo_names_the_history_masked_and_printable(
    emulator: RunningEmulator, tmp_path: Path
) -> None:
    """ "Nothing kept" put the history's path in its text as given: a token pasted as a
    folder's name, and a terminal's escapes, reached the exception and the model's
    message (every other history error masks and bounds it)."""
    folder = tmp_path / f"{PASTED}\x1b[31mRED"
    folder.mkdir()
    async with history_tool(emulator, folder / "history.sqlite3", keep_previous=True) as tool:
        with pytest.raises(NothingToUndo) as raised:
            await tool.undo()
    error = raised.value
    for text in (str(error), error.model_message or "", error.terminal_message or ""):
        assert text, "a message left unset"
        assert "there is no kept photo of" in text
        assert "history.sqlite3" in text  # still named
        assert PASTED not in text
        assert CANARY_TOKEN not in text
        assert "\x1b" not in text


# A history another user could have written is listed, never written nor undone from -------

AS_ROOT = pytest.mark.skipif(os.geteuid() != 0, reason="needs root to give a file away")
STRANGER = 2001  # a user id with no account here: a local attacker's


def _give_away(folder: Path) -> None:
    for part in folder.glob("history.sqlite3*"):
        os.chown(part, STRANGER, STRANGER)


def _owners(folder: Path) -> set[int]:
    return {part.stat().st_uid for part in folder.glob("history.sqlite3*")}


def _sets(emulator: RunningEmulator) -> int:
    return len(emulator.requests.for_path("/api/users.setPhoto"))


async def _refusal(emulator: RunningEmulator, history: Path) -> HistoryUnavailable:
    """The refusal of a change kept in ``history``, with Slack's photo untouched."""
    before = _sets(emulator)
    async with history_tool(emulator, history, keep_previous=True) as tool:
        with pytest.raises(HistoryUnavailable) as refused:
            await tool.call({"image": RED})
        with pytest.raises(HistoryUnavailable):
            await tool.undo()
    assert _sets(emulator) == before, "the photo was changed on a history others may write"
    return refused.value


@AS_ROOT
async def test_an_empty_file_another_user_made_is_refused_not_taken_over(
    emulator: RunningEmulator, tmp_path: Path
) -> None:
    """Made ahead of time in a shared folder (sticky, as /tmp), the history file was used
    under its maker's ownership: chmod 600 on it failed quietly (as root it passed, and
    the owner could undo it), and that user read every kept photo and wrote the row undo
    put back."""
    shared = tmp_path / "shared"
    shared.mkdir()
    shared.chmod(0o1777)
    planted = shared / "history.sqlite3"
    planted.touch(mode=0o666)
    os.chown(planted, STRANGER, STRANGER)
    said = await _refusal(emulator, planted)
    assert f"belongs to another user (uid {STRANGER})" in str(said), said
    assert "give a path to a history of this user's own" in str(said)
    assert "--history PATH" in str(said)
    assert planted.stat().st_uid == STRANGER  # untouched
    assert planted.stat().st_size == 0
    assert "belongs to another user" in (said.model_message or "")
    assert "history.sqlite3" in (said.model_message or "")


@AS_ROOT
async def test_rows_another_user_wrote_are_listed_but_never_put_on_the_profile(
    emulator: RunningEmulator, tmp_path: Path
) -> None:
    """The attack whole: another user's history, with a photo of theirs recorded as the
    person's kept one (its digest right), passed every check undo makes."""
    history = tmp_path / "history.sqlite3"
    async with history_tool(emulator, history, keep_previous=True) as tool:
        assert (await tool.run({"image": RED}))["ok"] is True
        assert (await tool.run({"image": GREEN}))["ok"] is True
    _give_away(tmp_path)
    before = _sets(emulator)
    async with history_tool(emulator, history, keep_previous=True) as tool:
        kept = await tool.history()  # read through a connection that writes nothing
        assert len(kept) == 2, kept
        with pytest.raises(HistoryUnavailable, match="belongs to another user"):
            await tool.undo()
    assert _sets(emulator) == before
    assert _owners(tmp_path) == {STRANGER}  # listing made no file of this user's


@AS_ROOT
async def test_a_wal_file_another_user_left_beside_the_history_is_refused(
    emulator: RunningEmulator, tmp_path: Path
) -> None:
    """SQLite replays a -wal file it finds beside the history: one another user made there
    is rows of theirs."""
    history = tmp_path / "history.sqlite3"
    wal = tmp_path / "history.sqlite3-wal"
    wal.touch(mode=0o600)
    os.chown(wal, STRANGER, STRANGER)
    said = await _refusal(emulator, history)
    assert "its -wal file belongs to another user" in str(said), said


async def test_a_history_any_user_may_write_is_refused_with_the_chmod_to_run(
    emulator: RunningEmulator, tmp_path: Path
) -> None:
    history = tmp_path / "history.sqlite3"
    async with history_tool(emulator, history, keep_previous=True) as tool:
        assert (await tool.run({"image": RED}))["ok"] is True
    history.chmod(0o666)
    said = await _refusal(emulator, history)
    assert "may be written by any user (its file has mode 666)" in str(said), said
    assert f"chmod 600 {history}" in str(said)
    history.chmod(0o600)  # as told
    async with history_tool(emulator, history, keep_previous=True) as tool:
        assert (await tool.run({"image": GREEN}))["ok"] is True


async def test_a_history_in_a_folder_anyone_may_write_without_the_sticky_bit_is_refused(
    emulator: RunningEmulator, tmp_path: Path
) -> None:
    """There another user may rename the history away and put a file of theirs in its
    place; the sticky bit (as on /tmp) forbids it."""
    folder = tmp_path / "open"
    folder.mkdir()
    folder.chmod(0o777)
    said = await _refusal(emulator, folder / "history.sqlite3")
    assert "is in a folder any user may write to (mode 777, without the sticky bit)" in str(said)
    assert "chmod go-w, or chmod +t" in str(said)
    assert not (folder / "history.sqlite3").exists()  # nothing made there
    folder.chmod(0o1777)
    async with history_tool(emulator, folder / "history.sqlite3", keep_previous=True) as tool:
        assert (await tool.run({"image": RED}))["ok"] is True
