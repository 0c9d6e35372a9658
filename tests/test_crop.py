"""The crop box when the image is scaled down: the nearest box that stays inside."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from ocp_users_photo import UsersSetPhoto
from ocp_users_photo.crop import CropBox
from tests.conftest import CANARY_TOKEN, make_image


def test_the_issues_example_rounds_to_the_nearest_pixel() -> None:
    factor = 1024 / 3000
    box = CropBox(x=1000, y=500, width=1500).scaled(factor, 1024, round(2000 * factor))
    # Exactly 341.33, 170.67 and 512.
    assert box == CropBox(x=341, y=171, width=512)


async def test_a_large_photo_with_a_large_box_sends_the_box_scaled() -> None:
    """Over 1024 on a side, with a crop box: the box's own square is cut and scaled to
    1024, so Slack shows it from 1024 pixels (scaled whole, it would keep 512 here)."""
    async with UsersSetPhoto(CANARY_TOKEN, environ={}) as tool:
        upload = await tool.prepare(
            {"image": make_image((3000, 2000)), "crop_x": 1000, "crop_y": 500, "crop_w": 1500}
        )
    assert (upload.image.width, upload.image.height) == (1024, 1024)
    assert upload.image.crop_box == CropBox(x=0, y=0, width=1024)
    assert upload.image.changes == (
        "cut to the 1500x1500 square at x=1000 y=500 of the 3000x2000 image, around the crop box",
        "scaled down from 1500x1500 to 1024x1024",
        "crop box scaled to x=0 y=0 w=1024",
    )


async def test_a_large_photo_with_a_small_box_sends_a_512_square_around_it() -> None:
    """A box under Slack's 512 least side: a 512 square centred on it, moved in at the
    image's edge, sent at full resolution with the box inside it."""
    async with UsersSetPhoto(CANARY_TOKEN, environ={}) as tool:
        upload = await tool.prepare(
            {"image": make_image((4000, 3000)), "crop_x": 100, "crop_y": 2900, "crop_w": 50}
        )
    assert (upload.image.width, upload.image.height) == (512, 512)
    assert upload.image.crop_box == CropBox(x=100, y=412, width=50)
    assert (
        "cut to the 512x512 square at x=0 y=2488 of the 4000x3000 image, around the crop box"
        in (upload.image.changes)
    )


@st.composite
def scaled_cases(draw: st.DrawFn) -> tuple[CropBox, float, int, int, int, int]:
    """An image over 1024 on a side, a box inside it, and the sizes the tool scales it to."""
    width = draw(st.integers(1, 20_000))
    height = draw(st.integers(1, 20_000))
    longest = max(width, height)
    if longest <= 1024:
        width, height = width + 1024, height
        longest = max(width, height)
    factor = 1024 / longest
    side = draw(st.integers(1, min(width, height)))
    x = draw(st.integers(0, width - side))
    y = draw(st.integers(0, height - side))
    scaled_width = max(1, round(width * factor))
    scaled_height = max(1, round(height * factor))
    return CropBox(x, y, side), factor, width, height, scaled_width, scaled_height


@given(scaled_cases())
def test_a_scaled_box_is_inside_and_within_half_a_pixel_unless_at_an_edge(
    case: tuple[CropBox, float, int, int, int, int],
) -> None:
    box, factor, _, _, scaled_width, scaled_height = case
    got = box.scaled(factor, scaled_width, scaled_height)
    assert got.width >= 1
    assert got.x >= 0
    assert got.y >= 0
    assert got.x + got.width <= scaled_width
    assert got.y + got.width <= scaled_height
    exact_side = box.width * factor
    side_clamped = got.width in (1, min(scaled_width, scaled_height))
    assert abs(got.width - exact_side) <= 0.5 or side_clamped
    exact_x, exact_y = box.x * factor, box.y * factor
    assert abs(got.x - exact_x) <= 0.5 or got.x in (0, scaled_width - got.width)
    assert abs(got.y - exact_y) <= 0.5 or got.y in (0, scaled_height - got.width)
