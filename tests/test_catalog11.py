"""A catalog indexing the tools, and a model reading what it publishes.

Each test holds a published claim (a description, a schema, a catalog entry) against what
the code does, or against the target's own rules.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from ocp_users_photo.emulator import EmulatorConfig, Fault, RunningEmulator
from ocp_users_photo.exports import FORMATS, export_tools
from tests.conftest import shown_avatar_hash
from tests.undo_fixtures import GREEN, RED, briefly_held_history, history_tool


@pytest.fixture
def emulator_config() -> EmulatorConfig:
    return EmulatorConfig(rate_limit_per_minute=None)


def _described(exported: dict[str, object]) -> str:
    """The description a model reads, whatever the format's shape."""
    function = exported.get("function")
    holder = function if isinstance(function, dict) else exported
    description = holder["description"]
    assert isinstance(description, str)
    return description


async def test_the_restore_description_does_not_send_an_undo_to_the_newest_entry_in_doubt(
    emulator: RunningEmulator, tmp_path: Path
) -> None:
    """After a change whose answer was lost and which Slack did not make, the newest kept
    entry holds the photo shown now: putting it back changes nothing, and the listing
    names another entry for the undo. usersRestorePhoto's description, which a model reads
    on every turn in every catalog, must not tell it to restore the newest entry to undo
    the last change."""
    async with (
        briefly_held_history(tmp_path / "h.sqlite3") as history,
        history_tool(emulator, history, max_retries=0) as tool,
    ):
        assert (await tool.run({"image": RED})).get("ok") is True
        red = shown_avatar_hash(emulator)
        emulator.faults.inject(Fault.drop())
        assert (await tool.run({"image": GREEN})).get("ok") is False
        restore = tool.restore_tool()
        listing = await restore.run({})
        newest = listing["entries"][0]["entry"]
        assert f"with entry {newest};" not in listing["message"], listing["message"]
        # The newest entry, put back, leaves the photo as it was: no undo.
        assert (await restore.run({"entry": newest})).get("ok") is True
        assert shown_avatar_hash(emulator) == red
        descriptions = [restore.description] + [_described(export_tools(fmt)[1]) for fmt in FORMATS]
    for description in descriptions:
        assert "restore the newest entry" not in description, description
        assert "the list names" in description, description
