"""usersRestorePhoto's listing, cut to its newest entries, says so whatever it advises."""

from __future__ import annotations

from pathlib import Path

from ocp_users_photo.emulator import RunningEmulator, user_id_for_token
from ocp_users_photo.undo import PhotoHistory
from ocp_users_photo.undo.entries import HistoryOwner, ShownPhoto
from ocp_users_photo.undo.restore_tool import MAX_LISTED
from tests.conftest import CANARY_TOKEN
from tests.undo_fixtures import history_tool, shown


async def test_a_listing_cut_to_its_newest_entries_says_so_when_none_undoes_a_change(
    emulator: RunningEmulator, tmp_path: Path
) -> None:
    # More entries than a model is shown, each of a change that never took effect (the
    # photo it kept is the one Slack shows: changes stopped before their upload landed):
    # the model must still be told that the list is cut, as it is when one undoes.
    shown_now = await shown(emulator, CANARY_TOKEN)
    owner = HistoryOwner("T0EMULATOR", user_id_for_token(CANARY_TOKEN))
    async with PhotoHistory(tmp_path / "history.sqlite3", max_entries=100) as history:
        for _ in range(MAX_LISTED + 5):
            await history.keep(
                owner, ShownPhoto(kind="default", avatar_hash=shown_now.avatar_hash), {}
            )
        async with history_tool(emulator, history) as tool:
            listing = await tool.restore_tool().run({})

    assert listing["ok"] is True
    assert len(listing["entries"]) == MAX_LISTED
    assert "None of them undoes a change" in listing["message"]
    assert f"Only the newest {MAX_LISTED} are listed." in listing["message"]
