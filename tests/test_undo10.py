"""Undo review 10: the history file taken away under a running tool, and more.

Against the emulator over HTTP, with real SQLite files under tmp_path.
"""

from __future__ import annotations

import io
import os
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from ocp_users_photo.emulator import Fault, RunningEmulator
from ocp_users_photo.undo import HistoryOwner, KeepingImpossible, PhotoHistory
from tests.conftest import CANARY_TOKEN
from tests.undo_fixtures import GREEN, RED, history_tool, picture, shown

BLUE = picture((40, 60, 200))


def remove_history(history_file: Path) -> None:
    """What a person (or a clean-up script) does to the file: it and its -wal/-shm go."""
    for path in list(history_file.parent.iterdir()):
        if path.name.startswith(history_file.name):
            path.unlink()


def history_checks_recorded(monkeypatch: pytest.MonkeyPatch) -> list[bool]:
    """Whether each opening of a history file ran SQLite's quick check, in order."""
    from ocp_users_photo.undo import store
    from ocp_users_photo.undo.database import open_history

    checks: list[bool] = []

    def recording(path: Path, busy_timeout: float, *, check: bool) -> Any:
        checks.append(check)
        return open_history(path, busy_timeout, check=check)

    monkeypatch.setattr(store, "open_history", recording)
    return checks


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


async def test_a_history_replaced_under_a_running_tool_is_checked_as_a_new_process_checks_it(
    emulator: RunningEmulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The file found at the path after the one opened went away is another file: a new
    process runs SQLite's quick check on its first opening, and so does the running tool
    (a copy put back from a backup, a file another program wrote, may be damaged)."""
    checks = history_checks_recorded(monkeypatch)
    history_file = tmp_path / "history.sqlite3"
    async with history_tool(emulator, history_file) as server:
        assert (await server.run({"image": RED}))["ok"]
        assert (await server.run({"image": GREEN}))["ok"]
        assert checks == [True], "one opening, checked, while the file stays"
        move_history(history_file, "moved")
        assert (await server.run({"image": BLUE}))["ok"]
    assert checks == [True, True]


# An original Slack would not take back ------------------------------------------------


def png(size: tuple[int, int], color: tuple[int, int, int] = (200, 10, 10)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, color).save(buffer, format="PNG")
    return buffer.getvalue()


def path_of(url: str) -> str:
    return "/" + url.split("/", 3)[3]


async def photo_whose_original_is(emulator: RunningEmulator, data: bytes) -> dict[str, Any]:
    """Give the person a photo outside the tool, then have Slack serve ``data`` as its
    original (a photo set long ago, or in Slack's own client): its profile."""
    async with history_tool(emulator, Path(os.devnull), keep_previous=False) as plain:
        profile: dict[str, Any] = (await plain.call({"image": RED}))["profile"]
    served = Fault.status(200, body=data, headers={"content-type": "image/png"})
    emulator.faults.inject(served, path=path_of(profile["image_original"]), times=10)
    return profile


def serve_small_squares(emulator: RunningEmulator, profile: dict[str, Any]) -> None:
    """Slack's 1024 and 512 squares of the photo served as 300x300 PNGs: no square Slack
    would take back (for the next ten fetches of each)."""
    for key in ("image_1024", "image_512"):
        emulator.faults.inject(
            Fault.status(200, body=png((300, 300)), headers={"content-type": "image/png"}),
            path=path_of(profile[key]),
            times=10,
        )


async def test_an_original_under_slacks_least_side_is_kept_as_a_square_that_can_be_put_back(
    emulator: RunningEmulator, tmp_path: Path
) -> None:
    await photo_whose_original_is(emulator, png((300, 300)))
    before = await shown(emulator, CANARY_TOKEN)
    async with history_tool(emulator, tmp_path / "history.sqlite3") as tool:
        assert (await tool.run({"image": GREEN}))["ok"]
        (kept,) = await tool.history()
        restored = await tool.restore_tool().run({"entry": kept.entry})
        assert restored["ok"], restored["message"]
    # The largest square Slack showed of it is what was kept, and what is shown again.
    assert (await shown(emulator, CANARY_TOKEN)).original == before.renditions[1024]


async def test_an_original_under_slacks_least_side_with_no_square_refuses_the_change(
    emulator: RunningEmulator, tmp_path: Path
) -> None:
    profile = await photo_whose_original_is(emulator, png((300, 300)))
    serve_small_squares(emulator, profile)  # no larger square of it either
    sets = len(emulator.requests.for_path("/api/users.setPhoto"))
    async with history_tool(emulator, tmp_path / "history.sqlite3") as tool:
        result = await tool.run({"image": GREEN})
        assert await tool.history() == []
    assert result["error"] == "previous_photo_not_kept"
    assert "300x300" in result["message"]
    assert len(emulator.requests.for_path("/api/users.setPhoto")) == sets  # nothing sent


async def test_a_tool_that_refuses_large_images_still_puts_back_a_large_photo_it_kept(
    emulator: RunningEmulator, tmp_path: Path
) -> None:
    # A square photo of 2048 pixels, set in Slack's own client: Slack keeps it uncut.
    large = png((2048, 2048), (10, 120, 200))
    profile = await photo_whose_original_is(emulator, large)
    # Slack's squares of it, as it shows them: uncut, so the original is kept as it came.
    for key, side in (("image_1024", 1024), ("image_512", 512), ("image_192", 192)):
        square = Fault.status(
            200, body=png((side, side), (10, 120, 200)), headers={"content-type": "image/png"}
        )
        emulator.faults.inject(square, path=path_of(profile[key]), times=10)
    async with history_tool(emulator, tmp_path / "history.sqlite3", fit="reject") as tool:
        assert (await tool.run({"image": GREEN}))["ok"]
        (kept,) = await tool.history()
        assert kept.byte_count == len(large)
        # fit="reject" is about images a caller gives; what Slack showed goes back, scaled
        # to Slack's 1024 pixels as the tool scales any image.
        restored = await tool.restore_tool().run({"entry": kept.entry})
        assert restored["ok"], restored["message"]
    shown_again = await shown(emulator, CANARY_TOKEN)
    assert shown_again.original is not None
    assert Image.open(io.BytesIO(shown_again.original)).size == (1024, 1024)


# Whose history: the workspace too ---------------------------------------------------


async def test_a_fixed_token_under_acting_as_the_same_user_id_of_another_workspace_is_refused(
    emulator: RunningEmulator, tmp_path: Path
) -> None:
    history = PhotoHistory(tmp_path / "history.sqlite3")
    async with history_tool(emulator, history, keep_previous=True) as tool, history:
        identity = await tool.whoami()
        assert identity.team_id == "T0EMULATOR"
        sets = len(emulator.requests.for_path("/api/users.setPhoto"))
        elsewhere = tool.acting_as(team_id="T0ELSEWHERE", user_id=identity.user_id)
        with pytest.raises(KeepingImpossible, match="not the own token of"):
            await elsewhere.call({"image": RED})
        assert await history.entries(HistoryOwner("T0ELSEWHERE", identity.user_id)) == []
        assert len(emulator.requests.for_path("/api/users.setPhoto")) == sets  # nothing sent
        # In its own workspace the same binding keeps and changes as before.
        await tool.acting_as(team_id="T0EMULATOR", user_id=identity.user_id).call({"image": RED})
        assert len(await history.entries(HistoryOwner("T0EMULATOR", identity.user_id))) == 1


async def test_a_listing_under_acting_as_another_person_is_not_said_to_keep_a_photo(
    emulator: RunningEmulator, tmp_path: Path
) -> None:
    """A listing with a token not the bound person's own said "the photo was not changed,
    because the one shown now could not be kept for undo": no change was asked, none kept."""
    history = PhotoHistory(tmp_path / "history.sqlite3")
    async with history_tool(emulator, history, keep_previous=True) as tool, history:
        identity = await tool.whoami()
        elsewhere = tool.acting_as(team_id="T0ELSEWHERE", user_id=identity.user_id)
        with pytest.raises(KeepingImpossible) as refused:
            await elsewhere.history()
        said = str(refused.value)
        assert said.startswith("the kept photos were not listed: the token this call uses "), said
        assert "could not be kept" not in said
        assert refused.value.model_message is not None
        assert refused.value.model_message.startswith("the kept photos were not listed: ")
