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


async def test_a_scaled_photo_carries_the_rounded_box() -> None:
    async with UsersSetPhoto(CANARY_TOKEN, environ={}) as tool:
        upload = await tool.prepare(
            {"image": make_image((3000, 2000)), "crop_x": 1000, "crop_y": 500, "crop_w": 1500}
        )
    assert (upload.image.width, upload.image.height) == (1024, 683)
    assert upload.image.crop_box == CropBox(x=341, y=171, width=512)
    assert "crop box scaled to x=341 y=171 w=512" in upload.image.changes


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
