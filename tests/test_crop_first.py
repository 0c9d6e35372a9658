"""A crop box on an image over 1024 sends the box's own square: what a user meets downstream
of that (any aspect with a box, web images, animations keeping their timing)."""

from __future__ import annotations

import io
import ssl
from collections.abc import AsyncIterator

import pytest
import trustme
from PIL import GifImagePlugin, Image, ImageDraw

from ocp_users_photo import UsersSetPhoto
from ocp_users_photo.emulator import RunningEmulator
from ocp_users_photo.images.url_resolver import UrlResolver
from ocp_users_photo.web_image import UrlPolicy
from tests.conftest import CANARY_TOKEN, make_image
from tests.loopback import LoopbackServer, reply, serve


@pytest.fixture
async def checker() -> AsyncIterator[UsersSetPhoto]:
    async with UsersSetPhoto(CANARY_TOKEN, environ={}) as tool:
        yield tool


# --- 1. The 2:1 refusal still applies with a crop box, whose square would be fine.


@pytest.mark.parametrize(
    ("size", "box"),
    [
        ((4000, 600), (1700, 0, 600)),  # a banner: the box's 600 square needs no scaling
        ((1080, 2400), (0, 600, 1080)),  # a 20:9 phone screenshot: 1080 square -> 1024
        ((3000, 1400), (800, 0, 1400)),  # 2.14:1 panorama
    ],
)
async def test_a_wide_image_with_a_crop_box_sends_the_boxs_square(
    checker: UsersSetPhoto, size: tuple[int, int], box: tuple[int, int, int]
) -> None:
    """README: 'over 1024 on a side without a crop box is scaled down ... (an image wider
    or taller than 2:1 is refused ...); with a crop box, the box's own square is cut from
    it and only that is scaled'. The square cut here is at least 512 and at most 1024
    once scaled, so nothing Slack refuses; yet the call is refused with 'cut it to at
    most 2:1', about an image the box already cuts."""
    x, y, side = box
    upload = await checker.prepare(
        {"image": make_image(size), "crop_x": x, "crop_y": y, "crop_w": side}
    )
    with upload:
        expected = min(side, 1024)
        assert (upload.image.width, upload.image.height) == (expected, expected)


# --- 2. An animated WebP's frame durations are lost when it is converted to GIF.


def _animated_webp(size: tuple[int, int], durations: list[int]) -> bytes:
    frames = []
    for index in range(len(durations)):
        frame = Image.new("RGB", size, (60 * index, 90, 160))
        ImageDraw.Draw(frame).rectangle((10 * index, 10, 10 * index + 200, 210), fill="yellow")
        frames.append(frame)
    buffer = io.BytesIO()
    frames[0].save(
        buffer,
        format="WEBP",
        save_all=True,
        append_images=frames[1:],
        duration=durations,
        loop=0,
        lossless=True,
    )
    return buffer.getvalue()


def _gif_durations(data: bytes) -> list[int | None]:
    picture = Image.open(io.BytesIO(data))
    assert isinstance(picture, GifImagePlugin.GifImageFile)
    durations: list[int | None] = []
    for index in range(picture.n_frames):
        picture.seek(index)
        durations.append(picture.info.get("duration"))
    return durations


@pytest.mark.parametrize(
    "crop", [{}, {"crop_x": 800, "crop_y": 400, "crop_w": 600}], ids=["whole", "crop-box"]
)
async def test_an_animated_webp_keeps_its_frame_durations(
    checker: UsersSetPhoto, crop: dict[str, int]
) -> None:
    """README: a converted animation 'keeps how it plays'. The WebP's frames last 40, 200,
    300 and 400 ms; the GIF sent had 100 ms for each (reencode._encode_animation reads
    frame.info['duration'] before the frame is loaded, when Pillow's WebP reader has not
    set it yet, so the 100 default is taken)."""
    durations = [40, 200, 300, 400]
    size = (2000, 1500) if crop else (800, 600)
    upload = await checker.prepare({"image": _animated_webp(size, durations), **crop})
    with upload:
        body = upload.image.body()
        data = body if isinstance(body, bytes) else body.read()
        assert upload.image.format == "GIF"
        assert _gif_durations(data) == durations


# --- 3. End to end: a web image over 1024 with a crop box (passes; kept as a guard).


@pytest.fixture
async def images(ca: trustme.CA) -> AsyncIterator[LoopbackServer]:
    server_tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1").configure_cert(server_tls)
    async with serve(server_tls) as running:
        running.on(
            "/big.png", reply(200, make_image((3000, 2000)), [("Content-Type", "image/png")])
        )
        yield running


async def test_a_web_image_over_1024_with_a_crop_box_sends_the_boxs_square(
    emulator: RunningEmulator, images: LoopbackServer, client_tls: ssl.SSLContext
) -> None:
    policy = UrlPolicy(allowed_hosts=("127.0.0.1",), allow_loopback_for_tests=True)
    resolvers = {"url": UrlResolver(policy, ssl_context=client_tls)}
    async with UsersSetPhoto(
        CANARY_TOKEN, base_url=emulator.base_url, environ={}, image_resolvers=resolvers
    ) as tool:
        _, summary = await tool.call_with_summary(
            {"image": images.url("/big.png"), "crop_x": 1000, "crop_y": 500, "crop_w": 1500}
        )
    assert (summary["width"], summary["height"]) == (1024, 1024)
    assert summary["crop"] == {"crop_x": "0", "crop_y": "0", "crop_w": "1024"}
