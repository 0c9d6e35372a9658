"""EXIF orientation, one rule for every format: the crop box means what the person sees.

Each picture is 800x600 stored with orientation 6 (shown turned 90 degrees clockwise,
600x800). Whatever carries the tag (JPEG's APP1, WebP's EXIF chunk, PNG's eXIf chunk
before or after the pixels, XMP in a PNG, TIFF's own tag, AVIF), the tool reads the box
on the upright picture, sends it upright with no tag left to turn it again, and the
square Slack shows (the emulator's rendition) and the CLI's --preview agree.
"""

from __future__ import annotations

import io
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import httpx
import pytest
from PIL import GifImagePlugin, Image, PngImagePlugin, features

from ocp_users_photo import InvalidArguments, UsersSetPhoto
from ocp_users_photo.crop import CropBox
from ocp_users_photo.emulator import RunningEmulator
from tests.conftest import CANARY_TOKEN
from tests.hostile_images import ORIENTATION, oriented, png_with_late_exif, quarters
from tests.test_cli import dry_run_preview

RED = (200, 40, 40)
BLUE = (20, 40, 220)
# Inside the stored 800x600 pixels and inside the upright 600x800 picture: only the pixels
# tell whether it was turned. Its bottom-right quarter is the upright picture's blue.
STRADDLING = {"crop_x": 150, "crop_y": 250, "crop_w": 300}


def png_with_xmp_orientation() -> bytes:
    info = PngImagePlugin.PngInfo()
    info.add_itxt(
        "XML:com.adobe.xmp",
        '<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/'
        '22-rdf-syntax-ns#"><rdf:Description xmlns:tiff="http://ns.adobe.com/tiff/1.0/" '
        'tiff:Orientation="6"/></rdf:RDF></x:xmpmeta>',
    )
    buffer = io.BytesIO()
    quarters().save(buffer, format="PNG", pnginfo=info)
    return buffer.getvalue()


def animated_webp_turned() -> bytes:
    frames = [quarters(), quarters()]
    frames[1].paste((20, 200, 20), (0, 0, 10, 10))
    exif = Image.Exif()
    exif[ORIENTATION] = 6
    buffer = io.BytesIO()
    frames[0].save(
        buffer,
        format="WEBP",
        save_all=True,
        append_images=frames[1:],
        duration=80,
        lossless=True,
        exif=exif.tobytes(),
    )
    return buffer.getvalue()


CARRIERS: list[object] = [
    pytest.param("JPEG", lambda: oriented("JPEG"), id="jpeg"),
    pytest.param("WEBP", lambda: oriented("WEBP"), id="webp"),
    pytest.param("PNG", lambda: oriented("PNG"), id="png-exif-before-pixels"),
    pytest.param("PNG", png_with_late_exif, id="png-exif-after-pixels"),
    pytest.param("PNG", png_with_xmp_orientation, id="png-xmp"),
    pytest.param("TIFF", lambda: oriented("TIFF"), id="tiff"),
    pytest.param(
        "AVIF",
        lambda: oriented("AVIF"),
        id="avif",
        marks=pytest.mark.skipif(not features.check("avif"), reason="Pillow built without AVIF"),
    ),
]


@pytest.fixture
async def checker() -> AsyncIterator[UsersSetPhoto]:
    async with UsersSetPhoto(CANARY_TOKEN, environ={}) as tool:
        yield tool


def sent_picture(body: object) -> Image.Image:
    data = body if isinstance(body, bytes) else body.read()  # type: ignore[attr-defined]
    picture = Image.open(io.BytesIO(data))
    picture.load()
    return picture


def close_to(pixel: object, colour: tuple[int, int, int], tolerance: int = 24) -> bool:
    assert isinstance(pixel, tuple)
    return all(abs(got - want) <= tolerance for got, want in zip(pixel[:3], colour, strict=True))


def assert_straddling_square(square: Image.Image) -> None:
    """The square cut by STRADDLING from the upright picture: blue only at the bottom right."""
    side = square.size[0]
    quarter, three = side // 4, 3 * side // 4
    rgb = square.convert("RGB")
    assert close_to(rgb.getpixel((quarter, quarter)), RED)
    assert close_to(rgb.getpixel((three, quarter)), RED)
    assert close_to(rgb.getpixel((quarter, three)), RED)
    assert close_to(rgb.getpixel((three, three)), BLUE)


@pytest.mark.parametrize(("fmt", "make"), CARRIERS)
async def test_it_is_sent_upright_without_a_tag_to_turn_it_again(
    checker: UsersSetPhoto, fmt: str, make: Callable[[], bytes]
) -> None:
    data = make()
    with Image.open(io.BytesIO(data)) as stored:
        assert stored.format == fmt
    upload = await checker.prepare({"image": data, **STRADDLING})
    assert (upload.image.width, upload.image.height) == (600, 800)
    assert upload.image.crop_box == CropBox(150, 250, 300)
    assert "rotated upright (EXIF orientation 6)" in upload.image.changes
    sent = sent_picture(upload.image.body())
    assert sent.size == (600, 800)
    assert sent.getexif().get(ORIENTATION, 1) == 1
    assert b"tiff:Orientation" not in (sent.info.get("xmp") or b"")
    rgb = sent.convert("RGB")
    assert close_to(rgb.getpixel((450, 600)), BLUE), "the blue quarter is now bottom right"
    assert close_to(rgb.getpixel((450, 200)), RED)
    assert close_to(rgb.getpixel((150, 600)), RED)


@pytest.mark.parametrize(("fmt", "make"), CARRIERS)
async def test_a_box_inside_only_the_stored_pixels_is_refused(
    checker: UsersSetPhoto, fmt: str, make: Callable[[], bytes]
) -> None:
    with pytest.raises(InvalidArguments) as caught:
        await checker.prepare({"image": make(), "crop_x": 400, "crop_y": 0, "crop_w": 300})
    (problem,) = caught.value.problems
    assert "right edge (crop_x 400 + crop_w 300 > width 600)" in problem.message


@pytest.mark.parametrize(("fmt", "make"), CARRIERS)
async def test_slack_shows_the_square_the_person_chose(
    emulator: RunningEmulator, fmt: str, make: Callable[[], bytes]
) -> None:
    token = "xoxp-orientation-on-emulator"
    async with UsersSetPhoto(token, base_url=emulator.base_url, environ={}) as tool:
        reply = await tool.call({"image": make(), **STRADDLING})
    async with httpx.AsyncClient(timeout=10) as client:
        served = await client.get(reply["profile"]["image_512"])
    assert served.status_code == 200
    with Image.open(io.BytesIO(served.content)) as rendition:
        assert rendition.size == (512, 512)
        assert_straddling_square(rendition)


@pytest.mark.parametrize(("fmt", "make"), CARRIERS)
def test_the_cli_preview_shows_the_same_square(
    tmp_path: Path, fmt: str, make: Callable[[], bytes]
) -> None:
    image = tmp_path / f"turned.{fmt.lower()}"
    image.write_bytes(make())
    preview = tmp_path / "preview.png"
    words = [f"--crop-{name[-1]}={value}" for name, value in STRADDLING.items()]
    dry_run_preview(image, preview, *words)
    with Image.open(preview) as square:
        assert square.size == (300, 300)
        assert_straddling_square(square)


async def test_every_frame_of_a_turned_animation_is_turned(checker: UsersSetPhoto) -> None:
    upload = await checker.prepare({"image": animated_webp_turned(), **STRADDLING})
    sent = sent_picture(upload.image.body())
    assert isinstance(sent, GifImagePlugin.GifImageFile)
    assert (sent.format, sent.n_frames, sent.size) == ("GIF", 2, (600, 800))
    for index in range(2):
        sent.seek(index)
        rgb = sent.convert("RGB")
        assert close_to(rgb.getpixel((450, 600)), BLUE), index
        assert close_to(rgb.getpixel((450, 200)), RED), index
    # The second frame's green mark, stored at the top left, is shown at the top right.
    assert close_to(rgb.getpixel((595, 4)), (20, 200, 20))


@pytest.mark.parametrize("orientation", range(1, 9))
async def test_each_orientation_gives_what_a_viewer_shows(
    checker: UsersSetPhoto, orientation: int
) -> None:
    from PIL import ImageOps

    data = oriented("WEBP", orientation)
    viewer = ImageOps.exif_transpose(Image.open(io.BytesIO(data))).convert("RGB")
    upload = await checker.prepare({"image": data})
    sent = sent_picture(upload.image.body()).convert("RGB")
    assert sent.size == viewer.size
    width, height = sent.size
    for point in [(5, 5), (width - 5, 5), (5, height - 5), (width - 5, height - 5)]:
        assert close_to(sent.getpixel(point), viewer.getpixel(point)), point  # type: ignore[arg-type]


async def test_a_png_of_endless_chunks_is_refused_not_walked_to_the_end(
    checker: UsersSetPhoto,
) -> None:
    from ocp_users_photo.images.png_metadata import MAX_CHUNKS
    from tests.hostile_images import png_chunk

    buffer = io.BytesIO()
    quarters((600, 600)).save(buffer, format="PNG")
    plain = buffer.getvalue()
    end = plain.rindex(b"IEND") - 4
    filler = png_chunk(b"prVt", b"") * MAX_CHUNKS  # empty private chunks after the pixels
    with pytest.raises(InvalidArguments) as caught:
        await checker.prepare({"image": plain[:end] + filler + plain[end:]})
    (problem,) = caught.value.problems
    assert f"the PNG file has more than {MAX_CHUNKS} chunks" in problem.message
