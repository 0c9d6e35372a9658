"""Undo review 10: the history file taken away under a running tool, and more.

Against the emulator over HTTP, with real SQLite files under tmp_path.
"""

from __future__ import annotations

from pathlib import Path

from ocp_users_photo.emulator import RunningEmulator
from tests.conftest import CANARY_TOKEN
from tests.undo_fixtures import GREEN, RED, history_tool, picture, shown

BLUE = picture((40, 60, 200))


def remove_history(history_file: Path) -> None:
    """What a person (or a clean-up script) does to the file: it and its -wal/-shm go."""
    for path in list(history_file.parent.iterdir()):
        if path.name.startswith(history_file.name):
            path.unlink()


def move_history(history_file: Path, to_stem: str) -> None:
    """The file and its -wal/-shm moved away together, as a damaged history's message says."""
    for path in list(history_file.parent.iterdir()):
        if path.name.startswith(history_file.name):
            path.rename(path.with_name(path.name.replace(history_file.stem, to_stem, 1)))


async def test_a_history_deleted_under_a_running_tool_keeps_the_next_photo_in_a_new_file(
    emulator: RunningEmulator, tmp_path: Path
) -> None:
    history_file = tmp_path / "history.sqlite3"
    async with history_tool(emulator, history_file) as server:  # a long-lived model door
        assert (await server.run({"image": RED}))["ok"]
        assert (await server.run({"image": GREEN}))["ok"]
        green = await shown(emulator, CANARY_TOKEN)
        remove_history(history_file)
        # A change whose replaced photo is kept: it must be kept where the path says, not
        # in the removed file, which is gone with every photo in it when the tool ends.
        assert (await server.run({"image": BLUE}))["ok"]
    assert history_file.exists()
    async with history_tool(emulator, history_file) as later:  # another process, later
        kept = await later.history()
        assert [entry.avatar_hash for entry in kept] == [green.avatar_hash]
        await later.undo()
    assert await shown(emulator, CANARY_TOKEN) == green


async def test_a_history_moved_away_under_a_running_tool_is_shared_again_at_its_path(
    emulator: RunningEmulator, tmp_path: Path
) -> None:
    history_file = tmp_path / "history.sqlite3"
    async with history_tool(emulator, history_file) as server:
        assert (await server.run({"image": RED}))["ok"]
        red = await shown(emulator, CANARY_TOKEN)
        # Moved away (as a damaged history's message advises): a new one is started.
        move_history(history_file, "moved")
        assert (await server.run({"image": GREEN}))["ok"]
        # The command line (another tool on the path) sees what the server kept since.
        async with history_tool(emulator, history_file) as command_line:
            kept = await command_line.history()
        assert [entry.avatar_hash for entry in kept] == [red.avatar_hash]
