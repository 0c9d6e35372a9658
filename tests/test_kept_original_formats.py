"""An original Slack would not take back whole is kept as the square Slack shows of it.

Keeping the photo a change replaces downloads Slack's image_original. One in a format this
tool cannot send back (a WebP, say, kept by whatever set it) refused the change at once
("previous_photo_not_kept"), while Slack's own 1024 square of it, a JPEG or PNG, was there to
keep: people see that square, and an undo can send it back.
"""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from PIL import Image

from ocp_users_photo.emulator import Fault, RunningEmulator
from tests.conftest import CANARY_TOKEN
from tests.test_undo10 import path_of, photo_whose_original_is, serve_small_squares
from tests.undo_fixtures import GREEN, history_tool, picture, shown


def webp(size: tuple[int, int]) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, (20, 90, 200)).save(buffer, format="WEBP")
    return buffer.getvalue()


def cut_short(size: tuple[int, int]) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, (20, 90, 200)).save(buffer, format="PNG")
    whole = buffer.getvalue()
    return whole[: len(whole) // 2]


ORIGINALS = {"a WebP": webp, "a PNG cut short": cut_short}


@pytest.mark.parametrize("original", list(ORIGINALS))
async def test_an_original_slack_would_not_take_back_is_kept_as_slacks_square_of_it(
    emulator: RunningEmulator, tmp_path: Path, original: str
) -> None:
    await photo_whose_original_is(emulator, ORIGINALS[original]((800, 800)))
    before = await shown(emulator, CANARY_TOKEN)
    async with history_tool(emulator, tmp_path / "history.sqlite3") as tool:
        result = await tool.run({"image": GREEN})
        assert result["ok"], result
        (kept,) = await tool.history()
        restored = await tool.restore_tool().run({"entry": kept.entry})
        assert restored["ok"], restored["message"]
    assert (await shown(emulator, CANARY_TOKEN)).original == before.renditions[1024]


async def test_an_original_in_another_format_with_no_square_still_refuses_the_change(
    emulator: RunningEmulator, tmp_path: Path
) -> None:
    profile = await photo_whose_original_is(emulator, webp((800, 800)))
    serve_small_squares(emulator, profile)
    sets = len(emulator.requests.for_path("/api/users.setPhoto"))
    async with history_tool(emulator, tmp_path / "history.sqlite3") as tool:
        result = await tool.run({"image": GREEN})
        assert await tool.history() == []
    assert result["error"] == "previous_photo_not_kept", result
    assert len(emulator.requests.for_path("/api/users.setPhoto")) == sets  # nothing sent


async def test_a_photo_made_here_whose_original_is_damaged_is_not_kept_as_a_square(
    emulator: RunningEmulator, tmp_path: Path
) -> None:
    """A photo a change made here is put back as its original cut by the change's own crop
    box (the history knows it by the avatar hash). Its square kept instead would be cut
    again by that box on the way back: a wrong picture. Refused, as before."""
    async with history_tool(emulator, tmp_path / "history.sqlite3") as tool:
        wide = picture((200, 30, 30), size=800)
        made = await tool.run({"image": wide, "crop_x": 100, "crop_y": 100, "crop_w": 600})
        damaged = cut_short((800, 800))
        served = Fault.status(200, body=damaged, headers={"content-type": "image/png"})
        emulator.faults.inject(served, path=path_of(made["profile"]["image_original"]), times=10)
        result = await tool.run({"image": GREEN})
    assert result["error"] == "previous_photo_not_kept", result
