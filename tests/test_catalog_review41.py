"""What a catalog reads of the undo tool holds for what it does (the audit of 2026-12-06
20:35 UTC): its manifest entry names users.setPhoto as its endpoint, and putting Slack's
default avatar back calls users.deletePhoto, which a policy that allows tools by the
methods they call must be told."""

from __future__ import annotations

from pathlib import Path

from ocp_users_photo.emulator import RunningEmulator
from tests.undo_fixtures import RED, history_tool


async def test_the_undo_tools_description_names_the_methods_a_restore_calls(
    emulator: RunningEmulator, tmp_path: Path
) -> None:
    async with history_tool(emulator, tmp_path / "history.sqlite3") as tool:
        restore = tool.restore_tool()
        assert "users.setPhoto" in restore.description
        assert "users.deletePhoto" in restore.description
        assert (await tool.run({"image": RED}))["ok"] is True  # the default avatar kept
        (kept,) = await tool.history()
        assert kept.kind == "default"
        before = len(emulator.requests.for_path("/api/users.deletePhoto"))
        assert (await restore.run({"entry": kept.entry}))["ok"] is True
    assert len(emulator.requests.for_path("/api/users.deletePhoto")) == before + 1
