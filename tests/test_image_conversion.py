"""What a converted image carries: its pixels as they were, no metadata but a matching colour
profile, every frame as shown, and never more bytes than the tool sends (images/reencode.py,
images/pixel_modes.py).
"""

from __future__ import annotations

import io
import os
import struct
from collections.abc import AsyncIterator
from typing import Any

import pytest
from PIL import GifImagePlugin, Image, ImageChops, ImageSequence, ImageStat

from ocp_users_photo import InvalidArguments, UsersSetPhoto
from ocp_users_photo.images.limits import ImageLimits
from tests.conftest import CANARY_TOKEN, pixel_at


@pytest.fixture
async def checker() -> AsyncIterator[UsersSetPhoto]:
    async with UsersSetPhoto(CANARY_TOKEN, environ={}) as tool:
        yield tool


async def outcome(tool: UsersSetPhoto, image: object) -> tuple[list[str] | None, bytes]:
    """The refusal's messages (None when accepted), and the bytes that would be sent."""
    try:
        upload = await tool.prepare({"image": image})
    except InvalidArguments as refused:
        return [p.message for p in refused.problems], b""
    body = upload.image.body()
    sent = body if isinstance(body, bytes) else body.read()
    upload.close()
    return None, sent


def encoded(picture: Image.Image, fmt: str, **options: object) -> bytes:
    buffer = io.BytesIO()
    picture.save(buffer, fmt, **options)
    return buffer.getvalue()


def _photo(fmt: str, size: tuple[int, int], **options: object) -> bytes:
    frames = [Image.new("RGB", size, (60 * i, 80, 40)) for i in range(3)]
    if fmt == "GIF":
        return encoded(frames[0], fmt, save_all=True, append_images=frames[1:], **options)
    return encoded(frames[0], fmt, **options)


def _profile(space: bytes) -> bytes:
    """An ICC header for colour space ``space`` (the tool reads only that field)."""
    profile = bytearray(132)
    struct.pack_into(">I", profile, 0, 132)
    profile[12:16], profile[16:20], profile[20:24], profile[36:40] = (
        b"prtr" if space == b"CMYK" else b"mntr",
        space,
        b"Lab " if space == b"CMYK" else b"XYZ ",
        b"acsp",
    )
    return bytes(profile)


# --- Metadata: Pillow's JPEG and GIF writers copy info["comment"] from the frame.


@pytest.mark.parametrize("fmt", ["JPEG", "GIF"])
async def test_a_scaled_image_carries_no_comment_of_the_original(
    checker: UsersSetPhoto, fmt: str
) -> None:
    original = _photo(fmt, (1400, 1400), comment=b"taken at 12 Private Road")
    messages, sent = await outcome(checker, original)
    assert messages is None
    assert b"Private Road" not in sent


# --- Colour: a profile goes out only with pixels of its colour space.


@pytest.mark.parametrize("fmt", ["JPEG", "TIFF"])
async def test_a_converted_cmyk_image_carries_no_cmyk_profile(
    checker: UsersSetPhoto, fmt: str
) -> None:
    cmyk = Image.open(io.BytesIO(_photo("JPEG", (1400, 1400)))).convert("CMYK")
    messages, sent = await outcome(checker, encoded(cmyk, fmt, icc_profile=_profile(b"CMYK")))
    assert messages is None
    picture = Image.open(io.BytesIO(sent))
    profile = picture.info.get("icc_profile")
    assert picture.mode != "CMYK"
    assert profile is None or profile[16:20] != b"CMYK", f"a CMYK profile on {picture.mode} pixels"


async def test_a_scaled_rgb_image_keeps_its_rgb_profile(checker: UsersSetPhoto) -> None:
    profile = _profile(b"RGB ")
    messages, sent = await outcome(checker, _photo("JPEG", (1400, 1400), icc_profile=profile))
    assert messages is None
    assert Image.open(io.BytesIO(sent)).info.get("icc_profile") == profile


# --- Grey of more than 8 bits keeps its greys (Pillow's convert('RGB') clips it to white).


def assert_about_31_percent_grey(picture: Image.Image, point: tuple[int, int]) -> None:
    """The pixel at ``point`` is still 20000/65535 (~31%) grey, in 8 or 16 bits."""
    value = picture.getpixel(point)
    grey = value[0] if isinstance(value, tuple) else value
    assert isinstance(grey, int)
    if picture.mode.startswith("I;16"):
        grey //= 257
    assert abs(grey - 78) < 8, f"{picture.mode} pixel {value}: 20000/65535 should stay ~31% grey"


@pytest.mark.parametrize("mode", ["I;16B", "I;16", "I"])
async def test_a_wide_grey_tiff_keeps_its_greys(checker: UsersSetPhoto, mode: str) -> None:
    original = encoded(Image.new(mode, (600, 600), 20000), "TIFF")  # 31% grey
    messages, sent = await outcome(checker, original)
    assert messages is None
    assert_about_31_percent_grey(Image.open(io.BytesIO(sent)), (300, 300))


@pytest.mark.parametrize("fmt", ["PNG", "TIFF"])
async def test_a_wide_grey_image_scaled_by_three_or_more_is_converted(
    checker: UsersSetPhoto, fmt: str
) -> None:
    """Scaled by 3 or more, a picture is first reduced by whole blocks, which Pillow's
    reduce() does not do for 16-bit grey: a valid 16-bit PNG of 3200x2400 was refused
    with "image has wrong mode" (an image fuzzer found it); 2900x2400 went through."""
    original = encoded(Image.new("I;16", (3200, 3200), 20000), fmt)
    messages, sent = await outcome(checker, original)
    assert messages is None, messages
    picture = Image.open(io.BytesIO(sent))
    assert picture.size == (1024, 1024)
    assert_about_31_percent_grey(picture, (512, 512))


async def test_a_float_grey_tiff_keeps_its_greys(checker: UsersSetPhoto) -> None:
    """Float samples run 0.0 (black) to 1.0 (white): convert('RGB') rounded all to black."""
    ramp = Image.linear_gradient("L").resize((600, 600)).convert("F").point(lambda v: v / 255)
    messages, sent = await outcome(checker, encoded(ramp, "TIFF"))
    assert messages is None
    picture = Image.open(io.BytesIO(sent)).convert("I")
    top, middle, bottom = (picture.getpixel((300, y)) for y in (0, 300, 599))
    assert isinstance(top, int)
    assert isinstance(middle, int)
    assert isinstance(bottom, int)
    assert top < 700, f"the top row {top} should stay black (16-bit values)"
    assert bottom > 64800, f"the bottom row {bottom} should stay white"
    assert abs(middle - 32768) < 700, f"the middle row {middle} should stay ~50% grey"


# --- Animation: every frame as it was shown.


async def test_a_scaled_animated_png_shows_each_frame_as_it_was(checker: UsersSetPhoto) -> None:
    frames = []
    for index in range(4):
        frame = Image.new("RGBA", (1200, 1200), (0, 0, 0, 0))
        frame.paste((255, 0, 0, 255), (index * 250, 0, index * 250 + 300, 300))
        frame.paste((0, 0, 255, 128), (0, 600, 1200 - index * 200, 900))
        frames.append(frame)
    original = encoded(frames[0], "PNG", save_all=True, append_images=frames[1:], duration=100)
    messages, sent = await outcome(checker, original)
    assert messages is None
    shown = [
        frame.convert("RGBA") for frame in ImageSequence.Iterator(Image.open(io.BytesIO(sent)))
    ]
    assert len(shown) == 4
    for index, frame in enumerate(shown):
        wanted = frames[index].resize((1024, 1024), Image.Resampling.LANCZOS)
        difference = max(ImageStat.Stat(ImageChops.difference(frame, wanted)).mean)
        # With APNG's disposal 2 (OP_PREVIOUS), frame 3 was off by 13 of 255 on average.
        assert difference < 2, f"frame {index} differs by {difference:.1f} on average"


# --- Size and time: what conversion writes is bounded too.


def _noisy_webp(frames: int, side: int) -> bytes:
    pictures = [
        Image.frombytes("RGB", (side, side), os.urandom(side * side * 3)) for _ in range(frames)
    ]
    return encoded(
        pictures[0], "WEBP", save_all=True, append_images=pictures[1:], quality=40, method=0
    )


async def test_a_converted_animation_is_never_sent_larger_than_max_bytes() -> None:
    webp = _noisy_webp(4, 512)  # its GIF is ~2.5 times larger
    limits = ImageLimits(max_bytes=2 * len(webp))
    async with UsersSetPhoto(CANARY_TOKEN, environ={}, limits=limits) as tool:
        messages, sent = await outcome(tool, webp)
    assert not sent
    assert messages is not None
    assert any(
        f"over {limits.max_bytes} bytes" in message and "fewer or smaller frames" in message
        for message in messages
    ), messages


async def test_a_noisy_animation_is_converted_to_gif_with_the_octrees_palettes(
    checker: UsersSetPhoto,
) -> None:
    # Pillow's median cut (its default) took ~0.9 s a frame of 707x707 noise (100 frames:
    # 91 s); the fast octree's palettes take ~0.01 s. Every frame's palette is the octree's.
    methods: list[object] = []
    pillows_quantize = Image.Image.quantize

    def recording_quantize(picture: Image.Image, *arguments: Any, **options: Any) -> Image.Image:
        methods.append(options.get("method", arguments[1] if len(arguments) > 1 else None))
        return pillows_quantize(picture, *arguments, **options)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(Image.Image, "quantize", recording_quantize)
        messages, sent = await outcome(checker, _noisy_webp(10, 707))
    assert messages is None
    animation = Image.open(io.BytesIO(sent))
    assert isinstance(animation, GifImagePlugin.GifImageFile)
    assert animation.n_frames == 10
    assert len(methods) >= 10
    assert set(methods) == {Image.Quantize.FASTOCTREE}, methods


async def test_a_half_transparent_pixel_is_cut_at_half_in_a_gif(checker: UsersSetPhoto) -> None:
    """GIF has no half-transparency: a pixel under half opaque is written transparent, one
    from half on opaque (the writer made every pixel not wholly transparent solid)."""
    frames = []
    for index in range(2):
        frame = Image.new("RGBA", (600, 600), (30, 30, 200, 96))  # 38% opaque blue
        frame.paste((index * 200, 200, 0, 255), (0, 0, 50, 50))
        frame.paste((200, 30, 30, 160), (100, 0, 150, 50))  # 63% opaque red
        frames.append(frame)
    buffer = io.BytesIO()
    frames[0].save(buffer, "WEBP", save_all=True, append_images=frames[1:], lossless=True)
    messages, sent = await outcome(checker, buffer.getvalue())
    assert messages is None
    gif = Image.open(io.BytesIO(sent)).convert("RGBA")
    assert pixel_at(gif, (300, 300))[3] == 0
    assert pixel_at(gif, (120, 20))[3] == 255
    assert pixel_at(gif, (20, 20))[3] == 255
