"""A PNG, JPEG or GIF sent as it is must hold its whole picture, whatever follows its end.

Its end marker was looked for in the file's last bytes (a JPEG's last 64 KiB, a PNG's
last 4 KiB, a GIF's last 16): a whole file with more data after its end (a phone's
motion-photo clip after a JPEG) was refused as "cut short: send the complete file",
advice that could never work; and a cut-short JPEG whose EXIF thumbnail ends with the
end marker's bytes, or a cut-short GIF whose last bytes held a ";" by chance, was sent
(a review of 2026-12-05). images/file_end.py walks the file's structure instead.
"""

from __future__ import annotations

import io
import struct
from pathlib import Path

import pytest
from PIL import Image

from ocp_users_photo import InvalidArguments, UsersSetPhoto
from tests.conftest import CANARY_TOKEN

NOWHERE = "http://127.0.0.1:9/api"  # prepare sends nothing


def encoded(picture: Image.Image, fmt: str, **options: object) -> bytes:
    out = io.BytesIO()
    picture.save(out, fmt, **options)
    return out.getvalue()


def textured(size: tuple[int, int]) -> Image.Image:
    """A picture whose JPEG is not tiny: gradients and noise, as a photo has."""
    gradient = Image.linear_gradient("L").resize(size)
    return Image.merge(
        "RGB", [gradient, Image.effect_noise(size, 40), gradient.rotate(90).resize(size)]
    )


PICTURE = textured((800, 800))
JPEG = encoded(PICTURE, "JPEG", quality=90)
PNG = encoded(PICTURE, "PNG")
GIF = encoded(PICTURE.convert("P"), "GIF")
# Data after the end that holds no end marker of its own (as a clip's bytes may not).
TRAILER = bytes(range(256)).replace(b"\xff", b"\x00") * 400  # 100 KiB


async def prepared(image: bytes) -> dict[str, object]:
    """``prepare``'s summary of ``image``; InvalidArguments when refused."""
    async with (
        UsersSetPhoto(CANARY_TOKEN, base_url=NOWHERE, environ={}) as tool,
        tool.prepare({"image": image}) as upload,
    ):
        return upload.summary()


@pytest.mark.parametrize(
    ("image", "fmt"),
    [
        (JPEG + TRAILER, "JPEG"),
        (PNG + TRAILER, "PNG"),
        (PNG + b"\0" * 5000, "PNG"),
        (GIF + b"\0" * 40, "GIF"),
        (GIF + TRAILER, "GIF"),
    ],
    ids=["jpeg-100k-after", "png-100k-after", "png-5000-zeros-after", "gif-40-after", "gif-100k"],
)
async def test_a_whole_file_with_data_after_its_end_is_sent_as_it_is(
    image: bytes, fmt: str
) -> None:
    summary = await prepared(image)
    assert summary["format"] == fmt
    assert summary["bytes"] == len(image), "sent as it is, trailer and all"
    assert Image.open(io.BytesIO(image)).size == (800, 800)


@pytest.mark.parametrize("image", [JPEG, PNG, GIF], ids=["jpeg", "png", "gif"])
async def test_a_whole_file_ending_at_its_end_marker_is_sent(image: bytes) -> None:
    assert (await prepared(image))["bytes"] == len(image)


def with_exif_thumbnail(jpeg: bytes) -> bytes:
    """``jpeg`` with an EXIF block holding a small JPEG thumbnail (as cameras write), whose
    own end marker (0xFF 0xD9) stands before the main picture's data."""
    thumbnail = encoded(textured((160, 120)), "JPEG", quality=70)

    def directory(entries: list[tuple[int, int, int, int]], following: int) -> bytes:
        packed = struct.pack(">H", len(entries))
        for tag, kind, count, value in entries:
            packed += struct.pack(">HHI", tag, kind, count)
            packed += struct.pack(">HH", value, 0) if kind == 3 else struct.pack(">I", value)
        return packed + struct.pack(">I", following)

    second = 8 + 18  # after the header and a first directory of one entry
    at = second + 30  # after a second directory of two entries
    tiff = (
        b"MM\x00\x2a"
        + struct.pack(">I", 8)
        + directory([(0x0112, 3, 1, 1)], second)  # orientation 1
        + directory([(0x0201, 4, 1, at), (0x0202, 4, 1, len(thumbnail))], 0)
        + thumbnail
    )
    app1 = b"Exif\x00\x00" + tiff
    return jpeg[:2] + b"\xff\xe1" + struct.pack(">H", len(app1) + 2) + app1 + jpeg[2:]


async def test_a_cut_jpeg_whose_exif_thumbnail_ends_with_the_marker_is_refused() -> None:
    # A small file (a smooth picture), so that what is left of it is all in the 64 KiB
    # the end marker was looked for in.
    smooth = Image.linear_gradient("L").resize((600, 600)).convert("RGB")
    photo = with_exif_thumbnail(encoded(smooth, "JPEG", quality=70))
    assert len(photo) < 64 * 1024
    assert (await prepared(photo))["bytes"] == len(photo)  # whole, it is sent
    cut = photo[: len(photo) * 2 // 3]
    assert b"\xff\xd9" in cut, "the thumbnail's end marker is in what is left"
    with pytest.raises(OSError, match="truncated"):
        Image.open(io.BytesIO(cut)).load()
    with pytest.raises(InvalidArguments, match="JPEG file is cut short"):
        await prepared(cut)


@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "GIF"])
async def test_a_file_cut_anywhere_in_its_picture_is_refused(fmt: str) -> None:
    """Every cut from a quarter of the file on (the header whole, so the size is read),
    the last 16 bytes holding a ";" or not: a GIF's chance ";" passed before."""
    whole = {"JPEG": JPEG, "PNG": PNG, "GIF": GIF}[fmt]
    cuts = range(len(whole) // 4, len(whole) - 1, max(1, len(whole) // 37))
    chance = [n for n in range(len(whole) // 2, len(whole) - 1) if b";" in whole[n - 16 : n]]
    for n in [*cuts, *chance[:3]]:
        with pytest.raises(InvalidArguments, match=f"{fmt} file is cut short"):
            await prepared(whole[:n])


async def test_a_large_file_read_from_its_path_is_walked_as_well(tmp_path: Path) -> None:
    """A file past what is read whole (images/paths.py) is read where the walk looks: a
    whole JPEG with 2 MB after its end is sent, and the same cut inside its picture is not."""
    whole = tmp_path / "motion.jpg"
    whole.write_bytes(JPEG + TRAILER * 20)
    cut = tmp_path / "cut.jpg"
    cut.write_bytes(JPEG[: len(JPEG) // 2] + bytes(2 * 1024 * 1024))  # cut, then zeros
    async with UsersSetPhoto(CANARY_TOKEN, base_url=NOWHERE, environ={}) as tool:
        async with tool.prepare({"image": str(whole)}) as upload:
            assert upload.summary()["bytes"] == whole.stat().st_size
        with pytest.raises(InvalidArguments, match="JPEG file is cut short"):
            async with tool.prepare({"image": str(cut)}):
                pass


def tiny_gif() -> bytes:
    return encoded(Image.new("P", (600, 600)), "GIF")


async def test_a_cut_gif_behind_many_extension_blocks_is_refused() -> None:
    """The end walk counted extension blocks against a bound past which a GIF was taken
    as whole: a cut frame behind 100,001 empty comments was sent (a review of this
    change). Such a GIF is refused for its extension blocks (Pillow walks them one by one:
    3 million in 9 MB took 0.65 s), and a cut one behind a few is refused as cut short."""
    gif = tiny_gif()
    frame = gif.index(b",")
    many = gif[:frame] + b"!\xfe\x00" * 100_001 + gif[frame : frame + 12]
    with pytest.raises(InvalidArguments, match="more than 4296 extension blocks"):
        await prepared(many)
    few = gif[:frame] + b"!\xfe\x00" * 10 + gif[frame : frame + 12]
    with pytest.raises(InvalidArguments, match="GIF file is cut short"):
        await prepared(few)
    whole = gif[:frame] + b"!\xfe\x00" * 4000 + gif[frame:]
    assert (await prepared(whole))["bytes"] == len(whole)


async def test_a_cut_progressive_jpeg_whose_comment_between_scans_holds_the_marker_is_refused() -> (
    None
):
    """Segments between a progressive file's scans are not escaped: a comment there holding
    0xFF 0xD9 passed for the end of the image (a review of this change)."""
    progressive = encoded(textured((600, 600)), "JPEG", progressive=True)
    first = progressive.index(b"\xff\xda")
    second = progressive.index(b"\xff\xda", first + 2)
    comment = b"\xff\xfe\x00\x06ab\xff\xd9"
    whole = progressive[:second] + comment + progressive[second:]
    Image.open(io.BytesIO(whole)).load()  # a whole file, as Pillow reads it
    assert (await prepared(whole))["bytes"] == len(whole)
    cut = whole[: second + len(comment) + 200]
    with pytest.raises(InvalidArguments, match="JPEG file is cut short"):
        await prepared(cut)


@pytest.mark.parametrize("escape", [b"\xff", b"\xff\x00", b"\xff\xd3"])
def test_a_run_of_escaped_bytes_after_the_image_data_is_searched_not_stepped(
    escape: bytes,
) -> None:
    """A JPEG cut before its end marker and padded with escapes (0xFF fill, stuffed 0x00,
    restart markers: 31 MB of fill took 7 s, a Python step per byte; an image fuzzer found
    it) is refused as cut short, with the search made in a few calls, not one per escape.
    Counted, not timed: every call a Python loop makes is seen by a profile hook."""
    import sys

    from ocp_users_photo.images.file_end import missing_end
    from ocp_users_photo.images.source import ImageSource

    padded = JPEG[:-2] + escape * (2 * 1024 * 1024 // len(escape))
    calls = 0

    def count(frame: object, event: str, arg: object) -> None:
        nonlocal calls
        calls += event in ("call", "c_call")

    sys.setprofile(count)
    try:
        said = missing_end(ImageSource("padded", "padded", len(padded), data=padded), "JPEG")
    finally:
        sys.setprofile(None)
    assert said is not None
    assert "cut short" in said
    assert calls < 5_000, calls


async def test_a_gif_whose_extensions_hold_too_many_sub_blocks_is_refused_before_pillow() -> None:
    """Pillow keeps each sub-block of a comment as an object of its own: one comment of 15
    million one-byte sub-blocks grew the process by 1.4 GB, and the GIF was sent (an image
    fuzzer found it). Past 100,000 sub-blocks in the extensions, the GIF is refused before
    Pillow opens it; a long comment as editors write it (255-byte sub-blocks) still goes."""
    gif = tiny_gif()
    frame = gif.index(b",")
    flooded = gif[:frame] + b"!\xfe" + b"\x01a" * 100_001 + b"\x00" + gif[frame:]
    with pytest.raises(InvalidArguments, match="more than 100000 sub-blocks") as refused:
        await prepared(flooded)
    assert "save it again with an image editor" in str(refused.value)
    at_the_bound = gif[:frame] + b"!\xfe" + b"\x01a" * 100_000 + b"\x00" + gif[frame:]
    assert (await prepared(at_the_bound))["bytes"] == len(at_the_bound)
    spread = gif[:frame] + (b"!\xfe" + b"\x01a" * 50_000 + b"\x00") * 3 + gif[frame:]
    with pytest.raises(InvalidArguments, match="more than 100000 sub-blocks"):
        await prepared(spread)  # counted across the extensions, not each alone
    long_comment = gif[:frame] + b"!\xfe" + (b"\xff" + b"c" * 255) * 4000 + b"\x00" + gif[frame:]
    assert (await prepared(long_comment))["bytes"] == len(long_comment)


async def test_a_png_to_be_converted_is_refused_when_its_pixels_are_cut_not_its_end() -> None:
    """README: the end marker is required of a file sent as it is; one to be converted
    (scaled here: 1500 pixels a side) is decoded whole, so what decides is its pixels."""
    big = encoded(textured((1500, 1500)), "PNG")
    end_cut = big[:-6]  # inside IEND, after every pixel
    summary = await prepared(end_cut)
    assert summary["width"] == 1024
    assert "scaled down from 1500x1500 to 1024x1024" in str(summary["changes"])
    pixels_cut = big[: len(big) // 2]
    with pytest.raises(InvalidArguments, match=r"\$\.image"):
        await prepared(pixels_cut)


async def test_a_gif_of_more_than_a_million_sub_blocks_is_refused_before_pillow() -> None:
    """A frame's data in one-byte sub-blocks (16.7 million in 32 MB) took 6 s to walk here
    and in Pillow, then was sent (a second fuzzing round). Past 1,000,000 sub-blocks in all,
    frames' data included, the GIF is refused first; one written as encoders do passes."""
    gif = tiny_gif()
    frame = gif.index(b",")
    lzw = frame + 10 + 1  # after the descriptor (no local colour table), the LZW code size
    flooded = gif[:lzw] + b"\x01\x00" * 1_000_001 + gif[lzw:]  # empty data, one byte each
    with pytest.raises(InvalidArguments, match="holds more than 1000000 sub-blocks") as refused:
        await prepared(flooded)
    assert "save it again with an image editor" in str(refused.value)
    assert (await prepared(gif))["bytes"] == len(gif)
