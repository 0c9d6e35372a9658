"""An undo asked while another change of the person's photo is under way.

The undo chose the newest entry before it had the person's turn: the pending entry of
that change. If Slack refused the change (its entry removed), the undo said another
change had overtaken it and put nothing back, though none was made; if Slack made it,
the undo put back the right photo but named the entry "pending". It now chooses once the
change under way has ended, and chooses again when its choice was removed meanwhile.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from ocp_users_photo.emulator import EmulatorConfig, Fault, RunningEmulator
from ocp_users_photo.errors import UsersPhotoError
from ocp_users_photo.observers import CallInfo, CallObserver, ChangeInfo
from ocp_users_photo.undo import NothingToUndo, PhotoHistory, UndoOvertaken
from ocp_users_photo.undo.entries import HistoryOwner
from ocp_users_photo.undo.restore import restore_kept
from tests.conftest import shown_avatar_hash
from tests.undo_fixtures import GREEN, RED, history_tool, picture

BLUE = picture((30, 60, 200))


@pytest.fixture
def emulator_config() -> EmulatorConfig:
    return EmulatorConfig(rate_limit_per_minute=None)


class _Sending(CallObserver):
    """Set as the change goes to Slack (its entry written): an event, not a sleep."""

    def __init__(self) -> None:
        self.event = asyncio.Event()

    def change_sending(self, call: CallInfo) -> None:
        self.event.set()


class _Chosen(CallObserver):
    """Set once the undo has chosen its entry (before the keeper, told last, waits for the
    person's turn)."""

    def __init__(self) -> None:
        self.event = asyncio.Event()

    async def before_change(self, call: CallInfo, change: ChangeInfo) -> None:
        self.event.set()


async def test_an_undo_during_a_change_slack_refuses_puts_back_the_newest_change(
    emulator: RunningEmulator, tmp_path: Path
) -> None:
    async with history_tool(emulator, tmp_path / "h.sqlite3", keep_previous=True) as tool:
        await tool.call({"image": RED})
        red = shown_avatar_hash(emulator)
        await tool.call({"image": GREEN})  # #2 keeps RED
        emulator.faults.inject(Fault.slack_error("invalid_image").dripped(8, 0.1))
        sending = _Sending()
        change = asyncio.create_task(tool.call_with_summary({"image": BLUE}, observers=(sending,)))
        await sending.event.wait()  # #3, pending, is the newest entry now
        restored = await restore_kept(tool, None)
        with pytest.raises(UsersPhotoError):
            await change
        assert restored.restored.entry == 2, restored.restored.describe()
        assert shown_avatar_hash(emulator) == red


async def test_an_undo_during_a_change_slack_makes_names_it_as_changed(
    emulator: RunningEmulator, tmp_path: Path
) -> None:
    async with history_tool(emulator, tmp_path / "h.sqlite3", keep_previous=True) as tool:
        await tool.call({"image": RED})
        await tool.call({"image": GREEN})
        green = shown_avatar_hash(emulator)
        emulator.faults.inject(Fault.delay(1.0))
        sending = _Sending()
        change = asyncio.create_task(tool.call_with_summary({"image": BLUE}, observers=(sending,)))
        await sending.event.wait()
        restored = await restore_kept(tool, None)
        await change
        assert restored.restored.entry == 3, restored.restored.describe()
        assert restored.restored.status == "changed", restored.restored.describe()
        assert shown_avatar_hash(emulator) == green


async def test_an_undo_whose_entry_was_removed_while_it_waited_chooses_again(
    emulator: RunningEmulator, tmp_path: Path
) -> None:
    """Another holder keeps the person's turn while the undo (having chosen #2) waits for
    it; meanwhile the workspace's photos are forgotten. No change was made: the undo says
    there is nothing to put back, not that another change overtook it."""
    path = tmp_path / "h.sqlite3"
    other = PhotoHistory(path)
    async with history_tool(emulator, path, keep_previous=True) as tool:
        await tool.call({"image": RED})
        await tool.call({"image": GREEN})
        who = await tool.whoami()
        workspace = who.enterprise_id or who.team_id
        turn = await other.turn(HistoryOwner(workspace, who.user_id))
        try:
            chosen = _Chosen()
            undo = asyncio.create_task(restore_kept(tool, None, observers=(chosen,)))
            await chosen.event.wait()
            assert await other.forget_workspace(workspace) == 2
        finally:
            await turn.end()
            await other.aclose()
        with pytest.raises(NothingToUndo) as refused:
            await undo
        assert not isinstance(refused.value, UndoOvertaken), str(refused.value)
        assert "there is no kept photo" in str(refused.value)
