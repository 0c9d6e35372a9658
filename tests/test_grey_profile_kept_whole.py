"""A square grey photo with a grey colour profile, set uncut by another client, is kept as
it came: its renditions are shown through that profile (3bc6ea5, square.upright), so the
likeness check that tells an uncut square from a zoomed one (undo/shown_whole.py) shows
the original through it too. Compared without it, a linear grey's 128 against the
rendition's 188 was a zoom: the 1024 rendition was kept, and an undo gave that back. So
was a CMYK photo with a press profile (its renditions through it since square.upright
first converted CMYK)."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from PIL import Image

from ocp_users_photo.crop import CropBox
from ocp_users_photo.emulator import RunningEmulator
from ocp_users_photo.emulator.renditions import render_photo
from ocp_users_photo.undo.shown_whole import shown_whole
from tests.conftest import CANARY_TOKEN
from tests.test_images14 import cmyk_photo, press_profile
from tests.test_photo_fidelity import encoded, linear_grey_profile
from tests.undo_fixtures import history_tool, picture, shown


def grey_photo(fmt: str) -> bytes:
    """600x600 grey with a linear grey profile, a darker quarter (a zoom shows)."""
    grey = Image.new("L", (600, 600), 128)
    grey.paste(40, (300, 0, 600, 300))
    return encoded(grey, fmt, icc_profile=linear_grey_profile(), quality=95)


def rendered(original: bytes, crop: CropBox | None = None) -> bytes:
    """The emulator's 192 square of ``original`` (the small one shown_photo compares)."""
    photo = render_photo(
        original, crop, max_side=8000, max_frames=100, letterbox_color=(255, 255, 255)
    )
    return photo.renditions[192].data


def cmyk_jpeg() -> bytes:
    """600x600 CMYK with a press profile: its cyan shown as (0, 174, 240), not (0, 255, 255)."""
    return encoded(cmyk_photo((600, 600)), "JPEG", icc_profile=press_profile(), quality=95)


@pytest.mark.parametrize(
    "original",
    [grey_photo("PNG"), grey_photo("JPEG"), cmyk_jpeg()],
    ids=["grey-png", "grey-jpeg", "cmyk"],
)
def test_a_photo_shown_through_its_profile_is_alike_its_uncut_square(original: bytes) -> None:
    assert shown_whole(original, rendered(original))
    assert not shown_whole(original, rendered(original, CropBox(0, 0, 300)))


async def test_a_grey_photo_another_client_set_comes_back_as_it_came(
    emulator: RunningEmulator, tmp_path: Path
) -> None:
    original = grey_photo("JPEG")
    async with httpx.AsyncClient(timeout=10) as http:
        answer = await http.post(
            f"{emulator.base_url}/users.setPhoto",
            headers={"Authorization": f"Bearer {CANARY_TOKEN}"},
            files={"image": ("grey.jpg", original, "image/jpeg")},
        )
    assert answer.json()["ok"] is True
    async with history_tool(emulator, tmp_path / "history.sqlite3", keep_previous=True) as tool:
        await tool.call({"image": picture((0, 200, 0))})
        await tool.undo()
    after = await shown(emulator, CANARY_TOKEN)
    # Kept as its 1024 rendition, an RGB JPEG of another size came back instead.
    assert after.original == original
