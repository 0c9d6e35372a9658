"""Photos people have, as Slack shows them once prepared (images/pixel_modes.py)."""

from __future__ import annotations

import io
import struct
from collections.abc import AsyncIterator

import pytest
from PIL import Image

from ocp_users_photo import UsersSetPhoto
from tests.conftest import CANARY_TOKEN


@pytest.fixture
async def checker() -> AsyncIterator[UsersSetPhoto]:
    async with UsersSetPhoto(CANARY_TOKEN, environ={}) as tool:
        yield tool


def encoded(picture: Image.Image, fmt: str, **options: object) -> bytes:
    buffer = io.BytesIO()
    picture.save(buffer, fmt, **options)
    return buffer.getvalue()


async def sent_bytes(tool: UsersSetPhoto, image: bytes) -> bytes:
    async with tool.prepare({"image": image}) as upload:
        body = upload.image.body()
        return body if isinstance(body, bytes) else body.read()


# --- An animation written as GIF from a profile littlecms cannot use: taken, pixels as they are.


def unusable_rgb_profile() -> bytes:
    """An RGB profile's header with no tags: littlecms opens it but builds no transform
    from it (Pillow raises its PyCMSError, which is no OSError)."""
    profile = bytearray(132)
    struct.pack_into(">I", profile, 0, 132)
    profile[12:16], profile[16:20], profile[20:24], profile[36:40] = (
        b"mntr",
        b"RGB ",
        b"XYZ ",
        b"acsp",
    )
    return bytes(profile)


async def test_an_animation_with_an_unusable_profile_is_converted(checker: UsersSetPhoto) -> None:
    frames = [Image.new("RGB", (1400, 1400), (200, 100, 50 + 100 * i)) for i in range(2)]
    original = encoded(
        frames[0],
        "WEBP",
        save_all=True,
        append_images=frames[1:],
        icc_profile=unusable_rgb_profile(),
        lossless=True,
    )
    picture = Image.open(io.BytesIO(await sent_bytes(checker, original)))
    assert (picture.format, picture.size, picture.n_frames) == ("GIF", (1024, 1024), 2)
    red, green, blue = picture.convert("RGB").getpixel((512, 512))  # type: ignore[misc]
    assert abs(red - 200) + abs(green - 100) + abs(blue - 50) <= 12
