"""A photo whose EXIF holds a tag stored with another type than the standard's (a camera's
"Make" written where a number belongs) is turned upright as a viewer turns it, and never
ends a change (the review of 2026-12-06 16:40 UTC).

Pillow's ``ImageOps.exif_transpose`` writes the EXIF out again after turning, and its
writing raised ``struct.error`` for such a tag: undo's likeness check (Slack's small
square, or the person's own square original, turned) raised it through the change, which
then set no photo at all; the emulator answered a client that sent such a JPEG as it was
with a server error; and the command line's preview failed the same way.
"""

from __future__ import annotations

import io
import struct
from pathlib import Path

import httpx
import pytest
from PIL import Image, ImageOps

from ocp_users_photo.emulator import RunningEmulator
from ocp_users_photo.images.orientation import read_orientation, upright_as_shown
from ocp_users_photo.images.source import ImageSource
from ocp_users_photo.square import upright
from ocp_users_photo.undo import shown_whole as shown_whole_module
from tests.hostile_images import png_chunk
from tests.test_emulator_set_photo import assert_success, fetch_image, near, set_photo
from tests.test_undo10 import photo_whose_original_is
from tests.test_undo_review39 import small_square_served
from tests.undo_fixtures import GREEN, RED, history_tool

ORIENTATION = 0x0112
MAKE = 0x010F
# SMinSampleValue: a tag the standard types as a number (Pillow writes it as a double).
NUMBER_TAG = 0x0154


def mistyped_exif(orientation: int) -> bytes:
    """EXIF with ``orientation`` and a text where the standard has a number."""
    exif = Image.Exif()
    exif[ORIENTATION] = orientation
    exif[MAKE] = "Cam"
    written = exif.tobytes()
    order = ">" if written.startswith(b"Exif\x00\x00MM") else "<"
    as_make, as_number = (struct.pack(f"{order}HH", tag, 2) for tag in (MAKE, NUMBER_TAG))
    assert written.count(as_make) == 1, written
    return written.replace(as_make, as_number)


def jpeg(image: Image.Image, exif: bytes = b"") -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=95, exif=exif)
    return buffer.getvalue()


def stored_for_orientation_6(upright_image: Image.Image) -> Image.Image:
    """The pixels a camera stores for ``upright_image`` when it writes orientation 6 (a
    viewer turns them a quarter clockwise)."""
    return upright_image.transpose(Image.Transpose.ROTATE_90)


def test_pillows_own_turn_fails_on_such_a_tag_where_the_tools_turns_it() -> None:
    stored = stored_for_orientation_6(Image.new("RGB", (300, 200), (200, 30, 30)))
    with Image.open(io.BytesIO(jpeg(stored, mistyped_exif(6)))) as picture:
        assert picture.size == (200, 300)
        with pytest.raises(struct.error):  # why the tool no longer calls it
            ImageOps.exif_transpose(picture)
        assert upright_as_shown(picture).size == (300, 200)
        assert upright(picture).size == (300, 200)  # the command line's --preview


@pytest.mark.parametrize("orientation", range(1, 9))
def test_a_well_formed_orientation_is_turned_as_pillow_turns_it(orientation: int) -> None:
    stored = Image.new("RGB", (30, 20))
    stored.paste((250, 0, 0), (0, 0, 10, 10))  # a corner that shows every turn and flip
    exif = Image.Exif()
    exif[ORIENTATION] = orientation
    buffer = io.BytesIO()
    stored.save(buffer, format="PNG", exif=exif.tobytes())
    with Image.open(io.BytesIO(buffer.getvalue())) as picture:
        ours = upright_as_shown(picture)
        pillows = ImageOps.exif_transpose(picture)
        assert ours.size == pillows.size
        assert ours.tobytes() == pillows.tobytes()


async def test_a_small_square_with_such_a_tag_is_compared_turned_and_the_change_goes_on(
    emulator: RunningEmulator, tmp_path: Path
) -> None:
    # RED, square, set outside the tool and shown uncut; Slack's small square of it is a
    # JPEG whose pixels are stored turned, with orientation 6 and a mistyped tag.
    profile = await photo_whose_original_is(emulator, RED)
    shown = Image.open(io.BytesIO(RED)).convert("RGB").resize((192, 192))
    small_square_served(emulator, profile, jpeg(stored_for_orientation_6(shown), mistyped_exif(6)))
    async with history_tool(emulator, tmp_path / "history.sqlite3") as tool:
        result = await tool.run({"image": GREEN})
        assert result["ok"] is True, result
        (kept,) = await tool.history()
    # Turned upright, it is RED uncut: the original kept as it came.
    assert kept.byte_count == len(RED)


async def test_a_square_original_with_such_a_tag_is_compared_turned_and_kept_whole(
    emulator: RunningEmulator, tmp_path: Path
) -> None:
    # The person's own original (Slack keeps the upload as it came) is such a JPEG of RED;
    # Slack shows RED uncut.
    original = jpeg(stored_for_orientation_6(Image.open(io.BytesIO(RED))), mistyped_exif(6))
    await photo_whose_original_is(emulator, original)
    async with history_tool(emulator, tmp_path / "history.sqlite3") as tool:
        result = await tool.run({"image": GREEN})
        assert result["ok"] is True, result
        (kept,) = await tool.history()
    assert kept.byte_count == len(original)


async def test_the_emulator_shows_such_a_jpeg_sent_as_it_is_upright(
    emulator: RunningEmulator,
) -> None:
    # Another client (not this tool, which turns and writes it anew) sends the camera's file.
    upright_image = Image.new("RGB", (400, 400), (255, 0, 0))
    upright_image.paste((0, 0, 255), (0, 0, 200, 200))  # blue top-left, as a viewer shows it
    upload = jpeg(stored_for_orientation_6(upright_image), mistyped_exif(6))
    async with httpx.AsyncClient() as client:
        response = await set_photo(
            client, emulator, upload, filename="camera.jpg", content_type="image/jpeg"
        )
        profile = assert_success(response)
        _, shown = await fetch_image(client, profile["image_192"])
    rgb = shown.convert("RGB")
    assert near(rgb.getpixel((40, 40)), (0, 0, 255), tolerance=40)
    assert near(rgb.getpixel((150, 150)), (255, 0, 0), tolerance=40)


@pytest.mark.parametrize("error", [struct.error, KeyError, IndexError, TypeError, EOFError])
def test_any_error_telling_the_likeness_is_not_alike(
    monkeypatch: pytest.MonkeyPatch, error: type[Exception]
) -> None:
    def failing(data: bytes) -> Image.Image:
        raise error("a decoder's own error on a hostile download")

    monkeypatch.setattr(shown_whole_module, "_thumbnail", failing)
    assert shown_whole_module.shown_whole(RED, RED) is False


# The review of these changes (2026-12-06 17:10 UTC) ---------------------------------------

XMP_ORIENTATION_6 = (
    b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-'
    b'rdf-syntax-ns#"><rdf:Description xmlns:tiff="http://ns.adobe.com/tiff/1.0/" '
    b'tiff:Orientation="6"/></rdf:RDF></x:xmpmeta>'
)


def png_with_exif_before_and_xmp_after_the_pixels() -> bytes:
    """A PNG whose eXIf chunk (a camera's make, no orientation) comes before its pixels and
    whose XMP, after them, says orientation 6."""
    plain = io.BytesIO()
    Image.new("RGB", (40, 20), (200, 30, 30)).save(plain, format="PNG")
    data = plain.getvalue()
    exif = Image.Exif()
    exif[MAKE] = "Cam"
    early = png_chunk(b"eXIf", exif.tobytes().removeprefix(b"Exif\x00\x00"))
    late = png_chunk(b"iTXt", b"XML:com.adobe.xmp\x00\x00\x00\x00\x00" + XMP_ORIENTATION_6)
    after_header = 8 + 25  # the signature and IHDR
    end = data.rindex(b"IEND") - 4
    return data[:after_header] + early + data[after_header:end] + late + data[end:]


def test_an_orientation_after_a_pngs_pixels_is_read_as_the_crop_box_was_checked() -> None:
    # Without decoding first, Pillow reads no metadata after the pixels where an eXIf chunk
    # came before them: the emulator, --preview and undo's likeness showed it unturned,
    # while the tool checked the crop box against it turned (read_orientation: 6).
    data = png_with_exif_before_and_xmp_after_the_pixels()
    source = ImageSource("x", "x", len(data), data=data)
    with Image.open(io.BytesIO(data)) as picture:
        assert read_orientation(picture, source) == 6
    with Image.open(io.BytesIO(data)) as picture:
        assert upright_as_shown(picture).size == (20, 40)
    with Image.open(io.BytesIO(data)) as picture:
        assert ImageOps.exif_transpose(picture).size == (20, 40)


def test_a_tiff_pillow_turns_as_it_decodes_is_not_turned_again() -> None:
    buffer = io.BytesIO()
    Image.new("RGB", (40, 20), (200, 30, 30)).save(buffer, format="TIFF", tiffinfo={ORIENTATION: 6})
    with Image.open(io.BytesIO(buffer.getvalue())) as picture:
        assert upright(picture).size == (20, 40)


@pytest.mark.parametrize("orientation", [0, 9, 65535])
def test_an_orientation_out_of_range_turns_nothing(orientation: int) -> None:
    exif = Image.Exif()
    exif[ORIENTATION] = orientation
    data = jpeg(Image.new("RGB", (40, 20)), exif.tobytes())
    source = ImageSource("x", "x", len(data), data=data)
    with Image.open(io.BytesIO(data)) as picture:
        assert read_orientation(picture, source) == 1
        assert upright_as_shown(picture).size == (40, 20)


def test_exif_that_cannot_be_read_turns_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    data = jpeg(Image.new("RGB", (40, 20)), mistyped_exif(6))
    with Image.open(io.BytesIO(data)) as picture:

        def unreadable() -> Image.Exif:
            raise SyntaxError("not an EXIF block Pillow reads")

        monkeypatch.setattr(picture, "getexif", unreadable)
        assert upright_as_shown(picture).size == (40, 20)


def test_an_orientation_stored_as_a_float_turns_nothing() -> None:
    """The standard stores the orientation as a SHORT; written as a FLOAT (6.0), it is read
    as no orientation, as browsers read it (Pillow's exif_transpose would turn it)."""
    exif = Image.Exif()
    exif[ORIENTATION] = 6
    written = exif.tobytes()
    order = ">" if written.startswith(b"Exif\x00\x00MM") else "<"
    as_short = struct.pack(f"{order}HHLH", ORIENTATION, 3, 1, 6) + b"\x00\x00"
    assert written.count(as_short) == 1, written
    as_float = struct.pack(f"{order}HHLf", ORIENTATION, 11, 1, 6.0)
    data = jpeg(Image.new("RGB", (40, 20)), written.replace(as_short, as_float))
    source = ImageSource("x", "x", len(data), data=data)
    with Image.open(io.BytesIO(data)) as picture:
        assert picture.getexif().get(ORIENTATION) == 6.0  # the float, read
        assert read_orientation(picture, source) == 1
        assert upright_as_shown(picture).size == (40, 20)
