"""Hostile images that would cost far more time or memory than their size suggests.

Each builds a small file with Pillow, struct and zlib, hands it to ``prepare`` and
expects a refusal by the structure checks (images/structure.py, images/tiff_structure.py)
before Pillow parses anything, where Pillow alone took seconds or gigabytes: JPEG segments
and scans, PNG chunks, GIF frames, TIFF and BigTIFF strips, tiles and directory entries,
RLE-compressed BMPs. No test here is timed: that Pillow never opened the file is what
makes the refusal cheap, and ``benchmarks/hostile_images.py`` measures what the costliest
images within the caps take.
"""

from __future__ import annotations

import base64
import io
import json
import struct
import subprocess
import sys
import zlib
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest
from PIL import Image, TiffImagePlugin

from ocp_users_photo import InvalidArguments, UsersSetPhoto
from ocp_users_photo.images.source import ImageSource
from ocp_users_photo.images.structure import (
    MAX_BMP_RLE_BYTES,
    MAX_JPEG_SEGMENTS,
    structure_problem,
)
from tests.conftest import CANARY_TOKEN

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
async def checker() -> AsyncIterator[UsersSetPhoto]:
    async with UsersSetPhoto(CANARY_TOKEN, environ={}) as tool:
        yield tool


async def outcome(tool: UsersSetPhoto, image: object) -> tuple[int, list[str] | None]:
    """How many times Pillow opened the bytes (its header parse is where these files cost
    seconds), and the refusal's messages (None when accepted)."""
    opened = 0
    pillows_open = Image.open

    def counting_open(*arguments: Any, **options: Any) -> Image.Image:
        nonlocal opened
        opened += 1
        return pillows_open(*arguments, **options)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(Image, "open", counting_open)
        try:
            upload = await tool.prepare({"image": image})
        except InvalidArguments as refused:
            return opened, [p.message for p in refused.problems]
    upload.close()
    return opened, None


def png_chunk(kind: bytes, payload: bytes) -> bytes:
    crc = zlib.crc32(kind + payload) & 0xFFFFFFFF
    return struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", crc)


def encoded(picture: Image.Image, fmt: str, **options: object) -> bytes:
    buffer = io.BytesIO()
    picture.save(buffer, format=fmt, **options)
    return buffer.getvalue()


# --- 1. A JPEG of a million empty APP segments: Pillow's marker loop, one Python step each.


def million_app_segments_jpeg() -> bytes:
    """A 600x600 JPEG with a million empty APP5 segments after its start (4 MB)."""
    jpeg = encoded(Image.new("RGB", (600, 600), (1, 2, 3)), "JPEG")
    return jpeg[:2] + b"\xff\xe5\x00\x02" * 1_000_000 + jpeg[2:]


async def test_a_jpeg_of_a_million_empty_app_segments_is_refused_fast(
    checker: UsersSetPhoto,
) -> None:
    # 4 MB; the 32 MB cap allows 8 million: 24 s and 1.2 GB of memory, then accepted.
    image = million_app_segments_jpeg()
    opened, messages = await outcome(checker, image)
    assert messages is not None, "accepted"
    assert opened == 0, "Pillow parsed it before the refusal"


# --- 2. A PNG of 700,000 empty ancillary chunks before its image data.


def endless_chunks_png() -> bytes:
    """A 600x600 PNG with 700,000 empty private chunks before its pixels (8 MB)."""
    png = encoded(Image.new("RGB", (600, 600), (1, 2, 3)), "PNG")
    return png[:33] + png_chunk(b"prVt", b"") * 700_000 + png[33:]


async def test_a_png_of_endless_chunks_before_its_pixels_is_refused_fast(
    checker: UsersSetPhoto,
) -> None:
    # 8 MB; at the 32 MB cap (2.7 million chunks): 15-16 s, 380 MB when the chunks are
    # private (Pillow keeps each in private_chunks), then sent to Slack as it is.
    image = endless_chunks_png()
    opened, messages = await outcome(checker, image)
    assert messages is not None, "accepted"
    assert opened == 0, "Pillow parsed it before the refusal"


# --- 3. A progressive JPEG with thousands of scans (a scan bomb).


def progressive_with_extra_scans(side: int, extra_scans: int) -> bytes:
    """A flat progressive JPEG, with its smallest scans (12 bytes each) repeated."""
    jpeg = encoded(Image.new("RGB", (side, side), (120, 130, 140)), "JPEG", progressive=True)
    position, scans = 2, []
    while jpeg[position + 1] != 0xD9:
        length = struct.unpack(">H", jpeg[position + 2 : position + 4])[0]
        end = position + 2 + length
        if jpeg[position + 1] == 0xDA:  # the scan's entropy-coded data runs to the next marker
            while not (jpeg[end] == 0xFF and jpeg[end + 1] not in (0, *range(0xD0, 0xD8))):
                end += 1
            scans.append(jpeg[position:end])
        position = end
    small = [scan for scan in scans if len(scan) < 64]
    assert small
    return jpeg[:-2] + b"".join(small) * (extra_scans // len(small)) + b"\xff\xd9"


async def test_a_progressive_jpeg_of_thousands_of_scans_is_refused_fast(
    checker: UsersSetPhoto,
) -> None:
    # 100 KB, scaled (so decoded): ~4 s; 248 KB (20,000 scans) took 9 s, and the cost
    # grows with the number of scans times the image's blocks (minutes within the caps).
    image = progressive_with_extra_scans(1100, 8000)
    assert len(image) < 110_000
    opened, messages = await outcome(checker, image)
    assert messages is not None, "accepted"
    assert opened == 0, "Pillow parsed it before the refusal"


# --- 4. A GIF whose second frame reaches far outside its logical screen.


def gif_with_a_huge_second_frame(screen: int, frame_side: int) -> bytes:
    """A screen x screen GIF; its second frame, flat, is frame_side x frame_side."""
    first = encoded(Image.new("P", (screen, screen), 1), "GIF")[:-1]  # without the trailer
    big = encoded(Image.new("P", (frame_side, frame_side), 1), "GIF")
    position = 13 + (3 * (2 << (big[10] & 7)) if big[10] & 0x80 else 0)
    while big[position : position + 1] == b"!":  # past the extensions to the image descriptor
        position += 2
        while big[position]:
            position += big[position] + 1
        position += 1
    control = b"\x21\xf9\x04\x00\x0a\x00\x00\x00"
    return first + control + big[position:-1] + b";"


_MEASURE = """
import asyncio, base64, json, sys, time
from ocp_users_photo import InvalidArguments, UsersSetPhoto
image = base64.b64decode(sys.stdin.read())
async def main():
    async with UsersSetPhoto(sys.argv[1], environ={}) as tool:
        try:
            (await tool.prepare({"image": image})).close()
            accepted = True
        except InvalidArguments:
            accepted = False
    # VmHWM, not ru_maxrss: Linux carries ru_maxrss over exec from the parent (a pytest
    # worker of hundreds of MB); VmHWM is this program's own peak.
    with open("/proc/self/status") as status:
        peak = next(int(line.split()[1]) for line in status if line.startswith("VmHWM")) // 1024
    print(json.dumps({"accepted": accepted, "peak_mb": peak}))
asyncio.run(main())
"""


def test_a_gif_frame_outside_its_screen_does_not_cost_a_gigabyte() -> None:
    # 62 KB: a 1100x1100 GIF (scaled, so decoded) whose second frame is 9000x9000:
    # Pillow grows the canvas to 9000x9000 RGBA as it seeks; ~1 GB and 2 s today
    # (13000x13000: 127 KB, 2.1 GB, 5 s). The pixel budget only saw 1100x1100 x 2 frames.
    image = gif_with_a_huge_second_frame(1100, 9000)
    assert len(image) < 70_000
    ran = subprocess.run(
        [sys.executable, "-c", _MEASURE, CANARY_TOKEN],
        input=base64.b64encode(image).decode(),
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,
        check=True,
    )
    measured = json.loads(ran.stdout.strip().splitlines()[-1])
    assert measured["peak_mb"] < 300, measured


# --- 4b. An RLE-compressed BMP: Pillow decodes it in Python, a step per code and, at a
# row's early end, a step per pixel.


def bmp_rle8(width: int, height: int, codes: bytes) -> bytes:
    """An 8-bit bitmap of 256 colours, its pixels the RLE8 ``codes``."""
    palette = b"".join(struct.pack("<BBBB", i, 255 - i, i // 2, 0) for i in range(256))
    info = struct.pack("<IiiHHIIiiII", 40, width, height, 1, 8, 1, len(codes), 2835, 2835, 256, 0)
    offset = 14 + len(info) + len(palette)
    head = b"BM" + struct.pack("<IHHI", offset + len(codes), 0, 0, offset)
    return head + info + palette + codes


def _rle8_rows(width: int, height: int) -> bytes:
    """Each row one run of its width, as an encoder writes a flat picture."""
    row = b"\xff\x07" * (width // 255) + bytes([width % 255, 0x07]) + b"\x00\x00"
    return row * height + b"\x00\x01"


async def test_an_rle_bmp_too_large_to_decode_fast_is_refused_fast(
    checker: UsersSetPhoto,
) -> None:
    # 13 KB: a pixel then end-of-line on each of 3000 rows (Pillow pads each row a byte a
    # step): 2.8 s, accepted; 65535x762 in 4 KB took 14 s and 275 MiB.
    hostile = bmp_rle8(3000, 3000, b"\x01\x05\x00\x00" * 3000 + b"\x00\x01")
    opened, messages = await outcome(checker, hostile)
    assert messages is not None, "accepted"
    assert any("RLE8" in message and "save it as a PNG" in message for message in messages)
    assert opened == 0, "Pillow parsed it before the refusal"


async def test_an_rle_bmp_of_many_codes_is_refused(checker: UsersSetPhoto) -> None:
    # Codes that draw nothing (a move by 0,0) cost a step each: 4 MB of them, 0.8 s.
    codes = b"\x00\x02\x00\x00" * 300_000 + _rle8_rows(600, 600)
    _, messages = await outcome(checker, bmp_rle8(600, 600, codes))
    assert messages is not None
    assert any("save it as a PNG" in message for message in messages)


async def test_an_rle_bmp_within_the_caps_is_converted(checker: UsersSetPhoto) -> None:
    _, messages = await outcome(checker, bmp_rle8(2048, 1024, _rle8_rows(2048, 1024)))
    assert messages is None


def costliest_rle_bmp() -> bytes:
    """Rows ending after one pixel (a step per pixel padded), after codes that draw nothing
    filling the byte cap."""
    rows = b"\x01\x05\x00\x00" * 1023 + b"\x00\x01"
    room = MAX_BMP_RLE_BYTES - (14 + 40 + 1024) - len(rows) - 8
    codes = b"\x01\x05" + b"\x05\x01" * (room // 2) + b"\x00\x00" + rows
    return bmp_rle8(2048, 1024, codes)


async def test_the_costliest_rle_bmp_within_the_caps_is_converted(
    checker: UsersSetPhoto,
) -> None:
    # The caps allow it; benchmarks/hostile_images.py measures what it costs (0.75 s when
    # the caps were chosen).
    image = costliest_rle_bmp()
    assert len(image) <= MAX_BMP_RLE_BYTES
    opened, messages = await outcome(checker, image)
    assert messages is None
    assert opened == 1


# --- 5. Base64 with a padding mistake is called a missing file, or "not base64".


@pytest.mark.parametrize(
    "mangle",
    [
        pytest.param(lambda text: text.rstrip("=") + "===", id="three-pad-characters"),
        pytest.param(lambda text: text[:100] + "=" + text[100:], id="pad-in-the-middle"),
        pytest.param(lambda text: text + "\n" + text, id="two-texts-joined"),
    ],
)
async def test_base64_with_bad_padding_is_called_malformed_base64(
    checker: UsersSetPhoto, mangle: object
) -> None:
    png = encoded(Image.new("RGB", (600, 600), (1, 2, 3)), "PNG")
    text = mangle(base64.b64encode(png).decode())  # type: ignore[operator]
    _, messages = await outcome(checker, text)
    assert messages is not None
    assert any("base64" in m and "malformed" in m for m in messages), messages


# --- What encoders write passes the structure checks untouched.


def _source(data: bytes) -> ImageSource:
    return ImageSource(label="test", filename_stem="test", byte_count=len(data), data=data)


def _legitimate_images() -> dict[str, bytes]:
    picture = Image.new("RGB", (640, 480), (10, 120, 200))
    frames = [Image.new("P", (64, 64), color) for color in range(5)]
    animated = io.BytesIO()
    frames[0].save(animated, format="GIF", save_all=True, append_images=frames[1:])
    with_text = encoded(picture, "PNG", pnginfo=_png_text(200))
    return {
        "baseline JPEG with EXIF": encoded(picture, "JPEG", exif=Image.Exif()),
        "progressive JPEG": encoded(picture, "JPEG", progressive=True, quality=90),
        "optimized progressive JPEG": encoded(picture, "JPEG", progressive=True, optimize=True),
        "PNG with 200 text chunks": with_text,
        "animated GIF": animated.getvalue(),
        "APNG": encoded(picture, "PNG", save_all=True, append_images=[picture.rotate(90)]),
        "TIFF": encoded(picture, "TIFF"),
        "TIFF, deflate": encoded(picture, "TIFF", compression="tiff_deflate"),
        "BigTIFF": encoded(picture, "TIFF", big_tiff=True),
        "TIFF, LZW, two pages": encoded(
            picture, "TIFF", compression="tiff_lzw", save_all=True, append_images=[picture]
        ),
    }


def _png_text(count: int) -> object:
    from PIL import PngImagePlugin

    info = PngImagePlugin.PngInfo()
    for number in range(count):
        info.add_text(f"key{number}", "value")
    return info


@pytest.mark.parametrize("name", list(_legitimate_images()))
def test_what_encoders_write_passes_the_structure_checks(name: str) -> None:
    data = _legitimate_images()[name]
    assert structure_problem(_source(data), max_frames=100) is None
    # Cut short anywhere, it is left to Pillow and the completeness check, not refused here.
    for cut in (10, len(data) // 2, len(data) - 1):
        assert structure_problem(_source(data[:cut]), max_frames=100) is None


def test_the_limits_are_counted_exactly() -> None:
    jpeg = encoded(Image.new("RGB", (64, 64)), "JPEG")
    segments = b"\xff\xe5\x00\x02"
    at_most = jpeg[:2] + segments * (MAX_JPEG_SEGMENTS - 10) + jpeg[2:]
    assert structure_problem(_source(at_most), max_frames=100) is None
    too_many = jpeg[:2] + segments * MAX_JPEG_SEGMENTS + jpeg[2:]
    problem = structure_problem(_source(too_many), max_frames=100)
    assert problem is not None
    assert f"more than {MAX_JPEG_SEGMENTS} segments" in problem


# --- TIFF strips and tiles, and an animated PNG's chunks between its frames.

_SHORT, _LONG = 3, 4


def _tiff(
    entries: list[tuple[int, int, int, int]], after_ifd: bytes, *, in_order: bool = False
) -> bytes:
    """A little-endian TIFF: one IFD at offset 8 (entries: tag, type, count, value; sorted
    by tag unless ``in_order``, which keeps a tag listed twice where it was), then
    ``after_ifd``."""
    return _tiff_in(b"II*\0", entries, after_ifd, in_order=in_order)


def _tiff_in(
    head: bytes,
    entries: list[tuple[int, int, int, int]],
    after_ifd: bytes,
    *,
    in_order: bool = False,
) -> bytes:
    """``_tiff`` with the byte order ``head`` names ("II" little-endian, "MM" big)."""
    order = "<" if head.startswith(b"II") else ">"
    ifd = struct.pack(order + "H", len(entries))
    for tag, kind, count, value in entries if in_order else sorted(entries):
        packed = struct.pack(order + ("H" if kind == _SHORT and count == 1 else "L"), value)
        ifd += struct.pack(order + "HHL", tag, kind, count) + packed.ljust(4, b"\0")
    return head + struct.pack(order + "L", 8) + ifd + struct.pack(order + "L", 0) + after_ifd


def _gray_1024(compression: int = 1) -> list[tuple[int, int, int, int]]:
    return [
        (256, _LONG, 1, 1024),  # ImageWidth
        (257, _LONG, 1, 1024),  # ImageLength
        (258, _SHORT, 1, 8),  # BitsPerSample
        (259, _SHORT, 1, compression),
        (262, _SHORT, 1, 1),  # PhotometricInterpretation: black is zero
        (277, _SHORT, 1, 1),  # SamplesPerPixel
    ]


def tiff_with_strip_offsets(count: int, head: bytes = b"II*\0") -> bytes:
    """An uncompressed 1024x1024 grey TIFF listing ``count`` strips (1,024 is right), all
    reading the same 1,024 bytes. Pillow makes a tile per offset, then decodes each."""
    entries = _gray_1024()
    data = 8 + 2 + 12 * (len(entries) + 3) + 4
    entries += [
        (273, _LONG, count, data),  # StripOffsets
        (278, _LONG, 1, 1),  # RowsPerStrip
        (279, _LONG, count, data + 4 * count),  # StripByteCounts
    ]
    order = "<" if head.startswith(b"II") else ">"
    arrays = struct.pack(order + "L", 0) * count + struct.pack(order + "L", 1024) * count
    return _tiff_in(head, entries, arrays)


def tiff_with_tile_offsets(count: int) -> bytes:
    """An uncompressed 1024x1024 grey TIFF of 16x16 tiles listing ``count`` tiles (4,096 is
    right), all reading the same 256 bytes."""
    entries = _gray_1024()
    data = 8 + 2 + 12 * (len(entries) + 4) + 4
    entries += [
        (322, _LONG, 1, 16),  # TileWidth
        (323, _LONG, 1, 16),  # TileLength
        (324, _LONG, count, data),  # TileOffsets
        (325, _LONG, count, data + 4 * count),  # TileByteCounts
    ]
    return _tiff(entries, struct.pack("<L", 0) * count + struct.pack("<L", 256) * count)


# --- 1. A TIFF listing far more strips than its height holds: a Python step per strip.


async def test_a_tiff_listing_400_000_strips_is_refused_fast(checker: UsersSetPhoto) -> None:
    # 3.2 MB: 4.2 s, then accepted. At the 32 MB cap (4 million strips): 44 s and 1.4 GB.
    image = tiff_with_strip_offsets(400_000)
    assert len(image) < 3_300_000
    opened, messages = await outcome(checker, image)
    assert messages is not None, "accepted"
    assert opened == 0, "Pillow parsed it before the refusal"


# Every classic head Pillow's TIFF reader takes: the two written ones, the magic number's
# bytes swapped in either order, and "MM\0+", which it reads as classic (only the third
# byte decides BigTIFF). A head the walk did not know left the strips uncounted (1.9 s,
# then converted and sent).
@pytest.mark.parametrize("head", [b"II*\0", b"II\0*", b"MM\0*", b"MM*\0", b"MM\0+"])
async def test_every_classic_tiff_head_pillow_reads_has_its_strips_counted(
    checker: UsersSetPhoto, head: bytes
) -> None:
    from PIL import Image

    assert head in TiffImagePlugin.PREFIXES
    with Image.open(io.BytesIO(tiff_with_strip_offsets(1024, head))) as fair:
        assert (fair.format, fair.size) == ("TIFF", (1024, 1024))
    opened, messages = await outcome(checker, tiff_with_strip_offsets(400_000, head))
    assert messages is not None, "accepted"
    assert opened == 0, "Pillow parsed it before the refusal"


# --- 2. The same with tiles.


async def test_a_tiff_listing_300_000_tiles_is_refused_fast(checker: UsersSetPhoto) -> None:
    # 2.4 MB: ~3 s, then accepted. 16 MB (2 million tiles): 21 s and 700 MB.
    image = tiff_with_tile_offsets(300_000)
    opened, messages = await outcome(checker, image)
    assert messages is not None, "accepted"
    assert opened == 0, "Pillow parsed it before the refusal"


# --- 2b. The same strips listed where the count missed them: in a BigTIFF, in a second copy
# of the tag (Pillow keeps the first), or beside tile tags (Pillow uses the strips).


def _strip_arrays(count: int) -> bytes:
    return struct.pack("<L", 0) * count + struct.pack("<L", 1024) * count


def _bigtiff(entries: list[tuple[int, int, int, int]], after_ifd: bytes) -> bytes:
    """A little-endian BigTIFF ('II+'): one IFD at offset 16 of 20-byte entries, then
    ``after_ifd``."""
    ifd = [struct.pack("<Q", len(entries))]
    for tag, kind, count, value in entries:
        packed = struct.pack("<H" if kind == _SHORT and count == 1 else "<L", value)
        ifd.append(struct.pack("<HHQ", tag, kind, count) + packed.ljust(8, b"\0"))
    header = b"II+\0" + struct.pack("<HHQ", 8, 0, 16)
    return header + b"".join(ifd) + struct.pack("<Q", 0) + after_ifd


def bigtiff_with_strip_offsets(count: int) -> bytes:
    entries = _gray_1024()
    data = 16 + 8 + 20 * (len(entries) + 3) + 8
    entries += [
        (273, _LONG, count, data),
        (278, _LONG, 1, 1),
        (279, _LONG, count, data + 4 * count),
    ]
    return _bigtiff(entries, _strip_arrays(count))


def tiff_with_a_second_strip_list(count: int) -> bytes:
    """StripOffsets listed twice: ``count`` strips first (the copy Pillow keeps), then 1,024."""
    entries = _gray_1024()
    data = 8 + 2 + 12 * (len(entries) + 5) + 4
    entries += [
        (273, _LONG, count, data),
        (278, _LONG, 1, 1),
        (279, _LONG, count, data + 4 * count),
        (273, _LONG, 1024, data),
        (279, _LONG, 1024, data + 4 * count),
    ]
    return _tiff(entries, _strip_arrays(count), in_order=True)


def tiff_with_tiles_beside_strips(count: int) -> bytes:
    """The right 4,096 16x16 tiles, beside ``count`` strips (which Pillow uses)."""
    entries = _gray_1024()
    data = 8 + 2 + 12 * (len(entries) + 7) + 4
    entries += [
        (273, _LONG, count, data),
        (278, _LONG, 1, 1),
        (279, _LONG, count, data + 4 * count),
        (322, _LONG, 1, 16),
        (323, _LONG, 1, 16),
        (324, _LONG, 4096, data),
        (325, _LONG, 4096, data + 4 * count),
    ]
    return _tiff(entries, _strip_arrays(count))


@pytest.mark.filterwarnings("ignore::UserWarning")  # Pillow's on the tile tags it skips
@pytest.mark.parametrize(
    "make",
    [bigtiff_with_strip_offsets, tiff_with_a_second_strip_list, tiff_with_tiles_beside_strips],
)
async def test_a_tiff_of_150_000_strips_is_refused_fast_however_it_lists_them(
    checker: UsersSetPhoto, make: Callable[[int], bytes]
) -> None:
    # 1.2 MB: each was accepted after ~3 s; at 32 MB (4 million strips), 83-89 s and 1.4 GB.
    opened, messages = await outcome(checker, make(150_000))
    assert messages is not None, "accepted"
    assert any("150000 strips" in message for message in messages), messages
    assert opened == 0, "Pillow parsed it before the refusal"


async def test_a_bigtiff_directory_of_100_000_entries_is_refused_before_pillow_reads_it(
    checker: UsersSetPhoto,
) -> None:
    # Pillow loads every entry in Python: 1.5 million (30 MB) took 3.9 s.
    strip = [(273, _LONG, 1, 0), (278, _LONG, 1, 1024), (279, _LONG, 1, 1 << 20)]
    padding = [(40000 + number % 20000, _SHORT, 1, 7) for number in range(100_000)]
    image = _bigtiff([*_gray_1024(), *strip, *padding], bytes(1 << 20))
    opened, messages = await outcome(checker, image)
    assert messages is not None, "accepted"
    assert any("100009 entries" in message for message in messages), messages
    assert opened == 0, "Pillow parsed it before the refusal"


def tiff_with_strips_on_its_second_page(count: int) -> bytes:
    """A right 1024x1024 first page, then a second listing ``count`` one-row strips."""

    def directory(entries: list[tuple[int, int, int, int]], next_offset: int) -> bytes:
        packed = struct.pack("<H", len(entries))
        for tag, kind, number, value in entries:
            field = struct.pack("<H" if kind == _SHORT and number == 1 else "<L", value)
            packed += struct.pack("<HHL", tag, kind, number) + field.ljust(4, b"\0")
        return packed + struct.pack("<L", next_offset)

    size = 2 + 12 * 9 + 4
    second, arrays = 8 + size, 8 + 2 * size
    pixels = arrays + 8 * count
    first_page = [(273, _LONG, 1, pixels), (278, _LONG, 1, 1024), (279, _LONG, 1, 1 << 20)]
    second_page = [(273, _LONG, count, arrays), (278, _LONG, 1, 1), (279, _LONG, count, pixels)]
    return (
        b"II*\0"
        + struct.pack("<L", 8)
        + directory([*_gray_1024(), *first_page], second)
        + directory([*_gray_1024(), *second_page], 0)
        + struct.pack("<L", pixels) * count
        + struct.pack("<L", 1024) * count
        + bytes(1 << 20)
    )


async def test_a_tiffs_second_page_costs_nothing_only_the_first_is_read(
    checker: UsersSetPhoto,
) -> None:
    # Neither Pillow's open nor frames.py walks a TIFF's pages: counting them would cost
    # the second page's 400,000 strips (4 million within the 32 MB cap: 0.1 s all told).
    pages: list[int] = []
    pillows_seek = TiffImagePlugin.TiffImageFile._seek

    def recording_seek(picture: TiffImagePlugin.TiffImageFile, frame: int) -> None:
        pages.append(frame)
        pillows_seek(picture, frame)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(TiffImagePlugin.TiffImageFile, "_seek", recording_seek)
        opened, messages = await outcome(checker, tiff_with_strips_on_its_second_page(400_000))
    assert messages is None
    assert opened == 1
    assert max(pages, default=0) == 0, pages  # the first page only


async def test_a_bigtiff_as_encoders_write_it_is_converted(checker: UsersSetPhoto) -> None:
    image = encoded(Image.new("RGB", (700, 600), (10, 120, 200)), "TIFF", big_tiff=True)
    assert image.startswith(b"II+\0")
    _, messages = await outcome(checker, image)
    assert messages is None


# --- 3. An APNG with endless empty chunks between two frames: structure.py counts only
# the chunks before the first image data, png_metadata.py stops at the next frame, and
# Pillow's seek to the next frame reads every chunk in Python.


def _png_chunk(kind: bytes, payload: bytes) -> bytes:
    crc = zlib.crc32(kind + payload) & 0xFFFFFFFF
    return struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", crc)


def apng_with_chunks_between_frames(side: int, empty_chunks: int) -> bytes:
    """A 3-frame APNG of ``side`` x ``side`` with ``empty_chunks`` empty ancillary chunks
    after the second frame."""
    rows = b"".join(b"\0" + b"\x10\x20\x30" * side for _ in range(side))
    pixels = zlib.compress(rows, 9)
    out = b"\x89PNG\r\n\x1a\n"
    out += _png_chunk(b"IHDR", struct.pack(">IIBBBBB", side, side, 8, 2, 0, 0, 0))
    out += _png_chunk(b"acTL", struct.pack(">II", 3, 0))
    sequence = 0
    for frame in range(3):
        control = struct.pack(">IIIIIHHBB", sequence, side, side, 0, 0, 1, 10, 0, 0)
        out += _png_chunk(b"fcTL", control)
        sequence += 1
        if frame == 0:
            out += _png_chunk(b"IDAT", pixels)
        else:
            out += _png_chunk(b"fdAT", struct.pack(">I", sequence) + pixels)
            sequence += 1
        if frame == 1:
            out += _png_chunk(b"abCd", b"") * empty_chunks
    return out + _png_chunk(b"IEND", b"")


async def test_an_apng_of_endless_chunks_between_frames_is_refused_fast(
    checker: UsersSetPhoto,
) -> None:
    # 1100x1100, so it is scaled and every frame decoded. 6 MB: 3.3 s, then accepted
    # (0.3 s without the chunks). At the 32 MB cap (2.7 million chunks): 12.6 s, 434 MB.
    image = apng_with_chunks_between_frames(1100, 500_000)
    opened, messages = await outcome(checker, image)
    assert messages is not None, "accepted"
    assert opened == 0, "Pillow parsed it before the refusal"


# --- Numbers an entry lists: Pillow makes an object of each (an image fuzzer's finds).

_RATIONAL = 5


def tiff_with_resolution_values(count: int) -> bytes:
    """An uncompressed 1024x1024 grey TIFF whose XResolution lists ``count`` fractions (one
    is right), placed after its one strip."""
    entries = _gray_1024()
    data = 8 + 2 + 12 * (len(entries) + 4) + 4
    entries += [
        (273, _LONG, 1, data),  # StripOffsets
        (278, _LONG, 1, 1024),  # RowsPerStrip
        (279, _LONG, 1, 1024 * 1024),  # StripByteCounts
        (282, _RATIONAL, count, data + 1024 * 1024),  # XResolution
    ]
    return _tiff(entries, bytes(1024 * 1024) + struct.pack("<LL", 72, 1) * count)


def exif_with_orientation_values(
    count: int, *, head: bytes = b"II*\0", prefix: bytes = b"Exif\0\0", kind: int = _RATIONAL
) -> bytes:
    """An EXIF block whose Orientation entry lists ``count`` values of type ``kind`` (one
    number is right)."""
    value = struct.pack("<LL", 6, 1) if kind == _RATIONAL else b"\x06"
    return (
        prefix
        + head
        + struct.pack("<LH", 8, 1)
        + struct.pack("<HHLL", 0x0112, kind, count, 26)
        + struct.pack("<L", 0)
        + value * count
    )


async def test_a_tiff_entry_of_a_million_numbers_is_refused_before_pillow_reads_it(
    checker: UsersSetPhoto,
) -> None:
    """3.9 million fractions in XResolution took 8.6 s and 630 MB, then the TIFF was
    converted and sent."""
    opened, messages = await outcome(checker, tiff_with_resolution_values(1_000_000))
    assert messages is not None, "accepted"
    assert "the TIFF's first directory lists 1000007 numbers in its entries" in messages[0]
    assert "save it again with an image editor" in messages[0]
    assert opened == 0, "Pillow parsed it before the refusal"


@pytest.mark.filterwarnings("ignore:Metadata Warning, tag 274 had too many entries")
@pytest.mark.parametrize("fmt", ["PNG", "WEBP", "JPEG"])
async def test_an_exif_block_of_too_many_numbers_is_refused_before_pillow_reads_it(
    fmt: str, checker: UsersSetPhoto
) -> None:
    """An Orientation entry of 3.9 million fractions in a PNG's eXIf (or a WebP's EXIF)
    took 8 s and 700 MB in Pillow's EXIF reader, then the image was sent. A JPEG's EXIF
    segment holds at most 64 KiB: too few numbers to refuse, read as before."""
    count = 300_000 if fmt != "JPEG" else 8_000
    exif = exif_with_orientation_values(count)
    image = encoded(Image.new("RGB", (600, 600), (200, 40, 40)), fmt, exif=exif)
    _, messages = await outcome(checker, image)
    if fmt == "JPEG":
        assert messages is None  # the orientation, a list of fractions, turns nothing
        return
    assert messages is not None, "accepted"
    assert f"the EXIF block's first directory lists {count} numbers" in messages[0]


def test_numbers_within_the_bound_pass_and_past_it_are_refused() -> None:
    from ocp_users_photo.images.tiff_structure import MAX_TIFF_NUMBERS, exif_problem

    assert exif_problem(exif_with_orientation_values(MAX_TIFF_NUMBERS)) is None
    over = exif_problem(exif_with_orientation_values(MAX_TIFF_NUMBERS + 1))
    assert over is not None
    assert f"at most {MAX_TIFF_NUMBERS}" in over
    assert structure_problem(_source(tiff_with_resolution_values(10)), max_frames=100) is None


@pytest.mark.parametrize(
    "exif",
    [
        exif_with_orientation_values(300_000, head=b"II\0*"),  # a magic Pillow reads too
        exif_with_orientation_values(300_000, prefix=b"Exif\0\0Exif\0\0"),  # Pillow strips both
        exif_with_orientation_values(300_000, kind=6),  # SBYTE: Pillow makes an int of each
    ],
    ids=["II 0 *", "doubled prefix", "signed bytes"],
)
def test_every_exif_block_pillow_reads_is_counted(exif: bytes) -> None:
    """A review of the cap found four ways past it: the magic number's other byte orders,
    a doubled "Exif" prefix, and SBYTE values (30 million: 2.2 s and 556 MiB, sent)."""
    from ocp_users_photo.images.tiff_structure import exif_problem

    problem = exif_problem(exif)
    assert problem is not None
    assert "lists 300000 numbers" in problem


@pytest.mark.filterwarnings("ignore:Tag data larger than file")
async def test_a_photo_with_one_damaged_exif_entry_is_not_refused(
    checker: UsersSetPhoto,
) -> None:
    """An entry whose count points past the block's end is one Pillow skips ("possibly
    corrupt"), reading the orientation still: not counted, so such a photo goes on."""
    exif = Image.Exif()
    exif[0x0112] = 6
    exif[0x010F] = "Canon"
    block = bytearray(exif.tobytes())
    make = block.find(struct.pack("<H", 0x010F))
    if make < 0:
        make = block.find(struct.pack(">H", 0x010F))
        block[make : make + 8] = struct.pack(">HHL", 0x010F, _SHORT, 0x400000)
    else:
        block[make : make + 8] = struct.pack("<HHL", 0x010F, _SHORT, 0x400000)
    photo = encoded(Image.new("RGB", (800, 600), (200, 40, 40)), "JPEG", exif=bytes(block))
    assert Image.open(io.BytesIO(photo)).getexif().get(0x0112) == 6
    _, messages = await outcome(checker, photo)
    assert messages is None, messages


async def test_an_imagemagick_raw_exif_profile_of_too_many_numbers_is_refused(
    checker: UsersSetPhoto,
) -> None:
    """The EXIF Pillow reads from ImageMagick's raw profile (hex in a PNG text chunk) went
    past the cap unchecked: an orientation of 2.1 million fractions took 5.9 s and 630 MB,
    then the PNG was sent (a second fuzzing round found it)."""
    from PIL import PngImagePlugin

    payload = exif_with_orientation_values(300_000)
    hex_text = payload.hex()
    lines = [hex_text[start : start + 72] for start in range(0, len(hex_text), 72)]
    text = PngImagePlugin.PngInfo()
    text.add_text(
        "Raw profile type exif", "\nexif\n" + f"{len(payload):8d}\n" + "\n".join(lines) + "\n"
    )
    image = encoded(Image.new("RGB", (600, 600), (200, 40, 40)), "PNG", pnginfo=text)
    _, messages = await outcome(checker, image)
    assert messages is not None, "accepted"
    assert "the EXIF block's first directory lists 300000 numbers" in messages[0]


@pytest.mark.filterwarnings("ignore:Corrupt EXIF data")
async def test_a_jpeg_of_many_exif_segments_is_refused_before_pillow_joins_them(
    checker: UsersSetPhoto,
) -> None:
    """Pillow joins a JPEG's EXIF segments one to the next, copying all so far each time:
    512 of 64 KiB took 4 s and 164 MB, then the JPEG was sent (a second fuzzing round).
    More than 16 are refused before Pillow opens the file; two (seen in the wild) pass."""
    jpeg = encoded(Image.new("RGB", (600, 600), (30, 90, 160)), "JPEG")
    segment = b"\xff\xe1" + struct.pack(">H", 2 + 6 + 8) + b"Exif\0\0" + b"II*\0\x08\0\0\0"
    flooded = jpeg[:2] + segment * 17 + jpeg[2:]
    opened, messages = await outcome(checker, flooded)
    assert messages is not None, "accepted"
    assert "the JPEG has 17 EXIF segments" in messages[0]
    assert opened == 0, "Pillow parsed it before the refusal"
    _, messages = await outcome(checker, jpeg[:2] + segment * 2 + jpeg[2:])
    assert messages is None, messages


def test_an_exif_block_headed_as_pillow_reads_mm_plus_is_counted() -> None:
    """Pillow reads "MM\\0+" as a classic big-endian TIFF (only "II+\\0" is BigTIFF to it):
    such a block of 2.1 million fractions went uncounted, 4.3 s (a review found it)."""
    from ocp_users_photo.images.tiff_structure import exif_problem

    count = 300_000
    block = (
        b"MM\0+"
        + struct.pack(">LH", 8, 1)
        + struct.pack(">HHLL", 0x0112, _RATIONAL, count, 26)
        + struct.pack(">L", 0)
        + struct.pack(">LL", 6, 1) * count
    )
    problem = exif_problem(block)
    assert problem is not None
    assert f"lists {count} numbers" in problem


@pytest.mark.filterwarnings("ignore:Corrupt EXIF data")
async def test_junk_between_a_jpegs_segments_is_stepped_over_as_pillow_does(
    checker: UsersSetPhoto,
) -> None:
    """Pillow steps over bytes that start no segment, one at a time, and reads on: one
    stray byte hid 400 EXIF segments after it from the walk here (1.5 s, then sent; a
    review found it). The segments after junk are counted; more junk than an editor leaves
    is refused; a few stray bytes pass."""
    jpeg = encoded(Image.new("RGB", (600, 600), (30, 90, 160)), "JPEG")
    segment = b"\xff\xe1" + struct.pack(">H", 2 + 6 + 8) + b"Exif\0\0" + b"II*\0\x08\0\0\0"
    app0_end = 4 + int.from_bytes(jpeg[4:6], "big")  # SOI, then the JFIF segment
    hidden = jpeg[:app0_end] + b"\0" + segment * 17 + jpeg[app0_end:]
    _, messages = await outcome(checker, hidden)
    assert messages is not None, "accepted"
    assert "the JPEG has 17 EXIF segments" in messages[0]
    padded = jpeg[:app0_end] + bytes(64 * 1024 + 1) + jpeg[app0_end:]
    opened, messages = await outcome(checker, padded)
    assert messages is not None, "accepted"
    assert "more than 65536 bytes between its segments" in messages[0]
    assert opened == 0, "Pillow parsed it before the refusal"
    stray = jpeg[:app0_end] + b"\0\0\0" + jpeg[app0_end:]
    _, messages = await outcome(checker, stray)
    assert messages is None, messages
