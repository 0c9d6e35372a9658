"""Which decoders the bytes may reach: an allow-list chosen by content, never by a name or label.

PNG, JPEG (and MPO), GIF, WEBP, BMP, TIFF, and AVIF where the installed Pillow decodes it
itself. Every other format Pillow knows is refused before its plugin opens the file:
EPS above all, whose decoding runs Ghostscript.
"""

from __future__ import annotations

import base64
import io
import struct
import warnings
from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import pytest
from PIL import EpsImagePlugin, Image, MpoImagePlugin, features

from ocp_users_photo import InvalidArguments, UsersSetPhoto
from ocp_users_photo.emulator import RunningEmulator
from ocp_users_photo.images.formats import accepted_formats_text
from tests.conftest import CANARY_TOKEN, make_image, pixel_at
from tests.hostile_images import eps_drawing, fits_image, psd_header

ALWAYS_ACCEPTED = ("PNG", "JPEG", "MPO", "GIF", "WEBP", "BMP", "TIFF")
AVIF_DECODED_HERE = bool(features.check("avif"))


@pytest.fixture
async def checker() -> AsyncIterator[UsersSetPhoto]:
    async with UsersSetPhoto(CANARY_TOKEN, environ={}) as tool:
        yield tool


@pytest.fixture
def opened_plugins(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The formats whose Pillow plugin was asked to open a file, for every format not accepted.

    Each refused format's opener is wrapped in ``Image.OPEN``: a plugin that never appears
    here never parsed a byte.
    """
    Image.init()
    reached: list[str] = []
    accepted = {*ALWAYS_ACCEPTED, "AVIF"}
    for name, (factory, accept) in list(Image.OPEN.items()):
        if name in accepted:
            continue

        def spy(*args: Any, _name: str = name, _factory: Callable[..., Any] = factory) -> Any:
            reached.append(_name)
            return _factory(*args)

        monkeypatch.setitem(Image.OPEN, name, (spy, accept))
    return reached


def qoi_image(width: int = 600, height: int = 600) -> bytes:
    """A QOI file written by hand (Pillow writes QOI only from 11.3; the floor is 11.1): one
    RGB pixel, then runs of it (62 pixels a byte), then the end marker."""
    pixels = width * height
    runs, last = divmod(pixels - 1, 62)
    body = (
        b"\xfe\x20\x40\x60"
        + bytes([0xC0 | 61]) * runs
        + (bytes([0xC0 | last - 1]) if last else b"")
    )
    return b"qoif" + struct.pack(">IIBB", width, height, 3, 0) + body + bytes(7) + b"\x01"


def saved(fmt: str, mode: str = "RGB", size: tuple[int, int] = (600, 600)) -> bytes:
    buffer = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # Pillow 13 deprecates IM
        Image.new(mode, size, 90).save(buffer, format=fmt)
    return buffer.getvalue()


async def test_an_eps_labelled_png_from_a_model_never_reaches_ghostscript(
    checker: UsersSetPhoto, monkeypatch: pytest.MonkeyPatch, opened_plugins: list[str]
) -> None:
    ghostscript_runs: list[object] = []

    def no_ghostscript(*args: object, **kwargs: object) -> None:
        ghostscript_runs.append(args)
        raise AssertionError("Ghostscript was asked to render a model's EPS")

    monkeypatch.setattr(EpsImagePlugin, "Ghostscript", no_ghostscript)
    monkeypatch.setattr(EpsImagePlugin, "has_ghostscript", lambda: True)
    uri = "data:image/png;base64," + base64.b64encode(eps_drawing()).decode()
    result = await checker.run({"image": uri})
    assert result["ok"] is False
    assert result["error"] == "invalid_arguments"
    (problem,) = result["problems"]
    assert problem["path"] == "$.image"
    assert "not an image in a format this tool decodes" in problem["message"]
    assert f"decodes ({accepted_formats_text()}, told by" in problem["message"], problem["message"]
    assert ghostscript_runs == []
    assert opened_plugins == [], "the EPS plugin never parsed the file"


# Each file is made when its test runs, not when the tests are collected: every parallel
# worker collects every test, and encoding these takes a second.
@pytest.mark.parametrize(
    ("fmt", "make"),
    [
        ("PSD", psd_header),
        ("FITS", fits_image),
        ("ICNS", lambda: saved("ICNS")),
        ("DDS", lambda: saved("DDS")),
        ("ICO", lambda: saved("ICO")),
        ("PCX", lambda: saved("PCX")),
        ("PPM", lambda: saved("PPM")),
        ("SGI", lambda: saved("SGI")),
        ("TGA", lambda: saved("TGA")),
        ("QOI", qoi_image),
        ("IM", lambda: saved("IM")),
        ("BLP", lambda: saved("BLP", "P")),
        ("DIB", lambda: saved("DIB")),
        ("SPIDER", lambda: saved("SPIDER", "F")),
    ],
    ids=lambda value: value if isinstance(value, str) else "data",
)
async def test_formats_outside_the_allow_list_are_refused_unopened(
    checker: UsersSetPhoto, opened_plugins: list[str], fmt: str, make: Callable[[], bytes]
) -> None:
    data = make()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        with Image.open(io.BytesIO(data)) as picture:
            assert picture.format == fmt, "the file is what the test says: Pillow would open it"
    opened_plugins.clear()
    with pytest.raises(InvalidArguments) as caught:
        await checker.prepare({"image": data})
    (problem,) = caught.value.problems
    assert "not an image in a format this tool decodes" in problem.message
    assert opened_plugins == []


def test_the_refusal_lists_exactly_what_is_accepted() -> None:
    from ocp_users_photo.images.formats import accepted_formats_text, decoded_formats

    assert set(decoded_formats()) >= set(ALWAYS_ACCEPTED)
    assert ("AVIF" in decoded_formats()) is AVIF_DECODED_HERE
    assert not {"EPS", "PSD", "FITS", "ICNS", "DDS", "PDF", "WMF", "HEIF"} & set(decoded_formats())
    text = accepted_formats_text()
    if AVIF_DECODED_HERE:  # Pillow 11.2 and later, built with libavif
        assert text == "PNG, JPEG, GIF, WEBP, BMP, TIFF or AVIF"
    else:
        assert text == "PNG, JPEG, GIF, WEBP, BMP or TIFF"


def mpo_pair() -> bytes:
    first = Image.open(io.BytesIO(make_image((700, 600), "JPEG")))
    second = Image.new("RGB", (700, 600), (0, 255, 0))
    buffer = io.BytesIO()
    first.save(buffer, format="MPO", save_all=True, append_images=[second])
    return buffer.getvalue()


async def test_an_mpo_goes_as_the_jpeg_it_starts_with(checker: UsersSetPhoto) -> None:
    data = mpo_pair()
    with Image.open(io.BytesIO(data)) as picture:
        assert isinstance(picture, MpoImagePlugin.MpoImageFile)
        assert (picture.format, picture.n_frames) == ("MPO", 2)
    upload = await checker.prepare({"image": data})
    assert upload.image.content_type == "image/jpeg"
    assert upload.image.frames == 1
    assert upload.image.body() == data


async def test_a_large_mpo_is_scaled_from_its_first_picture(checker: UsersSetPhoto) -> None:
    first = Image.open(io.BytesIO(make_image((1400, 1200), "JPEG")))
    buffer = io.BytesIO()
    first.save(buffer, format="MPO", save_all=True, append_images=[Image.new("RGB", (1400, 1200))])
    upload = await checker.prepare({"image": buffer.getvalue()})
    sent = Image.open(io.BytesIO(upload.image.body()))  # type: ignore[arg-type]
    assert (sent.format, sent.size) == ("JPEG", (1024, 878))
    assert pixel_at(sent, (1000, 20))[2] > 180, "the first picture (blue top right), not the second"


@pytest.mark.skipif(not AVIF_DECODED_HERE, reason="this Pillow was built without AVIF")
async def test_an_avif_is_converted_to_png(checker: UsersSetPhoto) -> None:
    upload = await checker.prepare({"image": make_image((600, 520), "AVIF", quality=95)})
    assert upload.image.content_type == "image/png"
    assert upload.image.changes == ("converted from AVIF to PNG",)


async def test_a_heic_file_is_refused_with_what_to_send(checker: UsersSetPhoto) -> None:
    # An ISO media file whose brand says HEIC (HEVC pictures): no Pillow decoder of its own.
    data = b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic" + b"\x00" * 200
    with pytest.raises(InvalidArguments) as caught:
        await checker.prepare({"image": data})
    (problem,) = caught.value.problems
    assert "it is a HEIC/HEIF photo" in problem.message
    assert "convert it to JPEG first" in problem.message


async def test_an_mpo_is_set_on_the_emulator_as_a_jpeg(emulator: RunningEmulator) -> None:
    async with UsersSetPhoto(
        "xoxp-mpo-on-emulator", base_url=emulator.base_url, environ={}
    ) as tool:
        reply = await tool.call({"image": mpo_pair()})
    assert reply["ok"] is True
    async with httpx.AsyncClient(timeout=10) as client:
        served = await client.get(reply["profile"]["image_512"])
    assert served.headers["content-type"] == "image/jpeg"


async def test_the_emulator_never_opens_other_formats_either(
    emulator: RunningEmulator, opened_plugins: list[str]
) -> None:
    async with httpx.AsyncClient(timeout=10) as client:
        answer = await client.post(
            f"{emulator.base_url}/users.setPhoto",
            headers={"Authorization": "Bearer xoxp-eps-on-emulator"},
            files={"image": ("me.png", eps_drawing(), "image/png")},
        )
    assert answer.json()["error"] == "bad_image"
    assert opened_plugins == []
