"""Three image cases a reading of the image checks found wrong (the review of 2026-12-06):

- a TIFF whose orientation is in its XMP only: Pillow turns it as it decodes it, but
  reports its size unturned at open, so the size, the crop box's checks and the square cut
  were the unturned picture's (a box past the picture's edge went to Slack: bad_image);
- colour profiles (iCCP) after a PNG's pixels, each decompressed by Pillow as it decodes
  the pixels: 30,000 of them in a 30 MB file held the one conversion thread 20 s;
- a progressive JPEG with a phone's motion-photo clip after its end: the clip's bytes were
  counted as scans (0xFF 0xDA stands in compressed video about every 64 KiB), and the
  photo refused as having more than 100.
"""

from __future__ import annotations

import io
import random
import struct
import time
import zlib
from collections.abc import AsyncIterator

import pytest
from PIL import Image, TiffImagePlugin

from ocp_users_photo import InvalidArguments, UsersSetPhoto
from ocp_users_photo.images.source import ImageSource
from ocp_users_photo.images.structure import MAX_JPEG_SCANS, structure_problem

TOKEN = "xoxp-1234567890-1234567890123-0123456789abcdef0123456789abcdef"
XMP_TURNED_6 = (
    b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF '
    b'xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"><rdf:Description rdf:about="" '
    b'xmlns:tiff="http://ns.adobe.com/tiff/1.0/" tiff:Orientation="6"/></rdf:RDF></x:xmpmeta>'
)
RED = (255, 0, 0)
BLUE = (0, 0, 255)


@pytest.fixture
async def tool() -> AsyncIterator[UsersSetPhoto]:
    async with UsersSetPhoto(TOKEN, base_url="http://127.0.0.1:9/api", environ={}) as made:
        yield made


def _tiff_turned_by_xmp_only() -> bytes:
    """600x800 as stored, a blue band along its stored top; XMP says turn it (6): upright it
    is 800x600, the band down its right side."""
    picture = Image.new("RGB", (600, 800), RED)
    picture.paste(BLUE, (0, 0, 600, 100))
    tags = TiffImagePlugin.ImageFileDirectory_v2()
    tags[700] = XMP_TURNED_6
    tags.tagtype[700] = 1
    out = io.BytesIO()
    picture.save(out, format="TIFF", tiffinfo=tags)
    return out.getvalue()


async def test_a_tiff_turned_by_xmp_alone_is_sized_and_cut_upright(tool: UsersSetPhoto) -> None:
    data = _tiff_turned_by_xmp_only()
    with pytest.raises(InvalidArguments) as refused:
        await tool.prepare({"image": data, "crop_x": 0, "crop_y": 200, "crop_w": 600})
    assert "crop_y 200 + crop_w 600 > height 600" in str(refused.value)

    async with tool.prepare({"image": data, "crop_x": 200, "crop_y": 0, "crop_w": 600}) as upload:
        assert (upload.image.width, upload.image.height) == (800, 600)
        converted = upload.image.source.data
        assert converted is not None  # converted: held in memory
        sent = Image.open(io.BytesIO(converted)).convert("RGB")
    # Slack cuts the box from what it got: the box's square, as a viewer sees the photo.
    box = upload.image.crop_box
    assert box is not None
    square = sent.crop((box.x, box.y, box.x + box.width, box.y + box.width))
    assert square.size == (600, 600)
    assert square.getpixel((10, 300)) == RED  # the upright picture's middle
    assert square.getpixel((590, 300)) == BLUE  # its right edge: the stored top
    assert square.getpixel((490, 300)) == RED


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def _png_with_profiles_after_pixels(count: int) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (1100, 1100), RED).save(out, format="PNG")  # scaled down: decoded
    png = out.getvalue()
    profile = _chunk(b"iCCP", b"p\x00\x00" + zlib.compress(b"\x00" * (1024 * 1024 - 1), 9))
    return png[:-12] + profile * count + png[-12:]  # between the pixels and IEND


async def test_many_colour_profiles_after_a_pngs_pixels_are_refused_at_once(
    tool: UsersSetPhoto,
) -> None:
    data = _png_with_profiles_after_pixels(3000)
    started = time.monotonic()
    with pytest.raises(InvalidArguments) as refused:
        await tool.prepare({"image": data})
    assert time.monotonic() - started < 1.0  # 3,000 profiles decompressed took about 2 s
    assert "more than 4 colour profiles (iCCP chunks" in str(refused.value)


async def test_one_colour_profile_after_the_pixels_is_still_read(tool: UsersSetPhoto) -> None:
    async with tool.prepare({"image": _png_with_profiles_after_pixels(1)}) as upload:
        assert (upload.image.width, upload.image.height) == (1024, 1024)


def test_many_colour_profiles_before_a_pngs_pixels_are_refused() -> None:
    out = io.BytesIO()
    Image.new("RGB", (600, 600), RED).save(out, format="PNG")
    png = out.getvalue()
    profile = _chunk(b"iCCP", b"p\x00\x00" + zlib.compress(b"\x00" * 1000))
    header_end = 8 + 25  # the signature, then IHDR
    data = png[:header_end] + profile * 5 + png[header_end:]
    source = ImageSource(label="test", filename_stem="image", byte_count=len(data), data=data)
    problem = structure_problem(source, 100)
    assert problem is not None
    assert "more than 4 colour profiles" in problem


def _progressive_jpeg() -> bytes:
    out = io.BytesIO()
    Image.effect_noise((800, 800), 50).convert("RGB").save(
        out, format="JPEG", progressive=True, quality=90
    )
    return out.getvalue()


async def test_a_progressive_jpeg_with_a_clip_after_its_end_is_sent_as_it_is(
    tool: UsersSetPhoto,
) -> None:
    jpeg = _progressive_jpeg()
    clip = random.Random(7).randbytes(8 * 1024 * 1024)  # compressed video's bytes, in effect
    assert clip.count(b"\xff\xda") > MAX_JPEG_SCANS
    async with tool.prepare({"image": jpeg + clip}) as upload:
        assert upload.summary()["bytes"] == len(jpeg) + len(clip)
        assert upload.summary()["format"] == "JPEG"


def test_scans_hidden_past_the_walks_bound_are_still_counted() -> None:
    """Past the bound on segments walked (1,000: comments here), the rest of the file is
    counted as before, wherever 0xFF 0xDA stands."""
    frame = b"\xff\xc2\x00\x0b\x08\x00\x10\x00\x10\x01\x01\x11\x00"  # SOF2, 16x16 grey
    scan = b"\xff\xda\x00\x08\x01\x01\x00\x00\x3f\x00" + b"\x00"
    comments = b"\xff\xfe\x00\x04ab" * 1000
    data = b"\xff\xd8" + frame + scan + comments + scan * MAX_JPEG_SCANS + b"\xff\xd9"
    source = ImageSource(label="test", filename_stem="image", byte_count=len(data), data=data)
    problem = structure_problem(source, 100)
    assert problem is not None
    assert f"more than {MAX_JPEG_SCANS} scans" in problem


def test_scans_after_a_marker_with_no_length_are_counted() -> None:
    """TEM (0xFF 0x01) has no length after it, and libjpeg goes on at once: read as a
    length, its next two bytes (0xFE 0xFE) jumped the walk over 65,278 bytes of scans that
    libjpeg decodes (found by the review of the fixes: 19,587 scans in 258 KB, 17 s)."""
    frame = b"\xff\xc2\x00\x0b\x08\x00\x10\x00\x10\x01\x01\x11\x00"  # SOF2, 16x16 grey
    scan = b"\xff\xda\x00\x08\x01\x01\x00\x00\x3f\x00" + b"\x00"
    data = b"\xff\xd8" + frame + scan + b"\xff\x01\xfe\xfe" + scan * MAX_JPEG_SCANS + b"\xff\xd9"
    source = ImageSource(label="test", filename_stem="image", byte_count=len(data), data=data)
    problem = structure_problem(source, 100)
    assert problem is not None
    assert f"more than {MAX_JPEG_SCANS} scans" in problem
