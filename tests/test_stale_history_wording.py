"""A history whose every entry records a change Slack does not show: said as what is seen.

Slack showing the photo an entry kept means the change after it has not taken effect,
not that it never will: a change Slack got and never answered may still land after the
hold the tool keeps for it (README, "Undo"). The listing said "did not happen", which
a late landing then contradicted; a cancellation review found it.
"""

from __future__ import annotations

import asyncio
import io
from pathlib import Path

import pytest

from ocp_users_photo import TransportError
from ocp_users_photo.cli import main
from ocp_users_photo.emulator import Fault, RunningEmulator
from tests.conftest import CANARY_TOKEN
from tests.undo_fixtures import RED, history_tool


async def _set_then_taken_back_elsewhere(emulator: RunningEmulator, history_file: Path) -> None:
    """A change Slack got and never answered (the connection dropped once the upload was
    read, nothing set): the default avatar is kept as #1 with the change's outcome unknown,
    and Slack still shows it once the hold has passed."""
    emulator.faults.inject(Fault.drop(), path="users.setPhoto")
    async with history_tool(emulator, history_file, keep_previous=True, max_retries=0) as tool:
        tool._keeper_in("required").settle_seconds = 0.2  # a short hold, for the test
        with pytest.raises(TransportError):
            await tool.call({"image": RED})
        await asyncio.sleep(0.3)


async def test_the_models_listing_says_the_changes_have_not_taken_effect(
    emulator: RunningEmulator, tmp_path: Path
) -> None:
    history_file = tmp_path / "h.sqlite3"
    await _set_then_taken_back_elsewhere(emulator, history_file)
    async with history_tool(emulator, history_file) as tool:
        listing = await tool.restore_tool().run({})
    assert listing["ok"] is True
    assert [entry["entry"] for entry in listing["entries"]] == [1]
    assert "have not taken effect (Slack shows the photo they kept)" in listing["message"]
    assert "did not happen" not in listing["message"]


def test_the_terminals_listing_says_the_changes_have_not_taken_effect(
    slack_emulator: RunningEmulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    history_file = tmp_path / "h.sqlite3"
    asyncio.run(_set_then_taken_back_elsewhere(slack_emulator, history_file))
    monkeypatch.setenv("SLACK_USER_TOKEN", CANARY_TOKEN)
    out = io.StringIO()
    monkeypatch.setattr("sys.stdout", out)
    code = main(["history", "--history", str(history_file), "--base-url", slack_emulator.base_url])
    assert code == 0
    said = out.getvalue()
    assert "none of them undoes a change" in said
    assert "have not taken effect, as Slack shows the photo they kept" in said
    assert "did not happen" not in said
