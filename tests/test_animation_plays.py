"""How many times a converted animation plays: as its original does, said in GIF's terms.

A WebP's loop count is the times it plays (0: forever); a GIF's NETSCAPE loop count is
the times it plays again after the first (none: once), as browsers read it.
"""

from __future__ import annotations

import io
import random
from collections.abc import AsyncIterator

import pytest
from PIL import Image, features

from ocp_users_photo import UsersSetPhoto
from tests.conftest import CANARY_TOKEN


@pytest.fixture
async def checker() -> AsyncIterator[UsersSetPhoto]:
    async with UsersSetPhoto(CANARY_TOKEN, environ={}) as tool:
        yield tool


async def sent_bytes(tool: UsersSetPhoto, image: bytes) -> bytes:
    upload = await tool.prepare({"image": image})
    try:
        body = upload.image.body()
        return body if isinstance(body, bytes) else body.read()
    finally:
        upload.close()


def webp_animation(*, plays: int = 0, durations: int | list[int] = 100, count: int = 2) -> bytes:
    """A lossless animated WebP of ``count`` 600x600 frames."""
    frames = [Image.new("RGB", (600, 600), (60 * i, 0, 200)) for i in range(count)]
    buffer = io.BytesIO()
    frames[0].save(
        buffer,
        "WEBP",
        save_all=True,
        append_images=frames[1:],
        duration=durations,
        lossless=True,
        loop=plays,
    )
    return buffer.getvalue()


@pytest.mark.parametrize(("plays", "gif_loop"), [(0, 0), (1, None), (2, 1), (5, 4)])
async def test_a_webp_converted_to_gif_plays_as_many_times(
    checker: UsersSetPhoto, plays: int, gif_loop: int | None
) -> None:
    """Before, the WebP's count was written as GIF's: one that plays once played twice."""
    original = webp_animation(plays=plays)
    assert Image.open(io.BytesIO(original)).info["loop"] == plays
    sent = Image.open(io.BytesIO(await sent_bytes(checker, original)))
    assert sent.format == "GIF"
    assert sent.info.get("loop") == gif_loop


@pytest.mark.skipif(not features.check("avif"), reason="Pillow built without AVIF")
async def test_an_avif_that_plays_forever_is_a_gif_that_plays_forever(
    checker: UsersSetPhoto,
) -> None:
    """Pillow's AVIF writer (libavif's default) makes an animation that repeats forever
    (its track's edit list repeats, its duration indefinite), which Pillow's reader does
    not say: before, it became a GIF without a loop count, which plays once."""
    frames = [Image.new("RGB", (600, 600), c) for c in ((200, 0, 0), (0, 0, 200))]
    buffer = io.BytesIO()
    frames[0].save(buffer, "AVIF", save_all=True, append_images=frames[1:], duration=100)
    sent = Image.open(io.BytesIO(await sent_bytes(checker, buffer.getvalue())))
    assert sent.format == "GIF"
    assert getattr(sent, "n_frames", 1) == 2
    assert sent.info.get("loop") == 0, "an AVIF that plays forever became a GIF that plays once"


def test_an_avif_without_a_repeating_edit_list_is_not_said_to_loop() -> None:
    """A still AVIF, and bytes with no movie box, are not read as playing forever."""
    from ocp_users_photo.images.frames import avif_loops_forever
    from ocp_users_photo.images.source import ImageSource

    for data in (b"", b"\0\0\0\x08moov", b"\0\0\0\x10ftypavif\0\0\0\0" + b"\xff" * 40):
        source = ImageSource(label="t", filename_stem="t", byte_count=len(data), data=data)
        assert not avif_loops_forever(source)


def gif_with_a_late_loop_count(loop: int) -> bytes:
    """A 1400x1400 GIF (so scaled) whose NETSCAPE loop extension (``loop``: the times it
    plays again) stands after its first picture, where browsers read it (Chromium: "at any
    point in the image data stream") and Pillow does not."""
    frames = [Image.new("RGB", (1400, 1400), c) for c in ((200, 0, 0), (0, 0, 200))]
    buffer = io.BytesIO()
    frames[0].save(buffer, "GIF", save_all=True, append_images=frames[1:], duration=100, loop=loop)
    data = buffer.getvalue()
    start = data.index(b"\x21\xff\x0bNETSCAPE2.0")
    extension = data[start : start + 19]
    data = data[:start] + data[start + 19 :]
    second = data.index(b"\x21\xf9", data.index(b"\x21\xf9") + 1)  # the 2nd frame's control
    moved = data[:second] + extension + data[second:]
    assert "loop" not in Image.open(io.BytesIO(moved)).info
    return moved


@pytest.mark.parametrize("loop", [0, 3, 258])
async def test_a_scaled_gif_with_a_late_loop_count_keeps_that_count(
    checker: UsersSetPhoto, loop: int
) -> None:
    """Before, its loop count was lost with the scaling (a GIF that plays forever played
    once); then, found by a mutation fuzzer, read from its high byte and the block's
    terminator (3, which plays 4 times, became 0, forever; 258 became 1)."""
    sent = Image.open(io.BytesIO(await sent_bytes(checker, gif_with_a_late_loop_count(loop))))
    assert sent.size == (1024, 1024)
    assert sent.info.get("loop") == loop


async def test_a_60_fps_webp_converted_to_gif_keeps_its_pace(checker: UsersSetPhoto) -> None:
    """GIF holds hundredths of a second; Pillow's writer cut 16 and 17 ms to 10, which
    browsers play as 100 ms (10 ms or less is taken as 100): six times slower. Each
    frame's time is now rounded, and one over 10 ms stays over it."""
    original = webp_animation(durations=[16, 17, 26, 0], count=4)
    sent = Image.open(io.BytesIO(await sent_bytes(checker, original)))
    assert sent.format == "GIF"
    durations = []
    for index in range(getattr(sent, "n_frames", 1)):
        sent.seek(index)
        durations.append(sent.info.get("duration"))
    assert durations == [20, 20, 30, 0]


async def test_a_webp_frame_longer_than_a_gif_holds_is_the_longest_a_gif_holds(
    checker: UsersSetPhoto,
) -> None:
    """Before, a WebP with a 700 s frame (WebP holds up to 16777 s) was refused as 'the
    image cannot be read (int too big to convert)': Pillow's GIF writer raised."""
    original = webp_animation(durations=[700_000, 100])
    sent = Image.open(io.BytesIO(await sent_bytes(checker, original)))
    assert sent.format == "GIF"
    assert sent.info["duration"] == 655_350
    sent.seek(1)
    assert sent.info["duration"] == 100


def two_long_frames_one_pixel_apart(first: Image.Image, pixel: tuple[int, int]) -> bytes:
    """A lossless WebP: ``first`` and a copy one pixel apart, 400 s each, then 100 ms of blue."""
    second = first.copy()
    colour = second.getpixel(pixel)
    assert isinstance(colour, tuple)
    second.putpixel(pixel, (colour[0] ^ 1, *colour[1:]))
    last = Image.new(first.mode, first.size, (0, 0, 200, 255)[: len(first.mode)])
    buffer = io.BytesIO()
    first.save(
        buffer,
        "WEBP",
        save_all=True,
        append_images=[second, last],
        duration=[400_000, 400_000, 100],
        lossless=True,
    )
    return buffer.getvalue()


def transparent_noise() -> Image.Image:
    """600x600 of more than 256 colours, its top-left corner transparent."""
    noise = random.Random(1).randbytes(600 * 600 * 3)
    picture = Image.frombytes("RGB", (600, 600), noise).convert("RGBA")
    picture.paste((0, 0, 0, 0), (0, 0, 50, 50))
    return picture


@pytest.mark.parametrize(
    ("first", "pixel"),
    [
        # One pixel the scaling (2048 to 1024) averages away.
        (Image.new("RGB", (2048, 2048), (200, 0, 0)), (0, 0)),
        # One pixel the GIF writer's palette (made for an RGBA frame as it compares them)
        # makes alike: they were compared as they were, and kept apart here.
        (transparent_noise(), (100, 100)),
    ],
    ids=["scaled alike", "palette alike"],
)
async def test_long_frames_made_alike_are_one_of_the_longest_a_gif_holds(
    checker: UsersSetPhoto, first: Image.Image, pixel: tuple[int, int]
) -> None:
    """Two 400 s frames that became alike: Pillow's GIF writer joined them into one of
    800 s, more than a GIF holds, and raised (the image "cannot be read (int too big to
    convert)")."""
    original = two_long_frames_one_pixel_apart(first, pixel)
    sent = Image.open(io.BytesIO(await sent_bytes(checker, original)))
    assert sent.format == "GIF"
    assert getattr(sent, "n_frames", 1) == 2
    assert sent.info["duration"] == 655_350
    sent.seek(1)
    assert sent.info["duration"] == 100
