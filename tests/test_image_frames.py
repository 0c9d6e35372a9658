"""Animations: a frame cap, a decoded-pixel budget over all frames, and frame counting that stops.

Every test here asserts outcomes only (no timings): that nothing is decoded before the
budget says so, and that counting a GIF's frames stops just past the cap however many
frames the file holds. The before/after times and memory are in the README's
Reliability section, measured by hand.
"""

from __future__ import annotations

import io
from collections.abc import AsyncIterator
from typing import Any

import pytest
from PIL import GifImagePlugin, Image, ImageFile

from ocp_users_photo import InvalidArguments, UsersSetPhoto
from ocp_users_photo.images.limits import DEFAULT_LIMITS, ImageLimits
from tests.conftest import CANARY_TOKEN
from tests.hostile_images import gif_of_tiny_frames, png_chunk
from tests.test_image import animated_gif


@pytest.fixture
async def checker() -> AsyncIterator[UsersSetPhoto]:
    async with UsersSetPhoto(CANARY_TOKEN, environ={}) as tool:
        yield tool


@pytest.fixture
def no_decoding(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("pixels were decoded")

    monkeypatch.setattr(ImageFile.ImageFile, "load", refuse)


@pytest.fixture
def gif_frame_steps(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Every frame Pillow's GIF reader stepped to, decoding or not."""
    steps: list[int] = []
    original = GifImagePlugin.GifImageFile._seek

    def counted(self: GifImagePlugin.GifImageFile, frame: int, *args: Any) -> None:
        steps.append(frame)
        original(self, frame, *args)

    monkeypatch.setattr(GifImagePlugin.GifImageFile, "_seek", counted)
    return steps


async def refusal(tool: UsersSetPhoto, image: Any) -> str:
    with pytest.raises(InvalidArguments) as caught:
        await tool.prepare({"image": image})
    (problem,) = caught.value.problems
    assert problem.path == "$.image"
    return problem.message


def test_the_frame_cap_is_a_documented_limit() -> None:
    assert DEFAULT_LIMITS.max_frames == 100
    assert DEFAULT_LIMITS.max_decoded_pixels == 50_000_000


async def test_237_one_pixel_frames_on_a_large_canvas_are_refused_before_decoding(
    checker: UsersSetPhoto, no_decoding: None
) -> None:
    data = gif_of_tiny_frames((1025, 1025), 237)
    assert len(data) < 5600
    message = await refusal(checker, data)
    assert "more than 100 frames" in message
    assert "too_many_frames" in message


async def test_counting_a_million_frames_stops_past_the_cap(
    checker: UsersSetPhoto, no_decoding: None, gif_frame_steps: list[int]
) -> None:
    data = gif_of_tiny_frames((1025, 1025), 1_300_000)
    assert len(data) > 29_000_000
    message = await refusal(checker, data)
    assert "more than 100 frames" in message
    assert max(gif_frame_steps) <= DEFAULT_LIMITS.max_frames + 1
    assert len(gif_frame_steps) <= DEFAULT_LIMITS.max_frames + 3


async def test_an_animation_over_the_pixel_budget_is_refused_before_decoding(
    checker: UsersSetPhoto, no_decoding: None
) -> None:
    # 47 frames of 1100x1000 pixels: 51.7 million pixels to decode, under the frame cap.
    message = await refusal(checker, gif_of_tiny_frames((1100, 1000), 47))
    assert "47 frames of 1100x1000 pixels" in message
    assert "more than this tool decodes (50 megapixels over all frames)" in message


async def test_an_animation_within_the_budget_is_converted(checker: UsersSetPhoto) -> None:
    upload = await checker.prepare({"image": animated_gif((1100, 1000), frames=3)})
    sent = Image.open(io.BytesIO(upload.image.body()))  # type: ignore[arg-type]
    assert isinstance(sent, GifImagePlugin.GifImageFile)
    assert (sent.format, sent.size, sent.n_frames) == ("GIF", (1024, 931), 3)


async def test_a_gif_that_goes_as_it_is_obeys_the_frame_cap_too(
    checker: UsersSetPhoto, no_decoding: None
) -> None:
    assert "more than 100 frames" in await refusal(checker, gif_of_tiny_frames((600, 600), 101))
    upload = await checker.prepare({"image": gif_of_tiny_frames((600, 600), 100)})
    assert upload.image.frames == 100
    assert upload.image.changes == ()


async def test_an_animated_webp_over_the_cap_is_refused(checker: UsersSetPhoto) -> None:
    # Clearly different frames, losslessly: the encoder merges frames that come out alike.
    frames = [Image.new("RGB", (512, 512), (2 * index, 255 - 2 * index, 0)) for index in range(101)]
    buffer = io.BytesIO()
    frames[0].save(
        buffer, format="WEBP", save_all=True, append_images=frames[1:], duration=20, lossless=True
    )
    assert "has 101 frames" in await refusal(checker, buffer.getvalue())


async def test_a_png_declaring_more_frames_than_the_cap_is_refused(
    checker: UsersSetPhoto, no_decoding: None
) -> None:
    frames = [Image.new("RGB", (512, 512), (0, index, 0)) for index in range(3)]
    buffer = io.BytesIO()
    frames[0].save(buffer, format="PNG", save_all=True, append_images=frames[1:])
    data = buffer.getvalue()
    # The animation control chunk (acTL) says how many frames there are: make it claim 10**9.
    start = data.index(b"acTL") - 4
    plays = data[start + 12 : start + 16]
    lying = (
        data[:start] + png_chunk(b"acTL", (10**9).to_bytes(4, "big") + plays) + data[start + 20 :]
    )
    assert "has 1000000000 frames" in await refusal(checker, lying)


async def test_limits_are_the_tools_to_set() -> None:
    limits = ImageLimits(max_frames=4)
    async with UsersSetPhoto(CANARY_TOKEN, environ={}, limits=limits) as tool:
        assert "more than 4 frames" in await refusal(tool, animated_gif((600, 600), frames=5))
        upload = await tool.prepare({"image": animated_gif((600, 600), frames=4)})
        assert upload.image.frames == 4
