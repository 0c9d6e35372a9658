"""An undo gives back the photo people saw when its crop box is not known, square or not
(the review of 2026-12-06 10:25 UTC: a square original cut by another client, or by a
change here with keeping off, was kept whole, and an undo put back the uncut image)."""

from __future__ import annotations

import io
from pathlib import Path

import httpx
import pytest
from PIL import Image, ImageChops, ImageStat

from ocp_users_photo.crop import CropBox
from ocp_users_photo.emulator import RunningEmulator
from ocp_users_photo.emulator.renditions import render_photo
from ocp_users_photo.undo.shown_whole import shown_whole
from tests.conftest import CANARY_TOKEN
from tests.undo_fixtures import history_tool, picture, shown


def checkerboard(size: int) -> bytes:
    """Squares of 64 px, red and blue: a crop that zooms shows larger squares."""
    image = Image.new("RGB", (size, size), (200, 30, 30))
    for x in range(0, size, 64):
        for y in range(0, size, 64):
            if (x // 64 + y // 64) % 2:
                image.paste((30, 30, 200), (x, y, x + 64, y + 64))
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()


def mean_difference(first: bytes, second: bytes) -> float:
    """The mean difference of two renditions' pixels, 0-255."""
    one = Image.open(io.BytesIO(first)).convert("RGB")
    two = Image.open(io.BytesIO(second)).convert("RGB")
    assert one.size == two.size
    return sum(ImageStat.Stat(ImageChops.difference(one, two)).mean) / 3


async def test_a_square_photo_another_client_cut_comes_back_as_it_was_shown(
    emulator: RunningEmulator, tmp_path: Path
) -> None:
    async with httpx.AsyncClient(timeout=10) as http:
        answer = await http.post(
            f"{emulator.base_url}/users.setPhoto",
            headers={"Authorization": f"Bearer {CANARY_TOKEN}"},
            files={"image": ("zoomed.png", checkerboard(1024), "image/png")},
            data={"crop_x": "256", "crop_y": "256", "crop_w": "512"},
        )
    assert answer.json()["ok"] is True
    before = await shown(emulator, CANARY_TOKEN)
    async with history_tool(emulator, tmp_path / "history.sqlite3", keep_previous=True) as tool:
        await tool.call({"image": picture((0, 200, 0))})
        await tool.undo()
    after = await shown(emulator, CANARY_TOKEN)
    # Kept whole, the 1024 px board came back: a difference near half its pixels'.
    assert mean_difference(before.renditions[512], after.renditions[512]) < 4


async def test_a_square_photo_cut_here_with_keeping_off_comes_back_as_it_was_shown(
    emulator: RunningEmulator, tmp_path: Path
) -> None:
    async with history_tool(emulator, tmp_path / "history.sqlite3") as tool:
        # call() keeps nothing by default; run(), a model's door, keeps.
        await tool.call({"image": checkerboard(800), "crop_x": 200, "crop_y": 200, "crop_w": 520})
        before = await shown(emulator, CANARY_TOKEN)
        result = await tool.run({"image": picture((0, 200, 0))})
        assert result["ok"] is True
        await tool.undo()
    after = await shown(emulator, CANARY_TOKEN)
    assert mean_difference(before.renditions[512], after.renditions[512]) < 4


def test_an_uncut_square_turned_by_its_exif_is_alike_and_a_zoom_is_not() -> None:
    board = Image.open(io.BytesIO(checkerboard(1024))).convert("RGB")
    board.paste((0, 160, 0), (0, 0, 256, 128))  # a mark that shows which way is up
    exif = Image.Exif()
    exif[0x0112] = 6  # shown turned 90 degrees clockwise
    stored = io.BytesIO()
    board.rotate(90, expand=True).save(stored, "JPEG", quality=92, exif=exif.tobytes())
    shown_square = io.BytesIO()
    board.resize((512, 512)).save(shown_square, "PNG")
    assert shown_whole(stored.getvalue(), shown_square.getvalue())
    zoomed = io.BytesIO()
    board.crop((256, 256, 768, 768)).save(zoomed, "PNG")
    assert not shown_whole(stored.getvalue(), zoomed.getvalue())


def _encoded(picture: Image.Image) -> bytes:
    buffer = io.BytesIO()
    picture.save(buffer, "PNG")
    return buffer.getvalue()


def _rendered(original: bytes, crop: CropBox | None = None) -> bytes:
    """The emulator's 1024 square of ``original``, as Slack would show it."""
    photo = render_photo(
        original, crop, max_side=8000, max_frames=100, letterbox_color=(255, 255, 255)
    )
    return photo.renditions[1024].data


def _transparent_logo() -> bytes:
    # Its transparent background hides white; a rendition's transparent pixels hide black.
    logo = Image.new("RGBA", (600, 600), (255, 255, 255, 0))
    logo.paste((200, 30, 30, 255), (150, 150, 450, 450))
    return _encoded(logo)


def _sixteen_bit_grey() -> bytes:
    grey = Image.new("I;16", (600, 600), 20000)
    grey.paste(60000, (0, 0, 300, 300))
    return _encoded(grey)


@pytest.mark.parametrize("original", [_transparent_logo(), _sixteen_bit_grey()])
def test_a_transparent_or_16_bit_original_is_alike_its_uncut_square(original: bytes) -> None:
    # Compared as 8-bit RGB with what transparency hides, such an original never matched
    # its own uncut square, and was replaced by it (the fix's review).
    assert shown_whole(original, _rendered(original))
    assert not shown_whole(original, _rendered(original, CropBox(0, 0, 300)))
