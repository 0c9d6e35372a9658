"""Tests that kill the mutants a twenty-fifth mutation round let live: the structure walks
of TIFF directories and EXIF blocks (images/tiff_structure.py), of JPEG segments and GIF
sub-blocks (images/structure.py), the JPEG end search (images/file_end.py), the advice of
an EXIF refusal (images/header.py) and the scaling of 16-bit big-endian grey
(images/reencode.py).

The structure checks are called directly on an ImageSource, as
tests/test_image_structure_bombs.py does; the tool's ``prepare`` (no server) only where
the behaviour lives in it.
"""

from __future__ import annotations

import io
import struct

import pytest
from PIL import Image

from ocp_users_photo import InvalidArguments, UsersSetPhoto
from ocp_users_photo.images.file_end import missing_end
from ocp_users_photo.images.source import ImageSource
from ocp_users_photo.images.structure import (
    MAX_GIF_SUB_BLOCKS,
    MAX_JPEG_EXIF_SEGMENTS,
    MAX_JPEG_JUNK_BYTES,
    jpeg_head,
    structure_problem,
)
from ocp_users_photo.images.tiff_structure import MAX_TIFF_NUMBERS, exif_problem
from tests.conftest import CANARY_TOKEN

NOWHERE = "http://127.0.0.1:9/api"  # prepare sends nothing
_SHORT, _LONG, _RATIONAL, _SSHORT, _UNDEFINED = 3, 4, 5, 8, 7
_ORIENTATION = 0x0112
_OVER = 300_000  # numbers past MAX_TIFF_NUMBERS
assert _OVER > MAX_TIFF_NUMBERS


def _source(data: bytes) -> ImageSource:
    return ImageSource(label="test", filename_stem="test", byte_count=len(data), data=data)


def _problem(data: bytes) -> str | None:
    return structure_problem(_source(data), max_frames=100)


def _encoded(picture: Image.Image, fmt: str, **options: object) -> bytes:
    out = io.BytesIO()
    picture.save(out, fmt, **options)
    return out.getvalue()


async def _prepared(image: bytes) -> dict[str, object]:
    """``prepare``'s summary of ``image``; InvalidArguments when refused."""
    async with (
        UsersSetPhoto(CANARY_TOKEN, base_url=NOWHERE, environ={}) as tool,
        tool.prepare({"image": image}) as upload,
    ):
        return upload.summary()


# --- EXIF blocks and TIFF directories: the numbers their entries list.


def _exif_block(
    head: bytes, kind: int, count: int, data: bytes, *, prefix: bytes = b"Exif\0\0"
) -> bytes:
    """An EXIF block of one entry (Orientation) listing ``count`` values of type ``kind``,
    whose values (``data``, whole or not) follow the directory; in the byte order
    ``head`` names."""
    order = "<" if head.startswith(b"II") else ">"
    return (
        prefix
        + head
        + struct.pack(order + "LH", 8, 1)
        + struct.pack(order + "HHLL", _ORIENTATION, kind, count, 26)
        + struct.pack(order + "L", 0)
        + data
    )


@pytest.mark.parametrize("prefix", [b"Exif\0\0", b""], ids=["prefixed", "bare"])
@pytest.mark.parametrize("head", [b"II*\0", b"II\0*", b"MM\0*", b"MM*\0", b"MM\0+"])
def test_an_exif_block_of_300000_numbers_is_refused_under_every_head_pillow_reads(
    head: bytes, prefix: bytes
) -> None:
    # A photo (JPEG, PNG, WebP) whose EXIF, big- or little-endian, lists 300,000 shorts.
    block = _exif_block(head, _SHORT, _OVER, bytes(2 * _OVER), prefix=prefix)
    problem = exif_problem(block)
    assert problem is not None, "an EXIF block Pillow reads went uncounted"
    assert f"the EXIF block's first directory lists {_OVER} numbers" in problem


def test_an_exif_block_of_300000_signed_shorts_is_refused() -> None:
    # A photo whose EXIF orientation lists 300,000 SSHORT values (Pillow: an int each).
    problem = exif_problem(_exif_block(b"II*\0", _SSHORT, _OVER, bytes(2 * _OVER)))
    assert problem is not None
    assert f"lists {_OVER} numbers" in problem


def test_an_exif_block_whose_fractions_run_past_its_end_is_not_refused() -> None:
    # A camera's damaged EXIF: 300,000 fractions promised, only half of their bytes there.
    whole = _exif_block(b"II*\0", _RATIONAL, _OVER, struct.pack("<LL", 6, 1) * _OVER)
    assert exif_problem(whole) is not None  # all there: refused
    half = whole[: len(whole) - 4 * _OVER]  # 8 bytes a fraction: half of them present
    assert exif_problem(half) is None, "an entry Pillow skips was counted"


def _bigtiff_of_one_entry(tag: int, kind: int, count: int, data: bytes) -> bytes:
    """A little-endian BigTIFF whose first directory holds one entry, its values after it."""
    first = 16
    values_at = first + 8 + 20 + 8
    return (
        b"II+\0"
        + struct.pack("<HHQ", 8, 0, first)
        + struct.pack("<Q", 1)
        + struct.pack("<HHQQ", tag, kind, count, values_at)
        + struct.pack("<Q", 0)
        + data
    )


@pytest.mark.parametrize("kind", [16, 17, 18], ids=["LONG8", "SLONG8", "IFD8"])
def test_a_bigtiff_entry_of_300000_eight_byte_numbers_is_refused(kind: int) -> None:
    # A BigTIFF (a scanner's, a microscope's) with one tag of 300,000 64-bit numbers.
    problem = _problem(_bigtiff_of_one_entry(50_000, kind, _OVER, bytes(8 * _OVER)))
    assert problem is not None, "64-bit numbers went uncounted"
    assert f"the TIFF's first directory lists {_OVER} numbers" in problem


def _tiff_with_a_blob(tag: int, kind: int, blob: bytes) -> bytes:
    """A whole 64x64 grey little-endian TIFF (one strip) carrying ``blob`` under ``tag``."""
    entries = [
        (256, _LONG, 1, 64),  # ImageWidth
        (257, _LONG, 1, 64),  # ImageLength
        (258, _SHORT, 1, 8),  # BitsPerSample
        (259, _SHORT, 1, 1),  # no compression
        (262, _SHORT, 1, 1),  # black is zero
        (273, _LONG, 1, 0),  # StripOffsets, set below
        (277, _SHORT, 1, 1),  # SamplesPerPixel
        (278, _LONG, 1, 64),  # RowsPerStrip
        (279, _LONG, 1, 64 * 64),  # StripByteCounts
        (tag, kind, len(blob), 0),  # the blob, set below
    ]
    pixels_at = 8 + 2 + 12 * len(entries) + 4
    blob_at = pixels_at + 64 * 64
    ifd = struct.pack("<H", len(entries))
    for entry_tag, entry_kind, count, value in sorted(entries):
        if entry_tag == 273:
            value = pixels_at
        elif entry_tag == tag:
            value = blob_at
        packed = struct.pack("<H" if entry_kind == _SHORT else "<L", value).ljust(4, b"\0")
        ifd += struct.pack("<HHL", entry_tag, entry_kind, count) + packed
    pixels = bytes(range(64)) * 64
    return b"II*\0" + struct.pack("<L", 8) + ifd + struct.pack("<L", 0) + pixels + blob


_XMP = (
    b'<?xpacket begin="" id="W5M0MpCehiHzreSzNTczkc9d"?><x:xmpmeta xmlns:x="adobe:ns:meta/">'
    + b" " * 300_000
    + b'</x:xmpmeta><?xpacket end="w"?>'
)


@pytest.mark.parametrize(
    ("tag", "kind", "blob"),
    [(700, 1, _XMP), (700, _UNDEFINED, _XMP), (34675, _UNDEFINED, bytes(400_000))],
    ids=["XMP as bytes", "XMP as undefined", "ICC profile"],
)
def test_a_tiff_with_a_large_xmp_packet_or_icc_profile_passes(
    tag: int, kind: int, blob: bytes
) -> None:
    # A TIFF from Photoshop or Lightroom: a 300 KB XMP packet or a 400 KB colour profile.
    image = _tiff_with_a_blob(tag, kind, blob)
    with Image.open(io.BytesIO(image)) as picture:
        assert (picture.format, picture.size) == ("TIFF", (64, 64))
        picture.load()
    assert _problem(image) is None, "one bytes object counted as 300,000 numbers"


# --- A JPEG's segments: EXIF segments, junk between segments, fill bytes.

_EXIF_SEGMENT = b"\xff\xe1" + struct.pack(">H", 2 + 6 + 8) + b"Exif\0\0" + b"II*\0\x08\0\0\0"
_XMP_ID = b"http://ns.adobe.com/xap/1.0/\0"
_XMP_SEGMENT = b"\xff\xe1" + struct.pack(">H", 2 + len(_XMP_ID) + 20) + _XMP_ID + b" " * 20
_JPEG = _encoded(Image.new("RGB", (64, 64), (30, 90, 160)), "JPEG")


def _with_segments(segments: bytes, jpeg: bytes = _JPEG) -> bytes:
    return jpeg[:2] + segments + jpeg[2:]


def test_a_jpeg_with_17_xmp_segments_is_not_refused_for_exif() -> None:
    # A JPEG from an editor that wrote its XMP in many APP1 segments.
    image = _with_segments(_XMP_SEGMENT * (MAX_JPEG_EXIF_SEGMENTS + 1))
    Image.open(io.BytesIO(image)).load()
    assert _problem(image) is None, "XMP segments counted as EXIF"


def test_a_jpeg_of_16_exif_segments_passes_and_17_are_refused() -> None:
    # A JPEG an editor wrote its EXIF into several times over.
    at_the_cap = _with_segments(_EXIF_SEGMENT * MAX_JPEG_EXIF_SEGMENTS)
    assert _problem(at_the_cap) is None
    over = _problem(_with_segments(_EXIF_SEGMENT * (MAX_JPEG_EXIF_SEGMENTS + 1)))
    assert over is not None
    assert f"the JPEG has {MAX_JPEG_EXIF_SEGMENTS + 1} EXIF segments" in over


def _after_app0(inserted: bytes) -> bytes:
    """The JPEG with ``inserted`` after its JFIF segment."""
    app0_end = 4 + int.from_bytes(_JPEG[4:6], "big")
    return _JPEG[:app0_end] + inserted + _JPEG[app0_end:]


def test_a_jpeg_with_64_kib_of_stray_bytes_passes_and_one_byte_more_is_refused() -> None:
    # A JPEG a broken tool padded with zeros between its segments.
    at_the_cap = _after_app0(b"\0" * MAX_JPEG_JUNK_BYTES)
    assert _problem(at_the_cap) is None
    # Walked past the padding to its image data, and the segments after it counted.
    assert jpeg_head(_source(at_the_cap)).first_scan is not None
    behind = _after_app0(b"\0" * MAX_JPEG_JUNK_BYTES + _EXIF_SEGMENT * 17)
    hidden = _problem(behind)
    assert hidden is not None, "the walk stopped at the padding"
    assert "the JPEG has 17 EXIF segments" in hidden
    over = _problem(_after_app0(b"\0" * (MAX_JPEG_JUNK_BYTES + 1)))
    assert over is not None
    assert f"more than {MAX_JPEG_JUNK_BYTES} bytes between its segments" in over


def test_stray_bytes_in_two_runs_between_a_jpegs_segments_are_counted_together() -> None:
    # A JPEG with 40 KiB of junk before a comment and 40 KiB more after it.
    run = b"\0" * (40 * 1024)
    comment = b"\xff\xfe\x00\x04hi"
    problem = _problem(_after_app0(run + comment + run))
    assert problem is not None, "each run counted alone"
    assert f"more than {MAX_JPEG_JUNK_BYTES} bytes between its segments" in problem


@pytest.mark.parametrize("before", [b"\xff\x00", b"\xff"], ids=["escaped FF 00", "fill FF"])
def test_exif_segments_behind_an_escape_or_a_fill_byte_are_still_counted(before: bytes) -> None:
    # A JPEG of 17 EXIF segments hidden behind a stray FF 00, or an FF fill byte.
    problem = _problem(_with_segments(before + _EXIF_SEGMENT * (MAX_JPEG_EXIF_SEGMENTS + 1)))
    assert problem is not None, "the segments behind it went uncounted"
    assert f"the JPEG has {MAX_JPEG_EXIF_SEGMENTS + 1} EXIF segments" in problem


def test_a_jpeg_of_512_exif_segments_and_no_image_data_is_refused_for_them() -> None:
    # A JPEG that is only EXIF segments (Pillow joins all 512: seconds), no scan at all.
    image = _JPEG[:2] + _EXIF_SEGMENT * 512
    problem = _problem(image)
    assert problem is not None, "the segments before the file's end went uncounted"
    assert "the JPEG has 512 EXIF segments" in problem


# --- A GIF's sub-blocks.


def _gif(frame_sub_blocks: int, after_frame: bytes = b"") -> bytes:
    """A 1x1 GIF of one frame whose data is ``frame_sub_blocks`` one-byte sub-blocks."""
    return (
        b"GIF89a"
        + struct.pack("<HHBBB", 1, 1, 0, 0, 0)
        + b","
        + struct.pack("<HHHHB", 0, 0, 1, 1, 0)
        + b"\x02"
        + b"\x01\x00" * frame_sub_blocks
        + b"\x00"
        + after_frame
        + b";"
    )


def test_a_gif_of_exactly_a_million_sub_blocks_passes_and_one_more_is_refused() -> None:
    # A GIF from an encoder that writes its frame's data a byte a sub-block.
    assert _problem(_gif(MAX_GIF_SUB_BLOCKS)) is None
    over = _problem(_gif(MAX_GIF_SUB_BLOCKS + 1))
    assert over is not None
    assert f"the GIF holds more than {MAX_GIF_SUB_BLOCKS} sub-blocks" in over


def test_a_gif_frame_of_16_million_sub_blocks_is_refused_after_a_bounded_read() -> None:
    # A 33 MB GIF whose one frame is 16.7 million one-byte sub-blocks (6 s in Pillow).
    image = _gif(16_700_000)
    reads = 0

    class Counted(ImageSource):
        def read_at(self, offset: int, size: int) -> bytes:
            nonlocal reads
            reads += 1
            return super().read_at(offset, size)

    source = Counted(label="test", filename_stem="test", byte_count=len(image), data=image)
    problem = structure_problem(source, max_frames=100)
    assert problem is not None
    assert f"holds more than {MAX_GIF_SUB_BLOCKS} sub-blocks" in problem
    # A million sub-blocks are 2 MB, 32 reads of 64 KiB; the whole frame would be 510.
    assert reads < 60, reads


def test_a_gif_over_the_sub_block_cap_by_its_comment_names_all_sub_blocks() -> None:
    # A GIF of 999,990 frame sub-blocks and a comment of 20 after them.
    comment = b"!\xfe" + b"\x01a" * 20 + b"\x00"
    problem = _problem(_gif(MAX_GIF_SUB_BLOCKS - 10, comment))
    assert problem is not None
    assert f"the GIF holds more than {MAX_GIF_SUB_BLOCKS} sub-blocks" in problem
    assert "extension blocks" not in problem


# --- A JPEG's end, found behind fill bytes and restart markers.

_TRAILER = bytes(range(256)).replace(b"\xff", b"\x00") * 400  # a clip's bytes, no 0xFF


def _textured(size: tuple[int, int]) -> Image.Image:
    gradient = Image.linear_gradient("L").resize(size)
    return Image.merge(
        "RGB", [gradient, Image.effect_noise(size, 40), gradient.rotate(90).resize(size)]
    )


def test_a_jpeg_with_fill_bytes_before_its_end_and_data_after_it_is_whole() -> None:
    # A camera JPEG padded with FF fill before its end marker, a motion clip after it.
    jpeg = _encoded(_textured((256, 256)), "JPEG", quality=90)
    assert jpeg.endswith(b"\xff\xd9")
    image = jpeg[:-2] + b"\xff\xff\xff" + b"\xff\xd9" + _TRAILER
    Image.open(io.BytesIO(image)).load()
    assert missing_end(_source(image), "JPEG") is None, "called cut short"


def test_a_jpeg_with_restart_markers_and_data_after_its_end_is_whole() -> None:
    # A camera JPEG with restart markers (RST0 to RST7) and a motion clip appended.
    jpeg = _encoded(_textured((256, 256)), "JPEG", quality=90, restart_marker_blocks=1)
    assert jpeg.count(b"\xff\xd7") > 0
    image = jpeg + _TRAILER
    Image.open(io.BytesIO(image)).load()
    assert missing_end(_source(image), "JPEG") is None, "called cut short"


# --- The advice of an EXIF refusal.


async def test_a_photo_refused_for_its_exif_numbers_is_told_to_be_saved_again() -> None:
    # A PNG whose eXIf chunk lists 300,000 orientation values.
    exif = _exif_block(b"II*\0", _SHORT, _OVER, bytes(2 * _OVER))
    image = _encoded(Image.new("RGB", (600, 600), (200, 40, 40)), "PNG", exif=exif)
    with pytest.raises(InvalidArguments) as refused:
        await _prepared(image)
    message = refused.value.problems[0].message
    assert f"the EXIF block's first directory lists {_OVER} numbers" in message
    assert message.endswith("save it again with an image editor"), message


# --- 16-bit big-endian grey, scaled by more than 3.


async def test_a_16_bit_big_endian_grey_tiff_of_3200_pixels_is_converted() -> None:
    # A scanner's uncompressed 16-bit grey TIFF written big-endian ("MM"), 3200x3200.
    picture = Image.linear_gradient("L").resize((3200, 3200)).convert("I").point(lambda v: v * 256)
    image = _encoded(picture.convert("I;16B"), "TIFF")
    assert image.startswith(b"MM\0*")
    assert Image.open(io.BytesIO(image)).mode == "I;16B"
    summary = await _prepared(image)
    assert (summary["width"], summary["height"]) == (1024, 1024)
    assert "scaled down from 3200x3200 to 1024x1024" in str(summary["changes"])


def test_a_16_bit_big_endian_grey_picture_is_scaled_by_more_than_3() -> None:
    # The same scanner's TIFF, as reencode's scaling step is handed it (mode I;16B).
    from ocp_users_photo.images.reencode import _scaled_upright

    picture = Image.linear_gradient("L").resize((3200, 3200)).convert("I")
    opened = Image.open(io.BytesIO(_encoded(picture.convert("I;16B"), "TIFF")))
    assert opened.mode == "I;16B"
    scaled = _scaled_upright(opened, (1024, 1024), 1)
    assert scaled.size == (1024, 1024)
    low, high = scaled.convert("I").getextrema()
    assert (low, high) != (0, 0), "the gradient was lost"
    assert isinstance(high, int)
    assert high > 200
